//! Stage 1 of 5: checks a spec and reports every problem at once: field path, the bad value,
//! and a sentence that says what to do. Errors stop generation; warnings are shown and
//! generation goes on. A spec without errors becomes a [`ValidatedSpec`], the input of
//! [`crate::plan`].
//!
//! ```
//! use pki_core::{ClusterSpec, Severity, validate, validate::ValidatedSpec};
//!
//! let mut spec = ClusterSpec::template();
//! spec.nodes[2].ips[0] = "10.0.0.300".into();
//! let report = validate(&spec);
//! let p = report.at("nodes[2].ips[0]").next().unwrap();
//! assert_eq!(p.severity, Severity::Error);
//! assert!(p.message.contains("not an IP address"));
//! assert!(ValidatedSpec::new(&spec).is_err());
//! # Ok::<(), pki_core::Error>(())
//! ```

use std::collections::HashMap;
use std::net::IpAddr;

pub use crate::report::{Problem, Report, Severity};
use crate::rules::{self, MAX_STRING};
use crate::spec::ClusterSpec;

mod versions;

/// Longest CN or O the X.520 upper bounds allow.
const MAX_NAME_ATTR: usize = 64;
/// A CA lifetime beyond a century is a typo.
const MAX_CA_DAYS: u32 = 36500;
/// etcd's own advice: more than 7 members slows every write for little gain.
const MAX_SENSIBLE_MEMBERS: usize = 7;

/// Checks everything about a spec that can be known before generating.
pub fn validate(spec: &ClusterSpec) -> Report {
    let mut r = Report::default();
    check_identifier(&mut r, "cluster_name", &spec.cluster_name, "cluster name");
    check_nodes(&mut r, spec);
    check_clients(&mut r, spec);
    check_validity(&mut r, spec);
    check_subject(&mut r, spec);
    check_path(&mut r, spec, "cert_dir", &spec.cert_dir);
    if spec.layout == crate::spec::Layout::Kubeadm
        && spec.cert_dir != crate::spec::defaults::cert_dir()
    {
        r.warning(
            "cert_dir",
            &spec.cert_dir,
            "the kubeadm layout puts certificates where kubeadm expects them, \
             /etc/kubernetes/pki/etcd, so cert_dir is not used",
        );
    }
    check_path(&mut r, spec, "data_dir", &spec.data_dir);
    check_dirs_apart(&mut r, spec);
    check_ports(&mut r, spec);
    check_tls(&mut r, spec);
    versions::check(&mut r, spec);
    // The migration scripts reach etcd with each member's own server certificate (lib.sh), so
    // they need no admin client.
    if let Some(m) = &spec.migration
        && m.current_peer_port == spec.peer_port
    {
        r.error(
            "migration.current_peer_port",
            &m.current_peer_port.to_string(),
            format!(
                "the target peer_port is also {}: etcd ignores certificates on an http:// \
                 listener, so during the move each member listens on two peer ports, plain \
                 and TLS: choose another peer_port (e.g. {})",
                spec.peer_port,
                spec.peer_port.wrapping_add(1)
            ),
        );
    }
    check_token(&mut r, spec);
    check_string_lengths(&mut r, spec);
    drop_shadowed(&mut r);
    r
}

fn check_nodes(r: &mut Report, spec: &ClusterSpec) {
    let n = spec.nodes.len();
    check_member_count(r, n);
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut ips: HashMap<IpAddr, (usize, String)> = HashMap::new();
    for (i, node) in spec.nodes.iter().enumerate() {
        let base = format!("nodes[{i}]");
        if check_entry_name(r, &format!("{base}.name"), &node.name, "member name")
            && check_not_a_user(r, spec, i)
            && let Some(first) = names.insert(node.name.to_ascii_lowercase(), i)
        {
            r.error(
                format!("{base}.name"),
                &node.name,
                format!(
                    "the member name {} is already used by nodes[{first}] (names are \
                     compared without case, as some file systems do); every member needs its \
                     own name",
                    quote(&node.name)
                ),
            );
        }
        if node.ips.is_empty() {
            r.error(
                format!("{base}.ips"),
                "",
                format!(
                    "member {} has no IP address; etcd's listen and peer URLs need one, e.g. \
                     10.0.0.{}",
                    quote_or_index(&node.name, i),
                    i + 1
                ),
            );
        }
        limit(
            r,
            &format!("{base}.ips"),
            node.ips.len(),
            rules::MAX_IPS,
            "IP addresses per member",
        );
        limit(
            r,
            &format!("{base}.dns_names"),
            node.dns_names.len(),
            rules::MAX_DNS_NAMES,
            "DNS names per member",
        );
        check_member_ips(r, i, &node.ips, &mut ips);
        for (j, dns) in node.dns_names.iter().enumerate() {
            check_dns_name(r, &format!("{base}.dns_names[{j}]"), dns);
        }
    }

    let all_ips: Vec<IpAddr> = ips.keys().copied().collect();
    if spec.is_one_machine() && n > 1 {
        r.warning(
            "nodes",
            "",
            "every member is on a loopback address, so this is a one-machine cluster: \
             peer certificates also carry 127.0.0.1, because etcd checks a peer's certificate \
             against the address it connects from and on one machine that is 127.0.0.1. \
             Fine for a demo or a test; use real addresses in production",
        );
    } else if all_ips.iter().any(|ip| ip.is_loopback())
        && all_ips.iter().any(|ip| !ip.is_loopback())
    {
        r.warning(
            "nodes",
            "",
            "some members have loopback addresses and others do not; a loopback address \
             cannot be reached from another machine, so give every member its network address",
        );
    }
}

