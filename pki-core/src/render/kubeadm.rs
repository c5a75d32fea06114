//! The kubeadm layout: kubeadm's paths and names, and the static pod manifest kubelet runs
//! etcd from (`/etc/kubernetes/manifests/etcd.yaml`), so a cluster made here can replace
//! kubeadm's own stacked etcd certificates or be used as its external etcd.

use super::quote::yaml;
use super::settings::member_settings;
pub use crate::options::kubeadm::{
    APISERVER_CLIENT, CERT_DIR, HEALTHCHECK_CN, MANIFEST_PATH, METRICS_URL,
};
use crate::plan::{MemberPlan, Plan};
use crate::spec::EtcdVersion;

/// Renders `members/<name>/kubernetes/etcd.yaml`.
pub fn static_pod(plan: &Plan, m: &MemberPlan) -> String {
    let spec = &plan.spec;
    let metrics = spec.metrics_url.as_deref().unwrap_or(METRICS_URL);
    let (host, port) = metrics
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .rsplit_once(':')
        .unwrap_or(("127.0.0.1", "2381"));
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let (live, ready) = match spec.etcd_version {
        EtcdVersion::V3_4 => ("/health", "/health"),
        EtcdVersion::V3_5 => (
            "/health?exclude=NOSPACE&serializable=true",
            "/health?serializable=false",
        ),
        EtcdVersion::V3_6 | EtcdVersion::V3_7 => ("/livez", "/readyz"),
    };
    let mut command = String::new();
    for s in member_settings(plan, m) {
        command.push_str(&format!(
            "    - {}\n",
            yaml(&format!("--{}={}", s.flag, s.value.flat()))
        ));
    }
    let probe = |path: &str, failures: u32| {
        format!(
            "      failureThreshold: {failures}\n      httpGet:\n        host: {host}\n        path: {path}\n        port: {port}\n        scheme: HTTP\n      initialDelaySeconds: 10\n      periodSeconds: 10\n      timeoutSeconds: 15\n"
        )
    };
    format!(
        "# Static pod for etcd member {name} of cluster {cluster} (etcd-pki, kubeadm layout).\n\
         # Install as {MANIFEST_PATH}; kubelet starts it. Certificates in {CERT_DIR}.\n\
         apiVersion: v1\n\
         kind: Pod\n\
         metadata:\n\
         \x20 annotations:\n\
         \x20   kubeadm.kubernetes.io/etcd.advertise-client-urls: {adv}\n\
         \x20 labels:\n\
         \x20   component: etcd\n\
         \x20   tier: control-plane\n\
         \x20 name: etcd\n\
         \x20 namespace: kube-system\n\
         spec:\n\
         \x20 containers:\n\
         \x20 - command:\n\
         \x20   - etcd\n\
         {command}\
         \x20   image: {image}\n\
         \x20   imagePullPolicy: IfNotPresent\n\
         \x20   livenessProbe:\n{live}\
         \x20   name: etcd\n\
         \x20   resources:\n\
         \x20     requests:\n\
         \x20       cpu: 100m\n\
         \x20       memory: 100Mi\n\
         \x20   startupProbe:\n{startup}\
         \x20   volumeMounts:\n\
         \x20   - mountPath: {data}\n\
         \x20     name: etcd-data\n\
         \x20   - mountPath: {CERT_DIR}\n\
         \x20     name: etcd-certs\n\
         \x20 hostNetwork: true\n\
         \x20 priority: 2000001000\n\
         \x20 priorityClassName: system-node-critical\n\
         \x20 securityContext:\n\
         \x20   seccompProfile:\n\
         \x20     type: RuntimeDefault\n\
         \x20 volumes:\n\
         \x20 - hostPath:\n\
         \x20     path: {CERT_DIR}\n\
         \x20     type: DirectoryOrCreate\n\
         \x20   name: etcd-certs\n\
         \x20 - hostPath:\n\
         \x20     path: {data}\n\
         \x20     type: DirectoryOrCreate\n\
         \x20   name: etcd-data\n",
        name = m.name,
        cluster = spec.cluster_name,
        adv = yaml(&m.advertise_client_urls.first().cloned().unwrap_or_default()),
        image = spec.etcd_version.kubeadm_image(),
        live = probe(live, 8),
        startup = probe(ready, 24),
        data = yaml(&m.data_dir),
    )
}
