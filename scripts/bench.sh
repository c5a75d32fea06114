#!/usr/bin/env bash
# Side-by-side benchmark of the standard bundle (CA; server + peer for 3 members; 2 clients:
# 9 keys and certificates) made three ways, whole process each, in one run:
#   etcd-pki generate   (target/release/etcd-pki, built here with the speed profile)
#   cfssl               (Debian golang-cfssl, installed here with apt if missing; not needed
#                        by the tests)
#   openssl             (scripts/bench/openssl-bundle.sh)
# Prints the medians of RUNS runs (default 15) per tool and algorithm, and the ratios to
# etcd-pki, with the date, the machine and its load. Runs are interleaved so a load change
# hits every tool alike.
# `page` (or `all`, after the above) builds the page (./scripts/build-site.sh) and runs the
# page benchmark in headless Chromium and Firefox ESR (tests/browser/tests/page_bench.rs):
# the standard bundle in P-256 and RSA-2048 (first click, median of 15), and 99 members +
# 1000 clients in P-256, with how long the page's thread was blocked.
# `fleet` runs pki-core/tests/fleet.rs's ignored benchmark (docs/BENCHMARKS.md "Fleet status"):
# 100 clusters x 5 members, `etcd-pki status` over the folder and each due cluster's renewal,
# RUNS_FLEET times (default 3), in the test profile the test command builds.
# Usage: [RUNS=15] [ALGS="ecdsa-p256 rsa-2048"] ./scripts/bench.sh [cli|page|fleet|all]  (default cli)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
RUNS="${RUNS:-15}"
ALGS="${ALGS:-ecdsa-p256 rsa-2048}"
what="${1:-cli}"
case "$what" in
  cli | page | fleet | all) ;;
  *) echo "usage: $0 [cli|page|fleet|all]" >&2; exit 2 ;;
esac

if [ "$what" = fleet ]; then
  echo "fleet benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
  for _ in $(seq "${RUNS_FLEET:-3}"); do
    cargo test --quiet -p pki-core --test fleet -- --ignored --nocapture 2>&1 | grep '^FLEET'
  done
  exit 0
fi

page_bench() {
  ./scripts/build-site.sh >/dev/null
  echo "page benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  cargo test --quiet -p e2e-browser --test page_bench -- --ignored --nocapture --test-threads=1
}
if [ "$what" = page ]; then
  page_bench
  exit 0
fi

if ! command -v cfssl >/dev/null || ! command -v cfssljson >/dev/null; then
  echo "bench: apt-get install golang-cfssl (for the comparison only)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends golang-cfssl >/dev/null
fi
cargo build --quiet --release -p pki-core
cli="$root/target/release/etcd-pki"

work="$(mktemp -d /tmp/etcd-pki-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
spec() { # algorithm
  cat <<JSON
{"cluster_name": "bench", "key_algorithm": "$1",
 "nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}, {"name": "etcd2", "ips": ["10.0.0.2"]},
           {"name": "etcd3", "ips": ["10.0.0.3"]}],
 "clients": [{"name": "etcdctl", "common_name": "root"},
             {"name": "kube-apiserver", "common_name": "kube-apiserver-etcd-client", "kind": "kube-apiserver"}]}
JSON
}
run() { # tool algorithm -> one run, its wall time in ms on stdout
  local out="$work/out"; rm -rf "$out"
  local t0 t1
  t0=$(date +%s%N)
  case "$1" in
    etcd-pki) "$cli" generate --spec "$work/$2.json" --out "$work/b.zip" --force --no-ca-passphrase >/dev/null ;;
    cfssl) scripts/bench/cfssl-bundle.sh "$2" "$out" ;;
    openssl) scripts/bench/openssl-bundle.sh "$2" "$out" >/dev/null ;;
  esac
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'; }

tools=(etcd-pki cfssl openssl)
echo "etcd-pki bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "standard bundle (3 members, 2 clients: 9 keys and certificates; etcd-pki also makes its P-256 JWT key and writes a zip with configs and scripts), CA key unencrypted, whole process, median of $RUNS runs"
echo
echo "| algorithm | etcd-pki | cfssl | openssl script | cfssl / etcd-pki | openssl / etcd-pki |"
echo "| --- | --- | --- | --- | --- | --- |"
for alg in $ALGS; do
  spec "$alg" > "$work/$alg.json"
  declare -A times=()
  for t in "${tools[@]}"; do run "$t" "$alg" >/dev/null; done   # warm the page cache
  for ((i = 0; i < RUNS; i++)); do
    for t in "${tools[@]}"; do times[$t]+="$(run "$t" "$alg") "; done
  done
  declare -A med=()
  for t in "${tools[@]}"; do med[$t]=$(tr ' ' '\n' <<<"${times[$t]}" | grep . | median); done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }
  echo "| $alg | ${med[etcd-pki]} ms | ${med[cfssl]} ms | ${med[openssl]} ms | $(ratio "${med[cfssl]}" "${med[etcd-pki]}") | $(ratio "${med[openssl]}" "${med[etcd-pki]}") |"
  unset times med
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$what" = all ]; then
  echo
  page_bench
fi
