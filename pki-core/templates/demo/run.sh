#!/usr/bin/env bash
# Starts cluster "{{ cluster }}" on this machine from the unpacked bundle (etcd-pki demo).
# Members: {{ names }}. Logs and pids in demo/run/, data in data/. Stop with demo/stop.sh.
# etcd and etcdctl come from PATH, or set EPKI_ETCD / EPKI_ETCDCTL to their paths.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
etcd_bin=${EPKI_ETCD:-etcd}
etcdctl=${EPKI_ETCDCTL:-etcdctl}
for tool in "$etcd_bin" "$etcdctl"; do
  command -v "$tool" >/dev/null || { echo "demo: $tool not found; install etcd (Debian: apt-get install etcd-server etcd-client) or set EPKI_ETCD/EPKI_ETCDCTL" >&2; exit 1; }
done
members={{ names_sh }}
mkdir -p demo/run
for m in $members; do
  if [ -f "demo/run/$m.pid" ] && kill -0 "$(cat "demo/run/$m.pid")" 2>/dev/null; then
    echo "demo: $m already runs (pid $(cat "demo/run/$m.pid"))"
    continue
  fi
  # Every setting comes from the member's env file; no flags (a flag repeating one is fatal).
  # shellcheck source=/dev/null
  ( set -a; . "members/$m/etcd.env"; set +a; exec "$etcd_bin" ) > "demo/run/$m.log" 2>&1 &
  echo $! > "demo/run/$m.pid"
  echo "demo: started $m (pid $!, log demo/run/$m.log)"
done
{%- if let Some(admin) = admin %}
# The admin client's settings; etcdctl reads them from the environment.
. {{ env_sh }}
healthy=""
for _ in $(seq 1 60); do
  if "$etcdctl" endpoint health --cluster >/dev/null 2>&1; then healthy=1; break; fi
  sleep 0.5
done
if [ -z "$healthy" ]; then
  echo "demo: the cluster did not become healthy within 30 s; the members' logs end with:" >&2
  for m in $members; do echo "--- demo/run/$m.log" >&2; tail -n 5 "demo/run/$m.log" >&2; done
  exit 1
fi
"$etcdctl" endpoint health --cluster
"$etcdctl" put /etcd-pki/demo "hello over TLS" >/dev/null
echo "demo: put and read back through TLS as client {{ admin }}: $("$etcdctl" get --print-value-only /etcd-pki/demo)"
echo "demo: the cluster runs. Use it with:  . clients/{{ admin }}/etcdctl-env.sh && etcdctl member list -w table"
echo "demo: stop it with demo/stop.sh (add --clean to remove data/ too)."
{%- else %}
echo "demo: started; the bundle has no client certificate to check it with"
{%- endif %}
