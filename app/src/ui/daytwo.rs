//! Day two on the page: "Use an existing CA" (its certificate and key, the passphrase when
//! the key is encrypted) and "Open a bundle" (its zip, then the CA key). The files' bytes live
//! in these signals only (wiped when dropped) and move to a key worker for every check and
//! for the change itself; the PKI logic is pki-core's, called there.

use std::sync::Arc;

use leptos::prelude::*;
use pki_core::ClusterSpec;
use zeroize::Zeroizing;

use super::{Ctx, GenState, Generated};
use crate::browser;
use crate::daytwo::{self, Renew, Seen, Source};
use crate::form::Form;
use crate::keygen::{self, CaRefusal, ChangeInputs};
use crate::protocol::{CaFacts, CaField, ChangeRequest, OpenedFacts};

/// A file the person picked or dropped: its name and bytes (wiped on drop).
pub struct Picked {
    /// Its file name.
    pub name: String,
    /// Its bytes.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// An opened bundle: its zip, its spec and what pki-core found in it (on a worker).
pub struct Opened {
    /// The zip's file name.
    pub name: String,
    /// The zip (it holds every member's key).
    pub zip: Zeroizing<Vec<u8>>,
    /// The spec in its `spec.json`.
    pub spec: ClusterSpec,
    /// Its certificates, CRL and lints.
    pub facts: OpenedFacts,
}

/// Where the CA check stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum CaStatus {
    /// Not every file is there yet.
    #[default]
    Waiting,
    /// A worker is reading it.
    Checking,
    /// Read and accepted.
    Ok(CaFacts),
    /// Refused.
    Refused(CaRefusal),
}

/// The day-two signals, provided beside [`Ctx`].
#[derive(Clone, Copy)]
pub struct DayTwo {
    /// Where the CA comes from.
    pub source: RwSignal<Source>,
    /// The existing CA's certificate (picked, or read out of the opened bundle).
    pub ca_cert: RwSignal<Option<Arc<Picked>>>,
    /// The existing CA's key.
    pub ca_key: RwSignal<Option<Arc<Picked>>>,
    /// Its passphrase as typed (never stored).
    pub passphrase: RwSignal<String>,
    /// The key is encrypted: show the passphrase field.
    pub needs_passphrase: RwSignal<bool>,
    /// The CA check.
    pub ca: RwSignal<CaStatus>,
    /// The opened bundle.
    pub opened: RwSignal<Option<Arc<Opened>>>,
    /// Why the zip could not be opened.
    pub zip_error: RwSignal<Option<String>>,
    /// What to renew.
    pub renew: RwSignal<Renew>,
    /// The form rows (member and client row ids) restored from the opened bundle: locked.
    pub locked_rows: RwSignal<Vec<u64>>,
    /// The last change asked for (its refusal is shown beside the control that asked).
    pub last: RwSignal<Option<ChangeRequest>>,
    /// Renew keeps every key (`renew --keep-keys`).
    pub keep_keys: RwSignal<bool>,
    /// The person says the opened kit's rotation is done on every member
    /// (`--previous-rotation-done`).
    pub previous_done: RwSignal<bool>,
    /// Every line's newest bundle opened in this page (kept when another is opened).
    pub seen: RwSignal<Vec<Seen>>,
    /// The opened bundle is older than one opened before: what to say.
    pub older: RwSignal<Option<String>>,
}

impl DayTwo {
    fn new() -> DayTwo {
        DayTwo {
            source: RwSignal::new(Source::NewCa),
            ca_cert: RwSignal::new(None),
            ca_key: RwSignal::new(None),
            passphrase: RwSignal::new(String::new()),
            needs_passphrase: RwSignal::new(false),
            ca: RwSignal::new(CaStatus::Waiting),
            opened: RwSignal::new(None),
            zip_error: RwSignal::new(None),
            renew: RwSignal::new(Renew::None),
            locked_rows: RwSignal::new(vec![]),
            last: RwSignal::new(None),
            keep_keys: RwSignal::new(false),
            previous_done: RwSignal::new(false),
            seen: RwSignal::new(vec![]),
            older: RwSignal::new(None),
        }
    }

