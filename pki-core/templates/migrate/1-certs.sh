#!/usr/bin/env bash
# Step 1, on each member: put its certificates in place (root:etcd, folder 0750, keys 0640).
# Nothing restarts.
#   bash migrate/1-certs.sh <member>          (in members/<member>/, on that member, as root)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 1-certs.sh <member>}
this_member "$name"
cluster_healthy || refuse "the cluster is not healthy; fix that before migrating"
group=root
etcd_uid=""
if id -u etcd >/dev/null 2>&1; then group=$(id -gn etcd); etcd_uid=$(id -u etcd); fi
d="$root$cert_dir"
safe_dir "$(dirname "$d")"
safe_dir "$d" "$etcd_uid"
if [ -d "$d" ]; then chown -h "root:$group" "$d"; chmod 0750 "$d"; else install -d -m 0750 -o root -g "$group" "$d"; fi
for f in "$mdir/pki/"*; do
  b=$(basename "$f")
  case "$b" in *.key) mode=0640 ;; *) mode=0644 ;; esac
  if [ -e "$d/$b" ] && [ ! -L "$d/$b" ] && [ ! -f "$d/$b" ]; then refuse "$d/$b is not a regular file; move it away first"; fi
  install -o root -g "$group" -m "$mode" "$f" "$d/.$b.etcd-pki-$$"
  mv -fT "$d/.$b.etcd-pki-$$" "$d/$b"
done
say "certificates of $name are in $cert_dir (root:$group, keys 0640)"
say "next: this step on every member, then: bash migrate/2-listeners.sh $name (one member at a time)"
