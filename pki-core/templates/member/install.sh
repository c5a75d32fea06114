#!/usr/bin/env bash
# Installs etcd member {{ name }} of cluster {{ cluster }} on this machine (etcd-pki). As root:
#   bash install.sh [--force] [--dry-run]          (from members/{{ name }}/, copied to {{ name }})
# Puts its certificates and keys in {{ cert_dir }} (folder root:etcd 0750, certificates 0644, keys
# 0640), writes the env file for this distribution and the systemd drop-in, and reloads
# systemd. Refuses a machine that has none of {{ ips }} unless --force, and refuses symbolic links
# or folders owned by others on the way. Safe to run again; replaced files are kept in
# /var/backups/etcd-pki/. ETCD_PKI_ROOT=/some/dir installs under that folder instead of /.
set -euo pipefail
umask 022
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=${ETCD_PKI_ROOT:-}
root=${root%/}
force=""
dry=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install: unknown option $a (use --force or --dry-run)" >&2; exit 2 ;;
  esac
done
member_ips={{ ips_sh }}
cert_dir={{ cert_dir_sh }}
data_dir={{ data_dir_sh }}
if [ -n "{{ relative }}" ]; then
  echo "install: this bundle's paths are relative ($cert_dir, $data_dir): it is a one-machine demo; use demo/run.sh" >&2
  exit 2
fi
refuse() { echo "install: REFUSED: $*" >&2; exit 3; }

# Is this member {{ name }}? One of its addresses must be on this machine.
{% include "shell/host-addresses.sh" %}
match=""
for ip in $member_ips; do
  if on_this_machine "$ip"; then match=$ip; fi
done
if [ -z "$match" ]; then
  if [ -z "$force" ]; then
    echo "install: this machine has none of member {{ name }}'s addresses ($member_ips)." >&2
    echo "install: its addresses are: ${have//$'\n'/ }" >&2
    echo "install: run this on {{ name }} (another member's folder is members/<name>/), or add --force." >&2
    exit 3
  fi
  echo "install: --force: installing {{ name }} although none of $member_ips is on this machine"
fi

# Never backwards: a machine that holds a later generation of this cluster's bundles refuses
# an earlier one (its certificates, CRL or members are older than what runs here).
{% include "shell/generation.sh" %}
check_generation install "$here/bundle.env" "$root$cert_dir/{{ marker }}" "$force"

run() { if [ -n "$dry" ]; then echo "install: would run: $*"; else "$@"; fi; }
etcd_uid=""
group=root
if id -u etcd >/dev/null 2>&1; then
  etcd_uid=$(id -u etcd)
  group=$(id -gn etcd)
else
  echo "install: no user etcd here; files are root's (etcd's package creates the user)"
fi

{% include "shell/safe-dir.sh" %}