    /// Drops every file and the passphrase (their bytes are wiped as they go).
    fn forget(&self) {
        self.ca_cert.set(None);
        self.ca_key.set(None);
        self.passphrase.set(String::new());
        self.needs_passphrase.set(false);
        self.ca.set(CaStatus::Waiting);
        self.opened.set(None);
        self.zip_error.set(None);
        self.renew.set(Renew::None);
        self.keep_keys.set(false);
        self.previous_done.set(false);
        self.older.set(None);
        self.locked_rows.set(vec![]);
    }

    /// Why no bundle can be made from the opened one: it is the kit of a CA rotation whose
    /// steps may still run, and the person has not said they are done.
    fn unfinished_kit(&self) -> Option<String> {
        let kind = self
            .opened
            .with(|o| o.as_ref().and_then(|o| o.facts.pending_rotation.clone()))?;
        (!self.previous_done.get()).then(|| {
            let e = crate::protocol::unfinished_kit(&kind);
            format!("{}{}.", e[..1].to_uppercase(), &e[1..])
        })
    }

    /// Sends the CA certificate and key (and the passphrase, once asked for) to a worker.
    fn check(&self) {
        let (Some(cert), Some(key)) = (self.ca_cert.get_untracked(), self.ca_key.get_untracked())
        else {
            self.ca.set(CaStatus::Waiting);
            return;
        };
        let pass = self.passphrase.get_untracked();
        let pass = (self.needs_passphrase.get_untracked() && !pass.is_empty()).then_some(pass);
        self.ca.set(CaStatus::Checking);
        let me = *self;
        keygen::when_idle(move || {
            keygen::check_ca(&cert.bytes, &key.bytes, pass.as_deref(), move |r| {
                if let Err(e) = &r
                    && e.needs_passphrase
                {
                    me.needs_passphrase.set(true);
                }
                me.ca.set(match r {
                    Ok(f) => CaStatus::Ok(f),
                    Err(e) => CaStatus::Refused(e),
                });
            })
        });
    }
}

/// The day-two signals, if the page has them.
pub fn day_two() -> Option<DayTwo> {
    use_context::<DayTwo>()
}

/// Provides the day-two signals (called once by `App`).
pub fn provide() {
    provide_context(DayTwo::new());
}

/// Whether the form row `id` (member or client) came from the opened bundle: its
/// certificates exist, so it is locked.
pub fn row_locked(id: u64) -> bool {
    day_two().is_some_and(|d| d.locked_rows.with(|r| r.contains(&id)))
}

/// The whole form was replaced (the demo, an imported spec, an /etc/hosts paste): its rows are
/// not the opened bundle's any more, and row ids start over in every form, so no lock stays.
pub fn form_replaced() {
    if let Some(d) = day_two() {
        d.locked_rows.set(vec![]);
    }
}

/// Whether the form row `id` is an addition to the opened bundle.
pub fn row_added(id: u64) -> bool {
    day_two().is_some_and(|d| d.opened.with(Option::is_some) && !row_locked(id))
}

/// Whether the new-CA passphrase section applies (no existing CA chosen).
pub fn new_ca() -> bool {
    day_two().is_none_or(|d| d.source.get() == Source::NewCa)
}

/// Why the generate button cannot make a day-two bundle yet, if it cannot.
pub fn blocker(ctx: &Ctx) -> Option<String> {
    let d = day_two()?;
    let source = d.source.get();
    if source == Source::NewCa {
        return None;
    }
    if source == Source::Bundle && d.opened.with(Option::is_none) {
        return Some("Open a bundle first (its zip).".into());
    }
    if let Some(why) = d.unfinished_kit() {
        return Some(why);
    }
    match d.ca.get() {
        CaStatus::Ok(_) => {}
        CaStatus::Checking => return Some("Reading the CA…".into()),
        // The key is there and encrypted: what is missing is its passphrase, not the files.
        CaStatus::Refused(r) if r.field == CaField::Passphrase => {
            return Some(format!(
                "{} (the CA key's passphrase, under \"Where the CA comes from\")",
                r.error.trim_end_matches('.')
            ));
        }
        _ => {
            return Some(
                "Give the CA's certificate and key first (see \"Where the CA comes from\").".into(),
            );
        }
    }
    if source == Source::Bundle {
        let spec = ctx.spec.get();
        let renew = d.renew.get();
        let keep_keys = d.keep_keys.get();
        return d.opened.with(|o| {
            let o = o.as_ref()?;
            match daytwo::pending_change(&o.spec, &spec, &renew, keep_keys) {
                Ok(None) => {
                    Some("Nothing to change yet: add a member row, or choose Renew.".into())
                }
                Ok(Some(_)) => None,
                Err(e) => Some(format!("{}{}.", e[..1].to_uppercase(), &e[1..])),
            }
        });
    }
    None
}

