#!/usr/bin/env bash
# shellcheck shell=bash
# CA rotation, phase 3 of 3, on one member: trust only the new CA (etcd-pki runbook). As root,
# on the member, from its folder of the rotation kit (members/<name>/):
#   bash rotate/3-drop-old.sh --clients-reissued [--force]
#  1. refuses unless every member serves certificates of the new CA on its client and peer
#     ports (phase 2 done everywhere), and unless you say every client uses its certificate
#     of the new CA (--clients-reissued: from now on this member refuses the old ones);
#  2. the trusted CA file becomes the new CA alone, by rename;
#  3. restarts etcd and waits: running again, every member healthy and started, this member
#     caught up with the leader.
# Run it on one member at a time. Afterwards a certificate of the old CA is refused by this
# member. Safe to run again.
prog=3-drop-old
force=""
clients=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --clients-reissued) clients=1 ;;
    -h|--help) sed -n '3,14p' "$0"; exit 0 ;;
    *) echo "$prog: unknown option $a (use --clients-reissued, --force)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

state=$(trust "$dir/ca.crt")
case "$state" in
  both) ;;
  new)
    if started_after "$dir/ca.crt"; then
      say "phase 3 is done on $MEMBER already: it trusts only the new CA"
      exit 0
    fi
    say "$CERT_DIR/ca.crt holds only the new CA, but the running etcd has not read it yet: restarting"
    ;;
  old) refuse "$CERT_DIR/ca.crt holds only the old CA: the rotation has not started here; run rotate/1-trust-both.sh, then rotate/2-reissue.sh on every member first" ;;
  *) refuse "$CERT_DIR/ca.crt holds CA(s) this kit does not know ($(fingerprints "$dir/ca.crt")): is this kit for another cluster?" ;;
esac
for kind in server peer; do
  [ "$(issuer_of "$dir/$kind.crt")" = new ] ||
    refuse "$MEMBER's installed $kind.crt is still the old CA's: run rotate/2-reissue.sh on $MEMBER first"
done
for a in $ADDRESSES; do
  serves_new "$a" || refuse "the member at $a still serves a certificate of the old CA (or cannot be asked): run rotate/2-reissue.sh on it first (every member, before any member's phase 3)"
done
[ -n "$clients" ] || refuse "first give every client its certificate of the new CA (clients/<name>/rotate/rotate-client.sh 2 on each), then run this again with --clients-reissued: after this step $MEMBER refuses the old ones"
gate "restarting $MEMBER"
if [ "$state" = both ]; then
  put "$rot/new-ca.crt" ca.crt 0644
  say "$CERT_DIR/ca.crt now holds only the new CA (the previous file is in ${backups#"$root"}/)"
fi
restart_and_wait
say "phase 3 done on $MEMBER: it trusts only the new CA. Next: rotate/3-drop-old.sh on the next member ($MEMBERS); when all are done, every client's CA file the new CA alone (rotate-client.sh 3)"