stamp=$(date +%Y%m%d-%H%M%S)
backups="$root/var/backups/etcd-pki/$stamp"
# put SRC DEST MODE OWNER:GROUP: the file of the bundle at DEST, unless it is already there.
put() {
  local src="$here/$1" dest="$root$2" mode=$3 own=$4 tmp
  local dir also=""
  dir=$(dirname "$dest")
  if [ "$dir" = "$root$cert_dir" ]; then also=$etcd_uid; fi
  safe_dir "$dir" "$also"
  if [ -L "$dest" ]; then
    echo "install: $2 was a symbolic link (to $(readlink "$dest")); replacing the link, not what it points to"
  elif [ -e "$dest" ] && [ ! -f "$dest" ]; then
    refuse "$2 is not a regular file; move it away first"
  elif [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    run chown -h "$own" "$dest"
    run chmod "$mode" "$dest"
    echo "install: $2 already in place"
    return
  elif [ -f "$dest" ]; then
    run install -d -m 0700 -o root -g root "$backups"
    run mv -fT "$dest" "$backups/$(basename "$dest")"
    echo "install: moved the previous $2 to ${backups#"$root"}/"
  fi
  if [ ! -d "$dir" ]; then run install -d -m 0755 -o root -g root "$dir"; fi
  tmp="$dir/.$(basename "$dest").etcd-pki-$$"
  run install -o "${own%%:*}" -g "${own##*:}" -m "$mode" "$src" "$tmp"
  run mv -fT "$tmp" "$dest"
  echo "install: wrote $2 (mode $mode, $own)"
}

safe_dir "$root$(dirname "$cert_dir")"
safe_dir "$root$cert_dir" "$etcd_uid"
safe_dir "$root$(dirname "$data_dir")"
safe_dir "$root$data_dir" "$etcd_uid"
safe_dir "$root/var/backups"
# data_dir becomes etcd's (chown, 0700): only a folder that is empty, already etcd's (member/,
# or Debian's default/member/ below it), or one this script made (its marker) — never one that
# holds something else, such as /etc/cron.hourly.
marker=.etcd-pki-data-dir
if [ -d "$root$data_dir" ] && [ ! -d "$root$data_dir/member" ] && [ ! -f "$root$data_dir/$marker" ]; then
  foreign=""
  for e in "$root$data_dir"/* "$root$data_dir"/.[!.]* "$root$data_dir"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    if [ -d "$e" ] && [ ! -L "$e" ] && [ -d "$e/member" ]; then continue; fi
    foreign="$foreign ${e##*/}"
  done
  if [ -n "$foreign" ]; then
    refuse "data_dir $data_dir already holds files that are not etcd's (${foreign# }): install.sh makes data_dir etcd's (chown, mode 0700), so it takes only an empty folder, an etcd data dir or one it created; set data_dir in the spec to a new or empty folder of its own, or move these files away"
  fi
fi
if [ ! -d "$root$cert_dir" ]; then
  run install -d -m 0750 -o root -g "$group" "$root$cert_dir"
  echo "install: created $cert_dir (root:$group 0750)"
else
  # Taken back from etcd first, so that nothing in it can change while we look.
  run chown -h "root:$group" "$root$cert_dir"
  run chmod 0750 "$root$cert_dir"
fi
if [ ! -d "$root$data_dir" ]; then
  run install -d -m 0700 -o "${etcd_uid:-root}" -g "$group" "$root$data_dir"
  run install -m 0600 -o root -g root /dev/null "$root$data_dir/$marker"
  echo "install: created $data_dir (mode 0700)"
else
  run chown -h "${etcd_uid:-root}:$group" "$root$data_dir"
  run chmod 0700 "$root$data_dir"
fi
for f in "$here"/pki/*; do
  name=$(basename "$f")
  case "$name" in
    *.key) put "pki/$name" "$cert_dir/$name" 0640 "root:$group" ;;
    *) put "pki/$name" "$cert_dir/$name" 0644 "root:$group" ;;
  esac
done

# The env file this distribution's etcd.service reads.
id_like=""
if [ -f "$root/etc/os-release" ]; then
  # shellcheck source=/dev/null
  id_like=$( . "$root/etc/os-release"; echo "${ID:-} ${ID_LIKE:-}" )
fi
case " $id_like " in
  *" debian "*|*" ubuntu "*) put debian/etcd {{ debian }} 0644 root:root ;;
  *" rhel "*|*" centos "*|*" fedora "*|*" rocky "*|*" almalinux "*) put rhel/etcd.conf {{ rhel }} 0644 root:root ;;
  *) put etcd.env {{ generic }} 0644 root:root ;;
esac
put etcd.service.d/10-etcd-pki.conf {{ dropin_path }} 0644 root:root
put bundle.env "$cert_dir/{{ marker }}" 0644 "root:$group"
{%- if let Some(crl_dropin) = crl_dropin %}
# The bundle has a CRL (pki/crl.der, installed above): etcd starts with it.
put etcd.service.d/20-etcd-pki-crl.conf {{ crl_dropin }} 0644 root:root
{%- endif %}

if [ -z "$root" ] && [ -z "$dry" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "install: systemd reloaded"
fi
echo "install: member {{ name }} is in place. Next: run install.sh on every member, then start them"
echo "install: within a minute of each other: systemctl enable --now etcd; then: bash verify.sh --health"
