//! Registering on the phone: the mobile number, an SMS code (获取验证码, then a countdown
//! until another may be asked for), name, password and an optional referral code. A
//! `?ref=` in the address fills the referral code, so a member's shared link brings it.

use std::time::Duration;

use huiyuan_shared::api::{error_code, ApiError};
use huiyuan_shared::registration::{RegisterRequest, Registered, SMS_CODE_DIGITS};
use huiyuan_shared::FieldError;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::form_field::FormField;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn RegistrationForm(
    /// Called with the server's answer once the member is registered.
    on_registered: Callback<Registered>,
    /// Called when the person would rather log in.
    on_back: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let phone = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let referral = RwSignal::new(
        query
            .with_untracked(|query| query.get("ref"))
            .unwrap_or_default(),
    );
    let pending = RwSignal::new(false);
    let sending_code = RwSignal::new(false);
    let code_sent = RwSignal::new(false);
    // Seconds until another code may be asked for.
    let countdown = RwSignal::new(0_i64);
    let error = RwSignal::new(None::<ApiError>);
    let fields = RwSignal::new(Vec::<FieldError>::new());

    if let Ok(handle) = set_interval_with_handle(
        move || {
            if countdown.get_untracked() > 0 {
                countdown.update(|seconds| *seconds -= 1);
            }
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }

    let ask_code = move |_| {
        if sending_code.get_untracked() || countdown.get_untracked() > 0 {
            return;
        }
        sending_code.set(true);
        error.set(None);
        fields.set(Vec::new());
        let number = phone.get_untracked().trim().to_owned();
        spawn_local(async move {
            match api::registration::request_code(&number).await {
                Ok(sent) => {
                    code_sent.set(true);
                    countdown.set(sent.resend_after_seconds);
                }
                Err(failure) => {
                    // The server says how long to wait; the button counts it down.
                    if failure.code == error_code::RATE_LIMITED {
                        let wait = failure
                            .details
                            .get("retry_after_seconds")
                            .and_then(serde_json::Value::as_i64);
                        if let Some(wait) = wait {
                            countdown.set(wait);
                        }
                    }
                    fields.set(api::field_errors(&failure));
                    error.set(Some(failure));
                }
            }
            sending_code.set(false);
        });
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        fields.set(Vec::new());
        let referral_code = referral.get_untracked().trim().to_owned();
        let request = RegisterRequest {
            phone: phone.get_untracked().trim().to_owned(),
            code: code.get_untracked().trim().to_owned(),
            name: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            referral_code: (!referral_code.is_empty()).then_some(referral_code),
            profile: Default::default(),
        };
        spawn_local(async move {
            match api::registration::register(&request).await {
                Ok(registered) => on_registered.run(registered),
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
    let code_button_disabled = move || sending_code.get() || countdown.get() > 0;
    let code_button_text = move || {
        let seconds = countdown.get();
        if seconds > 0 {
            i18n.t(Key::ResendIn).replace("{n}", &seconds.to_string())
        } else {
            i18n.t(Key::GetCode).to_owned()
        }
    };

    view! {
        <form class="m-login m-register card" on:submit=on_submit novalidate=true>
            <h1 class="m-login__title">{move || i18n.t(Key::RegisterTitle)}</h1>
            {move || {
                error
                    .get()
                    .map(|failure| {
                        view! {
                            <div class="alert alert--danger" role="alert" data-testid="m-register-error">
                                {i18n.error(&failure)}
                            </div>
                        }
                    })
            }}
            <FormField label=Key::Phone error=Signal::derive(field_message("phone"))>
                <input
                    class="input input--large"
                    type="tel"
                    inputmode="numeric"
                    name="phone"
                    autocomplete="tel"
                    data-testid="m-register-phone"
                    bind:value=phone
                />
            </FormField>
            <FormField label=Key::SmsCode error=Signal::derive(field_message("code"))>
                <div class="m-code-row">
                    <input
                        class="input input--large"
                        type="text"
                        inputmode="numeric"
                        name="code"
                        autocomplete="one-time-code"
                        maxlength=SMS_CODE_DIGITS.to_string()
                        data-testid="m-register-code"
                        bind:value=code
                    />
                    <button
                        type="button"
                        class="btn btn--secondary btn--large m-code-row__button"
                        data-testid="m-register-get-code"
                        disabled=code_button_disabled
                        on:click=ask_code
                    >
                        {code_button_text}
                    </button>
                </div>
            </FormField>
            {move || {
                code_sent
                    .get()
                    .then(|| {
                        view! {
                            <p class="hint" data-testid="m-register-code-sent">
                                {move || i18n.t(Key::CodeSentHint)}
                            </p>
                        }
                    })
            }}
            <FormField label=Key::FullName error=Signal::derive(field_message("name"))>
                <input
                    class="input input--large"
                    type="text"
                    name="name"
                    autocomplete="name"
                    data-testid="m-register-name"
                    bind:value=name
                />
            </FormField>
            <FormField label=Key::NewPassword error=Signal::derive(field_message("password"))>
                <input
                    class="input input--large"
                    type="password"
                    name="new-password"
                    autocomplete="new-password"
                    aria-describedby="m-register-password-rule"
                    data-testid="m-register-password"
                    bind:value=password
                />
                <span id="m-register-password-rule" class="hint">
                    {move || i18n.t(Key::PasswordRule)}
                </span>
            </FormField>
            <FormField
                label=Key::ReferralCodeOptional
                error=Signal::derive(field_message("referral_code"))
            >
                <input
                    class="input input--large"
                    type="text"
                    inputmode="numeric"
                    name="referral_code"
                    data-testid="m-register-referral"
                    bind:value=referral
                />
            </FormField>
            <button
                type="submit"
                class="btn btn--primary btn--large btn--block"
                data-testid="m-register-submit"
                disabled=move || pending.get()
                aria-busy=move || pending.get().to_string()
            >
                {move || {
                    if pending.get() { i18n.t(Key::Registering) } else { i18n.t(Key::RegisterSubmit) }
                }}
            </button>
            <button
                type="button"
                class="btn btn--ghost m-switch-link"
                data-testid="m-register-back"
                on:click=move |_| on_back.run(())
            >
                {move || i18n.t(Key::BackToLogin)}
            </button>
        </form>
    }
}
