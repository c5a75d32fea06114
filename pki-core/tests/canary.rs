//! Nothing a spec says can make a bundle file execute it (issue 10).
//!
//! A canary payload (`$(touch …)`, backticks, `;`, `\`, quotes, newlines, `${IFS}`) goes into
//! every string field of arbitrary specs. Either validation refuses the spec, or the bundle
//! is written to disk and
//! - every env file is sourced by `sh` and by `bash`,
//! - every member's `etcd-cmdline.sh` runs with a stand-in `etcd` first on `PATH`, which must
//!   receive exactly the intended argv,
//! - every client's `etcdctl-env.sh` is sourced and must set exactly the intended endpoints,
//! - `rbac.sh` runs against a stand-in `etcdctl`, and so does `rbac-revoke.sh` of a revocation
//!   of every client but root (`etcd-pki revoke`), which must delete each user and role by its
//!   whole name,
//! - every `*.sh` passes `bash -n` and `shellcheck -S warning` (two checks excluded in
//!   `migrate/`, see below),
//!
//! and the canary file never appears. A second test skips validation (the first wall) and
//! renders the env files and command lines straight from a hostile spec, to show the quoting
//! (the second wall) holds on its own.
//!
//! Needs bash, sh and shellcheck (Debian: `apt-get install shellcheck`; scripts/setup.sh).
//! `CANARY_CASES=N` runs more cases (default 48).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use pki_core::plan::{self, Plan};
use pki_core::render;
use pki_core::revoke;
use pki_core::spec::{AuthToken, EtcdVersion, Layout, Migration};
use pki_core::{Bundle, Client, ClientKind, ClusterSpec, Grant, Permission, generate, validate};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A scratch folder removed on drop.
struct Scratch(PathBuf);
impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        // Short, so a payload naming the canary still fits a 64-character CN.
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("epc{tag}{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The payloads; `C` is replaced by the canary file's path.
const PAYLOADS: &[&str] = &[
    "$(touch C)",
    "`touch C`",
    ";touch C;",
    "';touch C;'",
    "\";touch C;\"",
    "\\\ntouch C\n",
    "x\ntouch C",
    "${IFS}$(touch${IFS}C)",
    "|touch C",
    "&& touch C #",
    "'$(touch C)'",
    "\"$(touch C)\"",
];

/// How a payload enters a field.
#[derive(Clone, Copy, Debug)]
enum Place {
    Replace,
    Append,
    Prepend,
}

fn put(value: &mut String, payload: &str, place: Place) {
    *value = match place {
        Place::Replace => payload.to_string(),
        Place::Append => format!("{value}{payload}"),
        Place::Prepend => format!("{payload}{value}"),
    };
}

/// `put` into an optional field, which becomes `x` first if unset.
fn put_opt(o: &mut Option<String>, payload: &str, place: Place) {
    let mut v = o.take().unwrap_or_else(|| "x".into());
    put(&mut v, payload, place);
    *o = Some(v);
}

/// Every string field of `spec`, as setters; the list is checked against
/// `validate::string_fields` so a new field cannot be forgotten here.
fn set_field(spec: &mut ClusterSpec, field: usize, payload: &str, place: Place) -> String {
    let n = spec.nodes.len();
    let c = spec.clients.len();
    let k = field % (SPEC_FIELDS + NODE_FIELDS * n + CLIENT_FIELDS * c);
    if k < SPEC_FIELDS {
        return set_spec_field(spec, k, payload, place);
    }
    let k = k - SPEC_FIELDS;
    if k < NODE_FIELDS * n {
        let i = k / NODE_FIELDS;
        return set_node_field(spec, i, k % NODE_FIELDS, payload, place);
    }
    let k = k - NODE_FIELDS * n;
    let i = k / CLIENT_FIELDS;
    set_client_field(spec, i, k % CLIENT_FIELDS, payload, place)
}

/// How many setters [`set_spec_field`], [`set_node_field`] (per member) and
/// [`set_client_field`] (per client) have.
const SPEC_FIELDS: usize = 17;
const NODE_FIELDS: usize = 3;
const CLIENT_FIELDS: usize = 5;

/// The spec's own fields (`k` < 12), then [`set_extra_field`].
fn set_spec_field(spec: &mut ClusterSpec, k: usize, payload: &str, place: Place) -> String {
    match k {
        0 => {
            put(&mut spec.cluster_name, payload, place);
            "cluster_name".to_string()
        }
        1 => {
            put(&mut spec.cert_dir, payload, place);
            "cert_dir".into()
        }
        2 => {
            put(&mut spec.data_dir, payload, place);
            "data_dir".into()
        }
        3 => {
            put(&mut spec.initial_cluster_token, payload, place);
            "initial_cluster_token".into()
        }
        4 => {
            put(&mut spec.ca_subject.common_name, payload, place);
            "ca_subject.common_name".into()
        }
        5 => {
            put_opt(&mut spec.ca_subject.organization, payload, place);
            "ca_subject.organization".into()
        }
        6 => {
            put_opt(&mut spec.ca_subject.organizational_unit, payload, place);
            "ca_subject.organizational_unit".into()
        }
        7 => {
            put_opt(&mut spec.ca_subject.country, payload, place);
            "ca_subject.country".into()
        }
        8 => {
            put_opt(&mut spec.ca_subject.state, payload, place);
            "ca_subject.state".into()
        }
        9 => {
            put_opt(&mut spec.ca_subject.locality, payload, place);
            "ca_subject.locality".into()
        }
        10 => {
            let mut v = spec
                .cipher_suites
                .first()
                .cloned()
                .unwrap_or_else(|| "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into());
            put(&mut v, payload, place);
            spec.cipher_suites = vec![v];
            "cipher_suites[0]".into()
        }
        11 => {
            put_opt(&mut spec.metrics_url, payload, place);
            "metrics_url".into()
        }
        _ => set_extra_field(spec, k, payload, place),
    }
}

/// `k` in 12..17: extra fields of member 0 and the first client, placed differently.
fn set_extra_field(spec: &mut ClusterSpec, k: usize, payload: &str, place: Place) -> String {
    match k {
        12 => {
            spec.nodes[0].dns_names.push(format!("x{payload}"));
            "nodes[0].dns_names[+]".into()
        }
        13 => {
            put(&mut spec.nodes[0].ips[0], payload, place);
            "nodes[0].ips[0]".into()
        }
        14 => {
            spec.clients[0].roles.push(payload.to_string());
            "clients[0].roles[+]".into()
        }
        15 => {
            spec.clients[0].grants.push(Grant {
                key_prefix: format!("/k/{payload}"),
                permission: Permission::Readwrite,
            });
            "clients[0].grants[+].key_prefix".into()
        }
        _ => {
            put_opt(&mut spec.clients[0].organization, payload, place);
            "clients[0].organization".into()
        }
    }
}

/// Field `f` (< 3) of member `i`: its name, first DNS name, last IP.
fn set_node_field(
    spec: &mut ClusterSpec,
    i: usize,
    f: usize,
    payload: &str,
    place: Place,
) -> String {
    let node = &mut spec.nodes[i];
    match f {
        0 => {
            put(&mut node.name, payload, place);
            format!("nodes[{i}].name")
        }
        1 => {
            let mut d = node
                .dns_names
                .first()
                .cloned()
                .unwrap_or_else(|| "m.example.com".into());
            put(&mut d, payload, place);
            node.dns_names = vec![d];
            format!("nodes[{i}].dns_names[0]")
        }
        _ => {
            let last = node.ips.len() - 1;
            put(&mut node.ips[last], payload, place);
            format!("nodes[{i}].ips[{last}]")
        }
    }
}

/// Field `f` (< 5) of client `i`: name, CN, organization, first role, first grant's prefix.
fn set_client_field(
    spec: &mut ClusterSpec,
    i: usize,
    f: usize,
    payload: &str,
    place: Place,
) -> String {
    let cl = &mut spec.clients[i];
    match f {
        0 => {
            put(&mut cl.name, payload, place);
            format!("clients[{i}].name")
        }
        1 => {
            put(&mut cl.common_name, payload, place);
            format!("clients[{i}].common_name")
        }
        2 => {
            put_opt(&mut cl.organization, payload, place);
            format!("clients[{i}].organization")
        }
        3 => {
            let mut r = cl.roles.first().cloned().unwrap_or_else(|| "r".into());
            put(&mut r, payload, place);
            cl.roles = vec![r];
            format!("clients[{i}].roles[0]")
        }
        _ => {
            let mut p = cl
                .grants
                .first()
                .map(|g| g.key_prefix.clone())
                .unwrap_or_else(|| "/p/".into());
            put(&mut p, payload, place);
            cl.grants = vec![Grant {
                key_prefix: p,
                permission: Permission::Read,
            }];
            format!("clients[{i}].grants[0].key_prefix")
        }
    }
}

/// A valid spec from a few choices: members on real or loopback addresses, layouts,
/// versions, JWT, metrics, migration, every client kind.
// Independent switches, as the property tests draw them: a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn base_spec(
    members: usize,
    loopback: bool,
    kubeadm: bool,
    version: usize,
    jwt: bool,
    metrics: bool,
    migration: bool,
    kinds: Vec<usize>,
) -> ClusterSpec {
    let mut s = if loopback {
        ClusterSpec::demo()
    } else {
        ClusterSpec::template()
    };
    s.nodes.truncate(members);
    s.layout = if kubeadm {
        Layout::Kubeadm
    } else {
        Layout::Etcd
    };
    s.etcd_version = EtcdVersion::ALL[version % EtcdVersion::ALL.len()];
    if jwt {
        s.auth_token = AuthToken::Jwt;
    }
    if metrics {
        s.metrics_url = Some("http://127.0.0.1:2381".into());
    }
    if migration {
        s.migration = Some(Migration {
            current_client_port: 2379,
            current_peer_port: 12380,
            client_cert_auth: true,
        });
    }
    s.clients.truncate(1); // etcdctl, CN root
    for k in kinds {
        let kind = ClientKind::ALL[k % ClientKind::ALL.len()];
        let mut c = kind.preset();
        if s.clients
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case(&c.name))
        {
            continue;
        }
        if s.clients
            .iter()
            .any(|x| x.common_name.eq_ignore_ascii_case(&c.common_name))
        {
            c.common_name = format!("{}-2", c.common_name);
        }
        s.clients.push(c);
    }
    // Every client has something in each optional field, so each can carry a payload.
    for c in &mut s.clients {
        c.organization.get_or_insert_with(|| "Org".into());
    }
    assert!(
        !validate(&s).has_errors(),
        "base spec must validate: {:?}",
        validate(&s)
    );
    s
}

