//! What more than one test file needs: the fixed specs the snapshots show (and the canary
//! shellchecks).

use pki_core::{ClusterSpec, Layout};

/// The snapshot specs, by the folder name of their snapshot.
pub fn snapshot_specs() -> Vec<(&'static str, ClusterSpec)> {
    let template = ClusterSpec::template();
    let mut full = ClusterSpec::template();
    full.cluster_name = "full".into();
    full.etcd_version = pki_core::spec::EtcdVersion::V3_6;
    full.tls_min_version = Some(pki_core::spec::TlsVersion::Tls12);
    full.cipher_suites = vec!["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into()];
    full.auth_token = pki_core::spec::AuthToken::Jwt;
    full.metrics_url = Some("http://127.0.0.1:2381".into());
    full.nodes[1].ips.push("2001:db8::2".into());
    full.clients = pki_core::spec::ClientKind::ALL
        .iter()
        .map(|k| k.preset())
        .collect();
    let mut kubeadm = ClusterSpec::template();
    kubeadm.cluster_name = "kube".into();
    kubeadm.layout = Layout::Kubeadm;
    kubeadm.etcd_version = pki_core::spec::EtcdVersion::V3_4;
    // A plain-HTTP cluster moving to TLS: the bundle then holds migrate/.
    let mut migrate = ClusterSpec::template();
    migrate.cluster_name = "migrate".into();
    migrate.peer_port = 2381;
    migrate.migration = Some(pki_core::spec::Migration {
        current_client_port: 2379,
        current_peer_port: 2380,
        client_cert_auth: true,
    });
    // etcd 3.7 with etcd's own simple tokens: the other dialect of auth_token.
    let mut etcd37 = ClusterSpec::template();
    etcd37.cluster_name = "etcd37".into();
    etcd37.etcd_version = pki_core::spec::EtcdVersion::V3_7;
    etcd37.auth_token = pki_core::spec::AuthToken::Simple;
    vec![
        ("template", template),
        ("etcd37", etcd37),
        ("migrate", migrate),
        ("full", full),
        ("kubeadm", kubeadm),
        ("demo", ClusterSpec::demo()),
    ]
}
