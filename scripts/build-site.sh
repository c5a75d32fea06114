#!/usr/bin/env bash
# Builds the static site into dist/ with Trunk (release profile, wasm-opt from npm's binaryen).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/tools/node_modules/.bin:$PATH"
trunk build --release
