//! Gifts for points (积分兑换, PTS-5): the catalogue's items that carry a points price,
//! taken by a member who pays in points, with the PIN when they have one. It goes
//! through the outbox like a sale; offline the till checks the PIN against the cached
//! verifier and keeps to HQ's offline points limit.

use huiyuan_shared::catalogue::Item;
use huiyuan_shared::redemption::{RedemptionLine, RedemptionRequest};
use huiyuan_shared::sync::{Command, OutboxCommand};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::cache::lookup;
use crate::cache::outbox::OutboxEntry;
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::checkout;
use crate::pages::pos::counter::use_counter;
use crate::sync::{use_sync, Submitted};

#[component]
pub fn RedeemView() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let sync = use_sync();
    let gifts = LocalResource::new(move || async move {
        lookup::all_items()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|item| item.points_price.is_some_and(|points| points > 0))
            .collect::<Vec<Item>>()
    });
    let chosen = RwSignal::new(Vec::<(Item, i64)>::new());
    let pin = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let total = move || {
        chosen.with(|lines| {
            lines
                .iter()
                .map(|(item, quantity)| item.points_price.unwrap_or(0) * quantity)
                .sum::<i64>()
        })
    };
    let add = move |item: Item| {
        chosen.update(
            |lines| match lines.iter_mut().find(|(held, _)| held.id == item.id) {
                Some((_, quantity)) => *quantity += 1,
                None => lines.push((item, 1)),
            },
        )
    };
    let needs_pin = move || counter.member.get().is_some_and(|member| member.pin_set);

    let confirm = move |_| {
        error.set(None);
        let Some(member) = counter.member.get_untracked() else {
            error.set(Some(i18n.t(Key::TopupNeedsMember).to_owned()));
            return;
        };
        let lines = chosen.get_untracked();
        if lines.is_empty() {
            error.set(Some(i18n.t(Key::RedeemPick).to_owned()));
            return;
        }
        let points = total();
        let available = counter.available();
        let typed_pin = Some(pin.get_untracked()).filter(|pin| !pin.is_empty());
        let online = sync.reachable.get_untracked();
        let request = RedemptionRequest {
            id: Uuid::now_v7(),
            member_id: member.id,
            store_id: counter.store_id,
            lines: lines
                .iter()
                .map(|(item, quantity)| RedemptionLine {
                    item_id: item.id.to_string(),
                    quantity: *quantity,
                })
                .collect(),
            pin: None,
            occurred_at: Some(checkout::now_rfc3339()),
        };
        let mut entry = OutboxEntry::new(
            OutboxCommand {
                offline: !online,
                command: Command::Redeem {
                    redemption: request,
                },
            },
            js_sys::Date::now() as i64,
        );
        entry.points_spent = points;
        let rules = counter.rules.get_untracked();
        busy.set(true);
        spawn_local(async move {
            // What the till checks itself before a redemption stands without the server.
            let offline_check = async || {
                checkout::member_spend_checks(
                    i18n,
                    &member,
                    typed_pin.as_deref(),
                    0,
                    points,
                    available,
                    rules.as_ref(),
                )
                .await
            };
            let outcome = sync.submit(entry, typed_pin.clone(), offline_check).await;
            busy.set(false);
            match outcome {
                Ok(Submitted::Rejected(refused)) => {
                    error.set(Some(checkout::message(i18n, &refused)))
                }
                Ok(Submitted::Unconfirmed(reason)) => {
                    error.set(Some(
                        i18n.t(Key::PosUnconfirmed)
                            .replace("{reason}", &checkout::message(i18n, &reason)),
                    ));
                    chosen.set(Vec::new());
                }
                Ok(Submitted::Recorded(_) | Submitted::Queued) => {
                    counter.info(
                        i18n.t(Key::RedeemDone)
                            .replace("{points}", &points.to_string()),
                    );
                    chosen.set(Vec::new());
                    pin.set(String::new());
                }
                Err(refused) => error.set(Some(checkout::message(i18n, &refused))),
            }
        });
    };

    view! {
        <section class="pos-panel pos-redeem" data-testid="redeem-view">
            <h2 class="pos-panel__title">{move || i18n.t(Key::Redeem)}</h2>
            {move || counter.member.get().is_none().then(|| view! {
                <p class="hint">{move || i18n.t(Key::TopupNeedsMember)}</p>
            })}
            <Suspense>
                <ul class="pos-cart__matches" data-testid="gift-list">
                    {move || gifts.get().map(|items| items.into_iter().map(|item| {
                        let picked = item.clone();
                        view! {
                            <li>
                                <button type="button" class="pos-cart__match" data-testid="gift"
                                    on:click=move |_| add(picked.clone())>
                                    <span>{item.name.clone()}</span>
                                    <span class="num">{format!("{} {}", item.points_price.unwrap_or(0), i18n.t(Key::Points))}</span>
                                </button>
                            </li>
                        }
                    }).collect_view())}
                </ul>
            </Suspense>
            <ol class="pos-cart__lines">
                {move || chosen.get().into_iter().map(|(item, quantity)| view! {
                    <li class="pos-line" data-testid="gift-line">
                        <span class="pos-line__name"><strong>{item.name.clone()}</strong></span>
                        <span class="num">{format!("×{quantity}")}</span>
                        <span></span>
                        <span class="pos-line__amount num">{item.points_price.unwrap_or(0) * quantity}</span>
                    </li>
                }).collect_view()}
            </ol>
            <p class="pos-topup__bonus" data-testid="redeem-total">
                {move || i18n.t(Key::RedeemTotal).replace("{points}", &total().to_string())}
            </p>
            {move || needs_pin().then(|| view! {
                <label class="field">
                    <span class="field__label">{move || i18n.t(Key::PayPin)}</span>
                    <input class="input num" type="password" inputmode="numeric" maxlength="6"
                        autocomplete="off" data-testid="redeem-pin" bind:value=pin />
                </label>
            })}
            {move || error.get().map(|message| view! {
                <p class="alert alert--danger" role="alert" data-testid="redeem-error">{message}</p>
            })}
            <button type="button" class="btn btn--primary btn--pos" data-testid="redeem-confirm"
                disabled=move || busy.get() || counter.member.get().is_none() on:click=confirm>
                {move || i18n.t(Key::RedeemConfirm)}
            </button>
        </section>
    }
}
