#!/usr/bin/env bash
# shellcheck shell=bash
# Puts a new certificate revocation list in place on a member, WITHOUT restarting etcd
# (etcd-pki runbook). As root, on the member, from its folder of the bundle (members/<name>/):
#   bash install-crl.sh [--force]
# Its parameters are in crl.env beside it; this script is the same for every member. etcd
# started with --client-crl-file/--peer-crl-file (or ETCD_CLIENT_CRL_FILE/ETCD_PEER_CRL_FILE;
# etcd's YAML config has no such key) reads the file again at every new connection, so a
# renamed-in file is in force for the next connection. It refuses: a machine without the
# member's addresses (unless --force), links or foreign-owned folders on the way to cert_dir (as
# install.sh does), a member whose etcd runs with --config-file (it would ignore the CRL), a
# CRL that is not DER (etcd 3.6+ reads DER only, and an unreadable CRL file
# makes etcd refuse EVERY connection), one not signed by the installed CA, and one older than
# the installed CRL (it would take revocations back; --force installs it anyway).
# ETCD_PKI_ROOT=/some/dir works on an installation under that folder (tests, image builds);
# ETCD_PKI_BACKUPS=/some/dir keeps the replaced file there instead of /var/backups/etcd-pki.
set -euo pipefail
umask 077
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
force=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) sed -n '3,16p' "$0"; exit 0 ;;
    *) echo "install-crl: unknown option $a (use --force)" >&2; exit 2 ;;
  esac
