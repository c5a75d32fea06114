//! The files of a bundle as data: path, role, owner, install path and what fills each. The
//! mode follows from the role ([`Role::mode`]); the renderers only fill in the contents.

use crate::options::{ClientKind, EtcdVersion, kubeadm};
use crate::spec::Layout;

use super::Plan;
use super::members::{MemberPlan, join};
use super::paths::{self, Flavor, files};

/// What a file in the bundle is, as `manifest.json` names it. It decides the file's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The CA certificate (at the root and in every member's and client's folder).
    CaCert,
    /// The CA private key: `Bundle::ca_key`, never one of the bundle's files nor in the zip.
    CaKey,
    /// `root+issuing`: the issuing CA's certificate (`issuing-ca.crt` at the top), the CA
    /// every leaf names as its issuer and every leaf file carries after the leaf.
    IssuingCaCert,
    /// `root+issuing`: the root's private key, `Bundle::root_key`, saved apart and sealed.
    RootKey,
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
    /// `spec.json`: the spec and every certificate issued from it, read back by
    /// [`crate::package::open`].
    State,
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
    /// A step script of the plain-HTTP-to-TLS runbook (`members/<name>/migrate/N-*.sh`).
    MigrationStep,
    /// Any other file of that runbook: its README, the shared `lib.sh` (sourced, not run), the
    /// settings of each stage.
    MigrationFile,
    /// A day-two runbook script or its data file (`runbook/*.sh`, `members/<name>/renew.sh`),
    /// added by [`crate::ops::change`].
    Runbook,
    /// A member's certificate revocation list (`pki/crl.der`, DER), while the bundle carries
    /// revocations ([`crate::ops::revoke`]).
    Crl,
    /// A runbook script the plan lists itself (`install-crl.sh`): named `runbook` in the
    /// manifest like the others, but a script, so 0755 from its role.
    RunbookScript,
    /// A member's `bundle.env`: which bundle of which line its files come from (cluster, line,
    /// generation, id). install.sh keeps it in cert_dir; install.sh and the runbooks of an
    /// older bundle of the same line refuse to run over it.
    BundleMarker,
    /// A member's `metrics/etcd-pki-metrics.sh`: node_exporter textfile metrics of the
    /// installed certificates ([`crate::render::metrics`]).
    MetricsScript,
    /// Its systemd service and timer.
    MetricsUnit,
    /// `prometheus/etcd-pki-alerts.yml`: Prometheus alerting rules.
    AlertRules,
    /// `renewal.ics`: the renewal dates as a calendar.
    Calendar,
}

impl Role {
    /// The manifest spelling, e.g. `server-key`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CaCert => "ca-cert",
            Role::CaKey => "ca-key",
            Role::IssuingCaCert => "issuing-ca-cert",
            Role::RootKey => "root-key",
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
            Role::State => "state",
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
            Role::MigrationStep | Role::MigrationFile => "migration",
            Role::Runbook | Role::RunbookScript => "runbook",
            Role::Crl => "crl",
            Role::BundleMarker => "bundle-marker",
            Role::MetricsScript => "metrics-script",
            Role::MetricsUnit => "metrics-unit",
            Role::AlertRules => "alert-rules",
            Role::Calendar => "calendar",
        }
    }

    /// Whether the file holds a private key.
    pub fn is_private_key(self) -> bool {
        matches!(
            self,
            Role::CaKey
                | Role::RootKey
                | Role::ServerKey
                | Role::PeerKey
                | Role::ClientKey
                | Role::JwtKey
        )
    }

    /// Whether the file is a script people run (`etcdctl-env.sh` too: it is sourced, and
    /// 0755 says "this is a program" in a listing).
    pub fn is_script(self) -> bool {
        matches!(
            self,
            Role::EtcdctlEnv
                | Role::EtcdCommandLine
                | Role::RbacScript
                | Role::InstallScript
                | Role::VerifyScript
                | Role::ExpiryScript
                | Role::MetricsScript
                | Role::DemoScript
                | Role::MigrationStep
                | Role::RunbookScript
        )
    }

    /// The Unix mode a file of this role has in the zip: 0600 for private keys, 0755 for
    /// scripts, 0644 for the rest. The one place modes are decided.
    pub fn mode(self) -> u32 {
        if self.is_private_key() {
            0o600
        } else if self.is_script() {
            0o755
        } else {
            0o644
        }
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

/// One file the bundle will hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePlan {
    /// Path inside the bundle, `/`-separated, e.g. `members/etcd1/pki/server.key`.
    pub path: String,
    /// What it is; its mode follows from it.
    pub role: Role,
    /// Whom it belongs to.
    pub owner: Owner,
    /// Where it goes on the member, when the spec fixes that.
    pub install_path: Option<String>,
    /// What fills it.
    pub content: Content,
}

