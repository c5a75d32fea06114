//! Certificate contents, parsed back with an independent parser (x509-parser), for every
//! algorithm: what an operator would check with `openssl x509 -text`.

use std::net::IpAddr;

use ::time::OffsetDateTime;
use pki_core::{Bundle, CaLayout, ClusterSpec, KeyAlgorithm, Role, generate};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::*;

fn spec(alg: KeyAlgorithm) -> ClusterSpec {
    let mut s = ClusterSpec::template();
    s.key_algorithm = alg;
    s.nodes[2].ips.push("2001:db8::3".into());
    s
}

struct Parsed {
    ips: Vec<IpAddr>,
    dns: Vec<String>,
    eku_server: bool,
    eku_client: bool,
    ku_sign: bool,
    ku_encipher: bool,
    ku_cert_sign: bool,
    ku_crl_sign: bool,
    ca: Option<(bool, bool, Option<u32>)>, // (critical, ca, pathlen)
    ski: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
    cn: String,
    o: Option<String>,
    issuer_cn: String,
    serial: Vec<u8>,
    not_before: i64,
    not_after: i64,
}

fn parse(pem_text: &str) -> Parsed {
    let (_, pem) = parse_x509_pem(pem_text.as_bytes()).expect("PEM");
    let (_, c) = X509Certificate::from_der(&pem.contents).expect("DER");
    assert_eq!(c.version(), X509Version::V3);
    let mut p = Parsed {
        ips: vec![],
        dns: vec![],
        eku_server: false,
        eku_client: false,
        ku_sign: false,
        ku_encipher: false,
        ku_cert_sign: false,
        ku_crl_sign: false,
        ca: None,
        ski: None,
        aki: None,
        cn: c
            .subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or("")
            .into(),
        o: c.subject()
            .iter_organization()
            .next()
            .and_then(|a| a.as_str().ok())
            .map(Into::into),
        issuer_cn: c
            .issuer()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or("")
            .into(),
        serial: c.raw_serial().to_vec(),
        not_before: c.validity().not_before.timestamp(),
        not_after: c.validity().not_after.timestamp(),
    };
    for ext in c.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for n in &san.general_names {
                    match n {
                        GeneralName::IPAddress(b) => p.ips.push(match b.len() {
                            4 => IpAddr::from(<[u8; 4]>::try_from(*b).unwrap()),
                            16 => IpAddr::from(<[u8; 16]>::try_from(*b).unwrap()),
                            _ => panic!("bad IP SAN"),
                        }),
                        GeneralName::DNSName(d) => p.dns.push(d.to_string()),
                        other => panic!("unexpected SAN {other:?}"),
                    }
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                p.eku_server = eku.server_auth;
                p.eku_client = eku.client_auth;
                assert!(!eku.any && !eku.code_signing, "only TLS EKUs");
            }
            ParsedExtension::KeyUsage(ku) => {
                p.ku_sign = ku.digital_signature();
                p.ku_encipher = ku.key_encipherment();
                p.ku_cert_sign = ku.key_cert_sign();
                p.ku_crl_sign = ku.crl_sign();
            }
            ParsedExtension::BasicConstraints(bc) => {
                p.ca = Some((ext.critical, bc.ca, bc.path_len_constraint));
            }
            ParsedExtension::SubjectKeyIdentifier(k) => p.ski = Some(k.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                p.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => {}
        }
    }
    p
}

fn text<'a>(b: &'a Bundle, path: &str) -> &'a str {
    b.file(path)
        .unwrap_or_else(|| panic!("{path} missing"))
        .text()
}

const DAY: i64 = 86_400;

/// Every certificate of a bundle made with `alg`, its serials unique, what the page shows of
/// one, and the files' modes.
fn check_bundle(alg: KeyAlgorithm) {
    check_bundle_in(alg, CaLayout::RootIssuing);
}

