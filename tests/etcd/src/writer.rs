//! A client that keeps writing while the cluster is being changed: one unique key every
//! interval (50 ms by default) through etcd's JSON gateway (`/v3/kv/put`) with `curl`, over TLS
//! with a client certificate or over plain HTTP, optionally from inside a network namespace.
//! Each put is its own `curl` process and so its own TCP connection and TLS handshake: a member
//! that serves a broken certificate pair, even for a moment, fails a put.
//!
//! Like etcd's own client it sticks to one endpoint and moves to the next one after a failure,
//! and, like it, it retries at once a put that was never sent because the TLS handshake failed
//! (curl exit 35 or 58): such a retry is counted, not hidden. A certificate and key swapped
//! under a reader that opens them one after the other (etcd for each handshake, curl for
//! each put) can pair the new certificate with the old key for that one handshake: two
//! renames cannot be one, and `renew.sh` explains the window.
//! It records every attempt with its wall-clock time (seconds since the epoch, comparable with
//! `date +%s.%N` in a script), so a test can blame each failure on a restart and say how long
//! the cluster accepted no write. [`verify_all_acked`] reads every acknowledged key back.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// The files of a TLS client, as in a bundle's `clients/<name>/` folder.
#[derive(Clone, Debug)]
pub struct ClientTls {
    /// `ca.crt`.
    pub ca: PathBuf,
    /// `client.crt`.
    pub cert: PathBuf,
    /// `client.key`.
    pub key: PathBuf,
}

impl ClientTls {
    /// The three files of a client folder (`clients/<name>/` of a bundle).
    pub fn from_folder(dir: &std::path::Path) -> ClientTls {
        ClientTls {
            ca: dir.join("ca.crt"),
            cert: dir.join("client.crt"),
            key: dir.join("client.key"),
        }
    }
}

/// How to reach the cluster: endpoints (`https://198.18.90.1:2379`), the client's files (none
/// for plain HTTP) and the network namespace to run `curl` in (none: this one).
#[derive(Clone, Debug)]
pub struct Target {
    /// Client URLs, tried in order; the writer stays on one until it fails.
    pub endpoints: Vec<String>,
    /// The client certificate, key and CA; `None` for `http://` endpoints.
    pub tls: Option<ClientTls>,
    /// `ip netns` name to run in (through `nsenter --net`), e.g. to reach a member's loopback
    /// listener.
    pub netns: Option<String>,
}

impl Target {
    /// `curl` with this target's namespace, TLS files and a total time limit.
    fn curl(&self, timeout: Duration) -> Command {
        let mut c = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net=/run/netns/{ns}")).arg("curl");
                c
            }
            None => Command::new("curl"),
        };
        c.args(["-sS", "--max-time"])
            .arg(format!("{:.1}", timeout.as_secs_f64()));
        if let Some(t) = &self.tls {
            c.arg("--cacert")
                .arg(&t.ca)
                .arg("--cert")
                .arg(&t.cert)
                .arg("--key")
                .arg(&t.key);
        }
        c.stdin(Stdio::null());
        c
    }
}

/// One put: when it returned, which key, through which endpoint, and what happened.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// Seconds since the epoch when the answer (or the failure) came.
    pub at: f64,
    /// The key written, e.g. `/w/000042`.
    pub key: String,
    /// The endpoint used.
    pub endpoint: String,
    /// Whether etcd acknowledged the write (answered with a revision).
    pub ok: bool,
    /// curl's error or etcd's answer when not acknowledged (at most 300 characters).
    pub error: String,
    /// The error of a first try that never reached etcd (a failed TLS handshake) and was
    /// retried at once; empty when the first try was the only one.
    pub retried: String,
}

/// What a writer did, once stopped.
#[derive(Clone, Debug)]
pub struct WriterReport {
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// When the writer started and stopped (seconds since the epoch).
    pub started: f64,
    /// See `started`.
    pub stopped: f64,
}

