//! `/hq/offline`: what the counters did without the network. The offline limits on
//! stored value and points (per member and per tablet) that HQ sets, and the overdrafts:
//! offline sales that found, when they reached the server, that the member's balance had
//! already been spent elsewhere. Each is recorded and waits here to be settled.

use std::str::FromStr;

use huiyuan_shared::api::ApiError;
use huiyuan_shared::rules::RuleSet;
use huiyuan_shared::sync::OverdraftConflict;
use huiyuan_shared::{Money, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::staff_guard::StaffGuard;
use crate::format::local_time;
use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

#[component]
pub fn OfflinePage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::ReportView>
            <section class="hq-page" data-testid="offline-page">
                <h1 class="hq-page__title">{move || use_i18n().t(Key::NavOffline)}</h1>
                <OfflineLimits />
                <Conflicts />
            </section>
        </StaffGuard>
    }
}

#[component]
fn OfflineLimits() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let rules = RwSignal::new(None::<RuleSet>);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let member_value = RwSignal::new(String::new());
    let terminal_value = RwSignal::new(String::new());
    let member_points = RwSignal::new(String::new());
    spawn_local(async move {
        match api::sync::rules().await {
            Ok(found) => {
                member_value.set(
                    Money(found.counter.offline_value_per_member_fen)
                        .to_yuan()
                        .to_string(),
                );
                terminal_value.set(
                    Money(found.counter.offline_value_per_terminal_fen)
                        .to_yuan()
                        .to_string(),
                );
                member_points.set(found.counter.offline_points_per_member.to_string());
                rules.set(Some(found));
            }
            Err(failure) => error.set(Some(failure)),
        }
    });
    let save = move |_| {
        let Some(mut next) = rules.get_untracked() else {
            return;
        };
        let parse = |text: String| Money::from_str(text.trim()).ok().map(Money::fen);
        let (Some(member), Some(terminal), Ok(points)) = (
            parse(member_value.get_untracked()),
            parse(terminal_value.get_untracked()),
            member_points.get_untracked().trim().parse::<i64>(),
        ) else {
            error.set(Some(ApiError {
                code: "invalid_input".into(),
                message: i18n.t(Key::PayBadAmount).to_owned(),
                details: serde_json::Value::Null,
            }));
            return;
        };
        next.counter.offline_value_per_member_fen = member;
        next.counter.offline_value_per_terminal_fen = terminal;
        next.counter.offline_points_per_member = points;
        saved.set(false);
        error.set(None);
        spawn_local(async move {
            match api::sync::save_rules(&next).await {
                Ok(stored) => {
                    rules.set(Some(stored));
                    saved.set(true);
                }
                Err(failure) => error.set(Some(failure)),
            }
        });
    };
    let may_edit = move || session.can(Permission::RulesEdit);
    view! {
        <div class="card" data-testid="offline-limits">
            <h2>{move || i18n.t(Key::OfflineLimits)}</h2>
            <p class="hint">{move || i18n.t(Key::OfflineLimitsHint)}</p>
            <div class="form-grid">
                <label class="field">
                    <span class="field__label">{move || i18n.t(Key::OfflineValuePerMember)}</span>
                    <input class="input num" data-testid="limit-member-value" bind:value=member_value disabled=move || !may_edit() />
                </label>
                <label class="field">
                    <span class="field__label">{move || i18n.t(Key::OfflineValuePerTerminal)}</span>
                    <input class="input num" data-testid="limit-terminal-value" bind:value=terminal_value disabled=move || !may_edit() />
                </label>
                <label class="field">
                    <span class="field__label">{move || i18n.t(Key::OfflinePointsPerMember)}</span>
                    <input class="input num" data-testid="limit-member-points" bind:value=member_points disabled=move || !may_edit() />
                </label>
            </div>
            {move || may_edit().then(|| view! {
                <button type="button" class="btn btn--primary" data-testid="limits-save" on:click=save>
                    {move || i18n.t(Key::Save)}
                </button>
            })}
            {move || saved.get().then(|| view! { <p class="alert alert--success" role="status">{move || i18n.t(Key::Saved)}</p> })}
            {move || error.get().map(|error| view! { <ErrorView error /> })}
        </div>
    }
}