fn check_bundle_in(alg: KeyAlgorithm, layout: CaLayout) {
    let mut spec = spec(alg);
    spec.ca_layout = layout;
    let before = OffsetDateTime::now_utc().unix_timestamp();
    let b = generate(&spec).unwrap_or_else(|e| panic!("{alg}: {e}"));

    let ca = match layout {
        CaLayout::Single => check_ca(&b, alg, before),
        CaLayout::RootIssuing => check_root_and_issuing(&b, alg, before),
    };
    let leaf = Leaf {
        alg,
        ca_ski: ca.ski.clone().expect("CA has an SKI"),
        ca_cn: ca.cn.clone(),
        chain: b.file("issuing-ca.crt").map(|f| f.text().to_string()),
        before,
    };
    let mut serials = vec![ca.serial.clone()];
    serials.extend(check_members(&b, &spec, &leaf));
    serials.extend(check_clients(&b, &spec, &leaf));
    let n = serials.len();
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), n, "{alg}: serials are unique");

    check_page_info(&b, alg);
    check_modes(&b);
}

/// The CA: CA:TRUE critical with pathlen 0, may sign certificates and CRLs, self-signed, a
/// 20-byte SKI, ten years.
fn check_ca(b: &Bundle, alg: KeyAlgorithm, before: i64) -> Parsed {
    let ca = parse(text(b, "ca.crt"));
    assert_eq!(
        ca.ca,
        Some((true, true, Some(0))),
        "{alg}: CA:TRUE critical, pathlen 0"
    );
    assert!(ca.ku_cert_sign && ca.ku_crl_sign, "{alg}: CA key usage");
    assert_eq!(ca.cn, "etcd CA");
    assert_eq!(ca.issuer_cn, "etcd CA", "self-signed");
    let ski = ca.ski.as_ref().expect("CA has an SKI");
    assert_eq!(ski.len(), 20);
    assert!((ca.not_after - before - 3650 * DAY).abs() < 60);
    ca
}

/// root+issuing: the root in `ca.crt` (CA:TRUE critical, pathlen 1, self-signed, twenty
/// years) and the issuing CA in `issuing-ca.crt` (pathlen 0, signed by the root: its AKI is
/// the root's SKI, ten years); the issuing CA is returned, as it signs the leaves.
fn check_root_and_issuing(b: &Bundle, alg: KeyAlgorithm, before: i64) -> Parsed {
    let root = parse(text(b, "ca.crt"));
    assert_eq!(
        root.ca,
        Some((true, true, Some(1))),
        "{alg}: root pathlen 1"
    );
    assert!(
        root.ku_cert_sign && root.ku_crl_sign,
        "{alg}: root key usage"
    );
    assert_eq!(root.cn, "etcd CA root");
    assert_eq!(root.issuer_cn, "etcd CA root", "the root is self-signed");
    assert!((root.not_after - before - 7300 * DAY).abs() < 60);
    assert_eq!(
        text(b, "ca.crt").matches("BEGIN CERTIFICATE").count(),
        1,
        "{alg}: ca.crt holds the root alone"
    );
    let issuing = parse(text(b, "issuing-ca.crt"));
    assert_eq!(
        issuing.ca,
        Some((true, true, Some(0))),
        "{alg}: issuing pathlen 0"
    );
    assert!(issuing.ku_cert_sign && issuing.ku_crl_sign);
    assert!(issuing.cn.starts_with("etcd CA issuing "), "{}", issuing.cn);
    assert_eq!(issuing.issuer_cn, "etcd CA root");
    assert_eq!(
        issuing.aki, root.ski,
        "{alg}: the issuing CA's AKI is the root's SKI"
    );
    assert!((issuing.not_after - before - 3650 * DAY).abs() < 60);
    issuing
}

