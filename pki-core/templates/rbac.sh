{%- if let Some(admin) = admin -%}
#!/usr/bin/env bash
# Users and roles of etcd cluster {{ cluster }} (etcd {{ ver }}), from its client certificates (etcd-pki).
# Run from the unpacked bundle on a machine that reaches the members, once the cluster is up:
#   bash rbac.sh
# It connects as root with clients/{{ admin.name }}/, creates root and one user per client CN, gives each
# its roles, then runs `auth enable`: from then on a client's certificate CN is its etcd user.
# Safe to run again. etcdctl comes from PATH, or set EPKI_ETCDCTL.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")"
# etcdctl refuses a flag that repeats an ETCDCTL_* variable: clear them, pass flags only.
for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
ectl() {
  "${EPKI_ETCDCTL:-etcdctl}" --endpoints={{ endpoints }} \
    --cacert=clients/{{ admin.name }}/ca.crt --cert=clients/{{ admin.name }}/client.crt --key=clients/{{ admin.name }}/client.key \
    --dial-timeout=5s --command-timeout=10s "$@"
}
if ! ectl endpoint health >/dev/null 2>&1; then
  echo "rbac: cannot reach the cluster as root at {{ endpoints }}; start it first (see README.md)" >&2
  exit 1
fi
user() {
  if ectl user get "$1" >/dev/null 2>&1; then
    echo "rbac: user $1 already exists"
  else
{%- if no_password %}
    ectl user add "$1" --no-password >/dev/null
{%- else %}
    # etcd 3.4 has no --no-password: a random password nobody is shown; the
    # certificate is how this user logs in.
    ectl user add "$1:$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >/dev/null
{%- endif %}
    echo "rbac: created user $1"
  fi
}
role() {
  if ectl role get "$1" >/dev/null 2>&1; then
    echo "rbac: role $1 already exists"
  else
    ectl role add "$1" >/dev/null
    echo "rbac: created role $1"
  fi
}
grant_role() {
  ectl user grant-role "$1" "$2" >/dev/null
  echo "rbac: user $1 has role $2"
}
grant() {
  ectl role grant-permission --prefix=true "$1" "$2" "$3" >/dev/null
  echo "rbac: role $1 may $2 keys under $3"
}

# root: the administrator (etcd needs user root with role root before auth can be enabled).
role root
user root
grant_role root root
{%- for c in clients %}

# client {{ c.name }}: etcd user {{ c.cn_text }}
user {{ c.cn }}
{%- for role in c.roles %}
role {{ role }}
grant_role {{ c.cn }} {{ role }}
{%- endfor %}
{%- if !c.grants.is_empty() %}
role {{ c.name_sh }}
{%- for (permission, prefix) in c.grants %}
grant {{ c.name_sh }} {{ permission }} {{ prefix }}
{%- endfor %}
grant_role {{ c.cn }} {{ c.name_sh }}
{%- endif %}
{%- endfor %}
{%- for r in revoked %}

# client {{ r }}: revoked (etcd-pki revoke), so no user; rbac-revoke.sh removes the one made before
{%- endfor %}

# Turning auth on when it is on already changes nothing.
ectl auth enable >/dev/null
echo "rbac: authentication is enabled; each client's certificate CN is its etcd user"
{%- else -%}
#!/usr/bin/env bash
# rbac.sh for cluster {{ cluster }}: this bundle has no client with CN root, and only root
# can create users and turn auth on. Add one (the etcdctl preset) and generate again.
echo 'rbac: no client with common name root in this bundle; add one and regenerate' >&2
exit 1
{%- endif %}
