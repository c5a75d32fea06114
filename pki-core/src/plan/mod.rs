//! Stage 2 of 5: from a validated spec to the list of what must exist — keys, certificates
//! with their profile, files with their role, mode and install path — as plain data. Every
//! decision the later stages share is made here once: which member is where, who the admin
//! client is, whether the cluster runs on one machine, what each file is called. Warnings were
//! decided by validation and travel with the plan.
//!
//! ```
//! use pki_core::{ClusterSpec, plan, validate::ValidatedSpec};
//!
//! let spec = ClusterSpec::template();
//! let plan = plan::plan(&ValidatedSpec::new(&spec)?);
//! assert_eq!(plan.members.len(), 3);
//! assert!(plan.keys.iter().any(|k| k.id == "members/etcd1/server"));
//! assert!(plan.files.iter().any(|f| f.path == "members/etcd1/pki/server.key" && f.mode() == 0o600));
//! # Ok::<(), pki_core::Error>(())
//! ```

mod files;
mod members;
pub mod paths;

use std::net::IpAddr;

pub use files::{
    Content, FilePlan, MIGRATION_STEPS, MigrationStage, Owner, RBAC_REVOKE, Role, Snippet, Text,
    snippets,
};
pub use members::{MemberPlan, client_endpoints, initial_cluster, join, plan_members, url};

use crate::options::kubeadm;
use crate::report::Problem;
use crate::spec::{AuthToken, Client, ClusterSpec, KeyAlgorithm, Layout, Subject};
use crate::validate::ValidatedSpec;

/// The id of the CA's key in [`Plan::keys`].
pub const CA_KEY: &str = "ca";
/// The id of the root's key in [`Plan::keys`] (`root+issuing`, when the operation makes a
/// root).
pub const ROOT_KEY: &str = "root";
/// The id of the JWT signing key in [`Plan::keys`].
pub const JWT_KEY: &str = "jwt";

/// Everything a bundle will hold, before any key exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The validated spec it was made from.
    pub spec: ClusterSpec,
    /// Validation's warnings: the bundle is made anyway, and its README lists them.
    pub warnings: Vec<Problem>,
    /// Every member on loopback ([`ClusterSpec::is_one_machine`]): demo scripts instead of
    /// install.sh, 127.0.0.1 in the peer certificates.
    pub one_machine: bool,
    /// The members.
    pub members: Vec<MemberPlan>,
    /// The CA to make, when one is made (a new bundle, a rotation); a CA imported or read
    /// back from a bundle enters the issue stage as a [`crate::issue::CaMaterial`] instead.
    pub ca: CaPlan,
    /// `root+issuing`: the root to make, when one is made (a new bundle; the issuing CA
    /// [`Plan::ca`] is then signed by it). `None` for a single CA, and for an operation on a
    /// bundle whose root exists (it enters the issue stage inside the CA's
    /// [`crate::issue::CaMaterial::chain`]).
    pub root: Option<CaPlan>,
    /// The root key file, saved apart from the bundle (with [`Plan::root`]).
    pub root_key_file: Option<FilePlan>,
    /// Every key, CA's first.
    pub keys: Vec<KeyRequest>,
    /// Every leaf certificate.
    pub certs: Vec<CertPlan>,
    /// Every file of the bundle, in bundle order.
    pub files: Vec<FilePlan>,
    /// The CA key file, saved apart from the bundle.
    pub ca_key_file: FilePlan,
    /// Whether the CA key file is written sealed with a passphrase ([`crate::SealingKey`]):
    /// a choice of the operation, made before anything is rendered, so the README says what
    /// the key file is in the one pass that writes both ([`Plan::seal_ca_key`]).
    pub ca_key_sealed: bool,
    /// Members that join a running cluster (day two, [`crate::ops::change`]): name and the
    /// `--initial-cluster` it starts with (the members at the moment it is added, itself
    /// included). Their files say `initial-cluster-state: existing`. Empty for a new cluster.
    pub joining: Vec<(String, String)>,
    /// What the bundle carries from the one it is made from (day two): its revocations — then
    /// every member's files start etcd with the CRL —, the members that left, its lineage.
    /// Empty for a new cluster.
    pub carried: crate::record::Carried,
    /// Files the operation prepared beside the planned ones (day two): each runbook's script
    /// and data, a rotation kit's scripts and `ROTATE.md`, as [`Content::Prepared`]. They are
    /// part of the plan, so the bundle is rendered and packaged once, never patched after.
    pub prepared: Vec<FilePlan>,
}