/// What every leaf must be, under the CA with SKI `ca_ski`, made after `before`; with a root,
/// its file ends with the issuing CA (`chain`).
struct Leaf {
    alg: KeyAlgorithm,
    ca_ski: Vec<u8>,
    ca_cn: String,
    chain: Option<String>,
    before: i64,
}

impl Leaf {
    fn check(&self, p: &Parsed, what: &str) {
        let (alg, before) = (self.alg, self.before);
        assert_eq!(p.ca.map(|c| c.1), Some(false), "{alg} {what}: CA:FALSE");
        assert!(p.ku_sign, "{alg} {what}: digitalSignature");
        assert_eq!(
            p.ku_encipher,
            alg.rsa_bits().is_some(),
            "{alg} {what}: keyEncipherment only for RSA"
        );
        assert!(
            !p.ku_cert_sign,
            "{alg} {what}: a leaf cannot sign certificates"
        );
        assert!(
            p.ski.as_ref().is_some_and(|s| s.len() == 20),
            "{alg} {what}: SKI"
        );
        assert_eq!(
            p.aki.as_ref(),
            Some(&self.ca_ski),
            "{alg} {what}: AKI = CA's SKI"
        );
        assert_eq!(p.issuer_cn, self.ca_cn);
        assert!(
            p.serial.len() >= 15 && p.serial.len() <= 17,
            "{alg} {what}: 128-bit serial"
        );
        assert!(
            p.not_before <= before - 4 * 60,
            "{alg} {what}: notBefore backdated for skew"
        );
        assert!(
            (p.not_after - before - 825 * DAY).abs() < 60,
            "{alg} {what}: 825 days"
        );
    }
}

/// Each member's server certificate (both EKUs, its addresses plus loopback and `localhost`)
/// and peer certificate (both EKUs, its own addresses only); their serials.
fn check_members(b: &Bundle, spec: &ClusterSpec, leaf: &Leaf) -> Vec<Vec<u8>> {
    let alg = leaf.alg;
    let mut serials = Vec::new();
    for (i, node) in spec.nodes.iter().enumerate() {
        let ips: Vec<IpAddr> = node.ips.iter().map(|s| s.parse().unwrap()).collect();
        let server_file = text(b, &format!("members/{}/pki/server.crt", node.name));
        if let Some(chain) = &leaf.chain {
            assert!(
                server_file.ends_with(chain.as_str())
                    && server_file.matches("BEGIN CERTIFICATE").count() == 2,
                "{alg}: server.crt is the leaf, then the issuing CA"
            );
        }
        let server = parse(server_file);
        leaf.check(&server, "server");
        assert!(server.eku_server && server.eku_client, "{alg}: server EKUs");
        let mut want_ips = ips.clone();
        want_ips.push("127.0.0.1".parse().unwrap());
        want_ips.push("::1".parse().unwrap());
        assert_eq!(server.ips, want_ips, "{alg} nodes[{i}] server IP SANs");
        let mut want_dns = node.dns_names.clone();
        want_dns.push("localhost".into());
        assert_eq!(server.dns, want_dns);
        assert_eq!(server.cn, node.name);

        let peer = parse(text(b, &format!("members/{}/pki/peer.crt", node.name)));
        leaf.check(&peer, "peer");
        assert!(
            peer.eku_server && peer.eku_client,
            "{alg}: peer EKUs both ways"
        );
        assert_eq!(
            peer.ips, ips,
            "{alg}: peer SANs are the member's own addresses"
        );
        assert_eq!(peer.dns, node.dns_names);
        serials.push(server.serial);
        serials.push(peer.serial);
    }
    serials
}

/// Each client's certificate: clientAuth only, no SANs, its CN and O; their serials.
fn check_clients(b: &Bundle, spec: &ClusterSpec, leaf: &Leaf) -> Vec<Vec<u8>> {
    let alg = leaf.alg;
    let mut serials = Vec::new();
    for c in &spec.clients {
        let p = parse(text(b, &format!("clients/{}/client.crt", c.name)));
        leaf.check(&p, "client");
        assert!(
            p.eku_client && !p.eku_server,
            "{alg}: client EKU is clientAuth only"
        );
        assert!(p.ips.is_empty() && p.dns.is_empty(), "no SANs on a client");
        assert_eq!(p.cn, c.common_name);
        assert_eq!(p.o, c.organization);
        serials.push(p.serial);
    }
    serials
}

