//! Issuing under an existing CA (issue 12, part 1): CAs made here, at test time, by the tools
//! people made theirs with — openssl in each key format, `cfssl gencert -initca`, easy-rsa 3
//! with a passphrase, a kubeadm-style `ca.crt`/`ca.key` — are imported; a leaf signed under
//! each has the CA's subject bytes as its issuer and the CA's SKI as its AKI, and passes
//! `openssl verify -x509_strict`. Every refusal is checked by its message.

use std::path::Path;
use std::process::Command;

use e2e_etcd::{TempDir, must};
use pki_core::ca_import::{ImportedCa, check_validity, import_ca};
use pki_core::{Error, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};

const PASS: &str = "correct horse battery";

/// Runs a bash script in `dir` that must succeed (a tool making a CA the way its docs say).
fn sh(dir: &Path, script: &str) -> String {
    must(
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", script])
            .current_dir(dir)
            .env("PASS", PASS),
    )
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// A CA made by a real tool: its certificate and key files, the passphrase if the key is
/// encrypted.
struct Fixture {
    label: &'static str,
    cert: Vec<u8>,
    key: Vec<u8>,
    passphrase: Option<&'static str>,
    /// What import says about a CA that etcd accepts but a strict verifier does not.
    warning: Option<&'static str>,
}

impl Fixture {
    fn warns(mut self, warning: &'static str) -> Fixture {
        self.warning = Some(warning);
        self
    }
}

fn fixture(dir: &Path, label: &'static str, script: &str, passphrase: bool) -> Fixture {
    let d = dir.join(label);
    std::fs::create_dir_all(&d).unwrap();
    sh(&d, script);
    Fixture {
        label,
        cert: read(&d, "ca.crt"),
        key: read(&d, "ca.key"),
        passphrase: passphrase.then_some(PASS),
        warning: None,
    }
}

/// `openssl req -x509` with the Debian openssl.cnf: C as PrintableString, the rest UTF8String,
/// basicConstraints critical CA:TRUE, SKI and AKI; keyUsage only when asked (`REQ_KU`).
const REQ_NO_KU: &str =
    r#"openssl req -x509 -new -key k.pem -subj "/C=US/O=Acme Ops/CN=Acme etcd CA" -days 3650"#;
const REQ: &str = r#"openssl req -x509 -new -key k.pem -subj "/C=US/O=Acme Ops/CN=Acme etcd CA" -days 3650 -addext keyUsage=critical,keyCertSign,cRLSign -out ca.crt"#;

fn openssl_fixtures(dir: &Path) -> Vec<Fixture> {
    vec![
        fixture(
            dir,
            "openssl-default-no-keyusage",
            &format!("openssl genrsa -traditional -out k.pem 2048 2>/dev/null; {REQ_NO_KU} -out ca.crt; cp k.pem ca.key"),
            false,
        )
        .warns("the CA has no keyUsage extension"),
        fixture(
            dir,
            "openssl-rsa-pkcs1",
            &format!("openssl genrsa -traditional -out k.pem 2048 2>/dev/null; {REQ}; cp k.pem ca.key"),
            false,
        ),
        fixture(
            dir,
            "openssl-rsa3072-pkcs8-der",
            &format!(
                "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out k.pem 2>/dev/null; \
                 {REQ_NO_KU} -addext keyUsage=critical,keyCertSign -outform DER -out ca.crt; \
                 openssl pkey -in k.pem -outform DER -out ca.key"
            ),
            false,
        ),
        fixture(
            dir,
            "openssl-ec-p256-sec1",
            // ecparam -genkey writes an EC PARAMETERS block before the SEC1 key.
            &format!("openssl ecparam -name prime256v1 -genkey -out k.pem; {REQ}; cp k.pem ca.key"),
            false,
        ),
        fixture(
            dir,
            "openssl-ec-p384-sec1",
            &format!(
                "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p8.pem; \
                 openssl ec -in p8.pem -out k.pem 2>/dev/null; {REQ}; cp k.pem ca.key"
            ),
            false,
        ),
        fixture(
            dir,
            "openssl-ed25519",
            &format!("openssl genpkey -algorithm ed25519 -out k.pem; {REQ}; cp k.pem ca.key"),
            false,
        ),
        fixture(
            dir,
            "openssl-encrypted-pkcs8",
            &format!(
                "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem; {REQ}; \
                 openssl pkcs8 -topk8 -v2 aes-256-cbc -in k.pem -out ca.key -passout env:PASS"
            ),
            true,
        ),
        fixture(
            dir,
            "openssl-encrypted-pkcs8-der-sha1-3des",
            // OpenSSL 1.0's defaults: PBES2 with HMAC-SHA1 and DES-EDE3-CBC.
            &format!(
                "openssl genrsa -out k.pem 2048 2>/dev/null; {REQ}; \
                 openssl pkcs8 -topk8 -v2 des3 -v2prf hmacWithSHA1 -in k.pem -outform DER \
                 -out ca.key -passout env:PASS"
            ),
            true,
        ),
        fixture(
            dir,
            "openssl-legacy-rsa-aes256",
            &format!(
                "openssl genrsa -out k.pem 2048 2>/dev/null; {REQ}; \
                 openssl rsa -in k.pem -aes256 -traditional -out ca.key -passout env:PASS 2>/dev/null"
            ),
            true,
        ),
        fixture(
            dir,
            "openssl-legacy-rsa-des3",
            &format!(
                "openssl genrsa -out k.pem 2048 2>/dev/null; {REQ}; \
                 openssl rsa -in k.pem -des3 -traditional -out ca.key -passout env:PASS 2>/dev/null"
            ),
            true,
        ),
        fixture(
            dir,
            "openssl-legacy-ec-aes128",
            &format!(
                "openssl ecparam -name prime256v1 -genkey -noout -out k.pem; {REQ}; \
                 openssl ec -in k.pem -aes128 -out ca.key -passout env:PASS 2>/dev/null"
            ),
            true,
        ),
        fixture(
            dir,
            "openssl-repeated-dc",
            // An LDAP-style name: two DC attributes, which rcgen's DistinguishedName cannot
            // hold (one value per attribute type).
            "openssl ecparam -name prime256v1 -genkey -noout -out ca.key; \
             openssl req -x509 -new -key ca.key -subj '/DC=com/DC=example/OU=Ops/OU=etcd/CN=Corp etcd CA' \
             -days 3650 -addext keyUsage=critical,keyCertSign -out ca.crt",
            false,
        ),
    ]
}

fn cfssl_fixtures(dir: &Path) -> Vec<Fixture> {
    let cfssl = |label: &'static str, csr: &str| {
        fixture(
            dir,
            label,
            &format!(
                "cat > csr.json <<'EOF'\n{csr}\nEOF\n\
                 cfssl gencert -initca csr.json 2>/dev/null > out.json; \
                 python3 -c \"import json; d = json.load(open('out.json')); \
                 open('ca.crt', 'w').write(d['cert']); open('ca.key', 'w').write(d['key'])\""
            ),
            false,
        )
    };
    vec![
        cfssl(
            "cfssl-ecdsa",
            r#"{"CN": "etcd CA", "key": {"algo": "ecdsa", "size": 256},
                "names": [{"C": "US", "ST": "California", "L": "San Francisco", "O": "Example, Inc.", "OU": "Ops"}]}"#,
        ),
        cfssl(
            "cfssl-rsa-multi-ou",
            // Two OUs: Go writes them as one multi-valued RDN (OU=a + OU=b).
            r#"{"CN": "etcd CA", "key": {"algo": "rsa", "size": 2048},
                "names": [{"O": "Example", "OU": "Platform"}, {"OU": "etcd"}]}"#,
        ),
    ]
}

