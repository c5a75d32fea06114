#!/usr/bin/env bash
# shellcheck shell=bash
# CA rotation, phase 1 of 3, on one member: trust the old AND the new CA (etcd-pki runbook).
# As root, on the member, from its folder of the rotation kit (members/<name>/):
#   bash rotate/1-trust-both.sh [--force]
# Run it on one member at a time; it waits for the member to be back before it returns:
#  1. refuses unless the cluster is healthy, and unless the installed trusted CA file holds
#     the old CA (or already both);
#  2. the trusted CA file (client and peer side: one file) becomes old + new, by rename;
#  3. restarts etcd (it reads that file only at start) and waits: running again, every member
#     healthy and started, this member's raft index within 50 of the leader's;
#  4. checks that this member now accepts a certificate of the new CA on its client and peer
#     ports (this member's re-issued certificates from the kit, as client certificates).
# When every member is done, and every client's CA file holds both CAs too
# (clients/<name>/rotate/rotate-client.sh 1), run rotate/2-reissue.sh on each member.
# Safe to run again: a member that trusts both already is left alone.
prog=1-trust-both
force=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) sed -n '3,17p' "$0"; exit 0 ;;
    *) echo "$prog: unknown option $a (use --force)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

state=$(trust "$dir/ca.crt")
case "$state" in
  old) ;;
  both)
    if started_after "$dir/ca.crt" && accepts "${match:-$ADDRESS}" "$here/pki/server.crt" "$here/pki/server.key"; then
      say "phase 1 is done on $MEMBER already: it trusts the old and the new CA"
      say "next: rotate/1-trust-both.sh on every other member; then rotate/2-reissue.sh"
      exit 0
    fi
    say "$CERT_DIR/ca.crt holds both CAs, but the running etcd has not read it yet: restarting"
    ;;
  new) refuse "$CERT_DIR/ca.crt holds only the new CA: phase 3 (rotate/3-drop-old.sh) ran here already; nothing to do in phase 1" ;;
  *) refuse "$CERT_DIR/ca.crt holds CA(s) this kit does not know ($(fingerprints "$dir/ca.crt")): is a previous rotation half done, or is this kit for another cluster? Finish that one first, or make the kit from the newest bundle" ;;
esac
[ "$(issuer_of "$dir/server.crt")" = old ] || refuse "$CERT_DIR/server.crt is not a certificate of the old CA: this member is not in the state phase 1 starts from"
[ "$(issuer_of "$here/pki/server.crt")" = new ] || refuse "the kit's pki/server.crt is not signed by its new CA: is the kit complete?"

gate "restarting $MEMBER"
if [ "$state" = old ]; then
  put "$rot/both-ca.crt" ca.crt 0644
  say "$CERT_DIR/ca.crt now holds the old and the new CA (the previous file is in ${backups#"$root"}/)"
fi
restart_and_wait
a=${match:-$ADDRESS}
accepts "$a" "$here/pki/server.crt" "$here/pki/server.key" ||
  fail "$MEMBER is back but does not accept a certificate of the new CA on $(hostport "$a" "$CLIENT_PORT") or $(hostport "$a" "$PEER_PORT"): is etcd's trusted CA file $CERT_DIR/ca.crt (ETCD_TRUSTED_CA_FILE, ETCD_PEER_TRUSTED_CA_FILE)?"
say "ok: $MEMBER accepts certificates of the old and the new CA on its client and peer ports"
say "phase 1 done on $MEMBER. Next: rotate/1-trust-both.sh on the next member ($MEMBERS); when all are done and every client trusts both CAs, rotate/2-reissue.sh"
