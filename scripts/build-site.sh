#!/usr/bin/env bash
# Builds the page into dist/: Trunk (release profile, wasm-opt from npm's binaryen), then
# scripts/package-site.py for the hosted site's CSP, SRI and offline cache and the one-file
# dist/etcd-pki.html, whose SHA-256 it prints.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/tools/node_modules/.bin:$PATH"
# The build shown in the page's footer.
# Twelve hex digits whatever the size of the clone (plain --short grows with the repository), so
# a rebuild elsewhere names the build the same way; a preset ETCD_PKI_BUILD wins
# (scripts/check-reproducible.sh builds a copy of the tree that has no .git).
version="${ETCD_PKI_BUILD:-$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)+$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"
export ETCD_PKI_BUILD="$version"
# Reproducible wasm: panic messages carry the source path of the crate they come from, and a
# crates.io dependency's path is under the cargo home (/root/.cargo, /home/<you>/.cargo): write
# it as /cargo so a rebuild on another machine gives the same bytes. Merged with the
# cpubits flag of .cargo/config.toml (an env var adds to a config array, it does not replace
# it). The workspace's own paths are relative already. docs/REPRODUCIBLE.md.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo"
trunk build --release
python3 scripts/package-site.py dist "$version"