fn easyrsa(dir: &Path, label: &'static str, args: &str, passphrase: bool) -> Fixture {
    let pass = if passphrase {
        "EASYRSA_PASSOUT=env:PASS EASYRSA_PASSIN=env:PASS"
    } else {
        ""
    };
    let nopass = if passphrase { "" } else { "nopass" };
    fixture(
        dir,
        label,
        &format!(
            "cp -r /usr/share/easy-rsa er; cd er; export EASYRSA_BATCH=1; \
             ./easyrsa init-pki >/dev/null 2>&1; \
             {pass} ./easyrsa {args} build-ca {nopass} >/dev/null 2>&1; \
             cp pki/ca.crt pki/private/ca.key .."
        ),
        passphrase,
    )
}

fn easyrsa_fixtures(dir: &Path) -> Vec<Fixture> {
    vec![
        // The org DN mode asks for C, ST, L, O, email and OU: emailAddress is an IA5String.
        easyrsa(
            dir,
            "easyrsa-rsa-passphrase",
            "--dn-mode=org --req-cn='Easy-RSA etcd CA' --req-c=DE --req-st=Berlin \
             --req-city=Berlin --req-org='Example GmbH' --req-email=ops@example.com --req-ou=Ops",
            true,
        )
        .warns("the CA's basicConstraints is not marked critical"),
        easyrsa(
            dir,
            "easyrsa-ec-p384",
            "--use-algo=ec --curve=secp384r1 --req-cn='Easy-RSA EC CA'",
            false,
        )
        .warns("the CA's basicConstraints is not marked critical"),
    ]
}

