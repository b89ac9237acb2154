//! Returns by receipt number (消费退货, SALE-3). Online the sale is found on the server,
//! whichever till sold it; offline, among the receipts of this tablet. The return goes
//! through the outbox like a sale, and the server refunds through the sale's own
//! payments in proportion.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::sale::{PaymentMethod, ReturnLineRequest, ReturnReceipt, ReturnRequest};
use huiyuan_shared::sync::{Command, OutboxCommand};
use huiyuan_shared::Money;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api;
use crate::cache::db::RECEIPTS;
use crate::cache::outbox::{self, OutboxEntry};
use crate::cache::{lookup, parked};
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::checkout;
use crate::pages::pos::counter::use_counter;
use crate::pages::pos::payment_dialog::method_key;
use crate::pages::pos::receipt::LocalReceipt;
use crate::sync::{use_sync, Submitted};

/// A line of the sale as the return screen offers it.
#[derive(Clone, Debug, PartialEq)]
struct Returnable {
    name: String,
    sold: i64,
    returned: i64,
    amount_fen: i64,
    chosen: RwSignal<i64>,
}

#[derive(Clone, Debug, PartialEq)]
struct FoundSale {
    sale_id: Uuid,
    receipt_no: String,
    lines: Vec<Returnable>,
}

/// The sale with its returns still in this tablet's outbox counted as returned: the
/// server does not know of them yet, and the same goods must not be refunded twice.
async fn find(receipt_no: &str, online: bool) -> Result<Option<FoundSale>, ApiError> {
    let Some(mut sale) = find_recorded(receipt_no, online).await? else {
        return Ok(None);
    };
    for entry in outbox::all().await.unwrap_or_default() {
        if let Command::Return { sale_id, request } = &entry.command.command {
            if *sale_id == sale.sale_id && entry.rejected.is_none() {
                for line in &request.lines {
                    if let Some(returnable) = sale.lines.get_mut(line.line) {
                        returnable.returned += line.quantity;
                    }
                }
            }
        }
    }
    Ok(Some(sale))
}

async fn find_recorded(receipt_no: &str, online: bool) -> Result<Option<FoundSale>, ApiError> {
    if online {
        match api::sync::sale_by_receipt(receipt_no).await {
            Ok(found) => {
                let mut lines = Vec::new();
                for (index, line) in found.sale.lines.iter().enumerate() {
                    let name = lookup::item(&line.item_id)
                        .await
                        .ok()
                        .flatten()
                        .map(|item| item.name)
                        .unwrap_or_else(|| line.item_id.clone());
                    lines.push(Returnable {
                        name,
                        sold: line.quantity,
                        returned: found.returned.get(index).copied().unwrap_or(0),
                        amount_fen: line.net.fen(),
                        chosen: RwSignal::new(0),
                    });
                }
                return Ok(Some(FoundSale {
                    sale_id: found.sale.id,
                    receipt_no: found.sale.receipt_no,
                    lines,
                }));
            }
            Err(error) if error.code != crate::i18n::NETWORK_ERROR => {
                if error.code != huiyuan_shared::api::error_code::NOT_FOUND {
                    return Err(error);
                }
            }
            Err(_) => {}
        }
    }
    // This tablet's own receipts: the way to find a sale with the network down.
    let receipts = parked::all::<LocalReceipt>(RECEIPTS)
        .await
        .unwrap_or_default();
    Ok(receipts
        .into_iter()
        .find(|receipt| {
            // The number on the paper: the till's own for a sale made offline, even
            // after the server has given it one.
            let wanted = receipt_no.trim();
            receipt.number() == wanted || receipt.local_number() == wanted
        })
        .and_then(|receipt| {
            Some(FoundSale {
                sale_id: receipt.id.parse().ok()?,
                receipt_no: receipt.number(),
                lines: receipt
                    .lines
                    .iter()
                    .map(|line| Returnable {
                        name: line.name.clone(),
                        sold: line.quantity,
                        returned: 0,
                        amount_fen: line.amount_fen,
                        chosen: RwSignal::new(0),
                    })
                    .collect(),
            })
        }))
}

/// The label of a refund's method as the return receipt names it.
fn refund_key(method: &str) -> Key {
    let method = match method {
        "principal" | "bonus" => PaymentMethod::StoredValue,
        "points" => PaymentMethod::Points,
        "bank_card" => PaymentMethod::BankCard,
        "wechat" => PaymentMethod::Wechat,
        "alipay" => PaymentMethod::Alipay,
        "gift_card" => PaymentMethod::GiftCard,
        _ => PaymentMethod::Cash,
    };
    method_key(method)
}

