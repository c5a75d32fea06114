#!/usr/bin/env bash
# The serve command: installs what is missing, builds the page and serves it on 127.0.0.1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup.sh
export PATH="$root/tools/node_modules/.bin:$PATH"
port="${PORT:-8080}"
echo "Building; then open http://127.0.0.1:${port}/"
exec trunk serve --release --address 127.0.0.1 --port "$port"