/// As kubeadm writes /etc/kubernetes/pki/etcd/ca.{crt,key}: RSA-2048 in PKCS#1, CN=etcd-ca as
/// a PrintableString (Go's choice for ASCII), keyUsage digitalSignature, keyEncipherment,
/// keyCertSign (critical), CA:TRUE (critical), SKI, a DNS SAN of the CN, ten years.
fn kubeadm_fixture(dir: &Path) -> Fixture {
    fixture(
        dir,
        "kubeadm-etcd-ca",
        r#"cat > req.cnf <<'EOF'
[req]
distinguished_name = dn
string_mask = nombstr
prompt = no
[dn]
CN = etcd-ca
[ext]
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
basicConstraints = critical, CA:TRUE
subjectKeyIdentifier = hash
subjectAltName = DNS:etcd-ca
EOF
openssl genrsa -traditional -out ca.key 2048 2>/dev/null
openssl req -x509 -new -config req.cnf -extensions ext -key ca.key -days 3650 -sha256 -out ca.crt"#,
        false,
    )
}

fn import(f: &Fixture) -> Result<ImportedCa, Error> {
    import_ca(&f.cert, &f.key, f.passphrase.map(str::as_bytes))
}

fn der_of(cert: &[u8]) -> Vec<u8> {
    match pem::parse(cert) {
        Ok(p) => p.contents().to_vec(),
        Err(_) => cert.to_vec(),
    }
}

/// Imports `f`, signs a leaf under it, and checks what a strict verifier and Go check.
fn check_accepted(f: &Fixture, dir: &Path) {
    let ca = import(f).unwrap_or_else(|e| panic!("{}: {e}", f.label));
    check_accepted_with(f, &ca, dir);
}

fn check_accepted_with(f: &Fixture, ca: &ImportedCa, dir: &Path) {
    assert_eq!(
        ca.cert_der,
        der_of(&f.cert),
        "{}: the CA certificate is kept as given",
        f.label
    );
    let now = OffsetDateTime::now_utc();
    let leaf = ca
        .sign_test_leaf("etcd1", "198.18.0.1".parse().unwrap(), now, 365)
        .unwrap_or_else(|e| panic!("{}: {e}", f.label));

    let (_, ca_x509) = X509Certificate::from_der(&ca.cert_der).unwrap();
    let leaf_der = pem::parse(&leaf.cert_pem).unwrap().into_contents();
    let (_, leaf_x509) = X509Certificate::from_der(&leaf_der).unwrap();
    assert_eq!(
        leaf_x509.issuer().as_raw(),
        ca_x509.subject().as_raw(),
        "{}: the leaf's issuer must be the CA's subject, byte for byte",
        f.label
    );
    assert_eq!(ca.subject_der, ca_x509.subject().as_raw(), "{}", f.label);
    let ca_ski = ca_x509
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
    let leaf_aki = leaf_x509
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        });
    assert!(ca_ski.is_some(), "{}: every fixture CA has an SKI", f.label);
    assert_eq!(
        leaf_aki, ca_ski,
        "{}: the leaf's AKI must be the CA's SKI",
        f.label
    );

    let d = dir.join(format!("{}-verify", f.label));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("ca.pem"), ca.cert_pem()).unwrap();
    std::fs::write(d.join("leaf.pem"), &leaf.cert_pem).unwrap();
    let strict = e2e_etcd::run(
        Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile", "ca.pem", "leaf.pem"])
            .current_dir(&d),
    );
    let (_, strict_out) = e2e_etcd::code_and_output(&strict);
    match f.warning {
        None => {
            assert_eq!(strict_out.trim(), "leaf.pem: OK", "{}", f.label);
            assert!(ca.warnings.is_empty(), "{}: {:?}", f.label, ca.warnings);
        }
        Some(warning) => {
            // The CA itself is what a strict verifier refuses (at depth 1), and import said
            // so; without -x509_strict (and in Go, which etcd uses) the leaf verifies.
            assert!(!strict.status.success(), "{}: {strict_out}", f.label);
            assert!(
                strict_out.contains("at 1 depth lookup"),
                "{}: {strict_out}",
                f.label
            );
            assert!(
                ca.warnings
                    .iter()
                    .any(|w| w.contains(warning) && w.contains("x509_strict")),
                "{}: {:?}",
                f.label,
                ca.warnings
            );
            let out = sh(&d, "openssl verify -CAfile ca.pem leaf.pem 2>&1");
            assert_eq!(out.trim(), "leaf.pem: OK", "{}", f.label);
        }
    }
    // The leaf's key is the certificate's (what etcd loads as a pair).
    std::fs::write(d.join("leaf.key"), leaf.key_pem.as_bytes()).unwrap();
    let a = sh(&d, "openssl x509 -in leaf.pem -noout -pubkey");
    let b = sh(&d, "openssl pkey -in leaf.key -pubout");
    assert_eq!(a, b, "{}", f.label);
}

