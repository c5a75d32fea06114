#!/usr/bin/env bash
# The standard bundle (CA; server + peer for 3 members; 2 clients: 9 keys) made with the
# openssl command line, as a hand-written script would: genpkey, req, x509 per certificate.
# Usage: openssl-bundle.sh ecdsa-p256|rsa-2048 OUT_DIR
set -euo pipefail
alg="$1"; out="$2"
case "$alg" in
  ecdsa-p256) keyargs=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) ;;
  rsa-2048) keyargs=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
  *) echo "openssl-bundle.sh: unknown algorithm $alg" >&2; exit 2 ;;
esac
mkdir -p "$out"; cd "$out"
openssl genpkey "${keyargs[@]}" -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=etcd CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.crt
leaf() { # name CN extendedKeyUsage subjectAltName(or empty)
  openssl genpkey "${keyargs[@]}" -out "$1.key" 2>/dev/null
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    [ -z "$4" ] || echo "subjectAltName=$4"
  } > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 825 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
for i in 1 2 3; do
  leaf "etcd$i-server" "etcd$i" serverAuth,clientAuth "IP:10.0.0.$i,IP:127.0.0.1,IP:::1,DNS:etcd$i,DNS:localhost"
  leaf "etcd$i-peer" "etcd$i" serverAuth,clientAuth "IP:10.0.0.$i,DNS:etcd$i"
done
leaf etcdctl root clientAuth ""
leaf kube-apiserver kube-apiserver-etcd-client clientAuth ""