impl FilePlan {
    /// Unix mode, from the role.
    pub fn mode(&self) -> u32 {
        self.role.mode()
    }
}

/// What fills a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// The trusted CA certificate (PEM): the CA, or with `root+issuing` the root alone.
    CaCert,
    /// The CA private key (PEM).
    CaKey,
    /// `root+issuing`: the issuing CA certificate (PEM).
    IssuingCaCert,
    /// `root+issuing`: the root's private key (PEM), saved apart.
    RootKey,
    /// The certificate of this [`super::CertPlan::id`] (PEM).
    Cert(String),
    /// The private key of this [`super::KeyRequest::id`] (PKCS#8 PEM).
    Key(String),
    /// The public key of this key id (SubjectPublicKeyInfo PEM).
    PublicKey(String),
    /// Text from one of the renderers.
    Text(Text),
    /// `manifest.json`: written by [`crate::package`], since it describes the rendered files.
    Manifest,
    /// `spec.json`: written by [`crate::package`], the state a bundle is opened again from.
    State,
    /// The CRL (DER) the issue stage signed or carried: every member's `pki/crl.der` while
    /// the plan carries revocations.
    Crl,
    /// Bytes the day-two planner prepared from the prior state and the change: a runbook's
    /// static script and its data file, a rotation kit's scripts, `ROTATE.md`
    /// ([`super::Plan::prepared`]). Render copies them as they are.
    Prepared(Vec<u8>),
}

/// Which renderer writes a text file, and for whom (members and clients by their index in the
/// spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// `README.md`.
    Readme,
    /// A member's env file.
    EtcdEnv {
        /// Member index.
        member: usize,
        /// Which distribution's form.
        flavor: Flavor,
    },
    /// A member's systemd drop-in.
    SystemdDropin {
        /// Member index.
        member: usize,
    },
    /// A member's YAML config.
    ConfigYaml {
        /// Member index.
        member: usize,
    },
    /// A member's command line.
    CommandLine {
        /// Member index.
        member: usize,
    },
    /// A member's static pod.
    StaticPod {
        /// Member index.
        member: usize,
    },
    /// A member's install.sh.
    InstallScript {
        /// Member index.
        member: usize,
    },
    /// A member's verify.sh.
    VerifyScript {
        /// Member index.
        member: usize,
    },
    /// A client's etcdctl-env.sh.
    EtcdctlEnv {
        /// Client index.
        client: usize,
    },
    /// A snippet for the program a client is.
    ClientConfig {
        /// Client index.
        client: usize,
        /// Which snippet.
        snippet: Snippet,
    },
    /// `check-expiry.sh`.
    ExpiryScript,
    /// A member's expiry metrics script.
    MetricsScript {
        /// Member index.
        member: usize,
    },
    /// Its systemd service.
    MetricsService {
        /// Member index.
        member: usize,
    },
    /// Its systemd timer.
    MetricsTimer {
        /// Member index.
        member: usize,
    },
    /// `prometheus/etcd-pki-alerts.yml`.
    AlertRules,
    /// `renewal.ics`.
    Calendar,
    /// `rbac.sh`.
    RbacScript,
    /// `rbac-revoke.sh`, while the plan carries revocations: removes the etcd users of the
    /// clients whose certificate is revoked.
    RbacRevoke,
    /// `demo/run.sh`.
    DemoRun,
    /// `demo/stop.sh`.
    DemoStop,
    /// A member's settings at one stage of the migration.
    MigrationEnv {
        /// Member index.
        member: usize,
        /// The stage.
        stage: MigrationStage,
    },
    /// A member's `migrate/lib.sh`.
    MigrationLib {
        /// Member index.
        member: usize,
    },
    /// One of a member's migration step scripts, by index into [`MIGRATION_STEPS`].
    MigrationStep {
        /// Member index.
        member: usize,
        /// Index into [`MIGRATION_STEPS`].
        step: usize,
    },
    /// `migrate/README.md`.
    MigrationReadme,
    /// A member's `install-crl.sh` (the static script).
    InstallCrlScript,
    /// A member's `bundle.env` ([`Role::BundleMarker`]).
    BundleMarker,
    /// A member's `crl.env`, the data `install-crl.sh` sources.
    InstallCrlEnv {
        /// Member index.
        member: usize,
    },
    /// A member's `etcd.service.d/20-etcd-pki-crl.conf`.
    CrlDropin {
        /// Member index.
        member: usize,
    },
}