#[test]
fn openssl_cas_in_every_key_format_issue_leaves_that_verify_strictly() {
    let tmp = TempDir::new("ca-import-openssl");
    for f in openssl_fixtures(tmp.path()) {
        check_accepted(&f, tmp.path());
    }
}

#[test]
fn cfssl_cas_issue_leaves_that_verify_strictly() {
    let tmp = TempDir::new("ca-import-cfssl");
    for f in cfssl_fixtures(tmp.path()) {
        check_accepted(&f, tmp.path());
    }
}

#[test]
fn easyrsa_cas_issue_leaves_that_verify_strictly() {
    let tmp = TempDir::new("ca-import-easyrsa");
    for f in easyrsa_fixtures(tmp.path()) {
        check_accepted(&f, tmp.path());
    }
}

#[test]
fn kubeadm_style_ca_issues_leaves_that_verify_strictly() {
    let tmp = TempDir::new("ca-import-kubeadm");
    let f = kubeadm_fixture(tmp.path());
    check_accepted(&f, tmp.path());
    let ca = import(&f).unwrap();
    assert_eq!(ca.subject, "CN=etcd-ca");
    assert_eq!(ca.algorithm, pki_core::KeyAlgorithm::Rsa2048);
}

fn refusal(result: Result<ImportedCa, Error>) -> String {
    match result {
        Ok(ca) => panic!("accepted {ca:?}"),
        Err(e) => e.to_string(),
    }
}

fn assert_says(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(message.contains(p), "{message:?} should say {p:?}");
    }
}

#[test]
fn a_missing_or_wrong_passphrase_is_refused_for_every_encryption() {
    let tmp = TempDir::new("ca-import-pass");
    let mut encrypted: Vec<Fixture> = openssl_fixtures(tmp.path())
        .into_iter()
        .filter(|f| f.passphrase.is_some())
        .collect();
    encrypted.extend(
        easyrsa_fixtures(tmp.path())
            .into_iter()
            .filter(|f| f.passphrase.is_some()),
    );
    assert_eq!(encrypted.len(), 6, "every encryption is tried");
    for f in &encrypted {
        let err = import_ca(&f.cert, &f.key, None).unwrap_err();
        assert!(
            matches!(err, Error::CaPassphraseNeeded),
            "{}: {err}",
            f.label
        );
        assert_says(
            &err.to_string(),
            &["the CA key is encrypted: give --ca-passphrase-file"],
        );
        for wrong in ["correct horse battery ", "wrong", ""] {
            let err = import_ca(&f.cert, &f.key, Some(wrong.as_bytes())).unwrap_err();
            assert!(
                matches!(err, Error::CaPassphraseWrong),
                "{} {wrong:?}: {err}",
                f.label
            );
            assert_says(
                &err.to_string(),
                &[
                    "the passphrase does not decrypt the CA key",
                    "--ca-passphrase-file",
                ],
            );
        }
    }
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let tmp = TempDir::new("ca-import-mismatch");
    let fx = openssl_fixtures(tmp.path());
    let by = |l: &str| fx.iter().find(|f| f.label == l).unwrap();
    let (rsa_a, rsa_b, ec) = (
        by("openssl-rsa-pkcs1"),
        by("openssl-legacy-rsa-aes256"),
        by("openssl-ec-p256-sec1"),
    );
    // Same algorithm, another key.
    let msg = refusal(import_ca(&rsa_a.cert, &rsa_b.key, Some(PASS.as_bytes())));
    assert_says(
        &msg,
        &[
            "the CA key does not belong to the CA certificate \"C=US, O=Acme Ops, CN=Acme etcd CA\"",
            "public keys differ",
        ],
    );
    // Another algorithm: the message says which.
    let msg = refusal(import_ca(&rsa_a.cert, &ec.key, None));
    assert_says(
        &msg,
        &["the certificate's key is rsa, the key file holds ecdsa-p256"],
    );
}