/// The member count etcd advises against: none, an even number, more than seven.
fn check_member_count(r: &mut Report, n: usize) {
    if n == 0 {
        r.error(
            "nodes",
            "",
            "a cluster needs at least one member: add a member with a name and an IP address",
        );
    } else if n.is_multiple_of(2) {
        r.warning(
            "nodes",
            &n.to_string(),
            format!(
                "{n} members tolerate no more failures than {}: an even-sized cluster only \
                 adds a machine that can fail; use {} or {} members",
                n - 1,
                n - 1,
                n + 1
            ),
        );
    } else if n > MAX_SENSIBLE_MEMBERS {
        r.warning(
            "nodes",
            &n.to_string(),
            format!(
                "{n} members: every write waits for a majority of {}, and etcd recommends \
                 at most 7; consider 5 or 7",
                n / 2 + 1
            ),
        );
    }
}

/// Member `i`'s IPs: each parses and is usable, and none is another member's (`seen` holds
/// every address so far, with where it was).
fn check_member_ips(
    r: &mut Report,
    i: usize,
    texts: &[String],
    seen: &mut HashMap<IpAddr, (usize, String)>,
) {
    for (j, ip_text) in texts.iter().enumerate() {
        let path = format!("nodes[{i}].ips[{j}]");
        let Some(ip) = check_ip(r, &path, ip_text, i) else {
            continue;
        };
        if let Some((other, other_path)) = seen.get(&ip) {
            if *other == i {
                r.error(
                    path,
                    ip_text,
                    format!("{ip} is listed twice for this member; remove one"),
                );
            } else {
                r.error(
                    path,
                    ip_text,
                    format!(
                        "{ip} is already the address of nodes[{other}] ({other_path}); \
                         every member needs its own address"
                    ),
                );
            }
        } else {
            seen.insert(ip, (i, path));
        }
    }
}

/// Parses one member IP; reports and returns None when it is unusable.
fn check_ip(r: &mut Report, path: &str, text: &str, node_index: usize) -> Option<IpAddr> {
    let trimmed = text.trim();
    let hint = format!(
        "write it as 10.0.0.{} or 2001:db8::{}",
        node_index + 1,
        node_index + 1
    );
    let parsed = trimmed
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(trimmed)
        .parse::<IpAddr>();
    let ip = match parsed {
        Ok(ip) => ip,
        Err(_) => {
            let extra = if trimmed.contains('/') {
                "; leave out the /prefix length"
            } else if trimmed.contains("://")
                || trimmed
                    .rsplit_once(':')
                    .is_some_and(|(h, _)| h.parse::<std::net::Ipv4Addr>().is_ok())
            {
                "; give the bare address, without scheme or port (the ports are client_port and peer_port)"
            } else if trimmed.chars().any(|c| c.is_ascii_alphabetic()) && !trimmed.contains(':') {
                "; a host name belongs in dns_names"
            } else {
                ""
            };
            r.error(
                path,
                text,
                format!("{} is not an IP address; {hint}{extra}", quote(text)),
            );
            return None;
        }
    };
    if trimmed != text || trimmed.starts_with('[') {
        r.error(
            path,
            text,
            format!("{} has extra characters; write just {ip}", quote(text)),
        );
        return None;
    }
    if ip.is_unspecified() {
        r.error(
            path,
            text,
            format!(
                "{ip} means \"every address\" and cannot be advertised to other members or put \
                 in a certificate; give the member's real address"
            ),
        );
        return None;
    }
    if ip.is_multicast() || ip == IpAddr::from([255, 255, 255, 255]) {
        r.error(
            path,
            text,
            format!("{ip} is a multicast or broadcast address; give the member's own address"),
        );
        return None;
    }
    Some(ip)
}

