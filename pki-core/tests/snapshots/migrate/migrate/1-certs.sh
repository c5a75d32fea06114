#!/usr/bin/env bash
# Step 1, on each member: put its certificates in place. Nothing restarts.
#   bash migrate/1-certs.sh <member>
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 1-certs.sh <member>}
member "$name"
cluster_healthy || refuse "the cluster is not healthy; fix that before migrating"
mkdir -p "$root$cert_dir"
chmod 0700 "$root$cert_dir"
for f in "$bundle/members/$name/pki/"*; do
  b=$(basename "$f")
  case "$b" in *.key) mode=0600 ;; *) mode=0644 ;; esac
  install -m "$mode" "$f" "$root$cert_dir/$b"
done
if id -u etcd >/dev/null 2>&1; then chown -R etcd:etcd "$root$cert_dir"; fi
say "certificates of $name are in $cert_dir"
say "next: this step on every member, then: bash migrate/2-listeners.sh $name (one member at a time)"
