//! The browser a test drives: which engine, how it starts, one command to it, and what works
//! the same in both (evaluate, navigate, scripts before the page's own, offline, screenshot).
//! The protocol halves are [`crate::cdp`] (Chromium) and [`crate::bidi`] (Firefox); what a
//! person does is [`crate::person`]; what the page did is [`crate::record`].

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Child;

use serde_json::{Value, json};

use crate::TempDir;
use crate::bidi::webdriver_http;

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

/// The page's browser, driven as a person would drive it: Chromium over the DevTools
/// protocol (CDP), Firefox ESR over WebDriver BiDi (geckodriver starts it). Both record
/// every request the page makes, its uncaught exceptions, and its downloads.
pub struct Browser {
    /// Which browser this is.
    pub engine: Engine,
    /// Chromium, or geckodriver (which owns Firefox).
    pub(crate) child: Child,
    pub(crate) ws: tungstenite::WebSocket<TcpStream>,
    /// Chromium: the page's DevTools session. Firefox: the BiDi browsing context.
    pub(crate) session: String,
    /// Firefox: geckodriver's port and WebDriver session id.
    pub(crate) webdriver: Option<(u16, String)>,
    pub(crate) next_id: u64,
    /// Every event received (CDP `Network.*`, BiDi `network.*`, …), in order.
    pub events: Vec<Value>,
    pub(crate) _profile: TempDir,
    /// Where downloads land.
    pub downloads: TempDir,
    /// The downloads `wait_download` returned already: a later call waits for a new one.
    pub(crate) taken: Vec<PathBuf>,
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

    pub(crate) fn raw_call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
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
