//! The opened bundle's certificates and CRL in a table: expiry, what applies, pki-core's
//! lints, and the Renew choices per member or client.

use leptos::prelude::*;

use crate::change_form::Renew;

use super::*;

/// pki-core's lints about `path` (a certificate's id, `crl.next_update`), as lines.
pub(super) fn lint_lines(lints: &[protocol::Lint], path: &str) -> impl IntoView + use<> {
    lints
        .iter()
        .filter(|l| l.path == path)
        .map(|l| view! {
            <p class=if l.error { "field-error" } else { "field-warning" } data-testid="bundle-lint" data-path=l.path.clone()>
                {format!("{}: {}", if l.error { "Error" } else { "Warning" }, l.message)}</p>
        })
        .collect_view()
}

/// One certificate's row: its facts, its lints, and whether the next bundle renews it.
pub(super) fn cert_row(
    d: DayTwo,
    r: protocol::CertLine,
    lints: impl IntoView + 'static,
    owners: impl Fn() -> Vec<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let owner = r.owner.clone();
    let renewable = !owner.is_empty();
    let o2 = owner.clone();
    let marked = move || d.renew.with(|x| x.covers(&o2));
    let o3 = owner.clone();
    let label = format!("Renew {}", r.id);
    view! {
        <tr data-testid="bundle-cert" data-id=r.id.clone() data-revoked=r.revoked.to_string()>
            <td>{r.id.clone()}</td>
            <td><code>{r.serial.clone()}</code></td>
            <td>{r.expires.clone()}</td>
            <td>{r.days_left}</td>
            <td data-testid="cert-action">{r.action.clone()}{lints}</td>
            <td>{renewable.then(|| view! {
                <label class="check">
                    <input type="checkbox" aria-label=label prop:checked=marked.clone()
                        on:change=move |_| { let all = owners(); d.renew.update(|x| x.toggle(&o3, &all)) }/>
                    {move || if marked() { " renew" } else { " kept" }}
                </label>
            })}</td>
        </tr>
    }
}

/// The opened bundle's certificates, their expiry, what applies, pki-core's lints beside the
/// certificate (or CRL) they are about, and Renew (all, or per member or client).
#[component]
pub(super) fn BundleCerts() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let owners = move || {
        d.opened.with(|o| {
            o.as_ref().map_or(vec![], |o| {
                let s = &o.spec;
                s.nodes
                    .iter()
                    .map(|n| n.name.clone())
                    .chain(s.clients.iter().map(|c| c.name.clone()))
                    .collect::<Vec<_>>()
            })
        })
    };
    let facts = move || {
        d.opened
            .with(|o| o.as_ref().map(|o| o.facts.clone()).unwrap_or_default())
    };
    let lints_at = move |path: &str| lint_lines(&facts().lints, path);
    let other_lints = move || {
        let f = facts();
        let known = |p: &str| {
            p == "crl.next_update" || p.starts_with("crl") || f.certs.iter().any(|c| c.id == p)
        };
        f.lints
            .iter()
            .filter(|l| !known(&l.path))
            .map(|l| view! {
                <li class=if l.error { "field-error" } else { "field-warning" } data-testid="bundle-lint" data-path=l.path.clone()>
                    {format!("{}: {}", l.path, l.message)}</li>
            })
            .collect_view()
    };
    view! {
        <h3>"What the bundle holds"</h3>
        <p class="hint">"Existing members and clients are locked: their certificates exist and stay as they are. New member rows are additions; Renew replaces certificates (and keys)."</p>
        <ul id="bundle-lints">{other_lints}</ul>
        <button id="renew-all" aria-pressed=move || (d.renew.get() == Renew::All).to_string()
            on:click=move |_| d.renew.update(|r| *r = if *r == Renew::All { Renew::None } else { Renew::All })>
            "Renew all certificates"</button>
        <label class="field check" for="renew-keep-keys">
            <input id="renew-keep-keys" type="checkbox" prop:checked=move || d.keep_keys.get()
                on:change=move |ev| d.keep_keys.set(event_target_checked(&ev))/>
            <span>"Keep the keys: new certificates for the same keys (as renew --keep-keys; no key leaves the bundle's machines again)"</span>
        </label>
        <table class="grid certs" id="bundle-certs">
            <thead><tr><th>"Certificate"</th><th>"Serial"</th><th>"Expires"</th><th>"Days left"</th><th>"What applies"</th><th>"Next bundle"</th></tr></thead>
            <tbody>
                {move || facts().certs.into_iter().map(|r| {
                    let lints = lints_at(&r.id);
                    cert_row(d, r, lints, owners)
                }).collect_view()}
                {move || facts().crl.map(|c| view! {
                    <tr data-testid="bundle-crl">
                        <td>"CRL (next update)"</td>
                        <td>{format!("{} revoked", c.revoked)}</td>
                        <td>{c.next_update.clone()}</td>
                        <td>{c.days_left}</td>
                        <td data-testid="cert-action">{c.action.clone()}{lints_at("crl.next_update")}</td>
                        <td></td>
                    </tr>
                })}
            </tbody>
        </table>
    }
}