/// RFC 1123 host names (letters, digits, hyphens; labels of 1 to 63; 253 in all).
fn check_dns_name(r: &mut Report, path: &str, name: &str) {
    let fail = |r: &mut Report, why: &str| {
        r.error(
            path,
            name,
            format!(
                "{} is not a valid DNS name: {why}; write it like etcd1.example.com",
                quote(name)
            ),
        )
    };
    if name.is_empty() {
        return fail(r, "it is empty");
    }
    if name.parse::<IpAddr>().is_ok() {
        r.error(
            path,
            name,
            format!("{name} is an IP address; move it to ips so it becomes an IP SAN"),
        );
        return;
    }
    if name.ends_with('.') {
        return fail(r, "leave out the trailing dot");
    }
    if name.starts_with("*.") {
        return fail(r, "etcd members need their own names, not a wildcard");
    }
    if name.len() > 253 {
        return fail(r, "it is longer than 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return fail(
                r,
                "it has an empty label (two dots in a row, or a leading dot)",
            );
        }
        if label.len() > 63 {
            return fail(r, "a label is longer than 63 characters");
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            let why = if c == '_' {
                "underscores are not allowed in host names".to_string()
            } else {
                format!(
                    "{} is not allowed (letters, digits and hyphens only)",
                    quote(&c.to_string())
                )
            };
            return fail(r, &why);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return fail(r, "a label may not start or end with a hyphen");
        }
    }
}

fn check_clients(r: &mut Report, spec: &ClusterSpec) {
    if spec.clients.is_empty() {
        r.warning(
            "clients",
            "",
            "no client certificates: with client-cert-auth on, nothing can talk to the \
             cluster, not even etcdctl; add one with common_name \"root\"",
        );
    }
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut cns: HashMap<String, usize> = HashMap::new();
    if spec.clients.len() > crate::spec::MAX_CLIENTS {
        return; // from_json refuses this; a spec built in code gets no per-client report.
    }
    for (i, c) in spec.clients.iter().enumerate() {
        let base = format!("clients[{i}]");
        if check_entry_name(r, &format!("{base}.name"), &c.name, "client name")
            && let Some(first) = names.insert(c.name.to_ascii_lowercase(), i)
        {
            r.error(
                format!("{base}.name"),
                &c.name,
                format!(
                    "the client name {} is already used by clients[{first}] (names are \
                     compared without case, as some file systems do); give each client its own \
                     name",
                    quote(&c.name)
                ),
            );
        }
        check_common_name(r, i, &c.common_name, &mut cns);
        if let Some(o) = &c.organization {
            check_attr(r, &format!("{base}.organization"), o, "organization");
        }
        check_roles_and_grants(r, &base, c);
    }
}

/// Client `i`'s CN: etcd's user name once auth is on, so no blank, no spaces at the ends,
/// no `:` or leading `-`, and no CN twice (`cns` holds every CN so far).
fn check_common_name(r: &mut Report, i: usize, cn: &str, cns: &mut HashMap<String, usize>) {
    let cn_path = format!("clients[{i}].common_name");
    if cn.trim().is_empty() {
        r.error(
            cn_path,
            cn,
            "the common name is empty; etcd uses it as the user name, e.g. \"root\" for an \
             administrator or the program's name",
        );
    } else if cn.trim() != cn {
        r.error(
            cn_path,
            cn,
            format!(
                "{} starts or ends with a space, and etcd would look for a user with that \
                 space; remove it",
                quote(cn)
            ),
        );
    } else if cn.chars().count() > MAX_NAME_ATTR {
        r.error(
            cn_path,
            cn,
            format!("the common name is longer than {MAX_NAME_ATTR} characters; shorten it"),
        );
    } else if let Some(ch) = cn.chars().find(|ch| rules::is_invisible(*ch)) {
        r.error(
            cn_path,
            cn,
            format!(
                "the common name {} contains the control or format character {}; remove it",
                quote(cn),
                quote(&ch.to_string())
            ),
        );
    } else if cn.contains(':') {
        r.error(
            cn_path,
            cn,
            format!(
                "the common name {} contains ':', which etcd reads as the end of a user \
                 name (user:password); use letters, digits, '-', '_' or '.', e.g. \"{}\"",
                quote(cn),
                cn.replace(':', "-")
            ),
        );
    } else if cn.starts_with('-') {
        r.error(
            cn_path,
            cn,
            format!(
                "the common name {} starts with '-', which etcdctl would read as an option; \
                 start it with a letter or digit",
                quote(cn)
            ),
        );
    } else if let Some(first) = cns.insert(cn.to_lowercase(), i) {
        r.error(
            cn_path,
            cn,
            format!(
                "the common name {} is already used by clients[{first}] (names are \
                 compared without case); two certificates for one etcd user cannot be told \
                 apart or revoked separately, so give each client its own user",
                quote(cn)
            ),
        );
    }
}