impl Plan {
    /// The same plan with the CA key file sealed ([`Plan::ca_key_sealed`]).
    pub fn seal_ca_key(mut self, sealed: bool) -> Plan {
        self.ca_key_sealed = sealed;
        self
    }

    /// The administrator client ([`ClusterSpec::admin_client`], CN `root`): `rbac.sh` acts as it.
    pub fn admin(&self) -> Option<&Client> {
        self.spec.admin_client()
    }

    /// The client the README and the demo check the cluster with
    /// ([`ClusterSpec::check_client`]: the administrator, else the first client).
    pub fn check_client(&self) -> Option<&Client> {
        self.spec.check_client()
    }

    /// The key request with this id.
    pub fn key(&self, id: &str) -> Option<&KeyRequest> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// The plan of a bundle that carries `carried` from the one before it: its files planned
    /// again, since a bundle with a CRL has the CRL's files in every member's folder.
    pub fn carry(&mut self, carried: crate::record::Carried) {
        self.carried = carried;
        self.files = files::plan_files(self);
    }

    /// The plan with `prepared` files besides its own (a later file of the same path takes the
    /// place of an earlier one): see [`Plan::prepared`].
    pub fn prepare(&mut self, prepared: impl IntoIterator<Item = FilePlan>) {
        for f in prepared {
            self.prepared.retain(|p| p.path != f.path);
            self.prepared.push(f);
        }
        self.files = files::plan_files(self);
    }
}

/// The CA: its subject, lifetime and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaPlan {
    /// The key's id in [`Plan::keys`].
    pub key: String,
    /// Its distinguished name.
    pub subject: Subject,
    /// Lifetime in days.
    pub validity_days: u32,
}

/// One key the bundle needs. The page generates these on workers, the CLI on every core.
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

/// What a leaf certificate is for: the certificate policy of [`crate::issue`] per profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// A member's client-facing certificate: serverAuth, and clientAuth because etcd's
    /// grpc-gateway dials the member with it.
    Server,
    /// A member's peer certificate: serverAuth + clientAuth, both ends of peer TLS.
    Peer,
    /// A client: clientAuth only.
    Client,
}

impl Profile {
    /// `server`, `peer`, `client`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Server => "server",
            Profile::Peer => "peer",
            Profile::Client => "client",
        }
    }
}

/// One leaf certificate to issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertPlan {
    /// Stable id, the same as its key's: `members/etcd1/server`, `clients/etcdctl`.
    pub id: String,
    /// The id of its key in [`Plan::keys`].
    pub key: String,
    /// Its profile.
    pub profile: Profile,
    /// Whom it belongs to.
    pub owner: Owner,
    /// Its path in the bundle (names it in messages).
    pub path: String,
    /// Subject CN.
    pub common_name: String,
    /// Subject O.
    pub organization: Option<String>,
    /// IP SANs.
    pub ips: Vec<IpAddr>,
    /// DNS SANs.
    pub dns_names: Vec<String>,
    /// Lifetime in days.
    pub validity_days: u32,
}

/// Plans the bundle of a validated spec.
pub fn plan(spec: &ValidatedSpec) -> Plan {
    build(spec.spec().clone(), spec.warnings().to_vec())
}

/// Plans the bundle of a spec that was not validated, for tests of what stands behind
/// validation (the renderers' quoting): the plan of an invalid spec may be nonsense, and no
/// bundle is ever made from one.
pub fn plan_unvalidated(spec: &ClusterSpec) -> Plan {
    build(spec.clone(), Vec::new())
}

