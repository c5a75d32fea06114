#!/usr/bin/env bash
# shellcheck shell=bash
# Adds one member to a running etcd cluster (etcd-pki runbook). On an admin machine, from the
# unpacked bundle that holds the new member, with etcdctl (v3) on the PATH:
#   bash runbook/add-<name>.sh [--wait SECONDS]
# Its parameters are in runbook/add-<name>.env beside it, written by etcd-pki; this script is
# the same for every cluster. Existing members keep their certificates and are not restarted.
# The new member joins as a LEARNER (etcd 3.4+): it does not vote, so the cluster's quorum does
# not change until it has caught up — a new member that never starts cannot stop writes.
#  1. checks that every member is healthy and that the bundle knows every member of the cluster;
#  2. etcdctl member add <name> --learner --peer-urls=...: retried while etcd answers "unhealthy
#     cluster" (etcd refuses a new member until the member asked has been connected to every
#     other one for 5 seconds, e.g. just after the previous member joined);
#  3. says what to run on the new machine: copy members/<name>/ there, bash install.sh, start etcd
#     (a one-machine bundle: bash demo/run.sh, which starts it beside the others);
#  4. waits (up to --wait seconds, default 900) until the learner has started and caught up
#     with the leader (raft index within 50 of the leader's), then promotes it to a voting
#     member (etcdctl member promote, retried while etcd says it is not in sync yet). If it
#     never starts, the learner is removed again and the script fails: the quorum was never
#     touched, and the script can be run again once the machine is ready;
#  5. checks the health of every member.
# Safe to run again: a member added before is not added twice, the script waits for it instead.
# ETCD_PKI_ETCDCTL_ENV=path/to/etcdctl-env.sh uses another admin client than the bundle's.
set -euo pipefail
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
data="$here/$(basename -- "${BASH_SOURCE[0]}" .sh).env"
wait_s=900
while [ $# -gt 0 ]; do
  case "$1" in
    --wait) wait_s=${2:?--wait needs a number of seconds}; shift 2 ;;
    -h|--help) sed -n '3,24p' "$0"; exit 0 ;;
    *) echo "add-member: unknown option $1 (use --wait SECONDS)" >&2; exit 2 ;;
  esac