/// A client's roles and key-prefix grants: names etcd accepts, prefixes that grant what they
/// say.
fn check_roles_and_grants(r: &mut Report, base: &str, c: &crate::spec::Client) {
    limit(
        r,
        &format!("{base}.roles"),
        c.roles.len(),
        rules::MAX_ROLES,
        "roles per client",
    );
    limit(
        r,
        &format!("{base}.grants"),
        c.grants.len(),
        rules::MAX_GRANTS,
        "grants per client",
    );
    for (j, role) in c.roles.iter().enumerate() {
        let ok = role.starts_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '_')
            && role.chars().all(rules::is_role_char);
        if !ok {
            r.error(
                format!("{base}.roles[{j}]"),
                role,
                format!(
                    "{} is not a usable etcd role name; use letters, digits, '.', '_', '-', \
                     ':', starting with a letter or digit, e.g. \"root\"",
                    quote(role)
                ),
            );
        }
    }
    for (j, g) in c.grants.iter().enumerate() {
        let p = &g.key_prefix;
        let path = format!("{base}.grants[{j}].key_prefix");
        if p.is_empty() {
            r.error(
                path,
                p,
                "the key prefix is empty, which would grant the whole keyspace; write it \
                 like /calico/, or give the role root for everything",
            );
        } else if let Some(ch) = p.chars().find(|ch| !rules::is_key_prefix_char(*ch)) {
            r.error(
                path,
                p,
                format!(
                    "the key prefix {} contains {}; use letters, digits and / . _ - : = @ + , \
                     only, e.g. /calico/",
                    quote(p),
                    quote(&ch.to_string())
                ),
            );
        } else if p.starts_with('-') {
            r.error(
                path,
                p,
                format!(
                    "the key prefix {} starts with '-', which etcdctl would read as an \
                     option; etcd keys usually start with /, e.g. /{}",
                    quote(p),
                    p.trim_start_matches('-')
                ),
            );
        }
    }
}

/// A list longer than `max`: one error on the list, naming the limit.
fn limit(r: &mut Report, path: &str, count: usize, max: usize, what: &str) {
    if count > max {
        r.error(
            path,
            &count.to_string(),
            format!("{count} given; etcd-pki accepts at most {max} {what}: remove some"),
        );
    }
}

/// Member and client names: [`check_identifier`], plus no name the bundle uses itself and no
/// Windows device name (the folder could not be unpacked there).
fn check_entry_name(r: &mut Report, path: &str, name: &str, what: &str) -> bool {
    if !check_identifier(r, path, name, what) {
        return false;
    }
    if rules::is_reserved_name(name) {
        r.error(
            path,
            name,
            format!(
                "the {what} {} is a file or folder name the bundle uses itself; choose \
                 another, e.g. \"{}-1\"",
                quote(name),
                name.split('.').next().unwrap_or(name)
            ),
        );
        return false;
    }
    if rules::is_windows_device(name) {
        r.error(
            path,
            name,
            format!(
                "the {what} {} is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9), \
                 so its folder could not be unpacked on Windows; choose another, e.g. \"{}-1\"",
                quote(name),
                name.split('.').next().unwrap_or(name)
            ),
        );
        return false;
    }
    true
}

