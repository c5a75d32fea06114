//! The spec's options, common ones first and the rest folded away; and the spec file
//! buttons (demo, export, import).

use leptos::prelude::*;
use pki_core::{AuthToken, CaLayout, ClusterSpec, EtcdVersion, KeyAlgorithm, Layout, TlsVersion};

use super::{Ctx, FieldErrors, invalid};
use crate::browser;
use reactive_stores::Field;

use crate::form::{Form, FormStoreFields};

/// A labelled text input bound to one raw field of the form (a store field).
#[component]
fn Text(
    id: &'static str,
    label: &'static str,
    path: &'static str,
    #[prop(into)] value: Field<String>,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let described = if hint.is_empty() {
        format!("{id}-errors")
    } else {
        format!("{id}-hint {id}-errors")
    };
    view! {
        <label class="field" for=id>
            <span>{label}</span>
            <input id=id type="text" spellcheck="false"
                aria-describedby=described aria-invalid=move || invalid(ctx, path)
                bind:value=value/>
            {(!hint.is_empty()).then(|| view! { <small class="hint" id=format!("{id}-hint")>{hint}</small> })}
            <FieldErrors path=path.to_string() id=format!("{id}-errors")/>
        </label>
    }
}

/// A labelled select over a fixed list of (value, text).
#[component]
fn Choice(
    id: &'static str,
    label: &'static str,
    path: &'static str,
    choices: Vec<(&'static str, &'static str)>,
    get: fn(&Form) -> &'static str,
    set: fn(&mut Form, &str),
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    view! {
        <label class="field" for=id>
            <span>{label}</span>
            <select id=id aria-describedby=format!("{id}-errors") aria-invalid=move || invalid(ctx, path)
                on:change=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, &v)) }>
                {choices.into_iter().map(|(v, t)| view! {
                    <option value=v selected=move || form.with(get) == v>{t}</option>
                }).collect_view()}
            </select>
            <FieldErrors path=path.to_string() id=format!("{id}-errors")/>
        </label>
    }
}

/// A labelled checkbox bound to one flag of the form.
#[component]
fn Flag(
    id: &'static str,
    label: &'static str,
    get: fn(&Form) -> bool,
    set: fn(&mut Form, bool),
) -> impl IntoView {
    let form = expect_context::<Ctx>().form;
    view! {
        <label class="field check" for=id>
            <input id=id type="checkbox"
                prop:checked=move || form.with(get)
                on:change=move |ev| { let v = event_target_checked(&ev); form.update(|f| set(f, v)) }/>
            <span>{label}</span>
        </label>
    }
}

/// The options card.
#[component]
pub fn Options() -> impl IntoView {
    let form = expect_context::<Ctx>().form;
    let algs: Vec<(&'static str, &'static str)> = KeyAlgorithm::ALL
        .iter()
        .map(|a| {
            (
                a.as_str(),
                match a {
                    KeyAlgorithm::EcdsaP256 => "ECDSA P-256 (fast, default)",
                    KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
                    KeyAlgorithm::Ed25519 => "Ed25519",
                    KeyAlgorithm::Rsa2048 => "RSA 2048",
                    KeyAlgorithm::Rsa3072 => "RSA 3072 (slow)",
                    KeyAlgorithm::Rsa4096 => "RSA 4096 (seconds per key)",
                },
            )
        })
        .collect();
    view! {
        <div class="card">
            <h2>"Options"</h2>
            <Text id="opt-cluster-name" label="Cluster name" path="cluster_name"
                value=form.cluster_name()/>
            <Choice id="opt-key-algorithm" label="Key algorithm" path="key_algorithm" choices=algs
                get=|f| f.key_algorithm.as_str()
                set=|f, v| if let Some(a) = KeyAlgorithm::from_name(v) { f.key_algorithm = a }/>
            <Choice id="opt-ca-layout" label="CA layout" path="ca_layout"
                choices=vec![("root+issuing", "root + issuing CA (root key offline; a new issuing CA needs no restart)"), ("single", "one CA (signs everything; replacing it takes restarts)")]
                get=|f| f.ca_layout.as_str()
                set=|f, v| if let Some(l) = CaLayout::from_name(v) { f.ca_layout = l }/>
            <div class="pair">
                <Text id="opt-cert-days" label="Certificates valid (days)" path="cert_validity_days"
                    value=form.cert_days()/>
                <Text id="opt-ca-days" label="CA valid (days)" path="ca_validity_days"
                    value=form.ca_days()/>
            </div>
            {move || form.with(|f| f.ca_layout.is_layered()).then(|| view! {
                <Text id="opt-root-days" label="Root valid (days)" path="root_validity_days"
                    value=form.root_days()/>
            })}
            <Choice id="opt-etcd-version" label="etcd version" path="etcd_version"
                choices=vec![("3.4", "3.4 (end of life)"), ("3.5", "3.5"), ("3.6", "3.6"), ("3.7", "3.7")]
                get=|f| f.etcd_version.as_str()
                set=|f, v| if let Some(e) = EtcdVersion::ALL.into_iter().find(|e| e.as_str() == v) { f.etcd_version = e }/>
            <CaSubjectFields/>
            <PathsAndPorts/>
            <TlsAndAuth/>
            <MigrationFields/>
        </div>
    }
}