done
case "$wait_s" in ''|*[!0-9]*) echo "add-member: --wait takes a number of seconds, not $wait_s" >&2; exit 2 ;; esac
[ -f "$data" ] || { echo "add-member: $data is missing: run the script from the bundle etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$data"
: "${NAME:?}" "${PEER_URLS:?}" "${CLIENT_URL:?}" "${ENDPOINTS:?}" "${INITIAL_CLUSTER:?}" "${ETCDCTL_ENV:?}" "${MEMBER_FOLDER:?}"
bundle=$(cd "$here/.." && pwd)
ctl_env=${ETCD_PKI_ETCDCTL_ENV:-$bundle/$ETCDCTL_ENV}
[ -f "$ctl_env" ] || { echo "add-member: $ctl_env is missing: set ETCD_PKI_ETCDCTL_ENV to your admin client's etcdctl-env.sh" >&2; exit 2; }
command -v etcdctl >/dev/null || { echo "add-member: etcdctl is not on the PATH (it comes with etcd; any 3.4 or later)" >&2; exit 2; }
# shellcheck source=/dev/null
. "$ctl_env"
refuse() { echo "add-member: REFUSED: $*" >&2; exit 3; }
fail() { echo "add-member: FAILED: $*" >&2; exit 1; }
# etcdctl against the members that exist (the env script also lists the new one, not up yet).
ctl() { ETCDCTL_ENDPOINTS=$ENDPOINTS etcdctl "$@"; }
# etcdctl's own error, without its retry log lines.
# etcdctl's output without its retry log lines, indented (errors) or after our name (said).
errors() { { grep -v '"level":"warn"' || true; } | sed 's/^/  /' >&2; }
said() { { grep -v '"level":"warn"' || true; } | sed 's/^/add-member: /'; }
first_peer=${PEER_URLS%%,*}

# member list, one member a line: id, status, name, peer URLs (comma-separated), client URLs,
# is learner (true/false).
members() {
  local out
  out=$(ctl member list 2>&1) || { printf '%s\n' "$out" | errors; return 1; }
  # Only member lines: etcdctl also prints warnings about members it could not reach.
  printf '%s\n' "$out" | grep -E '^[0-9a-f]+, (started|unstarted), ' || true
}
# The line of the member with our peer URL, if any.
ours() { awk -F', ' -v u="$first_peer" '{ n = split($4, p, ","); for (i = 1; i <= n; i++) if (p[i] == u) print }'; }

# 1. Health, and what the cluster has now.
echo "add-member: checking the cluster through $ENDPOINTS"
if ! out=$(ctl endpoint health --cluster 2>&1); then
  printf '%s\n' "$out" | errors
  refuse "the cluster is not healthy: adding a voting member now can cost it its quorum; bring every member back first"
fi
list=$(members) || fail "etcdctl member list failed"
line=$(printf '%s\n' "$list" | ours)
same_name=$(printf '%s\n' "$list" | awk -F', ' -v n="$NAME" '$3 == n')
if [ -n "$same_name" ] && [ -z "$line" ]; then
  refuse "the cluster already has a member $NAME with other peer URLs ($(printf '%s' "$same_name" | awk -F', ' '{print $4}')): remove it first (remove-member) or choose another name"
fi
if [ -n "$line" ]; then
  other=$(printf '%s' "$line" | awk -F', ' '{print $3}')
  if [ -n "$other" ] && [ "$other" != "$NAME" ]; then
    refuse "$first_peer is the peer URL of member $other: is the new member's address right?"
  fi
  echo "add-member: $NAME ($first_peer) is already in the member list; not adding it again"
else
  # The initial cluster the new member's env file names must be the cluster's after the add:
  # etcd refuses to join otherwise ("member count is unequal").
  unstarted=$(printf '%s\n' "$list" | awk -F', ' '$2 == "unstarted" {print $4}')
  [ -z "$unstarted" ] || refuse "a member with peer URL $unstarted was added but never started: start it or remove it (etcdctl member remove) before adding another"
  want=$( { printf '%s\n' "$list" | awk -F', ' '{ n = split($4, p, ","); for (i = 1; i <= n; i++) print $3 "=" p[i] }'
            printf '%s\n' "$PEER_URLS" | tr ',' '\n' | sed "s|^|$NAME=|"; } | sort)
  have=$(printf '%s\n' "$INITIAL_CLUSTER" | tr ',' '\n' | sort)
  if [ "$want" != "$have" ]; then
    echo "add-member: the cluster's members with $NAME:" >&2; printf '  %s\n' "$want" >&2
    echo "add-member: $MEMBER_FOLDER/etcd.env names:" >&2; printf '  %s\n' "$have" >&2
    refuse "this bundle does not know the cluster's current members: make the bundle from the newest one (etcd-pki add-member --from the bundle of the last change)"
  fi

  # 2. The add, retried while etcd says the cluster is not ready for it.
  delay=2
  for attempt in 1 2 3 4 5 6 7 8; do
    if out=$(ctl member add "$NAME" --learner --peer-urls="$PEER_URLS" 2>&1); then
      printf '%s\n' "$out" | { grep -m1 '^Member ' || true; } | said
      break
    fi
    # A timed-out add may still have been applied.
    if [ -n "$(members | ours)" ]; then echo "add-member: $NAME is in the member list after all"; break; fi
    case "$out" in
      *"unhealthy cluster"*|*"not enough started members"*) ;;
      *) printf '%s\n' "$out" | errors; fail "etcdctl member add $NAME failed" ;;
    esac
    [ "$attempt" -lt 8 ] || { printf '%s\n' "$out" | errors; fail "etcd still refuses the new member after $attempt attempts: check every member's log for peers it cannot reach"; }
    echo "add-member: etcd says the cluster is not ready for a new member yet (every member must have been connected to every other one for 5 s); retrying in ${delay} s ($attempt/8)"
    sleep "$delay"
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
fi

# 3. What to do on the new machine.
if [ -n "${ONE_MACHINE:-}" ]; then
  cat <<EOF
add-member: $NAME is a learner now (it does not vote: the quorum is unchanged). Every member of this bundle runs on this machine ($first_peer): start it from the bundle's folder with
  bash demo/run.sh     (it starts the members that are not running, $NAME among them)
add-member: waiting up to $wait_s s for $NAME to start and catch up (Ctrl-C is safe; run this script again to go on waiting)
EOF
else
  cat <<EOF
