//! The receipt (小票): shown after each sale, printed through the browser's print dialog
//! on 58 mm or 80 mm paper, and kept on the tablet for reprinting. A sale made offline
//! prints with the till's own number and says it is waiting to be sent.

use huiyuan_shared::rules::Quote;
use huiyuan_shared::sale::{PaymentMethod, SaleReceipt, SaleRequest};
use huiyuan_shared::sync::CachedMember;
use huiyuan_shared::value::MemberBalances;
use huiyuan_shared::Money;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cache::db::RECEIPTS;
use crate::cache::parked;
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::counter::DraftLine;
use crate::pages::pos::payment_dialog::method_key;
use crate::session::Session;

/// Paper widths a receipt printer takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    Mm58,
    Mm80,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub name: String,
    pub quantity: i64,
    pub unit_fen: i64,
    pub amount_fen: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptPayment {
    pub method: PaymentMethod,
    pub amount_fen: i64,
    pub points: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalReceipt {
    /// The sale's id.
    pub id: String,
    /// The server's receipt number once it has recorded the sale.
    pub receipt_no: Option<String>,
    pub made_ms: i64,
    pub store_name: String,
    pub cashier: String,
    pub member: Option<(String, String)>,
    pub lines: Vec<ReceiptLine>,
    pub subtotal_fen: i64,
    pub discount_fen: i64,
    pub due_fen: i64,
    pub payments: Vec<ReceiptPayment>,
    pub change_fen: i64,
    pub points_earned: Option<i64>,
    pub balances: Option<MemberBalances>,
    pub offline: bool,
    /// The server recorded it and flagged an overdraft.
    #[serde(default)]
    pub flagged: bool,
}

impl LocalReceipt {
    pub fn of_sale(
        request: &SaleRequest,
        lines: &[DraftLine],
        member: Option<&CachedMember>,
        quote: Option<Quote>,
        session: &Session,
        change_fen: i64,
    ) -> LocalReceipt {
        let staff = session.staff();
        let quote_lines = quote
            .as_ref()
            .map(|quote| quote.lines.clone())
            .unwrap_or_default();
        LocalReceipt {
            id: request.id.to_string(),
            receipt_no: None,
            made_ms: js_sys::Date::now() as i64,
            store_name: staff
                .as_ref()
                .map(|s| s.store.name.clone())
                .unwrap_or_default(),
            cashier: staff.map(|s| s.display_name).unwrap_or_default(),
            member: member.map(|m| (m.name.clone(), m.member_no.clone())),
            lines: lines
                .iter()
                .enumerate()
                .map(|(index, line)| ReceiptLine {
                    name: line.item.name.clone(),
                    quantity: line.quantity,
                    unit_fen: line.item.retail_price_fen.fen(),
                    amount_fen: quote_lines
                        .get(index)
                        .map(|l| l.net.fen())
                        .unwrap_or_default(),
                })
                .collect(),
            subtotal_fen: quote
                .as_ref()
                .map(|q| q.totals.gross.fen())
                .unwrap_or_default(),
            discount_fen: quote
                .as_ref()
                .map(|q| q.totals.discounts.total().fen() + q.totals.rounding.fen())
                .unwrap_or_default(),
            due_fen: quote
                .as_ref()
                .map(|q| q.totals.amount_due.fen())
                .unwrap_or_default(),
            payments: request
                .payments
                .iter()
                .map(|p| ReceiptPayment {
                    method: p.method,
                    amount_fen: p.amount_fen,
                    points: p.points,
                })
                .collect(),
            change_fen,
            points_earned: None,
            balances: None,
            offline: false,
            flagged: false,
        }
    }

    /// Takes the server's numbers: receipt number, points earned, balances after.
    pub fn recorded(&mut self, receipt: &serde_json::Value, flagged: bool) {
        if let Ok(receipt) = serde_json::from_value::<SaleReceipt>(receipt.clone()) {
            self.receipt_no = Some(receipt.receipt_no);
            self.points_earned = Some(receipt.points_earned);
            self.balances = receipt.balances;
            self.change_fen = receipt.change_fen;
        }
        self.flagged = flagged;
    }

    /// Keeps the receipt on the tablet for reprinting.
    pub async fn keep(&self) {
        let _ = parked::put(RECEIPTS, self).await;
    }

    /// The number printed: the server's, or the till's own for an offline sale.
    pub fn number(&self) -> String {
        self.receipt_no
            .clone()
            .unwrap_or_else(|| self.local_number())
    }

    /// The till's own number for the sale, printed when it was made offline.
    pub fn local_number(&self) -> String {
        format!("L-{}", &self.id[self.id.len().saturating_sub(12)..])
    }
}

/// The receipt on screen, if any, and the paper it prints on.
#[derive(Clone, Copy)]
pub struct ReceiptState {
    pub shown: RwSignal<Option<LocalReceipt>>,
    pub paper: RwSignal<Paper>,
}

impl ReceiptState {
    pub fn new() -> Self {
        ReceiptState {
            shown: RwSignal::new(None),
            paper: RwSignal::new(Paper::Mm80),
        }
    }

    pub fn show(&self, receipt: LocalReceipt) {
        self.shown.set(Some(receipt));
    }
}

fn print() {
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}

#[component]
pub fn ReceiptDialog(state: ReceiptState) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        state.shown.get().map(|receipt| {
            let paper_class = move || match state.paper.get() {
                Paper::Mm58 => "receipt receipt--58",
                Paper::Mm80 => "receipt receipt--80",
            };
            let when = String::from(
                js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(receipt.made_ms as f64))
                    .to_locale_string("zh-CN", &wasm_bindgen::JsValue::UNDEFINED),
            );
            view! {
                <div class="pos-dialog" role="dialog" aria-modal="true" data-testid="receipt-dialog">
                    <div class="pos-dialog__panel pos-dialog__panel--receipt">
                        {receipt.offline.then(|| view! {
                            <p class="alert alert--warn no-print" data-testid="receipt-offline">
                                {move || i18n.t(Key::ReceiptOffline)}
                            </p>
                        })}
                        {receipt.flagged.then(|| view! {
                            <p class="alert alert--warn no-print" data-testid="receipt-flagged">
                                {move || i18n.t(Key::ReceiptFlagged)}
                            </p>
                        })}
                        <article class=paper_class data-testid="receipt">
                            <h3 class="receipt__store">{receipt.store_name.clone()}</h3>
                            <p class="receipt__meta">
                                {move || i18n.t(Key::ReceiptNo)} " "
                                <span data-testid="receipt-no">{receipt.number()}</span>
                            </p>
                            <p class="receipt__meta">{when} " · " {receipt.cashier.clone()}</p>
                            {receipt.member.clone().map(|(name, number)| view! {
                                <p class="receipt__meta">{move || i18n.t(Key::CurrentMember)} " " {name} " " {number}</p>
                            })}
                            <table class="receipt__lines">
                                <tbody>
                                    {receipt.lines.iter().map(|line| view! {
                                        <tr>
                                            <td>{line.name.clone()}</td>
                                            <td class="num">{format!("{}×{}", line.quantity, Money(line.unit_fen))}</td>
                                            <td class="num">{Money(line.amount_fen).to_string()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <dl class="receipt__totals">
                                <div><dt>{move || i18n.t(Key::Subtotal)}</dt><dd class="num">{Money(receipt.subtotal_fen).to_string()}</dd></div>
                                <div><dt>{move || i18n.t(Key::Discount)}</dt><dd class="num">{Money(receipt.discount_fen).to_string()}</dd></div>
                                <div><dt>{move || i18n.t(Key::AmountDue)}</dt><dd class="num" data-testid="receipt-due">{Money(receipt.due_fen).to_string()}</dd></div>
                                {receipt.payments.iter().map(|payment| {
                                    let method = payment.method;
                                    let points = payment.points.map(|p| format!(" ({p})")).unwrap_or_default();
                                    view! {
                                        <div><dt>{move || i18n.t(method_key(method))}</dt>
                                            <dd class="num">{format!("{}{}", Money(payment.amount_fen), points)}</dd></div>
                                    }
                                }).collect_view()}
                                <div><dt>{move || i18n.t(Key::PayChange)}</dt><dd class="num" data-testid="receipt-change">{Money(receipt.change_fen).to_string()}</dd></div>
                                {receipt.points_earned.map(|points| view! {
                                    <div><dt>{move || i18n.t(Key::PointsEarned)}</dt><dd class="num" data-testid="receipt-points">{points}</dd></div>
                                })}
                                {receipt.balances.map(|balances| view! {
                                    <div><dt>{move || i18n.t(Key::StoredValue)}</dt><dd class="num">{Money(balances.value_fen()).to_string()}</dd></div>
                                    <div><dt>{move || i18n.t(Key::Points)}</dt><dd class="num">{balances.points}</dd></div>
                                })}
                            </dl>
                            <p class="receipt__thanks">{move || i18n.t(Key::ReceiptThanks)}</p>
                        </article>
                        <footer class="pos-dialog__actions no-print">
                            <div class="segmented" role="group" aria-label="paper">
                                <button type="button" class="btn btn--secondary" data-testid="paper-58"
                                    class:btn--active=move || state.paper.get() == Paper::Mm58
                                    on:click=move |_| state.paper.set(Paper::Mm58)>"58 mm"</button>
                                <button type="button" class="btn btn--secondary" data-testid="paper-80"
                                    class:btn--active=move || state.paper.get() == Paper::Mm80
                                    on:click=move |_| state.paper.set(Paper::Mm80)>"80 mm"</button>
                            </div>
                            <button type="button" class="btn btn--secondary btn--pos" data-testid="receipt-print"
                                on:click=move |_| print()>{move || i18n.t(Key::Print)}</button>
                            <button type="button" class="btn btn--primary btn--pos" data-testid="receipt-done"
                                on:click=move |_| state.shown.set(None)>{move || i18n.t(Key::NextCustomer)}</button>
                        </footer>
                    </div>
                </div>
            }
        })
    }
}
