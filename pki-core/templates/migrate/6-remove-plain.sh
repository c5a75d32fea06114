#!/usr/bin/env bash
# Step 6, on each member in turn, once its local consumers use TLS: drop the loopback plain
# client listener.
#   bash migrate/6-remove-plain.sh <member> --consumers-moved
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 6-remove-plain.sh <member> --consumers-moved}
this_member "$name"
[ "${2:-}" = "--consumers-moved" ] || refuse "this removes $loopback; say --consumers-moved once nothing uses it"
cmp -s "$here/step5.env" "$env_file" || cmp -s "$here/step6.env" "$env_file" \
  || refuse "$name has not done step 5: run step 5 first (bash migrate/5-client-cert-auth.sh $name)"
restart_with "$here/step6.env" "$name"
say "$name serves only TLS. When every member has done this step, the migration is complete."
