//! Stage 4 of 5: the bundle's files from the plan and the issued certificates. One module per
//! dialect (env file, YAML, command line, static pod, drop-in, scripts, client snippets, the
//! README), each taking the plan's plain data; [`render`] fills every file the plan lists.
//!
//! ```
//! use pki_core::{ClusterSpec, OffsetDateTime, PrivateKey, issue, plan, render};
//! use pki_core::{keys::Keys, validate::ValidatedSpec};
//!
//! let plan = plan::plan(&ValidatedSpec::new(&ClusterSpec::template())?);
//! let keys: Keys = plan.keys.iter()
//!     .map(|r| Ok((r.id.clone(), PrivateKey::generate(r.algorithm)?)))
//!     .collect::<Result<_, pki_core::Error>>()?;
//! let now = OffsetDateTime::now_utc();
//! let ca = issue::new_ca(&plan.ca, keys.get("ca").unwrap(), now)?;
//! let files = render::render(&plan, &issue::issue(&plan, &ca, &keys, now)?)?;
//! let env = files.iter().find(|f| f.path == "members/etcd1/etcd.env").unwrap();
//! assert!(env.text().contains("ETCD_NAME='etcd1'"));
//! # Ok::<(), pki_core::Error>(())
//! ```

pub mod calendar;
pub mod cmdline;
pub mod consumers;
pub mod crl;
pub mod demo;
pub mod dropin;
pub mod env;
pub mod etcdctl;
pub mod expiry;
pub mod install;
pub mod kubeadm;
pub mod metrics;
pub mod migrate;
pub mod quote;
pub mod rbac;
pub mod readme;
pub mod settings;
pub mod verify;
pub mod yaml;

use zeroize::Zeroize;

use crate::error::Error;
use crate::issue::{CaMaterial, Issued, IssuedCert, rfc3339};
use crate::plan::{Content, FilePlan, Owner, Plan, Role, Text};
use crate::spec::Migration;

/// The shell line that lists this machine's addresses (the template
/// `templates/shell/host-addresses.sh`, which install.sh and the migration scripts include).
/// The static day-two scripts (`runbooks/`) carry the same line; their tests compare with this.
pub const HOST_ADDRESSES: &str =
    include_str!("../../templates/shell/host-addresses.sh").trim_ascii_end();

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
    /// Unix mode, from the role ([`Role::mode`]): 0600 for keys, 0755 for scripts, else 0644.
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
    /// A file of the plan with these contents.
    pub fn new(plan: &FilePlan, cert: Option<IssuedCert>, contents: Vec<u8>) -> BundleFile {
        BundleFile {
            path: plan.path.clone(),
            role: plan.role,
            owner: plan.owner.clone(),
            mode: plan.mode(),
            install_path: plan.install_path.clone(),
            cert,
            contents,
        }
    }

    /// The contents as text (every file of the bundle is text).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.contents).unwrap_or("")
    }
}

/// Every file the plan lists, filled from `issued`, in the plan's order — all but
/// `manifest.json` and `spec.json`, which [`crate::package::assemble`] writes.
pub fn render(plan: &Plan, issued: &Issued) -> Result<Vec<BundleFile>, Error> {
    let missing = |f: &FilePlan, what: &str| Error::Certificate {
        cert: f.path.clone(),
        reason: format!("the issued material has no {what}: it was issued for another plan"),
    };
    let mut out = Vec::with_capacity(plan.files.len());
    for f in &plan.files {
        let (cert, contents) = match &f.content {
            Content::CaCert => {
                let anchor = issued.trust_anchor();
                (Some(anchor.clone()), anchor.pem.clone().into_bytes())
            }
            Content::IssuingCaCert => {
                if issued.root.is_none() {
                    return Err(missing(f, "root (the CA is single)"));
                }
                (Some(issued.ca.clone()), issued.ca.pem.clone().into_bytes())
            }
            Content::Cert(id) => {
                let c = issued.cert(id).ok_or_else(|| missing(f, id))?;
                (Some(c.clone()), issued.leaf_file_pem(c).into_bytes())
            }
            Content::Key(id) => {
                let pem = issued.private_key_pem(id).ok_or_else(|| missing(f, id))?;
                (None, pem.as_bytes().to_vec())
            }
            Content::PublicKey(id) => {
                let pem = issued.public_key_pem(id).ok_or_else(|| missing(f, id))?;
                (None, pem.as_bytes().to_vec())
            }
            Content::CaKey => return Err(missing(f, "CA key (it is saved apart)")),
            Content::RootKey => return Err(missing(f, "root key (it is saved apart)")),
            Content::Manifest | Content::State => continue,
            Content::Crl => {
                let der = issued.crl.as_ref().ok_or_else(|| missing(f, "CRL"))?;
                (None, der.clone())
            }
            Content::Text(t) => (None, text(plan, issued, *t)?.into_bytes()),
            Content::Prepared(bytes) => (None, bytes.clone()),
        };
        out.push(BundleFile::new(f, cert, contents));
    }
    Ok(out)
}