#[component]
pub fn ReturnsView() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let sync = use_sync();
    let term = RwSignal::new(String::new());
    let found = RwSignal::new(None::<FoundSale>);
    let refunded = RwSignal::new(None::<ReturnReceipt>);
    let busy = RwSignal::new(false);

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let text = term.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        refunded.set(None);
        let online = sync.reachable.get_untracked();
        spawn_local(async move {
            match find(&text, online).await {
                Ok(Some(sale)) => {
                    counter.notice.set(None);
                    found.set(Some(sale));
                }
                Ok(None) => {
                    found.set(None);
                    counter.error(i18n.t(Key::ReturnNotFound).replace("{no}", &text));
                }
                Err(error) => counter.error(checkout::message(i18n, &error)),
            }
        });
    };

    let confirm = move |_| {
        let Some(sale) = found.get_untracked() else {
            return;
        };
        let lines: Vec<ReturnLineRequest> = sale
            .lines
            .iter()
            .enumerate()
            .filter(|(_, line)| line.chosen.get_untracked() > 0)
            .map(|(index, line)| ReturnLineRequest {
                line: index,
                quantity: line.chosen.get_untracked(),
            })
            .collect();
        if lines.is_empty() {
            counter.error(i18n.t(Key::ReturnPickLines));
            return;
        }
        let online = sync.reachable.get_untracked();
        let entry = OutboxEntry::new(
            OutboxCommand {
                offline: !online,
                command: Command::Return {
                    sale_id: sale.sale_id,
                    request: ReturnRequest {
                        id: Uuid::now_v7(),
                        lines,
                    },
                },
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
                    let receipt = result
                        .receipt
                        .and_then(|receipt| serde_json::from_value::<ReturnReceipt>(receipt).ok());
                    found.set(None);
                    term.set(String::new());
                    refunded.set(receipt);
                    counter.info(i18n.t(Key::ReturnDone));
                }
                Ok(Submitted::Queued | Submitted::Unconfirmed(_)) => {
                    found.set(None);
                    term.set(String::new());
                    counter.info(i18n.t(Key::ReturnQueued));
                }
                Ok(Submitted::Rejected(error)) | Err(error) => {
                    counter.error(checkout::message(i18n, &error))
                }
            }
        });
    };

    view! {
        <section class="pos-panel pos-returns" data-testid="returns-view">
            <h2 class="pos-panel__title">{move || i18n.t(Key::Returns)}</h2>
            <form class="pos-cart__search" role="search" on:submit=on_submit>
                <input class="input input--large num" data-testid="return-receipt-no"
                    placeholder=move || i18n.t(Key::ReturnReceiptPlaceholder) bind:value=term />
            </form>
            {move || found.get().map(|sale| view! {
                <p class="muted">{move || i18n.t(Key::ReceiptNo)} " " <strong class="num">{sale.receipt_no.clone()}</strong></p>
                <ol class="pos-cart__lines">
                    {sale.lines.into_iter().map(|line| {
                        let left = line.sold - line.returned;
                        let chosen = line.chosen;
                        view! {
                            <li class="pos-line" data-testid="return-line">
                                <span class="pos-line__name">
                                    <strong>{line.name.clone()}</strong>
                                    <span class="muted">{i18n.t(Key::ReturnLeft).replace("{n}", &left.to_string())}</span>
                                </span>
                                <span class="pos-line__qty">
                                    <button type="button" class="btn btn--secondary btn--icon" aria-label="-1"
                                        on:click=move |_| chosen.update(|n| *n = (*n - 1).max(0))>"−"</button>
                                    <span class="num" data-testid="return-qty">{move || chosen.get()}</span>
                                    <button type="button" class="btn btn--secondary btn--icon" aria-label="+1"
                                        data-testid="return-plus"
                                        on:click=move |_| chosen.update(|n| *n = (*n + 1).min(left))>"+"</button>
                                </span>
                                <span></span>
                                <span class="pos-line__amount num">{Money(line.amount_fen).to_string()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <button type="button" class="btn btn--primary btn--pos" data-testid="return-confirm"
                    disabled=move || busy.get() on:click=confirm>{move || i18n.t(Key::ReturnConfirm)}</button>
            })}
            {move || refunded.get().map(|receipt| view! {
                <dl class="pos-totals" data-testid="return-refunds">
                    {receipt.refunds.into_iter().map(|refund| {
                        let label = i18n.t(refund_key(&refund.method));
                        view! {
                            <div class="pos-totals__row"><dt>{label}</dt>
                                <dd class="num">{if refund.points > 0 { refund.points.to_string() } else { Money(refund.amount_fen).to_string() }}</dd></div>
                        }
                    }).collect_view()}
                </dl>
            })}
        </section>
    }
}