/// The generate button's label.
pub fn button_label() -> &'static str {
    match day_two().map(|d| d.source.get()) {
        Some(Source::ExistingCa) => "Generate with the existing CA",
        Some(Source::Bundle) => "Make the new bundle",
        _ => "Generate keys and certificates",
    }
}

/// Starts the day-two run instead of a new CA's, if an existing CA is chosen: `true` if it
/// did.
pub fn start_instead(ctx: Ctx) -> bool {
    let Some(d) = day_two() else { return false };
    let source = d.source.get_untracked();
    if source == Source::NewCa {
        return false;
    }
    let spec = ctx.spec.get_untracked();
    let change = match source {
        Source::Bundle => d.opened.with_untracked(|o| {
            o.as_ref()
                .and_then(|o| {
                    daytwo::pending_change(
                        &o.spec,
                        &spec,
                        &d.renew.get_untracked(),
                        d.keep_keys.get_untracked(),
                    )
                    .ok()
                })
                .flatten()
        }),
        _ => Some(ChangeRequest::Generate),
    };
    if let Some(change) = change {
        run_change(ctx, d, change);
    }
    true
}

/// Runs `change` on a worker: the opened bundle's zip (or the existing CA's certificate), the
/// CA key and passphrase move there; the result shows like a generated bundle's.
fn run_change(ctx: Ctx, d: DayTwo, change: ChangeRequest) {
    run_change_with(ctx, d, change, None);
}

/// [`run_change`] with a rotation's passphrase for the new CA key.
fn run_change_with(
    ctx: Ctx,
    d: DayTwo,
    change: ChangeRequest,
    new_passphrase: Option<Zeroizing<String>>,
) {
    d.last.set(Some(change.clone()));
    let source = d.source.get_untracked();
    let spec = ctx.spec.get_untracked();
    let Some(key) = d.ca_key.get_untracked() else {
        return;
    };
    let first = match source {
        Source::Bundle => d
            .opened
            .with_untracked(|o| o.as_ref().map(|o| o.zip.clone())),
        _ => d
            .ca_cert
            .with_untracked(|c| c.as_ref().map(|c| c.bytes.clone())),
    };
    let Some(first) = first else { return };
    let pass = Zeroizing::new(d.passphrase.get_untracked());
    let inputs = ChangeInputs {
        change,
        opened: source == Source::Bundle,
        first,
        ca_key: key.bytes.clone(),
        passphrase: (d.needs_passphrase.get_untracked() && !pass.is_empty()).then_some(pass),
        new_passphrase,
        previous_rotation_done: d.previous_done.get_untracked(),
    };
    let status = ctx.status;
    ctx.forget_keys();
    status.set(GenState::Running(keygen::Progress {
        done: 0,
        total: 0,
        making: vec![],
    }));
    browser::set_busy(true);
    let made_from = spec.clone();
    keygen::change(
        &spec,
        inputs,
        move |p| status.set(GenState::Running(p)),
        move |result| {
            status.set(match result {
                Ok(o) => {
                    let summary = o
                        .change
                        .as_ref()
                        .map(daytwo::summary_sentence)
                        .unwrap_or_default();
                    GenState::Done(Arc::new(Generated {
                        outcome: o,
                        summary,
                        spec: made_from,
                    }))
                }
                Err(e) => GenState::Failed(e),
            });
            browser::set_busy(false);
        },
    );
}

/// Reads a picked or dropped file's bytes.
async fn read_bytes(file: web_sys::File) -> Result<Picked, String> {
    let name = file.name();
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("{name} could not be read"))?;
    let view = js_sys::Uint8Array::new(&buf);
    let bytes = Zeroizing::new(view.to_vec());
    crate::protocol::wipe(&view);
    Ok(Picked { name, bytes })
}

