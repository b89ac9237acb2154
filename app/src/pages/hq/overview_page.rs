//! `/hq`: who is logged in, where, with what role, and whether the system is healthy.

use huiyuan_shared::api::Health;
use leptos::prelude::*;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let health = LocalResource::new(api::health);

    let who = move || {
        session.staff().map(|staff| {
            view! {
                <section class="card stat-card" data-testid="overview-staff">
                    <h2 class="card__title">{move || i18n.t(Key::SignedInAs)}</h2>
                    <p class="stat-card__big">{staff.display_name.clone()}</p>
                    <dl class="facts">
                        <dt>{move || i18n.t(Key::ColUsername)}</dt>
                        <dd>{staff.username.clone()}</dd>
                        <dt>{move || i18n.t(Key::Role)}</dt>
                        <dd>{staff.role.name.clone()}</dd>
                        <dt>{move || i18n.t(Key::StoreNode)}</dt>
                        <dd>{staff.store.name.clone()}</dd>
                        <dt>{move || i18n.t(Key::PermissionCount)}</dt>
                        <dd class="num" data-testid="permission-count">{staff.permissions.len()}</dd>
                    </dl>
                </section>
            }
        })
    };

    let health_view = move || match health.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Ok(health)) => view! { <HealthFacts health /> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| health.refetch());
            view! { <ErrorView error on_retry=retry /> }.into_any()
        }
    };

    view! {
        <div class="hq-page">
            <h1 class="hq-page__title">{move || i18n.t(Key::NavOverview)}</h1>
            <div class="card-grid">
                {who}
                <section class="card stat-card" data-testid="overview-health">
                    <h2 class="card__title">{move || i18n.t(Key::SystemHealth)}</h2>
                    {health_view}
                </section>
            </div>
        </div>
    }
}

#[component]
fn HealthFacts(health: Health) -> impl IntoView {
    let i18n = use_i18n();
    let healthy = health.status == "ok";
    view! {
        <p class="stat-card__big">
            <span
                class="badge"
                class:badge--success=healthy
                class:badge--danger=!healthy
                data-testid="health-status"
            >
                {move || if healthy { i18n.t(Key::HealthOk) } else { i18n.t(Key::HealthBad) }}
            </span>
        </p>
        <dl class="facts">
            <dt>{move || i18n.t(Key::Database)}</dt>
            <dd>{health.database}</dd>
            <dt>{move || i18n.t(Key::Version)}</dt>
            <dd class="num">{health.version}</dd>
        </dl>
    }
}