/// The configuration snippets of client programs, one per file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Snippet {
    /// etcdctl's v2 flags (etcd 3.4 and 3.5).
    EtcdctlV2Flags,
    /// kube-apiserver's `--etcd-*` flags.
    KubeApiserverFlags,
    /// flanneld's flags.
    FlannelFlags,
    /// calico-node's env.
    CalicoEnv,
    /// calicoctl.cfg.
    Calicoctl,
    /// networking-vpp's `[ml2_vpp]`.
    NetworkingVpp,
    /// Patroni's `etcd3:`.
    Patroni,
    /// CoreDNS's etcd plugin block.
    Coredns,
    /// APISIX's `deployment.etcd`.
    Apisix,
    /// Traefik's etcd provider.
    Traefik,
}

/// The snippet files of a client of `kind`, as (file name, snippet).
pub fn snippets(kind: ClientKind, version: EtcdVersion) -> Vec<(&'static str, Snippet)> {
    match kind {
        ClientKind::Generic => vec![],
        ClientKind::Etcdctl if version.has_v2_api() => {
            vec![("etcdctl-v2-flags.txt", Snippet::EtcdctlV2Flags)]
        }
        ClientKind::Etcdctl => vec![],
        ClientKind::KubeApiserver => {
            vec![("kube-apiserver-flags.txt", Snippet::KubeApiserverFlags)]
        }
        ClientKind::Flannel => vec![("flannel-flags.txt", Snippet::FlannelFlags)],
        ClientKind::Calico => vec![
            ("calico.env", Snippet::CalicoEnv),
            ("calicoctl.cfg", Snippet::Calicoctl),
        ],
        ClientKind::NetworkingVpp => vec![("ml2_conf_vpp.ini", Snippet::NetworkingVpp)],
        ClientKind::Patroni => vec![("patroni-etcd3.yml", Snippet::Patroni)],
        ClientKind::Coredns => vec![("Corefile.etcd", Snippet::Coredns)],
        ClientKind::Apisix => vec![("apisix-config.yaml", Snippet::Apisix)],
        ClientKind::Traefik => vec![("traefik-etcd.yml", Snippet::Traefik)],
    }
}

/// The stages a member's settings go through during a migration; each has an env file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationStage {
    /// After step 2: plain client + loopback, plain + TLS peer listeners.
    Listeners,
    /// After step 4: https client URLs (+ plain loopback), TLS peers only.
    ClientTls,
    /// After step 5: client-cert-auth on.
    CertAuth,
    /// After step 6: no plain listener at all.
    Final,
}

impl MigrationStage {
    /// Every stage with the step that puts it in place.
    pub const ALL: [(MigrationStage, u8); 4] = [
        (MigrationStage::Listeners, 2),
        (MigrationStage::ClientTls, 4),
        (MigrationStage::CertAuth, 5),
        (MigrationStage::Final, 6),
    ];
}

/// The step scripts of a migration, in order.
pub const MIGRATION_STEPS: [&str; 6] = [
    "1-certs.sh",
    "2-listeners.sh",
    "3-peer-urls.sh",
    "4-client-https.sh",
    "5-client-cert-auth.sh",
    "6-remove-plain.sh",
];

fn file(path: String, role: Role, owner: &Owner, install: Option<String>, c: Content) -> FilePlan {
    FilePlan {
        path,
        role,
        owner: owner.clone(),
        install_path: install,
        content: c,
    }
}