/// A file input that also takes a dropped file; `on_file` gets its bytes.
#[component]
pub(super) fn FileDrop(
    id: &'static str,
    label: &'static str,
    accept: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] picked: Signal<Option<String>>,
    on_file: Callback<Picked>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    let take = move |file: Option<web_sys::File>| {
        if let Some(f) = file {
            leptos::task::spawn_local(async move {
                match read_bytes(f).await {
                    Ok(p) => on_file.run(p),
                    Err(e) => web_sys::console::error_1(&e.into()),
                }
            });
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        take(input.files().and_then(|l| l.get(0)));
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        take(
            ev.data_transfer()
                .and_then(|d| d.files())
                .and_then(|l| l.get(0)),
        );
    };
    view! {
        <div class="drop" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <label class="field" for=id>
                <span>{label}</span>
                <input id=id type="file" accept=accept
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby=described
                    on:change=on_change/>
            </label>
            <small class="hint">{move || picked.get().map_or_else(
                || "Pick the file, or drop it here.".to_string(),
                |n| format!("Read: {n}"))}</small>
            <div id=error_id class="field-error" aria-live="polite" data-testid="field-error" data-path=id>
                {move || error.get()}
            </div>
        </div>
    }
}

/// The CA's key (and, for "Use an existing CA", its certificate), the passphrase when
/// needed, and what the CA is.
#[component]
fn CaFiles(with_cert: bool) -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let err = move |field: CaField| {
        Signal::derive(move || match d.ca.get() {
            CaStatus::Refused(r) if r.field == field => Some(r.error),
            _ => None,
        })
    };
    let name = move |s: RwSignal<Option<Arc<Picked>>>| {
        Signal::derive(move || s.with(|p| p.as_ref().map(|p| p.name.clone())))
    };
    let cert_cb = Callback::new(move |p: Picked| {
        d.ca_cert.set(Some(Arc::new(p)));
        d.check();
    });
    let key_cb = Callback::new(move |p: Picked| {
        d.ca_key.set(Some(Arc::new(p)));
        d.needs_passphrase.set(false);
        d.passphrase.set(String::new());
        d.check();
    });
    let pass_err = err(CaField::Passphrase);
    view! {
        {with_cert.then(|| view! {
            <FileDrop id="existing-ca-cert" label="CA certificate (ca.crt, PEM or DER)"
                accept=".crt,.pem,.cer,.der" error=err(CaField::Cert) picked=name(d.ca_cert)
                on_file=cert_cb/>
        })}
        <FileDrop id="existing-ca-key" label="CA key (ca.key: PKCS#8, PKCS#1, SEC1, encrypted or not)"
            accept=".key,.pem" error=err(CaField::Key) picked=name(d.ca_key) on_file=key_cb/>
        {move || d.needs_passphrase.get().then(|| view! {
            <label class="field" for="existing-ca-passphrase">
                <span>"The CA key's passphrase"</span>
                <input id="existing-ca-passphrase" type="password" autocomplete="off"
                    data-1p-ignore="true" data-lpignore="true" data-bwignore="true" data-form-type="other"
                    prop:value=move || d.passphrase.get()
                    aria-invalid=move || pass_err.with(Option::is_some).to_string()
                    aria-describedby="existing-ca-passphrase-error"
                    on:input=move |ev| d.passphrase.set(event_target_value(&ev))
                    on:change=move |_| d.check()/>
            </label>
            <button id="existing-ca-unlock" on:click=move |_| d.check()>"Unlock the key"</button>
            <div id="existing-ca-passphrase-error" class="field-error" aria-live="polite"
                data-testid="field-error" data-path="existing-ca-passphrase">{move || pass_err.get()}</div>
        })}
        <div id="existing-ca-status" role="status" aria-live="polite">
            {move || match d.ca.get() {
                CaStatus::Checking => view! { <p class="hint">"Reading the CA…"</p> }.into_any(),
                CaStatus::Ok(f) => {
                    let cert_days: i64 = ctx.form.with(|f| f.cert_days.trim().parse().unwrap_or(0));
                    let cap = (f.days_left < cert_days).then_some(f.days_left);
                    view! {
                        <p class="ok" id="existing-ca-subject">{format!(
                            "CA: {} ({}), valid until {} — {} days left.",
                            f.subject, f.algorithm.as_str(), &f.not_after[..10.min(f.not_after.len())], f.days_left
                        )}</p>
                        <ul id="existing-ca-warnings">
                            {f.warnings.iter().map(|w| view! { <li class="field-warning">{format!("Warning: {w}")}</li> }).collect_view()}
                        </ul>
                        {cap.map(|days| view! {
                            <p class="field-warning">{format!(
                                "The CA expires in {days} days, before certificates valid for {cert_days} days would; a certificate must not outlive its CA."
                            )}
                            <button id="existing-ca-cap" on:click=move |_| ctx.form.update(|f| f.cert_days = days.to_string())>
                                {format!("Cap the certificates at {days} days")}</button></p>
                        })}
                    }.into_any()
                }
                _ => ().into_any(),
            }}
        </div>
    }
}

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

