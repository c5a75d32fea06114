#!/usr/bin/env bash
# Stops the members demo/run.sh started for cluster "{{ cluster }}"; --clean also removes data/.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
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
if [ "${1:-}" = "--clean" ]; then rm -rf data demo/run; echo "demo: removed data/"; fi