impl WriterReport {
    /// The keys etcd acknowledged, in order.
    pub fn acked(&self) -> Vec<String> {
        self.attempts
            .iter()
            .filter(|a| a.ok)
            .map(|a| a.key.clone())
            .collect()
    }
    /// How many writes were acknowledged.
    pub fn acked_count(&self) -> usize {
        self.attempts.iter().filter(|a| a.ok).count()
    }
    /// How many writes failed (timed out, refused, or answered with an error).
    pub fn failed_count(&self) -> usize {
        self.attempts.iter().filter(|a| !a.ok).count()
    }
    /// The failed attempts.
    pub fn failures(&self) -> Vec<&Attempt> {
        self.attempts.iter().filter(|a| !a.ok).collect()
    }
    /// The failed attempts other than a timeout (curl's 2 s limit, which a busy shared machine
    /// can hit): a refused, cut or rejected connection, or an error answer.
    pub fn refusals(&self) -> Vec<&Attempt> {
        self.failures()
            .into_iter()
            .filter(|a| !a.error.starts_with("curl: (28)"))
            .collect()
    }
    /// The puts whose first try failed its TLS handshake and were tried again.
    pub fn retried(&self) -> Vec<&Attempt> {
        self.attempts
            .iter()
            .filter(|a| !a.retried.is_empty())
            .collect()
    }
    /// The longest time without an acknowledged write: between two consecutive acks, and
    /// from the start to the first ack and from the last ack to the stop, so that a writer
    /// that stopped succeeding is not reported as smooth.
    pub fn longest_gap(&self) -> Duration {
        let mut last = self.started;
        let mut longest = 0.0f64;
        for a in self.attempts.iter().filter(|a| a.ok) {
            longest = longest.max(a.at - last);
            last = a.at;
        }
        longest = longest.max(self.stopped - last);
        Duration::from_secs_f64(longest.max(0.0))
    }
    /// Runs of consecutive failures: each run's first and last failure time.
    pub fn failure_windows(&self) -> Vec<(f64, f64)> {
        let mut runs: Vec<(f64, f64)> = Vec::new();
        let mut in_run = false;
        for a in &self.attempts {
            if a.ok {
                in_run = false;
            } else if in_run {
                runs.last_mut().expect("run").1 = a.at;
            } else {
                runs.push((a.at, a.at));
                in_run = true;
            }
        }
        runs
    }
    /// The attempts that ended between `from` and `to` (seconds since the epoch), as if the
    /// writer had run only then: the figures of one operation.
    pub fn between(&self, from: f64, to: f64) -> WriterReport {
        WriterReport {
            attempts: self
                .attempts
                .iter()
                .filter(|a| a.at >= from && a.at <= to)
                .cloned()
                .collect(),
            started: from,
            stopped: to,
        }
    }
    /// `longest_gap_ms=… acked=… failed=… handshake_retries=…`, for a test's summary line.
    pub fn summary(&self) -> String {
        format!(
            "longest_gap_ms={} acked={} failed={} handshake_retries={}",
            self.longest_gap().as_millis(),
            self.acked_count(),
            self.failed_count(),
            self.retried().len()
        )
    }
}

/// A running writer; stopped (and its thread joined) by [`Writer::stop`] or when dropped.
pub struct Writer {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    attempts: Arc<Mutex<Vec<Attempt>>>,
    thread: Option<JoinHandle<()>>,
    started: f64,
}

/// The writer's settings beyond the target.
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Keys are `<prefix><n:06>`, n from 1.
    pub prefix: String,
    /// Time between the starts of two puts (a slow put delays the next one, no burst after).
    pub interval: Duration,
    /// One put's time limit.
    pub timeout: Duration,
    /// A bound on the number of puts, so a forgotten writer ends.
    pub max_puts: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            prefix: "/w/".into(),
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(2),
            max_puts: 40_000,
        }
    }
}

