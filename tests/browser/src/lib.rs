//! Drives the built page in real browsers: headless Chromium over the DevTools protocol and
//! headless Firefox ESR over WebDriver BiDi (started by geckodriver). A static server for
//! `dist/` on 127.0.0.1 (or Debian's nginx with the published configuration, [`Nginx`]), a
//! browser with a fresh profile and a download folder, and helpers that act as a person
//! would (type into a field, click, press Tab, wait for text). Every network request the
//! page makes is recorded.

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

/// Debian's nginx serving a copy of `dir` on 127.0.0.1 with the published configuration,
/// `deploy/nginx/etcd-pki.conf`, included in a `server {}` as README "Publish the page"
/// says. It runs in the foreground (`daemon off`) with its own prefix, pid file, logs and
/// temporary folders under /tmp, and is stopped when dropped.
pub struct Nginx {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    child: Child,
    /// Its prefix: nginx.conf, error.log, access.log, temporary folders.
    pub prefix: TempDir,
}

impl Nginx {
    /// Starts nginx for `dir` with `deploy/nginx/etcd-pki.conf`.
    pub fn serve(dir: &Path) -> Nginx {
        let snippet = workspace_root().join("deploy/nginx/etcd-pki.conf");
        let mut last = String::new();
        // A free port is picked by binding to port 0; another process may take it before nginx
        // does, so try a few.
        for _ in 0..5 {
            let prefix = TempDir::new("nginx");
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let p = prefix.0.display().to_string();
            let conf = format!(
                "daemon off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/error.log info;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n\
                 access_log {p}/access.log;\n  client_body_temp_path {p}/client_body;\n\
                 proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n\
                 scgi_temp_path {p}/scgi;\n\
                 server {{\n    listen 127.0.0.1:{port};\n    server_name localhost;\n    root {root};\n\
                 include {snippet};\n  }}\n}}\n",
                root = dir.display(),
                snippet = snippet.display(),
            );
            std::fs::write(prefix.0.join("nginx.conf"), conf).expect("write nginx.conf");
            let mut child = Command::new("/usr/sbin/nginx")
                .arg("-p")
                .arg(&prefix.0)
                .arg("-c")
                .arg(prefix.0.join("nginx.conf"))
                .arg("-e")
                .arg(prefix.0.join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start /usr/sbin/nginx (./scripts/setup.sh installs Debian's nginx)");
            let start = Instant::now();
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    err.push_str(
                        &std::fs::read_to_string(prefix.0.join("error.log")).unwrap_or_default(),
                    );
                    last = format!("nginx exited ({status}): {err}");
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Nginx {
                        url: format!("http://127.0.0.1:{port}/"),
                        port,
                        child,
                        prefix,
                    };
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "nginx did not listen within 10 s"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            if !last.contains("Address already in use") {
                break;
            }
        }
        panic!("{last}");
    }

    /// One GET: (status, headers with lower-case names, body).
    pub fn get(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        http_get(self.port, path)
    }

    /// One GET as a browser asks (`Accept-Encoding: gzip`): the response headers.
    pub fn get_gzip_headers(&self, path: &str) -> Vec<(String, String)> {
        http_request(self.port, path, "Accept-Encoding: gzip\r\n").1
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its worker too (SIGKILL would leave the worker behind).
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET to 127.0.0.1:`port`: (status, headers with lower-case names, body).
/// No compression is asked for, so the body is the file.
pub fn http_get(port: u16, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    http_request(port, path, "")
}

fn http_request(port: u16, path: &str, extra: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let n =
                usize::from_str_radix(String::from_utf8_lossy(&rest[..nl]).trim(), 16).unwrap_or(0);
            if n == 0 || rest.len() < nl + 2 + n {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[(nl + 2 + n + 2).min(rest.len())..];
        }
        body = out;
    }
    (status, headers, body)
}

/// Which browser a test drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Debian's `chromium`, over the DevTools protocol.
    Chromium,
    /// Debian's `firefox-esr`, started by geckodriver and driven over WebDriver BiDi.
    Firefox,
}

impl Engine {
    /// "Chromium" or "Firefox ESR".
    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "Chromium",
            Engine::Firefox => "Firefox ESR",
        }
    }
}

