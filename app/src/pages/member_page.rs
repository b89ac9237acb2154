//! `/m`: the member's own phone. A member logs in with their mobile number and sees their
//! card, points and stored value, and shows their QR code (会员码) at the till; someone new
//! registers with an SMS code and either waits for approval or is logged in at once.

use huiyuan_shared::api::{error_code, ApiError, MemberLoginRequest, MemberMe};
use huiyuan_shared::{FieldError, Money};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::brand_mark::BrandMark;
use crate::components::error_view::ErrorView;
use crate::components::form_field::FormField;
use crate::components::lang_switch::LangSwitch;
use crate::components::loading_view::LoadingView;
use crate::components::qr_code::QrCodeView;
use crate::i18n::{use_document_title, use_i18n, Key};
use crate::pages::member::profile_form::OwnProfileForm;
use crate::pages::member::registration_form::RegistrationForm;
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::registration::Registered;

/// What the phone knows about the member session.
#[derive(Clone, Debug, PartialEq)]
enum MemberState {
    Loading,
    Anonymous,
    Registering,
    /// Registered and waiting for HQ's approval, with the member number they were given.
    AwaitingApproval(String),
    LoggedIn(MemberMe),
    Failed(ApiError),
}

#[component]
pub fn MemberPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = RwSignal::new(MemberState::Loading);
    use_document_title(Key::MemberCentre);
    let load = move || {
        state.set(MemberState::Loading);
        spawn_local(async move {
            let next = match api::member_me().await {
                Ok(member) => MemberState::LoggedIn(member),
                Err(error) if error.code == error_code::UNAUTHENTICATED => MemberState::Anonymous,
                Err(error) => MemberState::Failed(error),
            };
            state.set(next);
        });
    };
    load();

    view! {
        <div class="m-shell" data-testid="m-shell">
            <header class="m-topbar">
                <div class="m-topbar__brand">
                    <BrandMark />
                    <span>{move || i18n.t(Key::MemberCentre)}</span>
                </div>
                <LangSwitch />
            </header>
            <main class="m-main">
                {move || match state.get() {
                    MemberState::Loading => view! { <LoadingView /> }.into_any(),
                    MemberState::Anonymous => view! { <MemberLoginForm state /> }.into_any(),
                    MemberState::Registering => {
                        let on_registered = Callback::new(move |registered: Registered| {
                            state.set(after_registration(registered));
                        });
                        let on_back = Callback::new(move |()| state.set(MemberState::Anonymous));
                        view! { <RegistrationForm on_registered on_back /> }.into_any()
                    }
                    MemberState::AwaitingApproval(member_no) => {
                        view! { <AwaitingApproval member_no state /> }.into_any()
                    }
                    MemberState::LoggedIn(member) => view! { <MemberHome member state /> }.into_any(),
                    MemberState::Failed(error) => {
                        let retry = Callback::new(move |()| load());
                        view! { <ErrorView error on_retry=retry /> }.into_any()
                    }
                }}
            </main>
        </div>
    }
}

