//! etcd-pki's page: mounts the app. Everything else lives in the modules.

#[cfg(target_arch = "wasm32")]
mod browser;
pub mod ca_key;
pub mod change_form;
pub mod diagram;
pub mod estimate;
pub mod form;
#[cfg(target_arch = "wasm32")]
mod sealer;
pub mod tree;
#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
mod workers;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(ui::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the etcd-pki page runs in a browser: ./scripts/serve.sh");
}
