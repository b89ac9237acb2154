//! The language switch shown on the login page and on every face.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Key, Lang};

#[component]
pub fn LangSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |event| {
        if let Some(lang) = Lang::from_tag(&event_target_value(&event)) {
            i18n.set_lang(lang);
        }
    };
    view! {
        <label class="lang-switch">
            <span class="visually-hidden">{move || i18n.t(Key::Language)}</span>
            <select data-testid="lang-switch" on:change=on_change>
                {Lang::ALL
                    .into_iter()
                    .map(|lang| {
                        view! {
                            <option value=lang.tag() prop:selected=move || i18n.lang() == lang>
                                {lang.native_name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
