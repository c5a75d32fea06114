//! Day two: change the PKI of a running cluster from its newest bundle. Pure (no files, no
//! clock, no randomness beyond the keys handed in): the CLI and the page both call it.
//!
//! 1. [`crate::package::open`] reads the old bundle, [`unlock_ca`] checks the CA key against
//!    the bundle's `ca.crt`;
//! 2. [`plan_change`] says what the [`Change`] does — which certificates are kept (copied byte
//!    for byte), issued or renewed, which keys must be made ([`ChangePlan::keys_to_make`]),
//!    which members join or leave — and refuses what cannot be done (a name that exists, an
//!    address in use, a removal below quorum) with the field and the fix;
//! 3. the caller makes the keys of [`ChangePlan::keys_to_make`] (CSPRNG, on workers or cores);
//! 4. [`apply_change`] issues what is new, renders every file, adds the runbook of the
//!    operation ([`crate::runbook`]) and writes `spec.json` again: a new full bundle, which
//!    the next operation opens.
//!
//! ```
//! use pki_core::{ClusterSpec, Node, OffsetDateTime, PrivateKey, daytwo, generate, keys::Keys, package};
//!
//! let bundle = generate(&ClusterSpec::template())?;
//! let opened = package::open(&bundle.to_zip()?)?;
//! let ca = daytwo::unlock_ca(&opened, bundle.ca_key.text().as_bytes(), None)?;
//! let node = Node { name: "etcd4".into(), ips: vec!["10.0.0.4".into()], dns_names: vec![] };
//! let change = daytwo::Change::AddMembers(vec![node]);
//! let plan = daytwo::plan_change(Some(&opened), &opened.state.spec, &change, OffsetDateTime::now_utc())?;
//! let mut keys = Keys::new();
//! for r in &plan.keys_to_make {
//!     keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm)?);
//! }
//! let (grown, summary) = daytwo::apply_change(Some(&opened), &ca, &plan, keys)?;
//! assert!(grown.file("runbook/add-etcd4.sh").is_some());
//! assert_eq!(summary.members_added, 1);
//! // etcd1's certificate is the one it had.
//! assert_eq!(
//!     grown.file("members/etcd1/pki/server.crt").unwrap().contents,
//!     bundle.file("members/etcd1/pki/server.crt").unwrap().contents,
//! );
//! # Ok::<(), pki_core::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use time::OffsetDateTime;

use crate::error::Error;
use crate::issue::{self, CaMaterial, IssuedCert};
use crate::keys::{Keys, PrivateKey};
use crate::package::{self, Bundle, OpenedBundle};
use crate::plan::{self, CertPlan, Content, KeyRequest, MemberPlan, Plan, Role};
use crate::render;
use crate::runbook::{self, Operation};
use crate::spec::{ClusterSpec, Node};
use crate::validate::ValidatedSpec;

/// What to do to the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A bundle for `spec` under an existing CA: every certificate and key new. With an
    /// opened bundle, its CA (`generate --from`).
    Generate,
    /// Add these members, in this order, one `etcdctl member add` each.
    AddMembers(Vec<Node>),
    /// Remove the member with this name.
    RemoveMember(String),
    /// Replace member `old` by `new` (the same name on a new address, or a new name).
    ReplaceMember {
        /// The member that goes.
        old: String,
        /// The member that comes.
        new: Node,
    },
    /// Keep every certificate and key as it is: a new bundle of the same PKI, to which an
    /// operation adds files ([`crate::revoke`] adds the CRL).
    Keep,
    /// Issue certificates again.
    Renew {
        /// Member or client names whose certificates are renewed; empty: all.
        only: Vec<String>,
        /// Keep each certificate's key (only the certificate changes).
        keep_keys: bool,
        /// Renew only certificates that expire within this many days.
        within_days: Option<u32>,
    },
}

/// What a [`Change`] will do, decided before any key is made.
#[derive(Clone, Debug)]
pub struct ChangePlan {
    /// The change.
    pub change: Change,
    /// The spec after the change.
    pub spec: ClusterSpec,
    /// The plan of the new bundle.
    pub plan: Plan,
    /// When the new certificates are issued.
    pub now: OffsetDateTime,
    /// Certificates copied from the old bundle, byte for byte (ids).
    pub kept: Vec<String>,
    /// Certificates that did not exist (ids).
    pub issued: Vec<String>,
    /// Certificates that existed and are issued again (ids).
    pub renewed: Vec<String>,
    /// Keys to make (CSPRNG) before [`apply_change`], by id.
    pub keys_to_make: Vec<KeyRequest>,
    /// Keys copied from the old bundle (ids).
    pub keys_kept: Vec<String>,
    /// Of [`ChangePlan::keys_to_make`], those replacing a key the old bundle had.
    pub keys_changed: Vec<String>,
    /// Members that join, in order.
    pub members_added: Vec<String>,
    /// Members that leave.
    pub members_removed: Vec<String>,
    /// Certificates of the old bundle to revoke (they belong to a member that leaves, or were
    /// replaced along with their key): `(path in the old bundle, serial)`.
    pub revoke: Vec<(String, String)>,
    /// The runbook steps, in the order to run them.
    pub operations: Vec<Operation>,
    /// The CRL (DER) of the new bundle while [`Plan::carried`] has revocations: the old
    /// bundle's, byte for byte, or the one a revocation signed.
    pub crl: Option<Vec<u8>>,
    /// The new bundle is made under another CA than the opened one's (a rotation,
    /// [`crate::rotate`]): [`apply_change`] does not ask for the opened bundle's CA.
    pub ca_changes: bool,
}

