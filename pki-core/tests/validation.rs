//! Validation as a user meets it: every problem at once, with the field path, the bad value,
//! and a message that says what to do. Errors stop generation; warnings do not.

use pki_core::{Client, ClusterSpec, Error, Node, Severity, generate, validate};

fn node(name: &str, ips: &[&str]) -> Node {
    Node {
        name: name.into(),
        ips: ips.iter().map(|s| s.to_string()).collect(),
        dns_names: vec![],
    }
}

fn three() -> ClusterSpec {
    ClusterSpec {
        nodes: vec![
            node("etcd1", &["10.0.0.1"]),
            node("etcd2", &["10.0.0.2"]),
            node("etcd3", &["10.0.0.3"]),
        ],
        ..ClusterSpec::default()
    }
}

/// The single problem at `path`, with its severity and message.
fn at(spec: &ClusterSpec, path: &str) -> (Severity, String, String) {
    let r = validate(spec);
    let found: Vec<_> = r.problems().iter().filter(|p| p.path == path).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one problem at {path}, got {:#?}",
        r.problems()
    );
    (
        found[0].severity,
        found[0].value.clone(),
        found[0].message.clone(),
    )
}

#[test]
fn a_good_spec_has_no_problems() {
    assert!(validate(&three()).problems().is_empty());
    assert!(validate(&ClusterSpec::template()).problems().is_empty());
}

#[test]
fn malformed_ip_names_field_value_and_fix() {
    let mut s = three();
    s.nodes[2].ips = vec!["10.0.0.300".into()];
    let (sev, value, msg) = at(&s, "nodes[2].ips[0]");
    assert_eq!(sev, Severity::Error);
    assert_eq!(value, "10.0.0.300");
    assert!(msg.contains("\"10.0.0.300\" is not an IP address"), "{msg}");
    assert!(msg.contains("10.0.0.3 or 2001:db8::3"), "{msg}");
}

#[test]
fn ip_with_port_scheme_or_prefix_gets_a_specific_hint() {
    let mut s = three();
    s.nodes[0].ips = vec!["10.0.0.1:2379".into()];
    s.nodes[1].ips = vec!["10.0.0.2/24".into()];
    s.nodes[2].ips = vec!["etcd3.example.com".into()];
    assert!(
        at(&s, "nodes[0].ips[0]")
            .2
            .contains("without scheme or port")
    );
    assert!(at(&s, "nodes[1].ips[0]").2.contains("/prefix length"));
    assert!(at(&s, "nodes[2].ips[0]").2.contains("dns_names"));
}

#[test]
fn ipv6_is_accepted_and_unspecified_is_not() {
    let mut s = three();
    s.nodes[0].ips = vec!["2001:db8::1".into(), "fe80::1".into()];
    assert!(validate(&s).problems().is_empty());
    s.nodes[1].ips = vec!["0.0.0.0".into()];
    assert!(at(&s, "nodes[1].ips[0]").2.contains("every address"));
}

#[test]
fn member_without_ip() {
    let mut s = three();
    s.nodes[1].ips.clear();
    let (sev, _, msg) = at(&s, "nodes[1].ips");
    assert_eq!(sev, Severity::Error);
    assert!(msg.contains("\"etcd2\" has no IP address"), "{msg}");
}

#[test]
fn duplicate_names_and_ips() {
    let mut s = three();
    s.nodes[2].name = "etcd1".into();
    s.nodes[2].ips = vec!["10.0.0.1".into()];
    assert!(
        at(&s, "nodes[2].name")
            .2
            .contains("already used by nodes[0]")
    );
    assert!(
        at(&s, "nodes[2].ips[0]")
            .2
            .contains("already the address of nodes[0]")
    );
}

#[test]
fn dns_names_follow_rfc_1123() {
    let mut s = three();
    s.nodes[0].dns_names = vec![
        "etcd1.example.com".into(),
        "etcd_1.example.com".into(),
        "-etcd.example.com".into(),
        "etcd1.example.com.".into(),
        "a..b".into(),
        "x".repeat(64),
        "10.0.0.9".into(),
    ];
    let r = validate(&s);
    let paths: Vec<&str> = r.errors().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [1, 2, 3, 4, 5, 6].map(|j| format!("nodes[0].dns_names[{j}]")),
        "{:#?}",
        r.problems()
    );
    assert!(at(&s, "nodes[0].dns_names[1]").2.contains("underscores"));
    assert!(at(&s, "nodes[0].dns_names[3]").2.contains("trailing dot"));
    assert!(at(&s, "nodes[0].dns_names[6]").2.contains("move it to ips"));
}

