//! `/hq/card-stock`: card stock (卡库存): make a batch of plastic cards, hand part of a
//! batch to a store, and see the cards counted by location and state.

use std::collections::BTreeMap;

use huiyuan_shared::api::{ApiError, StoreKind};
use huiyuan_shared::card::{
    CardBatch, CardBatchRequest, CardHandoverRequest, CardMedium, CardState, CardStockSummary,
};
use huiyuan_shared::Permission;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::cards_page::{medium_key, state_badge, state_key};
use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::components::staff_guard::StaffGuard;
use crate::format::local_time;
use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

#[component]
pub fn CardStockPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::CardStock>
            <CardStock />
        </StaffGuard>
    }
}

#[component]
fn CardStock() -> impl IntoView {
    let i18n = use_i18n();
    let summary = LocalResource::new(api::cards::stock);
    let reload = Callback::new(move |()| summary.refetch());
    // Kept here: the tables below are drawn anew when the summary is read again.
    let handed_over = RwSignal::new(None::<usize>);
    let body = move || match summary.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Ok(summary)) => {
            view! { <StockTables summary handed_over on_change=reload /> }.into_any()
        }
        Some(Err(error)) => view! { <ErrorView error on_retry=reload /> }.into_any(),
    };
    view! {
        <div class="hq-page">
            <h1 class="hq-page__title">{move || i18n.t(Key::NavCardStock)}</h1>
            <MakeBatchForm on_change=reload />
            {body}
        </div>
    }
}

#[component]
fn MakeBatchForm(on_change: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let count = RwSignal::new("100".to_owned());
    let medium = RwSignal::new("barcode".to_owned());
    let prefix = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let Some(staff) = session.staff() else { return };
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        let prefix = prefix.get_untracked().trim().to_owned();
        let request = CardBatchRequest {
            id: uuid::Uuid::now_v7(),
            store_id: staff.store.id,
            count: count.get_untracked().trim().parse().unwrap_or(0),
            medium: CardMedium::from_code(&medium.get_untracked()).unwrap_or(CardMedium::Barcode),
            kind: None,
            prefix: (!prefix.is_empty()).then_some(prefix),
        };
        spawn_local(async move {
            match api::cards::create_batch(&request).await {
                Ok(_) => on_change.run(()),
                Err(failure) => error.set(Some(failure)),
            }
            pending.set(false);
        });
    };
    view! {
        <form class="card inline-form" on:submit=on_submit data-testid="batch-form">
            <h2 class="card__title">{move || i18n.t(Key::MakeBatch)}</h2>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::CardCount)}</span>
                <input class="input num" inputmode="numeric" data-testid="batch-count" bind:value=count />
            </label>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::CardMedium)}</span>
                <select class="input" data-testid="batch-medium" bind:value=medium>
                    <option value="barcode">{move || i18n.t(Key::MediumBarcode)}</option>
                    <option value="magnetic">{move || i18n.t(Key::MediumMagnetic)}</option>
                    <option value="ic">{move || i18n.t(Key::MediumIc)}</option>
                </select>
            </label>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::CardPrefix)}</span>
                <input class="input mono" inputmode="numeric" data-testid="batch-prefix" bind:value=prefix />
            </label>
            <button class="btn btn--primary" type="submit" data-testid="batch-submit" disabled=move || pending.get()>
                {move || i18n.t(Key::MakeBatch)}
            </button>
            {move || error.get().map(|error| view! { <ErrorView error /> })}
        </form>
    }
}

