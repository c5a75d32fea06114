//! Chromium over the DevTools protocol (CDP): starting it with a fresh profile, commands to the
//! page's session, and the page's Web Workers (attach, evaluate inside, see them go).

use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Browser, Engine, TempDir};

impl Browser {
    pub(crate) fn start_chromium() -> Browser {
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
}