#[test]
fn member_count() {
    let mut s = three();
    s.nodes.clear();
    assert_eq!(at(&s, "nodes").0, Severity::Error);
    let mut s = three();
    s.nodes.push(node("etcd4", &["10.0.0.4"]));
    let (sev, _, msg) = at(&s, "nodes");
    assert_eq!(sev, Severity::Warning);
    assert!(
        msg.contains("4 members tolerate no more failures than 3"),
        "{msg}"
    );
    // Warnings do not stop generation.
    let b = generate(&s).unwrap();
    assert_eq!(b.warnings.len(), 1);
}

#[test]
fn clients() {
    let mut s = three();
    s.clients = vec![
        Client {
            name: "a".into(),
            common_name: "root".into(),
            ..Client::default()
        },
        Client {
            name: "a".into(),
            common_name: "".into(),
            ..Client::default()
        },
        Client {
            name: "c".into(),
            common_name: "root".into(),
            ..Client::default()
        },
    ];
    assert!(
        at(&s, "clients[1].name")
            .2
            .contains("already used by clients[0]")
    );
    assert!(at(&s, "clients[1].common_name").2.contains("empty"));
    assert!(
        at(&s, "clients[2].common_name")
            .2
            .contains("already used by clients[0]")
    );
    s.clients.clear();
    assert_eq!(at(&s, "clients").0, Severity::Warning);
}

#[test]
fn validity() {
    let mut s = three();
    s.cert_validity_days = 4000;
    let (_, value, msg) = at(&s, "cert_validity_days");
    assert_eq!(value, "4000");
    assert!(msg.contains("outlive the CA"), "{msg}");
    s.cert_validity_days = 0;
    assert!(at(&s, "cert_validity_days").2.contains("at least one day"));
    s.cert_validity_days = 10;
    s.ca_validity_days = 0;
    assert_eq!(at(&s, "ca_validity_days").0, Severity::Error);
}

#[test]
fn paths_ports_token_subject() {
    let mut s = three();
    s.cert_dir = "/etc/etcd pki".into();
    s.data_dir = "/var/lib/{member}".into();
    s.peer_port = s.client_port;
    s.initial_cluster_token = "a b".into();
    s.ca_subject.country = Some("usa".into());
    assert!(at(&s, "cert_dir").2.contains("env files and shell scripts"));
    assert!(at(&s, "data_dir").2.contains("{name}"));
    assert!(at(&s, "peer_port").2.contains("same as the client port"));
    assert!(at(&s, "initial_cluster_token").0 == Severity::Error);
    assert!(
        at(&s, "ca_subject.country")
            .2
            .contains("two capital letters")
    );
}

#[test]
fn every_problem_at_once_and_nothing_generated() {
    let mut s = three();
    s.cluster_name = "my cluster".into();
    s.nodes[0].ips = vec!["300.1.1.1".into()];
    s.nodes[1].name = String::new();
    s.cert_validity_days = 0;
    let r = validate(&s);
    assert_eq!(r.errors().count(), 4, "{:#?}", r.problems());
    match generate(&s) {
        Err(Error::Invalid(report)) => assert_eq!(report, r),
        other => panic!("expected Invalid, got {other:?}"),
    }
    let text = generate(&s).unwrap_err().to_string();
    assert!(
        text.starts_with("the spec has 4 errors and nothing was generated:"),
        "{text}"
    );
    assert!(
        text.contains("error: nodes[0].ips[0]: \"300.1.1.1\" is not an IP address"),
        "{text}"
    );
}

#[test]
fn report_at_finds_problems_below_a_path() {
    let mut s = three();
    s.nodes[1].ips = vec!["x".into()];
    s.nodes[1].dns_names = vec!["_".into()];
    let r = validate(&s);
    assert_eq!(r.at("nodes[1]").count(), 2);
    assert_eq!(r.at("nodes[1].ips").count(), 1);
    assert_eq!(r.at("nodes[10]").count(), 0);
    assert_eq!(r.at("nodes").count(), 2);
}

