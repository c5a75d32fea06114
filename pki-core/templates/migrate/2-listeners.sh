#!/usr/bin/env bash
# Step 2, on each member in turn: restart with a TLS peer listener beside the plain one and a
# loopback-only plain client listener for local consumers.
#   bash migrate/2-listeners.sh <member>
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 2-listeners.sh <member>}
this_member "$name"
[ -f "$root$cert_dir/peer.crt" ] || refuse "$name has no certificates in $cert_dir: run step 1 first (bash migrate/1-certs.sh $name)"
cluster_healthy || refuse "the cluster is not healthy; wait for it (or roll back the previous member) first"
restart_with "$here/step2.env" "$name"
say "next: this step on the other members, one at a time; then once: bash migrate/3-peer-urls.sh"
