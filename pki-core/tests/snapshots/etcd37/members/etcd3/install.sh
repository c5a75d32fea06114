#!/usr/bin/env bash
# Installs etcd member etcd3 of cluster etcd37 on this machine (etcd-pki). As root:
#   bash members/etcd3/install.sh [--force] [--dry-run]
# Copies its certificates and keys to /etc/etcd/pki (keys 0600, folder 0700, owner etcd when
# that user exists), writes the env file for this distribution and the systemd drop-in, and
# reloads systemd. Refuses a machine that has none of 10.0.0.3 unless --force.
# Safe to run again. ETCD_PKI_ROOT=/some/dir installs under that folder instead of /.
set -euo pipefail
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=${ETCD_PKI_ROOT:-}
root=${root%/}
force=""
dry=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "install: unknown option $a (use --force or --dry-run)" >&2; exit 2 ;;
  esac
done
member_ips="10.0.0.3"
cert_dir="/etc/etcd/pki"
data_dir="/var/lib/etcd"
if [ -n "" ]; then
  echo "install: this bundle's paths are relative ($cert_dir, $data_dir): it is a one-machine demo; use demo/run.sh" >&2
  exit 2
fi

# Is this member etcd3? One of its addresses must be on this machine.
have=$( { ip -o addr show 2>/dev/null | awk '{print $4}' | cut -d/ -f1; hostname -I 2>/dev/null | tr ' ' '\n'; } | sed '/^$/d' | sort -u)
match=""
for ip in $member_ips; do
  if printf '%s\n' "$have" | grep -qxF "$ip"; then match=$ip; fi
done
if [ -z "$match" ]; then
  if [ -z "$force" ]; then
    echo "install: this machine has none of member etcd3's addresses ($member_ips)." >&2
    echo "install: its addresses are: $(echo $have)" >&2
    echo "install: run this on etcd3 (another member's folder is members/<name>/), or add --force." >&2
    exit 3
  fi
  echo "install: --force: installing etcd3 although none of $member_ips is on this machine"
fi

run() { if [ -n "$dry" ]; then echo "install: would run: $*"; else "$@"; fi; }
owner=""
if id -u etcd >/dev/null 2>&1; then owner=etcd; else echo "install: no user etcd here; files stay owned by $(id -un) (etcd's package creates the user)"; fi
chowned() { if [ -n "$owner" ]; then run chown "$owner:$owner" "$1"; fi; }

# place SRC DEST MODE [OWNED]: copy unless identical, keep a backup of a different file.
place() {
  local src="$here/$1" dest="$root$2" mode=$3 owned=${4:-}
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    run chmod "$mode" "$dest"
    if [ -n "$owned" ]; then chowned "$dest"; fi
    echo "install: $2 already in place"
    return
  fi
  if [ -f "$dest" ]; then
    local backup
    backup="$dest.etcd-pki-backup-$(date +%Y%m%d%H%M%S)"
    run cp -p "$dest" "$backup"
    echo "install: kept the previous $2 as ${backup#"$root"}"
  fi
  run install -D -m "$mode" "$src" "$dest"
  if [ -n "$owned" ]; then chowned "$dest"; fi
  echo "install: wrote $2 (mode $mode)"
}

for dir in "$cert_dir" "$data_dir"; do
  if [ ! -d "$root$dir" ]; then run install -d -m 0700 "$root$dir"; echo "install: created $dir (mode 0700)"; fi
  run chmod 0700 "$root$dir"
  chowned "$root$dir"
done
for f in "$here"/pki/*; do
  name=$(basename "$f")
  case "$name" in
    *.key) place "pki/$name" "$cert_dir/$name" 0600 owned ;;
    *) place "pki/$name" "$cert_dir/$name" 0644 owned ;;
  esac
done

# The env file this distribution's etcd.service reads.
id_like=""
if [ -f "$root/etc/os-release" ]; then
  id_like=$( . "$root/etc/os-release"; echo "${ID:-} ${ID_LIKE:-}" )
fi
case " $id_like " in
  *" debian "*|*" ubuntu "*) place debian/etcd /etc/default/etcd 0644 ;;
  *" rhel "*|*" centos "*|*" fedora "*|*" rocky "*|*" almalinux "*) place rhel/etcd.conf /etc/etcd/etcd.conf 0644 ;;
  *) place etcd.env /etc/etcd/etcd.env 0644 ;;
esac
place etcd.service.d/10-etcd-pki.conf /etc/systemd/system/etcd.service.d/10-etcd-pki.conf 0644

if [ -z "$root" ] && [ -z "$dry" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "install: systemd reloaded"
fi
echo "install: member etcd3 is in place. Next: run install.sh on every member, then start them"
echo "install: within a minute of each other: systemctl enable --now etcd; then: bash members/etcd3/verify.sh"
