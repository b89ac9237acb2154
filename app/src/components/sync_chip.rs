//! The counter's sync status: online or offline, how many commands wait to be sent, and
//! when the cache was last brought up to date.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Key};
use crate::sync::use_sync;

#[component]
pub fn SyncChip() -> impl IntoView {
    let i18n = use_i18n();
    let sync = use_sync();
    let online = move || sync.reachable.get();
    let last = move || {
        sync.last_sync_ms.get().map(|ms| {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
            format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
        })
    };
    view! {
        <span
            class="chip"
            class:chip--online=online
            class:chip--offline=move || !online()
            data-testid="net-status"
            data-online=move || online().to_string()
            data-unsent=move || sync.unsent.get().to_string()
            role="status"
            title=move || i18n.t(Key::SyncChipTitle)
        >
            <span class="chip__dot" aria-hidden="true"></span>
            {move || if online() { i18n.t(Key::Online) } else { i18n.t(Key::Offline) }}
            {move || (sync.unsent.get() > 0).then(|| view! {
                <span class="chip__count" data-testid="sync-unsent">
                    {move || i18n.t(Key::SyncUnsent).replace("{n}", &sync.unsent.get().to_string())}
                </span>
            })}
            {move || last().map(|time| view! {
                <span class="chip__time muted" data-testid="sync-last">
                    {move || i18n.t(Key::SyncLast).replace("{time}", &time)}
                </span>
            })}
        </span>
    }
}