#[test]
fn tls_options_fit_the_etcd_version_and_keys() {
    use pki_core::{EtcdVersion, TlsVersion};
    let mut s = three();
    s.tls_min_version = Some(TlsVersion::Tls13);
    let (sev, _, msg) = at(&s, "tls_min_version");
    assert_eq!(sev, Severity::Error);
    assert!(msg.contains("etcd 3.5 has no --tls-min-version"), "{msg}");
    s.etcd_version = EtcdVersion::V3_6;
    s.cipher_suites = vec!["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into()];
    assert!(
        at(&s, "cipher_suites")
            .2
            .contains("TLS 1.3 cipher suites cannot be chosen")
    );
    s.tls_min_version = Some(TlsVersion::Tls12);
    assert!(validate(&s).problems().is_empty());
    s.cipher_suites = vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()];
    assert!(
        at(&s, "cipher_suites")
            .2
            .contains("none of these suites works with ecdsa-p256")
    );
    s.cipher_suites = vec!["TLS_RSA_WITH_RC4_128_SHA".into()];
    assert!(
        at(&s, "cipher_suites[0]")
            .2
            .contains("is not a cipher suite etcd accepts")
    );
}

#[test]
fn metrics_url_and_grants() {
    let mut s = three();
    s.metrics_url = Some("127.0.0.1:2381".into());
    assert!(at(&s, "metrics_url").2.contains("http://127.0.0.1:2381"));
    s.metrics_url = Some("http://[::1]:2381".into());
    s.clients[0].grants = vec![pki_core::Grant {
        key_prefix: String::new(),
        permission: pki_core::Permission::Read,
    }];
    s.clients[0].roles = vec!["bad role".into()];
    assert!(
        at(&s, "clients[0].grants[0].key_prefix")
            .2
            .contains("whole keyspace")
    );
    assert!(
        at(&s, "clients[0].roles[0]")
            .2
            .contains("not a usable etcd role name")
    );
    assert!(validate(&s).at("metrics_url").next().is_none());
}

#[test]
fn migration_needs_a_second_peer_port_and_a_root_client() {
    let mut spec = three();
    let clients = std::mem::take(&mut spec.clients);
    assert!(
        clients.iter().any(|c| c.common_name == "root"),
        "the default has a root client"
    );
    spec.clients.push(Client {
        name: "app".into(),
        common_name: "app".into(),
        ..Client::default()
    });
    spec.migration = Some(pki_core::Migration {
        current_client_port: 2379,
        current_peer_port: 2380,
        client_cert_auth: true,
    });
    let (sev, value, msg) = at(&spec, "migration.current_peer_port");
    assert_eq!(sev, Severity::Error);
    assert_eq!(value, "2380");
    assert!(
        msg.contains("choose another peer_port (e.g. 2381)"),
        "{msg}"
    );
    let (sev, _, msg) = at(&spec, "clients");
    assert_eq!(sev, Severity::Error);
    assert!(msg.contains("common_name \"root\""), "{msg}");

    spec.peer_port = 2381;
    spec.clients = clients;
    let r = validate(&spec);
    assert!(!r.has_errors(), "{:#?}", r.problems());
    let bundle = generate(&spec).expect("a valid migration spec generates");
    let paths: Vec<&str> = bundle.files.iter().map(|f| f.path.as_str()).collect();
    for want in [
        "migrate/README.md",
        "members/etcd1/migrate/lib.sh",
        "members/etcd1/migrate/1-certs.sh",
        "members/etcd2/migrate/3-peer-urls.sh",
        "members/etcd3/migrate/6-remove-plain.sh",
        "members/etcd2/migrate/step2.env",
        "members/etcd3/migrate/step6.env",
    ] {
        assert!(paths.contains(&want), "{want} missing from {paths:?}");
    }
    let readme = bundle.files.iter().find(|f| f.path == "README.md").unwrap();
    let readme = String::from_utf8_lossy(&readme.contents);
    assert!(
        readme.contains("runs on plain HTTP today: follow `migrate/`"),
        "{readme}"
    );
    // Without the migration section, no migrate/ at all.
    spec.migration = None;
    let bundle = generate(&spec).unwrap();
    assert!(!bundle.files.iter().any(|f| f.path.contains("migrate/")));
}
