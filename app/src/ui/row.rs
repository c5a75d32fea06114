//! What a member row and a client row have in common: each finds itself in the form by its
//! id (rows move and are removed, their ids stay), reads and writes its fields, names itself
//! for screen readers ("member 2 (etcd2)") and knows its fields' spec paths for the problems
//! shown beside them. One accessor instead of a copy of each in both tables.

use leptos::prelude::*;
use reactive_stores::Store;

use crate::form::{ClientRow, Form, NodeRow};

/// A row type of the form.
pub trait FormRow: 'static {
    /// `member` or `client`, for labels and element ids.
    const KIND: &'static str;
    /// The spec's list the row becomes (`nodes`, `clients`), for problem paths.
    const SPEC_LIST: &'static str;
    /// The rows of this type in `form`.
    fn rows(form: &Form) -> &[Self]
    where
        Self: Sized;
    /// The same, to change.
    fn rows_mut(form: &mut Form) -> &mut [Self]
    where
        Self: Sized;
    /// Its stable id.
    fn id(&self) -> u64;
    /// Its name as typed.
    fn name(&self) -> &str;
}

impl FormRow for NodeRow {
    const KIND: &'static str = "member";
    const SPEC_LIST: &'static str = "nodes";
    fn rows(form: &Form) -> &[Self] {
        &form.nodes
    }
    fn rows_mut(form: &mut Form) -> &mut [Self] {
        &mut form.nodes
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl FormRow for ClientRow {
    const KIND: &'static str = "client";
    const SPEC_LIST: &'static str = "clients";
    fn rows(form: &Form) -> &[Self] {
        &form.clients
    }
    fn rows_mut(form: &mut Form) -> &mut [Self] {
        &mut form.clients
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// The row with id `id` of type `R` in the form.
pub struct Row<R> {
    form: Store<Form>,
    id: u64,
    _row: std::marker::PhantomData<fn() -> R>,
}

impl<R> Clone for Row<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Row<R> {}

impl<R: FormRow> Row<R> {
    /// The row `id` of `form`.
    pub fn new(form: Store<Form>, id: u64) -> Self {
        Row {
            form,
            id,
            _row: std::marker::PhantomData,
        }
    }

    /// Its place in its table now (it changes as rows move).
    pub fn index(self) -> usize {
        self.form
            .with(|f| R::rows(f).iter().position(|r| r.id() == self.id))
            .unwrap_or(usize::MAX)
    }

    /// A field, read reactively (empty once the row is gone).
    pub fn get(self, pick: fn(&R) -> String) -> impl Fn() -> String + Copy + Send + Sync {
        move || {
            self.form.with(|f| {
                R::rows(f)
                    .iter()
                    .find(|r| r.id() == self.id)
                    .map(pick)
                    .unwrap_or_default()
            })
        }
    }

    /// An input handler that writes the typed value into a field.
    pub fn set(self, apply: fn(&mut R, String)) -> impl Fn(leptos::ev::Event) + Copy + Send + Sync {
        move |ev| {
            let v = event_target_value(&ev);
            self.form.update(|f| {
                if let Some(r) = R::rows_mut(f).iter_mut().find(|r| r.id() == self.id) {
                    apply(r, v)
                }
            })
        }
    }

    /// The spec path of one of its fields (`nodes[1].ips`), for the problems beside it.
    pub fn path(self, field: &'static str) -> Signal<String> {
        Signal::derive(move || format!("{}[{}].{field}", R::SPEC_LIST, self.index()))
    }

    /// What a screen reader calls the row: its number, and its name once it has one.
    pub fn who(self) -> String {
        let name = self.get(|r| r.name().trim().to_string())();
        let n = self.index().wrapping_add(1);
        if name.is_empty() {
            format!("{} {n}", R::KIND)
        } else {
            format!("{} {n} ({name})", R::KIND)
        }
    }

    /// A control's label: "IP addresses of member 2 (etcd2)".
    pub fn label(self, what: &'static str) -> impl Fn() -> String + Copy + Send + Sync {
        move || format!("{what} of {}", self.who())
    }

    /// The id of the element listing a field's problems.
    pub fn errors_id(self, field: &str) -> String {
        format!("{}-{}-{field}-errors", R::KIND, self.id)
    }
}