#[test]
fn certificates_that_are_not_cas_are_refused() {
    let tmp = TempDir::new("ca-import-notca");
    let d = tmp.path();
    sh(
        d,
        r#"openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -subj /CN=real-ca -days 30 -out ca.crt
# A member's certificate signed by that CA (CA:FALSE), with its key.
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key
openssl req -new -key leaf.key -subj /CN=etcd1 -out leaf.csr
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile leaf.ext -out leaf.crt 2>/dev/null
# CA:TRUE, but keyUsage without keyCertSign.
openssl req -x509 -new -key ca.key -subj /CN=no-certsign -days 30 -addext keyUsage=critical,digitalSignature,cRLSign -out nocertsign.crt
# No basicConstraints at all.
printf '[req]\ndistinguished_name=dn\n[dn]\n[ext]\nsubjectKeyIdentifier=hash\n' > nobc.cnf
openssl req -x509 -new -config nobc.cnf -extensions ext -key ca.key -subj /CN=no-bc -days 30 -out nobc.crt
# X.509 v1 (no extensions).
openssl x509 -req -in leaf.csr -signkey leaf.key -days 30 -out v1.crt 2>/dev/null
"#,
    );
    let cases = [
        (
            "leaf.crt",
            "leaf.key",
            "\"CN=etcd1\" is not a CA certificate: its basicConstraints says CA:FALSE",
        ),
        (
            "nocertsign.crt",
            "ca.key",
            "\"CN=no-certsign\" is not a CA certificate: its keyUsage does not include keyCertSign",
        ),
        (
            "nobc.crt",
            "ca.key",
            "\"CN=no-bc\" is not a CA certificate: it has no basicConstraints extension with CA:TRUE",
        ),
        (
            "v1.crt",
            "leaf.key",
            "\"CN=etcd1\" is not a CA certificate: it has no extensions (an X.509 v1 certificate)",
        ),
    ];
    for (cert, key, want) in cases {
        let msg = refusal(import_ca(&read(d, cert), &read(d, key), None));
        assert_says(
            &msg,
            &[
                want,
                "give the certificate of the CA that signs your etcd certificates",
            ],
        );
    }
}

#[test]
fn an_expired_ca_or_one_expiring_before_the_leaves_is_refused_with_the_fix() {
    let tmp = TempDir::new("ca-import-expiry");
    let d = tmp.path();
    sh(
        d,
        "openssl ecparam -name prime256v1 -genkey -noout -out ca.key; \
         openssl req -x509 -new -key ca.key -subj /CN=short-ca -days 30 -out ca.crt",
    );
    let ca = import_ca(&read(d, "ca.crt"), &read(d, "ca.key"), None).unwrap();
    let now = OffsetDateTime::now_utc();
    let ends = ca.not_after.date().to_string();

    // 825-day leaves under a 30-day CA: refused, with the CA's date and both fixes.
    let err = check_validity(&ca, now, now + time_days(825)).unwrap_err();
    let msg = err.to_string();
    assert_says(
        &msg,
        &[
            &format!("the CA \"CN=short-ca\" expires on {ends}"),
            "before the certificates would",
            "give --cap-validity",
            "set cert_validity_days to at most 29",
        ],
    );
    assert_eq!(ca.days_left(now), 29);
    // Capped to what the message offers: accepted, and a leaf that long verifies.
    check_validity(&ca, now, now + time_days(29)).unwrap();
    assert_eq!(pki_core::ca_import::capped_validity_days(&ca, now, 825), 29);
    ca.sign_test_leaf("etcd1", "198.18.0.1".parse().unwrap(), now, 29)
        .unwrap();
    // Asked the other way, sign_test_leaf refuses the same way.
    let msg = ca
        .sign_test_leaf("etcd1", "198.18.0.1".parse().unwrap(), now, 825)
        .unwrap_err()
        .to_string();
    assert_says(&msg, &["--cap-validity"]);

    // The same CA a month later (a clock past its notAfter): expired.
    let later = ca.not_after + time_days(1);
    let msg = check_validity(&ca, later, later + time_days(1))
        .unwrap_err()
        .to_string();
    assert_says(
        &msg,
        &[
            &format!("the CA \"CN=short-ca\" expired on {ends}"),
            "renew or replace the CA",
        ],
    );
    // And a clock far behind it.
    let before = ca.not_before - time_days(2);
    let msg = check_validity(&ca, before, before + time_days(1))
        .unwrap_err()
        .to_string();
    assert_says(&msg, &["is valid only from", "check the clock"]);
}

