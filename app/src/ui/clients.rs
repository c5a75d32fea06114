//! The client list, with presets for the usual consumers.

use leptos::prelude::*;
use pki_core::ClientKind;

use super::row::Row;
use super::{Ctx, FieldErrors, focus_soon, invalid};
use crate::form::ClientRow as ClientRowData;

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
            <FieldErrors path="clients".to_string() id="clients-errors"/>
            <table class="grid clients" aria-describedby="clients-errors">
                <thead>
                    <tr><th>"Name"</th><th>"CN (etcd user)"</th><th>"O"</th><th>"Kind"</th><th><span class="visually-hidden">"Remove"</span></th></tr>
                </thead>
                <tbody>
                    <For each=ids key=|id| *id children=move |id| view! { <ClientRow id/> }/>
                </tbody>
            </table>
            <div class="row-actions">
                <select id="client-preset" aria-label="Kind of client to add"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(k) = ClientKind::ALL.into_iter().find(|k| k.as_str() == v) {
                            preset.set(k)
                        }
                    }>
                    {ClientKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || preset.get() == k>{label_of(k)}</option>
                    }).collect_view()}
                </select>
                <button id="client-add" on:click=move |_| {
                    form.update(|f| f.add_client(preset.get_untracked()));
                    focus_soon("[data-testid=client-row]:last-child [data-testid=client-name]");
                }>"+ Add client"</button>
            </div>
        </div>
    }
}

fn label_of(k: ClientKind) -> &'static str {
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
    let row = Row::<ClientRowData>::new(form, id);
    let (get, set, path, label) = (
        move |pick| row.get(pick),
        move |apply| row.set(apply),
        move |field| row.path(field),
        move |what| row.label(what),
    );
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
    let who = move || row.who();
    let errors = move |field: &str| row.errors_id(field);
    let bad = move |field: &'static str| move || invalid(ctx, &path(field).get());
    view! {
        <tr data-testid="client-row" class:locked=move || super::daytwo::row_locked(id)>
            <td>
                <super::daytwo::RowMark id/>
                <input data-testid="client-name" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" aria-label=label("Name")
                    aria-describedby=errors("name") aria-invalid=bad("name")
                    prop:value=get(|c| c.name.clone()) on:input=set(|c, v| c.name = v)/>
                <FieldErrors path=path("name") id=errors("name")/>
            </td>
            <td>
                <input data-testid="client-cn" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" aria-label=label("Common name (etcd user)")
                    aria-describedby=errors("cn") aria-invalid=bad("common_name")
                    prop:value=get(|c| c.cn.clone()) on:input=set(|c, v| c.cn = v)/>
                <FieldErrors path=path("common_name") id=errors("cn")/>
            </td>
            <td>
                <input data-testid="client-org" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" aria-label=label("Organization")
                    aria-describedby=errors("org") aria-invalid=bad("organization")
                    prop:value=get(|c| c.org.clone()) on:input=set(|c, v| c.org = v)/>
                <FieldErrors path=path("organization") id=errors("org")/>
            </td>
            <td class="kind">
                {move || form.with(|f| f.clients.iter().find(|c| c.id == id).map(|c| label_of(c.kind)).unwrap_or(""))}
                <div class="grants">{grants}</div>
            </td>
            <td class="buttons">
                <button data-testid="client-remove" prop:disabled=move || super::daytwo::row_locked(id) title="Remove" class="danger" aria-label=move || format!("Remove {}", who())
                    on:click=move |_| {
                        form.update(|f| f.remove_client(id));
                        focus_soon("#client-add");
                    }>"✕"</button>
            </td>
        </tr>
    }
}
