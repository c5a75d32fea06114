//! After generating: the cluster drawn (it follows the table as it is edited) and the next
//! steps, member by member, from pki-core's `next_steps` (the bundle README's steps).

use leptos::prelude::*;
use pki_core::next_steps::{NextSteps, Step, next_steps};

use super::Ctx;
use super::chunked::{chunked, settled};
use crate::diagram::{self, Kind};

/// The SVG drawing of the cluster the table describes now.
#[component]
pub fn ClusterDiagram() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let settled = settled(ctx);
    let generated = move || settled.get();
    move || {
        let g = generated()?;
        let d = ctx.spec.with(diagram::layout);
        let changed = ctx.spec.with(|s| s != &g.spec);
        let (fx, fy, fw, fh) = d.cluster;
        let view_box = format!("0 0 {} {}", d.width, d.height);
        Some(view! {
            <section class="card diagram" aria-labelledby="diagram-heading">
                <h2 id="diagram-heading">"The cluster"</h2>
                {changed.then(|| view! {
                    <p id="diagram-changed" class="field-warning">"The table has changed since the files below were made: the drawing shows the table; generate again for files that match it."</p>
                })}
                <svg id="cluster-diagram" role="img" aria-labelledby="cluster-diagram-title cluster-diagram-desc"
                    viewBox=view_box width=d.width.to_string() height=d.height.to_string()>
                    <title id="cluster-diagram-title">"The cluster: its CA, members and clients"</title>
                    <desc id="cluster-diagram-desc">{d.description.clone()}</desc>
                    <rect class="cluster-frame" x=fx y=fy width=fw height=fh rx="10"></rect>
                    <text class="frame-label" x=fx + 10 y=fy + 15>{d.cluster_label.clone()}</text>
                    {d.clients_label.clone().map(|(x, y, t)| view! { <text class="frame-label" x=x y=y>{t}</text> })}
                    <g class="signs" data-testid="diagram-signs">
                        {chunked(d.signs, 200, |l| view! {
                            <line x1=l.x1 y1=l.y1 x2=l.x2 y2=l.y2></line>
                        })}
                    </g>
                    {chunked(d.nodes, 60, |n| {
                        let (class, testid) = match n.kind {
                            Kind::Root => ("node ca root", "diagram-root"),
                            Kind::Ca => ("node ca", "diagram-ca"),
                            Kind::Member => ("node member", "diagram-member"),
                            Kind::Client => ("node client", "diagram-client"),
                        };
                        view! {
                            <g class=class data-testid=testid data-name=n.name.clone()>
                                <rect x=n.x y=n.y width=n.w height=n.h rx="6"></rect>
                                {n.lines.iter().enumerate().map(|(i, t)| view! {
                                    <text x=n.x + 10 y=n.y + 19 + 17 * i as i32 class:title=i == 0>{t.clone()}</text>
                                }).collect_view()}
                            </g>
                        }
                    })}
                </svg>
            </section>
        })
    }
}

fn step_view(s: Step) -> impl IntoView {
    view! {
        <li>
            <span class="place">{s.place}</span>
            <span class="what">{s.what}</span>
            {s.command.map(|c| view! { <pre class="command"><code>{c}</code></pre> })}
        </li>
    }
}

/// Clients whose steps are shown before the person asks for all of them: the steps are the
/// same for every client but the names, and a thousand of them are 20,000 elements.
const CLIENTS_AT_FIRST: usize = 24;

/// Lists longer than this are drawn only where they are on screen (CSS `.long`).
const LONG: usize = 60;

/// What to do with the bundle: per member, then the cluster, then the clients.
#[component]
pub fn NextStepsPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let settled = settled(ctx);
    move || {
        let g = settled.get()?;
        let NextSteps {
            summary,
            members,
            cluster,
            clients,
        } = next_steps(&g.spec);
        let long_members = members.len() > LONG;
        Some(view! {
            <section class="card next-steps" id="next-steps" aria-labelledby="next-steps-heading">
                <h2 id="next-steps-heading">"Next steps"</h2>
                <p class="hint">{summary}" The same steps are in the bundle's README.md."</p>
                <div class="steps-grid" class:long=long_members>
                    {chunked(members, 10, |m| view! {
                        <div class="member-steps" data-testid="member-steps" data-name=m.name.clone()>
                            <h3>{format!("{} · {}", m.name, m.host)}</h3>
                            <p class="hint">{format!("Folder {}", m.folder)}</p>
                            <ol>{m.steps.into_iter().map(step_view).collect_view()}</ol>
                        </div>
                    })}
                </div>
                <h3>"Then, the whole cluster"</h3>
                <ol data-testid="cluster-steps">{cluster.into_iter().map(step_view).collect_view()}</ol>
                {(!clients.is_empty()).then(|| {
                    let count = clients.len();
                    let long_clients = count > LONG;
                    let all = RwSignal::new(count <= CLIENTS_AT_FIRST);
                    view! {
                        <h3>"Clients"</h3>
                        <div class="steps-grid" class:long=move || all.get() && long_clients>
                            {move || {
                                let shown = if all.get() { count } else { CLIENTS_AT_FIRST };
                                chunked(clients[..shown].to_vec(), 20, |c| view! {
                                    <div class="client-steps" data-testid="client-steps" data-name=c.name.clone()>
                                        <h4>{format!("{} · etcd user {}", c.name, c.user)}</h4>
                                        <ol>{c.steps.into_iter().map(step_view).collect_view()}</ol>
                                    </div>
                                })
                            }}
                        </div>
                        {move || (!all.get()).then(|| view! {
                            <button id="all-client-steps" on:click=move |_| all.set(true)>
                                {format!("Show the steps of all {count} clients (the first {CLIENTS_AT_FIRST} are above; every client's are in the bundle's README.md)")}
                            </button>
                        })}
                    }
                })}
            </section>
        })
    }
}
