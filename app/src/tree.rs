//! The bundle's files as a tree of folders, for the page's file browser.

/// A folder or a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A folder: its name and what is in it (folders first, then files, each sorted).
    Dir(String, Vec<Entry>),
    /// A file: its name and full path in the bundle.
    File(String, String),
}

/// Builds the tree of `paths` (`/`-separated, as in the bundle).
pub fn build<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<Entry> {
    let mut root = Vec::new();
    for p in paths {
        insert(&mut root, p, p);
    }
    sort(&mut root);
    root
}

fn insert(level: &mut Vec<Entry>, rest: &str, full: &str) {
    match rest.split_once('/') {
        None => level.push(Entry::File(rest.to_string(), full.to_string())),
        Some((dir, tail)) => {
            // The bundle lists a folder's files together, so the folder is almost always the
            // last one made: looked for from the end, 1,000 client folders cost one compare
            // each, not a scan of all the others.
            let idx = level
                .iter()
                .rposition(|e| matches!(e, Entry::Dir(n, _) if n == dir))
                .unwrap_or_else(|| {
                    level.push(Entry::Dir(dir.to_string(), Vec::new()));
                    level.len() - 1
                });
            if let Entry::Dir(_, children) = &mut level[idx] {
                insert(children, tail, full);
            }
        }
    }
}

fn sort(level: &mut [Entry]) {
    level.sort_by(|a, b| match (a, b) {
        (Entry::Dir(x, _), Entry::Dir(y, _)) => x.cmp(y),
        (Entry::Dir(..), Entry::File(..)) => std::cmp::Ordering::Less,
        (Entry::File(..), Entry::Dir(..)) => std::cmp::Ordering::Greater,
        (Entry::File(x, _), Entry::File(y, _)) => x.cmp(y),
    });
    for e in level.iter_mut() {
        if let Entry::Dir(_, c) = e {
            sort(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_first_and_full_paths_kept() {
        let t = build([
            "README.md",
            "members/etcd1/pki/ca.crt",
            "members/etcd1/etcd.env",
            "ca.crt",
        ]);
        assert_eq!(
            t,
            vec![
                Entry::Dir(
                    "members".into(),
                    vec![Entry::Dir(
                        "etcd1".into(),
                        vec![
                            Entry::Dir(
                                "pki".into(),
                                vec![Entry::File(
                                    "ca.crt".into(),
                                    "members/etcd1/pki/ca.crt".into()
                                )]
                            ),
                            Entry::File("etcd.env".into(), "members/etcd1/etcd.env".into()),
                        ]
                    )]
                ),
                Entry::File("README.md".into(), "README.md".into()),
                Entry::File("ca.crt".into(), "ca.crt".into()),
            ]
        );
    }
}