/// The CA's subject (`ca_subject`).
#[component]
fn CaSubjectFields() -> impl IntoView {
    let form = expect_context::<Ctx>().form;
    view! {
        <details>
            <summary>"CA subject"</summary>
            <Text id="opt-ca-cn" label="Common name (CN)" path="ca_subject.common_name"
                value=form.ca_cn()/>
            <Text id="opt-ca-o" label="Organization (O)" path="ca_subject.organization"
                value=form.ca_o()/>
            <Text id="opt-ca-ou" label="Unit (OU)" path="ca_subject.organizational_unit"
                value=form.ca_ou()/>
            <div class="pair">
                <Text id="opt-ca-c" label="Country (C)" path="ca_subject.country"
                    value=form.ca_c()/>
                <Text id="opt-ca-st" label="State (ST)" path="ca_subject.state"
                    value=form.ca_st()/>
            </div>
            <Text id="opt-ca-l" label="Locality (L)" path="ca_subject.locality"
                value=form.ca_l()/>
        </details>
    }
}

/// Folders, ports, the cluster token and the layout.
#[component]
fn PathsAndPorts() -> impl IntoView {
    let form = expect_context::<Ctx>().form;
    view! {
        <details>
            <summary>"Paths and ports"</summary>
            <Text id="opt-cert-dir" label="Certificate folder on members" path="cert_dir"
                hint="{name} becomes the member's name"
                value=form.cert_dir()/>
            <Text id="opt-data-dir" label="etcd data folder" path="data_dir"
                value=form.data_dir()/>
            <div class="pair">
                <Text id="opt-client-port" label="Client port" path="client_port"
                    value=form.client_port()/>
                <Text id="opt-peer-port" label="Peer port" path="peer_port"
                    value=form.peer_port()/>
            </div>
            <Text id="opt-token" label="Initial cluster token" path="initial_cluster_token"
                value=form.token()/>
            <Choice id="opt-layout" label="Layout" path="layout"
                choices=vec![("etcd", "etcd (systemd, certificate folder above)"), ("kubeadm", "kubeadm (/etc/kubernetes/pki/etcd, static pod)")]
                get=|f| match f.layout { Layout::Etcd => "etcd", Layout::Kubeadm => "kubeadm" }
                set=|f, v| f.layout = if v == "kubeadm" { Layout::Kubeadm } else { Layout::Etcd }/>
        </details>
    }
}

/// TLS versions and ciphers, auth tokens, metrics.
#[component]
fn TlsAndAuth() -> impl IntoView {
    let form = expect_context::<Ctx>().form;
    view! {
        <details>
            <summary>"TLS and auth"</summary>
            <Choice id="opt-tls-min" label="Lowest TLS version" path="tls_min_version"
                choices=vec![("", "etcd's default (TLS 1.2+)"), ("TLS1.2", "TLS 1.2 (etcd 3.4.25+, 3.5.8+)"), ("TLS1.3", "TLS 1.3 (etcd 3.4.25+, 3.5.8+)")]
                get=|f| f.tls_min_version.map(|t| t.as_str()).unwrap_or("")
                set=|f, v| f.tls_min_version = match v { "TLS1.2" => Some(TlsVersion::Tls12), "TLS1.3" => Some(TlsVersion::Tls13), _ => None }/>
            <Text id="opt-ciphers" label="Cipher suites" path="cipher_suites"
                hint="Go names, comma-separated; empty for Go's secure default"
                value=form.cipher_suites()/>
            <Choice id="opt-auth-token" label="Auth tokens" path="auth_token"
                choices=vec![("jwt", "JWT, signed with a generated key"), ("simple", "simple (etcd's default; etcd warns that it is unsigned)")]
                get=|f| match f.auth_token { AuthToken::Simple => "simple", AuthToken::Jwt => "jwt" }
                set=|f, v| f.auth_token = if v == "jwt" { AuthToken::Jwt } else { AuthToken::Simple }/>
            <Text id="opt-metrics-url" label="Metrics listener" path="metrics_url"
                hint="e.g. http://127.0.0.1:2381; empty for none"
                value=form.metrics_url()/>
        </details>
    }
}

