#!/usr/bin/env bash
# The standard bundle (CA; server + peer for 3 members; 2 clients: 9 keys) made with cfssl the
# way etcd's own TLS guide does it: one `cfssl gencert` per certificate, cfssljson writing
# the files. Usage: cfssl-bundle.sh ecdsa-p256|rsa-2048 OUT_DIR
set -euo pipefail
alg="$1"; out="$2"
case "$alg" in
  ecdsa-p256) key='{"algo": "ecdsa", "size": 256}' ;;
  rsa-2048) key='{"algo": "rsa", "size": 2048}' ;;
  *) echo "cfssl-bundle.sh: unknown algorithm $alg" >&2; exit 2 ;;
esac
mkdir -p "$out"; cd "$out"
cat > ca-config.json <<'JSON'
{"signing": {"default": {"expiry": "19800h"}, "profiles": {
  "server": {"expiry": "19800h", "usages": ["signing", "key encipherment", "server auth", "client auth"]},
  "peer":   {"expiry": "19800h", "usages": ["signing", "key encipherment", "server auth", "client auth"]},
  "client": {"expiry": "19800h", "usages": ["signing", "key encipherment", "client auth"]}}}}
JSON
echo "{\"CN\": \"etcd CA\", \"key\": $key, \"ca\": {\"expiry\": \"87600h\"}}" > ca-csr.json
cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca
gen() { # profile name CN hosts
  echo "{\"CN\": \"$3\", \"hosts\": [$4], \"key\": $key}" > "$2-csr.json"
  cfssl gencert -ca ca.pem -ca-key ca-key.pem -config ca-config.json -profile "$1" "$2-csr.json" 2>/dev/null | cfssljson -bare "$2"
}
for i in 1 2 3; do
  gen server "etcd$i-server" "etcd$i" "\"10.0.0.$i\", \"127.0.0.1\", \"::1\", \"etcd$i\", \"localhost\""
  gen peer "etcd$i-peer" "etcd$i" "\"10.0.0.$i\", \"etcd$i\""
done
gen client etcdctl root ""
gen client kube-apiserver kube-apiserver-etcd-client ""
