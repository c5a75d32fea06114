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
    assert!(at(&s, "cert_dir").2.contains("not allowed in a path"));
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
    assert_eq!(sev, Severity::Warning);
    assert!(
        msg.contains("etcd_version 3.5 has --tls-min-version only from 3.5.8"),
        "{msg}"
    );
    s.etcd_version = EtcdVersion::V3_4;
    assert!(at(&s, "tls_min_version").2.contains("only from 3.4.25"));
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
fn migration_needs_a_second_peer_port_but_no_root_client() {
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
    // The scripts reach etcd with each member's own server certificate: no admin needed.
    assert!(validate(&spec).at("clients").next().is_none());

    spec.peer_port = 2381;
    let r = validate(&spec);
    assert!(!r.has_errors(), "{:#?}", r.problems());
    let bundle = generate(&spec).expect("a migration spec without a root client generates");
    let lib = bundle.file("members/etcd1/migrate/lib.sh").unwrap().text();
    assert!(
        lib.contains("ccert=${EPKI_CLIENT_CERT:-$mdir/pki/server.crt}"),
        "{lib}"
    );
    spec.clients = clients;
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

// ---- Issue 10: allowlists, names that are users, limits, parse errors by field ----

/// The message at `path`, which must be an error.
fn err_at(spec: &ClusterSpec, path: &str) -> String {
    let (sev, _, msg) = at(spec, path);
    assert_eq!(sev, Severity::Error, "{path}: {msg}");
    msg
}

#[test]
fn token_is_an_allowlist() {
    for bad in [
        "t$(touch${IFS}/tmp/x)",
        "tok\\",
        "\"tok",
        "-tok",
        "tok en",
        "tok'en",
        "",
        &"t".repeat(65),
    ] {
        let mut s = three();
        s.initial_cluster_token = bad.to_string();
        let msg = err_at(&s, "initial_cluster_token");
        assert!(msg.contains("letters, digits, '.', '_' or '-'"), "{msg}");
        assert!(msg.contains("at most") || msg.contains("1 to 64"), "{msg}");
    }
    let mut s = three();
    s.initial_cluster_token = format!("A{}", "b.c_d-".repeat(10));
    assert!(validate(&s).problems().is_empty(), "{:?}", validate(&s));
}

#[test]
fn paths_are_an_allowlist_with_the_bad_character_shown() {
    for (bad, says) in [
        ("/etc/etcd/$(id)", "\"$\""),
        ("/etc/etcd/p ki", "\" \""),
        ("/etc/etcd/pki\n", "\"\\n\""),
        ("/etc/etcd/`id`", "\"`\""),
        ("/etc/etcd/{host}", "placeholder other than {name}"),
        ("/etc/etcd/../../root", "`..`"),
        ("/srv/-rf", "starting with '-'"),
        ("etc/etcd/pki", "is relative"),
        ("", "is empty"),
    ] {
        let mut s = three();
        s.cert_dir = bad.to_string();
        let msg = err_at(&s, "cert_dir");
        assert!(msg.contains(says), "{bad:?}: {msg}");
        assert!(msg.contains("write a folder like /etc/etcd/pki"), "{msg}");
    }
}

#[test]
fn system_folders_are_refused_in_any_spelling() {
    for bad in [
        "/",
        "/etc",
        "/etc/",
        "//etc//",
        "/./usr",
        "/usr/local/",
        "/var/lib",
        "/var/log",
        "/tmp",
        "/root",
        "/home",
        "/opt",
        "/srv",
        "/run",
        "/boot",
        "/bin",
        "/sbin",
        "/lib",
        "/lib64",
        "/dev",
        "/proc",
        "/sys",
        "/mnt",
        "/media",
        "/etc/kubernetes",
        "/etc/systemd",
    ] {
        let mut s = three();
        s.data_dir = bad.to_string();
        let msg = err_at(&s, "data_dir");
        assert!(msg.contains("is a system folder"), "{bad}: {msg}");
    }
    // {name} that turns into a system folder for one member.
    let mut s = three();
    s.nodes[1].name = "etc".into();
    s.cert_dir = "/{name}".into();
    let msg = err_at(&s, "cert_dir");
    assert!(
        msg.contains("becomes the system folder /etc for member nodes[1]"),
        "{msg}"
    );
    // A folder of its own below a system folder is fine.
    let mut s = three();
    s.cert_dir = "/etc/etcd/pki-{name}".into();
    s.data_dir = "/var/lib/etcd/{name}".into();
    assert!(validate(&s).problems().is_empty(), "{:?}", validate(&s));
}

#[test]
fn relative_paths_only_for_the_one_machine_demo() {
    assert!(
        validate(&ClusterSpec::demo())
            .problems()
            .iter()
            .all(|p| p.severity == Severity::Warning)
    );
    let mut s = three();
    s.data_dir = "data/{name}".into();
    assert!(err_at(&s, "data_dir").contains("relative"));
}

#[test]
fn subject_fields_refuse_control_and_format_characters_visibly() {
    for (bad, shown) in [
        ("Evil\nCorp", "\\n"),
        ("Evil\u{202e}proC", "\\u{202e}"),
        ("Zero\u{200b}width", "\\u{200b}"),
        ("Line\u{2028}sep", "\\u{2028}"),
        ("bom\u{feff}", "\\u{feff}"),
    ] {
        let mut s = three();
        s.ca_subject.organization = Some(bad.into());
        let msg = err_at(&s, "ca_subject.organization");
        assert!(
            msg.contains(shown) && msg.contains("control or format character"),
            "{msg}"
        );
        assert!(
            !msg.contains(bad),
            "the raw value must not be echoed: {msg}"
        );
        let mut s = three();
        s.clients[0].common_name = bad.into();
        let msg = err_at(&s, "clients[0].common_name");
        assert!(msg.contains(shown), "{msg}");
        let mut s = three();
        s.clients[0].organization = Some(bad.into());
        assert!(err_at(&s, "clients[0].organization").contains(shown));
    }
    // Quotes and shell characters are fine in a subject (they only reach the certificate).
    let mut s = three();
    s.ca_subject.organization = Some("O'Reilly & \"Sons\" $(x)".into());
    assert!(validate(&s).problems().is_empty(), "{:?}", validate(&s));
}

#[test]
fn client_cn_has_no_colon_and_no_leading_dash() {
    let mut s = three();
    s.clients[0].common_name = "app:secret".into();
    let msg = err_at(&s, "clients[0].common_name");
    assert!(
        msg.contains("contains ':'") && msg.contains("\"app-secret\""),
        "{msg}"
    );
    s.clients[0].common_name = "-app".into();
    assert!(err_at(&s, "clients[0].common_name").contains("starts with '-'"));
}

#[test]
fn a_member_may_not_be_named_like_an_etcd_user() {
    let mut s = three();
    s.nodes[0].name = "Root".into();
    let msg = err_at(&s, "nodes[0].name");
    assert!(
        msg.contains("etcd administrator, root") && msg.contains("clientAuth"),
        "{msg}"
    );
    let mut s = three();
    s.clients.push(Client {
        name: "app".into(),
        common_name: "App-User".into(),
        ..Client::default()
    });
    s.nodes[2].name = "app-user".into();
    let msg = err_at(&s, "nodes[2].name");
    assert!(msg.contains("the user of clients[1]"), "{msg}");
}

#[test]
fn names_are_unique_without_case() {
    let mut s = three();
    s.nodes[1].name = "ETCD1".into();
    assert!(err_at(&s, "nodes[1].name").contains("already used by nodes[0]"));
    let mut s = three();
    s.clients = vec![
        Client {
            name: "app".into(),
            common_name: "app".into(),
            ..Client::default()
        },
        Client {
            name: "APP".into(),
            common_name: "other".into(),
            ..Client::default()
        },
    ];
    assert!(err_at(&s, "clients[1].name").contains("already used by clients[0]"));
    s.clients[1].name = "app2".into();
    s.clients[1].common_name = "App".into();
    assert!(err_at(&s, "clients[1].common_name").contains("already used by clients[0]"));
}

#[test]
fn names_the_bundle_uses_and_windows_devices_are_refused() {
    for bad in [
        "lib.sh",
        "README.md",
        "readme.md",
        "manifest.json",
        "demo",
        "migrate",
        "1-certs.sh",
        "Step2.env",
        "rbac.sh",
        "install.sh",
        "pki",
    ] {
        let mut s = three();
        s.nodes[0].name = bad.into();
        assert!(
            err_at(&s, "nodes[0].name").contains("the bundle uses itself"),
            "{bad}"
        );
        let mut s = three();
        s.clients[0].name = bad.into();
        assert!(
            err_at(&s, "clients[0].name").contains("the bundle uses itself"),
            "{bad}"
        );
    }
    for bad in ["CON", "prn", "Aux", "nul.txt", "COM1", "lpt9", "com3.tar"] {
        let mut s = three();
        s.nodes[0].name = bad.into();
        assert!(
            err_at(&s, "nodes[0].name").contains("Windows device name"),
            "{bad}"
        );
    }
}

#[test]
fn names_are_an_allowlist() {
    for bad in [
        "etcd 1",
        "etcd/1",
        "etcd$1",
        "-etcd",
        ".etcd",
        "étcd",
        "a\u{202e}b",
    ] {
        let mut s = three();
        s.nodes[0].name = bad.into();
        err_at(&s, "nodes[0].name");
        let mut s = three();
        s.cluster_name = bad.into();
        err_at(&s, "cluster_name");
    }
}

#[test]
fn limits_per_member_and_client_and_per_string() {
    let mut s = three();
    s.nodes[0].ips = (1..=17).map(|i| format!("10.1.0.{i}")).collect();
    let msg = err_at(&s, "nodes[0].ips");
    assert!(
        msg.contains("17 given") && msg.contains("at most 16 IP addresses"),
        "{msg}"
    );
    let mut s = three();
    s.nodes[0].dns_names = (0..65).map(|i| format!("n{i}.example.com")).collect();
    assert!(err_at(&s, "nodes[0].dns_names").contains("at most 64 DNS names"));
    let mut s = three();
    s.clients[0].roles = (0..65).map(|i| format!("r{i}")).collect();
    assert!(err_at(&s, "clients[0].roles").contains("at most 64 roles"));
    let mut s = three();
    s.clients[0].grants = (0..65)
        .map(|i| pki_core::Grant {
            key_prefix: format!("/k{i}/"),
            permission: pki_core::Permission::Read,
        })
        .collect();
    assert!(err_at(&s, "clients[0].grants").contains("at most 64 grants"));
    let mut s = three();
    s.ca_subject.locality = Some("x".repeat(254));
    let msg = err_at(&s, "ca_subject.locality");
    assert!(
        msg.contains("254 characters long") && msg.contains("at most 253"),
        "{msg}"
    );
    s.ca_subject.locality = None;
    s.cert_dir = format!("/srv/{}", "d".repeat(300));
    assert!(err_at(&s, "cert_dir").contains("at most 253"));
}

#[test]
fn roles_and_key_prefixes_are_allowlists() {
    let mut s = three();
    s.clients[0].roles = vec!["ro le".into(), "-x".into(), "a$b".into()];
    for j in 0..3 {
        assert!(err_at(&s, &format!("clients[0].roles[{j}]")).contains("not a usable etcd role"));
    }
    for (bad, says) in [
        ("/a'b/", "\"'\""),
        ("/a b/", "\" \""),
        ("/$(id)/", "\"$\""),
        ("-x", "starts with '-'"),
        ("", "whole keyspace"),
    ] {
        let mut s = three();
        s.clients[0].grants = vec![pki_core::Grant {
            key_prefix: bad.into(),
            permission: pki_core::Permission::Read,
        }];
        let msg = err_at(&s, "clients[0].grants[0].key_prefix");
        assert!(msg.contains(says), "{bad}: {msg}");
    }
}

#[test]
fn metrics_url_is_scheme_ip_port_only() {
    for bad in [
        "http://127.0.0.1:2381/$(id)",
        "http://127.0.0.1:2381 x",
        "http://h:1",
    ] {
        let mut s = three();
        s.metrics_url = Some(bad.into());
        assert!(
            err_at(&s, "metrics_url").contains("not a metrics listener"),
            "{bad}"
        );
    }
}

#[test]
fn parse_errors_name_the_field() {
    let cases = [
        (
            r#"{"nodes": [], "key_algorithm": "rsa-1024"}"#,
            "key_algorithm: unknown value \"rsa-1024\"; use one of ecdsa-p256, ecdsa-p384, ed25519, rsa-2048",
        ),
        (
            r#"{"nodes": [], "client_port": "2379"}"#,
            "client_port: invalid type: string \"2379\", expected a whole number from 0 to 65535",
        ),
        (
            r#"{"nodes": [{"name": "a", "ips": ["10.0.0.1"]}, {"name": "b", "ips": [7]}]}"#,
            "nodes[1].ips[0]: invalid type: integer `7`, expected a string",
        ),
        (
            r#"{"nodes": [{"name": "a", "ip": "10.0.0.1"}]}"#,
            "nodes[0].ip: unknown field `ip`",
        ),
        (
            r#"{"nodes": [], "clients": [{"name": "a", "grants": [{"key_prefix": "/a/", "permission": "all"}]}]}"#,
            "clients[0].grants[0].permission: unknown value \"all\"; use one of",
        ),
        (
            r#"{"nodes": {}}"#,
            "nodes: invalid type: map, expected a list in [ ]",
        ),
    ];
    for (json, want) in cases {
        let err = ClusterSpec::from_json(json).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(want), "{json}\n  got: {text}\n  want: {want}");
        assert!(text.contains("(line 1, column "), "{text}");
        assert!(matches!(err, Error::SpecSyntax { .. }));
    }
    // Trailing text after the object is still refused, with its position.
    let text = ClusterSpec::from_json("{\"nodes\": []} x")
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("trailing characters") && text.contains("column 15"),
        "{text}"
    );
}

