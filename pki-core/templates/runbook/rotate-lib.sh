# shellcheck shell=bash
# Shared by the CA rotation scripts of one member (etcd-pki runbook): sourced by
# 1-trust-both.sh, 2-reissue.sh, 3-drop-old.sh and renew-ca.sh, never run on its own. The
# member's parameters are in rotate.env beside it. Each script sets `prog` and the options it
# takes, then sources this file.
#
# What the scripts rely on (etcd 3.4 to 3.7, read in etcd's source): the trusted CA file
# (--trusted-ca-file, --peer-trusted-ca-file) is read ONCE, when etcd starts, so a new CA
# needs a restart; the certificate and key files are read again at every new handshake, so
# re-issued certificates need none.
#
# Environment:
#   ETCD_PKI_RESTART   the command that restarts this member's etcd (default: systemctl restart etcd)
#   ETCD_PKI_WAIT      seconds to wait for the member to be back and caught up (default 300)
#   ETCD_PKI_ROOT      an installation under that folder (tests, image builds)
#   ETCD_PKI_BACKUPS   where replaced files go (default /var/backups/etcd-pki)
#   ETCDCTL            the etcdctl to use (default: etcdctl on the PATH)
set -euo pipefail
umask 077
: "${prog:?set by the script that sources lib.sh}"
rot=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # the member's folder of the kit, used by the scripts
here=$(cd "$rot/.." && pwd)
[ -f "$rot/rotate.env" ] || { echo "$prog: $rot/rotate.env is missing: run the script from its folder of the kit etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$rot/rotate.env"
: "${MEMBER:?}" "${IPS:?}" "${ADDRESS:?}" "${CERT_DIR:?}" "${CLIENT_PORT:?}" "${PEER_PORT:?}" "${MEMBERS:?}" "${ADDRESSES:?}" "${OLD_CA_SHA256:?}" "${NEW_CA_SHA256:?}"
root=${ETCD_PKI_ROOT:-}
root=${root%/}
dir="$root$CERT_DIR"
backups=${ETCD_PKI_BACKUPS:-$root/var/backups/etcd-pki}/$(date +%Y%m%d-%H%M%S)
restart_cmd=${ETCD_PKI_RESTART:-systemctl restart etcd}
wait_s=${ETCD_PKI_WAIT:-300}
etcdctl_bin=${ETCDCTL:-etcdctl}
# etcdctl refuses a flag that an ETCDCTL_* variable also sets; the flags below say it all.
unset ETCDCTL_ENDPOINTS ETCDCTL_CACERT ETCDCTL_CERT ETCDCTL_KEY ETCDCTL_USER ETCDCTL_PASSWORD
case "$wait_s" in ''|*[!0-9]*) echo "$prog: ETCD_PKI_WAIT must be a number of seconds, not $wait_s" >&2; exit 2 ;; esac
refuse() { echo "$prog: REFUSED: $*" >&2; exit 3; }
fail() { echo "$prog: FAILED: $*" >&2; exit 1; }
say() { echo "$prog: $*"; }
[ "$(id -u)" = 0 ] || refuse "run $prog as root: it writes $CERT_DIR as install.sh does and restarts etcd"
command -v "$etcdctl_bin" >/dev/null || refuse "etcdctl is not on the PATH (it comes with etcd; any 3.4 or later), or set ETCDCTL"
for f in old-ca.crt new-ca.crt both-ca.crt; do
  [ -f "$rot/$f" ] || refuse "$rot/$f is missing from the kit"
done

# --- Which machine: one of the member's addresses must be here (--force skips this).
{% include "shell/host-addresses.sh" %}
match=""
for ip in $IPS; do
  if on_this_machine "$ip"; then match=$ip; fi
done
if [ -z "$match" ]; then
  [ -n "${force:-}" ] || refuse "this machine has none of member $MEMBER's addresses ($IPS; it has ${have//$'\n'/ }); run this on $MEMBER (another member's folder is members/<name>/), or add --force"
  say "--force: acting as $MEMBER although none of $IPS is on this machine"
fi

group=root
etcd_uid=""
if id -u etcd >/dev/null 2>&1; then
  etcd_uid=$(id -u etcd)
  group=$(id -gn etcd)
fi

{% include "shell/safe-dir.sh" %}
safe_dir "$root$(dirname "$CERT_DIR")"
safe_dir "$dir" "$etcd_uid"
safe_dir "$(dirname "$backups")"
[ -d "$dir" ] || refuse "$CERT_DIR does not exist: this member was never installed; use install.sh"
# own_dir: cert_dir becomes root:etcd 0750 (install.sh's way; an older install may have left
# it etcd's). Called at the first change, never before: a step that refuses changes nothing.
own_dir() {
  [ -z "${owned:-}" ] || return 0
  chown -h "root:$group" "$dir"
  chmod 0750 "$dir"
  owned=1
}
for f in ca.crt server.crt server.key peer.crt peer.key; do
  if [ -L "$dir/$f" ]; then refuse "$CERT_DIR/$f is a symbolic link (to $(readlink "$dir/$f")); run install.sh, which replaces it"; fi
  [ -f "$dir/$f" ] || refuse "$CERT_DIR/$f is missing: this member was never installed; use install.sh"