/// A member's server and peer certificates carry clientAuth with CN = member name, so a
/// member named like an etcd user (`root`, a client's CN) would hold that user's key.
fn check_not_a_user(r: &mut Report, spec: &ClusterSpec, i: usize) -> bool {
    let name = &spec.nodes[i].name;
    let path = format!("nodes[{i}].name");
    let user = if name.eq_ignore_ascii_case("root") {
        Some("the etcd administrator, root".to_string())
    } else if spec.layout == crate::spec::Layout::Kubeadm
        && name.eq_ignore_ascii_case(crate::options::kubeadm::HEALTHCHECK_CN)
    {
        Some("kubeadm's health-check client".to_string())
    } else {
        spec.clients
            .iter()
            .position(|c| c.common_name.eq_ignore_ascii_case(name))
            .map(|k| format!("the user of clients[{k}] (its common_name)"))
    };
    match user {
        Some(who) => {
            r.error(
                path,
                name,
                format!(
                    "the member name {} is also {who}: a member's certificates carry \
                     clientAuth with CN = its name, so its key would log in as that user; \
                     rename the member, e.g. \"etcd{}\"",
                    quote(name),
                    i + 1
                ),
            );
            false
        }
        None => true,
    }
}

fn check_validity(r: &mut Report, spec: &ClusterSpec) {
    let ca = spec.ca_validity_days;
    let leaf = spec.cert_validity_days;
    if ca == 0 || ca > MAX_CA_DAYS {
        r.error(
            "ca_validity_days",
            &ca.to_string(),
            format!("the CA must be valid for 1 to {MAX_CA_DAYS} days; 3650 (ten years) is usual"),
        );
    }
    let root = spec.root_validity_days;
    if spec.ca_layout.is_layered() {
        if root == 0 || root > MAX_CA_DAYS {
            r.error(
                "root_validity_days",
                &root.to_string(),
                format!(
                    "the root must be valid for 1 to {MAX_CA_DAYS} days; 7300 (twenty years) \
                     is usual"
                ),
            );
        } else if ca > root {
            r.error(
                "ca_validity_days",
                &ca.to_string(),
                format!(
                    "the issuing CA ({ca} days) would outlive the root that signs it ({root} \
                     days) and stop verifying when the root expires; use at most {root} days \
                     or raise root_validity_days"
                ),
            );
        }
    }
    if leaf == 0 {
        r.error(
            "cert_validity_days",
            "0",
            "certificates must be valid for at least one day; 825 is the default",
        );
    } else if leaf > ca && ca > 0 {
        r.error(
            "cert_validity_days",
            &leaf.to_string(),
            format!(
                "the certificates ({leaf} days) would outlive the CA that signs them ({ca} \
                 days) and stop verifying when it expires; use at most {ca} days or raise \
                 ca_validity_days"
            ),
        );
    }
}

fn check_subject(r: &mut Report, spec: &ClusterSpec) {
    let s = &spec.ca_subject;
    if s.common_name.trim().is_empty() {
        r.error(
            "ca_subject.common_name",
            &s.common_name,
            "the CA needs a common name, e.g. \"etcd CA\"",
        );
    } else {
        check_attr(r, "ca_subject.common_name", &s.common_name, "common name");
    }
    for (field, v) in [
        ("organization", &s.organization),
        ("organizational_unit", &s.organizational_unit),
        ("state", &s.state),
        ("locality", &s.locality),
    ] {
        if let Some(v) = v {
            check_attr(r, &format!("ca_subject.{field}"), v, field);
        }
    }
    if let Some(c) = &s.country
        && !(c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        r.error(
            "ca_subject.country",
            c,
            format!(
                "{} is not a country code; use the two capital letters of ISO 3166, e.g. US or DE",
                quote(c)
            ),
        );
    }
}

fn check_attr(r: &mut Report, path: &str, v: &str, what: &str) {
    if v.chars().count() > MAX_NAME_ATTR {
        r.error(
            path,
            v,
            format!("the {what} is longer than {MAX_NAME_ATTR} characters; shorten it"),
        );
    } else if let Some(c) = v.chars().find(|c| rules::is_invisible(*c)) {
        r.error(
            path,
            v,
            format!(
                "the {what} {} contains the control or format character {}, which can hide or \
                 reorder what people read; remove it",
                quote(v),
                quote(&c.to_string())
            ),
        );
    }
}

