//! The page's "Next steps" (`pki_core::next_steps`) and the bundle README say the same: every
//! command of the steps is in the README of the same spec's bundle, and each step names files
//! the bundle holds.

use pki_core::next_steps::next_steps;
use pki_core::{ClusterSpec, generate};

fn readme(spec: &ClusterSpec) -> String {
    let b = generate(spec).expect("generates");
    b.file("README.md").unwrap().text().to_string()
}

fn commands(spec: &ClusterSpec) -> Vec<String> {
    let s = next_steps(spec);
    s.members
        .iter()
        .flat_map(|m| &m.steps)
        .chain(&s.cluster)
        .chain(s.clients.iter().flat_map(|c| &c.steps))
        .filter_map(|st| st.command.clone())
        .collect()
}

/// The README shows the first member's commands and the administrator client's (the others
/// differ only by name and host) and every command that is the same on every machine.
fn assert_in_readme(spec: &ClusterSpec) {
    let text = readme(spec);
    let first = &spec.nodes[0].name;
    let admin = spec
        .clients
        .iter()
        .find(|c| c.common_name == "root")
        .or(spec.clients.first())
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let s = next_steps(spec);
    let mut checked = 0;
    for c in commands(spec) {
        let names_another = spec.nodes.iter().any(|n| {
            &n.name != first
                && [
                    format!("members/{} ", n.name),
                    format!("members/{}/", n.name),
                    format!("etcd-pki-{}", n.name),
                    format!(" {}.log", n.name),
                ]
                .iter()
                .any(|p| c.contains(p.as_str()))
        }) || spec
            .clients
            .iter()
            .any(|cl| cl.name != admin && c.contains(&format!("clients/{}/", cl.name)));
        if names_another {
            continue;
        }
        assert!(
            text.contains(&c),
            "the README lacks the next step `{c}`:\n{text}"
        );
        checked += 1;
    }
    assert!(checked >= 4, "{checked} commands checked");
    for m in &s.members {
        let b = generate(spec).unwrap();
        assert!(
            b.files.iter().any(|f| f.path.starts_with(&m.folder)),
            "{} is not a folder of the bundle",
            m.folder
        );
    }
}

fn spec(json: &str) -> ClusterSpec {
    ClusterSpec::from_json(json).unwrap()
}

#[test]
fn install_steps_are_the_readmes() {
    let s = ClusterSpec::template();
    assert_in_readme(&s);
    let steps = next_steps(&s);
    let m = &steps.members[1];
    assert_eq!(m.folder, "members/etcd2/");
    let cmds: Vec<&str> = m
        .steps
        .iter()
        .filter_map(|s| s.command.as_deref())
        .collect();
    assert_eq!(
        cmds,
        [
            "scp -r members/etcd2 root@10.0.0.2:etcd-pki-etcd2",
            "ssh root@10.0.0.2 'cd etcd-pki-etcd2 && bash install.sh'",
            "systemctl enable --now etcd",
            "bash verify.sh --health",
        ]
    );
    assert!(
        steps
            .cluster
            .iter()
            .any(|s| s.command.as_deref() == Some("etcdctl endpoint health --cluster"))
    );
}

#[test]
fn ipv6_members_are_bracketed_for_scp() {
    let s = spec(
        r#"{"nodes": [{"name": "a", "ips": ["2001:db8::1"]}, {"name": "b", "ips": ["2001:db8::2"]}, {"name": "c", "ips": ["2001:db8::3"]}]}"#,
    );
    assert_in_readme(&s);
    let cmds: Vec<String> = next_steps(&s).members[0]
        .steps
        .iter()
        .filter_map(|s| s.command.clone())
        .collect();
    assert_eq!(cmds[0], "scp -r members/a root@[2001:db8::1]:etcd-pki-a");
    assert_eq!(
        cmds[1],
        "ssh root@2001:db8::1 'cd etcd-pki-a && bash install.sh'"
    );
}

#[test]
fn demo_steps_are_the_readmes() {
    let s = ClusterSpec::demo();
    assert_in_readme(&s);
    let steps = next_steps(&s);
    assert!(
        steps
            .cluster
            .iter()
            .any(|s| s.command.as_deref() == Some("bash demo/run.sh"))
    );
}

#[test]
fn kubeadm_and_migration_steps_are_the_readmes() {
    let k = spec(
        r#"{"layout": "kubeadm", "nodes": [{"name": "cp1", "ips": ["10.0.0.1"]}, {"name": "cp2", "ips": ["10.0.0.2"]}, {"name": "cp3", "ips": ["10.0.0.3"]}],
            "clients": [{"name": "etcdctl", "common_name": "root"}, {"name": "apiserver", "common_name": "kube-apiserver", "kind": "kube-apiserver"}]}"#,
    );
    assert_in_readme(&k);
    let text = readme(&k);
    let what = &next_steps(&k).members[0].steps[1].what;
    for path in [
        "/etc/kubernetes/pki/etcd",
        "/etc/kubernetes/manifests/etcd.yaml",
    ] {
        assert!(what.contains(path) && text.contains(path), "{path}");
    }
    let m = spec(
        r#"{"nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}, {"name": "etcd2", "ips": ["10.0.0.2"]}, {"name": "etcd3", "ips": ["10.0.0.3"]}],
            "peer_port": 2381, "migration": {"current_client_port": 2379, "current_peer_port": 2380}}"#,
    );
    let steps = next_steps(&m);
    assert_eq!(
        steps.members[2].steps[1].command.as_deref(),
        Some("cd etcd-pki-etcd3 && bash migrate/1-certs.sh etcd3")
    );
    let runbook = generate(&m)
        .unwrap()
        .file("migrate/README.md")
        .unwrap()
        .text()
        .to_string();
    assert!(runbook.contains("bash migrate/1-certs.sh <member>"));
}

#[test]
fn without_clients_the_steps_say_so() {
    let s = spec(
        r#"{"nodes": [{"name": "a", "ips": ["10.0.0.1"]}, {"name": "b", "ips": ["10.0.0.2"]}, {"name": "c", "ips": ["10.0.0.3"]}], "clients": []}"#,
    );
    let steps = next_steps(&s);
    assert!(steps.clients.is_empty());
    assert!(steps.cluster[0].what.contains("no client certificate"));
    assert!(readme(&s).contains("This bundle has no client certificate"));
}