/// The CA key file ([`Plan::ca_key_file`]), saved apart from the bundle: PKCS#8 PEM, or
/// encrypted PKCS#8 under `sealing` when the plan seals it ([`Plan::ca_key_sealed`]). The
/// plan decides and the README already says so; a sealing key that the plan does not expect,
/// or a sealed plan without one, is a caller's mistake and makes nothing.
pub fn ca_key_file(
    plan: &Plan,
    ca: &CaMaterial,
    sealing: Option<&crate::SealingKey>,
) -> Result<BundleFile, Error> {
    let pem = match (plan.ca_key_sealed, sealing) {
        (false, None) => ca.key_pem()?,
        (true, Some(sealing)) => sealing.seal(&ca.key()?)?,
        (true, None) => {
            return Err(Error::Passphrase(
                "the CA key is to be encrypted, but no passphrase was given".into(),
            ));
        }
        (false, Some(_)) => {
            return Err(Error::Passphrase(
                "a passphrase was given for a CA key this operation does not write".into(),
            ));
        }
    };
    Ok(BundleFile::new(
        &plan.ca_key_file,
        None,
        pem.as_bytes().to_vec(),
    ))
}

/// The root key file ([`Plan::root_key_file`]), saved apart from the bundle like the CA key:
/// encrypted PKCS#8 under `sealing` when given, else plain PEM (the library's and the demo's
/// choice; the CLI and the page always seal it). `None` when the plan makes no root.
pub fn root_key_file(
    plan: &Plan,
    root: Option<&CaMaterial>,
    sealing: Option<&crate::SealingKey>,
) -> Result<Option<BundleFile>, Error> {
    let (Some(file), Some(root)) = (&plan.root_key_file, root) else {
        return Ok(None);
    };
    let pem = match sealing {
        Some(sealing) => sealing.seal(&root.key()?)?,
        None => root.key_pem()?,
    };
    Ok(Some(BundleFile::new(file, None, pem.as_bytes().to_vec())))
}

/// A member's `bundle.env`: the cluster, the line (the first bundle's id), the generation and
/// this bundle's id, as `KEY='value'` lines that install.sh and the runbooks read.
fn bundle_marker(plan: &Plan, issued: &Issued) -> String {
    let id = crate::issue::bundle_id(plan, issued);
    let lineage = crate::record::Lineage::of(&plan.carried, id);
    quote::data_file(
        "install.sh and the runbooks (never backwards: a machine holding a later generation \
         of this line refuses an earlier one)",
        &[
            ("CLUSTER", plan.spec.cluster_name.clone()),
            ("LINE", lineage.root),
            ("GENERATION", lineage.generation.to_string()),
            ("BUNDLE", lineage.id),
        ],
    )
}

/// The clients whose certificate, as issued, is on the CRL the plan carries (compared by
/// serial, as etcd does: a client renewed after its revocation holds a new certificate and is
/// not revoked). rbac.sh makes no user for them.
pub fn revoked_clients(plan: &Plan, issued: &Issued) -> Vec<String> {
    let Some(rev) = &plan.carried.revocations else {
        return Vec::new();
    };
    let revoked: Vec<Vec<u8>> = rev
        .revoked
        .iter()
        .filter_map(|r| crate::crl::parse_serial(&r.serial).ok())
        .collect();
    let mut names: Vec<String> = Vec::new();
    for c in &plan.certs {
        if let crate::plan::Owner::Client(name) = &c.owner
            && let Some(cert) = issued.cert(&c.id)
            && crate::crl::parse_serial(&cert.info.serial).is_ok_and(|s| revoked.contains(&s))
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    }
    names
}

/// What the README states beyond the plan.
pub fn readme_facts(plan: &Plan, issued: &Issued) -> readme::Facts {
    let anchor = issued.trust_anchor();
    readme::Facts {
        generated_at: rfc3339(issued.issued_at),
        ca_not_after: anchor.info.not_after.clone(),
        ca_fingerprint: anchor.sha256_fingerprint.clone(),
        ca_key_encrypted: plan.ca_key_sealed,
        issuing: issued.root.as_ref().map(|_| {
            (
                issued.ca.info.not_after.clone(),
                issued.ca.sha256_fingerprint.clone(),
            )
        }),
    }
}