/// What a finished change did, for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSummary {
    /// Members added.
    pub members_added: usize,
    /// Members removed.
    pub members_removed: usize,
    /// Certificates new to the cluster.
    pub certificates_issued: usize,
    /// Certificates issued again.
    pub certificates_renewed: usize,
    /// Certificates copied unchanged.
    pub certificates_kept: usize,
    /// Keys that replace a key the old bundle had.
    pub keys_changed: usize,
    /// Runbook scripts to run, in order (paths in the bundle).
    pub steps: Vec<String>,
    /// Old certificates to revoke: `path serial`.
    pub revoke: Vec<String>,
    /// The `etcd-pki revoke` arguments that revoke them from the new bundle: `--member NAME`
    /// for a member it records as removed, `--unlisted-serial HEX` for a certificate it no
    /// longer holds (a replaced key).
    pub revoke_args: Vec<String>,
    /// Clients whose certificate was renewed (`clients/<name>/`): no runbook installs a
    /// client's files, so the summary says to.
    pub clients_renewed: Vec<String>,
    /// The serials of [`ChangeSummary::revoke`], as the page's Revoke section takes them.
    pub revoke_serials: Vec<String>,
}

impl ChangeSummary {
    /// The summary as [`fmt::Display`] shows it, with the `etcd-pki revoke` line naming the
    /// new bundle and the CA key the person used (the command line knows them; shell-quoted
    /// when they need it) instead of `NEW.zip` and `CA.key`.
    /// `passphrase_file` is the `--ca-passphrase-file` the person gave, which the printed
    /// command repeats, so that it runs as printed; its `--out` is the new bundle's name with
    /// `-revoked` before `.zip`.
    pub fn with_paths(&self, new_zip: &str, ca_key: &str, passphrase_file: Option<&str>) -> String {
        let mut out = String::new();
        let revoked = match new_zip.strip_suffix(".zip") {
            Some(stem) => format!("{stem}-revoked.zip"),
            None => format!("{new_zip}-revoked.zip"),
        };
        let mut key = shell_word(ca_key);
        if let Some(p) = passphrase_file {
            key.push_str(&format!(" --ca-passphrase-file {}", shell_word(p)));
        }
        let how = RevokeWith::Cli {
            new_zip: &shell_word(new_zip),
            ca_key: &key,
            revoked_zip: &shell_word(&revoked),
        };
        self.write(&mut out, how).expect("writing to a String");
        out
    }

    /// The summary as the page shows it: the same text, but the old certificates are revoked
    /// from the page (open the new bundle, Revoke, serials of an earlier bundle) rather than
    /// with a command line.
    pub fn for_page(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, RevokeWith::Page)
            .expect("writing to a String");
        out
    }

    fn write(&self, f: &mut impl fmt::Write, how: RevokeWith<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.members_added > 0 {
            parts.push(format!(
                "{} added",
                plural(self.members_added, "member", "members")
            ));
        }
        if self.members_removed > 0 {
            parts.push(format!(
                "{} removed",
                plural(self.members_removed, "member", "members")
            ));
        }
        if self.certificates_issued > 0 {
            parts.push(format!(
                "{} issued",
                plural(self.certificates_issued, "certificate", "certificates")
            ));
        }
        parts.push(format!(
            "{} renewed",
            plural(self.certificates_renewed, "certificate", "certificates")
        ));
        parts.push(format!(
            "{} changed",
            plural(self.keys_changed, "key", "keys")
        ));
        write!(f, "{}", parts.join(", "))?;
        if self.certificates_kept > 0 {
            write!(
                f,
                " ({} kept as they were)",
                plural(self.certificates_kept, "certificate", "certificates")
            )?;
        }
        if !self.steps.is_empty() {
            write!(f, "\nrun, in this order:")?;
            for (i, s) in self.steps.iter().enumerate() {
                write!(f, "\n  {}. {s}", i + 1)?;
            }
        }
        if !self.clients_renewed.is_empty() {
            write!(
                f,
                "\nthen each renewed client, on its machine: its folder's new client.crt and \
                 client.key in place together, then reload or restart the program:"
            )?;
            for c in &self.clients_renewed {
                write!(f, "\n  {c}/")?;
            }
        }
        if !self.revoke.is_empty() {
            write!(f, "\nrevoke these old certificates:")?;
            for r in &self.revoke {
                write!(f, "\n  {r}")?;
            }
            // A client's old certificate is revoked only once the client has its new one.
            let clients = if self.clients_renewed.is_empty() {
                ""
            } else {
                " and each renewed client has its new files"
            };
            match how {
                RevokeWith::Cli {
                    new_zip,
                    ca_key,
                    revoked_zip,
                } => write!(
                    f,
                    "\nonce the runbook is done{clients}, with the new bundle:\n  etcd-pki revoke --from {new_zip} --ca-key {ca_key} {} --out {revoked_zip}",
                    self.revoke_args.join(" ")
                )?,
                RevokeWith::Page => write!(
                    f,
                    "\nonce the runbook is done{clients}, open the new bundle here and give these \
                     under Revoke, as serials of an earlier bundle:\n  {}",
                    self.revoke_serials.join(" ")
                )?,
            }
        }
        Ok(())
    }
}

