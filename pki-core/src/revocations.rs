//! What a bundle carries of its revocations, for every operation that writes one (revoke,
//! and the day-two changes and CA rotations that keep them): the CRL in every member's
//! folder with its installer and systemd drop-in, the CRL flags in kubeadm static pods, the
//! warning atop the YAML config, rbac.sh without the revoked clients, and `spec.json`'s
//! records (the revocations, the removed members' certificates). Below [`crate::revoke`] and
//! [`crate::daytwo`], which both use it.

use crate::crl;
use crate::error::Error;
use crate::kit::{self, CRL_FILE, KitOp};
use crate::package::state::{BundleState, Revocations};
use crate::package::{Bundle, OpenedBundle};
use crate::plan::{Owner, Role};
use crate::render::BundleFile;
use crate::runbook;

/// The drop-in that turns CRLs on, in a member's `etcd.service.d/`.
pub const CRL_DROPIN: &str = "20-etcd-pki-crl.conf";
/// The first lines of a member's `etcd.conf.yml` once CRLs are on.
const YAML_NO_CRL: &[u8] = b"# DO NOT START etcd WITH THIS FILE while CRLs are on (etcd-pki revoke): with \
--config-file\n# etcd ignores every flag and ETCD_* variable, and this YAML has no CRL key, so revoked\n\
# certificates would be accepted. Use etcd.env and the etcd.service.d/ drop-ins (install.sh).\n";

/// Puts the CRL `der` and its files into every member's folder of `bundle` and `revocations`
/// into its `spec.json` (replacing what was there). The caller refreshes the manifest.
pub(crate) fn attach(
    bundle: &mut Bundle,
    revocations: &Revocations,
    der: &[u8],
) -> Result<(), Error> {
    let members = bundle.plan.members.clone();
    let mut add = Vec::new();
    for m in &members {
        let owner = Owner::Member(m.name.clone());
        let dir = format!("members/{}", m.name);
        add.push(BundleFile {
            path: format!("{dir}/pki/{CRL_FILE}"),
            role: Role::Crl,
            owner: owner.clone(),
            mode: 0o644,
            install_path: Some(format!("{}/{CRL_FILE}", m.cert_dir.trim_end_matches('/'))),
            cert: None,
            contents: der.to_vec(),
        });
        for f in kit::files(&KitOp::InstallCrl {
            name: m.name.clone(),
            ips: m.ips.clone(),
            cert_dir: m.cert_dir.clone(),
        })? {
            let mut b = runbook::bundle_file(&f);
            b.owner = owner.clone();
            add.push(b);
        }
        let mut dropin = String::from(
            "# Turns certificate revocation lists on for etcd (etcd-pki revoke). A drop-in of its\n\
             # own, after 10-etcd-pki.conf: install.sh of a later bundle leaves it in place.\n\
             # etcd reads the CRL file at every new connection; this setting only at start.\n\
             [Service]\n",
        );
        // cert_dir passed the spec's path allowlist ([A-Za-z0-9._/-], no `%`): safe inside
        // systemd's double quotes, with no specifier to expand.
        for (k, v) in kit::crl_env(&m.cert_dir) {
            dropin.push_str(&format!("Environment=\"{k}={v}\"\n"));
        }
        add.push(BundleFile {
            path: format!("{dir}/etcd.service.d/{CRL_DROPIN}"),
            role: Role::SystemdDropin,
            owner,
            mode: 0o644,
            install_path: Some(format!("/etc/systemd/system/etcd.service.d/{CRL_DROPIN}")),
            cert: None,
            contents: dropin.into_bytes(),
        });
    }
    for f in add {
        bundle.files.retain(|x| x.path != f.path);
        bundle.files.push(f);
    }
    crl_flags_in_static_pods(bundle)?;
    // The YAML config cannot carry the CRL: say so at its top, where whoever starts etcd
    // with it reads (install-crl.sh also refuses a member running with --config-file).
    for f in bundle
        .files
        .iter_mut()
        .filter(|f| f.role == Role::EtcdConfigYaml && !f.contents.starts_with(YAML_NO_CRL))
    {
        let mut text = YAML_NO_CRL.to_vec();
        text.extend_from_slice(&f.contents);
        f.contents = text;
    }
    let state = edit_state(bundle, |s| s.revocations = Some(revocations.clone()))?;
    // rbac.sh makes no user for a revoked client (rbac-revoke.sh removes the one it made).
    let skip = revoked_clients(&state, revocations);
    if !skip.is_empty() {
        let rbac = crate::render::rbac::render_without(&bundle.plan, &skip)?;
        for f in bundle
            .files
            .iter_mut()
            .filter(|f| f.role == Role::RbacScript)
        {
            f.contents = rbac.clone().into_bytes();
        }
    }
    Ok(())
}

