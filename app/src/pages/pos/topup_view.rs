//! Top-up at the counter (充值, SV-1): the amount, how it was paid, and the bonus the
//! plans in force give, shown before the cashier confirms. It goes through the outbox
//! like a sale, so it is kept when the network is down.

use std::str::FromStr;

use huiyuan_shared::rules::topup_bonus;
use huiyuan_shared::sync::{Command, OutboxCommand, PushStatus};
use huiyuan_shared::value::{Tender, TopupRequest};
use huiyuan_shared::Money;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::cache::outbox::OutboxEntry;
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::checkout;
use crate::pages::pos::counter::{business_now, use_counter};
use crate::sync::{use_sync, Submitted};

const TENDERS: [(Tender, Key); 4] = [
    (Tender::Cash, Key::PayCash),
    (Tender::BankCard, Key::PayBankCard),
    (Tender::Wechat, Key::PayWechat),
    (Tender::Alipay, Key::PayAlipay),
];

#[component]
pub fn TopupView() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let sync = use_sync();
    let amount = RwSignal::new(String::new());
    let tender = RwSignal::new(Tender::Cash);
    let busy = RwSignal::new(false);
    let amount_fen = move || {
        Money::from_str(amount.get().trim())
            .ok()
            .map(Money::fen)
            .filter(|fen| *fen > 0)
    };
    let bonus = move || {
        let fen = amount_fen()?;
        let rules = counter.rules.get()?;
        let member = counter.member.get()?;
        topup_bonus(
            Money(fen),
            counter.store_id,
            Some(&member.level_id),
            &rules.topup_plans,
            business_now().date,
        )
        .ok()
        .flatten()
    };
    let confirm = move |_| {
        let Some(member) = counter.member.get_untracked() else {
            counter.error(i18n.t(Key::TopupNeedsMember));
            return;
        };
        let Some(fen) = amount_fen() else {
            counter.error(i18n.t(Key::TopupBadAmount));
            return;
        };
        let online = sync.reachable.get_untracked();
        let request = TopupRequest {
            id: Uuid::now_v7(),
            member_id: member.id,
            store_id: counter.store_id,
            amount_fen: fen,
            tender: tender.get_untracked(),
            occurred_at: Some(checkout::now_rfc3339()),
        };
        let entry = OutboxEntry::new(
            OutboxCommand {
                offline: !online,
                command: Command::Topup { topup: request },
            },
            js_sys::Date::now() as i64,
        );
        busy.set(true);
        spawn_local(async move {
            // Taking money in or giving it back needs no check of the till's to stand offline.
            let submitted = sync.submit(entry, None, async || Ok(())).await;
            busy.set(false);
            match submitted {
                Ok(Submitted::Recorded(result)) => {
                    let bonus = result
                        .receipt
                        .as_ref()
                        .and_then(|receipt| receipt.get("bonus_fen"))
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or(0);
                    let flagged = result.status == PushStatus::Conflict;
                    counter.info(
                        i18n.t(Key::TopupDone)
                            .replace("{amount}", &Money(fen).to_string())
                            .replace("{bonus}", &Money(bonus).to_string())
                            + if flagged { " ⚠" } else { "" },
                    );
                    amount.set(String::new());
                }
                Ok(Submitted::Queued | Submitted::Unconfirmed(_)) => {
                    counter.info(
                        i18n.t(Key::TopupQueued)
                            .replace("{amount}", &Money(fen).to_string()),
                    );
                    amount.set(String::new());
                }
                Ok(Submitted::Rejected(error)) | Err(error) => {
                    counter.error(checkout::message(i18n, &error))
                }
            }
        });
    };
    view! {
        <section class="pos-panel pos-topup" data-testid="topup-view">
            <h2 class="pos-panel__title">{move || i18n.t(Key::Topup)}</h2>
            {move || counter.member.get().is_none().then(|| view! {
                <p class="hint">{move || i18n.t(Key::TopupNeedsMember)}</p>
            })}
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::TopupAmount)}</span>
                <input class="input input--large num" inputmode="decimal" data-testid="topup-amount" bind:value=amount />
            </label>
            <div class="segmented" role="group">
                {TENDERS.iter().map(|(option, key)| {
                    let option = *option;
                    let key = *key;
                    view! {
                        <button type="button" class="btn btn--secondary"
                            data-testid=format!("topup-tender-{}", option.code())
                            class:btn--active=move || tender.get() == option
                            on:click=move |_| tender.set(option)>{move || i18n.t(key)}</button>
                    }
                }).collect_view()}
            </div>
            <p class="pos-topup__bonus" data-testid="topup-bonus">
                {move || match bonus() {
                    Some(choice) => i18n.t(Key::TopupBonus).replace("{bonus}", &choice.bonus.to_string()),
                    None => i18n.t(Key::TopupNoBonus).to_owned(),
                }}
            </p>
            <button type="button" class="btn btn--primary btn--pos" data-testid="topup-confirm"
                disabled=move || busy.get() || counter.member.get().is_none() on:click=confirm>
                {move || i18n.t(Key::TopupConfirm)}
            </button>
        </section>
    }
}