#[test]
fn every_new_rule_stops_generation() {
    let mut s = three();
    s.initial_cluster_token = "t$(touch${IFS}/tmp/x)".into();
    match generate(&s) {
        Err(Error::Invalid(r)) => assert!(r.at("initial_cluster_token").next().is_some()),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn the_suggested_folder_for_a_system_folder_is_accepted() {
    for dir in pki_core::rules::SYSTEM_FOLDERS {
        for field in ["cert_dir", "data_dir"] {
            let mut s = three();
            if field == "cert_dir" {
                s.cert_dir = dir.to_string();
            } else {
                s.data_dir = dir.to_string();
            }
            let msg = err_at(&s, field);
            let suggested = msg
                .split("e.g. ")
                .nth(1)
                .and_then(|t| t.split(';').next())
                .unwrap_or_else(|| panic!("{msg}"))
                .to_string();
            if field == "cert_dir" {
                s.cert_dir = suggested.clone();
            } else {
                s.data_dir = suggested.clone();
            }
            assert!(
                validate(&s).at(field).next().is_none(),
                "{dir}: suggested {suggested} is refused too"
            );
        }
    }
}

/// The issue's example, through the command line: exit 2, the field and the escaped value,
/// and no file written.
#[test]
fn cli_refuses_a_hostile_spec_with_exit_2_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("epki-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("spec.json");
    std::fs::write(
        &spec,
        r#"{"nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}],
            "initial_cluster_token": "t$(touch${IFS}/tmp/x)", "cert_dir": "/etc/",
            "ca_subject": {"common_name": "CA\u202e"}}"#,
    )
    .unwrap();
    let out_zip = dir.join("out.zip");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .args(["generate", "--spec"])
        .arg(&spec)
        .arg("--out")
        .arg(&out_zip)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("initial_cluster_token: \"t$(touch${IFS}/tmp/x)\" is not a usable"),
        "{err}"
    );
    assert!(
        err.contains("cert_dir: \"/etc/\" is a system folder"),
        "{err}"
    );
    assert!(err.contains("\"CA\\u{202e}\""), "{err}");
    assert!(!out_zip.exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only the spec");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What etcd itself would refuse, by version (pki-core/src/validate/versions.rs); each message
/// was checked against the etcd release it names (tests/etcd/tests/matrix.rs).
#[test]
fn version_lints_name_the_version_and_the_fix() {
    use pki_core::{EtcdVersion, TlsVersion};
    let mut s = three();
    s.etcd_version = EtcdVersion::V3_4;
    let (sev, value, msg) = at(&s, "etcd_version");
    assert_eq!((sev, value.as_str()), (Severity::Warning, "3.4"));
    assert!(
        msg.contains("end of life") && msg.contains("3.4.45"),
        "{msg}"
    );
    for v in [EtcdVersion::V3_5, EtcdVersion::V3_6, EtcdVersion::V3_7] {
        s.etcd_version = v;
        assert!(validate(&s).problems().is_empty(), "{v:?}");
    }
    // HTTP/2 needs an AES-128-GCM suite; etcd exits at listener start without one.
    s.cipher_suites = vec!["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".into()];
    let (sev, _, msg) = at(&s, "cipher_suites");
    assert_eq!(sev, Severity::Error);
    assert!(
        msg.contains("requires an AES-128-GCM suite")
            && msg.contains("add TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        "{msg}"
    );
    s.key_algorithm = pki_core::KeyAlgorithm::Rsa2048;
    s.cipher_suites = vec!["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305".into()];
    assert!(
        at(&s, "cipher_suites")
            .2
            .contains("add TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
    s.cipher_suites
        .push("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into());
    assert!(validate(&s).problems().is_empty());
    // TLS version flags: every 3.6/3.7, 3.4 and 3.5 only from a patch release.
    s.tls_min_version = Some(TlsVersion::Tls12);
    assert!(validate(&s).problems().is_empty());
    s.etcd_version = EtcdVersion::V3_5;
    let (sev, _, msg) = at(&s, "tls_min_version");
    assert_eq!(sev, Severity::Warning);
    assert!(msg.contains("3.5.8 or later"), "{msg}");
}

#[test]
fn a_version_not_offered_lists_those_that_are() {
    let json = r#"{"nodes": [{"name": "a", "ips": ["10.0.0.1"]}], "etcd_version": "3.8"}"#;
    let err = ClusterSpec::from_json(json).unwrap_err().to_string();
    assert!(
        err.contains("etcd_version: unknown value \"3.8\"")
            && err.contains("use one of 3.4, 3.5, 3.6, 3.7"),
        "{err}"
    );
}

/// Issue 21, defect 13: folders the system runs or trusts as root are refused at any depth
/// (a data_dir of /etc/cron.hourly validated and became etcd's), in any spelling and through
/// {name}; data_dir and cert_dir may be neither the same folder nor one inside the other, and
/// the message names both fields.
#[test]
fn data_dir_is_no_system_tree_and_apart_from_cert_dir() {
    for bad in [
        "/etc/cron.hourly",
        "/etc/cron.hourly/",
        "//etc/./cron.d/etcd",
        "/etc/sudoers.d",
        "/etc/profile.d/etcd",
        "/etc/ssh/etcd",
        "/var/spool/cron/crontabs",
        "/usr/lib/systemd/system",
    ] {
        for field in ["data_dir", "cert_dir"] {
            let mut s = three();
            if field == "data_dir" {
                s.data_dir = bad.into();
            } else {
                s.cert_dir = bad.into();
            }
            let msg = err_at(&s, field);
            assert!(
                msg.contains("which the system runs or trusts as root"),
                "{field} {bad}: {msg}"
            );
        }
    }
    let mut s = three();
    s.nodes[0].name = "cron.d".into();
    s.data_dir = "/etc/{name}".into();
    let msg = err_at(&s, "data_dir");
    assert!(
        msg.contains("nodes[0]") && msg.contains("inside /etc/cron.d"),
        "{msg}"
    );

    for (cert, data, how) in [
        ("/etc/etcd/pki", "/etc/etcd/pki/", "the same folder"),
        (
            "/srv/etcd",
            "/srv/etcd/pki/data",
            "data_dir \"/srv/etcd/pki/data\" is inside cert_dir",
        ),
        (
            "/srv/etcd/pki",
            "/srv/etcd",
            "cert_dir \"/srv/etcd/pki\" is inside data_dir",
        ),
        (
            "/srv/{name}/pki",
            "/srv/etcd1",
            "cert_dir \"/srv/etcd1/pki\" is inside data_dir",
        ),
    ] {
        let mut s = three();
        s.cert_dir = cert.into();
        s.data_dir = data.into();
        let msg = err_at(&s, "data_dir");
        assert!(
            msg.contains("data_dir") && msg.contains("cert_dir") && msg.contains(how),
            "{cert} {data}: {msg}"
        );
    }
    // Side by side, and a prefix that is not a parent, are fine.
    for (cert, data) in [
        ("/srv/etcd/pki", "/srv/etcd/data"),
        ("/srv/etcd", "/srv/etcd-data"),
        ("/etc/etcd/pki-{name}", "/var/lib/etcd/{name}"),
    ] {
        let mut s = three();
        s.cert_dir = cert.into();
        s.data_dir = data.into();
        assert!(
            validate(&s).problems().is_empty(),
            "{cert} {data}: {:?}",
            validate(&s)
        );
    }
}
