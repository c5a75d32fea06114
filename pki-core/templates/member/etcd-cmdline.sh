#!/bin/sh
# etcd {{ ver }}, member {{ name }} of cluster {{ cluster }}: every setting as a flag (etcd-pki).
# Runs etcd in the foreground. Do not also load the env file: etcd refuses a setting
# given both as a flag and as an ETCD_* variable, so those are cleared here.
for v in $(env | sed -n 's/^\(ETCD_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
exec "${EPKI_ETCD:-etcd}"
{%- for (flag, value) in flags %} \
  --{{ flag }}={{ value }}
{%- endfor %}
