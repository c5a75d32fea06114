#!/usr/bin/env bash
# shellcheck shell=bash
# CA rotation, phase 2 of 3, on one member: its certificates from the new CA, WITHOUT a
# restart (etcd-pki runbook). As root, on the member, from its folder of the rotation kit:
#   bash rotate/2-reissue.sh --clients-trust-both [--force]
#  1. refuses unless every member of the cluster accepts a certificate of the new CA on its
#     client and peer ports (phase 1 done everywhere), and unless you say that every client's
#     CA file holds both CAs (--clients-trust-both: a client that trusts only the old CA
#     refuses this member's new server certificate);
#  2. server.crt/key and peer.crt/key of the kit replace the installed ones by rename (etcd
#     reads them at every new handshake: no restart);
#  3. checks that both ports serve the new certificates and that the cluster is healthy.
# When every member is done, give every client its new certificate
# (clients/<name>/rotate/rotate-client.sh 2), then run rotate/3-drop-old.sh on each member.
# Safe to run again.
prog=2-reissue
force=""
clients=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --clients-trust-both) clients=1 ;;
    -h|--help) sed -n '3,17p' "$0"; exit 0 ;;
    *) echo "$prog: unknown option $a (use --clients-trust-both, --force)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

state=$(trust "$dir/ca.crt")
case "$state" in
  both) ;;
  old) refuse "$CERT_DIR/ca.crt holds only the old CA: run rotate/1-trust-both.sh on $MEMBER first" ;;
  new) refuse "$CERT_DIR/ca.crt holds only the new CA: phase 3 ran here already" ;;
  *) refuse "$CERT_DIR/ca.crt holds CA(s) this kit does not know ($(fingerprints "$dir/ca.crt")): is this kit for another cluster?" ;;
esac
for kind in server peer; do
  [ "$(issuer_of "$here/pki/$kind.crt")" = new ] || refuse "the kit's pki/$kind.crt is not signed by its new CA: is the kit complete?"
  key_pub=$(openssl pkey -in "$here/pki/$kind.key" -pubout 2>/dev/null) || key_pub="(unreadable)"
  [ "$key_pub" = "$(openssl x509 -in "$here/pki/$kind.crt" -noout -pubkey)" ] || refuse "the kit's pki/$kind.key does not belong to its $kind.crt"
done
# Phase 1 everywhere: every member's running etcd accepts a certificate of the new CA.
for a in $ADDRESSES; do
  accepts "$a" "$here/pki/server.crt" "$here/pki/server.key" ||
    refuse "the member at $a does not accept certificates of the new CA yet: run rotate/1-trust-both.sh on it first (every member, before any member's phase 2)"
done
[ -n "$clients" ] || refuse "first make every client trust both CAs (clients/<name>/rotate/rotate-client.sh 1 on each, and restart the ones the kit's README says), then run this again with --clients-trust-both"
gate "re-issuing $MEMBER's certificates"

for kind in server peer; do
  if cmp -s "$here/pki/$kind.crt" "$dir/$kind.crt" && cmp -s "$here/pki/$kind.key" "$dir/$kind.key"; then
    say "$CERT_DIR/$kind.crt and $kind.key are the new ones already"
    continue
  fi
  old_serial=$(serial "$dir/$kind.crt")
  own_dir
  install -d -m 0700 -o root -g root "$backups"
  cp -p -- "$dir/$kind.crt" "$dir/$kind.key" "$backups/"
  # Both files prepared in a folder of cert_dir that only root can enter, then renamed by
  # one mv, certificate first: etcd reads the certificate, then the key, at each handshake
  # (see renew.sh for the residual window and why this order).
  stage=$(mktemp -d "$dir/.etcd-pki-rotate.XXXXXX")
  install -o root -g "$group" -m 0644 "$here/pki/$kind.crt" "$stage/$kind.crt"
  install -o root -g "$group" -m 0640 "$here/pki/$kind.key" "$stage/$kind.key"
  mv -f -t "$dir" -- "$stage/$kind.crt" "$stage/$kind.key"
  rmdir "$stage"
  say "$CERT_DIR/$kind.crt: serial $old_serial (old CA) -> $(serial "$dir/$kind.crt") (new CA); the old files are in ${backups#"$root"}/"
done

a=${match:-$ADDRESS}
ok=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if serves_new "$a"; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || fail "$(hostport "$a" "$CLIENT_PORT") or $(hostport "$a" "$PEER_PORT") does not serve a certificate of the new CA: is etcd running with its certificates in $CERT_DIR?"
say "ok: $MEMBER serves certificates of the new CA on its client and peer ports; etcd was not restarted"
gate "going on"
say "phase 2 done on $MEMBER. Next: rotate/2-reissue.sh on the next member ($MEMBERS); when all are done, every client's new certificate (rotate-client.sh 2), then rotate/3-drop-old.sh"