#[component]
fn StockTables(
    summary: CardStockSummary,
    handed_over: RwSignal<Option<usize>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    // Counts by location and state, whatever batch the cards came from.
    let mut counted: BTreeMap<(String, &'static str), (CardState, i64)> = BTreeMap::new();
    for row in &summary.rows {
        let place = row.location_name.clone().unwrap_or_default();
        let entry = counted
            .entry((place, row.state.code()))
            .or_insert((row.state, 0));
        entry.1 += row.cards;
    }
    let counts_empty = counted.is_empty();
    let batches = summary.batches.clone();
    let batches_empty = batches.is_empty();
    view! {
        <HandOverForm batches=summary.batches.clone() done=handed_over on_change />
        <section class="card card--flush">
            <h2 class="card__title card__title--padded">{move || i18n.t(Key::StockCounts)}</h2>
            <table class="table" data-testid="stock-counts">
                <thead>
                    <tr>
                        <th>{move || i18n.t(Key::CardLocation)}</th>
                        <th>{move || i18n.t(Key::CardState)}</th>
                        <th class="num">{move || i18n.t(Key::Cards)}</th>
                    </tr>
                </thead>
                <tbody>
                    {counted.into_iter().map(|((place, _), (state, cards))| view! {
                        <tr>
                            <td>{place}</td>
                            <td><span class=state_badge(state)>{move || i18n.t(state_key(state))}</span></td>
                            <td class="num">{cards}</td>
                        </tr>
                    }).collect_view()}
                    {counts_empty.then(|| view! {
                        <tr><td colspan="3" class="table__empty">{move || i18n.t(Key::NoData)}</td></tr>
                    })}
                </tbody>
            </table>
        </section>
        <section class="card card--flush">
            <h2 class="card__title card__title--padded">{move || i18n.t(Key::Batches)}</h2>
            <table class="table" data-testid="stock-batches">
                <thead>
                    <tr>
                        <th>{move || i18n.t(Key::CardRange)}</th>
                        <th>{move || i18n.t(Key::CardMedium)}</th>
                        <th class="num">{move || i18n.t(Key::CardCount)}</th>
                        <th>{move || i18n.t(Key::CreatedAt)}</th>
                    </tr>
                </thead>
                <tbody>
                    {batches.into_iter().map(|batch| {
                        let medium = medium_key(batch.medium);
                        let range = format!(
                            "{} – {}",
                            batch.first_card_no.unwrap_or_default(),
                            batch.last_card_no.unwrap_or_default()
                        );
                        view! {
                            <tr>
                                <td class="mono">{range}</td>
                                <td>{move || i18n.t(medium)}</td>
                                <td class="num">{batch.count}</td>
                                <td>{local_time(&batch.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                    {batches_empty.then(|| view! {
                        <tr><td colspan="4" class="table__empty">{move || i18n.t(Key::NoData)}</td></tr>
                    })}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn HandOverForm(
    batches: Vec<CardBatch>,
    done: RwSignal<Option<usize>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let stores = LocalResource::new(api::stores);
    let batch = RwSignal::new(
        batches
            .first()
            .map(|batch| batch.id.to_string())
            .unwrap_or_default(),
    );
    let to_store = RwSignal::new(String::new());
    let count = RwSignal::new("10".to_owned());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let sources: Vec<(String, String)> = batches
        .iter()
        .map(|batch| {
            (
                batch.id.to_string(),
                format!(
                    "{}… ({})",
                    batch.first_card_no.clone().unwrap_or_default(),
                    batch.count
                ),
            )
        })
        .collect();
    let from_of = move |id: &str| {
        batches
            .iter()
            .find(|b| b.id.to_string() == id)
            .map(|b| b.store_id)
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let batch_id = batch.get_untracked();
        let (Some(from), Ok(batch_id), Ok(to)) = (
            from_of(&batch_id),
            batch_id.parse::<uuid::Uuid>(),
            to_store.get_untracked().parse(),
        ) else {
            return;
        };
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        done.set(None);
        let request = CardHandoverRequest {
            id: uuid::Uuid::now_v7(),
            from_store_id: from,
            to_store_id: to,
            batch_id: Some(batch_id),
            count: Some(count.get_untracked().trim().parse().unwrap_or(0)),
            card_nos: Vec::new(),
        };
        spawn_local(async move {
            match api::cards::hand_over(&request).await {
                Ok(handover) => {
                    done.set(Some(handover.card_nos.len()));
                    on_change.run(());
                }
                Err(failure) => error.set(Some(failure)),
            }
            pending.set(false);
        });
    };
    let store_options = move || {
        stores.get().and_then(Result::ok).map(|nodes| {
            let shops: Vec<_> = nodes
                .into_iter()
                .filter(|node| node.kind == StoreKind::Store)
                .collect();
            if to_store.with_untracked(String::is_empty) {
                if let Some(first) = shops.first() {
                    to_store.set(first.id.to_string());
                }
            }
            shops
                .into_iter()
                .map(|node| view! { <option value=node.id.to_string()>{node.name}</option> })
                .collect_view()
        })
    };
    view! {
        <form class="card inline-form" on:submit=on_submit data-testid="handover-form">
            <h2 class="card__title">{move || i18n.t(Key::HandOver)}</h2>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::Batch)}</span>
                <select class="input mono" data-testid="handover-batch" bind:value=batch>
                    {sources.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::CardCount)}</span>
                <input class="input num" inputmode="numeric" data-testid="handover-count" bind:value=count />
            </label>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::ToStore)}</span>
                <select class="input" data-testid="handover-store" bind:value=to_store>{store_options}</select>
            </label>
            <button class="btn btn--primary" type="submit" data-testid="handover-submit" disabled=move || pending.get()>
                {move || i18n.t(Key::HandOver)}
            </button>
            {move || done.get().map(|cards| view! {
                <span class="badge badge--success" data-testid="handover-done">
                    {format!("{} · {cards}", i18n.t(Key::ActionDone))}
                </span>
            })}
            {move || error.get().map(|error| view! { <ErrorView error /> })}
        </form>
    }
}