/// Paths reach env files, YAML, systemd units and root's shell scripts (install.sh chowns
/// them to etcd), so they are an allowlist: absolute, `[A-Za-z0-9._/-]` and `{name}`, no `..`,
/// never a system folder itself. Relative paths only for a one-machine (loopback) demo, which
/// runs from the unpacked bundle without root.
fn check_path(r: &mut Report, spec: &ClusterSpec, field: &str, path: &str) {
    let example = if field == "data_dir" {
        "/var/lib/etcd"
    } else {
        "/etc/etcd/pki"
    };
    let mut fail = |why: String| {
        r.error(
            field,
            path,
            format!("{} {why}; write a folder like {example}", quote(path)),
        )
    };
    if path.is_empty() {
        return fail("is empty".into());
    }
    if path.chars().count() > MAX_STRING {
        return; // check_string_lengths says so.
    }
    let bare = path.replace("{name}", "");
    if let Some(c) = bare.chars().find(|c| !rules::is_path_char(*c)) {
        let why = if c == '{' || c == '}' {
            "has a placeholder other than {name} (the member's name, the only one)".to_string()
        } else {
            format!(
                "contains {}, which is not allowed in a path (letters, digits, / . _ - and \
                 {{name}} only)",
                quote(&c.to_string())
            )
        };
        return fail(why);
    }
    if path.split('/').any(|seg| seg == "..") {
        return fail("has a `..` component, so it could point anywhere".into());
    }
    if path.split('/').any(|seg| seg.starts_with('-')) {
        return fail("has a part starting with '-', which commands would read as an option".into());
    }
    if !path.starts_with('/') && !spec.is_one_machine() {
        return fail(
            "is relative; members need an absolute path (relative paths are for the \
             one-machine demo, where every member is on a loopback address)"
                .into(),
        );
    }
    if rules::is_system_folder(path) {
        return fail(format!(
            "is a system folder: install.sh would give it to the etcd user (chown, chmod \
             0700); use a folder of its own below it, e.g. {}/{}",
            rules::normalize(path).trim_end_matches('/'),
            if field == "data_dir" {
                "etcd-data"
            } else {
                "etcd-pki"
            }
        ));
    }
    let tree_why = |tree: &str| {
        format!(
            "is inside {tree}, which the system runs or trusts as root (cron, sudo, init, \
             PAM, ssh, packages, systemd): install.sh must not put etcd's files there; use a \
             folder outside it"
        )
    };
    if let Some(tree) = rules::system_tree(path) {
        return fail(tree_why(tree));
    }
    for (i, node) in spec.nodes.iter().enumerate() {
        let real = path.replace("{name}", &node.name);
        if path.contains("{name}")
            && let Some(tree) = rules::system_tree(&real)
        {
            return fail(format!(
                "for member nodes[{i}] ({}) {}",
                quote(&node.name),
                tree_why(tree)
            ));
        }
        if path.contains("{name}") && rules::is_system_folder(&real) {
            return fail(format!(
                "becomes the system folder {real} for member nodes[{i}] ({}); rename the \
                 member or change the path",
                quote(&node.name)
            ));
        }
    }
}

/// install.sh gives data_dir to etcd (0700) and takes cert_dir back for root (0750): one
/// inside the other, or the same folder, and one of them loses — etcd could swap its own
/// certificates, or root's chown takes etcd's data away.
fn check_dirs_apart(r: &mut Report, spec: &ClusterSpec) {
    // A path already refused (empty, a system folder) says so once, not twice.
    if r.at("cert_dir").next().is_some() || r.at("data_dir").next().is_some() {
        return;
    }
    let clash = if spec.cert_dir.contains("{name}") || spec.data_dir.contains("{name}") {
        spec.nodes
            .iter()
            .map(|n| (spec.cert_dir_for(n), spec.data_dir_for(n)))
            .find(|(c, d)| rules::nested(c, d))
    } else {
        Some((spec.cert_dir.clone(), spec.data_dir.clone())).filter(|(c, d)| rules::nested(c, d))
    };
    let Some((c, d)) = clash else { return };
    let how = if rules::normalize(&c) == rules::normalize(&d) {
        "the same folder".to_string()
    } else if rules::nested(&c, &d) && rules::normalize(&d).len() < rules::normalize(&c).len() {
        format!(
            "nested (cert_dir {} is inside data_dir {})",
            quote(&c),
            quote(&d)
        )
    } else {
        format!(
            "nested (data_dir {} is inside cert_dir {})",
            quote(&d),
            quote(&c)
        )
    };
    r.error(
        "data_dir",
        &spec.data_dir,
        format!(
            "data_dir {} and cert_dir {} are {how}: install.sh gives data_dir to etcd and \
             keeps cert_dir root's, so they must be separate folders, neither inside the \
             other; write e.g. data_dir /var/lib/etcd and cert_dir /etc/etcd/pki",
            quote(&spec.data_dir),
            quote(&spec.cert_dir)
        ),
    );
}

