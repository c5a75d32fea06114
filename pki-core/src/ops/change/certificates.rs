//! Which certificates a change keeps, issues or renews, which keys it makes, which members
//! join or leave and which old certificates it revokes: compared plan to plan, read from the
//! certificates the old bundle records.

#[allow(unused_imports)]
use super::*;

/// The same certificate as far as its contents go (subject, SANs, profile, owner).
pub(super) fn same_contents(a: &CertPlan, b: &CertPlan) -> bool {
    a.profile == b.profile
        && a.owner == b.owner
        && a.common_name == b.common_name
        && a.organization == b.organization
        && a.ips == b.ips
        && a.dns_names == b.dns_names
}

pub(super) fn owner_name(c: &CertPlan) -> Option<&str> {
    match &c.owner {
        plan::Owner::Member(n) | plan::Owner::Client(n) => Some(n),
        plan::Owner::Cluster => None,
    }
}

/// The certificate records of the opened bundle (none without one), by certificate id.
pub(super) fn records_by_id(
    opened: Option<&OpenedBundle>,
) -> BTreeMap<&str, &package::state::CertRecord> {
    opened
        .map(|o| {
            o.state
                .certificates
                .iter()
                .map(|r| (r.id.as_str(), r))
                .collect()
        })
        .unwrap_or_default()
}

/// The keys of `new_plan` to make (all but the CA key and those reused), and which of them
/// replace a key of `old_plan`.
pub(super) fn keys_to_make(
    new_plan: &Plan,
    old_plan: Option<&Plan>,
    key_reused: &BTreeSet<String>,
) -> (Vec<KeyRequest>, Vec<String>) {
    let old_key_ids: BTreeSet<&str> = old_plan
        .map(|p| p.keys.iter().map(|k| k.id.as_str()).collect())
        .unwrap_or_default();
    let to_make: Vec<KeyRequest> = new_plan
        .keys
        .iter()
        .filter(|k| k.id != plan::CA_KEY && k.id != plan::ROOT_KEY && !key_reused.contains(&k.id))
        .cloned()
        .collect();
    let changed = to_make
        .iter()
        .filter(|k| old_key_ids.contains(k.id.as_str()))
        .map(|k| k.id.clone())
        .collect();
    (to_make, changed)
}

/// The new plan's certificates sorted against the opened bundle's: kept as they are, issued
/// for the first time, or renewed; and the keys that stay (a kept certificate's, or a renewed
/// one's under `--keep-keys`).
pub(super) struct SortedCertificates {
    pub(super) kept: Vec<String>,
    pub(super) issued: Vec<String>,
    pub(super) renewed: Vec<String>,
    pub(super) key_reused: BTreeSet<String>,
}

pub(super) fn sort_certificates(
    new_plan: &Plan,
    old_plan: Option<&Plan>,
    old_records: &BTreeMap<&str, &package::state::CertRecord>,
    change: &Change,
    now: OffsetDateTime,
) -> SortedCertificates {
    let mut out = SortedCertificates {
        kept: Vec::new(),
        issued: Vec::new(),
        renewed: Vec::new(),
        key_reused: BTreeSet::new(),
    };
    for c in &new_plan.certs {
        let old = old_plan.and_then(|p| p.certs.iter().find(|o| o.id == c.id));
        let record = old_records.get(c.id.as_str());
        let (Some(old), Some(record)) = (old, record) else {
            out.issued.push(c.id.clone());
            continue;
        };
        let unchanged = same_contents(old, c) && *change != Change::Generate;
        if unchanged && !renew_chosen(change, c, record, now) {
            out.kept.push(c.id.clone());
            out.key_reused.insert(c.key.clone());
        } else {
            out.renewed.push(c.id.clone());
            if unchanged
                && matches!(
                    change,
                    Change::Renew {
                        keep_keys: true,
                        ..
                    }
                )
            {
                out.key_reused.insert(c.key.clone());
            }
        }
    }
    out
}

/// Whether `renew` picks this certificate: named by `--only` (or no `--only`), and due
/// within `--within` days (or no `--within`; an unreadable date counts as due).
pub(super) fn renew_chosen(
    change: &Change,
    c: &CertPlan,
    record: &package::state::CertRecord,
    now: OffsetDateTime,
) -> bool {
    let Change::Renew {
        only, within_days, ..
    } = change
    else {
        return false;
    };
    let chosen = only.is_empty() || owner_name(c).is_some_and(|n| only.iter().any(|o| o == n));
    let due = within_days.is_none_or(|d| {
        time::OffsetDateTime::parse(
            &record.not_after,
            &time::format_description::well_known::Rfc3339,
        )
        .map_or(true, |t| t - now <= time::Duration::days(i64::from(d)))
    });
    chosen && due
}

/// Keys that are no certificate's (the JWT signing key) stay as they were, when the old
/// bundle had them with the same algorithm.
pub(super) fn other_keys_kept(new_plan: &Plan, old: &Plan) -> Vec<String> {
    new_plan
        .keys
        .iter()
        .filter(|k| {
            !new_plan.certs.iter().any(|c| c.key == k.id)
                && k.id != plan::CA_KEY
                && k.id != plan::ROOT_KEY
                && old.key(&k.id).is_some_and(|o| o.algorithm == k.algorithm)
        })
        .map(|k| k.id.clone())
        .collect()
}

/// Members added and removed; a member that keeps its name but moves address is both.
pub(super) fn member_diff(old: &[MemberPlan], new: &[MemberPlan]) -> (Vec<String>, Vec<String>) {
    let same = |a: &MemberPlan, b: &MemberPlan| a.name == b.name && a.ips == b.ips;
    let added = new
        .iter()
        .filter(|m| !old.iter().any(|o| same(o, m)))
        .map(|m| m.name.clone())
        .collect();
    let removed = old
        .iter()
        .filter(|o| !new.iter().any(|m| same(o, m)))
        .map(|o| o.name.clone())
        .collect();
    (added, removed)
}

/// Old certificates that leave with their member, were replaced, or are no longer planned:
/// (the path the bundle had them at, the serial in upper-case hex without colons).
pub(super) fn certificates_to_revoke(
    opened: &OpenedBundle,
    new_plan: &Plan,
    renewed: &[String],
    members_removed: &[String],
) -> Vec<(String, String)> {
    let mut revoke = Vec::new();
    for r in &opened.state.certificates {
        let member_left = r
            .member
            .as_ref()
            .is_some_and(|m| members_removed.contains(m));
        let replaced = renewed.contains(&r.id) && !member_left;
        let gone = !new_plan.certs.iter().any(|c| c.id == r.id);
        if member_left || replaced || gone {
            let path = r.paths.first().cloned().unwrap_or_else(|| r.id.clone());
            revoke.push((path, r.serial.replace(':', "").to_uppercase()));
        }
    }
    revoke
}

/// The members before the change, and those that join and leave (none for a `Generate`,
/// which makes a first bundle).
pub(super) fn members_changed(
    change: &Change,
    old_plan: Option<&Plan>,
    new_plan: &Plan,
) -> (Vec<MemberPlan>, Vec<String>, Vec<String>) {
    let old_members: Vec<MemberPlan> = old_plan.map(|p| p.members.clone()).unwrap_or_default();
    let (added, removed) = if *change == Change::Generate {
        (Vec::new(), Vec::new())
    } else {
        member_diff(&old_members, &new_plan.members)
    };
    (old_members, added, removed)
}
