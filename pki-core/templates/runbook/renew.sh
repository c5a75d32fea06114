#!/usr/bin/env bash
# shellcheck shell=bash
# Puts a member's renewed certificates and keys in place WITHOUT restarting etcd (etcd-pki
# runbook). As root, on the member, from its folder of the renewed bundle (members/<name>/):
#   bash renew.sh [--force]
# Its parameters are in renew.env beside it, written by etcd-pki; this script is the same for
# every member. It refuses a machine that has none of the member's addresses unless --force,
# and refuses symbolic links or folders owned by others on the way to cert_dir, as install.sh
# does. Replaced files are kept in /var/backups/etcd-pki/<time>/ (root only). At the end it
# asks etcd's client and peer ports for their certificate: both must serve the new serial.
# ETCD_PKI_ROOT=/some/dir works on an installation under that folder (tests, image builds);
# ETCD_PKI_BACKUPS=/some/dir keeps the replaced files there instead.
set -euo pipefail
umask 077
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
force=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) sed -n '3,14p' "$0"; exit 0 ;;
    *) echo "renew: unknown option $a (use --force)" >&2; exit 2 ;;
  esac
done
[ -f "$here/renew.env" ] || { echo "renew: $here/renew.env is missing: run renew.sh from its folder of the bundle etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$here/renew.env"
: "${MEMBER:?}" "${IPS:?}" "${CERT_DIR:?}" "${ADDRESS:?}" "${PAIRS:?}"
root=${ETCD_PKI_ROOT:-}
root=${root%/}
dir="$root$CERT_DIR"
backups=${ETCD_PKI_BACKUPS:-$root/var/backups/etcd-pki}/$(date +%Y%m%d-%H%M%S)
# A refusal (exit 3) changes nothing: cert_dir, taken back from etcd while the files are
# checked, gets its owner and mode back.
taken=""
refuse() {
  if [ -n "$taken" ]; then chown -h "$taken" "$dir"; chmod "$taken_mode" "$dir"; fi
  echo "renew: REFUSED: $*" >&2
  exit 3
}
[ "$(id -u)" = 0 ] || refuse "run renew.sh as root: it writes $CERT_DIR as install.sh does"

# Never backwards: a machine that holds a later generation of this cluster's bundles refuses
# an earlier one (its certificates are older than what runs here).
{% include "shell/generation.sh" %}
check_generation renew "$here/bundle.env" "$dir/{{ marker }}" "$force"

# Is this member $MEMBER? One of its addresses must be on this machine.
{% include "shell/host-addresses.sh" %}
match=""
for ip in $IPS; do
  if on_this_machine "$ip"; then match=$ip; fi
done
if [ -z "$match" ]; then
  [ -n "$force" ] || refuse "this machine has none of member $MEMBER's addresses ($IPS; it has ${have//$'\n'/ }); run this on $MEMBER (another member's folder is members/<name>/), or add --force"
  echo "renew: --force: renewing $MEMBER although none of $IPS is on this machine"
fi

etcd_uid=""
group=root
if id -u etcd >/dev/null 2>&1; then
  etcd_uid=$(id -u etcd)
  group=$(id -gn etcd)
fi

{% include "shell/safe-dir.sh" %}

safe_dir "$root$(dirname "$CERT_DIR")"
safe_dir "$dir" "$etcd_uid"
safe_dir "$(dirname "$backups")"
[ -d "$dir" ] || refuse "$CERT_DIR does not exist: this member was never installed; use install.sh"
# Taken back from etcd first, so that nothing in it can change while we look (and given back
# as it was if anything is refused).
taken_mode=$(stat -c '%a' "$dir")
taken=$(stat -c '%u:%g' "$dir")
chown -h "root:$group" "$dir"
chmod 0750 "$dir"

# A regular file of cert_dir, not a link planted there.
installed() {
  local f="$dir/$1"
  if [ -L "$f" ]; then refuse "$CERT_DIR/$1 is a symbolic link (to $(readlink "$f")); run install.sh, which replaces it"; fi
  if [ -e "$f" ] && [ ! -f "$f" ]; then refuse "$CERT_DIR/$1 is not a regular file; move it away first"; fi
}
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
enddate() { openssl x509 -in "$1" -noout -enddate | cut -d= -f2; }

# Everything is checked before anything is replaced.
installed ca.crt
[ -f "$dir/ca.crt" ] || refuse "$CERT_DIR/ca.crt is missing: this member was never installed; use install.sh"
cmp -s "$here/pki/ca.crt" "$dir/ca.crt" ||
  refuse "the bundle's ca.crt is not the one installed in $CERT_DIR: these certificates are from another CA, and a renewal keeps the CA"
todo=""
for p in $PAIRS; do
  kind=${p%%:*}
  for f in "$kind.crt" "$kind.key"; do
    [ -f "$here/pki/$f" ] || refuse "$here/pki/$f is missing from the bundle"
    installed "$f"
  done
  # -untrusted: with a root, the file carries its issuing CA after the leaf.
  openssl verify -CAfile "$dir/ca.crt" -untrusted "$here/pki/$kind.crt" "$here/pki/$kind.crt" >/dev/null 2>&1 ||
    refuse "$kind.crt of the bundle does not verify against the installed $CERT_DIR/ca.crt"
  key_pub=$(openssl pkey -in "$here/pki/$kind.key" -pubout 2>/dev/null) || key_pub="(unreadable)"
  [ "$key_pub" = "$(openssl x509 -in "$here/pki/$kind.crt" -noout -pubkey 2>/dev/null)" ] ||
    refuse "$kind.key of the bundle does not belong to its $kind.crt"
  if cmp -s "$here/pki/$kind.crt" "$dir/$kind.crt" && cmp -s "$here/pki/$kind.key" "$dir/$kind.key"; then
    echo "renew: $CERT_DIR/$kind.crt and $kind.key already in place"
  else
    todo="$todo $kind"
  fi
done

for kind in $todo; do
  old_serial="(none)"
  if [ -f "$dir/$kind.crt" ]; then old_serial=$(serial "$dir/$kind.crt"); fi
  install -d -m 0700 -o root -g root "$backups"
  for f in "$kind.crt" "$kind.key"; do
    if [ -f "$dir/$f" ]; then cp -p -- "$dir/$f" "$backups/$f"; fi
  done
  # The new pair, with its final owner and mode, in a folder of cert_dir (so on the same
  # filesystem: a rename, never a copy) that only root can enter.
  stage=$(mktemp -d "$dir/.etcd-pki-renew.XXXXXX")
  install -o root -g "$group" -m 0644 "$here/pki/$kind.crt" "$stage/$kind.crt"
  install -o root -g "$group" -m 0640 "$here/pki/$kind.key" "$stage/$kind.key"
  # The swap. etcd reads the certificate file and then the key file at every new TLS
  # handshake (tlsutil.NewCert: os.ReadFile(certfile), os.ReadFile(keyfile), then
  # tls.X509KeyPair, called from tls.Config.GetCertificate for its listeners and
  # GetClientCertificate when it dials a peer; etcd 3.2 and later), so renaming the new files
  # over the old ones is enough: no restart, and connections already open keep going.
  # One mv process renames both, certificate first, so the two rename(2) calls are a few
  # microseconds apart. Certificate first, because etcd reads it first: a handshake that sees
  # the new certificate reads the key after it, and gets the new key too unless both of its
  # reads fell between the two renames. Key first would pair the old certificate with the new
  # key for every handshake that read the certificate before the second rename and the key
  # after the first. The residual window: a handshake whose two reads both land between the
  # renames (or, on a stalled etcd, straddle both) gets a certificate and a key that do not
  # match; tls.X509KeyPair refuses the pair, so etcd never serves it: that one handshake
  # fails, and the client's next attempt gets the new pair. A renewal that keeps the key
  # (etcd-pki renew --keep-keys) renames the certificate alone and has no window at all.
  if cmp -s "$here/pki/$kind.key" "$dir/$kind.key"; then
    mv -fT -- "$stage/$kind.crt" "$dir/$kind.crt"
  else
    mv -f -t "$dir" -- "$stage/$kind.crt" "$stage/$kind.key"
  fi
  rmdir "$stage"
  echo "renew: $CERT_DIR/$kind.crt: serial $old_serial -> $(serial "$dir/$kind.crt"), valid until $(enddate "$dir/$kind.crt") (old files kept in ${backups#"$root"}/)"
done
# Nothing is refused from here on: the files are in place, and the machine records which
# bundle it holds.
taken=""
if [ -f "$here/bundle.env" ]; then
  install -o root -g "$group" -m 0644 "$here/bundle.env" "$dir/{{ marker }}"
fi

# What etcd serves now, asked as a peer would ask (the new peer certificate as client).
if [ -n "$match" ]; then ADDRESS=$match; fi
case "$ADDRESS" in *:*) hostport() { echo "[$ADDRESS]:$1"; } ;; *) hostport() { echo "$ADDRESS:$1"; } ;; esac
peer_kind=peer
[ -f "$here/pki/$peer_kind.crt" ] || peer_kind=${PAIRS%%:*}
fails=0
for p in $PAIRS; do
  kind=${p%%:*}
  port=${p#*:}
  [ "$port" != "$p" ] || continue
  want=$(serial "$here/pki/$kind.crt")
  got=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    got=$(timeout 10 openssl s_client -connect "$(hostport "$port")" -verify_ip "$ADDRESS" -verify_return_error \
      -CAfile "$dir/ca.crt" -cert "$here/pki/$peer_kind.crt" -cert_chain "$here/pki/$peer_kind.crt" \
      -key "$here/pki/$peer_kind.key" </dev/null 2>/dev/null |
      openssl x509 -noout -serial 2>/dev/null | cut -d= -f2) || true
    [ "$got" != "$want" ] || break
    sleep 1
  done
  if [ "$got" = "$want" ]; then
    echo "renew: ok: $(hostport "$port") serves $kind.crt serial $want"
  else
    echo "renew: FAIL: $(hostport "$port") serves serial ${got:-(no answer)}, not the new $kind.crt's $want: is etcd running with its certificates in $CERT_DIR?" >&2
    fails=$((fails + 1))
  fi
done
[ "$fails" = 0 ] || exit 1
echo "renew: member $MEMBER renewed; etcd was not restarted"