/// `--initial-cluster-token`: `[A-Za-z0-9][A-Za-z0-9._-]*`, at most 64 characters.
fn check_token(r: &mut Report, spec: &ClusterSpec) {
    let token = &spec.initial_cluster_token;
    let ok = !token.is_empty()
        && token.len() <= rules::MAX_TOKEN
        && token.starts_with(|c: char| c.is_ascii_alphanumeric())
        && token.chars().all(rules::is_name_char);
    if !ok && token.chars().count() <= MAX_STRING {
        r.error(
            "initial_cluster_token",
            token,
            format!(
                "{} is not a usable cluster token; use 1 to {} letters, digits, '.', '_' or \
                 '-', starting with a letter or digit, e.g. \"{}-1\"",
                quote(token),
                rules::MAX_TOKEN,
                spec.cluster_name
            ),
        );
    }
}

/// Every string of the spec with its field path, in spec order.
pub fn string_fields(spec: &ClusterSpec) -> Vec<(String, &str)> {
    let mut v: Vec<(String, &str)> = vec![("cluster_name".into(), spec.cluster_name.as_str())];
    for (i, n) in spec.nodes.iter().enumerate() {
        v.push((format!("nodes[{i}].name"), &n.name));
        for (j, ip) in n.ips.iter().enumerate() {
            v.push((format!("nodes[{i}].ips[{j}]"), ip));
        }
        for (j, d) in n.dns_names.iter().enumerate() {
            v.push((format!("nodes[{i}].dns_names[{j}]"), d));
        }
    }
    for (i, c) in spec.clients.iter().enumerate() {
        v.push((format!("clients[{i}].name"), &c.name));
        v.push((format!("clients[{i}].common_name"), &c.common_name));
        if let Some(o) = &c.organization {
            v.push((format!("clients[{i}].organization"), o));
        }
        for (j, role) in c.roles.iter().enumerate() {
            v.push((format!("clients[{i}].roles[{j}]"), role));
        }
        for (j, g) in c.grants.iter().enumerate() {
            v.push((
                format!("clients[{i}].grants[{j}].key_prefix"),
                &g.key_prefix,
            ));
        }
    }
    let s = &spec.ca_subject;
    v.push(("ca_subject.common_name".into(), &s.common_name));
    for (f, o) in [
        ("organization", &s.organization),
        ("organizational_unit", &s.organizational_unit),
        ("country", &s.country),
        ("state", &s.state),
        ("locality", &s.locality),
    ] {
        if let Some(o) = o {
            v.push((format!("ca_subject.{f}"), o));
        }
    }
    v.push(("cert_dir".into(), &spec.cert_dir));
    v.push(("data_dir".into(), &spec.data_dir));
    v.push(("initial_cluster_token".into(), &spec.initial_cluster_token));
    for (i, c) in spec.cipher_suites.iter().enumerate() {
        v.push((format!("cipher_suites[{i}]"), c));
    }
    if let Some(u) = &spec.metrics_url {
        v.push(("metrics_url".into(), u));
    }
    v
}

/// No string longer than [`MAX_STRING`] anywhere.
fn check_string_lengths(r: &mut Report, spec: &ClusterSpec) {
    for (path, value) in string_fields(spec) {
        let n = value.chars().count();
        if n > MAX_STRING {
            let start: String = value.chars().take(20).collect();
            r.error(
                path,
                value,
                format!(
                    "{}… is {n} characters long; every text field takes at most {MAX_STRING}: \
                     shorten it",
                    quote(&start).trim_end_matches('"')
                ),
            );
        }
    }
}

/// When a value is too long, that is the one thing said about it.
fn drop_shadowed(r: &mut Report) {
    let long: Vec<String> = r
        .problems()
        .iter()
        .filter(|p| p.message.contains(" characters long; every text field"))
        .map(|p| p.path.clone())
        .collect();
    r.retain(|p| {
        !long.contains(&p.path) || p.message.contains(" characters long; every text field")
    });
}

