#!/bin/sh
# etcd 3.5, member etcd2 of cluster etcd: every setting as a flag (etcd-pki).
# Runs etcd in the foreground. Do not also load the env file: etcd refuses a setting
# given both as a flag and as an ETCD_* variable, so those are cleared here.
for v in $(env | sed -n 's/^\(ETCD_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
exec "${EPKI_ETCD:-etcd}" \
  --name='etcd2' \
  --data-dir='/var/lib/etcd' \
  --listen-client-urls='https://10.0.0.2:2379,https://127.0.0.1:2379' \
  --advertise-client-urls='https://10.0.0.2:2379' \
  --listen-peer-urls='https://10.0.0.2:2380' \
  --initial-advertise-peer-urls='https://10.0.0.2:2380' \
  --initial-cluster='etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380' \
  --initial-cluster-state='new' \
  --initial-cluster-token='etcd-cluster' \
  --auth-token='jwt,pub-key=/etc/etcd/pki/jwt.pub,priv-key=/etc/etcd/pki/jwt.key,sign-method=ES256,ttl=10m' \
  --client-cert-auth='true' \
  --trusted-ca-file='/etc/etcd/pki/ca.crt' \
  --cert-file='/etc/etcd/pki/server.crt' \
  --key-file='/etc/etcd/pki/server.key' \
  --peer-client-cert-auth='true' \
  --peer-trusted-ca-file='/etc/etcd/pki/ca.crt' \
  --peer-cert-file='/etc/etcd/pki/peer.crt' \
  --peer-key-file='/etc/etcd/pki/peer.key'
