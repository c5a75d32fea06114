#!/usr/bin/env bash
# shellcheck shell=bash
# Removes one member from a running etcd cluster (etcd-pki runbook). On an admin machine, from
# the unpacked bundle made without that member, with etcdctl (v3) on the PATH:
#   bash runbook/remove-<name>.sh
# Its parameters are in runbook/remove-<name>.env beside it, written by etcd-pki; this script
# is the same for every cluster. The remaining members are not restarted.
#  1. refuses when the remaining members would be below quorum, or when one of them is not
#     healthy (the member being removed may be down: that is often why it goes);
#  2. etcdctl member remove <id> (retried while etcd answers "unhealthy cluster");
#  3. waits until it is gone from the member list and every remaining member is healthy;
#  4. says what to do on the removed machine, and lists its certificates for revocation.
# Safe to run again: a member that is gone already is not looked for twice.
# ETCD_PKI_ETCDCTL_ENV=path/to/etcdctl-env.sh uses another admin client than the bundle's.
set -euo pipefail
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
data="$here/$(basename -- "${BASH_SOURCE[0]}" .sh).env"
case "${1:-}" in
  "") ;;
  -h|--help) sed -n '3,15p' "$0"; exit 0 ;;
  *) echo "remove-member: unknown option $1" >&2; exit 2 ;;
