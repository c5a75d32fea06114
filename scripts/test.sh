#!/usr/bin/env bash
# The test command: installs what is missing (scripts/setup.sh), then runs every test —
# pki-core's unit, property and openssl tests, the real etcd clusters, the wasm build and
# the real-browser tests — and stops at the first failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup"
./scripts/setup.sh
export PATH="$root/tools/node_modules/.bin:$PATH"

step "formatting (cargo fmt --check)"
cargo fmt --all --check

step "known vulnerabilities in Cargo.lock (cargo audit, offline, vendored RustSec database)"
# tools/advisory-db is a dated snapshot (see its README.md); ignored advisories and why: audit.toml.
cargo audit --db "$root/tools/advisory-db" --no-fetch --stale --deny warnings

step "pki-core builds for wasm32 with no C compiler"
CC=/bin/false cargo build --quiet -p pki-core --lib --no-default-features --target wasm32-unknown-unknown

step "clippy, warnings as errors (native: every crate and test; wasm32: pki-core and the page)"
cargo clippy --quiet --workspace --all-targets -- -D warnings
CC=/bin/false cargo clippy --quiet -p pki-core --lib --no-default-features --target wasm32-unknown-unknown -- -D warnings
cargo clippy --quiet -p app --target wasm32-unknown-unknown --all-targets -- -D warnings

step "the page (trunk build --release)"
./scripts/build-site.sh

step "cargo test (unit, property, snapshots, openssl, real etcd, headless Chromium and Firefox ESR, nginx)"
# One test at a time: the etcd clusters and the browser share this machine's ports and cores.
cargo test --workspace --no-fail-fast -- --test-threads=1
