//! `migrate/`: a runbook and scripts that move a running plain-HTTP cluster to TLS without
//! downtime, one member at a time (seed 003's procedure, redone for etcd 3.4/3.5).
//!
//! etcd 3 ignores certificate files on an `http://` listener, so a member cannot serve plain
//! and TLS peers on one URL. The order that works: put the certificates in place (1); restart
//! each member with a second, `https://` peer listener on another port and a loopback-only
//! plain client listener for local consumers (2); `etcdctl member update` every member's peer
//! URL to the https one (3), after which members dial each other over TLS; restart each member
//! with https client URLs and no plain peer listener (4); turn on client-cert-auth (5); and,
//! once local consumers have moved, drop the plain loopback listener (6). Every step checks
//! that the previous one took effect and refuses otherwise, saying which step comes first.
//!
//! Each member's scripts live in its own folder, `members/<name>/migrate/` (the runbook stays
//! at `migrate/README.md`), so the member folder copied to the member is all it needs: the
//! scripts talk to etcd with the member's own server certificate (it carries clientAuth), never
//! with another machine's key. Step 1 installs like install.sh: `root:etcd`, keys 0640, through
//! a temp name and `mv -fT`, refusing symbolic links or foreign owners on the way.

use std::fmt::Write as _;

use crate::plan::paths::files;
use crate::plan::{MemberPlan, MigrationStage as Stage, Plan, join, url};
use crate::spec::Migration;

fn http(ip: &std::net::IpAddr, port: u16) -> String {
    url(ip, port).replacen("https://", "http://", 1)
}

/// Renders `members/<name>/migrate/stepN.env`: member `m`'s settings at stage `st`.
pub fn stage_env(plan: &Plan, mig: &Migration, m: &MemberPlan, st: Stage) -> String {
    let (spec, members) = (&plan.spec, &plan.members);
    let ip = &m.ips[0];
    let d = &m.cert_dir;
    let loopback = format!("http://127.0.0.1:{}", mig.current_client_port);
    let mut env: Vec<(&str, String)> = vec![
        ("ETCD_NAME", m.name.clone()),
        ("ETCD_DATA_DIR", m.data_dir.clone()),
    ];
    let (listen_client, adv_client, listen_peer, adv_peer, cluster_scheme_https) = match st {
        Stage::Listeners => (
            format!("{},{loopback}", http(ip, mig.current_client_port)),
            http(ip, mig.current_client_port),
            format!(
                "{},{}",
                http(ip, mig.current_peer_port),
                url(ip, spec.peer_port)
            ),
            http(ip, mig.current_peer_port),
            false,
        ),
        Stage::ClientTls | Stage::CertAuth => (
            format!("{},{loopback}", url(ip, spec.client_port)),
            url(ip, spec.client_port),
            url(ip, spec.peer_port),
            url(ip, spec.peer_port),
            true,
        ),
        Stage::Final => (
            url(ip, spec.client_port),
            url(ip, spec.client_port),
            url(ip, spec.peer_port),
            url(ip, spec.peer_port),
            true,
        ),
    };
    let initial_cluster = members
        .iter()
        .map(|o| {
            let u = if cluster_scheme_https {
                url(&o.ips[0], spec.peer_port)
            } else {
                http(&o.ips[0], mig.current_peer_port)
            };
            format!("{}={u}", o.name)
        })
        .collect::<Vec<_>>()
        .join(",");
    env.extend([
        ("ETCD_LISTEN_CLIENT_URLS", listen_client),
        ("ETCD_ADVERTISE_CLIENT_URLS", adv_client),
        ("ETCD_LISTEN_PEER_URLS", listen_peer),
        ("ETCD_INITIAL_ADVERTISE_PEER_URLS", adv_peer),
        // Ignored once the member has data; kept consistent with the stage anyway.
        ("ETCD_INITIAL_CLUSTER", initial_cluster),
        ("ETCD_INITIAL_CLUSTER_STATE", "existing".into()),
        (
            "ETCD_INITIAL_CLUSTER_TOKEN",
            spec.initial_cluster_token.clone(),
        ),
        ("ETCD_PEER_CLIENT_CERT_AUTH", "true".into()),
        ("ETCD_PEER_TRUSTED_CA_FILE", join(d, files::CA_CERT)),
        ("ETCD_PEER_CERT_FILE", join(d, files::PEER_CERT)),
        ("ETCD_PEER_KEY_FILE", join(d, files::PEER_KEY)),
    ]);
    if st != Stage::Listeners {
        env.extend([
            ("ETCD_TRUSTED_CA_FILE", join(d, files::CA_CERT)),
            ("ETCD_CERT_FILE", join(d, files::SERVER_CERT)),
            ("ETCD_KEY_FILE", join(d, files::SERVER_KEY)),
        ]);
    }
    let cert_auth = matches!(st, Stage::CertAuth | Stage::Final) && mig.client_cert_auth;
    env.push(("ETCD_CLIENT_CERT_AUTH", cert_auth.to_string()));
    let mut s = format!(
        "# Member {} of {}, migration stage {:?} (etcd-pki). Written by migrate/ scripts.\n",
        m.name, spec.cluster_name, st
    );
    for (k, v) in env {
        let _ = writeln!(s, "{k}={}", super::quote::sh(&v));
    }
    s
}