fn write_bundle(b: &Bundle, dir: &Path) {
    for f in &b.files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(f.mode)).unwrap();
    }
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (bash, sh and shellcheck are needed; scripts/setup.sh installs them)"))
}

/// A stand-in program that records its argv, NUL-separated, as one file per call in the
/// folder `$ARGV_OUT`, and succeeds.
fn stand_in(bin: &Path, name: &str) {
    let p = bin.join(name);
    std::fs::write(
        &p,
        "#!/bin/sh\nmkdir -p \"$ARGV_OUT\"\nn=$(ls \"$ARGV_OUT\" | wc -l)\n\
         for a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$ARGV_OUT/$((n + 1000))\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The calls recorded by [`stand_in`], in order.
fn argv_records(dir: &Path) -> Vec<Vec<String>> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut names: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .split_terminator('\0')
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// What `etcd-cmdline.sh` of member `m` must pass to etcd.
fn intended_argv(plan: &Plan, m: &plan::MemberPlan) -> Vec<String> {
    render::settings::member_settings(plan, m)
        .iter()
        .map(|s| format!("--{}={}", s.flag, s.value.flat()))
        .collect()
}

/// Sources every env file with sh and bash; runs every cmdline script with a stand-in etcd;
/// returns the problems found (empty: all good).
fn exercise_env_and_cmdline(
    plan: &Plan,
    files: &[(String, String)],
    dir: &Path,
    canary: &Path,
) -> Vec<String> {
    let mut bad = Vec::new();
    let bin = dir.join("stand-in-bin");
    std::fs::create_dir_all(&bin).unwrap();
    stand_in(&bin, "etcd");
    stand_in(&bin, "etcdctl");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (rel, _) in files {
        let f = dir.join(rel);
        let is_env = rel.ends_with(".env")
            || rel.ends_with("/debian/etcd")
            || rel.ends_with("/rhel/etcd.conf");
        if is_env {
            for shell in ["sh", "bash"] {
                let out = run(Command::new(shell)
                    .arg("-c")
                    .arg("set -a; . \"$1\"; set +a; env")
                    .arg(shell)
                    .arg(&f)
                    .current_dir(dir)
                    .env("PATH", &path));
                if !out.status.success() {
                    bad.push(format!(
                        "{shell} cannot source {rel}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
        if rel.ends_with("etcd-cmdline.sh") {
            let member = rel.split('/').nth(1).unwrap_or_default();
            let Some(m) = plan.members.iter().find(|m| m.name == member) else {
                continue;
            };
            let argv_out = dir.join(format!("argv-{member}"));
            let _ = std::fs::remove_dir_all(&argv_out);
            let out = run(Command::new("sh")
                .arg(&f)
                .current_dir(dir)
                .env("PATH", &path)
                .env_remove("EPKI_ETCD")
                .env("ARGV_OUT", &argv_out));
            let got = argv_records(&argv_out);
            let want = intended_argv(plan, m);
            if !out.status.success() || got != vec![want.clone()] {
                bad.push(format!(
                    "{rel}: etcd got {got:?}, want [{want:?}]; stderr {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    if canary.exists() {
        bad.push("the canary ran".into());
    }
    bad
}

/// Everything about a generated bundle's scripts.
fn check_bundle(spec: &ClusterSpec, b: &Bundle, canary: &Path) -> Vec<String> {
    let scratch = Scratch::new("b");
    let dir = &scratch.0;
    write_bundle(b, dir);
    let plan = &b.plan;
    let files: Vec<(String, String)> = b
        .files
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                String::from_utf8_lossy(&f.contents).into_owned(),
            )
        })
        .collect();
    let mut bad = exercise_env_and_cmdline(plan, &files, dir, canary);
    let bin = dir.join("stand-in-bin");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    bad.extend(check_etcdctl_env(spec, plan, dir));
    if spec.clients.iter().any(|c| c.common_name == "root") {
        bad.extend(exercise_rbac(spec, dir, &path));
    }

    // rbac-revoke.sh of a revocation of every client but root (etcd-pki revoke), against the
    // stand-in etcdctl.
    let mut files = files;
    match revoke_all(spec, b) {
        Err(e) => bad.push(e),
        Ok(None) => {}
        Ok(Some(text)) => {
            std::fs::write(dir.join("rbac-revoke.sh"), &text).unwrap();
            files.push(("rbac-revoke.sh".into(), text));
            let revoked: Vec<&Client> = spec
                .clients
                .iter()
                .filter(|c| c.common_name != "root")
                .collect();
            bad.extend(exercise_rbac_revoke(&b.plan, &revoked, dir, &path));
        }
    }

    bad.extend(check_scripts(dir, &files));
    if canary.exists() {
        bad.push("the canary ran".into());
    }
    bad
}

/// Each client's etcdctl-env.sh sets exactly the endpoints.
fn check_etcdctl_env(spec: &ClusterSpec, plan: &plan::Plan, dir: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let want_endpoints = plan::client_endpoints(&plan.members).join(",");
    for c in &spec.clients {
        let rel = format!("clients/{}/etcdctl-env.sh", c.name);
        if !dir.join(&rel).exists() {
            continue;
        }
        let out = run(Command::new("bash")
            .arg("-c")
            .arg(". \"$1\"; printf '%s' \"$ETCDCTL_ENDPOINTS\"")
            .arg("bash")
            .arg(dir.join(&rel))
            .current_dir(dir));
        if String::from_utf8_lossy(&out.stdout) != want_endpoints {
            bad.push(format!(
                "{rel} set {:?}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    bad
}

/// Runs `dir/<script>` with bash, the stand-in etcdctl first on `path`: whether it failed (as
/// a problem) and every argv the stand-in recorded.
fn run_with_stand_in(dir: &Path, script: &str, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let argv_out = dir.join(format!("argv-{script}"));
    let _ = std::fs::remove_dir_all(&argv_out);
    let out = run(Command::new("bash")
        .arg(dir.join(script))
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("EPKI_ETCDCTL")
        .env("ARGV_OUT", &argv_out));
    let mut bad = Vec::new();
    if !out.status.success() {
        bad.push(format!(
            "{script} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    (bad, argv_records(&argv_out))
}

/// rbac.sh against a stand-in etcdctl (on `path`): it must pass every CN as one whole argument.
fn exercise_rbac(spec: &ClusterSpec, dir: &Path, path: &str) -> Vec<String> {
    let (mut bad, calls) = run_with_stand_in(dir, "rbac.sh", path);
    for c in spec.clients.iter().filter(|c| c.common_name != "root") {
        let seen = calls
            .iter()
            .any(|a| a.iter().any(|w| w == &c.common_name) && a.iter().any(|w| w == "get"));
        if !seen {
            bad.push(format!(
                "rbac.sh never asked etcdctl for user {:?}: {calls:?}",
                c.common_name
            ));
        }
    }
    bad
}

/// `rbac-revoke.sh` of the bundle after every client but root is revoked: made by
/// `revoke::revoke` as `etcd-pki revoke` does (by `render_revoke` straight for the one-machine
/// demo, whose relative cert_dir revoke's install-crl.sh does not take). None when there is no
/// administrator or no other client.
fn revoke_all(spec: &ClusterSpec, b: &Bundle) -> Result<Option<String>, String> {
    let others: Vec<&Client> = spec
        .clients
        .iter()
        .filter(|c| c.common_name != "root")
        .collect();
    let relative = b.plan.members.iter().any(|m| !m.cert_dir.starts_with('/'));
    if relative {
        return render::rbac::render_revoke(&b.plan, &others).map_err(|e| e.to_string());
    }
    if others.is_empty() || b.plan.admin().is_none() {
        return Ok(None);
    }
    let opened = pki_core::package::open(&b.to_zip().map_err(|e| e.to_string())?)
        .map_err(|e| format!("the bundle does not open: {e}"))?;
    let ca = pki_core::daytwo::unlock_ca(&opened, b.ca_key.text().as_bytes(), None)
        .map_err(|e| e.to_string())?;
    let req = revoke::Request {
        targets: others
            .iter()
            .map(|c| revoke::Target::Client(c.name.clone()))
            .collect(),
        reason: pki_core::crl::RevocationReason::KeyCompromise,
        next_update_days: 30,
        force: false,
    };
    let (nb, _) = revoke::revoke(&opened, &ca, &req, pki_core::OffsetDateTime::now_utc())
        .map_err(|e| format!("revoke refused a validated bundle: {e}"))?;
    Ok(nb
        .files
        .iter()
        .find(|f| f.path == revoke::RBAC_REVOKE)
        .map(|f| f.text().to_string()))
}

/// Runs `dir/rbac-revoke.sh` with the stand-in etcdctl first on `path`: it must succeed, reach
/// the plan's endpoints, and delete each of `revoked`'s users (and roles) by their whole name.
fn exercise_rbac_revoke(plan: &Plan, revoked: &[&Client], dir: &Path, path: &str) -> Vec<String> {
    let (mut bad, calls) = run_with_stand_in(dir, "rbac-revoke.sh", path);
    let endpoints = format!(
        "--endpoints={}",
        plan::client_endpoints(&plan.members).join(",")
    );
    if calls.is_empty() || !calls.iter().all(|a| a.first() == Some(&endpoints)) {
        bad.push(format!(
            "rbac-revoke.sh did not call etcdctl with {endpoints}: {calls:?}"
        ));
    }
    let deleted = |what: &str, name: &str| {
        calls
            .iter()
            .any(|a| a.ends_with(&[what.to_string(), "delete".into(), name.to_string()]))
    };
    for c in revoked {
        if !deleted("user", &c.common_name) {
            bad.push(format!(
                "rbac-revoke.sh never deleted user {:?}: {calls:?}",
                c.common_name
            ));
        }
        for r in render::rbac::roles_of(c) {
            if !deleted("role", &r) {
                bad.push(format!(
                    "rbac-revoke.sh never deleted role {r:?} of {:?}: {calls:?}",
                    c.name
                ));
            }
        }
    }
    bad
}

/// Every script of an unpacked bundle: `bash -n`, and shellcheck with no warning.
fn check_scripts(dir: &Path, files: &[(String, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    let scripts: Vec<PathBuf> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".sh"))
        .map(|(p, _)| dir.join(p))
        .collect();
    for s in &scripts {
        let out = run(Command::new("bash").arg("-n").arg(s));
        if !out.status.success() {
            bad.push(format!(
                "bash -n {}: {}",
                s.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    // Warnings count too. The migrate/ steps read their variables from the lib.sh they
    // source, which shellcheck does not follow: SC2154 (referenced but not assigned) and
    // SC2034 (assigned but unused) are excluded there, and only there.
    let (migrate, others): (Vec<&PathBuf>, Vec<&PathBuf>) = scripts
        .iter()
        .partition(|p| p.parent().is_some_and(|d| d.ends_with("migrate")));
    for (group, exclude) in [(others, None), (migrate, Some("SC2154,SC2034"))] {
        if group.is_empty() {
            continue;
        }
        let mut cmd = Command::new("shellcheck");
        // No `-s bash`: each script must say its shell itself (shebang or directive), as
        // shellcheck run by a user on the unpacked bundle needs (SC2148 otherwise).
        cmd.args(["-S", "warning", "-f", "gcc"]);
        if let Some(e) = exclude {
            cmd.args(["-e", e]);
        }
        let out = run(cmd.args(&group));
        if !out.status.success() {
            bad.push(format!(
                "shellcheck: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    bad
}

/// Every script of every snapshot spec (etcd 3.4 to 3.7, both auth tokens, kubeadm, the
/// migration runbook, the one-machine demo, every client kind) passes `bash -n` and shellcheck.
#[test]
fn every_script_of_every_snapshot_spec_passes_shellcheck() {
    for (name, spec) in common::snapshot_specs() {
        let b = generate(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let scratch = Scratch::new("s");
        write_bundle(&b, &scratch.0);
        let files: Vec<(String, String)> = b
            .files
            .iter()
            .map(|f| (f.path.clone(), f.text().to_string()))
            .collect();
        let scripts = files.iter().filter(|(p, _)| p.ends_with(".sh")).count();
        assert!(scripts >= 6, "{name}: only {scripts} scripts");
        let bad = check_scripts(&scratch.0, &files);
        assert!(bad.is_empty(), "{name}:\n{}", bad.join("\n"));
    }
}

#[test]
fn setters_cover_every_string_field() {
    let mut s = base_spec(
        3,
        false,
        false,
        1,
        true,
        true,
        true,
        vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    let n = s.nodes.len();
    let c = s.clients.len();
    let mut touched = std::collections::BTreeSet::new();
    for f in 0..(SPEC_FIELDS + NODE_FIELDS * n + CLIENT_FIELDS * c) {
        let mut t = s.clone();
        let path = set_field(&mut t, f, "@", Place::Append);
        touched.insert(path);
    }
    s.cipher_suites = vec!["x".into()];
    s.ca_subject.organizational_unit = Some("x".into());
    s.ca_subject.country = Some("x".into());
    s.ca_subject.state = Some("x".into());
    s.ca_subject.locality = Some("x".into());
    s.ca_subject.organization = Some("x".into());
    for (i, c) in s.clients.iter_mut().enumerate() {
        let _ = i;
        c.roles = vec!["r".into()];
        c.grants = vec![Grant {
            key_prefix: "/p/".into(),
            permission: Permission::Read,
        }];
    }
    for (i, node) in s.nodes.iter_mut().enumerate() {
        let _ = i;
        node.dns_names = vec!["d.example.com".into()];
    }
    for (path, _) in pki_core::validate::string_fields(&s) {
        let last_ip = path.starts_with("nodes[") && path.contains(".ips[");
        assert!(
            touched.contains(&path) || last_ip,
            "no canary setter for {path}; add one to set_field"
        );
    }
}

#[test]
fn canary_payloads_never_run() {
    let cases: u32 = std::env::var("CANARY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let canary_dir = Scratch::new("c");
    let canary = canary_dir.0.join("r");
    let c = canary.display().to_string();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let stats = std::cell::Cell::new((0u32, 0u32));
    let strategy = (
        (1usize..=3, any::<bool>(), any::<bool>(), 0usize..3),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        prop::collection::vec(0usize..10, 0..4),
        any::<usize>(),
        0..PAYLOADS.len(),
        0usize..3,
    );
    runner
        .run(
            &strategy,
            |((n, lo, kube, ver), (jwt, metrics, mig), kinds, field, payload, place)| {
                let mut spec = base_spec(n, lo, kube, ver, jwt, metrics, mig && !lo, kinds);
                let payload = PAYLOADS[payload].replace('C', &c);
                let place = [Place::Replace, Place::Append, Place::Prepend][place];
                let path = set_field(&mut spec, field, &payload, place);
                let report = validate(&spec);
                if report.has_errors() {
                    // Refused: the refusal must be at the field that carries the payload.
                    let field_path = path.trim_end_matches("[+]");
                    let prefix = field_path.split("[+]").next().unwrap_or(field_path);
                    prop_assert!(
                        report.errors().any(|p| p.path.starts_with(prefix)
                            // A root CN replaced: the migration kit then lacks its admin.
                            || (prefix.ends_with("common_name") && p.path == "clients")),
                        "{path}: refused elsewhere: {report:?}"
                    );
                    let (a, b) = stats.get();
                    stats.set((a + 1, b));
                    return Ok(());
                }
                let (a, b) = stats.get();
                stats.set((a, b + 1));
                let bundle = generate(&spec).expect("a validated spec generates");
                let bad = check_bundle(&spec, &bundle, &canary);
                prop_assert!(
                    bad.is_empty(),
                    "payload {payload:?} in {path}:\n{}",
                    bad.join("\n")
                );
                Ok(())
            },
        )
        .unwrap();
    let (refused, accepted) = stats.get();
    eprintln!("canary: {refused} refused by validate, {accepted} generated and exercised");
    assert!(!canary.exists());
}

/// The payloads in cases that validate: fields where quotes and `$` are legitimate text
/// (subject fields, a client's CN), each checked every run rather than by chance.
#[test]
fn payloads_in_free_text_fields_are_inert() {
    let canary_dir = Scratch::new("f");
    let canary = canary_dir.0.join("r");
    let c = canary.display().to_string();
    let mut accepted = 0;
    for (i, p) in PAYLOADS.iter().enumerate() {
        let payload = p.replace('C', &c);
        let mut spec = base_spec(
            3,
            i % 2 == 0,
            i % 3 == 0,
            i,
            true,
            true,
            i % 2 == 1,
            (0..10).collect(),
        );
        spec.ca_subject.organization = Some(format!("Org {payload}"));
        spec.ca_subject.common_name = format!("CA {payload}");
        let k = spec.clients.len() - 1;
        spec.clients[k].common_name = format!("user{payload}");
        spec.clients[k].organization = Some(payload.clone());
        if validate(&spec).has_errors() {
            continue; // newlines and the like: refused, shown by validation.rs.
        }
        accepted += 1;
        let bundle = generate(&spec).unwrap();
        let bad = check_bundle(&spec, &bundle, &canary);
        assert!(bad.is_empty(), "payload {payload:?}:\n{}", bad.join("\n"));
    }
    assert!(accepted >= 8, "only {accepted} payloads validated");
}

/// The second wall alone: a hostile token and paths, never validated, rendered straight into
/// the env files and command lines. Sourcing them runs nothing and etcd gets the exact value.
#[test]
fn quoting_holds_without_validation() {
    let canary_dir = Scratch::new("r");
    let canary = canary_dir.0.join("r");
    let c = canary.display().to_string();
    for p in PAYLOADS {
        let payload = p.replace('C', &c);
        let mut spec = base_spec(3, false, false, 1, true, true, false, vec![]);
        spec.initial_cluster_token = format!("t{payload}");
        spec.cert_dir = format!("/srv/pki{payload}");
        spec.data_dir = format!("/srv/data{payload}");
        assert!(validate(&spec).has_errors());
        // The second wall on its own: a plan of a spec validation refuses.
        let plan = plan::plan_unvalidated(&spec);
        let scratch = Scratch::new("rb");
        let mut files = Vec::new();
        for m in &plan.members {
            for flavor in plan::paths::Flavor::ALL {
                files.push((
                    format!("members/{}/{}", m.name, flavor.bundle_name()),
                    render::env::render(&plan, m, flavor).unwrap(),
                ));
            }
            files.push((
                format!("members/{}/etcd-cmdline.sh", m.name),
                render::cmdline::render(&plan, m).unwrap(),
            ));
        }
        for (rel, text) in &files {
            let p = scratch.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let bad = exercise_env_and_cmdline(&plan, &files, &scratch.0, &canary);
        assert!(bad.is_empty(), "payload {payload:?}:\n{}", bad.join("\n"));
        // And the env file gives back the exact token.
        let out = run(Command::new("sh")
            .arg("-c")
            .arg(". \"$1\"; printf '%s' \"$ETCD_INITIAL_CLUSTER_TOKEN\"")
            .arg("sh")
            .arg(scratch.0.join(&files[0].0)));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            spec.initial_cluster_token
        );
    }
    assert!(!canary.exists());
}

/// The second wall for `rbac-revoke.sh`: payloads in every spec string it carries (the cluster
/// name in a comment, the administrator's folder name, a client's name, CN and roles), never
/// validated, rendered straight by `render_revoke`. Running it runs nothing, and etcdctl gets
/// each user and role as one whole argument.
#[test]
fn rbac_revoke_quoting_holds_without_validation() {
    let canary_dir = Scratch::new("v");
    let canary = canary_dir.0.join("r");
    let c = canary.display().to_string();
    for p in PAYLOADS {
        let payload = p.replace('C', &c);
        let mut spec = base_spec(2, false, false, 1, false, false, false, vec![1, 2]);
        spec.cluster_name = format!("c{payload}");
        spec.clients[0].name = format!("admin{payload}");
        let k = spec.clients.len() - 1;
        spec.clients[k].name = format!("n{payload}");
        spec.clients[k].common_name = format!("u{payload}");
        spec.clients[k].roles = vec![format!("r{payload}")];
        spec.clients[k].grants = vec![Grant {
            key_prefix: "/p/".into(),
            permission: Permission::Read,
        }];
        assert!(validate(&spec).has_errors());
        let plan = plan::plan_unvalidated(&spec);
        let revoked: Vec<&Client> = plan.spec.clients[1..].iter().collect();
        let text = render::rbac::render_revoke(&plan, &revoked)
            .unwrap()
            .expect("an administrator and revoked clients");
        let scratch = Scratch::new("vr");
        let dir = &scratch.0;
        std::fs::write(dir.join("rbac-revoke.sh"), &text).unwrap();
        let bin = dir.join("stand-in-bin");
        std::fs::create_dir_all(&bin).unwrap();
        stand_in(&bin, "etcdctl");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut bad = exercise_rbac_revoke(&plan, &revoked, dir, &path);
        bad.extend(check_scripts(dir, &[("rbac-revoke.sh".into(), text)]));
        if canary.exists() {
            bad.push("the canary ran".into());
        }
        assert!(bad.is_empty(), "payload {payload:?}:\n{}", bad.join("\n"));
    }
}
