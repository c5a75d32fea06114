#!/usr/bin/env bash
# The serve command: installs what is missing, builds the hardened release site (CSP, SRI,
# service worker, the one-file page; scripts/build-site.sh) and serves dist/ on 127.0.0.1
# with Python's static file server: no dev server, no live-reload socket.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup.sh --serve
./scripts/build-site.sh
port="${PORT:-8080}"
echo "Serving dist/ (the hosted build): open http://127.0.0.1:${port}/"
echo "The one-file page for air-gapped use: http://127.0.0.1:${port}/etcd-pki.html (or open dist/etcd-pki.html from disk)"
exec python3 -m http.server --bind 127.0.0.1 --directory dist "$port"
