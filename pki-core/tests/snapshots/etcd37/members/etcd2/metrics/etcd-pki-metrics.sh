#!/usr/bin/env bash
# Expiry metrics of etcd member etcd2 of cluster etcd37 for node_exporter's textfile
# collector (etcd-pki): each certificate etcd uses, read from where it is installed (not from the
# bundle), by its end date, and the CRL by its next update. Run by etcd-pki-metrics.timer; by
# hand: bash etcd-pki-metrics.sh (as root). ETCD_PKI_ROOT=/some/dir reads an installation under
# that folder (as install.sh and verify.sh); ETCD_PKI_TEXTFILE_DIR is the folder written
# (node_exporter's --collector.textfile.directory; Debian's default below).
set -euo pipefail
root=${ETCD_PKI_ROOT:-}
cert_dir="${root%/}"'/etc/etcd/pki'
out_dir=${ETCD_PKI_TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}
labels='{cluster="etcd37",member="etcd2"'
if [ ! -d "$out_dir" ]; then
  echo "etcd-pki-metrics: $out_dir does not exist: install node_exporter (Debian: prometheus-node-exporter) or set ETCD_PKI_TEXTFILE_DIR to its --collector.textfile.directory" >&2
  exit 2
fi
now=$(date -u +%s)
tmp=$(mktemp "$out_dir/.etcd-pki.prom.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
{
  echo '# HELP etcd_pki_certificate_not_after_seconds When a certificate etcd uses expires (Unix time), read from the installed file.'
  echo '# TYPE etcd_pki_certificate_not_after_seconds gauge'
  echo '# HELP etcd_pki_certificate_readable Whether the installed certificate file could be read (0: missing or not a certificate).'
  echo '# TYPE etcd_pki_certificate_readable gauge'
  for pair in 'ca:ca.crt' 'server:server.crt' 'peer:peer.crt'; do
    role=${pair%%:*}
    file="$cert_dir/${pair#*:}"
    if end=$(openssl x509 -in "$file" -noout -enddate 2>/dev/null) && serial=$(openssl x509 -in "$file" -noout -serial 2>/dev/null); then
      printf 'etcd_pki_certificate_not_after_seconds%s,role="%s",serial="%s",path="%s"} %s\n' \
        "$labels" "$role" "${serial#serial=}" "$file" "$(date -u -d "${end#notAfter=}" +%s)"
      printf 'etcd_pki_certificate_readable%s,role="%s",path="%s"} 1\n' "$labels" "$role" "$file"
    else
      printf 'etcd_pki_certificate_readable%s,role="%s",path="%s"} 0\n' "$labels" "$role" "$file"
    fi
  done
  crl="$cert_dir/crl.der"
  if [ -f "$crl" ] && next=$(openssl crl -inform DER -in "$crl" -noout -nextupdate 2>/dev/null) && [ "${next#nextUpdate=}" != NONE ]; then
    echo '# HELP etcd_pki_crl_next_update_seconds When the installed CRL should be replaced (its nextUpdate, Unix time).'
    echo '# TYPE etcd_pki_crl_next_update_seconds gauge'
    printf 'etcd_pki_crl_next_update_seconds%s,path="%s"} %s\n' "$labels" "$crl" "$(date -u -d "${next#nextUpdate=}" +%s)"
  fi
  echo '# HELP etcd_pki_metrics_written_seconds When this file was last written (Unix time): a stopped timer shows as an old value.'
  echo '# TYPE etcd_pki_metrics_written_seconds gauge'
  printf 'etcd_pki_metrics_written_seconds%s} %s\n' "$labels" "$now"
} >"$tmp"
chmod 0644 "$tmp"
mv -f -- "$tmp" "$out_dir/etcd-pki.prom"