/// Runs one test function in each browser: `in_both_browsers!(flow);` makes the tests
/// `flow::chromium` and `flow::firefox`, each calling `flow(Engine::…)`. Filter a run with
/// `-- firefox` or `-- chromium`.
#[macro_export]
macro_rules! in_both_browsers {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[test]
            fn chromium() {
                super::$name($crate::Engine::Chromium)
            }
            #[test]
            fn firefox() {
                super::$name($crate::Engine::Firefox)
            }
        }
    )+};
}

/// geckodriver from crates.io (scripts/setup.sh installs the pinned version).
fn geckodriver_path() -> PathBuf {
    if let Some(p) = std::env::var_os("GECKODRIVER") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    let p = home.join("bin/geckodriver");
    if p.exists() {
        p
    } else {
        PathBuf::from("geckodriver")
    }
}

/// One HTTP/1.1 request to geckodriver (JSON in, JSON out).
fn webdriver_http(port: u16, method: &str, path: &str, body: &Value) -> Value {
    let body = body.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to geckodriver");
    s.set_read_timeout(Some(Duration::from_secs(90))).ok();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write to geckodriver");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // Size line, data, CRLF, ... 0.
        let mut out = String::new();
        let mut r = rest;
        while let Some((size, tail)) = r.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || tail.len() < n {
                break;
            }
            out.push_str(&tail[..n]);
            r = tail[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        rest.to_string()
    };
    serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("geckodriver {method} {path}: {e}: {text}"))
}

/// Firefox preferences for a quiet, scriptable profile: downloads land in `downloads`
/// without a prompt, and Firefox's own background traffic (updates, telemetry, remote
/// settings, captive-portal probes) is off, so every request recorded is the page's.
fn firefox_prefs(downloads: &Path) -> Value {
    json!({
        "browser.download.dir": downloads.display().to_string(),
        "browser.download.folderList": 2,
        "browser.download.useDownloadDir": true,
        "browser.download.always_ask_before_handling_new_types": false,
        "browser.download.manager.showWhenStarting": false,
        "browser.download.alwaysOpenPanel": false,
        "browser.download.start_downloads_in_tmp_dir": false,
        "browser.helperApps.neverAsk.saveToDisk": "application/zip,application/json,application/x-pem-file,application/octet-stream,text/plain",
        "pdfjs.disabled": true,
        "app.update.enabled": false,
        "app.normandy.enabled": false,
        "browser.safebrowsing.malware.enabled": false,
        "browser.safebrowsing.phishing.enabled": false,
        "browser.safebrowsing.downloads.enabled": false,
        "browser.safebrowsing.blockedURIs.enabled": false,
        "browser.safebrowsing.provider.mozilla.updateURL": "",
        "browser.shell.checkDefaultBrowser": false,
        "browser.startup.homepage_override.mstone": "ignore",
        "browser.newtabpage.enabled": false,
        "browser.topsites.contile.enabled": false,
        "browser.region.network.url": "",
        "browser.search.geoip.url": "",
        "datareporting.healthreport.uploadEnabled": false,
        "datareporting.policy.dataSubmissionEnabled": false,
        "toolkit.telemetry.enabled": false,
        "toolkit.telemetry.server": "",
        "network.captive-portal-service.enabled": false,
        "network.connectivity-service.enabled": false,
        "network.dns.disablePrefetch": true,
        "network.prefetch-next": false,
        "network.http.speculative-parallel-limit": 0,
        "services.settings.server": "",
        "extensions.update.enabled": false,
        "extensions.getAddons.cache.enabled": false,
        "extensions.systemAddon.update.enabled": false,
        "media.gmp-manager.url": "",
        "messaging-system.rsexperimentloader.enabled": false,
        "nimbus.rsexperimentloader.enabled": false,
        "privacy.antitracking.isWebCompatEnabled": false,
    })
}

