//! From a validated spec to the finished bundle: the key plan, issuing every certificate
//! once, laying out the files, and the zip.

use std::io::{Cursor, Write};
use std::net::IpAddr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroize;

use crate::error::Error;
use crate::issue::{CertificateAuthority, IssuedCert, LeafRole, LeafSubject};
use crate::keys::PrivateKey;
use crate::render::env::Flavor;
use crate::render::{self, MemberPlan, env::files};
use crate::spec::{AuthToken, ClientKind, ClusterSpec, KeyAlgorithm, Layout};
use crate::validate::{Problem, validate};

/// What a file in the bundle is, as `manifest.json` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The CA certificate (at the root and in every member's and client's folder).
    CaCert,
    /// The CA private key: [`Bundle::ca_key`], never one of [`Bundle::files`] nor in the zip.
    CaKey,
    /// A member's server certificate.
    ServerCert,
    /// A member's server key.
    ServerKey,
    /// A member's peer certificate.
    PeerCert,
    /// A member's peer key.
    PeerKey,
    /// A client certificate.
    ClientCert,
    /// A client key.
    ClientKey,
    /// A member's `ETCD_*` environment file.
    EtcdEnv,
    /// A member's systemd drop-in.
    SystemdDropin,
    /// A client's etcdctl environment script.
    EtcdctlEnv,
    /// The bundle's README.
    Readme,
    /// `manifest.json`.
    Manifest,
    /// A member's env file in Debian's form (`/etc/default/etcd`).
    EtcdEnvDebian,
    /// A member's env file in RHEL's form (`/etc/etcd/etcd.conf`).
    EtcdEnvRhel,
    /// A member's YAML file for `etcd --config-file`.
    EtcdConfigYaml,
    /// A member's plain command line.
    EtcdCommandLine,
    /// A member's Kubernetes static pod manifest (kubeadm layout).
    StaticPod,
    /// The JWT signing key of `--auth-token jwt` (same on every member).
    JwtKey,
    /// The JWT verification key.
    JwtPublicKey,
    /// A configuration snippet for one client program (kube-apiserver flags, Calico env...).
    ClientConfig,
    /// `rbac.sh`: users and roles for every client, then `auth enable`.
    RbacScript,
    /// A member's `install.sh`.
    InstallScript,
    /// A member's `verify.sh`.
    VerifyScript,
    /// `check-expiry.sh`.
    ExpiryScript,
    /// `demo/run.sh` and `demo/stop.sh` of a one-machine bundle.
    DemoScript,
    /// A file of the plain-HTTP-to-TLS runbook in `migrate/`.
    MigrationStep,
}

impl Role {
    /// The manifest spelling, e.g. `server-key`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CaCert => "ca-cert",
            Role::CaKey => "ca-key",
            Role::ServerCert => "server-cert",
            Role::ServerKey => "server-key",
            Role::PeerCert => "peer-cert",
            Role::PeerKey => "peer-key",
            Role::ClientCert => "client-cert",
            Role::ClientKey => "client-key",
            Role::EtcdEnv => "etcd-env",
            Role::SystemdDropin => "systemd-dropin",
            Role::EtcdctlEnv => "etcdctl-env",
            Role::Readme => "readme",
            Role::Manifest => "manifest",
            Role::EtcdEnvDebian => "etcd-env-debian",
            Role::EtcdEnvRhel => "etcd-env-rhel",
            Role::EtcdConfigYaml => "etcd-config-yaml",
            Role::EtcdCommandLine => "etcd-command-line",
            Role::StaticPod => "static-pod",
            Role::JwtKey => "jwt-key",
            Role::JwtPublicKey => "jwt-public-key",
            Role::ClientConfig => "client-config",
            Role::RbacScript => "rbac-script",
            Role::InstallScript => "install-script",
            Role::VerifyScript => "verify-script",
            Role::ExpiryScript => "expiry-script",
            Role::DemoScript => "demo-script",
            Role::MigrationStep => "migration",
        }
    }

    /// Whether the file holds a private key.
    pub fn is_private_key(self) -> bool {
        matches!(
            self,
            Role::CaKey | Role::ServerKey | Role::PeerKey | Role::ClientKey | Role::JwtKey
        )
    }
}

