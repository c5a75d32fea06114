#!/usr/bin/env bash
# Builds the page into dist/: Trunk (release profile, wasm-opt from npm's binaryen), then
# scripts/package-site.py for the hosted site's CSP, SRI and offline cache and the one-file
# dist/etcd-pki.html, whose SHA-256 it prints.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/tools/node_modules/.bin:$PATH"
# The build shown in the page's footer.
version="$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)+$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
export ETCD_PKI_BUILD="$version"
trunk build --release
python3 scripts/package-site.py dist "$version"
