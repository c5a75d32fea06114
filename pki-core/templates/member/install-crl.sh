#!/usr/bin/env bash
# shellcheck shell=bash
# Puts a new certificate revocation list in place on a member, WITHOUT restarting etcd
# (etcd-pki runbook). As root, on the member, from its folder of the bundle (members/<name>/):
#   bash install-crl.sh [--force] [--restart]
# Its parameters are in crl.env beside it; this script is the same for every member. etcd
# started with --client-crl-file/--peer-crl-file (or ETCD_CLIENT_CRL_FILE/ETCD_PEER_CRL_FILE;
# etcd's YAML config has no such key) reads the file again at every new connection, so a
# renamed-in file is in force for the next connection. It refuses: a machine without the
# member's addresses (unless --force), links or foreign-owned folders on the way to cert_dir (as
# install.sh does), a member whose etcd runs with --config-file (it would ignore the CRL), a
# CRL that is not DER (etcd 3.6+ reads DER only, and an unreadable CRL file
# makes etcd refuse EVERY connection), one not signed by the installed CA (or, under a root,
# by an issuing CA the root signed), and one older than
# the installed CRL (it would take revocations back; --force installs it anyway).
# A connection that a revoked certificate opened before the CRL was in place stays open (etcd
# checks the CRL at the handshake only). --restart (for a compromised key) then restarts this
# member's etcd, which ends every connection to it, and waits until it answers /health again:
# run it on one member at a time. ETCD_PKI_RESTART replaces `systemctl restart etcd`;
# ETCD_PKI_WAIT (seconds, default 120) bounds the wait.
# ETCD_PKI_ROOT=/some/dir works on an installation under that folder (tests, image builds);
# ETCD_PKI_BACKUPS=/some/dir keeps the replaced file there instead of /var/backups/etcd-pki.
set -euo pipefail
umask 077
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
force=""
restart=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --restart) restart=1 ;;
    -h|--help) sed -n '3,22p' "$0"; exit 0 ;;
    *) echo "install-crl: unknown option $a (use --force or --restart)" >&2; exit 2 ;;
  esac