/// Every file of the bundle, in bundle order.
pub(super) fn plan_files(plan: &Plan) -> Vec<FilePlan> {
    let cluster = Owner::Cluster;
    let mut v = vec![
        file(
            "README.md".into(),
            Role::Readme,
            &cluster,
            None,
            Content::Text(Text::Readme),
        ),
        file(
            "manifest.json".into(),
            Role::Manifest,
            &cluster,
            None,
            Content::Manifest,
        ),
        file(
            "spec.json".into(),
            Role::State,
            &cluster,
            None,
            Content::State,
        ),
        file(
            "ca.crt".into(),
            Role::CaCert,
            &cluster,
            None,
            Content::CaCert,
        ),
    ];
    if plan.spec.ca_layout.is_layered() {
        v.push(file(
            files::ISSUING_CA_CERT.into(),
            Role::IssuingCaCert,
            &cluster,
            None,
            Content::IssuingCaCert,
        ));
    }
    if let Some(der) = &plan.carried.root_crl {
        v.push(file(
            files::ROOT_CRL.into(),
            Role::Crl,
            &cluster,
            None,
            Content::Prepared(der.clone()),
        ));
    }
    for i in 0..plan.members.len() {
        v.extend(member_files(plan, i));
    }
    for i in 0..plan.spec.clients.len() {
        v.extend(client_files(plan, i));
    }
    let text = |path: &str, role, t| file(path.into(), role, &cluster, None, Content::Text(t));
    v.push(text(
        "check-expiry.sh",
        Role::ExpiryScript,
        Text::ExpiryScript,
    ));
    v.push(text("rbac.sh", Role::RbacScript, Text::RbacScript));
    if plan.carried.has_crl() && plan.admin().is_some() {
        v.push(text(RBAC_REVOKE, Role::RunbookScript, Text::RbacRevoke));
    }
    v.push(text(
        "prometheus/etcd-pki-alerts.yml",
        Role::AlertRules,
        Text::AlertRules,
    ));
    v.push(text("renewal.ics", Role::Calendar, Text::Calendar));
    v.extend(migration_files(plan));
    if plan.one_machine {
        v.push(text("demo/run.sh", Role::DemoScript, Text::DemoRun));
        v.push(text("demo/stop.sh", Role::DemoScript, Text::DemoStop));
    }
    // What the operation prepared comes last, in its order; it takes the place of a planned
    // file of the same path.
    v.retain(|f| !plan.prepared.iter().any(|p| p.path == f.path));
    v.extend(plan.prepared.iter().cloned());
    v
}

/// `rbac-revoke.sh`, at the bundle's root.
pub const RBAC_REVOKE: &str = "rbac-revoke.sh";

fn member_files(plan: &Plan, member: usize) -> Vec<FilePlan> {
    let f = MemberFiles::new(plan, member);
    let mut v = f.certificates();
    v.extend(f.configs());
    if plan.keys.iter().any(|k| k.id == super::JWT_KEY) {
        v.extend(f.jwt());
    }
    if plan.carried.has_crl() {
        v.extend(f.crl());
    }
    v
}

/// The files in one member's folder, `members/<name>/`.
struct MemberFiles<'a> {
    plan: &'a Plan,
    member: usize,
    m: &'a MemberPlan,
    owner: Owner,
    base: String,
}

