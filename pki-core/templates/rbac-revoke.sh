#!/usr/bin/env bash
# Removes the etcd users of the clients revoked in this bundle of cluster {{ cluster }} (etcd-pki
# revoke), the companion of rbac.sh. Run from the unpacked bundle on a machine that reaches the
# members, with rbac.sh's root client (clients/{{ admin_text }}/):
#   bash rbac-revoke.sh
# For each revoked client it removes the etcd user named by the certificate's CN, then each role
# rbac.sh made for it, unless another user still holds that role (role root is never removed).
# Safe to run again: a user or role that is gone already is left alone. etcdctl comes from PATH,
# or set EPKI_ETCDCTL.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")"
# etcdctl refuses a flag that repeats an ETCDCTL_* variable: clear them, pass flags only.
for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
admin={{ admin_sh }}
ectl() {
  "${EPKI_ETCDCTL:-etcdctl}" --endpoints={{ endpoints }} \
    --cacert="clients/$admin/ca.crt" --cert="clients/$admin/client.crt" --key="clients/$admin/client.key" \
    --dial-timeout=5s --command-timeout=10s "$@"
}
if ! ectl endpoint health >/dev/null 2>&1; then
  echo "rbac-revoke: cannot reach the cluster as root at "{{ endpoints }}" with clients/$admin/; start it, or run this where the members are reachable" >&2
  exit 1
fi
# holders ROLE: the users holding ROLE, one a line (etcdctl user get prints "Roles: a b").
# Any answer missing stops the script: a role is removed only when etcd said nobody holds it.
holders() {
  local u roles info users
  users=$(ectl user list) || { echo "rbac-revoke: cannot list etcd's users; nothing more removed, run this again" >&2; exit 1; }
  while IFS= read -r u; do
    [ -n "$u" ] || continue
    info=$(ectl user get "$u") || { echo "rbac-revoke: cannot read user $u; nothing more removed, run this again" >&2; exit 1; }
    roles=$(printf '%s\n' "$info" | sed -n 's/^Roles: *//p')
    case " $roles " in *" $1 "*) echo "$u" ;; esac
  done <<< "$users"
}
# remove_user USER ROLE...: the user, then each of its roles nobody else holds.
remove_user() {
  local user=$1 role others
  shift
  if ectl user get "$user" >/dev/null 2>&1; then
    ectl user delete "$user" >/dev/null
    echo "rbac-revoke: removed user $user"
  else
    echo "rbac-revoke: user $user does not exist (removed already)"
  fi
  for role in "$@"; do
    if ! ectl role get "$role" >/dev/null 2>&1; then
      echo "rbac-revoke: role $role does not exist (removed already)"
      continue
    fi
    others=$(holders "$role")
    if [ -n "$others" ]; then
      echo "rbac-revoke: role $role kept: user(s) ${others//$'\n'/ } hold it too"
    else
      ectl role delete "$role" >/dev/null
      echo "rbac-revoke: removed role $role (no other user held it)"
    fi
  done
}
{%- for u in users %}

# client {{ u.name_text }}: etcd user {{ u.cn_text }}
remove_user {{ u.cn }}{% for r in u.roles %} {{ r }}{% endfor %}
{%- endfor %}
echo "rbac-revoke: done"
