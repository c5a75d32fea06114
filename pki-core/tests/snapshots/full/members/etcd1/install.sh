#!/usr/bin/env bash
# Installs etcd member etcd1 of cluster full on this machine (etcd-pki). As root:
#   bash install.sh [--force] [--dry-run]          (from members/etcd1/, copied to etcd1)
# Puts its certificates and keys in /etc/etcd/pki (folder root:etcd 0750, certificates 0644, keys
# 0640), writes the env file for this distribution and the systemd drop-in, and reloads
# systemd. Refuses a machine that has none of 10.0.0.1 unless --force, and refuses symbolic links
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
member_ips='10.0.0.1'
cert_dir='/etc/etcd/pki'
data_dir='/var/lib/etcd'
if [ -n "" ]; then
  echo "install: this bundle's paths are relative ($cert_dir, $data_dir): it is a one-machine demo; use demo/run.sh" >&2
  exit 2
fi
refuse() { echo "install: REFUSED: $*" >&2; exit 3; }

# Is this member etcd1? One of its addresses must be on this machine.
# This machine's addresses, one a line, of the network namespace this runs in: IPv4 from the
# kernel's local table (/proc/net/fib_trie, "/32 host LOCAL"), IPv6 from /proc/net/if_inet6
# (written as `ip` writes them), both read whole from a file; then what `ip` and `hostname -I`
# add. Each source that fails or is missing adds nothing instead of ending the script under
# `set -e`: `hostname` is not installed everywhere, and a netlink dump (which both commands
# make) fails with "Dump was interrupted" when an address or interface changes meanwhile.
have=$( { awk '/\/32 host LOCAL/ { print prev } { prev = $2 }' /proc/net/fib_trie 2>/dev/null || true
  awk '{ for (i = 0; i < 8; i++) { g = substr($1, 4 * i + 1, 4); sub(/^0+/, "", g); a[i] = (g == "" ? "0" : g) }
    b = -1; l = 1; for (i = 0; i < 8; i++) { j = i; while (j < 8 && a[j] == "0") j++; if (j - i > l) { b = i; l = j - i } }
    s = ""; for (i = 0; i < 8; i++) { if (i == b) { s = s "::"; i += l - 1 } else s = s (s == "" || s ~ /:$/ ? "" : ":") a[i] }
    print s }' /proc/net/if_inet6 2>/dev/null || true
  ip -o addr show 2>/dev/null | awk '{print $4}' | cut -d/ -f1 || true
  hostname -I 2>/dev/null | tr ' ' '\n' || true; } | sed '/^$/d' | sort -u)
# on_this_machine IP: whether IP is one of them (a shell pattern, no pipe into grep -q); every
# address of 127.0.0.0/8 is (Linux routes the whole block to lo, listed or not).
on_this_machine() { case "$1" in 127.*) return 0 ;; esac; case $'\n'"$have"$'\n' in *$'\n'"$1"$'\n'*) return 0 ;; esac; return 1; }
match=""
for ip in $member_ips; do
  if on_this_machine "$ip"; then match=$ip; fi
done
if [ -z "$match" ]; then
  if [ -z "$force" ]; then
    echo "install: this machine has none of member etcd1's addresses ($member_ips)." >&2
    echo "install: its addresses are: ${have//$'\n'/ }" >&2
    echo "install: run this on etcd1 (another member's folder is members/<name>/), or add --force." >&2
    exit 3
  fi
  echo "install: --force: installing etcd1 although none of $member_ips is on this machine"
fi