/// Has a worker open the picked zip (pki-core reads it, its certificates and CRL, and lints
/// it), restores its spec into the form, then reads its CA certificate.
fn open_zip(d: DayTwo, ctx: Ctx, p: Picked) {
    let zip = Arc::new(p);
    d.zip_error.set(None);
    d.opened.set(None);
    d.ca.set(CaStatus::Waiting);
    let z = zip.clone();
    keygen::when_idle(move || {
        keygen::open_bundle(&zip.bytes, move |r| {
            let opened = r.and_then(|facts| {
                ClusterSpec::from_json(&facts.spec_json)
                    .map(|spec| (spec, facts))
                    .map_err(|e| e.to_string())
            });
            match opened {
                Err(e) => d.zip_error.set(Some(format!("{}: {e}", z.name))),
                Ok((spec, facts)) => {
                    let ca_path = facts.ca_path.clone();
                    ctx.forget_keys();
                    let form = Form::from_spec(&spec);
                    d.locked_rows.set(
                        form.nodes
                            .iter()
                            .map(|n| n.id)
                            .chain(form.clients.iter().map(|c| c.id))
                            .collect(),
                    );
                    ctx.form.set(form);
                    let bytes = z.bytes.clone();
                    let now = Seen {
                        line: facts.line.clone(),
                        generation: facts.generation,
                        name: z.name.clone(),
                    };
                    d.older
                        .set(d.seen.with_untracked(|s| daytwo::older_than_seen(s, &now)));
                    d.seen.update(|s| daytwo::remember(s, now));
                    d.previous_done.set(false);
                    d.opened.set(Some(Arc::new(Opened {
                        name: z.name.clone(),
                        zip: bytes.clone(),
                        spec,
                        facts,
                    })));
                    let path = ca_path.clone();
                    keygen::read_file(&bytes, &path, move |r| match r {
                        Ok(cert) => {
                            d.ca_cert.set(Some(Arc::new(Picked {
                                name: ca_path.clone(),
                                bytes: cert,
                            })));
                            d.check();
                        }
                        Err(e) => d
                            .zip_error
                            .set(Some(format!("the bundle's CA certificate {ca_path}: {e}"))),
                    });
                }
            }
        })
    });
}

/// "Open a bundle": the zip, then its CA key; what the bundle holds and the Renew choices.
#[component]
fn OpenBundle() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let on_zip = Callback::new(move |p: Picked| open_zip(d, ctx, p));
    let zip_name = Signal::derive(move || d.opened.with(|o| o.as_ref().map(|o| o.name.clone())));
    view! {
        <FileDrop id="open-bundle-zip" label="The bundle (its .zip)" accept=".zip,application/zip"
            error=d.zip_error picked=zip_name on_file=on_zip/>
        {move || d.older.get().map(|said| view! {
            <p id="bundle-older" class="field-warning" role="alert">{format!("Warning: {said}")}</p>
        })}
        <KitPending/>
        {move || d.opened.with(Option::is_some).then(|| view! {
            <CaFiles with_cert=false/>
            <BundleCerts/>
            <super::other_ca::OtherCa/>
            <Timeline/>
            <Revoke/>
            <RenewCa/>
        })}
    }
}