/// Fills a template (`pki-core/templates/`, checked when pki-core compiles). askama drops the
/// final newline of a template file (so that `{% include %}` on a line of its own includes a
/// file cleanly); every file of the bundle ends with one, so it is put back here. Templates
/// format only strings and numbers, which cannot fail: an error would be a bug, said as one.
pub(crate) fn fill(t: &impl askama::Template) -> Result<String, Error> {
    let mut text = t.render().map_err(|e| Error::Certificate {
        cert: "a rendered file".into(),
        reason: format!("its template failed: {e}"),
    })?;
    text.push('\n');
    Ok(text)
}

/// One text file.
fn text(plan: &Plan, issued: &Issued, t: Text) -> Result<String, Error> {
    let m = |i: usize| &plan.members[i];
    let c = |i: usize| &plan.spec.clients[i];
    Ok(match t {
        Text::Readme => readme::render(plan, &readme_facts(plan, issued))?,
        Text::EtcdEnv { member, flavor } => env::render(plan, m(member), flavor)?,
        Text::SystemdDropin { member } => dropin::render(plan, m(member))?,
        Text::ConfigYaml { member } => yaml::render(plan, m(member))?,
        Text::CommandLine { member } => cmdline::render(plan, m(member))?,
        Text::StaticPod { member } => kubeadm::static_pod(plan, m(member))?,
        Text::InstallScript { member } => install::render(plan, m(member))?,
        Text::VerifyScript { member } => verify::render(plan, m(member))?,
        Text::EtcdctlEnv { client } => etcdctl::render(plan, c(client))?,
        Text::ClientConfig { client, snippet } => consumers::render(plan, c(client), snippet)?,
        Text::ExpiryScript => expiry::render(plan, &expiry_list(plan, issued))?,
        Text::RbacScript => rbac::render_without(plan, &revoked_clients(plan, issued))?,
        Text::RbacRevoke => {
            let names = revoked_clients(plan, issued);
            let revoked: Vec<&crate::spec::Client> = plan
                .spec
                .clients
                .iter()
                .filter(|c| names.contains(&c.name))
                .collect();
            rbac::revoke_file(plan, &revoked)?
        }
        Text::MetricsScript { member } => metrics::script(plan, m(member))?,
        Text::MetricsService { member } => metrics::service(plan, m(member))?,
        Text::MetricsTimer { member } => metrics::timer(m(member))?,
        Text::AlertRules => metrics::ALERT_RULES.to_string(),
        Text::Calendar => calendar::render(plan, issued),
        Text::DemoRun => demo::run(plan)?,
        Text::DemoStop => demo::stop(plan)?,
        Text::InstallCrlScript => crl::install_crl_script()?,
        Text::BundleMarker => bundle_marker(plan, issued),
        Text::InstallCrlEnv { member } => crl::install_crl_env(
            &m(member).name,
            &m(member).ips,
            &m(member).cert_dir,
            plan.spec.client_port,
        ),
        Text::CrlDropin { member } => crl::dropin(m(member)),
        Text::MigrationEnv { member, stage } => {
            migrate::stage_env(plan, migration(plan)?, m(member), stage)?
        }
        Text::MigrationLib { member } => migrate::lib(plan, migration(plan)?, m(member))?,
        Text::MigrationStep { step, .. } => crate::plan::MIGRATION_STEPS
            .get(step)
            .and_then(|name| migrate::step(name))
            .unwrap_or_default()
            .to_string(),
        Text::MigrationReadme => migrate::readme(plan, migration(plan)?)?,
    })
}

fn migration(plan: &Plan) -> Result<&Migration, Error> {
    plan.spec
        .migration
        .as_ref()
        .ok_or_else(|| Error::Certificate {
            cert: "migrate/".into(),
            reason: "the plan lists migration files but its spec has no migration".into(),
        })
}

/// Every distinct certificate of the bundle with its notAfter, in bundle order (the CA's copy
/// in every folder counted once): what `check-expiry.sh` notes as generated.
fn expiry_list(plan: &Plan, issued: &Issued) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    let mut v = Vec::new();
    for f in &plan.files {
        let cert = match &f.content {
            Content::CaCert => Some(issued.trust_anchor()),
            Content::IssuingCaCert => Some(&issued.ca),
            Content::Cert(id) => issued.cert(id),
            _ => None,
        };
        if let Some(c) = cert
            && !seen.contains(&&c.sha256_fingerprint)
        {
            seen.push(&c.sha256_fingerprint);
            v.push((f.path.clone(), rfc3339(c.not_after)));
        }
    }
    v
}
