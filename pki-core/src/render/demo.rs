//! `demo/run.sh` and `demo/stop.sh` of a one-machine bundle (every member on loopback):
//! start the whole cluster from the unpacked folder without root, wait for health, put and
//! get a key through TLS as the admin client; and stop it again, leaving no process behind.

use crate::plan::Plan;

/// Renders `demo/run.sh`.
pub fn run(plan: &Plan) -> String {
    let spec = &plan.spec;
    let names = plan
        .members
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let check = match plan.check_client().map(|c| c.name.as_str()) {
        Some(a) => format!(
            r#"# The admin client's settings; etcdctl reads them from the environment.
. {env_sh}
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
echo "demo: put and read back through TLS as client {a}: $("$etcdctl" get --print-value-only /etcd-pki/demo)"
echo "demo: the cluster runs. Use it with:  . clients/{a}/etcdctl-env.sh && etcdctl member list -w table"
echo "demo: stop it with demo/stop.sh (add --clean to remove data/ too)."
"#,
            env_sh = super::quote::sh(&format!("clients/{a}/etcdctl-env.sh"))
        ),
        None => {
            "echo \"demo: started; the bundle has no client certificate to check it with\"\n".into()
        }
    };
    format!(
        r#"#!/usr/bin/env bash
# Starts cluster "{cluster}" on this machine from the unpacked bundle (etcd-pki demo).
# Members: {names}. Logs and pids in demo/run/, data in data/. Stop with demo/stop.sh.
# etcd and etcdctl come from PATH, or set EPKI_ETCD / EPKI_ETCDCTL to their paths.
set -euo pipefail
cd "$(dirname -- "${{BASH_SOURCE[0]}}")/.."
etcd_bin=${{EPKI_ETCD:-etcd}}
etcdctl=${{EPKI_ETCDCTL:-etcdctl}}
for tool in "$etcd_bin" "$etcdctl"; do
  command -v "$tool" >/dev/null || {{ echo "demo: $tool not found; install etcd (Debian: apt-get install etcd-server etcd-client) or set EPKI_ETCD/EPKI_ETCDCTL" >&2; exit 1; }}
done
members={names_sh}
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
{check}"#,
        cluster = spec.cluster_name,
        names_sh = super::quote::sh(&names),
    )
}

/// Renders `demo/stop.sh`.
pub fn stop(plan: &Plan) -> String {
    let spec = &plan.spec;
    format!(
        r#"#!/usr/bin/env bash
# Stops the members demo/run.sh started for cluster "{cluster}"; --clean also removes data/.
set -euo pipefail
cd "$(dirname -- "${{BASH_SOURCE[0]}}")/.."
shopt -s nullglob
for f in demo/run/*.pid; do
  pid=$(cat "$f")
  m=$(basename "$f" .pid)
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; echo "demo: $m did not stop in 10 s; killed"; fi
    echo "demo: stopped $m"
  fi
  rm -f "$f"
done
if [ "${{1:-}}" = "--clean" ]; then rm -rf data demo/run; echo "demo: removed data/"; fi
"#,
        cluster = spec.cluster_name,
    )
}