/// The plain-HTTP migration section (`migration`).
#[component]
fn MigrationFields() -> impl IntoView {
    let form = expect_context::<Ctx>().form;
    view! {
        <details id="migration">
            <summary>"Migrating a running plain-HTTP cluster"</summary>
            <p class="hint">"The members above, as they run today on http://. The bundle then holds migrate/: \
                a runbook and one script per step that moves them to TLS one member at a time, without downtime. \
                Today's peer port must differ from the peer port above: each member listens on both during the move."</p>
            <Flag id="opt-migrate" label="This cluster runs today on plain HTTP"
                get=|f| f.migrate set=|f, v| f.migrate = v/>
            <div class="pair">
                <Text id="opt-mig-client-port" label="Today's client port (http)" path="migration.current_client_port"
                    value=form.mig_client_port()/>
                <Text id="opt-mig-peer-port" label="Today's peer port (http)" path="migration.current_peer_port"
                    value=form.mig_peer_port()/>
            </div>
            <Flag id="opt-mig-cert-auth" label="Require client certificates at the end"
                get=|f| f.mig_cert_auth set=|f, v| f.mig_cert_auth = v/>
        </details>
    }
}

/// Demo, export and import of the spec file.
#[component]
pub fn SpecFileButtons() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let import_error = RwSignal::new(None::<String>);
    let export = move |_| {
        let spec = ctx.spec.get_untracked();
        let _ = browser::download(
            spec.to_json().as_bytes(),
            &format!("{}-spec.json", spec.cluster_name),
            "application/json",
        );
    };
    let import = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|l| l.get(0)) else {
            return;
        };
        input.set_value("");
        let name = file.name();
        if file.size() > pki_core::spec::MAX_SPEC_BYTES as f64 {
            import_error.set(Some(format!(
                "{name} is {} bytes; a spec is a few kilobytes (at most {} accepted). Nothing was changed.",
                file.size(),
                pki_core::spec::MAX_SPEC_BYTES
            )));
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let result = browser::read_text(file)
                .await
                .and_then(|text| ClusterSpec::from_json(&text).map_err(|e| e.to_string()));
            match result {
                Ok(spec) => {
                    crate::form::replace(ctx.form, Form::from_spec(&spec));
                    super::existing_ca::form_replaced();
                    ctx.forget_keys();
                    // A real cluster's CA key: the passphrase is asked for again.
                    ctx.ca_key.update(|k| k.unencrypted = false);
                    import_error.set(None);
                }
                Err(e) => import_error.set(Some(format!("{name}: {e}. Nothing was changed."))),
            }
        });
    };
    view! {
        <div class="spec-buttons">
            <button id="demo" title="Three members on 127.0.0.1-3 of one machine, with scripts to run them"
                on:click=move |_| {
                    // One click to a demo: one throwaway CA (a root would need a passphrase of
                    // its own: a root key is always encrypted), its key not encrypted, and the
                    // ticked box in the CA key section says so.
                    let demo = ClusterSpec { ca_layout: CaLayout::Single, ..ClusterSpec::demo() };
                    crate::form::replace(ctx.form, Form::from_spec(&demo));
                    super::existing_ca::form_replaced();
                    ctx.forget_keys();
                    ctx.ca_key.set(crate::ca_key::CaKeyInput { unencrypted: true, ..Default::default() });
                }>
                "Load demo"
            </button>
            <button id="spec-export" on:click=export>"Export spec"</button>
            // The file input itself takes the focus (its label is what shows): the label is
            // styled as focused when it is (style.css).
            <input id="spec-import" type="file" accept=".json,application/json" class="visually-hidden"
                aria-describedby="import-status" on:change=import/>
            <label class="button" for="spec-import">"Import spec…"</label>
            <div id="import-status" aria-live="polite">
                {move || import_error.get().map(|e| view! { <div id="import-error" class="field-error" role="alert">{e}</div> })}
            </div>
        </div>
    }
}
