//! Taking payment: any mix of cash (with change), stored value with the PIN, points,
//! bank card, WeChat and Alipay. The amounts are checked against the local quote before
//! anything is recorded; a refusal leaves the cart as it was.

use std::str::FromStr;

use huiyuan_shared::rules;
use huiyuan_shared::sale::{Payment, PaymentMethod};
use huiyuan_shared::Money;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{use_i18n, Key};
use crate::pages::pos::checkout::{self, Outcome, SaleDraft};
use crate::pages::pos::counter::use_counter;
use crate::pages::pos::receipt::{LocalReceipt, ReceiptState};
use crate::session::use_session;
use crate::sync::use_sync;

/// The methods offered, in the order the buttons show them.
const METHODS: [PaymentMethod; 5] = [
    PaymentMethod::Cash,
    PaymentMethod::StoredValue,
    PaymentMethod::BankCard,
    PaymentMethod::Wechat,
    PaymentMethod::Alipay,
];

pub fn method_key(method: PaymentMethod) -> Key {
    match method {
        PaymentMethod::Cash => Key::PayCash,
        PaymentMethod::StoredValue => Key::PayStoredValue,
        PaymentMethod::Points => Key::PayPoints,
        PaymentMethod::BankCard => Key::PayBankCard,
        PaymentMethod::Wechat => Key::PayWechat,
        PaymentMethod::Alipay => Key::PayAlipay,
        PaymentMethod::GiftCard => Key::PayGiftCard,
    }
}

fn fen(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    Money::from_str(text)
        .ok()
        .map(Money::fen)
        .filter(|fen| *fen >= 0)
}

