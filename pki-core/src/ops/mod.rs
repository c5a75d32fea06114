//! The operations: each is a conductor of the stages — plan (from the prior state, read back
//! by [`crate::package::open`], and the change) → issue → render → package — and decides
//! nothing itself. Every operation, day one or day two, makes a whole new bundle; none edits
//! one.
//!
//! - [`generate`]: day one, a spec in, a bundle out.
//! - [`change`]: day two from a bundle — add, remove, replace members, renew, migrate
//!   ([`change::plan_change`] then [`change::apply_change`]); `pki_core::daytwo` is its public
//!   name.
//! - [`revoke`]: certificates onto the CRL, the new bundle carrying it to every member.
//! - [`rotate`]: the kit that moves a cluster to a new CA (or a renewed one, same key).
//! - [`rotate_issuer`]: the kit of a new issuing CA under the same root, no restart (its
//!   functions are re-exported by [`rotate`]).

pub mod change;
pub mod generate;
pub mod revoke;
pub mod rotate;
pub mod rotate_issuer;