/// Whom a file belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The cluster as a whole (README, manifest, CA).
    Cluster,
    /// A member, by name.
    Member(String),
    /// A client, by name.
    Client(String),
}

/// One file of the bundle, finished. Contents are wiped when dropped (they may be a key),
/// and `Debug` prints only their length, so a log line or a panic message never carries a key.
#[derive(Clone)]
pub struct BundleFile {
    /// Path inside the bundle, `/`-separated, e.g. `members/etcd1/pki/server.key`.
    pub path: String,
    /// What it is.
    pub role: Role,
    /// Whom it belongs to.
    pub owner: Owner,
    /// Unix mode: 0600 for keys, 0755 for scripts, 0644 otherwise.
    pub mode: u32,
    /// Where it goes on the member, when that is fixed by the spec.
    pub install_path: Option<String>,
    /// For certificates: what it says.
    pub cert: Option<IssuedCert>,
    /// The bytes.
    pub contents: Vec<u8>,
}

impl std::fmt::Debug for BundleFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleFile")
            .field("path", &self.path)
            .field("role", &self.role)
            .field("owner", &self.owner)
            .field("mode", &format_args!("{:04o}", self.mode))
            .field("install_path", &self.install_path)
            .field("cert", &self.cert.as_ref().map(|c| &c.info))
            .field(
                "contents",
                &format_args!("[{} bytes, not shown]", self.contents.len()),
            )
            .finish()
    }
}

impl Drop for BundleFile {
    fn drop(&mut self) {
        self.contents.zeroize();
    }
}

impl BundleFile {
    /// The contents as text (every file of the bundle is text).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.contents).unwrap_or("")
    }
}

/// A finished bundle: every file, the CA key beside them, and the warnings the spec had.
#[derive(Debug)]
pub struct Bundle {
    /// From the spec; names the zip.
    pub cluster_name: String,
    /// When it was generated (also the zip entries' time).
    pub generated_at: OffsetDateTime,
    /// Every file of the zip, README and manifest included. Each member's and client's files
    /// are under its own folder, so that folder alone is what goes to that machine.
    pub files: Vec<BundleFile>,
    /// The CA private key, kept out of [`Bundle::files`] and the zip so that it is saved
    /// (and encrypted, [`Bundle::encrypt_ca_key`]) on its own and never travels with the files
    /// copied to members. Role [`Role::CaKey`], path `<cluster>-ca.key`, mode 0600.
    pub ca_key: BundleFile,
    /// Warnings from validation, generated despite.
    pub warnings: Vec<Problem>,
    /// How many keys (and certificates) were made.
    pub key_count: usize,
}

/// One key the bundle needs. The page generates these on workers, then calls
/// [`generate_with_keys`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRequest {
    /// Stable id, e.g. `ca`, `members/etcd1/server`, `clients/etcdctl`, `jwt`.
    pub id: String,
    /// For people: "server key of member etcd1".
    pub label: String,
    /// The algorithm of this key: the spec's, except the JWT signing key (always P-256,
    /// for ES256).
    pub algorithm: KeyAlgorithm,
}

/// The keys a spec needs, in the order [`generate_with_keys`] asks for them.
pub fn key_plan(spec: &ClusterSpec) -> Vec<KeyRequest> {
    let algorithm = spec.key_algorithm;
    let req = |id: String, label: String| KeyRequest {
        id,
        label,
        algorithm,
    };
    let mut v = vec![req("ca".into(), "CA key".into())];
    let kinds: &[&str] = match spec.layout {
        Layout::Etcd => &["server", "peer"],
        Layout::Kubeadm => &["server", "peer", "healthcheck-client"],
    };
    for n in &spec.nodes {
        for kind in kinds {
            v.push(req(
                format!("members/{}/{kind}", n.name),
                format!("{kind} key of member {}", n.name),
            ));
        }
    }
    for c in &spec.clients {
        v.push(req(
            format!("clients/{}", c.name),
            format!("key of client {}", c.name),
        ));
    }
    if spec.auth_token == AuthToken::Jwt {
        v.push(KeyRequest {
            id: "jwt".into(),
            label: "JWT signing key".into(),
            algorithm: KeyAlgorithm::EcdsaP256,
        });
    }
    v
}