/// Renders `members/<name>/migrate/lib.sh`, which every step of member `me` sources.
pub fn lib(plan: &Plan, mig: &Migration, me: &MemberPlan) -> String {
    let (spec, members) = (&plan.spec, &plan.members);
    let mut table = String::new();
    for m in members {
        let ip = &m.ips[0];
        let _ = writeln!(
            table,
            "  {}) ip={ip}; plain_client={}; plain_peer={}; tls_client={}; tls_peer={}; cert_dir={}; data_dir={} ;;",
            m.name,
            http(ip, mig.current_client_port),
            http(ip, mig.current_peer_port),
            url(ip, spec.client_port),
            url(ip, spec.peer_port),
            super::quote::sh(&m.cert_dir),
            super::quote::sh(&m.data_dir)
        );
    }
    let names = members
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        r#"# Shared by the migrate/ steps of member {me} of cluster {cluster} (etcd-pki). Sourced, not run.
# Its variables are used by the step scripts that source it:
# shellcheck shell=bash disable=SC2034
# Settings: ETCD_PKI_ROOT (prefix for files this member writes), EPKI_ENV_FILE (the member's
# env file, default /etc/etcd/etcd.env, loaded by the etcd-pki drop-in), EPKI_RESTART (how
# to restart this member, default: systemctl restart etcd), EPKI_ETCDCTL (etcdctl binary),
# EPKI_CLIENT_CERT/EPKI_CLIENT_KEY (another identity than this member's server certificate,
# e.g. root's client certificate when auth is already enabled on the plain cluster).
set -euo pipefail
umask 022
here=$(cd "$(dirname -- "${{BASH_SOURCE[0]}}")" && pwd)
mdir=$(dirname "$here")
self="{me}"
root=${{ETCD_PKI_ROOT:-}}
root=${{root%/}}
env_file="$root${{EPKI_ENV_FILE:-/etc/etcd/etcd.env}}"
members="{names}"
loopback="http://127.0.0.1:{lport}"
for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
# This member's own certificate as the client identity: it carries clientAuth.
cacert="$mdir/pki/ca.crt"
ccert=${{EPKI_CLIENT_CERT:-$mdir/pki/server.crt}}
ckey=${{EPKI_CLIENT_KEY:-$mdir/pki/server.key}}
member() {{
  case "$1" in
{table}    *) echo "migrate: no member named $1 (members: $members)" >&2; exit 2 ;;
  esac
}}
# this_member NAME: these scripts are member {me}'s; another member runs its own folder's.
this_member() {{
  if [ "$1" != "$self" ]; then
    echo "migrate: this is member $self's folder; run members/$1/migrate/ on $1" >&2
    exit 2
  fi
  member "$1"
}}
ectl() {{
  "${{EPKI_ETCDCTL:-etcdctl}}" --cacert="$cacert" --cert="$ccert" --key="$ckey" \
    --dial-timeout=3s --command-timeout=8s "$@"
}}
say() {{ echo "migrate: $*"; }}
refuse() {{ echo "migrate: REFUSED: $*" >&2; exit 3; }}
# safe_dir DIR [UID]: every existing folder from / down to DIR is a real folder (no symbolic
# link), owned by root (DIR itself may be owned by UID) and not writable by anyone else.
safe_dir() {{
  local dir=$1 also=${{2:-}} cur="" part owner perm gid
  local -a parts
  IFS=/ read -ra parts <<< "${{dir#/}}"
  for part in "${{parts[@]}}"; do
    [ -n "$part" ] || continue
    cur="$cur/$part"
    if [ -L "$cur" ]; then refuse "$cur is a symbolic link (to $(readlink "$cur")); replace it with a folder"; fi
    [ -e "$cur" ] || return 0
    [ -d "$cur" ] || refuse "$cur is not a folder"
    read -r owner gid perm <<< "$(stat -c '%u %g %a' "$cur")"
    if [ "$owner" != 0 ] && {{ [ "$cur" != "$dir" ] || [ -z "$also" ] || [ "$owner" != "$also" ]; }}; then
      refuse "$cur is owned by $(stat -c %U "$cur"), not root; chown root $cur or choose another path"
    fi
    perm=$((8#$perm))
    if (( perm & 8#0002 )) && ! (( perm & 8#1000 )); then refuse "$cur is writable by anyone"; fi
    if (( perm & 8#0020 )) && [ "$gid" != 0 ] && [ "$cur" != "$dir" ]; then refuse "$cur is writable by group $(stat -c %G "$cur")"; fi
  done
}}
# Whether something of the right scheme listens at a client URL. curl gives up at once on a
# closed port or a plain/TLS mismatch, where etcdctl would retry for its whole dial timeout.
answers() {{
  command -v curl >/dev/null 2>&1 || return 0
  curl -s -o /dev/null -m 2 --cacert "$cacert" --cert "$ccert" --key "$ckey" "$1/health"
}}
# Every member's current client URL as the cluster advertises it, via any reachable member.
any_endpoint() {{
  local n
  for n in $members; do
    member "$n"
    for u in "$tls_client" "$plain_client"; do
      answers "$u" || continue
      if ectl --endpoints="$u" endpoint health >/dev/null 2>&1; then echo "$u"; return 0; fi
    done
  done
  return 1
}}
cluster_healthy() {{
  local ep
  ep=$(any_endpoint) || return 1
  ectl --endpoints="$ep" endpoint health --cluster >/dev/null 2>&1
}}
member_list() {{
  local ep
  ep=$(any_endpoint) || refuse "no member answers (plain or TLS); is the cluster running?"
  ectl --endpoints="$ep" member list
}}
wait_healthy() {{
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if cluster_healthy; then return 0; fi
    sleep 0.5
  done
  refuse "the cluster is not healthy 60 s after restarting $1: roll back this step (see migrate/README.md)"
}}
restart_with() {{
  local stage_file=$1 name=$2
  if [ -f "$env_file" ] && cmp -s "$stage_file" "$env_file"; then
    say "$name already runs with $(basename "$stage_file"); nothing to do"
    return 0
  fi
  local dir
  dir=$(dirname "$env_file")
  safe_dir "$dir"
  [ -d "$dir" ] || install -d -m 0755 -o root -g root "$dir"
  if [ -L "$env_file" ]; then refuse "$env_file is a symbolic link; replace it with the file"; fi
  if [ -f "$env_file" ]; then cp -p "$env_file" "$env_file.before-$(basename "$stage_file" .env)"; fi
  install -m 0644 -o root -g root "$stage_file" "$env_file.etcd-pki-$$"
  mv -fT "$env_file.etcd-pki-$$" "$env_file"
  say "restarting $name with $(basename "$stage_file")"
  eval "${{EPKI_RESTART:-systemctl restart etcd}}"
  wait_healthy "$name"
  say "$name is back and the cluster is healthy"
}}
"#,
        cluster = spec.cluster_name,
        lport = mig.current_client_port,
        me = me.name,
    )
}

/// The step script called `name` (one of [`crate::plan::MIGRATION_STEPS`]); the same for
/// every member, lib.sh holds what differs.
pub fn step(name: &str) -> Option<&'static str> {
    steps()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, body)| body)
}

fn steps() -> [(&'static str, &'static str); 6] {
    [
        (
            "1-certs.sh",
            r#"#!/usr/bin/env bash
# Step 1, on each member: put its certificates in place (root:etcd, folder 0750, keys 0640).
# Nothing restarts.
#   bash migrate/1-certs.sh <member>          (in members/<member>/, on that member, as root)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 1-certs.sh <member>}
this_member "$name"
cluster_healthy || refuse "the cluster is not healthy; fix that before migrating"
group=root
etcd_uid=""
if id -u etcd >/dev/null 2>&1; then group=$(id -gn etcd); etcd_uid=$(id -u etcd); fi
d="$root$cert_dir"
safe_dir "$(dirname "$d")"
safe_dir "$d" "$etcd_uid"
if [ -d "$d" ]; then chown -h "root:$group" "$d"; chmod 0750 "$d"; else install -d -m 0750 -o root -g "$group" "$d"; fi
for f in "$mdir/pki/"*; do
  b=$(basename "$f")
  case "$b" in *.key) mode=0640 ;; *) mode=0644 ;; esac
  if [ -e "$d/$b" ] && [ ! -L "$d/$b" ] && [ ! -f "$d/$b" ]; then refuse "$d/$b is not a regular file; move it away first"; fi
  install -o root -g "$group" -m "$mode" "$f" "$d/.$b.etcd-pki-$$"
  mv -fT "$d/.$b.etcd-pki-$$" "$d/$b"
done
say "certificates of $name are in $cert_dir (root:$group, keys 0640)"
say "next: this step on every member, then: bash migrate/2-listeners.sh $name (one member at a time)"
"#,
        ),
        (
            "2-listeners.sh",
            r#"#!/usr/bin/env bash
# Step 2, on each member in turn: restart with a TLS peer listener beside the plain one and a
# loopback-only plain client listener for local consumers.
#   bash migrate/2-listeners.sh <member>
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 2-listeners.sh <member>}
this_member "$name"
[ -f "$root$cert_dir/peer.crt" ] || refuse "$name has no certificates in $cert_dir: run step 1 first (bash migrate/1-certs.sh $name)"
cluster_healthy || refuse "the cluster is not healthy; wait for it (or roll back the previous member) first"
restart_with "$here/step2.env" "$name"
say "next: this step on the other members, one at a time; then once: bash migrate/3-peer-urls.sh"
"#,
        ),
        (
            "3-peer-urls.sh",
            r#"#!/usr/bin/env bash
# Step 3, once, on any member: switch every member's advertised peer URL to TLS with
# `etcdctl member update`, one member at a time.
#   bash migrate/3-peer-urls.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
cluster_healthy || refuse "the cluster is not healthy"
for n in $members; do
  member "$n"
  host=${tls_peer#https://}
  if ! openssl s_client -connect "$host" -CAfile "$cacert" -cert "$ccert" -key "$ckey" </dev/null 2>/dev/null | grep -q "Verify return code: 0"; then
    refuse "$n does not serve TLS peers at $tls_peer yet: run step 2 first (bash migrate/2-listeners.sh $n)"
  fi
done
for n in $members; do
  member "$n"
  line=$(member_list | grep ", $n, ")
  id=${line%%,*}
  case "$line" in
    *"$tls_peer"*) say "$n already advertises $tls_peer" ; continue ;;
  esac
  ep=$(any_endpoint)
  ectl --endpoints="$ep" member update "$id" --peer-urls="$tls_peer" >/dev/null
  say "$n now advertises $tls_peer"
  wait_healthy "$n"
done
say "every member talks TLS to its peers"
say "next: on each member in turn: bash migrate/4-client-https.sh <member>"
"#,
        ),
        (
            "4-client-https.sh",
            r#"#!/usr/bin/env bash
# Step 4, on each member in turn: https client URLs (the loopback plain listener stays for
# local consumers) and no plain peer listener.
#   bash migrate/4-client-https.sh <member>
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 4-client-https.sh <member>}
this_member "$name"
list=$(member_list)
if printf '%s\n' "$list" | awk -F', ' '{print $4}' | grep -q '^http://'; then
  refuse "some member still advertises a plain peer URL: run step 3 first (bash migrate/3-peer-urls.sh)"