/// The opened bundle is the kit of a CA rotation or same-key renewal: no bundle is made from
/// it until the person says its steps are done on every member (the command line's
/// `--previous-rotation-done`); the new bundle would not carry its `rotate/` scripts.
#[component]
fn KitPending() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let kind = move || {
        d.opened
            .with(|o| o.as_ref().and_then(|o| o.facts.pending_rotation.clone()))
    };
    move || {
        kind().map(|kind| {
            view! {
                <div id="kit-pending" class="field-warning" role="alert">
                    <p>{format!(
                        "This bundle is the kit of a CA {kind} (rotate-ca). Its steps may still be running on the cluster; a bundle made from it would not carry its rotate/ scripts. Finish the {kind} on every member first (ROTATE.md of the kit)."
                    )}</p>
                    <label class="field check" for="previous-rotation-done">
                        <input id="previous-rotation-done" type="checkbox"
                            prop:checked=move || d.previous_done.get()
                            on:change=move |ev| d.previous_done.set(event_target_checked(&ev))/>
                        <span>"The kit's steps are done on every member (as --previous-rotation-done)"</span>
                    </label>
                </div>
            }
        })
    }
}

/// pki-core's lints about `path` (a certificate's id, `crl.next_update`), as lines.
fn lint_lines(lints: &[crate::protocol::Lint], path: &str) -> impl IntoView + use<> {
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
fn cert_row(
    d: DayTwo,
    r: crate::protocol::CertLine,
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
fn BundleCerts() -> impl IntoView {
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

/// Days from `today` (`YYYY-MM-DD`) to `day`, by the calendar (for drawing only; the
/// worker computed the days left).
fn day_number(ymd: &str) -> Option<i64> {
    let mut it = ymd.get(..10)?.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    // Days since 1970-01-01 (civil calendar, Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Every certificate of the opened bundle and the CRL's next update on one time axis, with
/// today and the renew threshold; each bar's label says its date and what applies.
#[component]
fn Timeline() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    move || {
        let f = d.opened.with(|o| o.as_ref().map(|o| o.facts.clone()))?;
        let today = day_number(&f.today)?;
        let mut bars: Vec<(String, String, i64, String)> = f
            .certs
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.expires.clone(),
                    c.days_left,
                    c.action.clone(),
                )
            })
            .collect();
        if let Some(c) = &f.crl {
            bars.push((
                "CRL next update".into(),
                c.next_update.clone(),
                c.days_left,
                c.action.clone(),
            ));
        }
        let end = bars
            .iter()
            .filter_map(|b| day_number(&b.1))
            .max()
            .unwrap_or(today)
            .max(today + f.renew_within_days)
            + 30;
        let start = today - 30;
        let (label_w, plot_w, row_h) = (190.0, 560.0, 18.0);
        let x =
            move |day: i64| label_w + plot_w * (day - start) as f64 / (end - start).max(1) as f64;
        let height = row_h * (bars.len() as f64 + 2.0);
        let threshold = today + f.renew_within_days;
        let rows = bars
            .into_iter()
            .enumerate()
            .map(|(i, (id, date, days, action))| {
                let y = row_h * (i as f64 + 1.0);
                let stop = day_number(&date).unwrap_or(today);
                let due = days <= f.renew_within_days;
                let label = format!("{id}: until {date}, {days} days left; {action}");
                view! {
                    <g data-testid="timeline-bar" data-id=id.clone() role="listitem" aria-label=label.clone()>
                        <title>{label.clone()}</title>
                        <text x="4" y=y + 12.0 font-size="11">{id.clone()}</text>
                        <rect x=x(start.max(stop.min(today))) y=y + 3.0
                            width=(x(stop) - x(start.max(stop.min(today)))).abs().max(2.0) height=row_h - 6.0
                            class=if due { "bar due" } else { "bar" }/>
                    </g>
                }
            })
            .collect_view();
        Some(view! {
            <h3 id="timeline-title">"Expiry at a glance"</h3>
            <p class="hint" id="timeline-legend">{format!(
                "Today is {}; a certificate within {} days of its end is due for renewal (the dashed line). Each bar ends at its certificate's notAfter.",
                f.today, f.renew_within_days
            )}</p>
            <svg id="timeline" role="list" aria-labelledby="timeline-title" aria-describedby="timeline-legend"
                width="100%" viewBox=format!("0 0 {} {height}", label_w + plot_w + 10.0)>
                <line data-testid="timeline-today" x1=x(today) x2=x(today) y1="0" y2=height class="today"
                    stroke="currentColor"/>
                <line data-testid="timeline-threshold" x1=x(threshold) x2=x(threshold) y1="0" y2=height
                    stroke="currentColor" stroke-dasharray="4 3"/>
                {rows}
            </svg>
        })
    }
}

