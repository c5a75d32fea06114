#!/usr/bin/env bash
# The test command: installs what is missing (scripts/setup.sh), then runs every test —
# pki-core's unit, property and openssl tests, the real etcd clusters, the wasm build and
# the real-browser tests — and stops at the first failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$SECONDS
# Each step prints how long the one before it took, and the total at the end: the figures the
# docs/TESTING.md ("How long it takes") quotes come from these lines.
last=$SECONDS
step() {
  if ((SECONDS > start)); then printf '\033[2m(%d s)\033[0m\n' $((SECONDS - last)); fi
  last=$SECONDS
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
trap 'rc=$?; printf "\n\033[1m== %s after %d min %d s\033[0m\n" "$([ "$rc" = 0 ] && echo passed || echo FAILED)" $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))' EXIT

step "setup"
./scripts/setup.sh
export PATH="$root/tools/node_modules/.bin:$PATH"

step "formatting (cargo fmt --check)"
cargo fmt --all --check

step "known vulnerabilities in Cargo.lock (cargo audit, offline, vendored RustSec database)"
# tools/advisory-db is a dated snapshot (see its README.md); ignored advisories and why: audit.toml.
cargo audit --db "$root/tools/advisory-db" --no-fetch --stale --deny warnings

# Clippy lints while the code is built, not in passes of its own: clippy-driver as the
# workspace's rustc wrapper is exactly what `cargo clippy` runs, but with code generation, so
# the builds below are at the same time the clippy passes (`-D warnings` through CLIPPY_ARGS,
# the variable cargo-clippy hands clippy-driver). Dependencies are built by plain rustc once,
# not once checked and once built. The variables stay exported so that `cargo test` reuses
# these builds instead of rebuilding the workspace without the wrapper.
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step "the site packaging: package-site.py on a small Trunk output gives the checked-in files"
# Seconds, no wasm build: the templates in scripts/site/ and the script that fills them.
python3 scripts/site/test_package_site.py

step "the page (trunk build --release), clippy on app and pki-core for wasm32, no C compiler"
# CC=/bin/false: the page, pki-core included, builds for wasm32 with no C compiler at all.
CC=/bin/false ./scripts/build-site.sh

step "the page is reproducible: rebuilt from a copy of the tree in another folder, the same dist/"
# docs/REPRODUCIBLE.md: what a person who checks the published SHA-256 by rebuilding relies on.
CC=/bin/false ./scripts/check-reproducible.sh

step "every crate and test built natively, clippy on each (cargo test --no-run)"
cargo test --quiet --workspace --all-targets --no-run

step "cargo test (unit, property, snapshots, openssl, real etcd, headless Chromium and Firefox ESR, nginx)"
# One test at a time: the etcd clusters and the browser share this machine's ports and cores.
cargo test --workspace --no-fail-fast -- --test-threads=1