add-member: $NAME is a learner now (it does not vote: the quorum is unchanged). On the new machine ($first_peer):
  1. copy $MEMBER_FOLDER/ of this bundle to it (that folder only: it holds $NAME's keys)
  2. as root, in that folder:   bash install.sh
  3. start etcd:                systemctl enable --now etcd
add-member: waiting up to $wait_s s for $NAME to start and catch up (Ctrl-C is safe; run this script again to go on waiting)
EOF
fi

# 4. Started, then caught up: its raft index close to the leader's.
# status URL: "member_id leader raftIndex" of that member, from endpoint status -w json.
status() {
  local j
  j=$(ETCDCTL_ENDPOINTS=$1 etcdctl endpoint status -w json 2>/dev/null) || return 0
  for f in member_id leader raftIndex; do
    printf '%s ' "$(printf '%s' "$j" | grep -o "\"$f\":[0-9]*" | head -n1 | cut -d: -f2)"
  done
  echo
}
max_lag=50
deadline=$((SECONDS + wait_s))
started=""
while :; do
  if [ -z "$started" ] && members | ours | awk -F', ' -v n="$NAME" '$2 == "started" && $3 == n {f=1} END {exit !f}'; then
    started=1
    echo "add-member: $NAME has started and joined; waiting for it to catch up"
  fi
  if [ -n "$started" ]; then
    leader_index=""
    # (The new member itself may have become the leader.)
    for ep in ${ENDPOINTS//,/ } "$CLIENT_URL"; do
      read -r id lead index <<< "$(status "$ep")" || continue
      if [ -n "${id:-}" ] && [ "$id" = "$lead" ]; then leader_index=$index; fi
    done
    read -r _ _ own_index <<< "$(status "$CLIENT_URL")" || true
    if [ -n "$leader_index" ] && [ -n "${own_index:-}" ] && [ $((leader_index - own_index)) -le "$max_lag" ]; then
      echo "add-member: $NAME has caught up (raft index $own_index, leader at $leader_index)"
      break
    fi
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    if [ -z "$started" ]; then
      # Still a learner that never started: take it out again, so nothing waits for it. The
      # quorum never counted it.
      id=$(members | ours | awk -F', ' '$6 == "true" {print $1}')
      if [ -n "$id" ] && out=$(ctl member remove "$id" 2>&1); then
        fail "$NAME did not start within $wait_s s; the learner was removed again and the cluster is as it was (writes never stopped). On $NAME, look at journalctl -u etcd, then run this script again"
      fi
      fail "$NAME did not start within $wait_s s: on $NAME, look at journalctl -u etcd; run this script again to go on waiting"
    fi
    fail "$NAME started but did not catch up within $wait_s s (raft index ${own_index:-unknown}, leader at ${leader_index:-unknown})"
  fi
  sleep 2
done

# Promotion: a voting member from now on. etcd refuses it until the learner is in sync with the
# leader; a learner promoted before (this script run again) is left as it is.
id=$(members | ours | awk -F', ' '{print $1}')
learner=$(members | ours | awk -F', ' '{print $6}')
if [ "$learner" = "true" ]; then
  for attempt in $(seq 1 20); do
    if out=$(ctl member promote "$id" 2>&1); then
      echo "add-member: $NAME promoted to a voting member"
      break
    fi
    if [ "$(members | ours | awk -F', ' '{print $6}')" = "false" ]; then
      echo "add-member: $NAME is a voting member already"
      break
    fi
    [ "$attempt" -lt 20 ] || { printf '%s\n' "$out" | errors; fail "etcd did not promote $NAME after $attempt attempts; it stays a learner (the quorum is unchanged): run this script again"; }
    echo "add-member: etcd is not ready to promote $NAME yet; retrying in 2 s ($attempt/20)"
    sleep 2
  done
fi

# 5. Every member healthy, the new one included.
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if out=$(ETCDCTL_ENDPOINTS="$ENDPOINTS,$CLIENT_URL" etcdctl endpoint health --cluster 2>&1); then
    printf '%s\n' "$out" | said
    echo "add-member: done: $NAME added. Clients can use it now: clients/*/etcdctl-env.sh of this bundle lists it."
    exit 0
  fi
  sleep 3
done
printf '%s\n' "$out" | errors
fail "$NAME caught up but the cluster is not healthy"
