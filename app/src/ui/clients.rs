//! The client list, with presets for the usual consumers.

use leptos::prelude::*;
use pki_core::ClientKind;
use reactive_stores::Field;

use super::row::{Row, bound};
use super::{Ctx, FieldErrors, focus_soon, invalid};
use crate::form::{ClientRow as ClientRowData, ClientRowStoreFields, FormStoreFields, remove_row};

/// The client list.
#[component]
pub fn Clients() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
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
                    <ForEnumerate each=move || form.clients() key=|row| row.key()
                        children=move |index, row| view! { <ClientRow id=row.key() index row/> }/>
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
fn ClientRow(
    id: u64,
    index: ReadSignal<usize>,
    #[prop(into)] row: Field<ClientRowData>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    let me = Row::client(id, index, row.name().into());
    let (path, label, errors) = (
        move |field| me.path(field),
        move |what| me.label(what),
        move |field: &str| me.errors_id(field),
    );
    // Roles and grants come from the spec or the preset; the row shows them.
    let grants = move || {
        let mut parts: Vec<String> = row
            .roles()
            .try_with(|rs| rs.iter().map(|r| format!("role {r}")).collect())
            .unwrap_or_default();
        if let Some(gs) = row.grants().try_with(|gs| {
            gs.iter()
                .map(|g| format!("{} {}", g.permission.as_str(), g.key_prefix))
                .collect::<Vec<_>>()
        }) {
            parts.extend(gs);
        }
        parts.join(", ")
    };
    let kind = move || row.kind().try_get().map_or("", label_of);
    let who = move || me.who();
    let bad = move |field: &'static str| move || invalid(ctx, &path(field).get());
    let locked = move || super::existing_ca::row_locked(id);
    view! {
        <tr data-testid="client-row" class:locked=locked>
            <td>
                <super::existing_ca::RowMark id/>
                <input data-testid="client-name" prop:disabled=locked type="text" spellcheck="false" aria-label=label("Name")
                    aria-describedby=errors("name") aria-invalid=bad("name")
                    bind:value=bound(row.name())/>
                <FieldErrors path=path("name") id=errors("name")/>
            </td>
            <td>
                <input data-testid="client-cn" prop:disabled=locked type="text" spellcheck="false" aria-label=label("Common name (etcd user)")
                    aria-describedby=errors("cn") aria-invalid=bad("common_name")
                    bind:value=bound(row.cn())/>
                <FieldErrors path=path("common_name") id=errors("cn")/>
            </td>
            <td>
                <input data-testid="client-org" prop:disabled=locked type="text" spellcheck="false" aria-label=label("Organization")
                    aria-describedby=errors("org") aria-invalid=bad("organization")
                    bind:value=bound(row.org())/>
                <FieldErrors path=path("organization") id=errors("org")/>
            </td>
            <td class="kind">
                {kind}
                <div class="grants">{grants}</div>
            </td>
            <td class="buttons">
                <button data-testid="client-remove" prop:disabled=locked title="Remove" class="danger" aria-label=move || format!("Remove {}", who())
                    on:click=move |_| {
                        remove_row(&mut form.clients().write(), id);
                        focus_soon("#client-add");
                    }>"✕"</button>
            </td>
        </tr>
    }
}
