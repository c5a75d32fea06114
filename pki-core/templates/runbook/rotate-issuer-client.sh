#!/usr/bin/env bash
# shellcheck shell=bash
# A client's certificate from the new issuing CA (etcd-pki runbook), after every member's
# rotate-issuer.sh. On the client's machine, as the user that owns its files, from its folder
# of the kit (clients/<name>/):
#   bash rotate-issuer.sh DIR
# DIR is the folder where the client's ca.crt, client.crt and client.key are installed (for
# etcdctl, the folder its etcdctl-env.sh names). ca.crt (the root) must be the kit's and does
# not change; client.crt (leaf + new issuing CA) and client.key are replaced by rename,
# keeping owner and mode; the old ones stay beside them as NAME.before-issuer-rotation. Then
# it connects to the cluster with the files as they are now. What the client must do to read
# them depends on what it is: printed at the end. Safe to run again ("already done").
set -euo pipefail
prog=rotate-issuer
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
case "${1:-}" in
  -h|--help) sed -n '3,12p' "$0"; exit 0 ;;
  '') echo "$prog: say which folder holds the client's installed ca.crt, client.crt and client.key" >&2; exit 2 ;;
esac
to=${1%/}
[ -f "$here/rotate-issuer.env" ] || { echo "$prog: $here/rotate-issuer.env is missing: run the script from its folder of the kit etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$here/rotate-issuer.env"
: "${CLIENT:?}" "${KIND:?}" "${ENDPOINTS:?}" "${ROOT_SHA256:?}" "${ISSUER_SHA256:?}"
refuse() { echo "$prog: REFUSED: $*" >&2; exit 3; }
say() { echo "$prog: $*"; }
if [ ! -d "$to" ] || [ -L "$to" ]; then refuse "$to is not a folder"; fi
for f in ca.crt client.crt client.key; do
  if [ -L "$to/$f" ]; then refuse "$to/$f is a symbolic link; replace it with the file"; fi
  [ -f "$to/$f" ] || refuse "$to/$f is missing: is $to where client $CLIENT's files are?"
  [ -f "$here/$f" ] || refuse "$here/$f is missing from the kit"
done
# certs FILE: the SHA-256 fingerprint of each certificate in a PEM file, in order, one a line.
certs() {
  local cert fp
  while IFS= read -r -d '' cert; do
    fp=$(printf '%s' "$cert" | openssl x509 -noout -fingerprint -sha256 2>/dev/null) || fp=""
    printf '%s\n' "${fp#*=}"
  done < <(awk '/-----BEGIN CERTIFICATE-----/ {c = ""} {c = c $0 "\n"} /-----END CERTIFICATE-----/ {printf "%s%c", c, 0}' "$1")
}
installed_root=$(certs "$to/ca.crt" | tr '\n' ' ')
[ "$(certs "$to/ca.crt")" = "$ROOT_SHA256" ] ||
  refuse "this kit is for another root: $to/ca.crt holds ${installed_root% }, the kit's root is $ROOT_SHA256"
chain=$(certs "$here/client.crt" | tr '\n' ' ')
if [ "$(certs "$here/client.crt" | sed -n 2p)" != "$ISSUER_SHA256" ] || [ "$(certs "$here/client.crt" | wc -l)" != 2 ]; then
  refuse "the kit's client.crt is not its leaf followed by the new issuing CA ($chain): is the kit complete?"
fi
openssl verify -CAfile "$to/ca.crt" -untrusted "$here/client.crt" "$here/client.crt" >/dev/null 2>&1 ||
  refuse "the kit's client.crt does not verify against $to/ca.crt through its issuing CA"
[ "$(openssl pkey -in "$here/client.key" -pubout 2>/dev/null || echo "(unreadable)")" = "$(openssl x509 -in "$here/client.crt" -noout -pubkey 2>/dev/null)" ] ||
  refuse "the kit's client.key does not belong to its client.crt"

done_already=""
if cmp -s "$here/client.crt" "$to/client.crt" && cmp -s "$here/client.key" "$to/client.key"; then
  done_already=1
  say "$to/client.crt and client.key are the new issuing CA's already"
else
  # Both prepared beside the old ones (same filesystem: a rename), with their owner and mode,
  # then renamed by one mv, certificate first (see the member's rotate-issuer.sh).
  stage=$(mktemp -d "$to/.etcd-pki-issuer.XXXXXX")
  trap 'rm -rf -- "$stage"' EXIT
  for f in client.crt client.key; do
    cp -p -- "$to/$f" "$to/$f.before-issuer-rotation"
    install -o "$(stat -c %u "$to/$f")" -g "$(stat -c %g "$to/$f")" -m "$(stat -c %a "$to/$f")" "$here/$f" "$stage/$f"
  done
  mv -f -t "$to" -- "$stage/client.crt" "$stage/client.key"
  say "$to/client.crt and client.key are from the new issuing CA now (the old ones: $to/*.before-issuer-rotation)"
fi

# The files as they are now, on a new connection; curl sends client.crt whole (leaf + issuing
# CA), which is what lets a member that trusts only the root accept it.
ok=""
for ep in ${ENDPOINTS//,/ }; do
  # The answer captured, not piped into grep -q (which can fail the pipe under pipefail).
  if [[ "$(curl -sS --max-time 5 --cacert "$to/ca.crt" --cert "$to/client.crt" --key "$to/client.key" "$ep/version" 2>/dev/null)" == *etcdserver* ]]; then
    ok=$ep; break
  fi
done
if [ -z "$ok" ]; then
  echo "$prog: FAILED: no member accepted client $CLIENT with these files ($ENDPOINTS): have all members run rotate-issuer.sh? The previous files are $to/*.before-issuer-rotation" >&2
  exit 1
fi
say "ok: $ok accepts client $CLIENT with these files"
case "$KIND" in
  etcdctl) say "etcdctl reads the files at every run: nothing to restart" ;;
  *) say "a $KIND client that reads its certificate once (at start) keeps presenting the old one, which stays valid until the old issuing CA is revoked: restart or reload it before that step (ROTATE-ISSUER.md)" ;;
esac
if [ -n "$done_already" ]; then say "already done for $CLIENT"; else say "done for $CLIENT"; fi
