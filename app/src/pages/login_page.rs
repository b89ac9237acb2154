//! `/login`: staff log in here and go on to `next`, or to their face.

use huiyuan_shared::api::{ApiError, LoginRequest};
use huiyuan_shared::FieldError;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api;
use crate::components::brand_mark::BrandMark;
use crate::components::form_field::FormField;
use crate::components::lang_switch::LangSwitch;
use crate::i18n::{use_document_title, use_i18n, Key};
use crate::session::{home_path, safe_next, use_session};

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    use_document_title(Key::LoginTitle);
    let query = use_query_map();
    let navigate = use_navigate();

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let fields = RwSignal::new(Vec::<FieldError>::new());

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        fields.set(Vec::new());
        let request = LoginRequest {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            remember: remember.get_untracked(),
        };
        let next = query.with_untracked(|query| query.get("next"));
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::staff_login(&request).await {
                Ok(response) => {
                    let target = next
                        .as_deref()
                        .and_then(safe_next)
                        .map(str::to_owned)
                        .unwrap_or_else(|| home_path(&response.staff).to_owned());
                    session.set_logged_in(response.staff);
                    pending.set(false);
                    navigate(&target, NavigateOptions::default());
                }
                Err(failure) => {
                    fields.set(api::field_errors(&failure));
                    error.set(Some(failure));
                    pending.set(false);
                }
            }
        });
    };

    let field_message = move |name: &'static str| {
        move || {
            fields.with(|fields| {
                fields
                    .iter()
                    .find(|field| field.field == name)
                    .map(|field| i18n.field_error(&field.code, &field.message))
            })
        }
    };

    view! {
        <main class="login-page">
            <div class="login-page__lang">
                <LangSwitch />
            </div>
            <section class="login-card">
                <div class="login-card__brand">
                    <BrandMark />
                    <h1 class="login-card__product">{move || i18n.t(Key::ProductName)}</h1>
                    <p class="login-card__tagline">{move || i18n.t(Key::LoginSubtitle)}</p>
                </div>
                <form class="login-card__form" on:submit=on_submit novalidate=true>
                    <h2>{move || i18n.t(Key::LoginTitle)}</h2>
                    {move || {
                        error
                            .get()
                            .map(|failure| {
                                view! {
                                    <div class="alert alert--danger" role="alert" data-testid="login-error">
                                        {i18n.error(&failure)}
                                    </div>
                                }
                            })
                    }}
                    <FormField label=Key::Username error=Signal::derive(field_message("username"))>
                        <input
                            id="login-username"
                            class="input"
                            type="text"
                            name="username"
                            autocomplete="username"
                            autocapitalize="off"
                            spellcheck="false"
                            data-testid="login-username"
                            bind:value=username
                        />
                    </FormField>
                    <FormField label=Key::Password error=Signal::derive(field_message("password"))>
                        <input
                            id="login-password"
                            class="input"
                            type="password"
                            name="password"
                            autocomplete="current-password"
                            data-testid="login-password"
                            bind:value=password
                        />
                    </FormField>
                    <label class="checkbox">
                        <input type="checkbox" data-testid="login-remember" bind:checked=remember />
                        <span>{move || i18n.t(Key::RememberMe)}</span>
                    </label>
                    <button
                        type="submit"
                        class="btn btn--primary btn--large btn--block"
                        data-testid="login-submit"
                        disabled=move || pending.get()
                        aria-busy=move || pending.get().to_string()
                    >
                        {move || {
                            if pending.get() { i18n.t(Key::LoggingIn) } else { i18n.t(Key::LoginSubmit) }
                        }}
                    </button>
                    <a class="login-card__member-link" href="/m">
                        {move || i18n.t(Key::MemberEntry)}
                    </a>
                </form>
            </section>
        </main>
    }
}
