//! `rbac.sh`: creates etcd's users and roles from the bundle's clients — `root`, then one
//! user per client CN with the roles and key-prefix grants the spec gives it — and turns auth
//! on, after which each client's certificate CN is its user. Safe to run again: what exists
//! is left alone, and granting what is granted changes nothing.

use crate::plan::{Plan, client_endpoints};
use crate::spec::ADMIN_CN;

/// Renders `rbac.sh`.
pub fn render(plan: &Plan) -> String {
    let spec = &plan.spec;
    let endpoints = client_endpoints(&plan.members).join(",");
    let Some(admin) = plan.admin() else {
        return format!(
            "#!/usr/bin/env bash\n# rbac.sh for cluster {}: this bundle has no client with CN root, and only root\n\
             # can create users and turn auth on. Add one (the etcdctl preset) and generate again.\n\
             echo 'rbac: no client with common name root in this bundle; add one and regenerate' >&2\nexit 1\n",
            spec.cluster_name
        );
    };
    // etcd 3.5 added --no-password: users that log in only by certificate. 3.4 needs a
    // password, so the script gives each a random one it never shows.
    let no_password = spec.etcd_version >= crate::spec::EtcdVersion::V3_5;
    let mut s = format!(
        r#"#!/usr/bin/env bash
# Users and roles of etcd cluster {cluster} (etcd {ver}), from its client certificates (etcd-pki).
# Run from the unpacked bundle on a machine that reaches the members, once the cluster is up:
#   bash rbac.sh
# It connects as root with clients/{admin}/, creates root and one user per client CN, gives each
# its roles, then runs `auth enable`: from then on a client's certificate CN is its etcd user.
# Safe to run again. etcdctl comes from PATH, or set EPKI_ETCDCTL.
set -euo pipefail
cd "$(dirname -- "${{BASH_SOURCE[0]}}")"
# etcdctl refuses a flag that repeats an ETCDCTL_* variable: clear them, pass flags only.
for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
ectl() {{
  "${{EPKI_ETCDCTL:-etcdctl}}" --endpoints={endpoints} \
    --cacert=clients/{admin}/ca.crt --cert=clients/{admin}/client.crt --key=clients/{admin}/client.key \
    --dial-timeout=5s --command-timeout=10s "$@"
}}
if ! ectl endpoint health >/dev/null 2>&1; then
  echo "rbac: cannot reach the cluster as root at {endpoints}; start it first (see README.md)" >&2
  exit 1
fi
user() {{
  if ectl user get "$1" >/dev/null 2>&1; then
    echo "rbac: user $1 already exists"
  else
"#,
        cluster = spec.cluster_name,
        ver = spec.etcd_version.as_str(),
        admin = admin.name,
    );
    if no_password {
        s.push_str("    ectl user add \"$1\" --no-password >/dev/null\n");
    } else {
        s.push_str(
            "    # etcd 3.4 has no --no-password: a random password nobody is shown; the\n\
             \x20   # certificate is how this user logs in.\n\
             \x20   ectl user add \"$1:$(head -c 24 /dev/urandom | base64 | tr -d '/+=')\" >/dev/null\n",
        );
    }
    s.push_str(
        r#"    echo "rbac: created user $1"
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
"#,
    );
    for c in spec.clients.iter().filter(|c| c.common_name != ADMIN_CN) {
        s.push_str(&format!(
            "\n# client {name}: etcd user {cn_text}\nuser {cn}\n",
            name = c.name,
            cn_text = super::quote::comment(&c.common_name),
            cn = shell_word(&c.common_name)
        ));
        for r in &c.roles {
            s.push_str(&format!(
                "role {r}\ngrant_role {} {r}\n",
                shell_word(&c.common_name),
                r = shell_word(r)
            ));
        }
        if !c.grants.is_empty() {
            s.push_str(&format!("role {}\n", shell_word(&c.name)));
            for g in &c.grants {
                s.push_str(&format!(
                    "grant {} {} {}\n",
                    shell_word(&c.name),
                    g.permission.as_str(),
                    shell_word(&g.key_prefix)
                ));
            }
            s.push_str(&format!(
                "grant_role {} {}\n",
                shell_word(&c.common_name),
                shell_word(&c.name)
            ));
        }
    }
    s.push_str(
        "\n# Turning auth on when it is on already changes nothing.\nectl auth enable >/dev/null\n\
         echo \"rbac: authentication is enabled; each client's certificate CN is its etcd user\"\n",
    );
    s
}

/// Single-quotes a word for bash (CNs may hold spaces).
fn shell_word(w: &str) -> String {
    super::quote::sh(w)
}
