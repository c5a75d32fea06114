//! The spec after a [`Change`]: a new member's name and addresses checked against the
//! cluster, a removal checked against quorum — refused with the field and the fix.

#[allow(unused_imports)]
use super::*;

pub(super) fn refuse(field: &str, reason: impl Into<String>) -> Error {
    Error::Change {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The smallest majority of `n` members.
pub fn quorum(n: usize) -> usize {
    n / 2 + 1
}

/// Checks that `node` can join the members of `spec` (other than `except`): its name is new,
/// its addresses unused.
pub(super) fn check_new_node(
    spec: &ClusterSpec,
    node: &Node,
    except: Option<&str>,
) -> Result<(), Error> {
    let others = spec
        .nodes
        .iter()
        .filter(|n| Some(n.name.as_str()) != except);
    for other in others {
        if other.name == node.name {
            return Err(refuse(
                "--name",
                format!(
                    "a member named {:?} exists already; choose another name (or replace-member \
                     to give it a new address)",
                    node.name
                ),
            ));
        }
        for ip in &node.ips {
            if other.ips.iter().any(|o| same_ip(o, ip)) {
                return Err(refuse(
                    "--ip",
                    format!(
                        "{ip} is already the address of member {:?}; give the new member an \
                         address no member uses",
                        other.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn same_ip(a: &str, b: &str) -> bool {
    match (a.parse::<std::net::IpAddr>(), b.parse::<std::net::IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

pub(super) fn member_exists(spec: &ClusterSpec, name: &str, field: &str) -> Result<usize, Error> {
    spec.nodes
        .iter()
        .position(|n| n.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = spec.nodes.iter().map(|n| n.name.as_str()).collect();
            refuse(
                field,
                format!(
                    "there is no member named {name:?}; the members are {}",
                    names.join(", ")
                ),
            )
        })
}

/// Whether a replacement removes the old member before adding the new one: when the cluster
/// keeps its quorum without it (3 members or more).
pub fn removes_first(members: usize) -> bool {
    members >= 3
}

/// The spec after `change`, checked for what the change itself could break.
pub(super) fn changed_spec(spec: &ClusterSpec, change: &Change) -> Result<ClusterSpec, Error> {
    let mut s = spec.clone();
    match change {
        Change::Generate | Change::Keep => {}
        Change::AddMembers(nodes) => {
            if nodes.is_empty() {
                return Err(refuse("--name", "no member to add was given"));
            }
            for n in nodes {
                check_new_node(&s, n, None)?;
                s.nodes.push(n.clone());
            }
        }
        Change::RemoveMember(name) => {
            member_exists(&s, name, "--name")?;
            let n = s.nodes.len();
            if n - 1 < quorum(n) {
                return Err(refuse(
                    "--name",
                    format!(
                        "removing {name:?} leaves {} of {n} members, below the quorum of {}: \
                         the cluster would stop accepting writes. Add a member first \
                         (add-member), then remove this one",
                        n - 1,
                        quorum(n)
                    ),
                ));
            }
            s.nodes.retain(|x| x.name != *name);
        }
        Change::ReplaceMember { old, new } => {
            let at = member_exists(&s, old, "--name")?;
            if s.nodes[at] == *new {
                return Err(refuse(
                    "--ip",
                    format!("{old:?} already has these addresses; give it a new --ip"),
                ));
            }
            check_new_node(&s, new, Some(old))?;
            if new.name == *old && !removes_first(s.nodes.len()) {
                return Err(refuse(
                    "--name",
                    format!(
                        "a {}-member cluster cannot lose {old:?} before its replacement joins \
                         (quorum {}), and two members cannot share a name: give the new member \
                         a new name with --new-name",
                        s.nodes.len(),
                        quorum(s.nodes.len())
                    ),
                ));
            }
            s.nodes[at] = new.clone();
        }
        Change::Renew { only, .. } => {
            for name in only {
                let known = s.nodes.iter().any(|n| n.name == *name)
                    || s.clients.iter().any(|c| c.name == *name);
                if !known {
                    return Err(refuse(
                        "--only",
                        format!("{name:?} is neither a member nor a client of this cluster"),
                    ));
                }
            }
        }
    }
    Ok(s)
}