#[component]
fn Conflicts() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let open_only = RwSignal::new(true);
    let rows = RwSignal::new(Vec::<OverdraftConflict>::new());
    let error = RwSignal::new(None::<ApiError>);
    let reload = move || {
        let open = open_only.get_untracked();
        spawn_local(async move {
            match api::sync::conflicts(open).await {
                Ok(found) => {
                    error.set(None);
                    rows.set(found);
                }
                Err(failure) => error.set(Some(failure)),
            }
        });
    };
    Effect::new(move |_| {
        open_only.track();
        reload();
    });
    let may_resolve = move || session.can(Permission::ValueRefund);
    view! {
        <div class="card" data-testid="overdrafts">
            <h2>{move || i18n.t(Key::Overdrafts)}</h2>
            <p class="hint">{move || i18n.t(Key::OverdraftsHint)}</p>
            <label class="checkbox">
                <input type="checkbox" bind:checked=open_only />
                {move || i18n.t(Key::OverdraftsOpenOnly)}
            </label>
            {move || error.get().map(|error| view! { <ErrorView error /> })}
            <table class="table">
                <thead>
                    <tr>
                        <th>{move || i18n.t(Key::CreatedAt)}</th>
                        <th>{move || i18n.t(Key::StoreColumn)}</th>
                        <th>{move || i18n.t(Key::CurrentMember)}</th>
                        <th>{move || i18n.t(Key::ReceiptNo)}</th>
                        <th>{move || i18n.t(Key::OverdraftShort)}</th>
                        <th>{move || i18n.t(Key::OverdraftState)}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || rows.get().into_iter().map(|row| {
                        let note = RwSignal::new(String::new());
                        let id = row.id.clone();
                        let resolve = move |_| {
                            let id = id.clone();
                            let text = note.get_untracked();
                            spawn_local(async move {
                                match api::sync::resolve_conflict(&id, &text).await {
                                    Ok(_) => reload(),
                                    Err(failure) => error.set(Some(failure)),
                                }
                            });
                        };
                        let short = format!(
                            "{}{}",
                            if row.shortfall_fen > 0 { Money(row.shortfall_fen).to_string() } else { String::new() },
                            if row.shortfall_points > 0 { format!(" {} {}", row.shortfall_points, i18n.t(Key::Points)) } else { String::new() },
                        );
                        view! {
                            <tr data-testid="overdraft-row">
                                <td>{local_time(row.occurred_at.as_deref().unwrap_or(&row.recorded_at))}</td>
                                <td>{row.store_name.clone()}</td>
                                <td>{format!("{} {}", row.member_name, row.member_no)}</td>
                                <td class="num">{row.receipt_no.clone()}</td>
                                <td class="num" data-testid="overdraft-short">{short}</td>
                                <td>
                                    {match row.resolved_at.clone() {
                                        Some(at) => view! {
                                            <span>{format!("{} · {}", local_time(&at), row.resolution.clone().unwrap_or_default())}</span>
                                        }.into_any(),
                                        None if may_resolve() => view! {
                                            <span class="inline-form">
                                                <input class="input" data-testid="overdraft-note" bind:value=note
                                                    placeholder=move || i18n.t(Key::OverdraftNote) />
                                                <button type="button" class="btn btn--secondary" data-testid="overdraft-resolve"
                                                    on:click=resolve.clone()>{move || i18n.t(Key::OverdraftResolve)}</button>
                                            </span>
                                        }.into_any(),
                                        None => view! { <span class="badge badge--warn">{move || i18n.t(Key::OverdraftOpen)}</span> }.into_any(),
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || rows.get().is_empty().then(|| view! { <p class="hint" data-testid="overdrafts-none">{move || i18n.t(Key::OverdraftsNone)}</p> })}
        </div>
    }
}
