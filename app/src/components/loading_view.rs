//! What a page shows while it waits for the server.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Key};

#[component]
pub fn LoadingView() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="loading-view" role="status" aria-live="polite" data-testid="loading">
            <span class="spinner" aria-hidden="true"></span>
            <span>{move || i18n.t(Key::Loading)}</span>
        </div>
    }
}
