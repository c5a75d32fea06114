//! "Revoke": which certificates go on the new CRL, and the request pki-core gets.

use leptos::prelude::*;

use crate::ui::{Ctx, GenState};
use protocol::ChangeRequest;

use super::*;

/// "Revoke": clients of the opened bundle, members removed from it (by name, as `etcd-pki
/// revoke --member`), or serials pasted; a reason and the CRL's next update; pki-core's
/// `revoke::revoke` makes the new bundle.
#[component]
pub(super) fn Revoke() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let picked = RwSignal::new(Vec::<String>::new());
    let picked_members = RwSignal::new(Vec::<String>::new());
    let serials = RwSignal::new(String::new());
    let unlisted = RwSignal::new(String::new());
    let reason = RwSignal::new("key-compromise".to_string());
    let days = RwSignal::new("30".to_string());
    let error = RwSignal::new(None::<String>);
    // pki-core's refusal of the last revocation, beside the fieldset too.
    let refused = move || {
        let mine = d
            .last
            .with(|l| matches!(l, Some(ChangeRequest::Revoke { .. })));
        match ctx.status.get() {
            GenState::Failed(e) if mine => Some(e),
            _ => None,
        }
    };
    let go = move |_| {
        let request = revoke_request(
            d,
            &days.get_untracked(),
            RevokeTargets {
                clients: picked.get_untracked(),
                members: picked_members.get_untracked(),
                serials: serials.get_untracked(),
                unlisted: unlisted.get_untracked(),
                reason: reason.get_untracked(),
            },
        );
        match request {
            Ok(change) => {
                error.set(None);
                run_change(ctx, d, change);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <h3>"Revoke"</h3>
        <fieldset id="revoke">
            <legend class="hint">"Revoked certificates go on a CRL signed by the CA, in every member's folder with install-crl.sh (no restart, except the first time)."</legend>
            <RevokeClientChecks picked/>
            <RevokeRemovedChecks picked=picked_members/>
            <label class="field" for="revoke-serials">
                <span>"Serials of this bundle's certificates (hex; a member's, a client's)"</span>
                <input id="revoke-serials" type="text" prop:value=move || serials.get()
                    on:input=move |ev| serials.set(event_target_value(&ev))/>
            </label>
            <label class="field" for="revoke-unlisted">
                <span>"Serials of an earlier bundle's certificates (a renewed key's, a removed member's this bundle does not list)"</span>
                <input id="revoke-unlisted" type="text" prop:value=move || unlisted.get()
                    on:input=move |ev| unlisted.set(event_target_value(&ev))/>
            </label>
            <label class="field" for="revoke-reason">
                <span>"Reason"</span>
                <select id="revoke-reason" on:change=move |ev| reason.set(event_target_value(&ev))>
                    {pki_core::crl::RevocationReason::ALL.map(|r| view! {
                        <option value=r.as_str() selected=r.as_str() == "key-compromise">{r.as_str()}</option>
                    }).to_vec()}
                </select>
            </label>
            <label class="field" for="revoke-next-update">
                <span>"Days until the CRL's next update"</span>
                <input id="revoke-next-update" type="number" min="1" max="3650" prop:value=move || days.get()
                    aria-describedby="revoke-error"
                    on:input=move |ev| days.set(event_target_value(&ev))/>
            </label>
            <button id="revoke-go" on:click=go>"Revoke and make the new bundle"</button>
            <div id="revoke-error" class="field-error" aria-live="polite" data-testid="field-error" data-path="revoke">{move || error.get().or_else(refused)}</div>
        </fieldset>
    }
}

/// What the Revoke fieldset holds when Revoke is pressed.
pub(super) struct RevokeTargets {
    clients: Vec<String>,
    members: Vec<String>,
    serials: String,
    unlisted: String,
    reason: String,
}

/// The revocation to ask pki-core for, or what is missing for one (the CA key, a number of
/// days).
pub(super) fn revoke_request(
    d: DayTwo,
    days: &str,
    t: RevokeTargets,
) -> Result<ChangeRequest, String> {
    if let Some(why) = d.unfinished_kit() {
        return Err(why);
    }
    if !matches!(d.ca.get_untracked(), CaStatus::Ok(_)) {
        return Err("Give the CA key first (above): a CRL is signed by the CA.".into());
    }
    let Ok(next_update_days) = days.trim().parse::<u32>() else {
        return Err("Next update: give a whole number of days, 1 to 3650 (e.g. 30).".into());
    };
    let split = |s: &str| {
        s.split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    Ok(ChangeRequest::Revoke {
        clients: t.clients,
        members: t.members,
        serials: split(&t.serials),
        unlisted: split(&t.unlisted),
        reason: t.reason,
        next_update_days,
    })
}

/// One checkbox per client of the opened bundle.
#[component]
pub(super) fn RevokeClientChecks(picked: RwSignal<Vec<String>>) -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let clients = move || {
        d.opened.with(|o| {
            o.as_ref().map_or(vec![], |o| {
                o.spec
                    .clients
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    view! {
        {move || clients().into_iter().map(|c| {
            let id = format!("revoke-client-{c}");
            let c2 = c.clone();
            view! {
                <label class="field check" for=id.clone()>
                    <input id=id.clone() type="checkbox" on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        picked.update(|p| { p.retain(|x| x != &c2); if on { p.push(c2.clone()); } });
                    }/>
                    <span>{format!("client {c}")}</span>
                </label>
            }
        }).collect_view()}
    }
}

/// One checkbox per member removed in an earlier change (its serials, and whether they are
/// revoked already).
#[component]
pub(super) fn RevokeRemovedChecks(picked: RwSignal<Vec<String>>) -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let removed = move || {
        d.opened.with(|o| {
            o.as_ref()
                .map_or(vec![], |o| o.facts.removed_members.clone())
        })
    };
    view! {
        {move || removed().into_iter().map(|m| {
            let id = format!("revoke-member-{}", m.name);
            let name = m.name.clone();
            let text = if m.revoked {
                format!("removed member {} (serials {}): revoked", m.name, m.serials.join(", "))
            } else {
                format!("removed member {} (serials {})", m.name, m.serials.join(", "))
            };
            view! {
                <label class="field check" for=id.clone()>
                    <input id=id.clone() type="checkbox" on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        picked.update(|p| { p.retain(|x| x != &name); if on { p.push(name.clone()); } });
                    }/>
                    <span>{text}</span>
                </label>
            }
        }).collect_view()}
    }
}
