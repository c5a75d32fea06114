#!/usr/bin/env bash
# shellcheck shell=bash
# A new issuing CA under the same root, on one member, WITHOUT a restart (etcd-pki runbook).
# As root, on the member, from its folder of the kit (members/<name>/):
#   bash rotate-issuer.sh [--force]
#  1. refuses unless the kit's root (pki/ca.crt) is the installed ca.crt: the trusted CA file
#     holds the root alone and does not change (etcd reads it only at start);
#  2. refuses unless the whole cluster is healthy;
#  3. replaces server.crt/key and peer.crt/key (leaf + new issuing CA) by rename, keeping each
#     file's owner and mode (etcd reads both files at every new handshake: no restart);
#  4. checks with openssl s_client -showcerts that the client and the peer port serve the new
#     leaf + the new issuing CA, verified against the installed ca.crt alone, and that the
#     cluster is healthy.
# One member at a time, every member before any client. Safe to run again ("already done").
# Replaced files are kept in /var/backups/etcd-pki/<time>/ (root only). ETCD_PKI_ROOT=/dir
# works on an installation under that folder (tests, image builds); ETCD_PKI_BACKUPS=/dir
# keeps the replaced files there; ETCDCTL names the etcdctl to use.
set -euo pipefail
umask 077
prog=rotate-issuer
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
force=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) sed -n '3,18p' "$0"; exit 0 ;;
    *) echo "$prog: unknown option $a (use --force)" >&2; exit 2 ;;
  esac