fn build(spec: ClusterSpec, warnings: Vec<Problem>) -> Plan {
    let mut plan = Plan {
        one_machine: spec.is_one_machine(),
        members: plan_members(&spec),
        ca: CaPlan {
            key: CA_KEY.into(),
            subject: spec.ca_subject.clone(),
            validity_days: spec.ca_validity_days,
        },
        keys: key_requests(&spec),
        certs: Vec::new(),
        files: Vec::new(),
        ca_key_file: FilePlan {
            path: format!("{}-ca.key", spec.cluster_name),
            role: Role::CaKey,
            owner: Owner::Cluster,
            install_path: None,
            content: Content::CaKey,
        },
        ca_key_sealed: false,
        root: spec.ca_layout.is_layered().then(|| CaPlan {
            key: ROOT_KEY.into(),
            subject: root_subject(&spec.ca_subject),
            validity_days: spec.root_validity_days,
        }),
        root_key_file: spec.ca_layout.is_layered().then(|| FilePlan {
            path: format!("{}-root-ca.key", spec.cluster_name),
            role: Role::RootKey,
            owner: Owner::Cluster,
            install_path: None,
            content: Content::RootKey,
        }),
        joining: Vec::new(),
        carried: crate::record::Carried::default(),
        prepared: Vec::new(),
        warnings,
        spec,
    };
    plan.certs = cert_plans(&plan);
    plan.files = files::plan_files(&plan);
    plan
}

/// The root's name: the CA's with " root" after its common name, so that the root and the
/// issuing CAs under it are told apart in every listing and error.
pub fn root_subject(ca: &Subject) -> Subject {
    let mut s = ca.clone();
    s.common_name = format!("{} root", ca.common_name);
    s
}

/// The keys a spec needs, CA's first. Works on any spec (the page sizes its progress bar
/// with it before validation is done); ids are what [`crate::issue`] looks keys up by.
pub fn key_requests(spec: &ClusterSpec) -> Vec<KeyRequest> {
    let algorithm = spec.key_algorithm;
    let req = |id: String, label: String| KeyRequest {
        id,
        label,
        algorithm,
    };
    let mut v = vec![req(CA_KEY.into(), "CA key".into())];
    if spec.ca_layout.is_layered() {
        v[0].label = "issuing CA key".into();
        v.push(req(ROOT_KEY.into(), "root CA key".into()));
    }
    for n in &spec.nodes {
        for kind in member_cert_kinds(spec.layout) {
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
            id: JWT_KEY.into(),
            label: "JWT signing key".into(),
            algorithm: KeyAlgorithm::EcdsaP256,
        });
    }
    v
}

/// The certificates every member has, by key name.
fn member_cert_kinds(layout: Layout) -> &'static [&'static str] {
    match layout {
        Layout::Etcd => &["server", "peer"],
        Layout::Kubeadm => &["server", "peer", "healthcheck-client"],
    }
}

fn cert_plans(plan: &Plan) -> Vec<CertPlan> {
    let spec = &plan.spec;
    let days = spec.cert_validity_days;
    let mut v = Vec::new();
    for m in &plan.members {
        for kind in member_cert_kinds(spec.layout) {
            let id = format!("members/{}/{kind}", m.name);
            let leaf =
                |profile, common_name: &str, ips: &[IpAddr], dns: &[String], file| CertPlan {
                    key: id.clone(),
                    path: format!("members/{}/pki/{file}", m.name),
                    id: id.clone(),
                    profile,
                    owner: Owner::Member(m.name.clone()),
                    common_name: common_name.to_string(),
                    organization: None,
                    ips: ips.to_vec(),
                    dns_names: dns.to_vec(),
                    validity_days: days,
                };
            v.push(match *kind {
                "server" => leaf(
                    Profile::Server,
                    &m.name,
                    &m.server_ips,
                    &m.server_dns,
                    paths::files::SERVER_CERT,
                ),
                "peer" => leaf(
                    Profile::Peer,
                    &m.name,
                    &m.peer_ips,
                    &m.dns_names,
                    paths::files::PEER_CERT,
                ),
                _ => leaf(
                    Profile::Client,
                    kubeadm::HEALTHCHECK_CN,
                    &[],
                    &[],
                    paths::files::HEALTHCHECK_CERT,
                ),
            });
        }
    }
    for c in &spec.clients {
        let id = format!("clients/{}", c.name);
        v.push(CertPlan {
            key: id.clone(),
            path: format!("{id}/client.crt"),
            id,
            profile: Profile::Client,
            owner: Owner::Client(c.name.clone()),
            common_name: c.common_name.clone(),
            organization: c.organization.clone(),
            ips: vec![],
            dns_names: vec![],
            validity_days: days,
        });
    }
    v
}
