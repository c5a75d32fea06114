//! Long lists shown a chunk per task. A bundle of 99 members and 1,000 clients has about
//! 30,000 elements of next steps and drawing; built in one go they held the page's thread for
//! 800 ms after the bundle arrived. Shown a chunk at a time, with a timer between chunks, the
//! page answers clicks and keys between any two chunks, and a list that fits in one chunk
//! (every bundle of ordinary size) appears at once, as before.

use std::sync::Arc;

use leptos::prelude::*;

/// `items`, rendered by `render`, `per_task` of them at once and the rest in following tasks.
/// A list replaced (its component re-run) stops growing the old one: its signal is gone.
pub fn chunked<T, V>(
    items: Vec<T>,
    per_task: usize,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let total = items.len();
    let per_task = per_task.max(1);
    let shown = RwSignal::new(per_task.min(total));
    if total > per_task {
        grow(shown, per_task, total);
    }
    let items = Arc::new(items);
    view! {
        <For
            each=move || 0..shown.get()
            key=|i| *i
            children=move |i| render(items[i].clone())
        />
    }
}

/// Shows `per_task` more items in the next task, then schedules the next chunk.
fn grow(shown: RwSignal<usize>, per_task: usize, total: usize) {
    crate::workers::later(
        move || {
            let more = shown.try_update(|n| {
                *n = (*n + per_task).min(total);
                *n < total
            });
            if more == Some(true) {
                grow(shown, per_task, total);
            }
        },
        0,
    );
}

/// The last generation, for a panel that shows it: set one task after `ctx.status` says Done
/// (and cleared at once otherwise), so that each panel calling this draws in a task of its
/// own instead of all of them in the task that received the bundle.
pub fn settled(ctx: super::Ctx) -> ReadSignal<Option<Arc<super::Generated>>> {
    let shown = RwSignal::new(None);
    Effect::new(move |_| match ctx.status.get() {
        super::GenState::Done(g) => crate::workers::later(
            move || {
                let still = matches!(
                    ctx.status.get_untracked(),
                    super::GenState::Done(now) if Arc::ptr_eq(&now, &g)
                );
                if still {
                    shown.try_set(Some(g));
                }
            },
            0,
        ),
        _ => {
            if shown.with_untracked(Option::is_some) {
                shown.set(None);
            }
        }
    });
    shown.read_only()
}
