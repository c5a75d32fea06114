//! Firefox ESR over WebDriver BiDi: geckodriver (its HTTP side starts the session, its
//! WebSocket side carries BiDi), a quiet profile, and the BiDi forms of evaluate and keys.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::{Browser, Engine, TempDir};

/// geckodriver from crates.io (scripts/setup.sh installs the pinned version).
pub(crate) fn geckodriver_path() -> PathBuf {
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
pub(crate) fn webdriver_http(port: u16, method: &str, path: &str, body: &Value) -> Value {
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
pub(crate) fn firefox_prefs(downloads: &Path) -> Value {
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

impl Browser {
    pub(crate) fn start_firefox() -> Browser {
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

    pub(crate) fn bidi_evaluate(&mut self, expression: &str, ownership: &str) -> Value {
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

    pub(crate) fn key_actions(&mut self, actions: Vec<Value>) {
        let ctx = self.session.clone();
        self.call(
            "input.performActions",
            json!({"context": ctx, "actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }
}
