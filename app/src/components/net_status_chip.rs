//! A chip saying whether the browser is online.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Key};
use crate::net_status::use_online;

#[component]
pub fn NetStatusChip() -> impl IntoView {
    let i18n = use_i18n();
    let online = use_online();
    view! {
        <span
            class="chip"
            class:chip--online=move || online.get()
            class:chip--offline=move || !online.get()
            data-testid="net-status"
            data-online=move || online.get().to_string()
            role="status"
        >
            <span class="chip__dot" aria-hidden="true"></span>
            {move || if online.get() { i18n.t(Key::Online) } else { i18n.t(Key::Offline) }}
        </span>
    }
}