/// Seconds since the epoch, now.
pub fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Writer {
    /// Starts writing at once, in a thread.
    pub fn start(target: Target, opts: WriterOptions) -> Writer {
        assert!(!target.endpoints.is_empty(), "a writer needs an endpoint");
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let started = epoch_now();
        let thread = {
            let (stop, acked, attempts) = (stop.clone(), acked.clone(), attempts.clone());
            std::thread::spawn(move || {
                let mut current = 0usize;
                for n in 1..=opts.max_puts {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let began = Instant::now();
                    let key = format!("{}{n:06}", opts.prefix);
                    let endpoint = target.endpoints[current].clone();
                    let mut retried = String::new();
                    let (mut ok, mut error, code) = put(&target, &endpoint, &key, opts.timeout);
                    if !ok && matches!(code, Some(35 | 58)) {
                        retried = error;
                        (ok, error, _) = put(&target, &endpoint, &key, opts.timeout);
                    }
                    let at = epoch_now();
                    if ok {
                        acked.fetch_add(1, Ordering::SeqCst);
                    } else {
                        current = (current + 1) % target.endpoints.len();
                    }
                    attempts.lock().expect("attempts").push(Attempt {
                        at,
                        key,
                        endpoint,
                        ok,
                        error,
                        retried,
                    });
                    if let Some(rest) = opts.interval.checked_sub(began.elapsed()) {
                        std::thread::sleep(rest);
                    }
                }
            })
        };
        Writer {
            stop,
            acked,
            attempts,
            thread: Some(thread),
            started,
        }
    }

    /// Acknowledged writes so far.
    pub fn acked(&self) -> usize {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits (bounded) until `n` more writes than now have been acknowledged: the cluster
    /// takes writes again. Returns whether they were.
    pub fn wait_for_acks(&self, n: usize, limit: Duration) -> bool {
        let want = self.acked() + n;
        crate::wait_until(limit, || self.acked() >= want)
    }

    /// Stops after the put in flight and reports.
    pub fn stop(mut self) -> WriterReport {
        self.halt();
        let attempts = std::mem::take(&mut *self.attempts.lock().expect("attempts"));
        WriterReport {
            attempts,
            started: self.started,
            stopped: epoch_now(),
        }
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.halt();
    }
}

/// One put through the JSON gateway: acknowledged when etcd answers with a revision; with
/// the error text and curl's exit code when not (35: the TLS handshake failed, 58: curl could
/// not use the client certificate and key, so the put never left).
fn put(
    target: &Target,
    endpoint: &str,
    key: &str,
    timeout: Duration,
) -> (bool, String, Option<i32>) {
    let body = format!(
        r#"{{"key":"{}","value":"{}"}}"#,
        base64(key.as_bytes()),
        base64(format!("v{key}").as_bytes())
    );
    let out = target
        .curl(timeout)
        .args(["-X", "POST"])
        .arg(format!("{endpoint}/v3/kv/put"))
        .args(["-d", &body])
        .output();
    match out {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            if o.status.success() && text.contains("\"revision\"") {
                (true, String::new(), Some(0))
            } else {
                let all = format!("{text} {}", String::from_utf8_lossy(&o.stderr));
                (
                    false,
                    all.trim().replace('\n', " ").chars().take(300).collect(),
                    o.status.code(),
                )
            }
        }
        Err(e) => (false, format!("cannot run curl: {e}"), None),
    }
}

/// The keys of `acked` that `target` (its first endpoint) does not hold, read back with one
/// range request per prefix of the keys (keys only). Panics when the read itself fails.
pub fn verify_all_acked(acked: &[String], target: &Target) -> Vec<String> {
    let mut prefixes: Vec<String> = acked
        .iter()
        .map(|k| k.trim_end_matches(|c: char| c.is_ascii_digit()).to_string())
        .collect();
    prefixes.sort();
    prefixes.dedup();
    let mut stored = std::collections::BTreeSet::new();
    for prefix in &prefixes {
        let body = format!(
            r#"{{"key":"{}","range_end":"{}","keys_only":true}}"#,
            base64(prefix.as_bytes()),
            base64(&prefix_end(prefix.as_bytes()))
        );
        let endpoint = &target.endpoints[0];
        let o = target
            .curl(Duration::from_secs(20))
            .args(["-X", "POST"])
            .arg(format!("{endpoint}/v3/kv/range"))
            .args(["-d", &body])
            .output()
            .expect("run curl");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "reading {prefix} back through {endpoint} failed: {text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("range answer is not JSON ({e}): {text}"));
        for kv in v["kvs"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(k) = kv["key"].as_str() {
                stored.insert(k.to_string());
            }
        }
    }
    acked
        .iter()
        .filter(|k| !stored.contains(&base64(k.as_bytes())))
        .cloned()
        .collect()
}

/// The end of the range of keys starting with `prefix` (etcd's `--prefix`).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// Standard base64 with padding (what the JSON gateway takes for bytes).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"/w/000001"), "L3cvMDAwMDAx");
        assert_eq!(prefix_end(b"/w/"), b"/w0");
    }

    #[test]
    fn gaps_count_the_ends() {
        let a = |at: f64, ok: bool| Attempt {
            at,
            key: String::new(),
            endpoint: String::new(),
            ok,
            error: String::new(),
            retried: String::new(),
        };
        let r = WriterReport {
            attempts: vec![a(1.0, true), a(1.1, false), a(1.2, false), a(2.5, true)],
            started: 0.9,
            stopped: 2.6,
        };
        assert_eq!(r.longest_gap().as_millis(), 1500);
        assert_eq!(r.failure_windows(), vec![(1.1, 1.2)]);
        let r = WriterReport { stopped: 9.0, ..r };
        assert_eq!(r.longest_gap().as_millis(), 6500);
    }
}
