//! The deploy files say the same thing the certificates do, in each dialect's own syntax.

use std::collections::HashMap;
use std::io::Read;

use pki_core::{ClusterSpec, Role, generate};

fn env_map(text: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (k, quoted) = line.split_once('=').expect("KEY=value");
        // Single-quoted, the one form sh and systemd's EnvironmentFile= read alike.
        let v = quoted
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{k} must be single-quoted: {quoted}"));
        assert!(
            !v.contains(['\'', '\\', '"', '$', '`']),
            "{k} holds a character sh and systemd read differently: {v}"
        );
        assert!(
            m.insert(k.to_string(), v.to_string()).is_none(),
            "{k} twice"
        );
    }
    m
}

#[test]
fn env_file_has_every_setting_etcd_needs() {
    let mut spec = ClusterSpec::template();
    spec.nodes[1].ips.push("2001:db8::2".into());
    let b = generate(&spec).unwrap();
    let env = env_map(b.file("members/etcd2/etcd.env").unwrap().text());
    let want = [
        ("ETCD_NAME", "etcd2"),
        ("ETCD_DATA_DIR", "/var/lib/etcd"),
        (
            "ETCD_LISTEN_CLIENT_URLS",
            "https://10.0.0.2:2379,https://[2001:db8::2]:2379,https://127.0.0.1:2379",
        ),
        (
            "ETCD_ADVERTISE_CLIENT_URLS",
            "https://10.0.0.2:2379,https://[2001:db8::2]:2379",
        ),
        (
            "ETCD_LISTEN_PEER_URLS",
            "https://10.0.0.2:2380,https://[2001:db8::2]:2380",
        ),
        ("ETCD_INITIAL_ADVERTISE_PEER_URLS", "https://10.0.0.2:2380"),
        (
            "ETCD_INITIAL_CLUSTER",
            "etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380",
        ),
        ("ETCD_INITIAL_CLUSTER_STATE", "new"),
        ("ETCD_INITIAL_CLUSTER_TOKEN", "etcd-cluster"),
        // JWT by default: etcd's simple tokens are not signed (it warns about them).
        (
            "ETCD_AUTH_TOKEN",
            "jwt,pub-key=/etc/etcd/pki/jwt.pub,priv-key=/etc/etcd/pki/jwt.key,sign-method=ES256,ttl=10m",
        ),
        ("ETCD_CLIENT_CERT_AUTH", "true"),
        ("ETCD_TRUSTED_CA_FILE", "/etc/etcd/pki/ca.crt"),
        ("ETCD_CERT_FILE", "/etc/etcd/pki/server.crt"),
        ("ETCD_KEY_FILE", "/etc/etcd/pki/server.key"),
        ("ETCD_PEER_CLIENT_CERT_AUTH", "true"),
        ("ETCD_PEER_TRUSTED_CA_FILE", "/etc/etcd/pki/ca.crt"),
        ("ETCD_PEER_CERT_FILE", "/etc/etcd/pki/peer.crt"),
        ("ETCD_PEER_KEY_FILE", "/etc/etcd/pki/peer.key"),
    ];
    for (k, v) in want {
        assert_eq!(env.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(env.len(), want.len(), "no other settings: {env:#?}");
    // Seed 000's mistake: a peer cert file pointing at the CA.
    assert_ne!(env["ETCD_PEER_CERT_FILE"], env["ETCD_PEER_TRUSTED_CA_FILE"]);
}

#[test]
fn name_placeholder_in_paths() {
    let mut spec = ClusterSpec::template();
    spec.cert_dir = "/srv/{name}/pki".into();
    spec.data_dir = "/srv/{name}/data".into();
    let b = generate(&spec).unwrap();
    let env = env_map(b.file("members/etcd3/etcd.env").unwrap().text());
    assert_eq!(env["ETCD_DATA_DIR"], "/srv/etcd3/data");
    assert_eq!(env["ETCD_KEY_FILE"], "/srv/etcd3/pki/server.key");
    let key = b.file("members/etcd3/pki/server.key").unwrap();
    assert_eq!(
        key.install_path.as_deref(),
        Some("/srv/etcd3/pki/server.key")
    );
}

#[test]
fn dropin_loads_env_without_flags() {
    let b = generate(&ClusterSpec::template()).unwrap();
    let d = b
        .file("members/etcd1/etcd.service.d/10-etcd-pki.conf")
        .unwrap()
        .text();
    let lines: Vec<&str> = d.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        [
            "[Service]",
            "EnvironmentFile=",
            "EnvironmentFile=-/etc/default/etcd",
            "EnvironmentFile=-/etc/etcd/etcd.conf",
            "EnvironmentFile=-/etc/etcd/etcd.env",
            "ExecStart=",
            "ExecStart=/usr/bin/etcd",
            "User=etcd"
        ]
    );
}

#[test]
fn etcdctl_script_lists_every_member() {
    let b = generate(&ClusterSpec::template()).unwrap();
    let s = b.file("clients/kube-apiserver/etcdctl-env.sh").unwrap();
    assert_eq!(s.mode, 0o755);
    let t = s.text();
    assert!(t.contains(
        "export ETCDCTL_ENDPOINTS='https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379'\n"
    ));
    for k in [
        "ETCDCTL_API=3",
        "ETCDCTL_CACERT=",
        "ETCDCTL_CERT=",
        "ETCDCTL_KEY=",
        "ETCDCTL_DIAL_TIMEOUT=",
    ] {
        assert!(t.contains(&format!("export {k}")), "{k}");
    }
}

#[test]
fn manifest_lists_every_file_with_role_and_mode() {
    let b = generate(&ClusterSpec::template()).unwrap();
    let m: serde_json::Value =
        serde_json::from_str(b.file("manifest.json").unwrap().text()).unwrap();
    let files = m["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        b.files.len() - 1,
        "every file but the manifest itself"
    );
    for f in &b.files {
        if f.role == Role::Manifest {
            continue;
        }
        let e = files.iter().find(|e| e["path"] == f.path.as_str()).unwrap();
        assert_eq!(e["role"], f.role.as_str());
        assert_eq!(e["mode"], format!("{:04o}", f.mode));
    }
    let roles: Vec<&str> = files.iter().map(|e| e["role"].as_str().unwrap()).collect();
    for r in [
        "ca-cert",
        "server-cert",
        "server-key",
        "peer-cert",
        "peer-key",
        "client-cert",
        "client-key",
        "etcd-env",
        "systemd-dropin",
        "etcdctl-env",
        "readme",
    ] {
        assert!(roles.contains(&r), "{r}");
    }
    // The manifest describes the zip, which never holds the CA key.
    assert!(!roles.contains(&"ca-key"));
    let srv = files
        .iter()
        .find(|e| e["path"] == "members/etcd1/pki/server.crt")
        .unwrap();
    assert_eq!(srv["member"], "etcd1");
    assert_eq!(srv["install_path"], "/etc/etcd/pki/server.crt");
    assert!(srv["not_after"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn zip_keeps_modes_and_real_times() {
    let b = generate(&ClusterSpec::template()).unwrap();
    let bytes = b.to_zip().unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let year = b.generated_at.year() as u16;
    let mut seen = 0;
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        assert_eq!(e.last_modified().unwrap().year(), year, "{}", name);
        let mode = e.unix_mode().unwrap() & 0o777;
        if e.is_dir() {
            assert_eq!(mode, 0o755, "{}", name);
            continue;
        }
        let f = b.file(&name).unwrap();
        assert_eq!(mode, f.mode, "{}", name);
        let mut content = Vec::new();
        e.read_to_end(&mut content).unwrap();
        assert_eq!(content, f.contents, "{}", name);
        seen += 1;
    }
    assert_eq!(seen, b.files.len());
    assert_eq!(b.zip_name("generate"), "etcd-generate-g1.zip");
}

#[test]
fn readme_says_where_things_go() {
    let b = generate(&ClusterSpec::template()).unwrap();
    let r = b.file("README.md").unwrap().text();
    assert!(r.contains("install -m 0640 -o root -g etcd pki/*.key /etc/etcd/pki/"));
    // Each machine gets its own folder only.
    assert!(r.contains("scp -r members/etcd1 root@10.0.0.1:etcd-pki-etcd1"));
    assert!(r.contains("copy `clients/<name>/` to the machine that runs that client"));
    assert!(r.contains("`etcd-ca.key` (**not in this zip**"));
    assert!(r.contains("etcdctl endpoint health --cluster"));
    assert!(r.contains("keep it offline"));
    let demo = generate(&ClusterSpec::demo()).unwrap();
    let r = demo.file("README.md").unwrap().text();
    assert!(r.contains("bash -c 'set -a; . members/etcd3/etcd.env; set +a; exec etcd'"));
}

/// The zip goes to people and machines; the CA key must not be in it, in any form.
#[test]
fn the_zip_never_holds_the_ca_key() {
    let b = generate(&ClusterSpec::template()).unwrap();
    let ca_der = pem::parse(b.ca_key.text()).unwrap().into_contents();
    let check = |b: &pki_core::Bundle, ca_der: &[u8]| {
        let bytes = b.to_zip().unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            assert!(!name.ends_with("ca.key"), "{name} is in the zip");
            let mut text = String::new();
            std::io::Read::read_to_string(&mut e, &mut text).unwrap();
            for block in pem::parse_many(&text).unwrap_or_default() {
                assert_ne!(block.contents(), ca_der, "{name} holds the CA key");
            }
        }
    };
    check(&b, &ca_der);
    // Too short: refused before any key is made.
    let err = pki_core::SealingKey::derive("eleven char").unwrap_err();
    assert!(err.to_string().contains("at least 12"), "{err}");
    assert!(!b.ca_key_encrypted());
    // Sealed in the pipeline: the CA key (the first key made) is never in the zip either.
    let sealing = pki_core::SealingKey::derive("twelve chars").unwrap();
    let mut ca_der = None;
    let b = pki_core::generate_with_keys_sealed(
        &ClusterSpec::template(),
        pki_core::OffsetDateTime::now_utc(),
        Some(&sealing),
        |req| {
            let key = pki_core::PrivateKey::generate(req.algorithm)?;
            ca_der.get_or_insert_with(|| {
                pem::parse(key.to_pem().as_bytes()).unwrap().into_contents()
            });
            Ok(key)
        },
    )
    .unwrap();
    let ca_der = ca_der.unwrap();
    assert!(b.ca_key_encrypted());
    assert!(
        b.ca_key
            .text()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    );
    assert!(
        b.file("README.md")
            .unwrap()
            .text()
            .contains("encrypted with your passphrase"),
        "README says the key is encrypted"
    );
    check(&b, &ca_der);
}
