//! The runbook steps of a change, in the order to run them ([`crate::runbook::Operation`]):
//! learner adds and promotions, removals, renewals.

#[allow(unused_imports)]
use super::*;

/// The runbook steps and, in `new_plan.joining`, each new member's initial cluster.
pub(super) fn operations(
    change: &Change,
    old_members: &[MemberPlan],
    new_plan: &mut Plan,
    added: &[String],
    removed: &[String],
    renewed: &[String],
    opened: Option<&OpenedBundle>,
) -> Result<Vec<Operation>, Error> {
    if *change == Change::Generate {
        return Ok(Vec::new());
    }
    let mut steps = MembershipSteps {
        one_machine: new_plan.one_machine,
        etcdctl_env: etcdctl_env(new_plan)?,
        new_members: &new_plan.members,
        opened,
        now_members: old_members.to_vec(),
        ops: Vec::new(),
        joining: Vec::new(),
    };
    if removes_first(old_members.len()) {
        removed.iter().for_each(|r| steps.remove(r));
        added.iter().for_each(|a| steps.add(a));
    } else {
        added.iter().for_each(|a| steps.add(a));
        removed.iter().for_each(|r| steps.remove(r));
    }
    let (mut ops, joining) = (steps.ops, steps.joining);
    new_plan.joining = joining;
    ops.extend(renew_operations(new_plan, renewed, added));
    Ok(ops)
}

/// The adds and removes of a change, one after another, each against the cluster as the
/// steps before it left it (its endpoints, its initial cluster).
pub(super) struct MembershipSteps<'a> {
    /// Every member on this machine (a one-machine bundle): a new member is started by
    /// `demo/run.sh`, there is no install.sh.
    one_machine: bool,
    /// The administrator's `etcdctl-env.sh`, which every runbook sources.
    etcdctl_env: String,
    /// The members of the new plan, where an added member is found.
    new_members: &'a [MemberPlan],
    /// The bundle changed, whose records hold a removed member's certificates.
    opened: Option<&'a OpenedBundle>,
    /// The cluster as it is while the steps run.
    now_members: Vec<MemberPlan>,
    /// The steps so far.
    ops: Vec<Operation>,
    /// Each added member and the `--initial-cluster` it starts with.
    joining: Vec<(String, String)>,
}

impl MembershipSteps<'_> {
    /// Removes member `name` (a no-op if the cluster has no such member now).
    fn remove(&mut self, name: &str) {
        let Some(at) = self.now_members.iter().position(|m| m.name == name) else {
            return;
        };
        let m = self.now_members.remove(at);
        self.ops.push(Operation::RemoveMember {
            name: m.name.clone(),
            peer_urls: vec![m.advertise_peer_url.clone()],
            endpoints: plan::client_endpoints(&self.now_members),
            data_dir: m.data_dir.clone(),
            cert_dir: m.cert_dir.clone(),
            revoke: self
                .opened
                .map(|o| member_serials(o, name))
                .unwrap_or_default(),
            etcdctl_env: self.etcdctl_env.clone(),
        });
    }

    /// Adds member `name` of the new plan (a no-op if the new plan has none): asked of the
    /// members there now, it starts with the cluster grown by itself.
    fn add(&mut self, name: &str) {
        let Some(m) = self.new_members.iter().find(|m| m.name == name).cloned() else {
            return;
        };
        let endpoints = plan::client_endpoints(&self.now_members);
        self.now_members.push(m.clone());
        let grown = plan::initial_cluster(&self.now_members);
        self.joining.push((m.name.clone(), grown.clone()));
        self.ops.push(Operation::AddMember {
            name: m.name.clone(),
            peer_urls: vec![m.advertise_peer_url.clone()],
            client_url: m.advertise_client_urls.first().cloned().unwrap_or_default(),
            endpoints,
            initial_cluster: grown,
            etcdctl_env: self.etcdctl_env.clone(),
            one_machine: self.one_machine,
        });
    }
}

/// The certificates of member `name` in `opened`, as the remove runbook revokes them: (file
/// name, serial in upper-case hex without colons).
pub(super) fn member_serials(opened: &OpenedBundle, name: &str) -> Vec<(String, String)> {
    opened
        .state
        .certificates
        .iter()
        .filter(|r| r.member.as_deref() == Some(name))
        .map(|r| {
            let file = r
                .paths
                .first()
                .map_or(r.id.as_str(), |p| p.rsplit('/').next().unwrap_or(p));
            (file.to_string(), r.serial.replace(':', "").to_uppercase())
        })
        .collect()
}

/// Members whose certificates are issued again, and stay: swap them in place.
pub(super) fn renew_operations(
    new_plan: &Plan,
    renewed: &[String],
    added: &[String],
) -> Vec<Operation> {
    let mut ops = Vec::new();
    for m in &new_plan.members {
        let prefix = format!("members/{}/", m.name);
        let touched = renewed.iter().any(|id| id.starts_with(&prefix));
        if touched && !added.contains(&m.name) {
            ops.push(Operation::Renew {
                name: m.name.clone(),
                ips: m.ips.clone(),
                cert_dir: m.cert_dir.clone(),
                client_port: new_plan.spec.client_port,
                peer_port: new_plan.spec.peer_port,
            });
        }
    }
    ops
}

/// The administrator client's `etcdctl-env.sh`, which the runbooks use.
pub(super) fn etcdctl_env(p: &Plan) -> Result<String, Error> {
    let client = p.check_client().ok_or_else(|| {
        refuse(
            "clients",
            "the spec has no client the runbook could run etcdctl as; add an administrator client (common_name root)",
        )
    })?;
    p.files
        .iter()
        .find(|f| f.role == Role::EtcdctlEnv && f.owner == plan::Owner::Client(client.name.clone()))
        .map(|f| f.path.clone())
        .ok_or_else(|| {
            refuse(
                "clients",
                format!(
                    "client {:?} has no etcdctl-env.sh in the bundle",
                    client.name
                ),
            )
        })
}

/// The runbooks are files of the plan like the others: checked now, before any key is made,
/// and rendered and packaged with the rest.
pub(super) fn prepare_runbooks(new_plan: &mut Plan, operations: &[Operation]) -> Result<(), Error> {
    let mut prepared = Vec::new();
    for op in operations {
        prepared.extend(runbook::files(op)?.iter().map(runbook::file_plan));
    }
    new_plan.prepare(prepared);
    Ok(())
}
