//! What a person does with the page: open it, type into a field, click, press keys, move the
//! focus with Tab, pick a file, protect the CA key, generate, and wait for a result or a
//! download. Each action waits as a person would (until the thing is there), within a limit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Browser, Engine};

impl Browser {
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

    /// Types `passphrase` into both CA key passphrase fields, as a person must before the
    /// first generation of a real cluster; and, when the page shows them (a root+issuing
    /// bundle, the default layout), into both root key passphrase fields too
    /// ([`Browser::protect_root_key`] types another).
    pub fn protect_ca_key(&mut self, passphrase: &str) {
        self.type_into("#ca-passphrase", passphrase);
        self.type_into("#ca-passphrase-confirm", passphrase);
        if self.eval("!!document.querySelector('#root-passphrase')") == json!(true) {
            self.protect_root_key(passphrase);
        }
    }

    /// Types `passphrase` into both root key passphrase fields (root+issuing: the root key is
    /// always encrypted).
    pub fn protect_root_key(&mut self, passphrase: &str) {
        self.type_into("#root-passphrase", passphrase);
        self.type_into("#root-passphrase-confirm", passphrase);
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