fn check_tls(r: &mut Report, spec: &ClusterSpec) {
    use crate::options::{CIPHER_SUITES, CipherKey};
    use crate::spec::TlsVersion;
    if spec.tls_min_version == Some(TlsVersion::Tls13) && !spec.cipher_suites.is_empty() {
        r.error(
            "cipher_suites",
            &spec.cipher_suites.join(","),
            "TLS 1.3 cipher suites cannot be chosen, and etcd refuses the combination; \
             remove cipher_suites or use tls_min_version TLS1.2",
        );
    }
    let want = if spec.key_algorithm.rsa_bits().is_some() {
        CipherKey::Rsa
    } else {
        CipherKey::Ecdsa
    };
    let mut usable = false;
    for (i, name) in spec.cipher_suites.iter().enumerate() {
        let path = format!("cipher_suites[{i}]");
        match CIPHER_SUITES.iter().find(|(n, _)| n == name) {
            None => r.error(
                path,
                name,
                format!(
                    "{} is not a cipher suite etcd accepts; use Go's names, e.g. {}",
                    quote(name),
                    CIPHER_SUITES
                        .iter()
                        .filter(|(_, k)| *k == want)
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Some((_, k)) if *k == want => usable = true,
            Some(_) => {}
        }
    }
    if !spec.cipher_suites.is_empty() && !usable && !r.at("cipher_suites").any(|_| true) {
        r.error(
            "cipher_suites",
            &spec.cipher_suites.join(","),
            format!(
                "none of these suites works with {} certificates, so no TLS 1.2 handshake \
                 could succeed; add an {} suite",
                spec.key_algorithm,
                if want == CipherKey::Rsa {
                    "ECDHE_RSA"
                } else {
                    "ECDHE_ECDSA"
                }
            ),
        );
    }
    if let Some(url) = &spec.metrics_url {
        let ok = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .and_then(|rest| rest.parse::<std::net::SocketAddr>().ok())
            .is_some()
            // SocketAddr's grammar already allows no more; said here so it cannot drift.
            && url
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:/[]".contains(c));
        if !ok {
            r.error(
                "metrics_url",
                url,
                format!(
                    "{} is not a metrics listener; write http://127.0.0.1:2381 (scheme, IP and port)",
                    quote(url)
                ),
            );
        }
    }
}

fn check_ports(r: &mut Report, spec: &ClusterSpec) {
    for (field, port) in [
        ("client_port", spec.client_port),
        ("peer_port", spec.peer_port),
    ] {
        if port == 0 {
            r.error(
                field,
                "0",
                "port 0 cannot be advertised; use 1 to 65535 (etcd uses 2379 and 2380)",
            );
        }
    }
    if spec.client_port == spec.peer_port && spec.client_port != 0 {
        r.error(
            "peer_port",
            &spec.peer_port.to_string(),
            format!(
                "the peer port is the same as the client port ({}); etcd needs two ports, \
                 usually 2379 for clients and 2380 for peers",
                spec.client_port
            ),
        );
    }
}

/// Names that become folders, file names and etcd `--name`. Returns true when usable.
fn check_identifier(r: &mut Report, path: &str, name: &str, what: &str) -> bool {
    let bad = |r: &mut Report, why: String| {
        r.error(path, name, why);
        false
    };
    if name.is_empty() {
        return bad(
            r,
            format!("the {what} is empty; give it a name like \"etcd1\""),
        );
    }
    if name.len() > 63 {
        return bad(
            r,
            format!("the {what} is longer than 63 characters; shorten it"),
        );
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        return bad(
            r,
            format!(
                "the {what} {} contains {}; it becomes a folder and a file name, so use \
                 letters, digits, '.', '_' and '-' only",
                quote(name),
                quote(&c.to_string())
            ),
        );
    }
    if name.starts_with('.') || name.starts_with('-') {
        return bad(
            r,
            format!(
                "the {what} {} must start with a letter or digit",
                quote(name)
            ),
        );
    }
    true
}

/// The value for a message, quoted, control and format characters escaped.
fn quote(s: &str) -> String {
    rules::shown(s)
}

fn quote_or_index(name: &str, i: usize) -> String {
    if name.is_empty() {
        format!("nodes[{i}]")
    } else {
        quote(name)
    }
}

/// A spec that passed [`validate`]: the input of [`crate::plan::plan`], with the warnings
/// validation found. The only way to make one is [`ValidatedSpec::new`], so a plan is never
/// made from a spec with errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedSpec {
    spec: ClusterSpec,
    warnings: Vec<Problem>,
}

impl ValidatedSpec {
    /// Validates `spec`: [`crate::Error::Invalid`] with the whole report when it has an error.
    pub fn new(spec: &ClusterSpec) -> Result<ValidatedSpec, crate::error::Error> {
        let report = validate(spec);
        if report.has_errors() {
            return Err(crate::error::Error::Invalid(report));
        }
        Ok(ValidatedSpec {
            spec: spec.clone(),
            warnings: report.warnings().cloned().collect(),
        })
    }

    /// The spec.
    pub fn spec(&self) -> &ClusterSpec {
        &self.spec
    }

    /// The warnings: worth knowing, generation goes on.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }
}