/// "Revoke": clients of the opened bundle, members removed from it (by name, as `etcd-pki
/// revoke --member`), or serials pasted; a reason and the CRL's next update; pki-core's
/// `revoke::revoke` makes the new bundle.
#[component]
fn Revoke() -> impl IntoView {
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
struct RevokeTargets {
    clients: Vec<String>,
    members: Vec<String>,
    serials: String,
    unlisted: String,
    reason: String,
}

/// The revocation to ask pki-core for, or what is missing for one (the CA key, a number of
/// days).
fn revoke_request(d: DayTwo, days: &str, t: RevokeTargets) -> Result<ChangeRequest, String> {
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
fn RevokeClientChecks(picked: RwSignal<Vec<String>>) -> impl IntoView {
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
fn RevokeRemovedChecks(picked: RwSignal<Vec<String>>) -> impl IntoView {
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

/// "Rotate CA": pki-core's `rotate::rotate_ca`, without a new key (the CA certificate renewed,
/// every other file kept, `renew-ca.sh`) or with one the page's workers make (the kit).
#[component]
fn RenewCa() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let rotate_why = RwSignal::new(String::new());
    view! {
        <h3>"Rotate CA"</h3>
        <p class="hint">"Same key: the CA certificate's validity extended, same subject and key, every certificate still valid; one rolling restart (renew-ca.sh)."</p>
        <button id="renew-ca-go" aria-describedby="rotate-ca-why" on:click=move |_| {
            if let Some(why) = d.unfinished_kit() {
                rotate_why.set(why);
            } else if matches!(d.ca.get_untracked(), CaStatus::Ok(_)) {
                rotate_why.set(String::new());
                run_change(ctx, d, ChangeRequest::RenewCaSameKey);
            }
        }>"Renew the CA (same key) and make the kit"</button>
        <p class="hint">"New key: a new CA, every member and client certificate and key new under it, and the three-phase kit (trust both CAs, re-issue, drop the old CA), each phase a rolling restart with health gates. The new CA key is downloaded apart from the kit, encrypted with a new passphrase typed below (not the old key's: a rotation may be because that key leaked)."</p>
        <super::ca_key::CaKeyProtection/>
        <button id="rotate-ca-go" aria-describedby="rotate-ca-why" on:click=move |_| {
            if let Some(why) = d.unfinished_kit() {
                rotate_why.set(why);
                return;
            }
            if !matches!(d.ca.get_untracked(), CaStatus::Ok(_)) {
                return;
            }
            match ctx.ca_key.with_untracked(|i| i.protection()) {
                Err(why) => rotate_why.set(why),
                Ok(p) => {
                    rotate_why.set(String::new());
                    run_change_with(ctx, d, ChangeRequest::RotateCa, p);
                }
            }
        }>"Rotate to a new CA and make the kit"</button>
        <p id="rotate-ca-why" class="field-error" aria-live="polite">{move || rotate_why.get()}</p>
    }
}

/// The mark in a member's or client's row of an opened bundle: locked (its certificates
/// exist) or new. Drawn in SVG with a word beside it, the same width either way, so that the
/// rows line up and nothing depends on an emoji font (many air-gapped workstations have
/// none, and 🔒 or ＋ would show as an empty box).
#[component]
pub fn RowMark(id: u64) -> impl IntoView {
    move || {
        if row_locked(id) {
            view! {
                <span class="row-mark mark-locked" data-testid="row-locked" title="Its certificates exist in the opened bundle; they are kept">
                    <svg viewBox="0 0 12 12" width="12" height="12" aria-hidden="true">
                        <path d="M3.5 5.5V4a2.5 2.5 0 0 1 5 0v1.5" fill="none" stroke="currentColor" stroke-width="1.4"/>
                        <rect x="2" y="5.5" width="8" height="5.5" rx="1" fill="currentColor"/>
                    </svg>
                    "exists"
                </span>
            }
            .into_any()
        } else if row_added(id) {
            view! {
                <span class="row-mark mark-added" data-testid="row-added" title="Added to the opened bundle">
                    <svg viewBox="0 0 12 12" width="12" height="12" aria-hidden="true">
                        <path d="M6 1.5v9M1.5 6h9" stroke="currentColor" stroke-width="2"/>
                    </svg>
                    "new"
                </span>
            }
            .into_any()
        } else {
            ().into_any()
        }
    }
}
