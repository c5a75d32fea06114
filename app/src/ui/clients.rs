//! The client list, with presets for the usual consumers.

use leptos::prelude::*;
use pki_core::ClientKind;

use super::{Ctx, FieldErrors};

/// The client list.
#[component]
pub fn Clients() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    let ids = move || form.with(|f| f.clients.iter().map(|c| c.id).collect::<Vec<_>>());
    let preset = RwSignal::new(ClientKind::Etcdctl);
    view! {
        <div class="card">
            <h2>"Clients"</h2>
            <p class="hint">"Each gets a client certificate. Its CN is the etcd user once auth is enabled (root for an administrator)."</p>
            <FieldErrors path="clients".to_string()/>
            <table class="grid clients">
                <thead>
                    <tr><th>"Name"</th><th>"CN (etcd user)"</th><th>"O"</th><th>"Kind"</th><th></th></tr>
                </thead>
                <tbody>
                    <For each=ids key=|id| *id children=move |id| view! { <ClientRow id/> }/>
                </tbody>
            </table>
            <div class="row-actions">
                <select id="client-preset" aria-label="client preset"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(k) = ClientKind::ALL.into_iter().find(|k| k.as_str() == v) {
                            preset.set(k)
                        }
                    }>
                    {ClientKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || preset.get() == k>{label(k)}</option>
                    }).collect_view()}
                </select>
                <button id="client-add" on:click=move |_| form.update(|f| f.add_client(preset.get_untracked()))>"+ Add client"</button>
            </div>
        </div>
    }
}

fn label(k: ClientKind) -> &'static str {
    match k {
        ClientKind::Etcdctl => "etcdctl (root)",
        ClientKind::KubeApiserver => "kube-apiserver",
        ClientKind::Flannel => "flannel",
        ClientKind::Calico => "Calico",
        ClientKind::NetworkingVpp => "networking-vpp",
        ClientKind::Patroni => "Patroni",
        ClientKind::Coredns => "CoreDNS",
        ClientKind::Apisix => "APISIX",
        ClientKind::Traefik => "Traefik",
        ClientKind::Generic => "blank",
    }
}

#[component]
fn ClientRow(id: u64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    let idx = move || form.with(|f| f.client_index(id)).unwrap_or(usize::MAX);
    let get = move |pick: fn(&crate::form::ClientRow) -> String| {
        move || {
            form.with(|f| {
                f.clients
                    .iter()
                    .find(|c| c.id == id)
                    .map(pick)
                    .unwrap_or_default()
            })
        }
    };
    let set = move |apply: fn(&mut crate::form::ClientRow, String)| {
        move |ev| {
            let v = event_target_value(&ev);
            form.update(|f| {
                if let Some(c) = f.clients.iter_mut().find(|c| c.id == id) {
                    apply(c, v)
                }
            })
        }
    };
    let path =
        move |field: &'static str| Signal::derive(move || format!("clients[{}].{field}", idx()));
    let grants = move || {
        form.with(|f| {
            f.clients.iter().find(|c| c.id == id).map(|c| {
                let mut parts: Vec<String> = c.roles.iter().map(|r| format!("role {r}")).collect();
                parts.extend(
                    c.grants
                        .iter()
                        .map(|g| format!("{} {}", g.permission.as_str(), g.key_prefix)),
                );
                parts.join(", ")
            })
        })
        .unwrap_or_default()
    };
    view! {
        <tr data-testid="client-row" class:locked=move || super::daytwo::row_locked(id)>
            <td>
                <super::daytwo::RowMark id/>
                <input data-testid="client-name" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" aria-label="client name"
                    prop:value=get(|c| c.name.clone()) on:input=set(|c, v| c.name = v)/>
                <FieldErrors path=path("name")/>
            </td>
            <td>
                <input data-testid="client-cn" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" aria-label="common name"
                    prop:value=get(|c| c.cn.clone()) on:input=set(|c, v| c.cn = v)/>
                <FieldErrors path=path("common_name")/>
            </td>
            <td>
                <input data-testid="client-org" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" aria-label="organization"
                    prop:value=get(|c| c.org.clone()) on:input=set(|c, v| c.org = v)/>
                <FieldErrors path=path("organization")/>
            </td>
            <td class="kind">
                {move || form.with(|f| f.clients.iter().find(|c| c.id == id).map(|c| label(c.kind)).unwrap_or(""))}
                <div class="grants">{grants}</div>
            </td>
            <td class="buttons">
                <button data-testid="client-remove" title="Remove" class="danger" prop:disabled=move || super::daytwo::row_locked(id) on:click=move |_| form.update(|f| f.remove_client(id))>"✕"</button>
            </td>
        </tr>
    }
}
