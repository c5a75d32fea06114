#!/usr/bin/env bash
# Step 5, on each member in turn: require client certificates on the TLS client URLs.
#   bash migrate/5-client-cert-auth.sh <member>
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
name=${1:?usage: 5-client-cert-auth.sh <member>}
this_member "$name"
list=$(member_list)
who=$(awk -F', ' '$5 ~ /http:\/\// {print $3; exit}' <<<"$list")
if [ -n "$who" ]; then
  refuse "$who still advertises a plain client URL: run step 4 on it first (bash migrate/4-client-https.sh $who)"
fi
restart_with "$here/step5.env" "$name"
say "next: this step on the other members; when local consumers use TLS too: bash migrate/6-remove-plain.sh <member> --consumers-moved"
