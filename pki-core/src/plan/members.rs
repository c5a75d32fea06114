//! Everything about one member that more than one file needs — addresses, URLs, folders,
//! certificate names — computed once from the spec.

use std::net::IpAddr;

use crate::options::kubeadm;
use crate::spec::{ClusterSpec, Layout, Node};

/// One member's names, addresses, URLs and folders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPlan {
    /// `--name`.
    pub name: String,
    /// Parsed IPs, in spec order; the first is the member's address.
    pub ips: Vec<IpAddr>,
    /// DNS names from the spec.
    pub dns_names: Vec<String>,
    /// `cert_dir` with `{name}` replaced (kubeadm's folder in the kubeadm layout).
    pub cert_dir: String,
    /// `data_dir` with `{name}` replaced.
    pub data_dir: String,
    /// `--listen-client-urls`.
    pub listen_client_urls: Vec<String>,
    /// `--advertise-client-urls`.
    pub advertise_client_urls: Vec<String>,
    /// `--listen-peer-urls`.
    pub listen_peer_urls: Vec<String>,
    /// `--initial-advertise-peer-urls`.
    pub advertise_peer_url: String,
    /// The server certificate's IP SANs.
    pub server_ips: Vec<IpAddr>,
    /// The server certificate's DNS SANs.
    pub server_dns: Vec<String>,
    /// The peer certificate's IP SANs.
    pub peer_ips: Vec<IpAddr>,
}

impl MemberPlan {
    /// The member's IPs separated by spaces, for shell scripts.
    pub fn ip_words(&self) -> String {
        self.ips
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `https://10.0.0.1:2379` or `https://[2001:db8::1]:2379`.
pub fn url(ip: &IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("https://{v4}:{port}"),
        IpAddr::V6(v6) => format!("https://[{v6}]:{port}"),
    }
}

/// The plan of every member. Call only on a validated spec (IPs parse).
pub fn plan_members(spec: &ClusterSpec) -> Vec<MemberPlan> {
    let single = spec.is_one_machine();
    spec.nodes
        .iter()
        .map(|n| plan_member(spec, n, single))
        .collect()
}

fn plan_member(spec: &ClusterSpec, node: &Node, one_machine: bool) -> MemberPlan {
    let ips: Vec<IpAddr> = node.ips.iter().filter_map(|s| s.parse().ok()).collect();
    let loopback4: IpAddr = [127, 0, 0, 1].into();
    let loopback6: IpAddr = std::net::Ipv6Addr::LOCALHOST.into();

    let mut listen_client_urls: Vec<String> =
        ips.iter().map(|ip| url(ip, spec.client_port)).collect();
    // A local listener lets etcdctl on the member use https://127.0.0.1:2379. On one machine
    // every member would claim the same loopback port, so not there.
    if !one_machine && !ips.contains(&loopback4) {
        listen_client_urls.push(url(&loopback4, spec.client_port));
    }
    let advertise_client_urls = ips.iter().map(|ip| url(ip, spec.client_port)).collect();
    let listen_peer_urls = ips.iter().map(|ip| url(ip, spec.peer_port)).collect();
    let advertise_peer_url = ips
        .first()
        .map(|ip| url(ip, spec.peer_port))
        .unwrap_or_default();

    let mut server_ips = ips.clone();
    for extra in [loopback4, loopback6] {
        if !server_ips.contains(&extra) {
            server_ips.push(extra);
        }
    }
    let mut server_dns = node.dns_names.clone();
    if !server_dns
        .iter()
        .any(|d| d.eq_ignore_ascii_case("localhost"))
    {
        server_dns.push("localhost".into());
    }
    let mut peer_ips = ips.clone();
    // etcd checks a peer's certificate against the address the connection comes from; on
    // one machine every member dials from 127.0.0.1.
    if one_machine && !peer_ips.contains(&loopback4) {
        peer_ips.push(loopback4);
    }
    MemberPlan {
        name: node.name.clone(),
        dns_names: node.dns_names.clone(),
        cert_dir: match spec.layout {
            Layout::Kubeadm => kubeadm::CERT_DIR.to_string(),
            Layout::Etcd => spec.cert_dir_for(node),
        },
        data_dir: spec.data_dir_for(node),
        ips,
        listen_client_urls,
        advertise_client_urls,
        listen_peer_urls,
        advertise_peer_url,
        server_ips,
        server_dns,
        peer_ips,
    }
}

/// `--initial-cluster`: `etcd1=https://10.0.0.1:2380,...`.
pub fn initial_cluster(members: &[MemberPlan]) -> String {
    members
        .iter()
        .map(|m| format!("{}={}", m.name, m.advertise_peer_url))
        .collect::<Vec<_>>()
        .join(",")
}

/// Every member's first client URL: what clients are given as endpoints.
pub fn client_endpoints(members: &[MemberPlan]) -> Vec<String> {
    members
        .iter()
        .filter_map(|m| m.advertise_client_urls.first().cloned())
        .collect()
}

/// Joins a directory and a file name with exactly one `/`.
pub fn join(dir: &str, file: &str) -> String {
    format!("{}/{}", dir.trim_end_matches('/'), file)
}
