//! The member table, and pasting members in /etc/hosts form.

use leptos::prelude::*;
use reactive_stores::Field;

use super::row::{Row, bound};
use super::{Ctx, FieldErrors, focus_soon, invalid};
use crate::form::{FormStoreFields, NodeRow, NodeRowStoreFields, move_row, remove_row, replace};

/// The member table.
#[component]
pub fn Members() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    let hosts = RwSignal::new(String::new());
    let hosts_msg = RwSignal::new(None::<Result<String, String>>);
    let apply = move |_| {
        let text = hosts.get();
        let mut f = form.get();
        let msg = f.apply_hosts(&text).map(|n| format!("{n} members read"));
        if msg.is_ok() {
            replace(form, f);
            hosts.set(String::new());
        }
        hosts_msg.set(Some(msg));
    };
    view! {
        <div class="card">
            <h2>"Members"</h2>
            <p class="hint">"One row per etcd member. The first IP is the address peers and clients use; every IP and DNS name goes into the member's certificates."</p>
            <FieldErrors path="nodes".to_string() id="members-errors"/>
            <table class="grid members" aria-describedby="members-errors">
                <thead>
                    <tr><th>"Name"</th><th>"IP addresses"</th><th>"DNS names"</th><th><span class="visually-hidden">"Order, remove"</span></th></tr>
                </thead>
                <tbody>
                    <ForEnumerate each=move || form.nodes() key=|row| row.key()
                        children=move |index, row| view! { <MemberRow id=row.key() index row/> }/>
                </tbody>
            </table>
            <div class="row-actions">
                <button id="member-add" on:click=move |_| {
                    form.update(|f| f.add_node());
                    ctx.last_added.set(form.with_untracked(|f| f.nodes.last().map(|n| n.id)));
                    focus_soon("[data-testid=member-row]:last-child [data-testid=member-name]");
                }>"+ Add member"</button>
            </div>
            <details class="paste">
                <summary>"Paste from /etc/hosts"</summary>
                <textarea id="hosts-paste" rows="4" placeholder="10.0.0.1 etcd1 etcd1.example.com"
                    aria-label="Lines of /etc/hosts: an address, then the member's name and DNS names"
                    prop:value=move || hosts.get()
                    on:input=move |ev| hosts.set(event_target_value(&ev))></textarea>
                <button id="hosts-apply" on:click=apply>"Replace members"</button>
                <span aria-live="polite">{move || hosts_msg.get().map(|m| match m {
                    Ok(t) => view! { <span class="ok">{t}</span> }.into_any(),
                    Err(e) => view! { <span class="field-error">{e}</span> }.into_any(),
                })}</span>
            </details>
        </div>
    }
}

#[component]
fn MemberRow(
    id: u64,
    index: ReadSignal<usize>,
    #[prop(into)] row: Field<NodeRow>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.form;
    let me = Row::member(id, index, row.name().into());
    let (path, label, errors) = (
        move |field| me.path(field),
        move |what| me.label(what),
        move |field: &str| me.errors_id(field),
    );
    let who = move || me.who();
    let bad = move |field: &'static str| move || invalid(ctx, &path(field).get());
    let locked = move || super::existing_ca::row_locked(id);
    view! {
        <tr data-testid="member-row" class:locked=locked>
            <td>
                <super::existing_ca::RowMark id/>
                <input data-testid="member-name" prop:disabled=locked type="text" spellcheck="false" aria-label=label("Name")
                    aria-describedby=errors("name") aria-invalid=bad("name")
                    bind:value=bound(row.name())/>
                <FieldErrors path=path("name") id=errors("name")/>
            </td>
            <td>
                <input data-testid="member-ips" prop:disabled=locked type="text" spellcheck="false" placeholder="10.0.0.1" aria-label=label("IP addresses")
                    aria-describedby=errors("ips") aria-invalid=bad("ips")
                    bind:value=bound(row.ips())/>
                <FieldErrors path=path("ips") id=errors("ips")/>
            </td>
            <td>
                <input data-testid="member-dns" prop:disabled=locked type="text" spellcheck="false" placeholder="etcd1.example.com" aria-label=label("DNS names")
                    aria-describedby=errors("dns") aria-invalid=bad("dns_names")
                    bind:value=bound(row.dns())/>
                <FieldErrors path=path("dns_names") id=errors("dns")/>
            </td>
            <td class="buttons">
                <button data-testid="member-up" title="Move up" aria-label=move || format!("Move {} up", who())
                    on:click=move |_| move_row(&mut form.nodes().write(), id, -1)>"↑"</button>
                <button data-testid="member-down" title="Move down" aria-label=move || format!("Move {} down", who())
                    on:click=move |_| move_row(&mut form.nodes().write(), id, 1)>"↓"</button>
                <button data-testid="member-remove" prop:disabled=locked title="Remove" class="danger" aria-label=move || format!("Remove {}", who())
                    on:click=move |_| {
                        remove_row(&mut form.nodes().write(), id);
                        // The row (and the focus with it) is gone: back to "Add member".
                        focus_soon("#member-add");
                    }>"✕"</button>
            </td>
        </tr>
    }
}
