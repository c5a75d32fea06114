//! What a member row and a client row have in common. Each row owns its store fields (the
//! form's keyed `nodes` and `clients`) and binds its inputs to them; what
//! is shared is naming: its screen-reader name ("member 2 (etcd2)"), its fields' spec paths
//! for the problems shown beside them (`nodes[1].ips`), and the ids of those problem lists.

use leptos::prelude::*;
use reactive_stores::Field;

/// A row as its table shows it: which table, its stable id, its place now, its name field.
#[derive(Clone, Copy)]
pub struct Row {
    /// `member` or `client`, for labels and element ids.
    kind: &'static str,
    /// The spec's list the row becomes (`nodes`, `clients`), for problem paths.
    list: &'static str,
    id: u64,
    /// Its place in its table (the `<ForEnumerate>` moves it as rows move).
    index: ReadSignal<usize>,
    name: Field<String>,
}

impl Row {
    /// The member row `id`, now at `index`.
    pub fn member(id: u64, index: ReadSignal<usize>, name: Field<String>) -> Self {
        Row {
            kind: "member",
            list: "nodes",
            id,
            index,
            name,
        }
    }

    /// The client row `id`, now at `index`.
    pub fn client(id: u64, index: ReadSignal<usize>, name: Field<String>) -> Self {
        Row {
            kind: "client",
            list: "clients",
            id,
            index,
            name,
        }
    }

    /// The spec path of one of its fields (`nodes[1].ips`), for the problems beside it.
    pub fn path(self, field: &'static str) -> Signal<String> {
        Signal::derive(move || format!("{}[{}].{field}", self.list, self.index.get()))
    }

    /// What a screen reader calls the row: its number, and its name once it has one.
    pub fn who(self) -> String {
        let name = text(self.name);
        let name = name.trim();
        let n = self.index.get() + 1;
        if name.is_empty() {
            format!("{} {n}", self.kind)
        } else {
            format!("{} {n} ({name})", self.kind)
        }
    }

    /// A control's label: "IP addresses of member 2 (etcd2)".
    pub fn label(self, what: &'static str) -> impl Fn() -> String + Copy + Send + Sync {
        move || format!("{what} of {}", self.who())
    }

    /// The id of the element listing a field's problems.
    pub fn errors_id(self, field: &str) -> String {
        format!("{}-{}-{field}-errors", self.kind, self.id)
    }
}

/// A row field's value, read reactively; empty once the row is gone. Removals, moves and
/// whole-form replacements are written through the keyed list field (`form::replace`,
/// `form::remove_row`), so the store forgets a removed row's key at once; an effect of that
/// row can still run before the `<For>` drops it, and a plain `get` would panic where
/// `try_get` finds no field.
pub fn text(field: Field<String>) -> String {
    field.try_get().unwrap_or_default()
}

/// A row's text field for `bind:value`: its value as [`text`] reads it, and the field to
/// write what is typed into (a write to a row that is gone changes nothing).
pub fn bound(field: impl Into<Field<String>>) -> (Signal<String>, Field<String>) {
    let field = field.into();
    (Signal::derive(move || text(field)), field)
}
