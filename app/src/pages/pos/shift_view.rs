//! The cashier's shift (开班/交班, SALE-5): open it with the float put in the drawer;
//! at the end count the drawer, and the server says what it expected from the ledger and
//! the difference (长短款), with the shift's takings by method. The drawer is counted
//! against the server's figures, so closing a shift needs the network.

use std::str::FromStr;

use huiyuan_shared::api::{error_code, ApiError};
use huiyuan_shared::shift::{ByMethod, Shift, ShiftClose, ShiftOpen};
use huiyuan_shared::Money;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api;
use crate::cache::meta;
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::checkout;
use crate::pages::pos::counter::use_counter;
use crate::sync::use_sync;

fn parse_fen(text: &str) -> Option<i64> {
    Money::from_str(text.trim())
        .ok()
        .map(Money::fen)
        .filter(|fen| *fen >= 0)
}

#[component]
pub fn ShiftView() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let sync = use_sync();
    let shift = RwSignal::new(None::<Shift>);
    let loaded = RwSignal::new(false);
    let float = RwSignal::new(String::new());
    let counted = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let fail = move |error: ApiError| counter.error(checkout::message(i18n, &error));

    let reload = move || {
        spawn_local(async move {
            match api::shifts::current(counter.store_id).await {
                Ok(found) => shift.set(Some(found)),
                Err(error) if error.code == error_code::NOT_FOUND => shift.set(None),
                Err(error) => fail(error),
            }
            loaded.set(true);
        });
    };
    reload();

    let open = move |_| {
        let Some(fen) = parse_fen(&float.get_untracked()) else {
            counter.error(i18n.t(Key::PayBadAmount));
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let request = ShiftOpen {
                id: Uuid::now_v7(),
                store_id: counter.store_id,
                opening_float_fen: fen,
                device_id: meta::device_id().await.ok(),
            };
            match api::shifts::open(&request).await {
                Ok(opened) => {
                    counter.info(i18n.t(Key::ShiftOpened));
                    shift.set(Some(opened));
                }
                Err(error) => fail(error),
            }
            busy.set(false);
        });
    };
    let close = move |_| {
        let Some(current) = shift.get_untracked() else {
            return;
        };
        let Some(fen) = parse_fen(&counted.get_untracked()) else {
            counter.error(i18n.t(Key::PayBadAmount));
            return;
        };
        let request = ShiftClose {
            counted_fen: fen,
            note: Some(note.get_untracked()),
        };
        busy.set(true);
        spawn_local(async move {
            // Sales still in the outbox belong in the shift's figures: send them first.
            sync.wake();
            match api::shifts::close(&current.id.to_string(), &request).await {
                Ok(closed) => shift.set(Some(closed)),
                Err(error) => fail(error),
            }
            busy.set(false);
        });
    };

    let methods = move |by: ByMethod| {
        [
            (Key::PayCash, by.cash_fen),
            (Key::PayBankCard, by.bank_card_fen),
            (Key::PayWechat, by.wechat_fen),
            (Key::PayAlipay, by.alipay_fen),
            (Key::PayStoredValue, by.stored_value_fen),
            (Key::PayPoints, by.points_fen),
            (Key::PayGiftCard, by.gift_card_fen),
        ]
        .into_iter()
        .filter(|(_, fen)| *fen != 0)
        .map(|(key, fen)| view! {
            <div class="pos-totals__row"><dt>{move || i18n.t(key)}</dt><dd class="num">{Money(fen).to_string()}</dd></div>
        })
        .collect_view()
    };

    view! {
        <section class="pos-panel pos-shift" data-testid="shift-view">
            <h2 class="pos-panel__title">{move || i18n.t(Key::Shift)}</h2>
            {move || (!sync.reachable.get()).then(|| view! {
                <p class="alert alert--warn">{move || i18n.t(Key::ShiftNeedsNetwork)}</p>
            })}
            {move || match (loaded.get(), shift.get()) {
                (false, _) => view! { <p class="muted">{move || i18n.t(Key::Loading)}</p> }.into_any(),
                (true, None) => view! {
                    <label class="field">
                        <span class="field__label">{move || i18n.t(Key::ShiftFloat)}</span>
                        <input class="input input--large num" inputmode="decimal" data-testid="shift-float" bind:value=float />
                    </label>
                    <button type="button" class="btn btn--primary btn--pos" data-testid="shift-open"
                        disabled=move || busy.get() on:click=open>{move || i18n.t(Key::ShiftOpen)}</button>
                }.into_any(),
                (true, Some(current)) => {
                    let drawer = current.drawer;
                    let takings = current.takings.clone();
                    let count = current.count.clone();
                    view! {
                        <dl class="pos-totals" data-testid="shift-takings">
                            <div class="pos-totals__row"><dt>{move || i18n.t(Key::ShiftSales)}</dt>
                                <dd class="num">{format!("{} · {}", takings.sales_count, Money(takings.sales_fen))}</dd></div>
                            {methods(takings.net_by_method)}
                            <div class="pos-totals__row"><dt>{move || i18n.t(Key::ShiftTopups)}</dt>
                                <dd class="num">{Money(takings.topups_by_tender.total_fen()).to_string()}</dd></div>
                            <div class="pos-totals__row pos-totals__row--due"><dt>{move || i18n.t(Key::ShiftExpected)}</dt>
                                <dd class="num" data-testid="shift-expected">{Money(drawer.expected_fen).to_string()}</dd></div>
                        </dl>
                        {match count {
                            Some(count) => view! {
                                <dl class="pos-totals" data-testid="shift-closed">
                                    <div class="pos-totals__row"><dt>{move || i18n.t(Key::ShiftCounted)}</dt>
                                        <dd class="num">{Money(count.counted_fen).to_string()}</dd></div>
                                    <div class="pos-totals__row pos-totals__row--due"><dt>{move || i18n.t(Key::ShiftDifference)}</dt>
                                        <dd class="num" data-testid="shift-difference">{Money(count.difference_fen).to_string()}</dd></div>
                                </dl>
                                <button type="button" class="btn btn--secondary btn--pos" data-testid="shift-new"
                                    on:click=move |_| shift.set(None)>{move || i18n.t(Key::ShiftOpen)}</button>
                            }.into_any(),
                            None => view! {
                                <label class="field">
                                    <span class="field__label">{move || i18n.t(Key::ShiftCounted)}</span>
                                    <input class="input input--large num" inputmode="decimal" data-testid="shift-counted" bind:value=counted />
                                </label>
                                <label class="field">
                                    <span class="field__label">{move || i18n.t(Key::ShiftNote)}</span>
                                    <input class="input" data-testid="shift-note" bind:value=note />
                                </label>
                                <button type="button" class="btn btn--primary btn--pos" data-testid="shift-close"
                                    disabled=move || busy.get() || !sync.reachable.get() on:click=close>
                                    {move || i18n.t(Key::ShiftClose)}
                                </button>
                            }.into_any(),
                        }}
                    }.into_any()
                }
            }}
        </section>
    }
}