/// How the person revokes the certificates a change replaced: the command line to paste, or
/// the page's Revoke section.
enum RevokeWith<'a> {
    Cli {
        new_zip: &'a str,
        ca_key: &'a str,
        revoked_zip: &'a str,
    },
    Page,
}

fn shell_word(s: &str) -> String {
    crate::render::quote::word(s)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for ChangeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(
            f,
            RevokeWith::Cli {
                new_zip: "NEW.zip",
                ca_key: "CA.key",
                revoked_zip: "REVOKED.zip",
            },
        )
    }
}

fn refuse(field: &str, reason: impl Into<String>) -> Error {
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
fn check_new_node(spec: &ClusterSpec, node: &Node, except: Option<&str>) -> Result<(), Error> {
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

fn same_ip(a: &str, b: &str) -> bool {
    match (a.parse::<std::net::IpAddr>(), b.parse::<std::net::IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn member_exists(spec: &ClusterSpec, name: &str, field: &str) -> Result<usize, Error> {
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
fn changed_spec(spec: &ClusterSpec, change: &Change) -> Result<ClusterSpec, Error> {
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

/// The same certificate as far as its contents go (subject, SANs, profile, owner).
fn same_contents(a: &CertPlan, b: &CertPlan) -> bool {
    a.profile == b.profile
        && a.owner == b.owner
        && a.common_name == b.common_name
        && a.organization == b.organization
        && a.ips == b.ips
        && a.dns_names == b.dns_names
}

fn owner_name(c: &CertPlan) -> Option<&str> {
    match &c.owner {
        plan::Owner::Member(n) | plan::Owner::Client(n) => Some(n),
        plan::Owner::Cluster => None,
    }
}

/// Decides what `change` does to the cluster of `opened` (its spec being `spec`, normally
/// `opened.state.spec`; for [`Change::Generate`], the spec to generate). `opened` is `None`
/// only for `Generate` under a CA from elsewhere.
pub fn plan_change(
    opened: Option<&OpenedBundle>,
    spec: &ClusterSpec,
    change: &Change,
    now: OffsetDateTime,
) -> Result<ChangePlan, Error> {
    if opened.is_none() && *change != Change::Generate {
        return Err(refuse(
            "--from",
            "this operation changes an existing bundle: give the newest bundle with --from",
        ));
    }
    let new_spec = changed_spec(spec, change)?;
    let mut new_plan = plan::plan(&ValidatedSpec::new(&new_spec)?);
    let old_plan = opened.map(OpenedBundle::plan);
    let sorted = sort_certificates(
        &new_plan,
        old_plan.as_ref(),
        &records_by_id(opened),
        change,
        now,
    );
    let mut key_reused = sorted.key_reused;
    if *change != Change::Generate
        && let Some(old) = &old_plan
    {
        key_reused.extend(other_keys_kept(&new_plan, old));
    }
    let (keys_to_make, keys_changed) = keys_to_make(&new_plan, old_plan.as_ref(), &key_reused);

    let old_members: Vec<MemberPlan> = old_plan
        .as_ref()
        .map(|p| p.members.clone())
        .unwrap_or_default();
    let (members_added, members_removed) = if *change == Change::Generate {
        (Vec::new(), Vec::new())
    } else {
        member_diff(&old_members, &new_plan.members)
    };
    let revoke = opened.map_or_else(Vec::new, |o| {
        certificates_to_revoke(o, &new_plan, &sorted.renewed, &members_removed)
    });
    let (kept, issued, renewed) = (sorted.kept, sorted.issued, sorted.renewed);
    // What the new bundle carries is decided here, with everything else: a member added after
    // a revocation starts with the CRL like the others.
    let mut crl = None;
    if let Some(o) = opened {
        new_plan.carry(crate::revocations::carried(o, &members_removed));
        crl = crate::revocations::crl_of(o)?;
    }

    let operations = operations(
        change,
        &old_members,
        &mut new_plan,
        &members_added,
        &members_removed,
        &renewed,
        opened,
    )?;
    // The runbooks are files of the plan like the others: checked now, before any key is
    // made, and rendered and packaged with the rest.
    let mut prepared = Vec::new();
    for op in &operations {
        prepared.extend(runbook::files(op)?.iter().map(runbook::file_plan));
    }
    new_plan.prepare(prepared);

    Ok(ChangePlan {
        change: change.clone(),
        spec: new_spec,
        plan: new_plan,
        now,
        kept,
        issued,
        renewed,
        keys_to_make,
        keys_kept: key_reused.into_iter().collect(),
        keys_changed,
        members_added,
        members_removed,
        revoke,
        operations,
        crl,
        ca_changes: false,
    })
}

/// The certificate records of the opened bundle (none without one), by certificate id.
fn records_by_id(opened: Option<&OpenedBundle>) -> BTreeMap<&str, &package::state::CertRecord> {
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
fn keys_to_make(
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
        .filter(|k| k.id != plan::CA_KEY && !key_reused.contains(&k.id))
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
struct SortedCertificates {
    kept: Vec<String>,
    issued: Vec<String>,
    renewed: Vec<String>,
    key_reused: BTreeSet<String>,
}

fn sort_certificates(
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
fn renew_chosen(
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
fn other_keys_kept(new_plan: &Plan, old: &Plan) -> Vec<String> {
    new_plan
        .keys
        .iter()
        .filter(|k| {
            !new_plan.certs.iter().any(|c| c.key == k.id)
                && k.id != plan::CA_KEY
                && old.key(&k.id).is_some_and(|o| o.algorithm == k.algorithm)
        })
        .map(|k| k.id.clone())
        .collect()
}

/// Members added and removed; a member that keeps its name but moves address is both.
fn member_diff(old: &[MemberPlan], new: &[MemberPlan]) -> (Vec<String>, Vec<String>) {
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
fn certificates_to_revoke(
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

/// The runbook steps and, in `new_plan.joining`, each new member's initial cluster.
fn operations(
    change: &Change,
    old_members: &[MemberPlan],
    new_plan: &mut Plan,
    added: &[String],
    removed: &[String],
    renewed: &[String],
    opened: Option<&OpenedBundle>,
) -> Result<Vec<Operation>, Error> {
    if *change == Change::Generate {
        return Ok(Vec::new());
    }
    let mut steps = MembershipSteps {
        one_machine: new_plan.one_machine,
        etcdctl_env: etcdctl_env(new_plan)?,
        new_members: &new_plan.members,
        opened,
        now_members: old_members.to_vec(),
        ops: Vec::new(),
        joining: Vec::new(),
    };
    if removes_first(old_members.len()) {
        removed.iter().for_each(|r| steps.remove(r));
        added.iter().for_each(|a| steps.add(a));
    } else {
        added.iter().for_each(|a| steps.add(a));
        removed.iter().for_each(|r| steps.remove(r));
    }
    let (mut ops, joining) = (steps.ops, steps.joining);
    new_plan.joining = joining;
    ops.extend(renew_operations(new_plan, renewed, added));
    Ok(ops)
}

/// The adds and removes of a change, one after another, each against the cluster as the
/// steps before it left it (its endpoints, its initial cluster).
struct MembershipSteps<'a> {
    /// Every member on this machine (a one-machine bundle): a new member is started by
    /// `demo/run.sh`, there is no install.sh.
    one_machine: bool,
    /// The administrator's `etcdctl-env.sh`, which every runbook sources.
    etcdctl_env: String,
    /// The members of the new plan, where an added member is found.
    new_members: &'a [MemberPlan],
    /// The bundle changed, whose records hold a removed member's certificates.
    opened: Option<&'a OpenedBundle>,
    /// The cluster as it is while the steps run.
    now_members: Vec<MemberPlan>,
    /// The steps so far.
    ops: Vec<Operation>,
    /// Each added member and the `--initial-cluster` it starts with.
    joining: Vec<(String, String)>,
}

impl MembershipSteps<'_> {
    /// Removes member `name` (a no-op if the cluster has no such member now).
    fn remove(&mut self, name: &str) {
        let Some(at) = self.now_members.iter().position(|m| m.name == name) else {
            return;
        };
        let m = self.now_members.remove(at);
        self.ops.push(Operation::RemoveMember {
            name: m.name.clone(),
            peer_urls: vec![m.advertise_peer_url.clone()],
            endpoints: plan::client_endpoints(&self.now_members),
            data_dir: m.data_dir.clone(),
            cert_dir: m.cert_dir.clone(),
            revoke: self
                .opened
                .map(|o| member_serials(o, name))
                .unwrap_or_default(),
            etcdctl_env: self.etcdctl_env.clone(),
        });
    }

    /// Adds member `name` of the new plan (a no-op if the new plan has none): asked of the
    /// members there now, it starts with the cluster grown by itself.
    fn add(&mut self, name: &str) {
        let Some(m) = self.new_members.iter().find(|m| m.name == name).cloned() else {
            return;
        };
        let endpoints = plan::client_endpoints(&self.now_members);
        self.now_members.push(m.clone());
        let grown = plan::initial_cluster(&self.now_members);
        self.joining.push((m.name.clone(), grown.clone()));
        self.ops.push(Operation::AddMember {
            name: m.name.clone(),
            peer_urls: vec![m.advertise_peer_url.clone()],
            client_url: m.advertise_client_urls.first().cloned().unwrap_or_default(),
            endpoints,
            initial_cluster: grown,
            etcdctl_env: self.etcdctl_env.clone(),
            one_machine: self.one_machine,
        });
    }
}

/// The certificates of member `name` in `opened`, as the remove runbook revokes them: (file
/// name, serial in upper-case hex without colons).
fn member_serials(opened: &OpenedBundle, name: &str) -> Vec<(String, String)> {
    opened
        .state
        .certificates
        .iter()
        .filter(|r| r.member.as_deref() == Some(name))
        .map(|r| {
            let file = r
                .paths
                .first()
                .map_or(r.id.as_str(), |p| p.rsplit('/').next().unwrap_or(p));
            (file.to_string(), r.serial.replace(':', "").to_uppercase())
        })
        .collect()
}

/// Members whose certificates are issued again, and stay: swap them in place.
fn renew_operations(new_plan: &Plan, renewed: &[String], added: &[String]) -> Vec<Operation> {
    let mut ops = Vec::new();
    for m in &new_plan.members {
        let prefix = format!("members/{}/", m.name);
        let touched = renewed.iter().any(|id| id.starts_with(&prefix));
        if touched && !added.contains(&m.name) {
            ops.push(Operation::Renew {
                name: m.name.clone(),
                ips: m.ips.clone(),
                cert_dir: m.cert_dir.clone(),
                client_port: new_plan.spec.client_port,
                peer_port: new_plan.spec.peer_port,
            });
        }
    }
    ops
}

/// The administrator client's `etcdctl-env.sh`, which the runbooks use.
fn etcdctl_env(p: &Plan) -> Result<String, Error> {
    let client = p.check_client().ok_or_else(|| {
        refuse(
            "clients",
            "the spec has no client the runbook could run etcdctl as; add an administrator client (common_name root)",
        )
    })?;
    p.files
        .iter()
        .find(|f| f.role == Role::EtcdctlEnv && f.owner == plan::Owner::Client(client.name.clone()))
        .map(|f| f.path.clone())
        .ok_or_else(|| {
            refuse(
                "clients",
                format!(
                    "client {:?} has no etcdctl-env.sh in the bundle",
                    client.name
                ),
            )
        })
}

/// Reads the CA key `ca_key` (any form [`crate::ca_import::import_ca`] reads) for the bundle
/// `opened`, refusing a key that is not the key of the bundle's `ca.crt`.
pub fn unlock_ca(
    opened: &OpenedBundle,
    ca_key: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<CaMaterial, Error> {
    let ca_path = opened
        .state
        .ca
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| "ca.crt".into());
    let cert = opened
        .file(&ca_path)
        .ok_or_else(|| Error::BadBundle(format!("{ca_path} is missing from the zip")))?;
    let ca =
        crate::ca_import::import_ca(&cert.contents, ca_key, passphrase).map_err(|e| match e {
            Error::CaKeyMismatch { .. } => refuse(
                "--ca-key",
                "this key is not the key of the bundle's CA (ca.crt): give the CA key saved \
                 beside the bundle when it was first made (<cluster>-ca.key), the one rotate-ca \
                 wrote if this bundle is its kit or came after it (<cluster>-ca-new.key), or \
                 the imported CA's own key",
            ),
            other => other,
        })?;
    Ok(CaMaterial {
        cert_der: ca.cert_der.clone(),
        key_pkcs8_der: ca.key_pkcs8_der.clone(),
    })
}

/// The old bundle's file that holds `content` (by the old plan's paths).
fn old_file<'o>(
    opened: &'o OpenedBundle,
    old_plan: &Plan,
    content: &Content,
) -> Option<&'o crate::package::OpenedFile> {
    old_plan
        .files
        .iter()
        .find(|f| f.content == *content)
        .and_then(|f| opened.file(&f.path))
}

fn read_key(opened: &OpenedBundle, old_plan: &Plan, req: &KeyRequest) -> Result<PrivateKey, Error> {
    let file = old_file(opened, old_plan, &Content::Key(req.id.clone()))
        .ok_or_else(|| Error::BadBundle(format!("the bundle has no key file for {}", req.label)))?;
    let der = pem::parse(file.contents.as_slice())
        .map_err(|e| Error::BadKey {
            key: req.label.clone(),
            reason: format!("{} is not PEM: {e}", file.path),
        })?
        .into_contents();
    let key = PrivateKey::from_pkcs8_der(req.algorithm, &der)?;
    Ok(key)
}

/// Makes the new bundle of `plan` under `ca`: kept certificates and keys copied from
/// `opened` byte for byte, the others issued with `keys` (one for every
/// [`ChangePlan::keys_to_make`]), every file rendered, the runbook added, `spec.json` new.
pub fn apply_change(
    opened: Option<&OpenedBundle>,
    ca: &CaMaterial,
    plan: &ChangePlan,
    keys: Keys,
) -> Result<(Bundle, ChangeSummary), Error> {
    apply_change_sealed(opened, ca, plan, keys, None)
}

/// [`apply_change`] for a plan that writes a new CA key file sealed under `sealing`
/// ([`crate::Plan::ca_key_sealed`]: a CA rotation to a new key with a passphrase).
pub fn apply_change_sealed(
    opened: Option<&OpenedBundle>,
    ca: &CaMaterial,
    plan: &ChangePlan,
    mut keys: Keys,
    sealing: Option<&crate::SealingKey>,
) -> Result<(Bundle, ChangeSummary), Error> {
    let new_plan = &plan.plan;
    let old_plan = opened.map(OpenedBundle::plan);
    if let Some(o) = opened
        && !plan.ca_changes
    {
        check_same_ca(o, ca)?;
    }
    for req in &plan.keys_to_make {
        issue::plan_key(new_plan, &keys, &req.id)?;
    }
    if let (Some(o), Some(old)) = (opened, &old_plan) {
        for id in &plan.keys_kept {
            if let Some(req) = new_plan.key(id) {
                keys.insert(id.clone(), read_key(o, old, req)?);
            }
        }
    }
    // Issue only what is new; the kept certificates join afterwards.
    let mut to_issue = new_plan.clone();
    to_issue.certs.retain(|c| !plan.kept.contains(&c.id));
    if !to_issue.certs.is_empty() {
        check_within_ca(ca, new_plan.spec.cert_validity_days, plan.now)?;
    }
    let mut issued = issue::issue(&to_issue, ca, &keys, plan.now)?;
    issued.crl = plan.crl.clone();
    if let (Some(o), Some(old)) = (opened, &old_plan) {
        add_kept_certificates(&mut issued, o, old, plan, &keys)?;
        keep_key_bytes(&mut issued, o, old, &plan.keys_kept);
    }
    let files = render::render(new_plan, &issued)?;
    let ca_key_file = render::ca_key_file(new_plan, ca, sealing)?;
    let bundle = package::assemble(new_plan, &issued, files, ca_key_file);
    let steps = plan
        .operations
        .iter()
        .map(|op| Ok(runbook::files(op)?[0].path.clone()))
        .collect::<Result<Vec<_>, Error>>()?;
    let summary = ChangeSummary {
        members_added: plan.members_added.len(),
        members_removed: plan.members_removed.len(),
        certificates_issued: plan.issued.len(),
        certificates_renewed: plan.renewed.len(),
        certificates_kept: plan.kept.len(),
        keys_changed: plan.keys_changed.len(),
        steps,
        revoke: plan
            .revoke
            .iter()
            .map(|(p, s)| format!("{p} serial {s}"))
            .collect(),
        revoke_args: revoke_args(plan),
        revoke_serials: plan.revoke.iter().map(|(_, s)| s.clone()).collect(),
        clients_renewed: plan
            .renewed
            .iter()
            .filter(|id| id.starts_with("clients/"))
            .cloned()
            .collect(),
    };
    Ok((bundle, summary))
}

/// The `etcd-pki revoke` arguments for the plan's old certificates: a member that leaves is
/// recorded in the new bundle (`removed_members`) and revoked by name; any other old
/// certificate (its key replaced, or its member moved under the same name) is no longer in
/// the new bundle and is named by serial.
fn revoke_args(plan: &ChangePlan) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    for (path, serial) in &plan.revoke {
        let member = path
            .strip_prefix("members/")
            .and_then(|rest| rest.split('/').next())
            .filter(|m| plan.members_removed.iter().any(|r| r == m))
            // A member that stays under its name (it moved) is current: by serial.
            .filter(|m| !plan.members_added.iter().any(|a| a == m));
        let arg = match member {
            Some(m) => format!("--member {m}"),
            None => format!("--unlisted-serial {serial}"),
        };
        if !args.contains(&arg) {
            args.push(arg);
        }
    }
    args
}

/// Refuses to issue certificates that would outlive the CA signing them (they would stop
/// verifying on the CA's last day, with no warning), naming the CA's end and the two fixes.
fn check_within_ca(ca: &CaMaterial, validity_days: u32, now: OffsetDateTime) -> Result<(), Error> {
    let cert = ca.cert()?;
    let leaf_end = now + time::Duration::days(i64::from(validity_days));
    if leaf_end <= cert.not_after {
        return Ok(());
    }
    let day = |t: OffsetDateTime| t.date().to_string();
    let max = (cert.not_after - now).whole_days().max(0);
    Err(refuse(
        "cert_validity_days",
        format!(
            "the CA {:?} expires on {}, before certificates issued now for {validity_days} days \
             would ({}), and they would stop verifying that day: renew the CA first \
             (etcd-pki rotate-ca --same-key: one rolling restart, every certificate kept), or \
             set cert_validity_days to at most {max} in the spec; nothing was written",
            cert.info.subject,
            day(cert.not_after),
            day(leaf_end),
        ),
    ))
}

/// Refuses a CA that is not the opened bundle's: its certificate differs and is not a
/// same-key renewal of it (the same subject and public key, which every certificate the old
/// one issued verifies under).
fn check_same_ca(o: &OpenedBundle, ca: &CaMaterial) -> Result<(), Error> {
    let bundle_ca = o
        .file(o.state.ca.paths.first().map_or("ca.crt", String::as_str))
        .map(|f| pem::parse(f.contents.as_slice()).map(|p| p.into_contents()));
    if let Some(Ok(der)) = bundle_ca
        && der != ca.cert_der
        && !same_name_and_key(&der, &ca.cert_der)
    {
        return Err(refuse(
            "--ca-key",
            "the CA given is not the CA of the bundle opened",
        ));
    }
    Ok(())
}

/// Whether two certificates have the same subject and public key (a same-key renewal).
fn same_name_and_key(a: &[u8], b: &[u8]) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    match (X509Certificate::from_der(a), X509Certificate::from_der(b)) {
        (Ok((_, a)), Ok((_, b))) => {
            a.subject().as_raw() == b.subject().as_raw() && a.public_key().raw == b.public_key().raw
        }
        _ => false,
    }
}

/// The kept certificates join the issued ones, read from the opened bundle as they are.
fn add_kept_certificates(
    issued: &mut issue::Issued,
    o: &OpenedBundle,
    old: &Plan,
    plan: &ChangePlan,
    keys: &Keys,
) -> Result<(), Error> {
    let new_plan = &plan.plan;
    for id in &plan.kept {
        let c = new_plan.certs.iter().find(|c| c.id == *id);
        let file = old_file(o, old, &Content::Cert(id.clone()));
        let (Some(c), Some(file)) = (c, file) else {
            return Err(Error::BadBundle(format!(
                "the bundle has no certificate {id}"
            )));
        };
        let der = pem::parse(file.contents.as_slice())
            .map_err(|e| Error::BadBundle(format!("{} is not PEM: {e}", file.path)))?
            .into_contents();
        let alg = issue::plan_key(new_plan, keys, &c.key)?.algorithm();
        let mut cert = IssuedCert::from_der(der, alg, &c.path)?;
        // The old file's bytes, not a new encoding of the same certificate.
        if let Ok(pem) = std::str::from_utf8(&file.contents) {
            cert.pem = pem.to_string();
        }
        issued.certs.insert(id.clone(), cert);
    }
    Ok(())
}

/// Kept keys keep the old files' bytes (a key read and written again could be spelled
/// differently): the issue stage hands render the old PEM for each id of `kept`.
pub(crate) fn keep_key_bytes(
    issued: &mut issue::Issued,
    o: &OpenedBundle,
    old: &Plan,
    kept: &[String],
) {
    for id in kept {
        if let Some(f) = old_file(o, old, &Content::Key(id.clone()))
            && let Ok(pem) = std::str::from_utf8(&f.contents)
        {
            issued.keep_private_key_pem(id, pem);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ClusterSpec;

    fn opened() -> (OpenedBundle, Bundle) {
        let b = crate::generate(&ClusterSpec::template()).unwrap();
        (package::open(&b.to_zip().unwrap()).unwrap(), b)
    }

    fn node(name: &str, ip: &str) -> Node {
        Node {
            name: name.into(),
            ips: vec![ip.into()],
            dns_names: vec![],
        }
    }

    fn run(o: &OpenedBundle, ca: &CaMaterial, c: Change) -> Result<(Bundle, ChangeSummary), Error> {
        let p = plan_change(Some(o), &o.state.spec, &c, OffsetDateTime::now_utc())?;
        let mut keys = Keys::new();
        for r in &p.keys_to_make {
            keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm)?);
        }
        apply_change(Some(o), ca, &p, keys)
    }

    #[test]
    fn bad_changes_name_the_field() {
        let (o, b) = opened();
        let now = OffsetDateTime::now_utc();
        let spec = &o.state.spec;
        let e = plan_change(
            Some(&o),
            spec,
            &Change::AddMembers(vec![node("etcd1", "10.0.0.9")]),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("--name") && e.contains("exists already"),
            "{e}"
        );
        let e = plan_change(
            Some(&o),
            spec,
            &Change::AddMembers(vec![node("etcd9", "10.0.0.2")]),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("--ip") && e.contains("etcd2"), "{e}");
        // 3 → 2 keeps quorum; 2 → 1 does not.
        let (two, _) = run(
            &o,
            &unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap(),
            Change::RemoveMember("etcd3".into()),
        )
        .unwrap();
        let two = package::open(&two.to_zip().unwrap()).unwrap();
        let e = plan_change(
            Some(&two),
            &two.state.spec,
            &Change::RemoveMember("etcd2".into()),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("below the quorum"), "{e}");
        let other = crate::generate(&ClusterSpec::template()).unwrap();
        let e = unlock_ca(&o, other.ca_key.text().as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--ca-key"), "{e}");
    }

    #[test]
    fn add_keeps_existing_and_renew_keep_keys_changes_no_key() {
        let (o, b) = opened();
        let ca = unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap();
        let (grown, s) = run(&o, &ca, Change::AddMembers(vec![node("etcd4", "10.0.0.4")])).unwrap();
        assert_eq!(
            (s.members_added, s.certificates_renewed, s.keys_changed),
            (1, 0, 0),
            "{s}"
        );
        let env = grown
            .files
            .iter()
            .find(|f| f.role == Role::EtcdEnv && f.owner == plan::Owner::Member("etcd4".into()))
            .unwrap()
            .text()
            .to_string();
        assert!(
            env.contains("ETCD_INITIAL_CLUSTER_STATE=existing")
                || env.contains("ETCD_INITIAL_CLUSTER_STATE='existing'"),
            "{env}"
        );
        for p in ["members/etcd1/pki/server.key", "members/etcd2/pki/peer.crt"] {
            assert_eq!(
                grown.file(p).unwrap().contents,
                b.file(p).unwrap().contents,
                "{p}"
            );
        }
        let g = package::open(&grown.to_zip().unwrap()).unwrap();
        let (renewed, s) = run(
            &g,
            &ca,
            Change::Renew {
                only: vec![],
                keep_keys: true,
                within_days: None,
            },
        )
        .unwrap();
        assert_eq!(s.keys_changed, 0, "{s}");
        assert!(s.certificates_renewed >= 9, "{s}");
        assert!(
            s.to_string()
                .contains("certificates renewed, 0 keys changed"),
            "{s}"
        );
        // No runbook installs a client's files: the summary names each renewed client.
        assert!(
            s.clients_renewed.contains(&"clients/etcdctl".to_string()),
            "{s}"
        );
        assert!(s.to_string().contains("\n  clients/etcdctl/"), "{s}");
        assert!(
            s.to_string()
                .contains("once the runbook is done and each renewed client has its new files,"),
            "{s}"
        );
        assert!(
            s.with_paths("new one.zip", "/keys/ca.key", Some("/keys/pass"))
                .contains(
                    "etcd-pki revoke --from 'new one.zip' --ca-key /keys/ca.key \
                     --ca-passphrase-file /keys/pass --"
                ),
            "{s}"
        );
        let p = "members/etcd1/pki/server.key";
        assert_eq!(
            renewed.file(p).unwrap().contents,
            b.file(p).unwrap().contents
        );
        assert!(renewed.file("members/etcd1/renew.sh").is_some());
    }

    #[test]
    fn the_page_and_the_cli_show_one_summary() {
        let (o, b) = opened();
        let ca = unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap();
        let (_, s) = run(
            &o,
            &ca,
            Change::Renew {
                only: vec!["etcd1".into()],
                keep_keys: false,
                within_days: None,
            },
        )
        .unwrap();
        let (cli, page) = (s.to_string(), s.for_page());
        assert!(!s.revoke_serials.is_empty(), "{cli}");
        // The same text up to how the old certificates are revoked.
        let cut = |t: &str| {
            t.split("\nonce the runbook is done")
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(cut(&cli), cut(&page));
        assert!(cli.contains("etcd-pki revoke --from NEW.zip"), "{cli}");
        assert!(
            page.contains("under Revoke, as serials of an earlier bundle")
                && s.revoke_serials.iter().all(|x| page.contains(x.as_str()))
                && !page.contains("etcd-pki revoke"),
            "{page}"
        );
    }
}
