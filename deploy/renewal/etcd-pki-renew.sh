#!/usr/bin/env bash
# Scheduled renewal of a fleet of etcd clusters (etcd-pki, docs/RENEWAL.md): for the newest
# bundle of each cluster in BUNDLES, `etcd-pki renew --within DAYS` when a certificate is due,
# writing the next bundle beside it; nothing when nothing is due, so running it again changes
# nothing. It never rolls a bundle out: ETCD_PKI_AFTER_RENEW, when set, is run with each new
# bundle's path (your playbook or runbook), else the new bundles are listed for a person.
#   etcd-pki-renew.sh BUNDLES [DAYS]        (DAYS: default 30)
# ETCD_PKI: the etcd-pki binary (default: etcd-pki on PATH). ETCD_PKI_PASSPHRASE_FILE: the CA
# keys' passphrase file, when they are encrypted. Each cluster's CA key is BUNDLES/<cluster>-ca.key.
# Exit status: 0 done (renewed or nothing due), 1 a cluster could not be renewed (named on
# stderr; the others were renewed), 2 bad input.
set -euo pipefail
dir=${1:?usage: etcd-pki-renew.sh BUNDLES [DAYS]}
days=${2:-30}
bin=${ETCD_PKI:-etcd-pki}
pass=${ETCD_PKI_PASSPHRASE_FILE:-}
status=$("$bin" status --from "$dir" --within "$days" --json)
failed=0
while IFS=$'\t' read -r cluster from ca_key out refused; do
  [ -n "$cluster" ] || continue
  if [ "$refused" != "-" ]; then
    echo "etcd-pki-renew: cluster $cluster: renew refuses: $refused" >&2
    failed=1
    continue
  fi
  args=(renew --from "$from" --ca-key "$ca_key" --within "$days" --out "$out")
  if [ -n "$pass" ]; then args+=(--ca-passphrase-file "$pass"); fi
  if ! "$bin" "${args[@]}"; then
    echo "etcd-pki-renew: cluster $cluster: etcd-pki renew failed (above); $from is unchanged" >&2
    failed=1
    continue
  fi
  if [ -f "$out" ]; then
    if [ -n "${ETCD_PKI_AFTER_RENEW:-}" ]; then
      "$ETCD_PKI_AFTER_RENEW" "$out" || { echo "etcd-pki-renew: cluster $cluster: $ETCD_PKI_AFTER_RENEW $out failed" >&2; failed=1; }
    else
      echo "etcd-pki-renew: cluster $cluster: roll out $out (its README lists the runbook)"
    fi
  fi
done < <(jq -r '.clusters[] | select(.renewal != null)
  | [.cluster, .renewal.from, .renewal.ca_key, .renewal.out, (.renewal.refused // "-")] | @tsv' <<<"$status")
exit "$failed"