done
restart_cmd=${ETCD_PKI_RESTART:-systemctl restart etcd}
wait_s=${ETCD_PKI_WAIT:-120}
case "$wait_s" in ''|*[!0-9]*) echo "install-crl: ETCD_PKI_WAIT must be a number of seconds, not $wait_s" >&2; exit 2 ;; esac
[ -f "$here/crl.env" ] || { echo "install-crl: $here/crl.env is missing: run install-crl.sh from its folder of the bundle etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$here/crl.env"
: "${MEMBER:?}" "${IPS:?}" "${CERT_DIR:?}" "${CLIENT_PORT:?}"
root=${ETCD_PKI_ROOT:-}
root=${root%/}
dir="$root$CERT_DIR"
backups=${ETCD_PKI_BACKUPS:-$root/var/backups/etcd-pki}/$(date +%Y%m%d-%H%M%S)
new="$here/pki/crl.der"
# A refusal (exit 3) changes nothing: cert_dir, taken back from etcd while the files are
# checked, gets its owner and mode back.
taken=""
refuse() {
  if [ -n "$taken" ]; then chown -h "$taken" "$dir"; chmod "$taken_mode" "$dir"; fi
  echo "install-crl: REFUSED: $*" >&2
  exit 3
}
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

{% include "shell/safe-dir.sh" %}

etcd_uid=""
if id -u etcd >/dev/null 2>&1; then etcd_uid=$(id -u etcd); fi
safe_dir "$root$(dirname "$CERT_DIR")"
safe_dir "$dir" "$etcd_uid"
safe_dir "$(dirname "$backups")"
[ -d "$dir" ] || refuse "$CERT_DIR does not exist: this member was never installed; run install.sh first"
taken_mode=$(stat -c '%a' "$dir")
taken=$(stat -c '%u:%g' "$dir")
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
crl_path="$CERT_DIR/crl.der"
# reading_pids: the etcd processes here started with this CRL file (flag or env).
# (grep reads everything: grep -q could exit first and fail the pipe under pipefail.)
reading_pids() {
  local pid
  for pid in $(etcd_pids); do
    if settings "$pid" | grep -xE "(--client-crl-file=|ETCD_CLIENT_CRL_FILE=)$crl_path" >/dev/null; then
      echo "$pid"
    fi
  done
  return 0
}
if [ -n "$restart" ] && [ -z "$(reading_pids)" ]; then
  refuse "--restart ends the connections a revoked certificate opened before its CRL, but no etcd running here reads $crl_path yet: turn CRLs on first (run this without --restart: it says how), which takes the one restart that also ends them"
fi
[ -f "$new" ] || refuse "$new is missing from the bundle: make one with etcd-pki revoke"
openssl crl -inform DER -in "$new" -noout 2>/dev/null ||
  refuse "$new is not a DER CRL; etcd 3.6 and later read DER only, and a CRL etcd cannot read makes it refuse every connection"
# The CAs a CRL of this member may come from, one PEM file each in $cas: every CA of
# $dir/ca.crt, each on its own (half-way through a CA rotation ca.crt holds the old CA and the
# new one, often of the same name, and openssl given both would check against the first only);
# and, under a root and an issuing CA (members trust the root only, and the bundle's CRL is
# signed by the issuing CA), every issuing CA that follows a leaf in this folder's certificate
# files and that one of those roots signed.
cas=$(mktemp -d)
trap 'rm -rf -- "$cas"' EXIT
awk -v d="$cas" '/-----BEGIN CERTIFICATE-----/ {n++} n {print > (d "/trusted-" n ".pem")}' "$dir/ca.crt"
files=0
for f in "$here"/pki/*.crt; do
  [ -f "$f" ] || continue
  files=$((files + 1))
  awk -v d="$cas" -v p="chain-$files-" '/-----BEGIN CERTIFICATE-----/ {n++} n > 1 {print > (d "/" p n ".pem")}' "$f"
done
for pem in "$cas"/chain-*.pem; do
  [ -f "$pem" ] || continue
  under=""
  for root in "$cas"/trusted-*.pem; do
    if [ -f "$root" ] && openssl verify -CAfile "$root" "$pem" >/dev/null 2>&1; then under=1; break; fi
  done
  [ -n "$under" ] || rm -f -- "$pem"
done
# signed_by_ca CRL: whether one of those CAs signed the DER CRL.
signed_by_ca() {
  local pem
  for pem in "$cas"/trusted-*.pem "$cas"/chain-*.pem; do
    if [ -f "$pem" ] && [ "$(openssl crl -inform DER -in "$1" -CAfile "$pem" -noout 2>&1)" = "verify OK" ]; then
      return 0
    fi
  done
  return 1
}
signed_by_ca "$new" ||
  refuse "the bundle's CRL is not signed by the CA installed in $CERT_DIR/ca.crt (by no CA there, nor by an issuing CA under it that this folder's certificate files carry): is it another cluster's bundle?"
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
    if signed_by_ca "$dir/crl.der"; then
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

# Nothing is refused from here on.
taken=""

# Does the running etcd read this file? Only if it was started with it (flag or env): then the
# new list is in force for its next connection. Otherwise it takes one restart, once.
using=""
for pid in $(reading_pids); do using="$using $pid"; done
if [ -n "$using" ] && [ -n "$restart" ]; then
  echo "install-crl: etcd (pid${using}) reads $crl_path at every new connection: the CRL is in force now for every new connection"
  echo "install-crl: --restart: restarting etcd to end the connections opened before this CRL ($restart_cmd)"
  bash -c "$restart_cmd" || { echo "install-crl: FAILED: the restart command failed ($restart_cmd): look at journalctl -u etcd" >&2; exit 1; }
  # Back when a new etcd process reads the CRL and answers /health as true on this member's
  # client port (asked with its own server certificate, which is also a client certificate).
  host=${match:-${IPS%% *}}
  case "$host" in *:*) hostport="[$host]:$CLIENT_PORT" ;; *) hostport="$host:$CLIENT_PORT" ;; esac
  t0=$SECONDS
  back=""
  while [ $((SECONDS - t0)) -lt "$wait_s" ]; do
    fresh=""
    for pid in $(reading_pids); do case " $using " in *" $pid "*) ;; *) fresh=$pid ;; esac; done
    if [ -n "$fresh" ]; then
      health=$(printf 'GET /health HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" |
        timeout 10 openssl s_client -quiet -connect "$hostport" -verify_return_error \
          -CAfile "$dir/ca.crt" -cert "$dir/server.crt" -cert_chain "$dir/server.crt" \
          -key "$dir/server.key" 2>/dev/null) || true
      case "$health" in *'"health":"true"'*) back=$fresh; break ;; esac
    fi
    sleep 1
  done
  if [ -z "$back" ]; then
    echo "install-crl: FAILED: etcd on $MEMBER did not answer /health within $wait_s s of the restart: look at journalctl -u etcd; do not restart the next member before this one is back" >&2
    exit 1
  fi
  echo "install-crl: etcd is back (pid $back) after $((SECONDS - t0)) s and healthy: every connection to $MEMBER was made again under the CRL; the revoked certificate's open connections to this member are closed. Next: bash install-crl.sh --restart on the next member, one at a time"
elif [ -n "$using" ]; then
  echo "install-crl: etcd (pid${using}) reads $crl_path at every new connection: the CRL is in force now for every new connection; etcd was not restarted"
  echo "install-crl: a connection a revoked certificate opened before now stays open until it closes (etcd checks the CRL at the handshake only). If its key is compromised, end such connections with one rolling restart: bash install-crl.sh --restart on each member, one at a time (it waits until the member is healthy)"
elif [ -f "$here/kubernetes/etcd.yaml" ]; then
  echo "install-crl: no running etcd reads $crl_path yet. Turning CRLs on takes one restart, once: install kubernetes/etcd.yaml of this folder (it passes --client-crl-file and --peer-crl-file $crl_path, a path the pod mounts) as /etc/kubernetes/manifests/etcd.yaml, kubelet restarts etcd; one member at a time, each healthy before the next (etcd run by systemd instead: etcd.service.d/20-etcd-pki-crl.conf). Later CRLs need no restart."
else
  echo "install-crl: no running etcd reads $crl_path yet. Turning CRLs on takes one restart, once: install etcd.service.d/20-etcd-pki-crl.conf of this folder into /etc/systemd/system/etcd.service.d/ (it sets ETCD_CLIENT_CRL_FILE and ETCD_PEER_CRL_FILE to $crl_path; without systemd, the --client-crl-file/--peer-crl-file flags; not the YAML config, which has no such key), systemctl daemon-reload, systemctl restart etcd, one member at a time, each healthy before the next. Later CRLs need no restart."
fi