# Never backwards: a machine that holds a later generation of this cluster's bundles refuses
# an earlier one (its certificates, CRL or members are older than what runs here).
# marker_field FILE KEY: the value of KEY='...' in a bundle.env (values are quoted, no quote
# inside).
marker_field() { sed -n "s/^$2='\([^']*\)'\$/\1/p" "$1" | head -n1; }
# check_generation WHO BUNDLE_MARKER INSTALLED_MARKER FORCE: refuses (exit 3) when this machine
# holds a later generation of the same line of bundles than the one this script comes from,
# naming both; with FORCE it says so and goes on. Another line (another cluster) is not compared.
check_generation() {
  local who=$1 mine=$2 theirs=$3 force=${4:-} new_line old_line new_gen old_gen new_id old_id
  [ -f "$mine" ] && [ -f "$theirs" ] || return 0
  new_line=$(marker_field "$mine" LINE)
  old_line=$(marker_field "$theirs" LINE)
  [ -n "$new_line" ] && [ "$new_line" = "$old_line" ] || return 0
  new_gen=$(marker_field "$mine" GENERATION)
  old_gen=$(marker_field "$theirs" GENERATION)
  case "$new_gen$old_gen" in ''|*[!0-9]*) return 0 ;; esac
  [ "$old_gen" -gt "$new_gen" ] || return 0
  new_id=$(marker_field "$mine" BUNDLE)
  old_id=$(marker_field "$theirs" BUNDLE)
  if [ -z "$force" ]; then
    echo "$who: REFUSED: this machine holds generation $old_gen of this cluster's bundles (bundle $old_id), later than this bundle's generation $new_gen (bundle $new_id): use the newest bundle, or add --force to go back" >&2
    exit 3
  fi
  echo "$who: --force: going back from generation $old_gen (bundle $old_id) to generation $new_gen (bundle $new_id)"
}
check_generation install "$here/bundle.env" "$root$cert_dir/etcd-pki-bundle.env" "$force"

run() { if [ -n "$dry" ]; then echo "install: would run: $*"; else "$@"; fi; }
etcd_uid=""
group=root
if id -u etcd >/dev/null 2>&1; then
  etcd_uid=$(id -u etcd)
  group=$(id -gn etcd)
else
  echo "install: no user etcd here; files are root's (etcd's package creates the user)"
fi

# safe_dir DIR [UID]: every existing folder from / down to DIR is a real folder (no symbolic
# link), owned by root (DIR itself may be owned by UID) and not writable by anyone else.
safe_dir() {
  local dir=$1 also=${2:-} cur="" part owner perm gid
  local -a parts
  IFS=/ read -ra parts <<< "${dir#/}"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    cur="$cur/$part"
    if [ -L "$cur" ]; then refuse "$cur is a symbolic link (to $(readlink "$cur")); etcd-pki does not follow links on the way to ${dir#"$root"}: replace it with a folder"; fi
    [ -e "$cur" ] || return 0
    [ -d "$cur" ] || refuse "$cur is not a folder"
    read -r owner gid perm <<< "$(stat -c '%u %g %a' "$cur")"
    if [ "$owner" != 0 ] && { [ "$cur" != "$dir" ] || [ -z "$also" ] || [ "$owner" != "$also" ]; }; then
      refuse "$cur is owned by $(stat -c %U "$cur"), not root: whoever owns it could swap what etcd-pki writes; chown root $cur or choose another path"
    fi
    perm=$((8#$perm))
    if (( perm & 8#0002 )) && ! (( perm & 8#1000 )); then refuse "$cur is writable by anyone"; fi
    if (( perm & 8#0020 )) && [ "$gid" != 0 ] && [ "$cur" != "$dir" ]; then refuse "$cur is writable by group $(stat -c %G "$cur")"; fi
  done
}

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
  *" debian "*|*" ubuntu "*) put debian/etcd /etc/default/etcd 0644 root:root ;;
  *" rhel "*|*" centos "*|*" fedora "*|*" rocky "*|*" almalinux "*) put rhel/etcd.conf /etc/etcd/etcd.conf 0644 root:root ;;
  *) put etcd.env /etc/etcd/etcd.env 0644 root:root ;;
esac
put etcd.service.d/10-etcd-pki.conf /etc/systemd/system/etcd.service.d/10-etcd-pki.conf 0644 root:root
put bundle.env "$cert_dir/etcd-pki-bundle.env" 0644 "root:$group"

if [ -z "$root" ] && [ -z "$dry" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "install: systemd reloaded"
fi
echo "install: member etcd1 is in place. Next: run install.sh on every member, then start them"
echo "install: within a minute of each other: systemctl enable --now etcd; then: bash verify.sh --health"
