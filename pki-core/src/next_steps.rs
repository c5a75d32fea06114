//! What to do with a bundle once it is made, as plain data: for each member, the folder to
//! copy to which host, the one command to run there, how to start and check it; then the
//! checks of the whole cluster and the clients. The page's "Next steps" panel shows it; the
//! bundle README (`render/readme.rs`) gives the same commands in prose, and
//! `tests/next_steps.rs` checks that every command here is in that README.
//!
//! Pure: it reads only the spec. Call it on a validated spec (the one a bundle was made
//! from): names are then allowlisted (`rules.rs`: letters, digits, `.`, `_`, `-`) and
//! addresses parse, so the commands need no quoting.

use std::net::IpAddr;

use crate::spec::{Client, ClusterSpec, Layout, Node};

/// One thing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Where: `this machine, in the unpacked bundle`, `etcd1 (10.0.0.1), as root`.
    pub place: String,
    /// What it does, one sentence.
    pub what: String,
    /// The command to type, if the step is one.
    pub command: Option<String>,
}

/// One member's steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSteps {
    /// The member's name.
    pub name: String,
    /// The address it is reached at (its first IP).
    pub host: String,
    /// Its folder in the bundle: `members/<name>/`.
    pub folder: String,
    /// In order.
    pub steps: Vec<Step>,
}

/// One client's steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSteps {
    /// The client's name.
    pub name: String,
    /// The etcd user its certificate names (its CN).
    pub user: String,
    /// Its folder in the bundle: `clients/<name>/`.
    pub folder: String,
    /// In order.
    pub steps: Vec<Step>,
}

/// Everything to do, in order: each member, then the cluster, then the clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextSteps {
    /// A sentence on the whole procedure (one machine, kubeadm, migration, or install).
    pub summary: String,
    /// Per member.
    pub members: Vec<MemberSteps>,
    /// Once every member runs: check the cluster, then turn auth on.
    pub cluster: Vec<Step>,
    /// Per client.
    pub clients: Vec<ClientSteps>,
}

const WORKSTATION: &str = "this machine, in the unpacked bundle";

fn step(place: &str, what: &str, command: Option<String>) -> Step {
    Step {
        place: place.to_string(),
        what: what.to_string(),
        command,
    }
}

/// `ip` as scp wants it: IPv6 in brackets.
fn scp_host(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => ip.to_string(),
    }
}

/// The four ways a bundle is put to work; every step and the summary depend on which.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Procedure {
    /// Every member on a loopback address ([`ClusterSpec::is_one_machine`]): the demo.
    OneMachine,
    /// A running plain-HTTP cluster moved to TLS (`migrate/`).
    Migration,
    /// kubeadm's static pods.
    Kubeadm,
    /// One machine per member, installed by `install.sh` under systemd.
    Install,
}

impl Procedure {
    /// The procedure of `spec`; the first that applies, in the order above.
    fn of(spec: &ClusterSpec) -> Procedure {
        if spec.is_one_machine() {
            Procedure::OneMachine
        } else if spec.migration.is_some() {
            Procedure::Migration
        } else if spec.layout == Layout::Kubeadm {
            Procedure::Kubeadm
        } else {
            Procedure::Install
        }
    }

    /// The sentence on the whole procedure.
    fn summary(self) -> &'static str {
        match self {
            Procedure::OneMachine => {
                "Every member is on a loopback address: the whole cluster runs on this machine, no root needed."
            }
            Procedure::Migration => {
                "The members run etcd on plain HTTP today: copy each member its folder, then follow migrate/README.md one step and one member at a time."
            }
            Procedure::Kubeadm => {
                "kubeadm layout: each control-plane node gets its certificates and etcd's static pod manifest."
            }
            Procedure::Install => {
                "Each member gets its own folder and nothing else; install it there, start all members, then check the cluster from a client."
            }
        }
    }
}

/// The steps for the bundle of `spec`.
pub fn next_steps(spec: &ClusterSpec) -> NextSteps {
    let procedure = Procedure::of(spec);
    NextSteps {
        summary: procedure.summary().to_string(),
        members: spec
            .nodes
            .iter()
            .map(|n| member_steps(n, procedure))
            .collect(),
        cluster: cluster_steps(spec, procedure),
        clients: spec.clients.iter().map(client_steps).collect(),
    }
}