impl<'a> MemberFiles<'a> {
    fn new(plan: &'a Plan, member: usize) -> MemberFiles<'a> {
        let m = &plan.members[member];
        MemberFiles {
            plan,
            member,
            m,
            owner: Owner::Member(m.name.clone()),
            base: format!("members/{}", m.name),
        }
    }

    /// `pki/<name>`, installed in cert_dir.
    fn pki(&self, name: &str, role: Role, content: Content) -> FilePlan {
        let install = Some(join(&self.m.cert_dir, name));
        let path = format!("{}/pki/{name}", self.base);
        file(path, role, &self.owner, install, content)
    }

    fn text(&self, name: &str, role: Role, install: Option<&str>, t: Text) -> FilePlan {
        let path = format!("{}/{name}", self.base);
        let install = install.map(String::from);
        file(path, role, &self.owner, install, Content::Text(t))
    }

    /// The CA certificate, the server and peer pairs, kubeadm's health-check pair.
    fn certificates(&self) -> Vec<FilePlan> {
        let cert = |kind: &str| Content::Cert(format!("{}/{kind}", self.base));
        let key = |kind: &str| Content::Key(format!("{}/{kind}", self.base));
        let mut v = vec![
            self.pki(files::CA_CERT, Role::CaCert, Content::CaCert),
            self.pki(files::SERVER_CERT, Role::ServerCert, cert("server")),
            self.pki(files::SERVER_KEY, Role::ServerKey, key("server")),
            self.pki(files::PEER_CERT, Role::PeerCert, cert("peer")),
            self.pki(files::PEER_KEY, Role::PeerKey, key("peer")),
        ];
        if self.plan.spec.layout == Layout::Kubeadm {
            let kind = "healthcheck-client";
            v.push(self.pki(files::HEALTHCHECK_CERT, Role::ClientCert, cert(kind)));
            v.push(self.pki(files::HEALTHCHECK_KEY, Role::ClientKey, key(kind)));
        }
        v
    }

    /// Every way to start the member, and its install and verify scripts.
    fn configs(&self) -> Vec<FilePlan> {
        let member = self.member;
        let mut v = Vec::new();
        if self.plan.spec.layout == Layout::Kubeadm {
            let t = Text::StaticPod { member };
            let install = Some(kubeadm::MANIFEST_PATH);
            v.push(self.text("kubernetes/etcd.yaml", Role::StaticPod, install, t));
        }
        let roles = [Role::EtcdEnv, Role::EtcdEnvDebian, Role::EtcdEnvRhel];
        for (flavor, role) in Flavor::ALL.into_iter().zip(roles) {
            let t = Text::EtcdEnv { member, flavor };
            v.push(self.text(flavor.bundle_name(), role, Some(flavor.install_path()), t));
        }
        v.extend([
            self.text(
                "etcd.service.d/10-etcd-pki.conf",
                Role::SystemdDropin,
                Some(paths::DROPIN_INSTALL_PATH),
                Text::SystemdDropin { member },
            ),
            self.text(
                "etcd.conf.yml",
                Role::EtcdConfigYaml,
                Some(paths::YAML_INSTALL_PATH),
                Text::ConfigYaml { member },
            ),
            self.text(
                "etcd-cmdline.sh",
                Role::EtcdCommandLine,
                None,
                Text::CommandLine { member },
            ),
        ]);
        v.push(self.text(
            "bundle.env",
            Role::BundleMarker,
            Some(&join(&self.m.cert_dir, files::BUNDLE_MARKER)),
            Text::BundleMarker,
        ));
        if !self.plan.one_machine {
            let (install, verify) = (
                Text::InstallScript { member },
                Text::VerifyScript { member },
            );
            v.push(self.text("install.sh", Role::InstallScript, None, install));
            v.push(self.text("verify.sh", Role::VerifyScript, None, verify));
            v.extend(self.metrics());
        }
        v
    }

    /// The CRL, its installer and the drop-in that turns CRLs on: every member of a bundle
    /// with a CRL has them, one added later too.
    fn crl(&self) -> Vec<FilePlan> {
        use super::paths::files::{CRL as CRL_FILE, CRL_DROPIN};
        let member = self.member;
        let dropin_install = format!("/etc/systemd/system/etcd.service.d/{CRL_DROPIN}");
        vec![
            self.pki(CRL_FILE, Role::Crl, Content::Crl),
            self.text(
                "install-crl.sh",
                Role::RunbookScript,
                None,
                Text::InstallCrlScript,
            ),
            self.text(
                "crl.env",
                Role::Runbook,
                None,
                Text::InstallCrlEnv { member },
            ),
            self.text(
                &format!("etcd.service.d/{CRL_DROPIN}"),
                Role::SystemdDropin,
                Some(&dropin_install),
                Text::CrlDropin { member },
            ),
        ]
    }

    /// The expiry metrics script and the systemd units that run it hourly.
    fn metrics(&self) -> [FilePlan; 3] {
        let member = self.member;
        [
            self.text(
                "metrics/etcd-pki-metrics.sh",
                Role::MetricsScript,
                Some(paths::METRICS_SCRIPT_INSTALL_PATH),
                Text::MetricsScript { member },
            ),
            self.text(
                "metrics/etcd-pki-metrics.service",
                Role::MetricsUnit,
                Some(paths::METRICS_SERVICE_INSTALL_PATH),
                Text::MetricsService { member },
            ),
            self.text(
                "metrics/etcd-pki-metrics.timer",
                Role::MetricsUnit,
                Some(paths::METRICS_TIMER_INSTALL_PATH),
                Text::MetricsTimer { member },
            ),
        ]
    }

    /// The JWT signing and verification keys (the same on every member).
    fn jwt(&self) -> Vec<FilePlan> {
        let (key_path, pub_path) = paths::jwt_key_paths(self.m);
        let id = || super::JWT_KEY.to_string();
        let at = |name: &str| format!("{}/pki/{name}", self.base);
        vec![
            file(
                at(files::JWT_KEY),
                Role::JwtKey,
                &self.owner,
                Some(key_path),
                Content::Key(id()),
            ),
            file(
                at(files::JWT_PUB),
                Role::JwtPublicKey,
                &self.owner,
                Some(pub_path),
                Content::PublicKey(id()),
            ),
        ]
    }
}

fn client_files(plan: &Plan, client: usize) -> Vec<FilePlan> {
    let c = &plan.spec.clients[client];
    let owner = Owner::Client(c.name.clone());
    let base = format!("clients/{}", c.name);
    let at = |name: &str| format!("{base}/{name}");
    // kubeadm's kube-apiserver reads its etcd client certificate from a path of its own.
    let apiserver = plan.spec.layout == Layout::Kubeadm && c.kind == ClientKind::KubeApiserver;
    let install = |ext: &str| apiserver.then(|| format!("{}.{ext}", kubeadm::APISERVER_CLIENT));
    let mut v = vec![
        file(
            at(files::CA_CERT),
            Role::CaCert,
            &owner,
            None,
            Content::CaCert,
        ),
        file(
            at("client.crt"),
            Role::ClientCert,
            &owner,
            install("crt"),
            Content::Cert(base.clone()),
        ),
        file(
            at("client.key"),
            Role::ClientKey,
            &owner,
            install("key"),
            Content::Key(base.clone()),
        ),
        file(
            at("etcdctl-env.sh"),
            Role::EtcdctlEnv,
            &owner,
            None,
            Content::Text(Text::EtcdctlEnv { client }),
        ),
    ];
    for (name, snippet) in snippets(c.kind, plan.spec.etcd_version) {
        let t = Text::ClientConfig { client, snippet };
        v.push(file(
            at(name),
            Role::ClientConfig,
            &owner,
            None,
            Content::Text(t),
        ));
    }
    v
}

fn migration_files(plan: &Plan) -> Vec<FilePlan> {
    if plan.spec.migration.is_none() {
        return vec![];
    }
    let mut v = Vec::new();
    let dir = |m: &super::MemberPlan| format!("members/{}/migrate", m.name);
    for (member, m) in plan.members.iter().enumerate() {
        let owner = Owner::Member(m.name.clone());
        for (stage, n) in MigrationStage::ALL {
            let t = Content::Text(Text::MigrationEnv { member, stage });
            v.push(file(
                format!("{}/step{n}.env", dir(m)),
                Role::MigrationFile,
                &owner,
                None,
                t,
            ));
        }
    }
    for (member, m) in plan.members.iter().enumerate() {
        let owner = Owner::Member(m.name.clone());
        let lib = Content::Text(Text::MigrationLib { member });
        v.push(file(
            format!("{}/lib.sh", dir(m)),
            Role::MigrationFile,
            &owner,
            None,
            lib,
        ));
        for (step, name) in MIGRATION_STEPS.iter().enumerate() {
            let t = Content::Text(Text::MigrationStep { member, step });
            v.push(file(
                format!("{}/{name}", dir(m)),
                Role::MigrationStep,
                &owner,
                None,
                t,
            ));
        }
    }
    let readme = Content::Text(Text::MigrationReadme);
    v.push(file(
        "migrate/README.md".into(),
        Role::MigrationFile,
        &Owner::Cluster,
        None,
        readme,
    ));
    v
}