fn time_days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

#[test]
fn unsupported_algorithms_are_refused_by_name() {
    let tmp = TempDir::new("ca-import-alg");
    let d = tmp.path();
    let ca = |label: &str, genkey: &str| {
        sh(
            d,
            &format!(
                "{genkey} -out {label}.key 2>/dev/null; \
                 openssl req -x509 -new -key {label}.key -subj /CN={label} -days 30 -out {label}.crt"
            ),
        );
        refusal(import_ca(
            &read(d, &format!("{label}.crt")),
            &read(d, &format!("{label}.key")),
            None,
        ))
    };
    let supported = "etcd-pki signs with RSA 2048/3072/4096, ECDSA P-256/P-384 and Ed25519";
    assert_says(
        &ca(
            "p521",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521",
        ),
        &[
            "the CA certificate \"CN=p521\" has an ECDSA P-521 key",
            supported,
        ],
    );
    assert_says(
        &ca("ed448", "openssl genpkey -algorithm ed448"),
        &["has an Ed448 key", supported],
    );
    assert_says(
        &ca(
            "rsa1024",
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024",
        ),
        &["the CA key is 1024-bit RSA; etcd-pki signs with RSA of 2048, 3072 or 4096 bits"],
    );
}

#[test]
fn garbage_and_swapped_files_are_refused_clearly() {
    let tmp = TempDir::new("ca-import-garbage");
    let f = kubeadm_fixture(tmp.path());
    let cases: [(&[u8], &[u8], &str); 6] = [
        (
            b"hello",
            &f.key,
            "the CA certificate cannot be read: it is neither PEM",
        ),
        (
            &f.cert,
            b"hello",
            "the CA key cannot be read: it is neither PEM",
        ),
        (
            &f.key,
            &f.cert,
            "the CA certificate cannot be read: it holds a private key, not a certificate: were the CA certificate and key files swapped?",
        ),
        (
            &f.cert,
            &f.cert,
            "the CA key cannot be read: it holds a certificate, not a private key",
        ),
        (
            &[0x30, 0x03, 0x02, 0x01, 0x00],
            &f.key,
            "the CA certificate cannot be read: it is not an X.509 certificate",
        ),
        (
            b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            &f.key,
            "the CA certificate cannot be read: broken PEM",
        ),
    ];
    for (cert, key, want) in cases {
        assert_says(&refusal(import_ca(cert, key, None)), &[want]);
    }
    // The same certificate twice (a chain is read from a file of several).
    let mut two = f.cert.clone();
    two.extend_from_slice(&f.cert);
    assert_says(
        &refusal(import_ca(&two, &f.key, None)),
        &["holds \"CN=etcd-ca\" twice"],
    );
}