/// The page's browser, driven as a person would drive it: Chromium over the DevTools
/// protocol (CDP), Firefox ESR over WebDriver BiDi (geckodriver starts it). Both record
/// every request the page makes, its uncaught exceptions, and its downloads.
pub struct Browser {
    /// Which browser this is.
    pub engine: Engine,
    /// Chromium, or geckodriver (which owns Firefox).
    child: Child,
    ws: tungstenite::WebSocket<TcpStream>,
    /// Chromium: the page's DevTools session. Firefox: the BiDi browsing context.
    session: String,
    /// Firefox: geckodriver's port and WebDriver session id.
    webdriver: Option<(u16, String)>,
    next_id: u64,
    /// Every event received (CDP `Network.*`, BiDi `network.*`, …), in order.
    pub events: Vec<Value>,
    _profile: TempDir,
    /// Where downloads land.
    pub downloads: TempDir,
    /// The downloads `wait_download` returned already: a later call waits for a new one.
    taken: Vec<PathBuf>,
}

impl Browser {
    /// Starts headless Chromium (1280×1000) with a fresh profile on `about:blank`.
    pub fn start() -> Browser {
        Browser::launch(Engine::Chromium)
    }

    /// Starts `engine` headless (1280×1000) with a fresh profile on `about:blank`.
    pub fn launch(engine: Engine) -> Browser {
        match engine {
            Engine::Chromium => Browser::start_chromium(),
            Engine::Firefox => Browser::start_firefox(),
        }
    }

