//! Shown to a logged-in staff member who lacks the permission a page needs.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;

use crate::components::lang_switch::LangSwitch;
use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

#[component]
pub fn ForbiddenView() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let location = use_location();
    let staff_name = move || {
        session
            .staff()
            .map(|staff| format!("{}（{}）", staff.display_name, staff.role.name))
    };
    let switch_account = move |_| {
        let return_to = location.pathname.get_untracked();
        spawn_local(async move { session.logout(Some(return_to)).await });
    };
    view! {
        <main class="forbidden-view" data-testid="forbidden">
            <div class="forbidden-view__card card">
                <div class="forbidden-view__lang">
                    <LangSwitch />
                </div>
                <div class="forbidden-view__icon" aria-hidden="true">
                    <svg viewBox="0 0 24 24" width="48" height="48">
                        <rect x="5" y="10" width="14" height="10" rx="2" fill="none" stroke="currentColor" stroke-width="1.6" />
                        <path d="M8 10V7a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
                        <circle cx="12" cy="15" r="1.4" fill="currentColor" />
                    </svg>
                </div>
                <h1>{move || i18n.t(Key::ForbiddenTitle)}</h1>
                <p class="muted">{move || i18n.t(Key::ForbiddenBody)}</p>
                <p class="forbidden-view__who">{staff_name}</p>
                <button
                    class="btn btn--primary btn--large"
                    data-testid="forbidden-switch-account"
                    on:click=switch_account
                >
                    {move || i18n.t(Key::SwitchAccount)}
                </button>
            </div>
        </main>
    }
}
