//! Drives the built page in real browsers: headless Chromium over the DevTools protocol and
//! headless Firefox ESR over WebDriver BiDi (started by geckodriver). A static server for
//! `dist/` on 127.0.0.1 (or Debian's nginx with the published configuration, [`Nginx`]), a
//! browser with a fresh profile and a download folder, and helpers that act as a person
//! would (type into a field, click, press Tab, wait for text). Every network request the
//! page makes is recorded.
//!
//! One module per concern: [`site`] (where `dist/` is, a static server, raw HTTP), [`nginx`]
//! (the published nginx configuration), [`browser`] (the driven browser and what both engines
//! do alike), [`cdp`] (Chromium), [`bidi`] (Firefox), [`person`] (a person's actions),
//! [`record`] (what the page did) and [`fixtures`].

pub mod bidi;
pub mod browser;
pub mod cdp;
pub mod fixtures;
pub mod nginx;
pub mod person;
pub mod record;
pub mod site;

pub use browser::{Browser, Engine};
pub use fixtures::{read, wide_spec};
pub use nginx::Nginx;
pub use site::{Site, http_get, site_dir, workspace_root};

/// Temporary folders and unzip, shared with the etcd tests.
pub use e2e_etcd::{TempDir, unzip};