    fn start_chromium() -> Browser {
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
            engine: Engine::Chromium,
            child,
            ws,
            session: String::new(),
            webdriver: None,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
            downloads,
            taken: Vec::new(),
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

    fn start_firefox() -> Browser {
        let profile = TempDir::new("firefox-profile");
        let downloads = TempDir::new("downloads");
        let gd = geckodriver_path();
        let mut child = Command::new(&gd)
            .args(["--port", "0", "--websocket-port", "0", "--log", "info"])
            .arg("--profile-root")
            .arg(&profile.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "start {} ({e}): ./scripts/setup.sh installs geckodriver from crates.io",
                    gd.display()
                )
            });
        // geckodriver says where it listens; Firefox's console goes to the same pipe, which
        // must keep being read or both would block on a full pipe.
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .split("Listening on 127.0.0.1:")
                    .nth(1)
                    .and_then(|p| p.trim().parse::<u16>().ok())
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(port);
                }
                if std::env::var_os("E2E_BROWSER_LOG").is_some() {
                    eprintln!("firefox: {line}");
                }
            }
        });
        // Until the Browser exists (whose Drop stops geckodriver), a failure must stop it here.
        let fail = |child: &mut Child, why: String| -> ! {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{why}");
        };
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => port,
            Err(e) => fail(
                &mut child,
                format!("geckodriver did not say where it listens: {e}"),
            ),
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "firefox",
            "webSocketUrl": true,
            "unhandledPromptBehavior": "ignore",
            "moz:firefoxOptions": {
                "binary": "/usr/bin/firefox-esr",
                "args": ["-headless", "--width=1280", "--height=1000"],
                "prefs": firefox_prefs(&downloads.0),
            },
        }}});
        let r = webdriver_http(port, "POST", "/session", &caps);
        let (Some(session_id), Some(ws_url)) = (
            r["value"]["sessionId"].as_str().map(String::from),
            r["value"]["capabilities"]["webSocketUrl"]
                .as_str()
                .map(String::from),
        ) else {
            fail(
                &mut child,
                format!(
                    "geckodriver could not start Firefox with WebDriver BiDi (./scripts/setup.sh installs firefox-esr): {r}"
                ),
            )
        };
        let hostport = ws_url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let stream = TcpStream::connect(&hostport).expect("WebDriver BiDi port");
        stream.set_read_timeout(Some(Duration::from_secs(90))).ok();
        let (ws, _) = tungstenite::client(ws_url.as_str(), stream).expect("BiDi websocket");
        let mut b = Browser {
            engine: Engine::Firefox,
            child,
            ws,
            session: String::new(),
            webdriver: Some((port, session_id)),
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
            downloads,
            taken: Vec::new(),
        };
        let tree = b.call("browsingContext.getTree", json!({}));
        b.session = tree["contexts"][0]["context"]
            .as_str()
            .expect("a browsing context")
            .to_string();
        b.call(
            "session.subscribe",
            json!({"events": ["network.beforeRequestSent", "network.responseCompleted", "network.fetchError", "log.entryAdded"]}),
        );
        let ctx = b.session.clone();
        b.call(
            "browsingContext.setViewport",
            json!({"context": ctx, "viewport": {"width": 1280, "height": 1000}}),
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
        let who = self.engine.name();
        self.ws
            .send(tungstenite::Message::text(msg.to_string()))
            .unwrap_or_else(|e| panic!("send {method} to {who}: {e}"));
        loop {
            let m = self
                .ws
                .read()
                .unwrap_or_else(|e| panic!("{method}: no answer from {who}: {e}"));
            let tungstenite::Message::Text(t) = m else {
                continue;
            };
            let v: Value = serde_json::from_str(&t).expect("protocol JSON");
            if v["id"] == json!(id) {
                if let Some(err) = v.get("error") {
                    panic!("{method} failed in {who}: {err} {}", v["message"]);
                }
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// A browser-level command (CDP for Chromium, WebDriver BiDi for Firefox).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.raw_call(method, params, None)
    }

    /// A DevTools command to the page (Chromium only).
    pub fn send(&mut self, method: &str, params: Value) -> Value {
        assert_eq!(
            self.engine,
            Engine::Chromium,
            "{method} is a DevTools command"
        );
        let session = self.session.clone();
        self.raw_call(method, params, Some(&session))
    }

    /// Attaches to the page's Web Workers (those running and those started later) and
    /// returns the DevTools sessions of the ones attached so far (Chromium only).
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

    /// Whether the worker of `session` has gone (terminated or crashed; Chromium only).
    pub fn worker_gone(&mut self, session: &str) -> bool {
        self.eval("1");
        self.events.iter().any(|e| {
            e["method"] == "Target.detachedFromTarget" && e["params"]["sessionId"] == json!(session)
        })
    }

    /// Evaluates `js` inside a worker (a session from [`Browser::worker_sessions`]), awaiting
    /// promises: the test's own hook into the worker, nothing the page ships (Chromium only).
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

    /// Evaluates the expression `js` in the page (awaiting promises) and returns its value
    /// as JSON (`null` for `undefined`).
    pub fn eval(&mut self, js: &str) -> Value {
        match self.engine {
            Engine::Chromium => {
                let r = self.send(
                    "Runtime.evaluate",
                    json!({"expression": js, "returnByValue": true, "awaitPromise": true, "userGesture": true}),
                );
                if let Some(ex) = r.get("exceptionDetails") {
                    panic!("page script failed: {js}\n{ex}");
                }
                r["result"]["value"].clone()
            }
            Engine::Firefox => {
                // BiDi returns its own serialization of values; JSON is simpler to compare.
                let wrapped = format!(
                    "(async () => {{ const v = await (\n{js}\n); return v === undefined ? undefined : JSON.stringify(v); }})()"
                );
                let r = self.bidi_evaluate(&wrapped, "none");
                match r["result"]["type"].as_str() {
                    Some("string") => serde_json::from_str(r["result"]["value"].as_str().unwrap())
                        .expect("JSON from the page"),
                    _ => Value::Null,
                }
            }
        }
    }

    fn bidi_evaluate(&mut self, expression: &str, ownership: &str) -> Value {
        let ctx = self.session.clone();
        let r = self.call(
            "script.evaluate",
            json!({"expression": expression, "target": {"context": ctx}, "awaitPromise": true,
                   "resultOwnership": ownership, "userActivation": true}),
        );
        if r["type"] == "exception" {
            let short: String = expression.chars().take(400).collect();
            panic!("page script failed: {short}\n{}", r["exceptionDetails"]);
        }
        r
    }

    /// Runs `source` as a classic script in the page (e.g. a test library such as axe-core),
    /// outside the page's Content-Security-Policy, as a browser's devtools would.
    pub fn run_script(&mut self, source: &str) {
        match self.engine {
            Engine::Chromium => {
                let r = self.send(
                    "Runtime.evaluate",
                    json!({"expression": source, "returnByValue": true}),
                );
                if let Some(ex) = r.get("exceptionDetails") {
                    panic!("script failed: {ex}");
                }
            }
            Engine::Firefox => {
                self.bidi_evaluate(source, "none");
            }
        }
    }

    /// Runs `js` (statements) in every page opened from now on, before the page's own
    /// scripts: e.g. to take away an API and see how the page copes.
    pub fn before_page_scripts(&mut self, js: &str) {
        match self.engine {
            Engine::Chromium => {
                self.send(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({"source": js}),
                );
            }
            Engine::Firefox => {
                let ctx = self.session.clone();
                self.call(
                    "script.addPreloadScript",
                    json!({"functionDeclaration": format!("() => {{ {js} }}"), "contexts": [ctx]}),
                );
            }
        }
    }

    /// Takes the page off the network (or back on).
    pub fn set_offline(&mut self, offline: bool) {
        match self.engine {
            Engine::Chromium => {
                self.send(
                    "Network.emulateNetworkConditions",
                    json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
                );
            }
            Engine::Firefox => {
                let ctx = self.session.clone();
                let conditions = if offline {
                    json!({"type": "offline"})
                } else {
                    Value::Null
                };
                self.call(
                    "emulation.setNetworkConditions",
                    json!({"networkConditions": conditions, "contexts": [ctx]}),
                );
            }
        }
    }

    /// Navigates to `url` (waiting for its load) without waiting for anything in it.
    pub fn navigate(&mut self, url: &str) {
        match self.engine {
            Engine::Chromium => {
                self.send("Page.navigate", json!({"url": url}));
            }
            Engine::Firefox => {
                let ctx = self.session.clone();
                self.call(
                    "browsingContext.navigate",
                    json!({"context": ctx, "url": url, "wait": "complete"}),
                );
            }
        }
    }

    /// Opens `url` and waits until the app has rendered `ready_selector`.
    pub fn open(&mut self, url: &str, ready_selector: &str) {
        self.navigate(url);
        self.wait_for(
            &format!("!!document.querySelector({ready_selector:?})"),
            Duration::from_secs(30),
            "the page to render",
        );
    }

    /// Clicks Generate once it is enabled and waits (up to `limit`) for the result's summary.
    pub fn generate(&mut self, limit: Duration) {
        self.wait_for(
            "!document.querySelector('#generate').disabled",
            limit,
            "Generate enabled",
        );
        self.click("#generate");
        self.wait_result(limit, "generation");
    }

    /// Waits (up to `limit`, naming `what`) until a finished run is fully drawn: its summary
    /// and the file tree. The page draws the summary in the task that receives the bundle and
    /// each panel below it (diagram, next steps, files) a task later, so a test that looks for
    /// a file right after the summary appears can miss it.
    pub fn wait_result(&mut self, limit: Duration, what: &str) {
        self.wait_for(
            "document.querySelector('#result-summary') && document.querySelector('[data-testid=file-tree]')",
            limit,
            what,
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
                "{}: timed out after {limit:?} waiting for {what}",
                self.engine.name()
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

    /// Presses one key on the keyboard: `Tab`, `Shift+Tab`, `Enter`, `Space`, `Escape`,
    /// `Backspace`, `ArrowUp`/`Down`/`Left`/`Right`, `Home`, `End`.
    pub fn press(&mut self, key: &str) {
        let (shift, key) = match key.strip_prefix("Shift+") {
            Some(k) => (true, k),
            None => (false, key),
        };
        // (DOM key, DOM code, Windows key code, text, WebDriver key)
        let (dom_key, code, vk, text, wd) = match key {
            "Tab" => ("Tab", "Tab", 9, "", "\u{E004}"),
            "Enter" => ("Enter", "Enter", 13, "\r", "\u{E007}"),
            "Space" => (" ", "Space", 32, " ", " "),
            "Escape" => ("Escape", "Escape", 27, "", "\u{E00C}"),
            "Backspace" => ("Backspace", "Backspace", 8, "", "\u{E003}"),
            "ArrowUp" => ("ArrowUp", "ArrowUp", 38, "", "\u{E013}"),
            "ArrowDown" => ("ArrowDown", "ArrowDown", 40, "", "\u{E015}"),
            "ArrowLeft" => ("ArrowLeft", "ArrowLeft", 37, "", "\u{E012}"),
            "ArrowRight" => ("ArrowRight", "ArrowRight", 39, "", "\u{E014}"),
            "Home" => ("Home", "Home", 36, "", "\u{E011}"),
            "End" => ("End", "End", 35, "", "\u{E010}"),
            other => panic!("press: no key {other:?}"),
        };
        match self.engine {
            Engine::Chromium => {
                let modifiers = if shift { 8 } else { 0 };
                if shift {
                    self.send("Input.dispatchKeyEvent", json!({"type": "rawKeyDown", "key": "Shift", "code": "ShiftLeft", "windowsVirtualKeyCode": 16, "modifiers": 8}));
                }
                let down = if text.is_empty() {
                    json!({"type": "rawKeyDown", "key": dom_key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers})
                } else {
                    json!({"type": "keyDown", "key": dom_key, "code": code, "windowsVirtualKeyCode": vk, "text": text, "unmodifiedText": text, "modifiers": modifiers})
                };
                self.send("Input.dispatchKeyEvent", down);
                self.send("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": dom_key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers}));
                if shift {
                    self.send("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": "Shift", "code": "ShiftLeft", "windowsVirtualKeyCode": 16}));
                }
            }
            Engine::Firefox => {
                let mut actions = Vec::new();
                if shift {
                    actions.push(json!({"type": "keyDown", "value": "\u{E008}"}));
                }
                actions.push(json!({"type": "keyDown", "value": wd}));
                actions.push(json!({"type": "keyUp", "value": wd}));
                if shift {
                    actions.push(json!({"type": "keyUp", "value": "\u{E008}"}));
                }
                self.key_actions(actions);
            }
        }
    }

    /// Types `text` on the keyboard into whatever has the focus.
    pub fn type_keys(&mut self, text: &str) {
        match self.engine {
            Engine::Chromium => {
                for ch in text.chars() {
                    let s = ch.to_string();
                    self.send(
                        "Input.dispatchKeyEvent",
                        json!({"type": "keyDown", "key": s, "text": s, "unmodifiedText": s}),
                    );
                    self.send("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": s}));
                }
            }
            Engine::Firefox => {
                let actions: Vec<Value> = text
                    .chars()
                    .flat_map(|c| {
                        [
                            json!({"type": "keyDown", "value": c.to_string()}),
                            json!({"type": "keyUp", "value": c.to_string()}),
                        ]
                    })
                    .collect();
                self.key_actions(actions);
            }
        }
    }

    fn key_actions(&mut self, actions: Vec<Value>) {
        let ctx = self.session.clone();
        self.call(
            "input.performActions",
            json!({"context": ctx, "actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// What has the keyboard focus: `#id`, else `[data-testid=…]`, else the tag and its text.
    pub fn focused(&mut self) -> String {
        self.eval("(() => { const e = document.activeElement; if (!e || e === document.body) return 'body'; if (e.id) return '#' + e.id; const t = e.getAttribute('data-testid'); if (t) return '[data-testid=' + t + ']'; return e.tagName.toLowerCase() + ' ' + (e.innerText || e.value || '').slice(0, 40); })()")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Whether the keyboard focus can be seen: `None` when the focused element (or, for a
    /// hidden file input, its label) shows an outline of at least 2px; else what is wrong.
    pub fn focus_ring_missing(&mut self) -> Option<String> {
        let r = self.eval(
            "(() => { let e = document.activeElement; if (!e || e === document.body) return 'nothing has the focus';
              const id = e.id ? '#' + e.id : (e.getAttribute('data-testid') || e.tagName);
              if (e.type === 'file' && e.id) { const l = document.querySelector('label[for=\"' + e.id + '\"]'); if (l) e = l; }
              const s = getComputedStyle(e); const r = e.getBoundingClientRect();
              const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
              return ring && r.width > 2 && r.height > 2 ? '' : id + ': outline ' + s.outlineStyle + ' ' + s.outlineWidth + ', ' + r.width + 'x' + r.height; })()",
        );
        r.as_str().filter(|s| !s.is_empty()).map(String::from)
    }

    /// Presses Tab (Shift+Tab when `back`) until the element matching `selector` has the
    /// focus; panics after `limit` presses, naming where the focus went, or as soon as a
    /// focused element shows no focus ring.
    pub fn tab_to(&mut self, selector: &str, back: bool, limit: usize) {
        let mut seen = Vec::new();
        for _ in 0..limit {
            if self.eval(&format!(
                "!!document.activeElement && document.activeElement.matches({selector:?})"
            )) == json!(true)
            {
                return;
            }
            self.press(if back { "Shift+Tab" } else { "Tab" });
            let now = self.focused();
            if now != "body"
                && let Some(missing) = self.focus_ring_missing()
            {
                panic!(
                    "{}: the focus is not visible on {missing} (after {})",
                    self.engine.name(),
                    seen.join(" → ")
                );
            }
            seen.push(now);
        }
        panic!(
            "{}: {selector} never got the focus in {limit} presses of Tab; the focus went: {}",
            self.engine.name(),
            seen.join(" → ")
        );
    }

    /// Sets the files of an `<input type=file>`.
    pub fn set_file(&mut self, selector: &str, file: &Path) {
        match self.engine {
            Engine::Chromium => {
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
            Engine::Firefox => {
                let r =
                    self.bidi_evaluate(&format!("document.querySelector({selector:?})"), "root");
                let shared = r["result"]["sharedId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no file input {selector}"))
                    .to_string();
                let ctx = self.session.clone();
                self.call(
                    "input.setFiles",
                    json!({"context": ctx, "element": {"sharedId": shared}, "files": [file.display().to_string()]}),
                );
            }
        }
    }

    /// Saves a PNG screenshot of the whole page.
    pub fn screenshot(&mut self, path: &Path) {
        use base64::Engine as _;
        let data = match self.engine {
            Engine::Chromium => self.send(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )["data"]
                .clone(),
            Engine::Firefox => {
                let ctx = self.session.clone();
                self.call(
                    "browsingContext.captureScreenshot",
                    json!({"context": ctx, "origin": "document"}),
                )["data"]
                    .clone()
            }
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
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
            .filter(|e| {
                e["method"] == "Network.requestWillBeSent"
                    || e["method"] == "network.beforeRequestSent"
            })
            .filter_map(|e| e["params"]["request"]["url"].as_str().map(String::from))
            .collect()
    }

    /// Every response the page received: (URL, HTTP status).
    pub fn responses(&self) -> Vec<(String, u64)> {
        self.events
            .iter()
            .filter(|e| {
                e["method"] == "Network.responseReceived"
                    || e["method"] == "network.responseCompleted"
            })
            .map(|e| {
                let r = &e["params"]["response"];
                (
                    r["url"].as_str().unwrap_or("").to_string(),
                    r["status"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    }

    /// The page's uncaught exceptions so far.
    pub fn exceptions(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| {
                let p = &e["params"];
                if e["method"] == "Runtime.exceptionThrown" {
                    Some(p["exceptionDetails"].to_string())
                } else if e["method"] == "log.entryAdded"
                    && p["type"] == "javascript"
                    && p["level"] == "error"
                    // Firefox reports a refused load (CSP) here too; Chromium, like a page,
                    // sees it only as a failed request.
                    && !p["text"]
                        .as_str()
                        .unwrap_or_default()
                        .starts_with("Content-Security-Policy")
                {
                    Some(p["text"].to_string())
                } else {
                    None
                }
            })
            .collect()
    }

    /// Runs axe-core (npm, `tools/node_modules`) on the page and returns its serious and
    /// critical violations, one line each: rule, impact, what it means, where.
    pub fn accessibility_violations(&mut self) -> Vec<String> {
        let src = workspace_root().join("tools/node_modules/axe-core/axe.min.js");
        if self.eval("typeof window.axe") != json!("object") {
            let text = std::fs::read_to_string(&src).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (./scripts/setup.sh installs axe-core into tools/)",
                    src.display()
                )
            });
            self.run_script(&text);
        }
        let found = self.eval(
            "axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
                    v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' [' + n.failureSummary.replace(/\\s+/g, ' ') + ']').join('; ')))",
        );
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Types `passphrase` into both CA key passphrase fields, as a person must before the
    /// first generation of a real cluster.
    pub fn protect_ca_key(&mut self, passphrase: &str) {
        self.type_into("#ca-passphrase", passphrase);
        self.type_into("#ca-passphrase-confirm", passphrase);
    }

    /// The file names of the downloads [`Browser::wait_download`] returned so far, in order
    /// (what the page named them).
    pub fn taken_names(&self) -> Vec<String> {
        self.taken
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect()
    }

    /// Waits for a finished download ending in `suffix` that no earlier call returned; returns
    /// its path. Finished means the browser's partial file is gone and the file is not empty.
    /// (A test that downloads twice gets the second file, not the first again.)
    pub fn wait_download(&mut self, suffix: &str, limit: Duration) -> PathBuf {
        let start = Instant::now();
        loop {
            let names: Vec<PathBuf> = std::fs::read_dir(&self.downloads.0)
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            let partial = names.iter().any(|p| {
                let n = p.to_string_lossy();
                n.ends_with(".part") || n.ends_with(".crdownload")
            });
            let found = names
                .iter()
                .filter(|p| !self.taken.contains(p))
                .find(|p| p.to_string_lossy().ends_with(suffix))
                .filter(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false));
            if let (Some(p), false) = (found, partial) {
                self.taken.push(p.clone());
                return p.clone();
            }
            assert!(
                start.elapsed() < limit,
                "{}: no *{suffix} download within {limit:?} (downloads: {names:?})",
                self.engine.name()
            );
            // Keep reading events meanwhile.
            self.eval("1");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some((port, id)) = self.webdriver.take() {
            // geckodriver closes Firefox and removes its profile.
            let _ = std::panic::catch_unwind(|| {
                webdriver_http(port, "DELETE", &format!("/session/{id}"), &json!({}))
            });
        }
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

/// A spec of `members` members (`etcd<i>`, addresses from `ip(i)`) and `clients` clients
/// (`client<i>`, etcd user `user<i>`), as JSON: for tests of large bundles.
pub fn wide_spec(
    cluster: &str,
    members: usize,
    clients: usize,
    ip: impl Fn(usize) -> String,
) -> String {
    let nodes: Vec<String> = (1..=members)
        .map(|i| format!(r#"{{"name": "etcd{i}", "ips": ["{}"]}}"#, ip(i)))
        .collect();
    let clients: Vec<String> = (1..=clients)
        .map(|i| format!(r#"{{"name": "client{i}", "common_name": "user{i}"}}"#))
        .collect();
    format!(
        r#"{{"cluster_name": "{cluster}", "nodes": [{}], "clients": [{}]}}"#,
        nodes.join(","),
        clients.join(",")
    )
}
