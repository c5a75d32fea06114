#!/bin/sh
# etcd 3.4, member etcd1 of cluster kube: every setting as a flag (etcd-pki).
# Runs etcd in the foreground. Do not also load the env file: etcd refuses a setting
# given both as a flag and as an ETCD_* variable, so those are cleared here.
for v in $(env | sed -n 's/^\(ETCD_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
exec "${EPKI_ETCD:-etcd}" \
  --name='etcd1' \
  --logger='zap' \
  --enable-grpc-gateway='true' \
  --data-dir='/var/lib/etcd' \
  --listen-client-urls='https://10.0.0.1:2379,https://127.0.0.1:2379' \
  --advertise-client-urls='https://10.0.0.1:2379' \
  --listen-peer-urls='https://10.0.0.1:2380' \
  --initial-advertise-peer-urls='https://10.0.0.1:2380' \
  --initial-cluster='etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380' \
  --initial-cluster-state='new' \
  --initial-cluster-token='etcd-cluster' \
  --listen-metrics-urls='http://127.0.0.1:2381' \
  --auth-token='jwt,pub-key=/etc/kubernetes/pki/etcd/jwt.pub,priv-key=/etc/kubernetes/pki/etcd/jwt.key,sign-method=ES256,ttl=10m' \
  --client-cert-auth='true' \
  --trusted-ca-file='/etc/kubernetes/pki/etcd/ca.crt' \
  --cert-file='/etc/kubernetes/pki/etcd/server.crt' \
  --key-file='/etc/kubernetes/pki/etcd/server.key' \
  --peer-client-cert-auth='true' \
  --peer-trusted-ca-file='/etc/kubernetes/pki/etcd/ca.crt' \
  --peer-cert-file='/etc/kubernetes/pki/etcd/peer.crt' \
  --peer-key-file='/etc/kubernetes/pki/etcd/peer.key'
