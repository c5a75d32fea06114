//! The page's Doctor section, in Chromium and Firefox ESR: every case of the live-recorded
//! corpus (`tests/doctor-corpus/<class>/inputs/`) is dropped onto the section as files, as a
//! person would drag them from a folder, and the answer must name the case's class with its
//! fix, never be an all-clear, and come within 200 ms as the page measures it (from handing
//! the inputs to the key worker to having its answer). One case goes through the paste box and
//! the file picker instead. The ratios and the slowest answer are printed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use e2e_browser::{Browser, Engine, Site, in_both_browsers, site_dir, workspace_root};
use serde_json::json;

const SECS: Duration = Duration::from_secs(30);

in_both_browsers!(doctor_names_the_culprit_of_each_corpus_case);

fn corpus() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("tests/doctor-corpus"))
        .expect("tests/doctor-corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    dirs
}

fn files_of(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("inputs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
}

/// What the page answered: classes, error count, the report text, the page's milliseconds.
struct Answer {
    classes: Vec<String>,
    errors: u64,
    text: String,
    page_ms: f64,
}

/// Clicks Diagnose and waits for answer number `n`.
fn ask(b: &mut Browser, n: u64) -> Answer {
    b.click("#doctor-run");
    b.wait_for(
        &format!("document.querySelector('#doctor-answer')?.dataset.answers === '{n}'"),
        SECS,
        "the doctor's answer",
    );
    let v = b.eval(
        "(() => { const a = document.querySelector('#doctor-answer'); return { classes: a.dataset.classes, errors: a.dataset.errors, ms: a.dataset.pageMs, text: a.querySelector('[data-testid=doctor-report]').innerText }; })()",
    );
    Answer {
        classes: v["classes"]
            .as_str()
            .unwrap()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        errors: v["errors"].as_str().unwrap().parse().unwrap(),
        text: v["text"].as_str().unwrap().to_string(),
        page_ms: v["ms"].as_str().unwrap().parse().unwrap(),
    }
}

/// Drops `files` onto the Doctor section as one drag from a file manager would.
fn drop_files(b: &mut Browser, files: &[PathBuf]) {
    let list: Vec<serde_json::Value> = files
        .iter()
        .map(|p| {
            json!([
                p.file_name().unwrap().to_string_lossy(),
                base64::engine::general_purpose::STANDARD.encode(std::fs::read(p).unwrap())
            ])
        })
        .collect();
    let js = format!(
        "(() => {{ const dt = new DataTransfer();
            for (const [n, b] of {list}) {{ const s = atob(b); const u = new Uint8Array(s.length);
              for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
              dt.items.add(new File([u], n)); }}
            document.querySelector('[data-testid=doctor-drop]').dispatchEvent(
              new DragEvent('drop', {{ dataTransfer: dt, bubbles: true, cancelable: true }}));
            return dt.files.length; }})()",
        list = serde_json::Value::Array(list)
    );
    assert_eq!(b.eval(&js), json!(files.len()));
    b.wait_for(
        &format!(
            "document.querySelectorAll('[data-testid=doctor-file]').length === {}",
            files.len()
        ),
        SECS,
        "the dropped files to be read",
    );
}

fn doctor_names_the_culprit_of_each_corpus_case(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#doctor-run");
    let cases = corpus();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());

    // Nothing given: a sentence, not an answer.
    b.click("#doctor-run");
    b.wait_for(
        "document.querySelector('#doctor-error')?.textContent.includes('Paste')",
        SECS,
        "the empty-input message",
    );

    // One case as a person pastes the log and picks the certificate.
    let dir = workspace_root().join("tests/doctor-corpus/server-san-missing/inputs");
    let pasted = std::fs::read_to_string(dir.join("etcd1.log")).unwrap()
        + "\n"
        + &std::fs::read_to_string(dir.join("client.txt")).unwrap();
    b.type_into("#doctor-paste", &pasted);
    b.set_file("#doctor-files", &dir.join("server.crt"));
    b.wait_for(
        "document.querySelectorAll('[data-testid=doctor-file]').length === 1",
        SECS,
        "the picked file",
    );
    let a = ask(&mut b, 1);
    assert!(
        a.classes.iter().any(|c| c == "server-san-missing") && a.text.contains("127.0.1.9"),
        "{}: pasted log + picked server.crt: {:?}\n{}",
        engine.name(),
        a.classes,
        a.text
    );
    assert!(
        a.text.contains("read paste:") && a.text.contains("read server.crt:"),
        "the report names each input:\n{}",
        a.text
    );

    let (mut right, mut all_clear, mut wrong) = (0usize, Vec::new(), Vec::new());
    let mut slowest = 0f64;
    let mut times = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let e: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("expected.json")).unwrap()).unwrap();
        let (class, fix) = (e["class"].as_str().unwrap(), e["fix"].as_str().unwrap());
        b.click("#doctor-clear");
        drop_files(&mut b, &files_of(case));
        let a = ask(&mut b, i as u64 + 2);
        slowest = slowest.max(a.page_ms);
        times.push(a.page_ms);
        if a.classes.iter().any(|c| c == class) && a.text.contains(fix) {
            right += 1;
        } else {
            wrong.push(format!("{class}: got {:?}\n{}", a.classes, a.text));
        }
        if a.errors == 0 {
            all_clear.push(class.to_string());
        }
    }
    times.sort_by(f64::total_cmp);
    let share = right as f64 * 100.0 / cases.len() as f64;
    eprintln!(
        "{}: doctor in the page: {right}/{} right ({share:.1}%), {} false all-clears, median {:.1} ms, slowest {slowest:.1} ms",
        engine.name(),
        cases.len(),
        all_clear.len(),
        times[times.len() / 2]
    );
    assert!(
        all_clear.is_empty(),
        "all-clear for broken cases: {all_clear:?}"
    );
    assert!(
        share >= 95.0,
        "only {share:.1}% right:\n{}",
        wrong.join("\n\n")
    );
    assert!(
        slowest < 200.0,
        "{}: the slowest answer took {slowest:.1} ms in the page",
        engine.name()
    );
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
}
