//! The cart: lines scanned or picked from the catalogue, their quantities and any line
//! discount the cashier may give, and the totals of the local quote.

use huiyuan_shared::catalogue::Item;
use huiyuan_shared::rules::ManualDiscount;
use huiyuan_shared::{Money, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::cache::lookup;
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::counter::{use_counter, Counter};
use crate::session::use_session;

/// Items offered for one catalogue search at most.
const ITEM_MATCHES_MAX: usize = 12;

/// Adds the item with this barcode or code, or says it is unknown; the cart is kept.
pub async fn add_by_code(counter: Counter, code: &str, unknown: String) {
    match lookup::item_by_barcode(code).await {
        Ok(Some(item)) => {
            counter.notice.set(None);
            counter.add_item(item);
        }
        Ok(None) => counter.error(unknown.replace("{code}", code)),
        Err(error) => counter.error(error.to_string()),
    }
}

#[component]
pub fn CartPanel() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let term = RwSignal::new(String::new());
    let matches = RwSignal::new(Vec::<Item>::new());
    let catalogue = StoredValue::new(None::<Vec<Item>>);

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let text = term.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        spawn_local(async move {
            // A barcode or item code first; otherwise part of a name.
            if let Ok(Some(item)) = lookup::item_by_barcode(&text).await {
                counter.notice.set(None);
                counter.add_item(item);
                term.set(String::new());
                matches.set(Vec::new());
                return;
            }
            if catalogue.get_value().is_none() {
                match lookup::all_items().await {
                    Ok(items) => catalogue.set_value(Some(items)),
                    Err(error) => {
                        counter.error(error.to_string());
                        return;
                    }
                }
            }
            let found: Vec<Item> = catalogue.with_value(|items| {
                items
                    .iter()
                    .flatten()
                    .filter(|item| item.name.contains(&text) || item.code.contains(&text))
                    .take(ITEM_MATCHES_MAX)
                    .cloned()
                    .collect()
            });
            if found.is_empty() {
                counter.error(i18n.t(Key::PosUnknownItem).replace("{code}", &text));
            }
            matches.set(found);
        });
    };

    let quote = Memo::new(move |_| counter.quote());
    let totals = move || quote.get().and_then(Result::ok).map(|quote| quote.totals);
    let count = move || {
        counter
            .lines
            .with(|lines| lines.iter().map(|line| line.quantity).sum::<i64>())
    };

    view! {
        <section class="pos-panel pos-cart" aria-labelledby="pos-cart-title">
            <h2 id="pos-cart-title" class="pos-panel__title">{move || i18n.t(Key::Cart)}</h2>
            <form class="pos-cart__search" role="search" on:submit=on_submit>
                <input
                    class="input input--large"
                    type="search"
                    enterkeyhint="search"
                    data-testid="item-search"
                    placeholder=move || i18n.t(Key::PosItemSearchPlaceholder)
                    bind:value=term
                />
            </form>
            {move || (!matches.get().is_empty()).then(|| view! {
                <ul class="pos-cart__matches" data-testid="item-matches">
                    {matches.get().into_iter().map(|item| {
                        let picked = item.clone();
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="pos-cart__match"
                                    data-testid="item-match"
                                    on:click=move |_| {
                                        counter.add_item(picked.clone());
                                        matches.set(Vec::new());
                                        term.set(String::new());
                                    }
                                >
                                    <span>{item.name.clone()}</span>
                                    <span class="num">{item.retail_price_fen.to_string()}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <Lines />
            <dl class="pos-totals" data-testid="cart-totals">
                <div class="pos-totals__row">
                    <dt>{move || i18n.t(Key::ItemCount)}</dt>
                    <dd class="num" data-testid="item-count">{count}</dd>
                </div>
                <div class="pos-totals__row">
                    <dt>{move || i18n.t(Key::Subtotal)}</dt>
                    <dd class="num">{move || totals().map(|t| t.gross).unwrap_or(Money::ZERO).to_string()}</dd>
                </div>
                <div class="pos-totals__row">
                    <dt>{move || i18n.t(Key::Discount)}</dt>
                    <dd class="num" data-testid="discount">
                        {move || totals().map(|t| Money(t.discounts.total().fen() + t.rounding.fen())).unwrap_or(Money::ZERO).to_string()}
                    </dd>
                </div>
                <div class="pos-totals__row">
                    <dt>{move || i18n.t(Key::PointsToEarn)}</dt>
                    <dd class="num" data-testid="points-to-earn">
                        {move || quote.get().and_then(Result::ok)
                            .and_then(|q| counter.points_estimate(&q))
                            .map(|points| points.to_string())
                            .unwrap_or_else(|| "—".to_owned())}
                    </dd>
                </div>
                <div class="pos-totals__row pos-totals__row--due">
                    <dt>{move || i18n.t(Key::AmountDue)}</dt>
                    <dd class="num" data-testid="amount-due">
                        {move || totals().map(|t| t.amount_due).unwrap_or(Money::ZERO).to_string()}
                    </dd>
                </div>
            </dl>
            {move || quote.get().and_then(Result::err).map(|error| view! {
                <p class="alert alert--danger" role="alert">{error}</p>
            })}
        </section>
    }
}

#[component]
fn Lines() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let session = use_session();
    let may_discount = move || session.can(Permission::PosDiscountLine);
    let quote = Memo::new(move |_| counter.quote().and_then(Result::ok));
    move || {
        let lines = counter.lines.get();
        if lines.is_empty() {
            return view! {
                <div class="pos-cart__lines pos-cart__lines--empty" data-testid="cart-empty">
                    <p class="pos-cart__empty-title">{move || i18n.t(Key::CartEmpty)}</p>
                    <p class="hint">{move || i18n.t(Key::CartEmptyHint)}</p>
                </div>
            }
            .into_any();
        }
        view! {
            <ol class="pos-cart__lines" data-testid="cart-lines">
                {lines.into_iter().enumerate().map(|(index, line)| {
                    let amount = move || quote.get()
                        .and_then(|quote| quote.lines.get(index).map(|line| line.net))
                        .unwrap_or(Money::ZERO)
                        .to_string();
                    let change = move |delta: i64| counter.lines.update(|lines| {
                        if let Some(line) = lines.get_mut(index) {
                            line.quantity += delta;
                        }
                        lines.retain(|line| line.quantity > 0);
                    });
                    let discount = move |_| counter.lines.update(|lines| {
                        if let Some(line) = lines.get_mut(index) {
                            // 9折 and back: the commonest line discount at a counter.
                            line.manual_discount = match line.manual_discount {
                                None => Some(ManualDiscount::Rate { payable_bp: 9_000 }),
                                Some(_) => None,
                            };
                        }
                    });
                    let discounted = line.manual_discount.is_some();
                    view! {
                        <li class="pos-line" data-testid="cart-line">
                            <span class="pos-line__name">
                                <strong>{line.item.name.clone()}</strong>
                                <span class="muted num">{line.item.retail_price_fen.to_string()}</span>
                            </span>
                            <span class="pos-line__qty">
                                <button type="button" class="btn btn--secondary btn--icon"
                                    data-testid="line-minus" aria-label="-1" on:click=move |_| change(-1)>"−"</button>
                                <span class="num" data-testid="line-qty">{line.quantity}</span>
                                <button type="button" class="btn btn--secondary btn--icon"
                                    data-testid="line-plus" aria-label="+1" on:click=move |_| change(1)>"+"</button>
                            </span>
                            {move || may_discount().then(|| view! {
                                <button type="button" class="btn btn--ghost" data-testid="line-discount"
                                    class:btn--active=discounted on:click=discount>
                                    {move || i18n.t(Key::PosLineDiscount)}
                                </button>
                            })}
                            <span class="pos-line__amount num" data-testid="line-amount">{amount}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        }
        .into_any()
    }
}