/// RFC 3339 in UTC, seconds precision.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Validates and generates, with fresh keys from the platform CSPRNG and the current time.
pub fn generate(spec: &ClusterSpec) -> Result<Bundle, Error> {
    generate_with_keys(spec, OffsetDateTime::now_utc(), |req| {
        PrivateKey::generate(req.algorithm).map_err(|e| match e {
            Error::KeyGeneration { reason, .. } => Error::KeyGeneration {
                key: req.label.clone(),
                reason,
            },
            other => other,
        })
    })
}

/// Validates and generates with keys supplied by `key_for` (called once per
/// [`key_plan`] entry, in order) at time `now`. Nothing is produced unless everything is.
pub fn generate_with_keys(
    spec: &ClusterSpec,
    now: OffsetDateTime,
    mut key_for: impl FnMut(&KeyRequest) -> Result<PrivateKey, Error>,
) -> Result<Bundle, Error> {
    let report = validate(spec);
    if report.has_errors() {
        return Err(Error::Invalid(report));
    }
    let mut key = |req: &KeyRequest| -> Result<PrivateKey, Error> {
        let k = key_for(req)?;
        if k.algorithm() != req.algorithm {
            return Err(Error::BadKey {
                key: req.label.clone(),
                reason: format!("it is {} and {} is needed", k.algorithm(), req.algorithm),
            });
        }
        Ok(k)
    };
    let plan = key_plan(spec);
    let mut reqs = plan.iter();
    let mut next = || reqs.next().expect("key plan covers every key");

    let days = spec.cert_validity_days;
    let ca = CertificateAuthority::new(&spec.ca_subject, key(next())?, now, spec.ca_validity_days)?;
    let members = render::plan_members(spec);
    // The JWT key comes last in the plan (so the others keep their places) but every member
    // needs it: ask for it first.
    let jwt = match plan.iter().find(|r| r.id == "jwt") {
        Some(r) => Some(key(r)?),
        None => None,
    };
    let mut files = Vec::new();
    let cluster_file = |path: &str, role, mode, contents: Vec<u8>| BundleFile {
        path: path.to_string(),
        role,
        owner: Owner::Cluster,
        mode,
        install_path: None,
        cert: None,
        contents,
    };
    let mut ca_file = cluster_file(
        "ca.crt",
        Role::CaCert,
        0o644,
        ca.cert.pem.clone().into_bytes(),
    );
    ca_file.cert = Some(ca.cert.clone());
    files.push(ca_file);
    let ca_key = cluster_file(
        &format!("{}-ca.key", spec.cluster_name),
        Role::CaKey,
        0o600,
        ca.key().to_pem().as_bytes().to_vec(),
    );

    for m in &members {
        let owner = Owner::Member(m.name.clone());
        let base = format!("members/{}", m.name);
        let file =
            |name: &str, role, mode, install: Option<String>, cert, contents: Vec<u8>| BundleFile {
                path: format!("{base}/{name}"),
                role,
                owner: owner.clone(),
                mode,
                install_path: install,
                cert,
                contents,
            };
        let in_cert_dir = |f: &str| Some(render::join(&m.cert_dir, f));
        files.push(file(
            &format!("pki/{}", files::CA_CERT),
            Role::CaCert,
            0o644,
            in_cert_dir(files::CA_CERT),
            Some(ca.cert.clone()),
            ca.cert.pem.clone().into_bytes(),
        ));
        for (role, kind, cert_name, key_name) in [
            (
                LeafRole::Server,
                "server",
                files::SERVER_CERT,
                files::SERVER_KEY,
            ),
            (LeafRole::Peer, "peer", files::PEER_CERT, files::PEER_KEY),
        ] {
            let k = key(next())?;
            let (ips, dns): (&[IpAddr], &[String]) = match role {
                LeafRole::Server => (&m.server_ips, &m.server_dns),
                _ => (&m.peer_ips, &m.dns_names),
            };
            let cert = ca.issue(
                &format!("{base}/pki/{cert_name}"),
                role,
                LeafSubject {
                    common_name: m.name.clone(),
                    organization: None,
                },
                ips,
                dns,
                &k,
                now,
                days,
            )?;
            let (cert_role, key_role) = if role == LeafRole::Server {
                (Role::ServerCert, Role::ServerKey)
            } else {
                (Role::PeerCert, Role::PeerKey)
            };
            let _ = kind;
            files.push(file(
                &format!("pki/{cert_name}"),
                cert_role,
                0o644,
                in_cert_dir(cert_name),
                Some(cert.clone()),
                cert.pem.into_bytes(),
            ));
            files.push(file(
                &format!("pki/{key_name}"),
                key_role,
                0o600,
                in_cert_dir(key_name),
                None,
                k.to_pem().as_bytes().to_vec(),
            ));
        }
        if spec.layout == Layout::Kubeadm {
            let k = key(next())?;
            let cert = ca.issue(
                &format!("{base}/pki/healthcheck-client.crt"),
                LeafRole::Client,
                LeafSubject {
                    common_name: render::kubeadm::HEALTHCHECK_CN.into(),
                    organization: None,
                },
                &[],
                &[],
                &k,
                now,
                days,
            )?;
            files.push(file(
                "pki/healthcheck-client.crt",
                Role::ClientCert,
                0o644,
                in_cert_dir("healthcheck-client.crt"),
                Some(cert.clone()),
                cert.pem.into_bytes(),
            ));
            files.push(file(
                "pki/healthcheck-client.key",
                Role::ClientKey,
                0o600,
                in_cert_dir("healthcheck-client.key"),
                None,
                k.to_pem().as_bytes().to_vec(),
            ));
            files.push(file(
                "kubernetes/etcd.yaml",
                Role::StaticPod,
                0o644,
                Some(render::kubeadm::MANIFEST_PATH.into()),
                None,
                render::kubeadm::static_pod(spec, &members, m).into_bytes(),
            ));
        }
        for (flavor, name, role) in [
            (Flavor::Generic, "etcd.env", Role::EtcdEnv),
            (Flavor::Debian, "debian/etcd", Role::EtcdEnvDebian),
            (Flavor::Rhel, "rhel/etcd.conf", Role::EtcdEnvRhel),
        ] {
            files.push(file(
                name,
                role,
                0o644,
                flavor.install_path().map(String::from),
                None,
                render::env::render(spec, &members, m, flavor).into_bytes(),
            ));
        }
        files.push(file(
            "etcd.service.d/10-etcd-pki.conf",
            Role::SystemdDropin,
            0o644,
            Some(render::dropin::INSTALL_PATH.into()),
            None,
            render::dropin::render(spec, m).into_bytes(),
        ));
        files.push(file(
            "etcd.conf.yml",
            Role::EtcdConfigYaml,
            0o644,
            Some(render::yaml::INSTALL_PATH.into()),
            None,
            render::yaml::render(spec, &members, m).into_bytes(),
        ));
        files.push(file(
            "etcd-cmdline.sh",
            Role::EtcdCommandLine,
            0o755,
            None,
            None,
            render::cmdline::render(spec, &members, m).into_bytes(),
        ));
        if !render::one_machine(spec) {
            files.push(file(
                "install.sh",
                Role::InstallScript,
                0o755,
                None,
                None,
                render::install::render(spec, m).into_bytes(),
            ));
            files.push(file(
                "verify.sh",
                Role::VerifyScript,
                0o755,
                None,
                None,
                render::verify::render(spec, m).into_bytes(),
            ));
        }
        if let Some(jwt) = &jwt {
            let (key_path, pub_path) = render::settings::jwt_key_path(m);
            files.push(file(
                "pki/jwt.key",
                Role::JwtKey,
                0o600,
                Some(key_path),
                None,
                jwt.to_pem().as_bytes().to_vec(),
            ));
            files.push(file(
                "pki/jwt.pub",
                Role::JwtPublicKey,
                0o644,
                Some(pub_path),
                None,
                jwt.public_key_pem().into_bytes(),
            ));
        }
    }

    for c in &spec.clients {
        let owner = Owner::Client(c.name.clone());
        let base = format!("clients/{}", c.name);
        let k = key(next())?;
        let cert = ca.issue(
            &format!("{base}/client.crt"),
            LeafRole::Client,
            LeafSubject {
                common_name: c.common_name.clone(),
                organization: c.organization.clone(),
            },
            &[],
            &[],
            &k,
            now,
            days,
        )?;
        let kubeadm_apiserver =
            spec.layout == Layout::Kubeadm && c.kind == ClientKind::KubeApiserver;
        let file = |name: &str, role, mode, cert, contents: Vec<u8>| BundleFile {
            path: format!("{base}/{name}"),
            role,
            owner: owner.clone(),
            mode,
            install_path: match (kubeadm_apiserver, name) {
                (true, "client.crt") => Some(format!("{}.crt", render::kubeadm::APISERVER_CLIENT)),
                (true, "client.key") => Some(format!("{}.key", render::kubeadm::APISERVER_CLIENT)),
                _ => None,
            },
            cert,
            contents,
        };
        files.push(file(
            files::CA_CERT,
            Role::CaCert,
            0o644,
            Some(ca.cert.clone()),
            ca.cert.pem.clone().into_bytes(),
        ));
        files.push(file(
            "client.crt",
            Role::ClientCert,
            0o644,
            Some(cert.clone()),
            cert.pem.into_bytes(),
        ));
        files.push(file(
            "client.key",
            Role::ClientKey,
            0o600,
            None,
            k.to_pem().as_bytes().to_vec(),
        ));
        files.push(file(
            "etcdctl-env.sh",
            Role::EtcdctlEnv,
            0o755,
            None,
            render::etcdctl::render(spec, &members, c).into_bytes(),
        ));
        for snippet in render::consumers::files(spec, &members, c) {
            let mut f = file(
                &snippet.name,
                Role::ClientConfig,
                snippet.mode,
                None,
                snippet.contents.into_bytes(),
            );
            f.install_path = None;
            files.push(f);
        }
    }

    let mut certs: Vec<(String, String)> = Vec::new();
    for f in &files {
        if let Some(c) = &f.cert
            && !certs.iter().any(|(_, fp)| *fp == c.sha256_fingerprint)
        {
            certs.push((f.path.clone(), c.sha256_fingerprint.clone()));
        }
    }
    let expiry_list: Vec<(String, String)> = certs
        .iter()
        .filter_map(|(p, _)| {
            files
                .iter()
                .find(|f| &f.path == p)
                .and_then(|f| f.cert.as_ref())
                .map(|c| (p.clone(), rfc3339(c.not_after)))
        })
        .collect();
    files.push(cluster_file(
        "check-expiry.sh",
        Role::ExpiryScript,
        0o755,
        render::expiry::render(spec, &expiry_list).into_bytes(),
    ));
    files.push(cluster_file(
        "rbac.sh",
        Role::RbacScript,
        0o755,
        render::rbac::render(spec, &members).into_bytes(),
    ));
    for (path, mode, text) in render::migrate::files(spec, &members) {
        let mut f = cluster_file(&path, Role::MigrationStep, mode, text.into_bytes());
        // A member's own steps belong to it (they live in its folder).
        if let Some(name) = path
            .strip_prefix("members/")
            .and_then(|rest| rest.split('/').next())
        {
            f.owner = Owner::Member(name.to_string());
        }
        files.push(f);
    }
    if render::one_machine(spec) {
        for (name, text) in [
            ("demo/run.sh", render::demo::run(spec, &members)),
            ("demo/stop.sh", render::demo::stop(spec)),
        ] {
            files.push(cluster_file(
                name,
                Role::DemoScript,
                0o755,
                text.into_bytes(),
            ));
        }
    }

    let warnings: Vec<Problem> = report.warnings().cloned().collect();
    let generated_at = rfc3339(now);
    let readme = render::readme::render(spec, &members, &ca.cert, &warnings, &generated_at);
    files.insert(
        0,
        cluster_file("README.md", Role::Readme, 0o644, readme.into_bytes()),
    );
    let manifest = render::manifest::render(spec, &generated_at, &files);
    files.insert(
        1,
        cluster_file(
            "manifest.json",
            Role::Manifest,
            0o644,
            manifest.into_bytes(),
        ),
    );

    Ok(Bundle {
        cluster_name: spec.cluster_name.clone(),
        generated_at: now,
        files,
        ca_key,
        warnings,
        key_count: plan.len(),
    })
}

