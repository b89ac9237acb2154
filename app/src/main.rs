//! The Huiyuan browser client: the counter (`/pos`), the member's phone (`/m`) and head
//! office (`/hq`), one Leptos application compiled to WebAssembly.

#![forbid(unsafe_code)]

mod api;
mod app;
mod bench_hooks;
mod cache;
mod components;
mod format;
mod i18n;
mod pages;
mod session;
mod sync;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
