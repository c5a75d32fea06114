//! The repository's own documents stay readable and whole: README.md is a front door, not a
//! manual (under 250 lines; the rest lives in docs/), and no relative link in README.md or
//! docs/*.md points at a file that is not there, or at a heading a Markdown file does not have.
//! Moving or renaming a document, or a heading others link to, fails here, naming the link.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// README.md must stay shorter than this many lines (issue #24: mkcert's is about 200).
const README_MAX_LINES: usize = 250;

/// Files another step writes (the CLI reference, generated from the command's definitions by
/// its own test). A link to one is accepted while it has not been generated yet; once it exists
/// it is checked like any other, headings included.
const GENERATED: &[&str] = &["docs/CLI.md"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// README.md and every docs/*.md, as paths relative to the repository root.
fn documents() -> Vec<String> {
    let mut docs = vec!["README.md".to_string()];
    let mut more: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// The lines outside fenced code blocks, with inline code spans blanked: links shown as code
/// (`[x](y)` in a snippet) are not links.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut code = false;
        let prose: String = line
            .chars()
            .map(|c| {
                if c == '`' {
                    code = !code;
                    ' '
                } else if code {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        out.push((i + 1, prose));
    }
    out
}

/// The targets of inline links `[text](target)` and images on one line.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.to_string());
        rest = &after[end..];
    }
    targets
}

/// GitHub's anchor for a heading: lower case, letters, digits, `_`, `-` and spaces kept, each
/// space a `-`. A repeated heading gets `-1`, `-2`, … as on GitHub.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#');
        if !title.starts_with(' ') {
            continue;
        }
        let slug: String = title
            .trim()
            .trim_end_matches('#')
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut n = 0;
        while seen.contains(&unique) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
        seen.insert(unique);
    }
    seen
}

/// `a/b/../c` → `a/c`, for paths inside the repository.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn readme_is_a_front_door_not_a_manual() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = text.lines().count();
    assert!(
        lines < README_MAX_LINES,
        "README.md has {lines} lines; keep it under {README_MAX_LINES}: what etcd-pki is, the two \
         commands, a short walk, what the tests show, and links. Move the rest into docs/ \
         (docs/GUIDE.md for users, docs/ARCHITECTURE.md for how it is built, docs/TESTING.md, \
         docs/BENCHMARKS.md) and link it."
    );
}

#[test]
fn every_relative_link_in_the_documents_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(root().join(&doc)).unwrap();
        let dir = Path::new(&doc).parent().unwrap_or(Path::new(""));
        for (line_no, line) in prose_lines(&text) {
            for target in link_targets(&line) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (file, anchor) = match target.split_once('#') {
                    Some((f, a)) => (f, Some(a)),
                    None => (target.as_str(), None),
                };
                let path = if file.is_empty() {
                    PathBuf::from(&doc)
                } else {
                    normalise(&dir.join(file))
                };
                let shown = path.to_string_lossy().into_owned();
                let full = root().join(&path);
                if !full.exists() {
                    if !GENERATED.contains(&shown.as_str()) {
                        broken.push(format!(
                            "{doc}:{line_no}: ({target}) points at {shown}, which does not exist"
                        ));
                    }
                    continue;
                }
                if let Some(anchor) = anchor.filter(|_| shown.ends_with(".md")) {
                    let there = std::fs::read_to_string(&full).unwrap();
                    if !anchors(&there).contains(anchor) {
                        broken.push(format!(
                            "{doc}:{line_no}: ({target}): {shown} has no heading whose anchor is #{anchor}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: is the link reader broken?"
    );
    assert!(
        broken.is_empty(),
        "broken links in the documents (fix the link, or the heading or file it names):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_link_reader_sees_what_a_reader_sees() {
    // A link in prose counts; one in a code span or a fenced block does not.
    let text = "see [a](docs/A.md#x) and `[b](nope.md)`\n```\n[c](nope.md)\n```\n[d](#y)\n";
    let found: Vec<String> = prose_lines(text)
        .iter()
        .flat_map(|(_, l)| link_targets(l))
        .collect();
    assert_eq!(found, ["docs/A.md#x", "#y"]);
    // Anchors as GitHub makes them, repeats numbered.
    let a = anchors("# The page\n## Day two: grow, shrink (`add-member`)\n## The page\n");
    assert!(a.contains("the-page") && a.contains("the-page-1"), "{a:?}");
    assert!(a.contains("day-two-grow-shrink-add-member"), "{a:?}");
}