/// A CA etcd-pki made itself (its key encrypted with 600,000 PBKDF2 rounds) comes back in: the
/// way day two reopens a bundle.
#[test]
fn a_ca_made_by_etcd_pki_with_a_passphrase_imports_again() {
    let tmp = TempDir::new("ca-import-own");
    let d = tmp.path();
    std::fs::write(d.join("pass.txt"), format!("{PASS} {PASS}\n")).unwrap();
    std::fs::write(
        d.join("spec.json"),
        r#"{"cluster_name": "own", "ca_layout": "single", "nodes": [{"name": "etcd1", "ips": ["198.18.0.1"]}]}"#,
    )
    .unwrap();
    must(
        Command::new(e2e_etcd::etcd_pki_bin())
            // A single CA: its ca.crt and key are a pair (a root+issuing bundle's CA is
            // imported as its chain, issuing-ca.crt then ca.crt).
            .args(["generate", "--spec", "spec.json", "--out", "own.zip"])
            .args(["--ca-layout", "single"])
            .args(["--ca-passphrase-file", "pass.txt", "--ca-key-out", "ca.key"])
            .current_dir(d),
    );
    must(
        Command::new("unzip")
            .args(["-q", "own.zip", "ca.crt"])
            .current_dir(d),
    );
    let f = Fixture {
        label: "etcd-pki-own",
        cert: read(d, "ca.crt"),
        key: read(d, "ca.key"),
        passphrase: None,
        warning: None,
    };
    assert!(matches!(import(&f), Err(Error::CaPassphraseNeeded)));
    let pass = format!("{PASS} {PASS}");
    let ca = import_ca(&f.cert, &f.key, Some(pass.as_bytes())).unwrap();
    assert_eq!(ca.subject, "CN=etcd CA");
    check_accepted_with(&f, &ca, d);
}

/// An openssl root → intermediate chain, as `openssl ca` and most runbooks make one: the root
/// self-signed with pathlen 1, the intermediate (the issuing CA) signed by it with pathlen 0.
/// `$1`: the root's key options, `$2`: the intermediate's, `$3`: the root's digest. Writes
/// root.{key,crt}, int.{key,crt}, chain.crt (intermediate then root) and root-first.crt.
const OPENSSL_CHAIN: &str = r#"
root_opts=$1 int_opts=$2 md=$3
openssl genpkey $root_opts -out root.key 2>/dev/null
openssl req -x509 -new -key root.key ${md:+-$md} -subj "/O=Acme Ops/CN=Acme Root" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE,pathlen:1 \
  -addext keyUsage=critical,keyCertSign,cRLSign -out root.crt
openssl genpkey $int_opts -out int.key 2>/dev/null
openssl req -new -key int.key -subj "/O=Acme Ops/CN=Acme etcd Intermediate" -out int.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > int.ext
openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial ${md:+-$md} -days 1825 \
  -extfile int.ext -out int.crt 2>/dev/null
cat int.crt root.crt > chain.crt
cat root.crt int.crt > root-first.crt
"#;

fn openssl_chain(dir: &Path, label: &str, root: &str, int: &str, md: &str) -> std::path::PathBuf {
    let d = dir.join(label);
    std::fs::create_dir_all(&d).unwrap();
    must(
        Command::new("bash")
            .args([
                "-euo",
                "pipefail",
                "-c",
                OPENSSL_CHAIN,
                "chain",
                root,
                int,
                md,
            ])
            .current_dir(&d),
    );
    d
}

const P256: &str = "-algorithm EC -pkeyopt ec_paramgen_curve:P-256";

#[test]
fn an_openssl_root_and_intermediate_chain_imports_in_either_order() {
    let tmp = TempDir::new("ca-import-chain");
    let t = tmp.path();
    let now = OffsetDateTime::now_utc();
    for (label, root, int, md) in [
        ("ec", P256, P256, "sha256"),
        (
            "rsa",
            "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
            "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
            "sha256",
        ),
        (
            "p384-root",
            "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
            P256,
            "sha384",
        ),
        // Ed25519 takes no digest option.
        ("ed25519", "-algorithm ED25519", "-algorithm ED25519", ""),
    ] {
        let d = openssl_chain(t, label, root, int, md);
        let key = read(&d, "int.key");
        let int_der = der_of(&read(&d, "int.crt"));
        let root_der = der_of(&read(&d, "root.crt"));
        for file in ["chain.crt", "root-first.crt"] {
            let ca = import_ca(&read(&d, file), &key, None)
                .unwrap_or_else(|e| panic!("{label} {file}: {e}"));
            assert_eq!(ca.cert_der, int_der, "{label} {file}: the issuing CA signs");
            assert_eq!(
                ca.chain,
                vec![root_der.clone()],
                "{label} {file}: chain = [root]"
            );
            assert_eq!(ca.subject, "O=Acme Ops, CN=Acme etcd Intermediate");
            let sorted = ca.warnings.iter().any(|w| w.contains("another order"));
            assert_eq!(
                sorted,
                file == "root-first.crt",
                "{label} {file}: {:?}",
                ca.warnings
            );
            // A leaf under it verifies against the root alone, given leaf + intermediate.
            let leaf = ca
                .sign_test_leaf("etcd1", "198.18.160.1".parse().unwrap(), now, 365)
                .unwrap();
            std::fs::write(
                d.join("leaf.crt"),
                format!("{}{}", leaf.cert_pem, ca.cert_pem()),
            )
            .unwrap();
            let ok = sh(
                &d,
                "openssl verify -x509_strict -CAfile root.crt -untrusted leaf.crt leaf.crt",
            );
            assert_eq!(ok.trim(), "leaf.crt: OK", "{label} {file}");
        }
    }
}