esac
[ -f "$data" ] || { echo "remove-member: $data is missing: run the script from the bundle etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$data"
: "${NAME:?}" "${PEER_URLS:?}" "${ENDPOINTS:?}" "${ETCDCTL_ENV:?}" "${DATA_DIR:?}" "${CERT_DIR:?}" "${REVOKE:?}"
bundle=$(cd "$here/.." && pwd)
ctl_env=${ETCD_PKI_ETCDCTL_ENV:-$bundle/$ETCDCTL_ENV}
[ -f "$ctl_env" ] || { echo "remove-member: $ctl_env is missing: set ETCD_PKI_ETCDCTL_ENV to your admin client's etcdctl-env.sh" >&2; exit 2; }
command -v etcdctl >/dev/null || { echo "remove-member: etcdctl is not on the PATH (it comes with etcd; any 3.4 or later)" >&2; exit 2; }
# shellcheck source=/dev/null
. "$ctl_env"
refuse() { echo "remove-member: REFUSED: $*" >&2; exit 3; }
fail() { echo "remove-member: FAILED: $*" >&2; exit 1; }
# etcdctl against the members that stay.
ctl() { ETCDCTL_ENDPOINTS=$ENDPOINTS etcdctl "$@"; }
# etcdctl's output without its retry log lines, indented (errors) or after our name (said).
errors() { { grep -v '"level":"warn"' || true; } | sed 's/^/  /' >&2; }
said() { { grep -v '"level":"warn"' || true; } | sed 's/^/remove-member: /'; }
first_peer=${PEER_URLS%%,*}
# member list, one member a line: id, status, name, peer URLs, client URLs, is learner.
members() {
  local out
  out=$(ctl member list 2>&1) || { printf '%s\n' "$out" | errors; return 1; }
  # Only member lines: etcdctl also prints warnings about members it could not reach.
  printf '%s\n' "$out" | grep -E '^[0-9a-f]+, (started|unstarted), ' || true
}
# The line of the member being removed: its name, or its peer URL if it never started.
target() { awk -F', ' -v n="$NAME" -v u="$first_peer" '{ k = split($4, p, ","); for (i = 1; i <= k; i++) if (p[i] == u) { print; next } } $3 == n'; }

list=$(members) || fail "etcdctl member list failed (are the remaining members $ENDPOINTS up?)"
line=$(printf '%s\n' "$list" | target)
if [ -z "$line" ]; then
  echo "remove-member: $NAME is not a member (removed already)"
else
  id=$(printf '%s' "$line" | awk -F', ' '{print $1}')
  # 1. Quorum and health of those that stay.
  voters=$(printf '%s\n' "$list" | awk -F', ' -v id="$id" '$1 != id && $6 != "true"' | wc -l)
  [ "$voters" -gt 0 ] || refuse "$NAME is the last voting member: a cluster cannot remove its last member"
  quorum=$((voters / 2 + 1))
  # Asked three times, 3 s apart, so that a leader election in progress is not taken for a
  # member down.
  for round in 1 2 3; do
    healthy=0
    sick=""
    while IFS= read -r m; do
      name=$(printf '%s' "$m" | awk -F', ' '{print $3}')
      url=$(printf '%s' "$m" | awk -F', ' '{split($5, c, ","); print c[1]}')
      if [ -n "$url" ] && ETCDCTL_ENDPOINTS=$url ETCDCTL_DIAL_TIMEOUT=3s ETCDCTL_COMMAND_TIMEOUT=5s etcdctl endpoint health >/dev/null 2>&1; then
        healthy=$((healthy + 1))
      else
        sick="$sick ${name:-(unstarted, $(printf '%s' "$m" | awk -F', ' '{print $4}'))}"
      fi
    done < <(printf '%s\n' "$list" | awk -F', ' -v id="$id" '$1 != id && $6 != "true"')
    if [ -z "$sick" ] || [ "$round" = 3 ]; then break; fi
    echo "remove-member: not answering:$sick; asking again in 3 s"
    sleep 3
  done
  if [ "$healthy" -lt "$quorum" ]; then
    refuse "without $NAME, $healthy of the $voters remaining members are healthy, below their quorum of $quorum: etcd would stop taking writes. Bring back$sick first"
  fi
  if [ -n "$sick" ]; then
    refuse "the cluster is not healthy:$sick not answering. Bring it back (or remove it first), then remove $NAME"
  fi
  echo "remove-member: $voters members stay, all healthy (quorum $quorum); removing $NAME ($id)"

  # 2. The removal, retried while etcd says the cluster is not ready for it.
  delay=2
  for attempt in 1 2 3 4 5 6 7 8; do
    if out=$(ctl member remove "$id" 2>&1); then
      printf '%s\n' "$out" | { grep -m1 '^Member ' || true; } | said
      break
    fi
    if [ -z "$(members | target)" ]; then echo "remove-member: $NAME is gone from the member list after all"; break; fi
    case "$out" in
      *"unhealthy cluster"*|*"not enough started members"*) ;;
      *) printf '%s\n' "$out" | errors; fail "etcdctl member remove $id failed" ;;
    esac
    [ "$attempt" -lt 8 ] || { printf '%s\n' "$out" | errors; fail "etcd still refuses to remove $NAME after $attempt attempts"; }
    echo "remove-member: etcd says the cluster is not ready for the removal yet; retrying in ${delay} s ($attempt/8)"
    sleep "$delay"
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
fi

# 3. Gone, and the rest healthy (a new leader is elected if it was the leader).
for _ in $(seq 1 30); do
  if [ -z "$(members | target)" ] && out=$(ctl endpoint health --cluster 2>&1); then
    printf '%s\n' "$out" | said
    # 4. The removed machine.
    cat <<EOF
remove-member: done: $NAME is no longer a member. On $NAME ($first_peer), as root:
  1. systemctl disable --now etcd      (it stopped serving when it was removed)
  2. remove its data: rm -rf $DATA_DIR  (a removed member must never start on it again)
  3. remove its keys: rm -f $CERT_DIR/*.key
remove-member: revoke its certificates (serial numbers, as openssl x509 -serial prints them):
EOF
    printf '%s\n' "$REVOKE" | tr ' ' '\n' | sed 's/=/  serial /; s/^/  /'
    exit 0
  fi
  sleep 2
done
printf '%s\n' "${out:-}" | errors
fail "$NAME was removed but the remaining members are not all healthy after 60 s"
