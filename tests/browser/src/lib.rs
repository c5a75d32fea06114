//! Drives the built page in real headless Chromium over the DevTools protocol: a static
//! server for `dist/` on 127.0.0.1, a browser with a fresh profile and a download folder,
//! and helpers that act as a person would (type into a field, click, wait for text).
//! Every network request the page makes is recorded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("root")
}

/// The built site: `ETCD_PKI_SITE_DIR` or `<root>/dist`.
pub fn site_dir() -> PathBuf {
    let dir = std::env::var_os("ETCD_PKI_SITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    assert!(
        dir.join("index.html").exists(),
        "{} has no index.html: build the page first with ./scripts/build-site.sh",
        dir.display()
    );
    dir
}

/// Temporary folders and unzip, shared with the etcd tests.
pub use e2e_etcd::{TempDir, unzip};

/// A static file server on 127.0.0.1 for one directory, stopped when dropped.
pub struct Site {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    stop: Arc<AtomicBool>,
    port: u16,
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

impl Site {
    /// Serves `dir`.
    pub fn serve(dir: PathBuf) -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                            break;
                        }
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/");
                    let path = path.split(['?', '#']).next().unwrap_or("/");
                    let rel = if path == "/" {
                        "index.html"
                    } else {
                        path.trim_start_matches('/')
                    };
                    let file = dir.join(rel);
                    let ok = !rel.contains("..") && file.is_file();
                    let (status, body, ty) = if ok {
                        (
                            "200 OK",
                            std::fs::read(&file).unwrap_or_default(),
                            mime(&file),
                        )
                    } else {
                        ("404 Not Found", b"not found".to_vec(), "text/plain")
                    };
                    let _ = write!(
                        conn,
                        "HTTP/1.1 {status}\r\nContent-Type: {ty}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(&body);
                });
            }
        });
        Site {
            url: format!("http://127.0.0.1:{port}/"),
            stop,
            port,
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Headless Chromium with one page, driven over the DevTools protocol.
pub struct Browser {
    child: Child,
    ws: tungstenite::WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Every event received (Network.* among them), in order.
    pub events: Vec<Value>,
    _profile: TempDir,
    /// Where downloads land.
    pub downloads: TempDir,
}

impl Browser {
    /// Starts Chromium (1280×1000) with a fresh profile and opens `about:blank`.
    pub fn start() -> Browser {
        let profile = TempDir::new("chromium-profile");
        let downloads = TempDir::new("downloads");
        let child = Command::new("/usr/bin/chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--window-size=1280,1000",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.0.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/bin/chromium (./scripts/setup.sh installs it)");
        let port_file = profile.0.join("DevToolsActivePort");
        let start = Instant::now();
        let text = loop {
            if let Ok(t) = std::fs::read_to_string(&port_file)
                && t.lines().count() >= 2
            {
                break t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "Chromium did not start its DevTools endpoint"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut lines = text.lines();
        let port = lines.next().unwrap().trim().to_string();
        let path = lines.next().unwrap().trim().to_string();
        let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("DevTools port");
        stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let (ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream)
            .expect("DevTools websocket");
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
            downloads,
        };
        let targets = b.call("Target.getTargets", json!({}));
        let target = targets["targetInfos"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["type"] == "page"))
            .map(|t| t["targetId"].as_str().unwrap().to_string())
            .unwrap_or_else(|| {
                b.call("Target.createTarget", json!({"url": "about:blank"}))["targetId"]
                    .as_str()
                    .unwrap()
                    .to_string()
            });
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.send("Page.enable", json!({}));
        b.send("Runtime.enable", json!({}));
        b.send("Network.enable", json!({}));
        let dl = b.downloads.0.display().to_string();
        b.call(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": dl, "eventsEnabled": true}),
        );
        b
    }

    fn raw_call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            msg["sessionId"] = json!(session);
        }
        self.ws
            .send(tungstenite::Message::text(msg.to_string()))
            .expect("send to Chromium");
        loop {
            let m = self
                .ws
                .read()
                .unwrap_or_else(|e| panic!("{method}: no answer from Chromium: {e}"));
            let tungstenite::Message::Text(t) = m else {
                continue;
            };
            let v: Value = serde_json::from_str(&t).expect("DevTools JSON");
            if v["id"] == json!(id) {
                if let Some(err) = v.get("error") {
                    panic!("{method} failed: {err}");
                }
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// A browser-level command.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.raw_call(method, params, None)
    }

    /// A command to the page.
    pub fn send(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.raw_call(method, params, Some(&session))
    }

    /// Attaches to the page's Web Workers (those running and those started later) and
    /// returns the DevTools sessions of the ones attached so far.
    pub fn worker_sessions(&mut self) -> Vec<String> {
        self.send(
            "Target.setAutoAttach",
            json!({"autoAttach": true, "waitForDebuggerOnStart": false, "flatten": true}),
        );
        self.eval("1");
        let detached: Vec<String> = self
            .events
            .iter()
            .filter(|e| e["method"] == "Target.detachedFromTarget")
            .filter_map(|e| e["params"]["sessionId"].as_str().map(String::from))
            .collect();
        self.events
            .iter()
            .filter(|e| e["method"] == "Target.attachedToTarget")
            .filter(|e| e["params"]["targetInfo"]["type"] == "worker")
            .filter_map(|e| e["params"]["sessionId"].as_str().map(String::from))
            .filter(|s| !detached.contains(s))
            .collect()
    }

    /// Whether the worker of `session` has gone (terminated or crashed).
    pub fn worker_gone(&mut self, session: &str) -> bool {
        self.eval("1");
        self.events.iter().any(|e| {
            e["method"] == "Target.detachedFromTarget" && e["params"]["sessionId"] == json!(session)
        })
    }

    /// Evaluates `js` inside a worker (a session from [`Browser::worker_sessions`]), awaiting
    /// promises: the test's own hook into the worker, nothing the page ships.
    pub fn eval_in_worker(&mut self, session: &str, js: &str) -> Value {
        let r = self.raw_call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
            Some(session),
        );
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("worker script failed: {js}\n{ex}");
        }
        r["result"]["value"].clone()
    }

    /// Evaluates `js` in the page (awaiting promises) and returns its value.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.send(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true, "userGesture": true}),
        );
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("page script failed: {js}\n{ex}");
        }
        r["result"]["value"].clone()
    }

    /// Opens `url` and waits until the app has rendered `ready_selector`.
    pub fn open(&mut self, url: &str, ready_selector: &str) {
        self.send("Page.navigate", json!({"url": url}));
        self.wait_for(
            &format!("!!document.querySelector({ready_selector:?})"),
            Duration::from_secs(30),
            "the page to render",
        );
    }

    /// Waits until `js` is truthy; panics naming `what` after `limit`.
    pub fn wait_for(&mut self, js: &str, limit: Duration, what: &str) {
        let start = Instant::now();
        loop {
            if self.eval(&format!(
                "(() => {{ try {{ return !!({js}); }} catch (e) {{ return false; }} }})()"
            )) == json!(true)
            {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `text` into the field as a person would: focus, replace the value, input event.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        let js = format!(
            "(() => {{ const e = document.querySelector({selector:?}); if (!e) return false; e.focus(); e.value = {text:?}; e.dispatchEvent(new Event('input', {{bubbles: true}})); e.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()"
        );
        assert_eq!(self.eval(&js), json!(true), "no field {selector}");
    }

    /// Clicks the element.
    pub fn click(&mut self, selector: &str) {
        let js = format!(
            "(() => {{ const e = document.querySelector({selector:?}); if (!e) return false; e.click(); return true; }})()"
        );
        assert_eq!(
            self.eval(&js),
            json!(true),
            "nothing to click at {selector}"
        );
    }

    /// The element's text, or None.
    pub fn text(&mut self, selector: &str) -> Option<String> {
        self.eval(&format!("(() => {{ const e = document.querySelector({selector:?}); return e ? e.innerText : null; }})()"))
            .as_str()
            .map(String::from)
    }

    /// Sets the files of an `<input type=file>`.
    pub fn set_file(&mut self, selector: &str, file: &Path) {
        let doc = self.send("DOM.getDocument", json!({}));
        let node = self.send(
            "DOM.querySelector",
            json!({"nodeId": doc["root"]["nodeId"], "selector": selector}),
        );
        self.send(
            "DOM.setFileInputFiles",
            json!({"nodeId": node["nodeId"], "files": [file.display().to_string()]}),
        );
    }

    /// Saves a PNG screenshot of the whole page.
    pub fn screenshot(&mut self, path: &Path) {
        use base64::Engine;
        let shot = self.send(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .expect("PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).ok();
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// URLs of every request the page has made so far.
    pub fn requests(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str().map(String::from))
            .collect()
    }

    /// Every response the page received: (URL, HTTP status).
    pub fn responses(&self) -> Vec<(String, u64)> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.responseReceived")
            .map(|e| {
                let r = &e["params"]["response"];
                (
                    r["url"].as_str().unwrap_or("").to_string(),
                    r["status"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    }

    /// Types `passphrase` into both CA key passphrase fields, as a person must before the
    /// first generation of a real cluster.
    pub fn protect_ca_key(&mut self, passphrase: &str) {
        self.type_into("#ca-passphrase", passphrase);
        self.type_into("#ca-passphrase-confirm", passphrase);
    }

    /// Waits for a finished download ending in `suffix`; returns its path.
    pub fn wait_download(&mut self, suffix: &str, limit: Duration) -> PathBuf {
        let start = Instant::now();
        loop {
            let found = std::fs::read_dir(&self.downloads.0).ok().and_then(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .find(|p| p.to_string_lossy().ends_with(suffix))
            });
            if let Some(p) = found {
                return p;
            }
            assert!(
                start.elapsed() < limit,
                "no *{suffix} download within {limit:?}"
            );
            // Keep reading events meanwhile.
            self.eval("1");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a file whole (for small downloads).
pub fn read(path: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut v))
        .expect("read");
    v
}