/// What the page shows matches the certificate.
fn check_page_info(b: &Bundle, alg: KeyAlgorithm) {
    let f = b.file("members/etcd3/pki/server.crt").unwrap();
    let info = &f.cert.as_ref().unwrap().info;
    assert_eq!(
        info.ip_sans,
        vec!["10.0.0.3", "2001:db8::3", "127.0.0.1", "::1"]
    );
    assert_eq!(info.extended_key_usages, vec!["serverAuth", "clientAuth"]);
    assert_eq!(info.subject, "CN=etcd3");
    assert_eq!(info.key_algorithm, alg.as_str());
}

/// Keys are PKCS#8 PEM, 0600; everything else 0644 or 0755 for scripts. The CA key is never
/// one of the files (they go to members); it stands on its own.
fn check_modes(b: &Bundle) {
    for f in &b.files {
        if f.role.is_private_key() {
            assert_eq!(f.mode, 0o600, "{}", f.path);
            assert!(
                f.text().starts_with("-----BEGIN PRIVATE KEY-----\n"),
                "{}",
                f.path
            );
        } else if f.path.ends_with(".sh") {
            assert_eq!(f.mode, 0o755, "{}", f.path);
        } else {
            assert_eq!(f.mode, 0o644, "{}", f.path);
        }
    }
    assert_eq!(b.files.iter().filter(|f| f.role == Role::CaKey).count(), 0);
    assert_eq!(b.ca_key.role, Role::CaKey);
    assert_eq!(b.ca_key.mode, 0o600);
    assert_eq!(b.ca_key.path, format!("{}-ca.key", b.cluster_name));
    assert!(b.ca_key.text().starts_with("-----BEGIN PRIVATE KEY-----\n"));
}

#[test]
fn ecdsa_p256() {
    check_bundle(KeyAlgorithm::EcdsaP256);
}
#[test]
fn ecdsa_p384() {
    check_bundle(KeyAlgorithm::EcdsaP384);
}
#[test]
fn ed25519() {
    check_bundle(KeyAlgorithm::Ed25519);
}
#[test]
fn rsa_2048() {
    check_bundle(KeyAlgorithm::Rsa2048);
}
#[test]
fn rsa_3072() {
    check_bundle(KeyAlgorithm::Rsa3072);
}

#[test]
fn single_layout_p256() {
    check_bundle_in(KeyAlgorithm::EcdsaP256, CaLayout::Single);
}

#[test]
fn one_machine_cluster_peer_certs_carry_loopback() {
    let b = generate(&ClusterSpec::demo()).unwrap();
    let p = parse(text(&b, "members/etcd2/pki/peer.crt"));
    assert_eq!(
        p.ips,
        vec![
            "127.0.0.2".parse::<IpAddr>().unwrap(),
            "127.0.0.1".parse().unwrap()
        ]
    );
    assert!(b.warnings.iter().any(|w| w.message.contains("one-machine")));
}

#[test]
fn two_generations_share_no_key_and_no_serial() {
    let spec = ClusterSpec::template();
    let a = generate(&spec).unwrap();
    let b = generate(&spec).unwrap();
    for fa in &a.files {
        let fb = b.file(&fa.path).unwrap();
        if fa.role.is_private_key() {
            assert_ne!(fa.contents, fb.contents, "{}", fa.path);
        }
        if let (Some(ca), Some(cb)) = (&fa.cert, &fb.cert) {
            assert_ne!(ca.info.serial, cb.info.serial, "{}", fa.path);
        }
    }
}
