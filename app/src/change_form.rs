//! What the form asks of an existing CA or an opened bundle, as plain data with native tests:
//! which rows of the form are locked because their certificates exist in the opened bundle
//! (its spec, as the worker read it), which change the form asks for, and which bundles of a
//! cluster's line were opened before. `ui/existing_ca/` shows these; pki-core reads the
//! bundle and plans and applies the change, on a worker.

use pki_core::ClusterSpec;

use protocol::ChangeRequest;

/// Where the next bundle's CA comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// A new CA, made here (the first bundle).
    #[default]
    NewCa,
    /// An existing CA's certificate and key.
    ExistingCa,
    /// An opened bundle and its CA key.
    Bundle,
}

/// Whether member `name` already has certificates in the opened bundle.
pub fn member_locked(old: &ClusterSpec, name: &str) -> bool {
    old.nodes.iter().any(|n| n.name == name)
}

/// Whether client `name` already has a certificate in the opened bundle.
pub fn client_locked(old: &ClusterSpec, name: &str) -> bool {
    old.clients.iter().any(|c| c.name == name)
}

/// What the person chose to renew.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Renew {
    /// Nothing.
    #[default]
    None,
    /// Every member's and client's certificates.
    All,
    /// These members and clients only.
    Only(Vec<String>),
}

impl Renew {
    /// Whether `name`'s certificates are to be renewed.
    pub fn covers(&self, name: &str) -> bool {
        match self {
            Renew::None => false,
            Renew::All => true,
            Renew::Only(names) => names.iter().any(|n| n == name),
        }
    }

    /// Turns renewal of `name` on or off.
    pub fn toggle(&mut self, name: &str, all: &[String]) {
        let mut names: Vec<String> = match self {
            Renew::None => vec![],
            Renew::All => all.to_vec(),
            Renew::Only(n) => n.clone(),
        };
        if let Some(i) = names.iter().position(|n| n == name) {
            names.remove(i);
        } else {
            names.push(name.to_string());
        }
        *self = if names.is_empty() {
            Renew::None
        } else if all.iter().all(|a| names.contains(a)) {
            Renew::All
        } else {
            Renew::Only(names)
        };
    }
}