/// The kubeadm layout: each member's static pod manifest passes etcd `--client-crl-file` and
/// `--peer-crl-file` (the CRL in cert_dir, which the pod mounts at the same path).
fn crl_flags_in_static_pods(bundle: &mut Bundle) -> Result<(), Error> {
    for m in &bundle.plan.members {
        let path = format!("members/{}/kubernetes/etcd.yaml", m.name);
        let Some(at) = bundle
            .files
            .iter()
            .position(|f| f.role == Role::StaticPod && f.path == path)
        else {
            continue;
        };
        let [(_, crl), _] = kit::crl_env(&m.cert_dir);
        let text = crate::render::kubeadm::static_pod_with_crl(&bundle.plan, m, Some(&crl))?;
        bundle.files[at].contents = text.into_bytes();
    }
    Ok(())
}

/// Rewrites the new `bundle`'s `spec.json` with `edit`; returns the state as written.
fn edit_state(
    bundle: &mut Bundle,
    edit: impl FnOnce(&mut BundleState),
) -> Result<BundleState, Error> {
    let state_file = bundle
        .files
        .iter_mut()
        .find(|f| f.role == Role::State)
        .ok_or_else(|| Error::BadBundle("the new bundle has no spec.json".into()))?;
    let mut state: BundleState = serde_json::from_slice(&state_file.contents)
        .map_err(|e| Error::BadBundle(format!("spec.json: {e}")))?;
    edit(&mut state);
    let mut text = serde_json::to_string_pretty(&state).unwrap_or_default();
    text.push('\n');
    state_file.contents = text.into_bytes();
    Ok(state)
}

/// Keeps in the new `bundle`'s `spec.json` the removed members' certificates `opened` lists and
/// adds those of the members `removed` now, so that `revoke --member NAME` finds them later.
pub(crate) fn carry_removed_members(
    bundle: &mut Bundle,
    opened: &OpenedBundle,
    removed: &[String],
) -> Result<(), Error> {
    let leaving = opened
        .state
        .certificates
        .iter()
        .filter(|c| c.member.as_ref().is_some_and(|m| removed.contains(m)));
    let records: Vec<_> = opened
        .state
        .removed_members
        .iter()
        .chain(leaving)
        .cloned()
        .collect();
    if records.is_empty() {
        return Ok(());
    }
    edit_state(bundle, |s| s.removed_members = records).map(|_| ())
}

/// The clients of `state` whose current certificate is on `revocations`, compared by serial: a
/// client renewed after its revocation holds a new certificate and is not revoked.
pub(crate) fn revoked_clients(state: &BundleState, revocations: &Revocations) -> Vec<String> {
    let revoked: Vec<Vec<u8>> = revocations
        .revoked
        .iter()
        .filter_map(|r| crl::parse_serial(&r.serial).ok())
        .collect();
    let mut names: Vec<String> = Vec::new();
    for c in &state.certificates {
        if let Some(name) = &c.client
            && crl::parse_serial(&c.serial).is_ok_and(|s| revoked.contains(&s))
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    }
    names
}
