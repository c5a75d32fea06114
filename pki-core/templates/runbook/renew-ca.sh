#!/usr/bin/env bash
# shellcheck shell=bash
# Same-key CA renewal on one member: the CA certificate with a later expiry, the same key and
# subject (etcd-pki rotate-ca --same-key; etcd-pki runbook). As root, on the member, from its
# folder of the kit (members/<name>/):
#   bash rotate/renew-ca.sh [--force]
# Every certificate issued under the old CA certificate verifies under the renewed one (same
# issuer name, same key, same key identifier), so nothing else changes; etcd reads its
# trusted CA file only at start, so this is one rolling restart:
#  1. refuses unless the cluster is healthy, the installed CA file holds the old CA
#     certificate (or the renewed one), and the installed certificates verify under the
#     renewed one;
#  2. the trusted CA file becomes the renewed CA certificate, by rename;
#  3. restarts etcd and waits: running again, every member healthy, caught up.
# Run it on one member at a time; clients' CA files can take the renewed certificate any time
# before the old one expires (clients/<name>/rotate/rotate-client.sh renew).
prog=renew-ca
force=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) sed -n '3,16p' "$0"; exit 0 ;;
    *) echo "$prog: unknown option $a (use --force)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

for what in -pubkey -subject; do
  [ "$(openssl x509 -in "$rot/old-ca.crt" -noout "$what" -nameopt RFC2253)" = "$(openssl x509 -in "$rot/new-ca.crt" -noout "$what" -nameopt RFC2253)" ] ||
    refuse "the kit's new CA has another key or subject than the old one: this is a rotation kit, run rotate/1-trust-both.sh instead"
done
state=$(trust "$dir/ca.crt")
case "$state" in
  old) ;;
  new)
    if started_after "$dir/ca.crt"; then
      say "the renewed CA certificate is in use on $MEMBER already (valid until $(openssl x509 -in "$dir/ca.crt" -noout -enddate | cut -d= -f2))"
      exit 0
    fi
    say "$CERT_DIR/ca.crt is the renewed CA certificate, but the running etcd has not read it yet: restarting"
    ;;
  *) refuse "$CERT_DIR/ca.crt is not the CA certificate this kit renews ($(fingerprints "$dir/ca.crt")): is a rotation half done, or is this kit for another cluster?" ;;
esac
for f in server.crt peer.crt; do
  openssl verify -CAfile "$rot/new-ca.crt" "$dir/$f" >/dev/null 2>&1 ||
    refuse "$CERT_DIR/$f does not verify under the renewed CA certificate: it was not issued by this CA"
done
gate "restarting $MEMBER"
if [ "$state" = old ]; then
  put "$rot/new-ca.crt" ca.crt 0644
  say "$CERT_DIR/ca.crt is the renewed CA certificate now, valid until $(openssl x509 -in "$dir/ca.crt" -noout -enddate | cut -d= -f2) (the previous file is in ${backups#"$root"}/)"
fi
restart_and_wait
say "done on $MEMBER: it uses the renewed CA certificate; its own certificates are unchanged. Next: rotate/renew-ca.sh on the next member ($MEMBERS)"
