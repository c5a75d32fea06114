//! The member table, and pasting members in /etc/hosts form.

use leptos::prelude::*;

use super::{Ctx, FieldErrors};

/// The member table.
#[component]
pub fn Members() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    let ids = move || form.with(|f| f.nodes.iter().map(|n| n.id).collect::<Vec<_>>());
    let hosts = RwSignal::new(String::new());
    let hosts_msg = RwSignal::new(None::<Result<String, String>>);
    let apply = move |_| {
        let text = hosts.get();
        let mut f = form.get();
        let msg = f.apply_hosts(&text).map(|n| format!("{n} members read"));
        if msg.is_ok() {
            form.set(f);
            hosts.set(String::new());
        }
        hosts_msg.set(Some(msg));
    };
    view! {
        <div class="card">
            <h2>"Members"</h2>
            <p class="hint">"One row per etcd member. The first IP is the address peers and clients use; every IP and DNS name goes into the member's certificates."</p>
            <FieldErrors path="nodes".to_string()/>
            <table class="grid members">
                <thead>
                    <tr><th>"Name"</th><th>"IP addresses"</th><th>"DNS names"</th><th></th></tr>
                </thead>
                <tbody>
                    <For each=ids key=|id| *id children=move |id| view! { <MemberRow id/> }/>
                </tbody>
            </table>
            <div class="row-actions">
                <button id="member-add" on:click=move |_| form.update(|f| f.add_node())>"+ Add member"</button>
            </div>
            <details class="paste">
                <summary>"Paste from /etc/hosts"</summary>
                <textarea id="hosts-paste" rows="4" placeholder="10.0.0.1 etcd1 etcd1.example.com"
                    prop:value=move || hosts.get()
                    on:input=move |ev| hosts.set(event_target_value(&ev))></textarea>
                <button id="hosts-apply" on:click=apply>"Replace members"</button>
                {move || hosts_msg.get().map(|m| match m {
                    Ok(t) => view! { <span class="ok">{t}</span> }.into_any(),
                    Err(e) => view! { <span class="field-error">{e}</span> }.into_any(),
                })}
            </details>
        </div>
    }
}

#[component]
fn MemberRow(id: u64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    let idx = move || form.with(|f| f.node_index(id)).unwrap_or(usize::MAX);
    let get = move |pick: fn(&crate::form::NodeRow) -> String| {
        move || {
            form.with(|f| {
                f.nodes
                    .iter()
                    .find(|n| n.id == id)
                    .map(pick)
                    .unwrap_or_default()
            })
        }
    };
    let set = move |apply: fn(&mut crate::form::NodeRow, String)| {
        move |ev| {
            let v = event_target_value(&ev);
            form.update(|f| {
                if let Some(n) = f.nodes.iter_mut().find(|n| n.id == id) {
                    apply(n, v)
                }
            })
        }
    };
    let path =
        move |field: &'static str| Signal::derive(move || format!("nodes[{}].{field}", idx()));
    view! {
        <tr data-testid="member-row" class:locked=move || super::daytwo::row_locked(id)>
            <td>
                <super::daytwo::RowMark id/>
                <input data-testid="member-name" type="text" spellcheck="false" aria-label="member name"
                    prop:disabled=move || super::daytwo::row_locked(id)
                    prop:value=get(|n| n.name.clone()) on:input=set(|n, v| n.name = v)/>
                <FieldErrors path=path("name")/>
            </td>
            <td>
                <input data-testid="member-ips" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" placeholder="10.0.0.1" aria-label="IP addresses"
                    prop:value=get(|n| n.ips.clone()) on:input=set(|n, v| n.ips = v)/>
                <FieldErrors path=path("ips")/>
            </td>
            <td>
                <input data-testid="member-dns" prop:disabled=move || super::daytwo::row_locked(id) type="text" spellcheck="false" placeholder="etcd1.example.com" aria-label="DNS names"
                    prop:value=get(|n| n.dns.clone()) on:input=set(|n, v| n.dns = v)/>
                <FieldErrors path=path("dns_names")/>
            </td>
            <td class="buttons">
                <button data-testid="member-up" title="Move up" on:click=move |_| form.update(|f| f.move_node(id, -1))>"↑"</button>
                <button data-testid="member-down" title="Move down" on:click=move |_| form.update(|f| f.move_node(id, 1))>"↓"</button>
                <button data-testid="member-remove" title="Remove" class="danger" prop:disabled=move || super::daytwo::row_locked(id) on:click=move |_| form.update(|f| f.remove_node(id))>"✕"</button>
            </td>
        </tr>
    }
}
