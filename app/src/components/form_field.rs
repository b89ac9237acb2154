//! A labelled form field with its error message beside it.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Key};

#[component]
pub fn FormField(label: Key, error: Signal<Option<String>>, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="field" class:field--invalid=move || error.with(Option::is_some)>
            <span class="field__label">{move || i18n.t(label)}</span>
            {children()}
            {move || {
                error.get().map(|message| view! { <span class="field__error" role="alert">{message}</span> })
            }}
        </label>
    }
}
