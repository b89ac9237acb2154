//! The staff logout button of the top bars.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{use_i18n, Key};
use crate::session::use_session;
use crate::sync::SyncStatus;

#[component]
pub fn LogoutButton() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let busy = RwSignal::new(false);
    // At the counter: commands still unsent are recorded under whoever is logged in when
    // they go, so the cashier is asked before leaving them to the next one.
    let sync = use_context::<SyncStatus>();
    let on_click = move |_| {
        let unsent = sync.map_or(0, |sync| sync.unsent.get_untracked());
        if unsent > 0 {
            let question = i18n
                .t(Key::LogoutUnsent)
                .replace("{n}", &unsent.to_string());
            let leave = web_sys::window()
                .and_then(|window| window.confirm_with_message(&question).ok())
                .unwrap_or(false);
            if !leave {
                return;
            }
        }
        busy.set(true);
        spawn_local(async move { session.logout(None).await });
    };
    view! {
        <button
            class="btn btn--ghost"
            data-testid="logout"
            disabled=move || busy.get()
            on:click=on_click
        >
            {move || i18n.t(Key::Logout)}
        </button>
    }
}