/// One member's steps: its folder to its machine, then what `procedure` does there.
fn member_steps(n: &Node, procedure: Procedure) -> MemberSteps {
    let host = n.ips.first().cloned().unwrap_or_default();
    let there = format!("{} ({host}), as root", n.name);
    let dir = format!("etcd-pki-{}", n.name);
    let copy = step(
        WORKSTATION,
        &format!(
            "Copy {}'s folder, and nothing else, to {}: it holds its keys and no other machine's.",
            n.name, n.name
        ),
        Some(format!(
            "scp -r members/{} root@{}:{dir}",
            n.name,
            scp_host(&host)
        )),
    );
    let steps = match procedure {
        Procedure::OneMachine => vec![step(
            WORKSTATION,
            &format!(
                "{} runs here, on {host}: demo/run.sh starts it with the others (or by hand, from the unpacked bundle).",
                n.name
            ),
            Some(format!(
                "bash -c 'set -a; . members/{n}/etcd.env; set +a; exec etcd' > {n}.log 2>&1 & echo $! >> etcd.pids",
                n = n.name
            )),
        )],
        Procedure::Migration => vec![
            copy,
            step(
                &there,
                "The cluster runs on plain HTTP today: migrate/README.md moves it to TLS one member at a time. Its first step on this member puts the certificates in place, without a restart; each script says what comes next.",
                Some(format!("cd {dir} && bash migrate/1-certs.sh {}", n.name)),
            ),
        ],
        Procedure::Kubeadm => vec![
            Step {
                command: None,
                ..copy
            },
            step(
                &there,
                "Copy pki/* to /etc/kubernetes/pki/etcd/ (keys 0600) and kubernetes/etcd.yaml to /etc/kubernetes/manifests/etcd.yaml; kubelet starts etcd from it.",
                None,
            ),
        ],
        Procedure::Install => install_steps(copy, &host, &there, &dir),
    };
    MemberSteps {
        name: n.name.clone(),
        host,
        folder: format!("members/{}/", n.name),
        steps,
    }
}

/// A member installed by `install.sh` (after `copy`): install, start, verify.
fn install_steps(copy: Step, host: &str, there: &str, dir: &str) -> Vec<Step> {
    vec![
        copy,
        step(
            WORKSTATION,
            "Install it there: install.sh puts the files in place with the right owners and modes and reloads systemd; it refuses a machine without the member's address (--dry-run shows what it would do).",
            Some(format!("ssh root@{host} 'cd {dir} && bash install.sh'")),
        ),
        step(
            there,
            "Start it, within a minute or so of the other members (each waits for the others).",
            Some("systemctl enable --now etcd".to_string()),
        ),
        step(
            &format!("{there}, in {dir}/"),
            "Check the installed files with openssl and ask etcd for the member's health.",
            Some("bash verify.sh --health".to_string()),
        ),
    ]
}

/// Once every member runs: the demo's start and stop, then the checks as the check client
/// (the administrator, else the first client: any client can ask for health) and `rbac.sh`.
fn cluster_steps(spec: &ClusterSpec, procedure: Procedure) -> Vec<Step> {
    let mut cluster = Vec::new();
    if procedure == Procedure::OneMachine {
        cluster.push(step(
            WORKSTATION,
            "Start every member, wait for health, put and get a key over TLS.",
            Some("bash demo/run.sh".to_string()),
        ));
        cluster.push(step(
            WORKSTATION,
            "Stop them (--clean also removes data/).",
            Some("bash demo/stop.sh".to_string()),
        ));
    }
    match spec.check_client() {
        Some(a) => cluster.extend(check_steps(a)),
        None => cluster.push(step(
            WORKSTATION,
            "This bundle has no client certificate, so nothing can connect yet; add a client (e.g. CN root) and regenerate.",
            None,
        )),
    }
    cluster
}

/// The cluster checked with client `a`'s certificate, then auth turned on.
fn check_steps(a: &Client) -> Vec<Step> {
    let place = format!(
        "a machine that reaches the members, with clients/{}/",
        a.name
    );
    vec![
        step(
            &place,
            &format!(
                "Use {}'s certificate (etcd user \"{}\").",
                a.name, a.common_name
            ),
            Some(format!(". clients/{}/etcdctl-env.sh", a.name)),
        ),
        step(
            &place,
            "Every member must say it is healthy.",
            Some("etcdctl endpoint health --cluster".to_string()),
        ),
        step(
            &place,
            "The members, with their peer and client URLs.",
            Some("etcdctl member list -w table".to_string()),
        ),
        step(
            &place,
            "A write and a read over TLS.",
            Some("etcdctl put /etcd-pki/check ok && etcdctl get /etcd-pki/check".to_string()),
        ),
        step(
            WORKSTATION,
            "Once the cluster is up: create root and one user per client CN with its roles and grants, then turn auth on (certificates name users only then). Safe to run again.",
            Some("bash rbac.sh".to_string()),
        ),
    ]
}

/// One client's steps: its folder to its machine only, then etcdctl as its user.
fn client_steps(c: &Client) -> ClientSteps {
    ClientSteps {
        name: c.name.clone(),
        user: c.common_name.clone(),
        folder: format!("clients/{}/", c.name),
        steps: vec![
            step(
                WORKSTATION,
                &format!(
                    "Copy clients/{}/ to the machine that runs {}, and only there.",
                    c.name, c.name
                ),
                None,
            ),
            step(
                &format!("the machine that runs {}", c.name),
                &format!(
                    "etcdctl then talks to every member as etcd user \"{}\".",
                    c.common_name
                ),
                Some(format!(". clients/{}/etcdctl-env.sh", c.name)),
            ),
            step(
                &format!("the machine that runs {}", c.name),
                "Every member must say it is healthy.",
                Some("etcdctl endpoint health --cluster".to_string()),
            ),
        ],
    }
}