#[component]
fn MemberLoginForm(state: RwSignal<MemberState>) -> impl IntoView {
    let i18n = use_i18n();
    let phone = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
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
        let request = MemberLoginRequest {
            phone: phone.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::member_login(&request).await {
                Ok(response) => state.set(MemberState::LoggedIn(response.member)),
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
        <form class="m-login card" on:submit=on_submit novalidate=true>
            <h1 class="m-login__title">{move || i18n.t(Key::MemberLoginTitle)}</h1>
            {move || {
                error
                    .get()
                    .map(|failure| {
                        view! {
                            <div class="alert alert--danger" role="alert" data-testid="m-login-error">
                                {member_error_text(i18n, &failure)}
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
                    data-testid="m-login-phone"
                    bind:value=phone
                />
            </FormField>
            <FormField label=Key::Password error=Signal::derive(field_message("password"))>
                <input
                    class="input input--large"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    data-testid="m-login-password"
                    bind:value=password
                />
            </FormField>
            <button
                type="submit"
                class="btn btn--primary btn--large btn--block"
                data-testid="m-login-submit"
                disabled=move || pending.get()
                aria-busy=move || pending.get().to_string()
            >
                {move || if pending.get() { i18n.t(Key::LoggingIn) } else { i18n.t(Key::LoginSubmit) }}
            </button>
            <button
                type="button"
                class="btn btn--ghost m-switch-link"
                data-testid="m-register-link"
                on:click=move |_| state.set(MemberState::Registering)
            >
                {move || i18n.t(Key::RegisterEntry)}
            </button>
        </form>
    }
}

/// Where a registration leads: the approval notice, or the card when the member was
/// logged in at once.
fn after_registration(registered: Registered) -> MemberState {
    match (registered.status, registered.login) {
        (MemberStatus::Active, Some(login)) => MemberState::LoggedIn(login.member),
        (MemberStatus::Active, None) => MemberState::Anonymous,
        _ => MemberState::AwaitingApproval(registered.member_no),
    }
}

#[component]
fn AwaitingApproval(member_no: String, state: RwSignal<MemberState>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="m-login m-pending card" data-testid="m-register-pending">
            <div class="m-pending__icon" aria-hidden="true">"✓"</div>
            <h1 class="m-login__title">{move || i18n.t(Key::PendingTitle)}</h1>
            <p>{move || i18n.t(Key::PendingBody)}</p>
            <p class="m-pending__no">
                <span class="muted">{move || i18n.t(Key::MemberNo)}</span>
                <span class="num" data-testid="m-register-member-no">{member_no}</span>
            </p>
            <button
                type="button"
                class="btn btn--secondary btn--large btn--block"
                data-testid="m-pending-login"
                on:click=move |_| state.set(MemberState::Anonymous)
            >
                {move || i18n.t(Key::LoginSubmit)}
            </button>
        </section>
    }
}

/// Members log in with a phone number, so a refused login names the phone, not a username.
fn member_error_text(i18n: crate::i18n::I18n, error: &ApiError) -> String {
    if error.code == error_code::INVALID_CREDENTIALS {
        i18n.t(Key::ErrMemberInvalidCredentials).to_owned()
    } else {
        i18n.error(error)
    }
}

#[component]
fn MemberHome(member: MemberMe, state: RwSignal<MemberState>) -> impl IntoView {
    let showing_qr = RwSignal::new(false);
    let showing_profile = RwSignal::new(false);
    let back = Callback::new(move |()| {
        showing_qr.set(false);
        showing_profile.set(false);
    });
    move || {
        if showing_qr.get() {
            view! { <MemberQrPanel on_back=back /> }.into_any()
        } else if showing_profile.get() {
            view! { <OwnProfileForm on_back=back /> }.into_any()
        } else {
            let member = member.clone();
            view! { <MemberSummary member state showing_qr showing_profile /> }.into_any()
        }
    }
}

/// Seconds before a code lapses at which the phone asks for the next one, so the code on
/// screen is always one the till will still accept.
const QR_REFRESH_MARGIN_SECONDS: i64 = 5;
/// How long to wait before asking again when a code could not be had.
const QR_RETRY_SECONDS: i64 = 10;

/// 会员码: the member's QR code for the till, replaced by a fresh one before it lapses.
#[component]
fn MemberQrPanel(on_back: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let token = RwSignal::new(String::new());
    let seconds_left = RwSignal::new(0_i64);
    let error = RwSignal::new(None::<ApiError>);
    let fetching = StoredValue::new(false);
    let refresh = move || {
        if fetching.get_value() {
            return;
        }
        fetching.set_value(true);
        spawn_local(async move {
            match api::cards::member_qr().await {
                Ok(code) => {
                    token.try_set(code.token);
                    seconds_left.try_set(code.lifetime_seconds);
                    error.try_set(None);
                }
                Err(failure) => {
                    seconds_left.try_set(QR_RETRY_SECONDS + QR_REFRESH_MARGIN_SECONDS);
                    error.try_set(Some(failure));
                }
            }
            fetching.set_value(false);
        });
    };
    refresh();
    let tick = set_interval_with_handle(
        move || {
            let left = (seconds_left.get_untracked() - 1).max(0);
            seconds_left.try_set(left);
            if left <= QR_REFRESH_MARGIN_SECONDS {
                refresh();
            }
        },
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(tick) = tick {
            tick.clear();
        }
    });
    let countdown = move || {
        let shown = (seconds_left.get() - QR_REFRESH_MARGIN_SECONDS).max(0);
        format!("{shown} {}", i18n.t(Key::QrRefreshIn))
    };
    view! {
        <section class="m-qr card" data-testid="member-qr">
            <h1 class="m-qr__title">{move || i18n.t(Key::MemberQr)}</h1>
            {move || {
                (!token.with(String::is_empty))
                    .then(|| view! { <QrCodeView text=Signal::derive(move || token.get()) /> })
            }}
            <p class="m-qr__hint">{move || i18n.t(Key::MemberQrHint)}</p>
            <p class="m-qr__countdown muted num" data-testid="qr-countdown">{countdown}</p>
            {move || error.get().map(|error| view! { <ErrorView error /> })}
            <button
                class="btn btn--secondary btn--large btn--block"
                data-testid="m-qr-back"
                on:click=move |_| on_back.run(())
            >
                {move || i18n.t(Key::Back)}
            </button>
        </section>
    }
}

#[component]
fn MemberSummary(
    member: MemberMe,
    state: RwSignal<MemberState>,
    showing_qr: RwSignal<bool>,
    showing_profile: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let busy = RwSignal::new(false);
    let logout = move |_| {
        busy.set(true);
        spawn_local(async move {
            // The phone forgets the member even if the server cannot be told.
            let _ = api::member_logout().await;
            state.set(MemberState::Anonymous);
        });
    };
    let balance = Money::from_fen(member.balance_fen).to_string();
    view! {
        <section class="m-card" data-testid="member-card">
            <div class="m-card__top">
                <span class="m-card__level" data-testid="member-level">{member.level_name}</span>
                <span class="m-card__brand">{move || i18n.t(Key::ProductName)}</span>
            </div>
            <p class="m-card__name" data-testid="member-name">{member.name}</p>
            <p class="m-card__phone" data-testid="member-phone">{member.phone_masked}</p>
            <p class="m-card__no">
                <span>{move || i18n.t(Key::MemberNo)}</span>
                <span class="num" data-testid="member-no">{member.member_no}</span>
            </p>
        </section>
        <section class="m-figures">
            <div class="m-figure">
                <span class="m-figure__label">{move || i18n.t(Key::Points)}</span>
                <span class="m-figure__value num" data-testid="member-points">
                    {member.points}
                </span>
            </div>
            <div class="m-figure">
                <span class="m-figure__label">{move || i18n.t(Key::Balance)}</span>
                <span class="m-figure__value num" data-testid="member-balance">
                    {balance}
                </span>
            </div>
        </section>
        <button
            class="btn btn--primary btn--large btn--block m-show-qr"
            data-testid="m-show-qr"
            on:click=move |_| showing_qr.set(true)
        >
            {move || i18n.t(Key::MemberQr)}
        </button>
        <button
            class="btn btn--secondary btn--large btn--block"
            data-testid="m-show-profile"
            on:click=move |_| showing_profile.set(true)
        >
            {move || i18n.t(Key::MyProfile)}
        </button>
        <button
            class="btn btn--secondary btn--large btn--block m-logout"
            data-testid="m-logout"
            disabled=move || busy.get()
            on:click=logout
        >
            {move || i18n.t(Key::Logout)}
        </button>
    }
}
