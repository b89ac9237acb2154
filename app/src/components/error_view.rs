//! The one way an error is shown: a translated message, the stable code, and a retry
//! button when the caller can retry.

use huiyuan_shared::api::ApiError;
use leptos::prelude::*;

use crate::i18n::{use_i18n, Key};

#[component]
pub fn ErrorView(
    error: ApiError,
    /// Called when the person asks to try again; no button without it.
    #[prop(optional)]
    on_retry: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let code = error.code.clone();
    view! {
        <div class="error-view" role="alert" data-testid="error-view">
            <div class="error-view__icon" aria-hidden="true">"!"</div>
            <div class="error-view__body">
                <p class="error-view__title">{move || i18n.t(Key::ErrorTitle)}</p>
                <p class="error-view__message">{move || i18n.error(&error)}</p>
                <p class="error-view__code">{code}</p>
            </div>
            {on_retry
                .map(|retry| {
                    view! {
                        <button class="btn btn--secondary" on:click=move |_| retry.run(())>
                            {move || i18n.t(Key::Retry)}
                        </button>
                    }
                })}
        </div>
    }
}
