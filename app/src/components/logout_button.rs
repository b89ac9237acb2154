//! The staff logout button of the top bars.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

#[component]
pub fn LogoutButton() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let busy = RwSignal::new(false);
    let on_click = move |_| {
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
