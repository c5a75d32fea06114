//! Configuration snippets for the programs that talk to etcd, each in that program's own
//! format, written beside the client's certificate (`clients/<name>/`). Paths point at
//! `install_dir` (`/etc/etcd-pki/<client>` by default: copy `ca.crt`, `client.crt` and
//! `client.key` there, or edit the paths).

use std::net::IpAddr;

use super::quote::{comment, sh, yaml};
use crate::plan::{MemberPlan, Plan, Snippet, client_endpoints};
use crate::spec::Client;

/// Where a client's files are expected on its machine.
pub fn install_dir(c: &Client) -> String {
    format!("/etc/etcd-pki/{}", c.name)
}

/// `host:port` of every member's client URL (IPv6 in brackets).
fn host_ports(members: &[MemberPlan], port: u16) -> Vec<String> {
    members
        .iter()
        .filter_map(|m| m.ips.first())
        .map(|ip| match ip {
            IpAddr::V4(v4) => format!("{v4}:{port}"),
            IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        })
        .collect()
}

/// Renders one snippet of client `c` (the plan lists which, [`crate::plan::snippets`]).
pub fn render(plan: &Plan, c: &Client, snippet: Snippet) -> String {
    let (spec, members) = (&plan.spec, &plan.members);
    let dir = install_dir(c);
    let ca = format!("{dir}/ca.crt");
    let cert = format!("{dir}/client.crt");
    let key = format!("{dir}/client.key");
    let urls = client_endpoints(members);
    let endpoints = urls.join(",");
    let hosts = host_ports(members, spec.client_port);
    let head = |what: &str| {
        format!(
            "# {what} for client {name} (etcd user \"{cn}\") of etcd cluster {cluster}, by etcd-pki.\n\
             # Copy ca.crt, client.crt and client.key of clients/{name}/ to {dir}/ (key mode 0600,\n\
             # readable by the program's user), or change the paths below.\n",
            name = c.name,
            cn = comment(&c.common_name),
            cluster = spec.cluster_name,
        )
    };
    match snippet {
        Snippet::EtcdctlV2Flags => {
            format!(
                "{}# For scripts still on etcdctl's v2 flags (etcd {} keeps the v2 flag names; the v3\n\
                     # env script etcdctl-env.sh is the way forward). Note: with ETCDCTL_API=2 the\n\
                     # commands are v2 ones and see only v2 data (etcd 3.4+ has the v2 store off by default).\n\
                     --endpoints={endpoints} --ca-file={ca} --cert-file={cert} --key-file={key}\n",
                head("etcdctl v2-style flags"),
                spec.etcd_version.as_str()
            )
        }
        Snippet::KubeApiserverFlags => format!(
            "{}# Add to kube-apiserver's command line (static pod manifest or systemd unit).\n\
                 --etcd-servers={endpoints}\n--etcd-cafile={ca}\n--etcd-certfile={cert}\n--etcd-keyfile={key}\n",
            head("kube-apiserver flags")
        ),
        Snippet::FlannelFlags => format!(
            "{}# flanneld flags. flannel 0.12+ speaks the etcd v3 API; older flannel needs etcd's v2\n\
                 # API (etcd --enable-v2, 3.5 at most) and a v2 network config under the prefix.\n\
                 -etcd-endpoints={endpoints}\n-etcd-cafile={ca}\n-etcd-certfile={cert}\n-etcd-keyfile={key}\n\
                 -etcd-prefix=/coreos.com/network\n",
            head("flannel flags")
        ),
        Snippet::CalicoEnv => format!(
            "{}# Environment for calico-node / calico-kube-controllers with the etcd datastore.\n\
                     DATASTORE_TYPE=etcdv3\nETCD_ENDPOINTS={endpoints}\nETCD_CA_CERT_FILE={ca}\n\
                     ETCD_CERT_FILE={cert}\nETCD_KEY_FILE={key}\n",
            head("Calico environment")
        ),
        Snippet::Calicoctl => format!(
            "{}# /etc/calico/calicoctl.cfg\napiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\n\
                     metadata:\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: \"{endpoints}\"\n\
                     \x20 etcdCACertFile: {}\n  etcdCertFile: {}\n  etcdKeyFile: {}\n",
            head("calicoctl configuration"),
            yaml(&ca),
            yaml(&cert),
            yaml(&key)
        ),
        Snippet::NetworkingVpp => {
            let host_list = members
                .iter()
                .filter_map(|m| m.ips.first())
                .map(|ip| ip.to_string())
                .collect::<Vec<_>>()
                .join(",");
            format!(
                "{}# The [ml2_vpp] section of ml2_conf.ini (networking-vpp).\n\
                     # LIMITATION: networking-vpp has no client-certificate option. It verifies the\n\
                     # members with etcd_ca_cert, but cannot present client.crt, so members with\n\
                     # client-cert-auth on (as this bundle configures them) refuse it. It can log in\n\
                     # with etcd_user/etcd_pass instead only where etcd accepts a TLS connection\n\
                     # without a client certificate, which this bundle does not set up.\n\
                     [ml2_vpp]\netcd_host = {host_list}\netcd_port = {port}\n\
                     etcd_insecure_explicit_disable_https = False\netcd_ca_cert = {ca}\n",
                head("networking-vpp settings"),
                port = spec.client_port
            )
        }
        Snippet::Patroni => format!(
            "{}# The etcd3: section of patroni.yml.\n\
                 # Patroni talks to etcd through its grpc-gateway (JSON over HTTPS), where etcd does not\n\
                 # map the certificate CN to a user: with auth enabled Patroni must also log in with a\n\
                 # password user. Create it (as root): etcdctl user add {cn_sh} (give a password),\n\
                 # then grant it its role, and put the password below.\n\
                 etcd3:\n  hosts:\n{hosts}  protocol: https\n  cacert: {yca}\n  cert: {ycert}\n  key: {ykey}\n\
                 \x20 username: {cn}\n  password: CHANGE-ME\n",
            head("Patroni settings"),
            cn_sh = comment(&sh(&c.common_name)),
            cn = yaml(&c.common_name),
            yca = yaml(&ca),
            ycert = yaml(&cert),
            ykey = yaml(&key),
            hosts = hosts
                .iter()
                .map(|h| format!("  - {h}\n"))
                .collect::<String>()
        ),
        Snippet::Coredns => format!(
            "{}# A server block for CoreDNS's etcd plugin (SkyDNS records under /skydns).\n\
                 # tls takes CERT KEY CACERT, in that order.\n\
                 example.org {{\n    etcd {{\n        path /skydns\n        endpoint {}\n        tls {cert} {key} {ca}\n    }}\n}}\n",
            head("CoreDNS etcd plugin"),
            urls.join(" ")
        ),
        Snippet::Apisix => format!(
            "{}# Merge into APISIX 3.x conf/config.yaml.\napisix:\n  ssl:\n    ssl_trusted_certificate: {ca}\n\
                 deployment:\n  role: traditional\n  role_traditional:\n    config_provider: etcd\n  etcd:\n    host:\n{hosts}\
                 \x20   prefix: /apisix\n    tls:\n      cert: {ycert}\n      key: {ykey}\n      verify: true\n",
            head("APISIX configuration"),
            ca = yaml(&ca),
            ycert = yaml(&cert),
            ykey = yaml(&key),
            hosts = urls
                .iter()
                .map(|u| format!("      - \"{u}\"\n"))
                .collect::<String>()
        ),
        Snippet::Traefik => format!(
            "{}# Traefik v2/v3 static configuration: the etcd provider.\nproviders:\n  etcd:\n    endpoints:\n{hosts}\
                 \x20   rootKey: traefik\n    tls:\n      ca: {}\n      cert: {}\n      key: {}\n",
            head("Traefik etcd provider"),
            yaml(&ca),
            yaml(&cert),
            yaml(&key),
            hosts = hosts
                .iter()
                .map(|h| format!("      - \"{h}\"\n"))
                .collect::<String>()
        ),
    }
}