fi
restart_with "$here/step4.env" "$name"
say "$name serves clients at $tls_client (and plainly at $loopback for local consumers)"
say "next: this step on the other members; then on each: bash migrate/5-client-cert-auth.sh <member>"
"#,
        ),
        (
            "5-client-cert-auth.sh",
            r#"#!/usr/bin/env bash
# Step 5, on each member in turn: require client certificates on the TLS client URLs.
#   bash migrate/5-client-cert-auth.sh <member>
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 5-client-cert-auth.sh <member>}
this_member "$name"
list=$(member_list)
if printf '%s\n' "$list" | awk -F', ' '{print $5}' | grep -q 'http://'; then
  who=$(printf '%s\n' "$list" | awk -F', ' '$5 ~ /http:\/\// {print $3}' | head -1)
  refuse "$who still advertises a plain client URL: run step 4 on it first (bash migrate/4-client-https.sh $who)"
fi
restart_with "$here/step5.env" "$name"
say "next: this step on the other members; when local consumers use TLS too: bash migrate/6-remove-plain.sh <member> --consumers-moved"
"#,
        ),
        (
            "6-remove-plain.sh",
            r#"#!/usr/bin/env bash
# Step 6, on each member in turn, once its local consumers use TLS: drop the loopback plain
# client listener.
#   bash migrate/6-remove-plain.sh <member> --consumers-moved
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 6-remove-plain.sh <member> --consumers-moved}
this_member "$name"
[ "${2:-}" = "--consumers-moved" ] || refuse "this removes $loopback; say --consumers-moved once nothing uses it"
cmp -s "$here/step5.env" "$env_file" || cmp -s "$here/step6.env" "$env_file" \
  || refuse "$name has not done step 5: run step 5 first (bash migrate/5-client-cert-auth.sh $name)"
