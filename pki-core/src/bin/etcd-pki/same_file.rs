//! Whether two paths a person typed name one file. `--out ./b.zip --ca-key-out b.zip --force`
//! must not write the bundle over the CA key it has just written, so paths are compared as
//! files, not as spellings: by device and inode when both exist, else by where they resolve
//! to (links followed, the parent folder canonicalised, `.` and `..` worked out).

use std::path::{Component, Path, PathBuf};

use super::Failure;

/// Whether `a` and `b` are, or would be written as, the same file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt;
        return (x.dev(), x.ino()) == (y.dev(), y.ino());
    }
    resolved(a, 0) == resolved(b, 0)
}

/// Refuses when two of the named paths are one file, naming both options as typed.
pub fn distinct(paths: &[(&str, &Path)], why: &str) -> Result<(), Failure> {
    for (i, (fa, a)) in paths.iter().enumerate() {
        for (fb, b) in &paths[i + 1..] {
            if same_file(a, b) {
                return Err(Failure::BadInput(format!(
                    "{fa} {} and {fb} {} are the same file; {why}; nothing was written",
                    a.display(),
                    b.display()
                )));
            }
        }
    }
    Ok(())
}

/// Where writing `p` would land: the file a link points to (dangling links too, at most 16
/// deep), in a folder made canonical where it exists and worked out by hand where not.
fn resolved(p: &Path, depth: u32) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    if let Ok(c) = std::fs::canonicalize(&abs) {
        return c;
    }
    let parent = abs.parent().map(resolved_dir).unwrap_or_default();
    let Some(name) = abs.file_name() else {
        return lexical(&abs);
    };
    let here = parent.join(name);
    if depth < 16
        && let Ok(target) = std::fs::read_link(&here)
    {
        return resolved(&parent.join(target), depth + 1);
    }
    here
}

fn resolved_dir(d: &Path) -> PathBuf {
    std::fs::canonicalize(d).unwrap_or_else(|_| lexical(d))
}

/// `.` dropped and `..` taking away the part before it, without asking the file system.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}
