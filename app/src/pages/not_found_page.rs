//! Any address the client does not know.

use leptos::prelude::*;

use crate::components::lang_switch::LangSwitch;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main class="centered-page" data-testid="not-found">
            <div class="card notice-card">
                <div class="notice-card__lang">
                    <LangSwitch />
                </div>
                <p class="notice-card__code">"404"</p>
                <h1>{move || i18n.t(Key::NotFoundTitle)}</h1>
                <p class="muted">{move || i18n.t(Key::NotFoundBody)}</p>
                <a class="btn btn--primary" href="/">
                    {move || i18n.t(Key::BackHome)}
                </a>
            </div>
        </main>
    }
}