restart_with "$here/step6.env" "$name"
say "$name serves only TLS. When every member has done this step, the migration is complete."
"#,
        ),
    ]
}

/// Renders `migrate/README.md`, the runbook.
pub fn readme(plan: &Plan, mig: &Migration) -> String {
    let (spec, members) = (&plan.spec, &plan.members);
    let names = members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>();
    let first = names.first().copied().unwrap_or("etcd1");
    format!(
        r#"# Moving cluster "{cluster}" from plain HTTP to TLS, without downtime

Today: members {members} on `http://<ip>:{cc}` (clients) and `http://<ip>:{cp}` (peers).
Target: `https://<ip>:{tc}` and `https://<ip>:{tp}`, client certificates {auth}.

Each member's scripts are in its own folder, `members/<name>/migrate/`: copy
`members/<name>/` to that member only (it holds that member's keys and no one else's) and run
the steps there, as root, from inside that folder (`cd members/<name>`), one member at a time.
The scripts reach etcd with the member's own server certificate (it carries clientAuth); if
auth is already enabled on the plain cluster, step 3 needs root: set `EPKI_CLIENT_CERT` and
`EPKI_CLIENT_KEY` to root's client certificate for it. Step 1 installs the certificates as
`install.sh` does (`root:etcd`, keys 0640) and refuses symbolic links or folders owned by
others on the way. Every step first checks that the previous one took effect (cluster health, the peer
and client URLs in `member list`) and refuses otherwise, naming the step to run first. A step
already done does nothing. The scripts restart etcd with `systemctl restart etcd` (set
`EPKI_RESTART` to another command) after writing the member's settings to
`/etc/etcd/etcd.env` (`EPKI_ENV_FILE`), which the drop-in `members/<name>/etcd.service.d/`
loads — install it first (`systemctl daemon-reload`); a plain cluster started with flags must
drop them (etcd refuses a setting given twice).

Why this order: etcd 3 ignores certificate files on an `http://` listener, so one URL cannot
serve plain and TLS peers. Each member therefore listens on both peer ports for a while; the
members switch to dialling each other over TLS when `member update` changes the advertised
peer URLs; only then can the plain peer listener go.

| step | where | what | rollback if it fails |
|---|---|---|---|
| `bash migrate/1-certs.sh <member>` | every member | copies its certificates to its cert_dir; no restart | delete the copied files |
| `bash migrate/2-listeners.sh <member>` | each member in turn | restart with a TLS peer listener on {tp} beside the plain one, and a plain client listener on `127.0.0.1:{cc}` for local consumers | restore `/etc/etcd/etcd.env.before-step2` and restart that member |
| `bash migrate/3-peer-urls.sh` | once, any member | `etcdctl member update` of every member's peer URL to `https://<ip>:{tp}`, checking health after each | `etcdctl member update <id> --peer-urls=http://<ip>:{cp}` for the members already switched |
| `bash migrate/4-client-https.sh <member>` | each member in turn | restart with `https://<ip>:{tc}` client URLs (plain loopback kept) and TLS peers only; remote clients switch to https here | restore `.before-step4` and restart; members still reach it over TLS peers |
| `bash migrate/5-client-cert-auth.sh <member>` | each member in turn | restart with client certificates required | restore `.before-step5` and restart |
| `bash migrate/6-remove-plain.sh <member> --consumers-moved` | each member, when its local consumers use TLS | restart without the plain loopback listener | restore `.before-step6` and restart |

Start with `{first}`; between members, `bash migrate/3-peer-urls.sh` and the steps themselves
check health, so no more than one member is ever down. Clients: `clients/<name>/` hold the
certificates and `etcdctl-env.sh` for the TLS URLs.
"#,
        cluster = spec.cluster_name,
        members = names.join(", "),
        cc = mig.current_client_port,
        cp = mig.current_peer_port,
        tc = spec.client_port,
        tp = spec.peer_port,
        auth = if mig.client_cert_auth {
            "required"
        } else {
            "not required"
        },
    )
}