/// The member plans the files were rendered from (for callers that show them).
pub fn members(spec: &ClusterSpec) -> Vec<MemberPlan> {
    render::plan_members(spec)
}

impl Bundle {
    /// Replaces [`Bundle::ca_key`] with its encrypted form (see
    /// [`PrivateKey::to_encrypted_pem`]); a passphrase shorter than
    /// [`crate::keys::MIN_PASSPHRASE`] characters is [`Error::Passphrase`] and changes nothing.
    /// Member and client keys stay unencrypted: etcd cannot read an encrypted key.
    pub fn encrypt_ca_key(&mut self, passphrase: &str) -> Result<(), Error> {
        if self.ca_key_encrypted() {
            return Err(Error::Passphrase("the CA key is already encrypted".into()));
        }
        let der = pem::parse(self.ca_key.text())
            .map_err(|e| Error::BadKey {
                key: "CA key".into(),
                reason: e.to_string(),
            })?
            .into_contents();
        let alg = self
            .files
            .iter()
            .find(|f| f.role == Role::CaCert)
            .and_then(|f| f.cert.as_ref())
            .and_then(|c| KeyAlgorithm::from_name(&c.info.key_algorithm))
            .unwrap_or_default();
        let key = PrivateKey::from_pkcs8_der(alg, &der)?;
        let encrypted = key.to_encrypted_pem(passphrase)?;
        self.ca_key.contents.zeroize();
        self.ca_key.contents = encrypted.as_bytes().to_vec();
        if let Some(r) = self.files.iter_mut().find(|f| f.role == Role::Readme) {
            let text = r.text().replace(
                render::readme::CA_KEY_PLAIN,
                render::readme::CA_KEY_ENCRYPTED,
            );
            r.contents = text.into_bytes();
        }
        Ok(())
    }