#[component]
pub fn PaymentDialog(receipt: ReceiptState) -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let sync = use_sync();
    let session = use_session();
    let quote = Memo::new(move |_| counter.quote().and_then(Result::ok));
    let due = move || {
        quote
            .get()
            .map(|quote| quote.totals.amount_due.fen())
            .unwrap_or(0)
    };
    let amounts: Vec<(PaymentMethod, RwSignal<String>)> = METHODS
        .iter()
        .map(|method| (*method, RwSignal::new(String::new())))
        .collect();
    let amounts = StoredValue::new(amounts);
    let points = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let amount_of = move |method: PaymentMethod| {
        amounts.with_value(|amounts| {
            amounts
                .iter()
                .find(|(m, _)| *m == method)
                .map(|(_, signal)| *signal)
        })
    };
    // What the typed points are worth under the points-payment rule.
    let points_value = move || -> Result<i64, String> {
        let typed = points.get().trim().parse::<i64>().unwrap_or(0);
        if typed == 0 {
            return Ok(0);
        }
        let Some(quote) = quote.get() else {
            return Ok(0);
        };
        let balance = counter.available().map(|b| b.points).unwrap_or(0);
        rules::check_points_payment(&quote, typed, balance)
            .map(Money::fen)
            .map_err(|error| format!("{}: {}", i18n.t(Key::PayPoints), error.kind.message()))
    };
    let entered = move || -> i64 {
        amounts.with_value(|amounts| {
            amounts
                .iter()
                .map(|(_, signal)| fen(&signal.get()).unwrap_or(0))
                .sum::<i64>()
        }) + points_value().unwrap_or(0)
    };
    let remaining = move || (due() - entered()).max(0);
    let change = move || {
        let cash = amount_of(PaymentMethod::Cash)
            .map(|signal| fen(&signal.get()).unwrap_or(0))
            .unwrap_or(0);
        (entered() - due()).clamp(0, cash)
    };
    let needs_pin = move || {
        let member_pays = amount_of(PaymentMethod::StoredValue)
            .is_some_and(|signal| fen(&signal.get()).unwrap_or(0) > 0)
            || points.get().trim().parse::<i64>().unwrap_or(0) > 0;
        member_pays && counter.member.get().is_some_and(|member| member.pin_set)
    };
    let fill = move |method: PaymentMethod| {
        if let Some(signal) = amount_of(method) {
            let current = fen(&signal.get_untracked()).unwrap_or(0);
            signal.set(Money(current + remaining()).to_yuan().to_string());
        }
    };

    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        let mut payments = Vec::new();
        for (method, signal) in amounts.get_value() {
            let Some(amount) = fen(&signal.get_untracked()) else {
                error.set(Some(format!(
                    "{}: {}",
                    i18n.t(method_key(method)),
                    i18n.t(Key::PayBadAmount)
                )));
                return;
            };
            if amount > 0 {
                payments.push(Payment {
                    method,
                    amount_fen: amount,
                    points: None,
                    card_no: None,
                    pin: None,
                });
            }
        }
        match points_value() {
            Ok(0) => {}
            Ok(value) => payments.push(Payment {
                method: PaymentMethod::Points,
                amount_fen: value,
                points: points.get_untracked().trim().parse().ok(),
                card_no: None,
                pin: None,
            }),
            Err(message) => {
                error.set(Some(message));
                return;
            }
        }
        let paid: i64 = payments.iter().map(|p| p.amount_fen).sum();
        let cash: i64 = payments
            .iter()
            .filter(|p| p.method == PaymentMethod::Cash)
            .map(|p| p.amount_fen)
            .sum();
        // Only cash can be handed over beyond what is due: the rest is change.
        if paid - cash > due() {
            error.set(Some(i18n.t(Key::PayOverpaid).to_owned()));
            return;
        }
        if paid < due() {
            error.set(Some(
                i18n.t(Key::PayShort)
                    .replace("{due}", &Money(due() - paid).to_string()),
            ));
            return;
        }
        let member = counter.member.get_untracked();
        // A frozen member neither spends nor earns: the server refuses any sale naming
        // them, so the till says so before anything is queued.
        if member.as_ref().is_some_and(|member| member.frozen) {
            error.set(Some(i18n.t(Key::ErrMemberFrozen).to_owned()));
            return;
        }
        let lines = counter.lines.get_untracked();
        let typed_pin = Some(pin.get_untracked()).filter(|pin| !pin.is_empty());
        let draft = SaleDraft {
            store_id: counter.store_id,
            member: member.as_ref(),
            lines: &lines,
            payments,
            presented: counter.presented.get_untracked(),
        };
        let request = draft.request();
        let available = counter.available();
        let rules_now = counter.rules.get_untracked();
        let local = LocalReceipt::of_sale(
            &request,
            &lines,
            member.as_ref(),
            quote.get_untracked(),
            &session,
            change(),
        );
        let member_id = member.as_ref().map(|m| m.id.to_string());
        let had_pin = typed_pin.is_some();
        busy.set(true);
        spawn_local(async move {
            let offline_check = {
                let request = request.clone();
                let member = member.clone();
                let typed_pin = typed_pin.clone();
                async move || {
                    checkout::offline_checks(
                        i18n,
                        &request,
                        member.as_ref(),
                        typed_pin.as_deref(),
                        available,
                        rules_now.as_ref(),
                    )
                    .await
                }
            };
            let outcome = checkout::record(sync, request, typed_pin, offline_check).await;
            busy.set(false);
            match outcome {
                Ok(outcome) => {
                    let mut local = local;
                    let mut unconfirmed = false;
                    match outcome {
                        Outcome::Recorded {
                            receipt: recorded,
                            flagged,
                        } => {
                            local.recorded(&recorded, flagged);
                            // The server took the PIN: the till may take it offline again.
                            if let (Some(id), true) = (member_id.as_deref(), had_pin) {
                                checkout::set_offline_pin_failures(id, 0);
                            }
                        }
                        Outcome::Queued => local.offline = true,
                        Outcome::Unconfirmed(reason) => {
                            local.offline = true;
                            unconfirmed = true;
                            counter.error(
                                i18n.t(Key::PosUnconfirmed)
                                    .replace("{reason}", &checkout::message(i18n, &reason)),
                            );
                        }
                    }
                    local.keep().await;
                    counter.clear();
                    counter.paying.set(false);
                    if !unconfirmed {
                        counter.notice.set(None);
                    }
                    receipt.show(local);
                }
                Err(refused) => error.set(Some(checkout::message(i18n, &refused))),
            }
        });
    };

    view! {
        <div class="pos-dialog" role="dialog" aria-modal="true" aria-labelledby="pay-title" data-testid="payment-dialog">
            <div class="pos-dialog__panel">
                <header class="pos-dialog__header">
                    <h2 id="pay-title">{move || i18n.t(Key::Checkout)}</h2>
                    <p class="pos-pay__due">
                        {move || i18n.t(Key::AmountDue)} " "
                        <strong class="num" data-testid="pay-due">{move || Money(due()).to_string()}</strong>
                    </p>
                </header>
                <div class="pos-pay__rows">
                    {amounts.get_value().into_iter().map(|(method, signal)| {
                        let hidden = method == PaymentMethod::StoredValue && counter.member.get_untracked().is_none();
                        (!hidden).then(|| view! {
                            <div class="pos-pay__row">
                                <label class="pos-pay__label" for=format!("pay-{}", method.code())>
                                    {move || i18n.t(method_key(method))}
                                </label>
                                <input
                                    class="input num"
                                    id=format!("pay-{}", method.code())
                                    inputmode="decimal"
                                    data-testid=format!("pay-{}", method.code())
                                    bind:value=signal
                                />
                                <button type="button" class="btn btn--secondary"
                                    data-testid=format!("pay-fill-{}", method.code())
                                    on:click=move |_| fill(method)>
                                    {move || i18n.t(Key::PayRest)}
                                </button>
                            </div>
                        })
                    }).collect_view()}
                    {move || counter.member.get().map(|_| view! {
                        <div class="pos-pay__row">
                            <label class="pos-pay__label" for="pay-points">{move || i18n.t(Key::PayPoints)}</label>
                            <input class="input num" id="pay-points" inputmode="numeric"
                                data-testid="pay-points" bind:value=points />
                            <span class="muted num" data-testid="pay-points-value">
                                {move || match points_value() {
                                    Ok(value) => Money(value).to_string(),
                                    Err(message) => message,
                                }}
                            </span>
                        </div>
                    })}
                    {move || needs_pin().then(|| view! {
                        <div class="pos-pay__row">
                            <label class="pos-pay__label" for="pay-pin">{move || i18n.t(Key::PayPin)}</label>
                            <input class="input num" id="pay-pin" type="password" inputmode="numeric"
                                autocomplete="off" maxlength="6" data-testid="pay-pin" bind:value=pin />
                        </div>
                    })}
                </div>
                <dl class="pos-pay__summary">
                    <div><dt>{move || i18n.t(Key::PayRemaining)}</dt>
                        <dd class="num" data-testid="pay-remaining">{move || Money(remaining()).to_string()}</dd></div>
                    <div><dt>{move || i18n.t(Key::PayChange)}</dt>
                        <dd class="num" data-testid="pay-change">{move || Money(change()).to_string()}</dd></div>
                </dl>
                {move || error.get().map(|message| view! {
                    <p class="alert alert--danger" role="alert" data-testid="pay-error">{message}</p>
                })}
                <footer class="pos-dialog__actions">
                    <button type="button" class="btn btn--secondary btn--pos" data-testid="pay-cancel"
                        disabled=move || busy.get() on:click=move |_| counter.paying.set(false)>
                        {move || i18n.t(Key::Cancel)}
                    </button>
                    <button type="button" class="btn btn--primary btn--pos" data-testid="pay-confirm"
                        disabled=move || busy.get() on:click=confirm>
                        {move || i18n.t(Key::PayConfirm)}
                    </button>
                </footer>
            </div>
        </div>
    }
}