done
[ -f "$here/crl.env" ] || { echo "install-crl: $here/crl.env is missing: run install-crl.sh from its folder of the bundle etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$here/crl.env"
: "${MEMBER:?}" "${IPS:?}" "${CERT_DIR:?}"
root=${ETCD_PKI_ROOT:-}
root=${root%/}
dir="$root$CERT_DIR"
backups=${ETCD_PKI_BACKUPS:-$root/var/backups/etcd-pki}/$(date +%Y%m%d-%H%M%S)
new="$here/pki/crl.der"
refuse() { echo "install-crl: REFUSED: $*" >&2; exit 3; }
[ "$(id -u)" = 0 ] || refuse "run install-crl.sh as root: it writes $CERT_DIR as install.sh does"

# Is this member $MEMBER? One of its addresses must be on this machine.
{% include "shell/host-addresses.sh" %}
match=""
for ip in $IPS; do
  if on_this_machine "$ip"; then match=$ip; fi
done
if [ -z "$match" ]; then
  [ -n "$force" ] || refuse "this machine has none of member $MEMBER's addresses ($IPS; it has ${have//$'\n'/ }); run this on $MEMBER (another member's folder is members/<name>/), or add --force"
  echo "install-crl: --force: installing $MEMBER's CRL although none of $IPS is on this machine"
fi

# Never backwards: a machine that holds a later generation of this cluster's bundles refuses
# this bundle's CRL (it may predate revocations made since).
{% include "shell/generation.sh" %}
check_generation install-crl "$here/bundle.env" "$dir/etcd-pki-bundle.env" "$force"

group=root
if id -u etcd >/dev/null 2>&1; then group=$(id -gn etcd); fi

# safe_dir DIR [UID]: as in install.sh: every folder from / down to DIR is a real folder (no
# symbolic link), owned by root (DIR itself may be owned by UID) and not writable by others.
safe_dir() {
  local dir=$1 also=${2:-} cur="" part owner perm gid
  local -a parts
  IFS=/ read -ra parts <<< "${dir#/}"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    cur="$cur/$part"
    if [ -L "$cur" ]; then refuse "$cur is a symbolic link (to $(readlink "$cur")); install-crl.sh does not follow links on the way to ${dir#"$root"}: replace it with a folder"; fi
    [ -e "$cur" ] || return 0
    [ -d "$cur" ] || refuse "$cur is not a folder"
    read -r owner gid perm <<< "$(stat -c '%u %g %a' "$cur")"
    if [ "$owner" != 0 ] && { [ "$cur" != "$dir" ] || [ -z "$also" ] || [ "$owner" != "$also" ]; }; then
      refuse "$cur is owned by $(stat -c %U "$cur"), not root: whoever owns it could swap what install-crl.sh writes; chown root $cur or choose another path"
    fi
    perm=$((8#$perm))
    if (( perm & 8#0002 )) && ! (( perm & 8#1000 )); then refuse "$cur is writable by anyone"; fi
    if (( perm & 8#0020 )) && [ "$gid" != 0 ] && [ "$cur" != "$dir" ]; then refuse "$cur is writable by group $(stat -c %G "$cur")"; fi
  done
}

etcd_uid=""
if id -u etcd >/dev/null 2>&1; then etcd_uid=$(id -u etcd); fi
safe_dir "$root$(dirname "$CERT_DIR")"
safe_dir "$dir" "$etcd_uid"
safe_dir "$(dirname "$backups")"
[ -d "$dir" ] || refuse "$CERT_DIR does not exist: this member was never installed; run install.sh first"
chown -h "root:$group" "$dir"
chmod 0750 "$dir"
for f in crl.der ca.crt; do
  if [ -L "$dir/$f" ]; then refuse "$CERT_DIR/$f is a symbolic link (to $(readlink "$dir/$f")); remove it first"; fi
  if [ -e "$dir/$f" ] && [ ! -f "$dir/$f" ]; then refuse "$CERT_DIR/$f is not a regular file; move it away first"; fi
done
[ -f "$dir/ca.crt" ] || refuse "$CERT_DIR/ca.crt is missing: this member was never installed; run install.sh first"

# The etcd processes of this machine (of this network namespace: on a test machine or a host
# of containers, another namespace's etcd is another machine's), one pid a line.
my_net=$(readlink /proc/self/ns/net 2>/dev/null || true)
etcd_pids() {
  local pid
  for pid in $(pgrep -x etcd 2>/dev/null || true); do
    [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null || true)" = "$my_net" ] && echo "$pid"
  done
  return 0
}
# settings PID: its command line and environment, one a line.
settings() { tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null || true; echo; tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null || true; }

# Everything is checked before anything is replaced.
# etcd started with --config-file ignores every flag and ETCD_* variable, and its YAML has no
# CRL key: the CRL would silently not apply (etcd's own source, 3.4 to 3.7: configFromFile).
for pid in $(etcd_pids); do
  if settings "$pid" | grep -E '^(--?config-file(=|$)|ETCD_CONFIG_FILE=.)' >/dev/null; then
    [ -n "$force" ] || refuse "etcd (pid $pid) runs with a YAML config (--config-file or ETCD_CONFIG_FILE): etcd then ignores every flag and ETCD_* variable, and the YAML has no CRL key, so no CRL would apply. Start etcd from this folder's env file and etcd.service.d/ drop-ins (install.sh's way) instead of etcd.conf.yml, then run this again"
    echo "install-crl: --force: installing the CRL although etcd (pid $pid) runs with --config-file and will not read it" >&2
  fi
done
[ -f "$new" ] || refuse "$new is missing from the bundle: make one with etcd-pki revoke"
openssl crl -inform DER -in "$new" -noout 2>/dev/null ||
  refuse "$new is not a DER CRL; etcd 3.6 and later read DER only, and a CRL etcd cannot read makes it refuse every connection"
verified=$(openssl crl -inform DER -in "$new" -CAfile "$dir/ca.crt" -noout 2>&1) || true
[ "$verified" = "verify OK" ] ||
  refuse "the bundle's CRL is not signed by the CA installed in $CERT_DIR/ca.crt ($verified): is it another cluster's bundle?"
# openssl prints crlNumber=0x07 (hex).
number() { local n; n=$(openssl crl -inform DER -in "$1" -noout -crlnumber 2>/dev/null | cut -d= -f2); n=${n#0x}; echo "${n:-0}"; }
new_number=$(number "$new")
# serials FILE: the revoked serials of a DER CRL, uppercase hex, sorted (for comm).
serials() { openssl crl -inform DER -in "$1" -noout -text 2>/dev/null | awk '/Serial Number:/ {print toupper($3)}' | sort -u; }
next=$(openssl crl -inform DER -in "$new" -noout -nextupdate | cut -d= -f2)
if [ -f "$dir/crl.der" ]; then
  if cmp -s "$new" "$dir/crl.der"; then
    echo "install-crl: $CERT_DIR/crl.der is already this CRL (number $new_number)"
    installed_already=1
  else
    old_number=$(number "$dir/crl.der")
    # A different CRL must be a later one: a stale or sibling bundle's CRL of the same number
    # would silently take revocations back.
    if [ $((16#$old_number)) -ge $((16#$new_number)) ]; then
      [ -n "$force" ] || refuse "the installed CRL is number $((16#$old_number)), and the bundle's is number $((16#$new_number)), not a later one: installing it could take revocations back; use the newest bundle, or add --force"
      echo "install-crl: --force: replacing CRL number $((16#$old_number)) with number $((16#$new_number))"
    fi
    # Under the same CA, every serial revoked so far stays revoked.
    if [ "$(openssl crl -inform DER -in "$dir/crl.der" -CAfile "$dir/ca.crt" -noout 2>&1)" = "verify OK" ]; then
      lost=$(comm -23 <(serials "$dir/crl.der") <(serials "$new") | tr '\n' ' ')
      if [ -n "${lost// /}" ]; then
        [ -n "$force" ] || refuse "the bundle's CRL no longer lists serial(s) ${lost% } that the installed CRL revokes: installing it would un-revoke them; use the newest bundle, or add --force"
        echo "install-crl: --force: un-revoking ${lost% }"
      fi
    fi
  fi
fi
if [ -n "$next" ] && [ "$(date -d "$next" +%s)" -lt "$(date +%s)" ]; then
  echo "install-crl: warning: this CRL's next update ($next) has passed: etcd still uses it (it checks serials only), other verifiers refuse it; make a new one with etcd-pki revoke --next-update DAYS" >&2
fi

if [ -z "${installed_already:-}" ]; then
  first=""
  [ -f "$dir/crl.der" ] || first=1
  if [ -z "$first" ]; then
    install -d -m 0700 -o root -g root "$backups"
    cp -p -- "$dir/crl.der" "$backups/crl.der"
  fi
  # The new file with its final owner and mode under a temporary name in cert_dir (same
  # filesystem), then renamed over the old one: etcd, reading the file at each connection,
  # sees the old list or the new one, never a half-written file (which would refuse every
  # connection), and a link planted at the name is replaced, never written through.
  tmp=$(mktemp "$dir/.crl.der.XXXXXX")
  install -o root -g "$group" -m 0644 "$new" "$tmp"
  mv -fT -- "$tmp" "$dir/crl.der"
  echo "install-crl: $CERT_DIR/crl.der: CRL number $new_number, $(openssl crl -inform DER -in "$dir/crl.der" -noout -text | grep -c 'Serial Number:') revoked serial(s), next update $next${first:+ (first CRL on this member)}"
fi

# Does the running etcd read this file? Only if it was started with it (flag or env): then the
# new list is in force for its next connection. Otherwise it takes one restart, once.
crl_path="$CERT_DIR/crl.der"
using=""
# (grep reads everything: grep -q could exit first and fail the pipe under pipefail.)
for pid in $(etcd_pids); do
  if settings "$pid" | grep -xE "(--client-crl-file=|ETCD_CLIENT_CRL_FILE=)$crl_path" >/dev/null; then
    using="$using $pid"
  fi
done
if [ -n "$using" ]; then
  echo "install-crl: etcd (pid${using}) reads $crl_path at every new connection: the CRL is in force now for every new connection; etcd was not restarted"
  echo "install-crl: a connection a revoked certificate opened before now stays open until it closes (etcd checks the CRL at the handshake only). If its key is compromised, end such connections with one rolling restart of the members, each healthy before the next"
elif [ -f "$here/kubernetes/etcd.yaml" ]; then
  echo "install-crl: no running etcd reads $crl_path yet. Turning CRLs on takes one restart, once: install kubernetes/etcd.yaml of this folder (it passes --client-crl-file and --peer-crl-file $crl_path, a path the pod mounts) as /etc/kubernetes/manifests/etcd.yaml, kubelet restarts etcd; one member at a time, each healthy before the next (etcd run by systemd instead: etcd.service.d/20-etcd-pki-crl.conf). Later CRLs need no restart."
else
  echo "install-crl: no running etcd reads $crl_path yet. Turning CRLs on takes one restart, once: install etcd.service.d/20-etcd-pki-crl.conf of this folder into /etc/systemd/system/etcd.service.d/ (it sets ETCD_CLIENT_CRL_FILE and ETCD_PEER_CRL_FILE to $crl_path; without systemd, the --client-crl-file/--peer-crl-file flags; not the YAML config, which has no such key), systemctl daemon-reload, systemctl restart etcd, one member at a time, each healthy before the next. Later CRLs need no restart."
fi