    /// Whether [`Bundle::ca_key`] is passphrase-encrypted (encrypted PKCS#8).
    pub fn ca_key_encrypted(&self) -> bool {
        self.ca_key
            .text()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    }

    /// The file at `path`, if any.
    pub fn file(&self, path: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The download name: `<cluster>-etcd-pki.zip`.
    pub fn zip_name(&self) -> String {
        format!("{}-etcd-pki.zip", self.cluster_name)
    }

    /// The bundle as a zip: modes as in the manifest (keys 0600, scripts 0755, the rest
    /// 0644), every entry dated `generated_at`. It never holds the CA key
    /// ([`Bundle::ca_key`] is saved on its own).
    pub fn to_zip(&self) -> Result<Vec<u8>, Error> {
        use zip::write::SimpleFileOptions;
        let zerr = |e: zip::result::ZipError| Error::Zip(e.to_string());
        let t = self.generated_at;
        let when = zip::DateTime::from_date_and_time(
            t.year().clamp(1980, 2107) as u16,
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        )
        .unwrap_or_default();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let mut dirs: Vec<String> = Vec::new();
        for f in self.files.iter().filter(|f| f.role != Role::CaKey) {
            // Directory entries first, so unzip gives them sensible modes.
            let mut prefix = String::new();
            for part in f
                .path
                .split('/')
                .collect::<Vec<_>>()
                .split_last()
                .map(|x| x.1)
                .unwrap_or(&[])
            {
                prefix.push_str(part);
                prefix.push('/');
                if !dirs.contains(&prefix) {
                    w.add_directory(
                        prefix.clone(),
                        SimpleFileOptions::default()
                            .unix_permissions(0o755)
                            .last_modified_time(when),
                    )
                    .map_err(zerr)?;
                    dirs.push(prefix.clone());
                }
            }
            let opts = SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(f.mode)
                .last_modified_time(when);
            w.start_file(f.path.clone(), opts).map_err(zerr)?;
            w.write_all(&f.contents)
                .map_err(|e| Error::Zip(e.to_string()))?;
        }
        Ok(w.finish().map_err(zerr)?.into_inner())
    }
}
