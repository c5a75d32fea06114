#!/usr/bin/env bash
# Rebuilds the page from a copy of this tree in another folder and requires the same dist/,
# byte for byte, as ./scripts/build-site.sh wrote here: what a person who checks a published
# SHA-256 of etcd-pki.html by rebuilding relies on (docs/REPRODUCIBLE.md). Run by
# scripts/test.sh right after the page is built.
#
# The copy shares this tree's target/ (CARGO_TARGET_DIR), so only the two workspace crates the
# page is made of (pki-core, app) are compiled again — cargo keys a workspace crate by its
# path — and the dependencies are reused: about 3 minutes on 2 cores instead of 10.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -f dist/index.html ]; then
  echo "check-reproducible: dist/ has no index.html; build the page first: ./scripts/build-site.sh" >&2
  exit 2
fi
# The same version string as the build being checked (a copy without .git has no commit).
version="$(sed -n 's/.*name="etcd-pki-build" content="\([^"]*\)".*/\1/p' dist/index.html)"
if [ -z "$version" ]; then
  echo "check-reproducible: dist/index.html names no build (meta etcd-pki-build); rebuild it with ./scripts/build-site.sh" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/etcd-pki-rebuild.XXXXXX")"
trap 'rm -rf "$work"' EXIT
copy="$work/elsewhere/etcd-pki"
mkdir -p "$copy"
# The tree as it is (tracked and new files, edits included; not target/, dist/ or tools/).
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$copy"

echo "check-reproducible: rebuilding $version in $copy"
(
  cd "$copy"
  PATH="$root/tools/node_modules/.bin:$PATH" \
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" \
    ETCD_PKI_BUILD="$version" \
    ./scripts/build-site.sh >"$work/build.log" 2>&1
) || { cat "$work/build.log" >&2; echo "check-reproducible: the second build failed (its log is above)" >&2; exit 1; }

if ! diff -r dist "$copy/dist" >"$work/diff" 2>&1; then
  echo "check-reproducible: two builds of the same tree differ (here: dist/, there: $copy/dist):" >&2
  head -c 4000 "$work/diff" >&2
  echo >&2
  (cd dist && find . -type f | sort | while read -r f; do
     if ! cmp -s "$f" "$copy/dist/$f"; then
       echo "  $f: $(stat -c %s "$f" 2>/dev/null || echo missing) vs $(stat -c %s "$copy/dist/$f" 2>/dev/null || echo missing) bytes; $(cmp "$f" "$copy/dist/$f" 2>&1 | head -1)" >&2
     fi
   done)
  echo "check-reproducible: something in the build depends on its folder, the time or chance; docs/REPRODUCIBLE.md lists what was fixed before" >&2
  exit 1
fi
files="$(find dist -type f | wc -l)"
echo "check-reproducible: the rebuild in another folder gave the same dist/ ($files files); $(cat dist/etcd-pki.html.sha256)"