done

# --- What the files say.
# fingerprints FILE: the SHA-256 fingerprint of every certificate in a PEM file, sorted.
fingerprints() {
  local cert
  while IFS= read -r -d '' cert; do
    printf '%s' "$cert" | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
  done < <(awk '/-----BEGIN CERTIFICATE-----/ {c = ""} {c = c $0 "\n"} /-----END CERTIFICATE-----/ {printf "%s%c", c, 0}' "$1") | sort | tr '\n' ' ' | sed 's/ $//'
}
# trust FILE: old, both or new (the CAs of this rotation it holds), or other.
trust() {
  local got both
  got=$(fingerprints "$1")
  both=$(printf '%s\n%s\n' "$OLD_CA_SHA256" "$NEW_CA_SHA256" | sort | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" = "$OLD_CA_SHA256" ]; then echo old
  elif [ "$got" = "$NEW_CA_SHA256" ]; then echo new
  elif [ "$got" = "$both" ]; then echo both
  else echo other
  fi
}
# issuer_of CERT: old or new (which trusted CA of this rotation its chain leads to), or other.
# A leaf file of the root+issuing layout holds the leaf then its issuing CA: -untrusted hands
# openssl that issuing CA (verify reads only the first certificate of the file it checks).
issuer_of() {
  if openssl verify -partial_chain -CAfile "$rot/new-ca.crt" -untrusted "$1" "$1" >/dev/null 2>&1; then echo new
  elif openssl verify -partial_chain -CAfile "$rot/old-ca.crt" -untrusted "$1" "$1" >/dev/null 2>&1; then echo old
  else echo other
  fi
}
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# --- The running etcd.
# etcd_pid: the etcd process reading $CERT_DIR/ca.crt (by its flags or ETCD_* env), or the
# only etcd process on the machine.
etcd_pid() {
  local pid found="" all="" want="$CERT_DIR/ca.crt" args
  for pid in $(pgrep -x etcd 2>/dev/null || true); do
    all="$all $pid"
    args=$( { tr '\0' '\n' < "/proc/$pid/cmdline"; tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null || true)
    # grep reads it all: with -q it could exit first, failing printf (SIGPIPE) and so the
    # pipe under pipefail when the environment is larger than one write.
    if printf '%s\n' "$args" | grep -xE "(--trusted-ca-file=|ETCD_TRUSTED_CA_FILE=)$want" >/dev/null; then found=$pid; fi
  done
  if [ -z "$found" ] && [ "$(echo "$all" | wc -w)" = 1 ]; then found=${all# }; fi
  echo "$found"
}
# started_after FILE: whether the running etcd started after FILE last changed, so that it
# read FILE as it is now (to 1/100 s: the process's start time against the file's mtime).
started_after() {
  local pid btime ticks hz start mtime
  pid=$(etcd_pid)
  if [ -z "$pid" ]; then
    last_problem="no running etcd reads $CERT_DIR/ca.crt"
    return 1
  fi
  # Boot time to 1/100 s: now minus the uptime (/proc/stat's btime is whole seconds, too
  # coarse for a restart a moment after the file changed).
  btime=$(( $(date +%s%N | cut -c1-12) - $(cut -d' ' -f1 /proc/uptime | tr -d .) ))
  ticks=$(awk '{print $22}' "/proc/$pid/stat")
  hz=$(getconf CLK_TCK)
  start=$((btime + ticks * 100 / hz))
  mtime=$(stat -c %.2Y "$1" | tr -d .)
  last_problem="etcd (pid $pid) started before ${1#"$root"} changed"
  [ "$start" -gt "$mtime" ]
}

hostport() { case "$1" in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }
# accepts ADDRESS CERT KEY: whether this member's client and peer ports accept CERT as a
# client certificate (a new connection each: the trust of the running etcd), the server's
# certificate checked against the installed trusted CA file.
accepts() {
  local a=$1 cert=$2 key=$3
  # Answers captured, not piped into grep -q (which can fail the pipe under pipefail).
  [[ "$(curl -sS --max-time 5 --cacert "$dir/ca.crt" --cert "$cert" --key "$key" \
    "https://$(hostport "$a" "$CLIENT_PORT")/version" 2>/dev/null)" == *etcdserver* ]] &&
  [[ "$(curl -sS --http1.1 --max-time 5 --cacert "$dir/ca.crt" --cert "$cert" --key "$key" \
    "https://$(hostport "$a" "$PEER_PORT")/members" 2>/dev/null)" == *peerURLs* ]]
}
# serves_new ADDRESS: whether both ports serve a certificate of the new CA (checked against
# the new CA alone), asked with this member's installed (new) peer certificate. -cert_chain:
# s_client sends only the first certificate of -cert, and a member that trusts a root alone
# needs the issuing CA after the leaf.
serves_new() {
  local a=$1 port
  for port in "$CLIENT_PORT" "$PEER_PORT"; do
    timeout 10 openssl s_client -connect "$(hostport "$a" "$port")" -CAfile "$rot/new-ca.crt" \
      -verify_return_error -cert "$dir/peer.crt" -cert_chain "$dir/peer.crt" -key "$dir/peer.key" </dev/null >/dev/null 2>&1 || return 1
  done
}

# --- The cluster, through etcdctl with this member's own server certificate (it carries
# clientAuth; health and status need no etcd user).
endpoints=""
for a in $ADDRESSES; do endpoints="$endpoints,https://$(hostport "$a" "$CLIENT_PORT")"; done
endpoints=${endpoints#,}
own_endpoint="https://$(hostport "${match:-$ADDRESS}" "$CLIENT_PORT")"
ctl() {
  "$etcdctl_bin" --endpoints="$endpoints" --cacert="$dir/ca.crt" --cert="$dir/server.crt" --key="$dir/server.key" \
    --dial-timeout=3s --command-timeout=6s "$@"
}
errors() { { grep -v '"level":"warn"' || true; } | sed 's/^/  /' >&2; }
# healthy: every member healthy and started, as many as the kit names.
healthy() {
  local out n
  out=$(ctl endpoint health --cluster 2>&1) || { last_problem=$out; return 1; }
  out=$(ctl member list 2>&1) || { last_problem=$out; return 1; }
  n=$(printf '%s\n' "$out" | grep -cE '^[0-9a-f]+, started, ' || true)
  if [ "$n" != "$(echo "$MEMBERS" | wc -w)" ]; then
    last_problem="member list shows $n started members, the kit knows $(echo "$MEMBERS" | wc -w) ($MEMBERS):
$out"
    return 1
  fi
}
# caught_up: this member's raft index within 50 of the leader's.
caught_up() {
  local j ep id lead index leader_index="" own_index=""
  for ep in ${endpoints//,/ }; do
    j=$("$etcdctl_bin" --endpoints="$ep" --cacert="$dir/ca.crt" --cert="$dir/server.crt" --key="$dir/server.key" \
      --dial-timeout=3s --command-timeout=6s endpoint status -w json 2>/dev/null) || continue
    id=$(printf '%s' "$j" | grep -o '"member_id":[0-9]*' | head -n1 | cut -d: -f2)
    lead=$(printf '%s' "$j" | grep -o '"leader":[0-9]*' | head -n1 | cut -d: -f2)
    index=$(printf '%s' "$j" | grep -o '"raft_index":[0-9]*' | head -n1 | cut -d: -f2)
    [ -n "$index" ] || index=$(printf '%s' "$j" | grep -o '"raftIndex":[0-9]*' | head -n1 | cut -d: -f2)
    if [ -n "$id" ] && [ "$id" = "$lead" ]; then leader_index=$index; fi
    if [ "$ep" = "$own_endpoint" ]; then own_index=$index; fi
  done
  last_problem="raft index ${own_index:-unknown}, leader at ${leader_index:-unknown}"
  [ -n "$leader_index" ] && [ -n "$own_index" ] && [ $((leader_index - own_index)) -le 50 ]
}
# gate WHAT: refuses unless the whole cluster is healthy (before touching this member).
gate() {
  local _
  for _ in 1 2 3 4 5; do
    if healthy; then return 0; fi
    sleep 2
  done
  printf '%s\n' "$last_problem" | errors
  refuse "the cluster is not healthy; $1 now could cost it its quorum: bring every member back first"
}

# --- Changing this member.
# put SRC NAME MODE: SRC becomes $CERT_DIR/NAME (root:etcd, MODE) by rename; the old file is
# kept in the backup folder.
put() {
  local src=$1 name=$2 mode=$3 tmp
  own_dir
  install -d -m 0700 -o root -g root "$backups"
  cp -p -- "$dir/$name" "$backups/$name"
  tmp=$(mktemp "$dir/.$name.XXXXXX")
  install -o root -g "$group" -m "$mode" "$src" "$tmp"
  mv -fT -- "$tmp" "$dir/$name"
}
# restart_and_wait: restarts etcd, then waits until it runs again, the cluster is healthy and
# this member has caught up with the leader.
restart_and_wait() {
  say "restarting etcd ($restart_cmd)"
  local t0=$SECONDS
  bash -c "$restart_cmd" || fail "the restart command failed ($restart_cmd): look at journalctl -u etcd"
  while :; do
    if started_after "$dir/ca.crt" && healthy && caught_up; then
      say "etcd is back after $((SECONDS - t0)) s: cluster healthy, $MEMBER caught up ($last_problem)"
      return 0
    fi
    if [ $((SECONDS - t0)) -ge "$wait_s" ]; then
      fail "$MEMBER is not back within $wait_s s ($last_problem): look at journalctl -u etcd on $MEMBER; the previous file is in ${backups#"$root"}/"
    fi
    sleep 1
  done
}
last_problem=""
