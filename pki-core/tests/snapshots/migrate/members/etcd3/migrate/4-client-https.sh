#!/usr/bin/env bash
# Step 4, on each member in turn: https client URLs (the loopback plain listener stays for
# local consumers) and no plain peer listener.
#   bash migrate/4-client-https.sh <member>
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 4-client-https.sh <member>}
this_member "$name"
list=$(member_list)
if awk -F', ' '$4 ~ /^http:\/\// {found = 1} END {exit !found}' <<<"$list"; then
  refuse "some member still advertises a plain peer URL: run step 3 first (bash migrate/3-peer-urls.sh)"
fi
restart_with "$here/step4.env" "$name"
say "$name serves clients at $tls_client (and plainly at $loopback for local consumers)"
say "next: this step on the other members; then on each: bash migrate/5-client-cert-auth.sh <member>"