/// The change the form asks of an opened bundle, or why it cannot be made in one step.
/// `Ok(None)`: nothing to do yet. `keep_keys`: a renewal keeps every key (`renew
/// --keep-keys`).
pub fn pending_change(
    old: &ClusterSpec,
    spec: &ClusterSpec,
    renew: &Renew,
    keep_keys: bool,
) -> Result<Option<ChangeRequest>, String> {
    for n in &old.nodes {
        match spec.nodes.iter().find(|m| m.name == n.name) {
            None => {
                return Err(format!(
                    "member {} is missing from the list: removing a member is its own operation (etcd-pki remove-member); put it back to continue",
                    n.name
                ));
            }
            Some(m) if m != n => {
                return Err(format!(
                    "member {}'s addresses changed: its certificates exist and are kept as they are; replacing a member is its own operation (etcd-pki replace-member)",
                    n.name
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(c) = spec.clients.iter().find(|c| !client_locked(old, &c.name)) {
        return Err(format!(
            "client {} is new: adding clients to an opened bundle is not supported yet; remove the row",
            c.name
        ));
    }
    if let Some(c) = old
        .clients
        .iter()
        .find(|c| !spec.clients.iter().any(|d| d.name == c.name))
    {
        return Err(format!(
            "client {} is missing from the list: its certificate exists; put it back to continue",
            c.name
        ));
    }
    let added: Vec<_> = spec
        .nodes
        .iter()
        .filter(|n| !member_locked(old, &n.name))
        .cloned()
        .collect();
    match (added.is_empty(), renew) {
        (true, Renew::None) => Ok(None),
        (false, Renew::None) => Ok(Some(ChangeRequest::AddMembers { nodes: added })),
        (true, Renew::All) => Ok(Some(ChangeRequest::Renew {
            only: vec![],
            keep_keys,
        })),
        (true, Renew::Only(names)) => Ok(Some(ChangeRequest::Renew {
            only: names.clone(),
            keep_keys,
        })),
        (false, _) => Err(
            "one change at a time: add the new members first, open the new bundle, then renew"
                .into(),
        ),
    }
}

/// A bundle opened in the page: which line (cluster history) it belongs to, its generation,
/// its file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The id of its line's first bundle (empty for a bundle made before lineage).
    pub line: String,
    /// Its generation.
    pub generation: u64,
    /// Its file name.
    pub name: String,
}

/// What to say when the bundle `now` is older than one of its line opened before in this
/// page (`seen`): a change made from it would go backwards, undoing what the newer one did
/// (a revocation, a renewal, a new member). `None` when it is the newest seen.
pub fn older_than_seen(seen: &[Seen], now: &Seen) -> Option<String> {
    if now.line.is_empty() {
        return None;
    }
    let newer = seen
        .iter()
        .filter(|s| s.line == now.line && s.generation > now.generation)
        .max_by_key(|s| s.generation)?;
    Some(format!(
        "{} is generation {} of this cluster, older than {} (generation {}) opened before in \
         this page: a bundle made from it would go back, undoing what the newer one did (a \
         revocation, a renewal, a new member). Open the newest bundle instead.",
        now.name, now.generation, newer.name, newer.generation
    ))
}

/// `seen` with `now` recorded: per line, the newest generation opened.
pub fn remember(seen: &mut Vec<Seen>, now: Seen) {
    if now.line.is_empty() {
        return;
    }
    match seen.iter_mut().find(|s| s.line == now.line) {
        Some(s) if s.generation >= now.generation => {}
        Some(s) => *s = now,
        None => seen.push(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pki_core::Node;

    fn state() -> ClusterSpec {
        ClusterSpec::template()
    }

    #[test]
    fn a_new_row_is_an_addition_and_existing_rows_are_locked() {
        let s = state();
        let mut spec = s.clone();
        assert_eq!(pending_change(&s, &spec, &Renew::None, false), Ok(None));
        assert!(member_locked(&s, &spec.nodes[0].name));
        spec.nodes.push(Node {
            name: "etcd9".into(),
            ips: vec!["10.0.0.9".into()],
            dns_names: vec![],
        });
        assert!(!member_locked(&s, "etcd9"));
        match pending_change(&s, &spec, &Renew::None, false) {
            Ok(Some(ChangeRequest::AddMembers { nodes })) => assert_eq!(nodes[0].name, "etcd9"),
            other => panic!("{other:?}"),
        }
        // Adding and renewing at once is refused with the order to do them in.
        let e = pending_change(&s, &spec, &Renew::All, false).unwrap_err();
        assert!(e.contains("one change at a time"), "{e}");
    }

    #[test]
    fn a_changed_or_missing_existing_member_is_named() {
        let s = state();
        let mut spec = s.clone();
        spec.nodes[1].ips = vec!["10.9.9.9".into()];
        let e = pending_change(&s, &spec, &Renew::None, false).unwrap_err();
        assert!(
            e.contains(&s.nodes[1].name) && e.contains("replace-member"),
            "{e}"
        );
        spec.nodes.remove(1);
        let e = pending_change(&s, &spec, &Renew::None, false).unwrap_err();
        assert!(e.contains("remove-member"), "{e}");
    }

    #[test]
    fn renew_toggles_per_row_and_becomes_all() {
        let all = vec!["etcd1".to_string(), "etcd2".to_string()];
        let mut r = Renew::None;
        r.toggle("etcd1", &all);
        assert_eq!(r, Renew::Only(vec!["etcd1".into()]));
        r.toggle("etcd2", &all);
        assert_eq!(r, Renew::All);
        r.toggle("etcd1", &all);
        assert!(r.covers("etcd2") && !r.covers("etcd1"));
        let s = state();
        assert_eq!(
            pending_change(&s, &s, &Renew::All, false),
            Ok(Some(ChangeRequest::Renew {
                only: vec![],
                keep_keys: false
            }))
        );
        // "Keep the keys" asks for `renew --keep-keys`.
        assert_eq!(
            pending_change(&s, &s, &Renew::Only(vec!["etcd1".into()]), true),
            Ok(Some(ChangeRequest::Renew {
                only: vec!["etcd1".into()],
                keep_keys: true
            }))
        );
    }

    #[test]
    fn an_older_generation_of_a_line_opened_before_is_named() {
        let seen = |line: &str, generation, name: &str| Seen {
            line: line.into(),
            generation,
            name: name.into(),
        };
        let mut all = vec![];
        remember(&mut all, seen("L", 3, "prod-renew-g3.zip"));
        remember(&mut all, seen("L", 2, "prod-add-etcd4-g2.zip"));
        remember(&mut all, seen("M", 5, "other-renew-g5.zip"));
        assert_eq!(all.len(), 2);
        let said = older_than_seen(&all, &seen("L", 2, "prod-add-etcd4-g2.zip")).unwrap();
        assert!(
            said.starts_with("prod-add-etcd4-g2.zip is generation 2 of this cluster, older than prod-renew-g3.zip (generation 3)"),
            "{said}"
        );
        // The newest, another cluster's, or a bundle without lineage: nothing to say.
        assert_eq!(older_than_seen(&all, &seen("L", 3, "x.zip")), None);
        assert_eq!(older_than_seen(&all, &seen("N", 1, "x.zip")), None);
        assert_eq!(older_than_seen(&all, &seen("", 1, "x.zip")), None);
    }
}
