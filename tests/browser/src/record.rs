//! What the page did, read back from the events the browser recorded: every request and
//! response, its uncaught exceptions, and axe-core's accessibility findings.

use serde_json::json;

use crate::{Browser, workspace_root};

impl Browser {
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
}