done
[ -f "$here/rotate-issuer.env" ] || { echo "$prog: $here/rotate-issuer.env is missing: run rotate-issuer.sh from its folder of the kit etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$here/rotate-issuer.env"
: "${MEMBER:?}" "${IPS:?}" "${ADDRESS:?}" "${CERT_DIR:?}" "${CLIENT_PORT:?}" "${PEER_PORT:?}" "${ADDRESSES:?}" "${ROOT_SHA256:?}" "${ISSUER_SHA256:?}"
root=${ETCD_PKI_ROOT:-}
root=${root%/}
dir="$root$CERT_DIR"
backups=${ETCD_PKI_BACKUPS:-$root/var/backups/etcd-pki}/$(date +%Y%m%d-%H%M%S)
etcdctl_bin=${ETCDCTL:-etcdctl}
# etcdctl refuses a flag that an ETCDCTL_* variable also sets; the flags below say it all.
unset ETCDCTL_ENDPOINTS ETCDCTL_CACERT ETCDCTL_CERT ETCDCTL_KEY ETCDCTL_USER ETCDCTL_PASSWORD
refuse() { echo "$prog: REFUSED: $*" >&2; exit 3; }
fail() { echo "$prog: FAILED: $*" >&2; exit 1; }
say() { echo "$prog: $*"; }
[ "$(id -u)" = 0 ] || refuse "run $prog as root: it writes $CERT_DIR as install.sh does"
command -v "$etcdctl_bin" >/dev/null || refuse "etcdctl is not on the PATH (it comes with etcd; any 3.4 or later), or set ETCDCTL"

# Never backwards: a machine that holds a later generation of this cluster's bundles refuses
# an earlier one.
{% include "shell/generation.sh" %}
check_generation "$prog" "$here/bundle.env" "$dir/{{ marker }}" "$force"

# Is this member $MEMBER? One of its addresses must be on this machine.
{% include "shell/host-addresses.sh" %}
match=""
for ip in $IPS; do
  if on_this_machine "$ip"; then match=$ip; fi
done
if [ -z "$match" ]; then
  [ -n "$force" ] || refuse "this machine has none of member $MEMBER's addresses ($IPS; it has ${have//$'\n'/ }); run this on $MEMBER (another member's folder is members/<name>/), or add --force"
  say "--force: acting as $MEMBER although none of $IPS is on this machine"
fi
a=${match:-$ADDRESS}

etcd_uid=""
if id -u etcd >/dev/null 2>&1; then etcd_uid=$(id -u etcd); fi
{% include "shell/safe-dir.sh" %}
safe_dir "$root$(dirname "$CERT_DIR")"
safe_dir "$dir" "$etcd_uid"
safe_dir "$(dirname "$backups")"
[ -d "$dir" ] || refuse "$CERT_DIR does not exist: this member was never installed; use install.sh"
for f in ca.crt server.crt server.key peer.crt peer.key; do
  if [ -L "$dir/$f" ]; then refuse "$CERT_DIR/$f is a symbolic link (to $(readlink "$dir/$f")); run install.sh, which replaces it"; fi
  [ -f "$dir/$f" ] || refuse "$CERT_DIR/$f is missing: this member was never installed; use install.sh"
  [ -f "$here/pki/$f" ] || refuse "$here/pki/$f is missing from the kit"
done

# certs FILE: the SHA-256 fingerprint of each certificate in a PEM file (or openssl's
# output), in order, one a line.
certs() {
  local cert fp
  while IFS= read -r -d '' cert; do
    fp=$(printf '%s' "$cert" | openssl x509 -noout -fingerprint -sha256 2>/dev/null) || fp=""
    printf '%s\n' "${fp#*=}"
  done < <(awk '/-----BEGIN CERTIFICATE-----/ {c = ""} {c = c $0 "\n"} /-----END CERTIFICATE-----/ {printf "%s%c", c, 0}' "$1")
}
# pems FILE: each certificate of a PEM file (or openssl's output) as its base64 on one line.
pems() { awk '/-----BEGIN CERTIFICATE-----/ {c = ""; on = 1; next} /-----END CERTIFICATE-----/ {print c; on = 0; next} on {c = c $0}' "$1"; }
serial() { local s; s=$(openssl x509 -in "$1" -noout -serial); echo "${s#*=}"; }

# --- 1. The root: the kit's is the installed one, and the kit's files chain to it.
[ "$(certs "$here/pki/ca.crt")" = "$ROOT_SHA256" ] || refuse "the kit's pki/ca.crt is not the root this kit was made for: is the kit complete?"
installed_root=$ROOT_SHA256
cmp -s "$here/pki/ca.crt" "$dir/ca.crt" || installed_root=$(certs "$dir/ca.crt")
[ "$installed_root" = "$ROOT_SHA256" ] ||
  refuse "this kit is for another root: $CERT_DIR/ca.crt holds ${installed_root//$'\n'/ }, the kit's root is $ROOT_SHA256. A kit of etcd-pki rotate-issuer is made from the cluster's newest bundle; a cluster whose CA file holds a single CA moves to root + issuing CA first (etcd-pki rotate-ca, ROTATE.md)"
# want[server], want[peer]: the kit's leaf then the new issuing CA, as fingerprints.
declare -A want=()
for kind in server peer; do
  chain=$(certs "$here/pki/$kind.crt")
  if [ "$(printf '%s\n' "$chain" | sed -n 2p)" != "$ISSUER_SHA256" ] || [ "$(printf '%s\n' "$chain" | wc -l)" != 2 ]; then
    refuse "the kit's pki/$kind.crt is not its leaf followed by the new issuing CA (${chain//$'\n'/ }): is the kit complete?"
  fi
  want[$kind]=$chain
  openssl verify -CAfile "$dir/ca.crt" -untrusted "$here/pki/$kind.crt" "$here/pki/$kind.crt" >/dev/null 2>&1 ||
    refuse "the kit's pki/$kind.crt does not verify against the installed $CERT_DIR/ca.crt through its issuing CA"
  [ "$(openssl pkey -in "$here/pki/$kind.key" -pubout 2>/dev/null || echo "(unreadable)")" = "$(openssl x509 -in "$here/pki/$kind.crt" -noout -pubkey 2>/dev/null)" ] ||
    refuse "the kit's pki/$kind.key does not belong to its $kind.crt"
done

# --- 2. The cluster, through etcdctl with this member's installed server certificate (it
# carries clientAuth; health needs no etcd user).
hostport() { case "$1" in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }
endpoints=""
for x in $ADDRESSES; do endpoints="$endpoints,https://$(hostport "$x" "$CLIENT_PORT")"; done
endpoints=${endpoints#,}
problem=""
healthy() {
  problem=$("$etcdctl_bin" --endpoints="$endpoints" --cacert="$dir/ca.crt" --cert="$dir/server.crt" --key="$dir/server.key" \
    --dial-timeout=3s --command-timeout=6s endpoint health --cluster 2>&1) && return 0
  return 1
}
wait_healthy() {
  local _
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if healthy; then return 0; fi
    sleep 1
  done
  return 1
}

todo=""
for kind in server peer; do
  if cmp -s "$here/pki/$kind.crt" "$dir/$kind.crt" && cmp -s "$here/pki/$kind.key" "$dir/$kind.key"; then
    say "$CERT_DIR/$kind.crt and $kind.key are the new issuing CA's already"
  else
    todo="$todo $kind"
  fi
done
if [ -n "$todo" ]; then
  wait_healthy || refuse "the cluster is not healthy; changing $MEMBER now could cost it its quorum: bring every member back first
$(printf '%s\n' "$problem" | sed 's/^/  /')"
fi

# --- 3. The swap, pair by pair. etcd reads the certificate file, then the key file, at every
# new handshake (tlsutil.NewCert, from GetCertificate and GetClientCertificate; etcd 3.2 and
# later), so a rename is enough: no restart, and open connections keep going. The new pair is
# prepared in a folder of cert_dir (same filesystem: a rename, never a copy) with the old
# files' owner and mode, then one mv renames the certificate and right after it the key, a
# few microseconds apart. A handshake whose two reads both fall between the renames pairs
# the new certificate with the old key: tls.X509KeyPair refuses the pair, etcd serves
# nothing for that one handshake, and the client's next attempt gets the new pair (renew.sh
# says why certificate first). The live test counts such handshakes.
stage=""
cleanup() { if [ -n "$stage" ]; then rm -rf -- "$stage"; fi; }
trap cleanup EXIT
for kind in $todo; do
  old_serial=$(serial "$dir/$kind.crt")
  install -d -m 0700 -o root -g root "$backups"
  cp -p -- "$dir/$kind.crt" "$dir/$kind.key" "$backups/"
  stage=$(mktemp -d "$dir/.etcd-pki-issuer.XXXXXX")
  for f in "$kind.crt" "$kind.key"; do
    install -o "$(stat -c %u "$dir/$f")" -g "$(stat -c %g "$dir/$f")" -m "$(stat -c %a "$dir/$f")" "$here/pki/$f" "$stage/$f"
  done
  mv -f -t "$dir" -- "$stage/$kind.crt" "$stage/$kind.key"
  rmdir "$stage"
  stage=""
  say "$CERT_DIR/$kind.crt: serial $old_serial -> $(serial "$dir/$kind.crt") (new issuing CA); the old files are in ${backups#"$root"}/"
done
if [ -f "$here/bundle.env" ]; then
  install -o root -g "$(stat -c %g "$dir/ca.crt")" -m 0644 "$here/bundle.env" "$dir/{{ marker }}"
fi

# --- 4. What each port serves now, asked as a peer would ask (the new peer certificate and
# its issuing CA as client chain): the new leaf then the new issuing CA, verified against the
# installed ca.crt (the root) alone.
served=""
serves_new() {
  local port=$1 expected=$2 out
  out=$(timeout 10 openssl s_client -connect "$(hostport "$a" "$port")" -showcerts -verify_ip "$a" -verify_return_error \
    -CAfile "$dir/ca.crt" -cert "$dir/peer.crt" -cert_chain "$dir/peer.crt" -key "$dir/peer.key" </dev/null 2>/dev/null) || { served="(no verified answer)"; return 1; }
  served=$(pems <(printf '%s\n' "$out"))
  [ "$served" = "$expected" ]
}
fails=0
for p in "server:$CLIENT_PORT" "peer:$PEER_PORT"; do
  kind=${p%%:*} port=${p#*:} ok=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if serves_new "$port" "$(pems "$here/pki/$kind.crt")"; then ok=1; break; fi
    sleep 0.5
  done
  if [ -n "$ok" ]; then
    say "ok: $(hostport "$a" "$port") serves the new $kind.crt and the new issuing CA, verified against $CERT_DIR/ca.crt alone"
  else
    echo "$prog: FAIL: $(hostport "$a" "$port") does not serve the new $kind.crt followed by the new issuing CA ($(printf '%s\n' "$served" | wc -l) certificate(s) served; fingerprints of the kit's: ${want[$kind]//$'\n'/ }): is etcd running with its certificates in $CERT_DIR?" >&2
    fails=$((fails + 1))
  fi
done
[ "$fails" = 0 ] || fail "the old files are in ${backups#"$root"}/ (if this run replaced them)"
wait_healthy || fail "the cluster is not healthy after the swap:
$(printf '%s\n' "$problem" | sed 's/^/  /')"
if [ -z "$todo" ]; then
  say "already done on $MEMBER: it serves the new issuing CA's certificates and the cluster is healthy"
else
  say "done on $MEMBER: both ports serve the new issuing CA's certificates, the cluster is healthy; etcd was not restarted"
fi
say "next: rotate-issuer.sh on the next member, one at a time; then each client's (clients/<name>/rotate-issuer.sh DIR)"