#[test]
fn a_broken_chain_is_refused_naming_the_certificates() {
    let tmp = TempDir::new("ca-import-chain-bad");
    let t = tmp.path();
    let d = openssl_chain(t, "good", P256, P256, "sha256");
    // Another root of the same name (another cluster's, or one made again), a root of
    // another name, a root that allows no CA below it, a leaf signed by the intermediate.
    sh(
        &d,
        r#"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null
openssl req -x509 -new -key other.key -subj "/O=Acme Ops/CN=Acme Root" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out twin.crt
openssl req -x509 -new -key other.key -subj "/CN=Unrelated Root" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out unrelated.crt
openssl req -x509 -new -key root.key -subj "/O=Acme Ops/CN=Acme Root" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE,pathlen:0 -addext keyUsage=critical,keyCertSign,cRLSign -out root0.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key 2>/dev/null
openssl req -new -key leaf.key -subj /CN=etcd1 -out leaf.csr
printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -CAcreateserial -days 30 -extfile leaf.ext -out leaf.crt 2>/dev/null
cat int.crt twin.crt > twin-chain.crt
cat int.crt unrelated.crt > gap.crt
cat int.crt root0.crt > pathlen.crt
cat leaf.crt int.crt root.crt > with-leaf.crt
cat leaf.crt root.crt > leaf-root.crt"#,
    );
    let cert = |f: &str| read(&d, f);
    let int_key = read(&d, "int.key");
    let msg = refusal(import_ca(&cert("twin-chain.crt"), &int_key, None));
    assert_says(
        &msg,
        &[
            "holds a chain etcd-pki cannot use",
            "\"O=Acme Ops, CN=Acme etcd Intermediate\" names \"O=Acme Ops, CN=Acme Root\" as its issuer, but was not signed by",
        ],
    );
    let msg = refusal(import_ca(&cert("gap.crt"), &int_key, None));
    assert_says(
        &msg,
        &[
            "was issued by \"O=Acme Ops, CN=Acme Root\", which the file does not hold",
            "gap",
        ],
    );
    let msg = refusal(import_ca(&cert("pathlen.crt"), &int_key, None));
    assert_says(
        &msg,
        &["\"O=Acme Ops, CN=Acme Root\" allows 0 CA(s)", "pathlen 0"],
    );
    // A key of neither, the root's key, and a leaf in the file.
    let msg = refusal(import_ca(&cert("chain.crt"), &read(&d, "other.key"), None));
    assert_says(
        &msg,
        &[
            "the CA key is the key of none of its 2 certificates",
            "Acme etcd Intermediate",
        ],
    );
    let msg = refusal(import_ca(&cert("chain.crt"), &read(&d, "root.key"), None));
    assert_says(
        &msg,
        &[
            "the CA key is the key of \"O=Acme Ops, CN=Acme Root\", which signed \"O=Acme Ops, CN=Acme etcd Intermediate\"",
            "stays offline",
        ],
    );
    let msg = refusal(import_ca(&cert("with-leaf.crt"), &int_key, None));
    assert_says(&msg, &["\"CN=etcd1\" is not a CA certificate"]);
    let msg = refusal(import_ca(
        &cert("leaf-root.crt"),
        &read(&d, "leaf.key"),
        None,
    ));
    assert_says(&msg, &["\"CN=etcd1\" is not a CA certificate"]);
}
