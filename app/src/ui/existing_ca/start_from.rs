//! "Where the CA comes from": a new CA, an existing CA's files, or an opened bundle.

use leptos::prelude::*;

use crate::change_form::Source;
use crate::ui::Ctx;

use super::*;

/// "Where the CA comes from": new, an existing CA, or an opened bundle.
#[component]
pub fn StartFrom() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let choose = move |s: Source| {
        move |_: leptos::ev::Event| {
            if d.source.get_untracked() != s {
                ctx.forget_keys();
                d.forget();
                d.source.set(s);
            }
        }
    };
    let radio = move |id: &'static str, s: Source, label: &'static str| {
        view! {
            <label class="field check" for=id>
                <input id=id type="radio" name="ca-source" prop:checked=move || d.source.get() == s
                    on:change=choose(s)/>
                <span>{label}</span>
            </label>
        }
    };
    view! {
        <section class="card daytwo" aria-labelledby="daytwo-title">
            <h2 id="daytwo-title">"Where the CA comes from"</h2>
            <fieldset>
                <legend class="hint">"A new cluster gets a new CA; a cluster that has one keeps it."</legend>
                {radio("source-new", Source::NewCa, "Make a new CA")}
                {radio("source-existing", Source::ExistingCa, "Use an existing CA (kubeadm, cfssl, easy-rsa, openssl, or etcd-pki's own)")}
                {radio("source-bundle", Source::Bundle, "Open a bundle etcd-pki made (add members, renew)")}
            </fieldset>
            {move || match d.source.get() {
                Source::NewCa => ().into_any(),
                Source::ExistingCa => view! { <CaFiles with_cert=true/> }.into_any(),
                Source::Bundle => view! { <OpenBundle/> }.into_any(),
            }}
        </section>
    }
}
