//! Returns by receipt (SALE-3). The goods' value is refunded through the sale's own
//! payments in proportion to what each paid, and the points the goods earned are taken
//! back. Each return works on what is still unreturned, so the last return of a sale
//! refunds exactly what is left and rounding never adds up to more than was paid. A return
//! can never return more than was sold.
//!
//! Points already spent: what the member still holds is taken back; the cash value of
//! the rest, at the points-payment rate (100 points = ¥1 when no rule says otherwise), is
//! kept back from the refund, or, when the rules say `from_stored_value`, deducted from
//! the member's stored value first (SALE-3).

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::giftcard;
use crate::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::sale::current_rules;
use crate::scope;
use huiyuan_shared::rules::{split_proportionally, SpentPointsRecovery};
use huiyuan_shared::sale::{Refund, ReturnReceipt, ReturnRequest, SaleReceipt};
use huiyuan_shared::{FieldError, Money, StoreId, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// Points worth ¥1 when no points-payment rule is in force.
const POINTS_PER_YUAN_DEFAULT: i64 = 100;
const TENDERS: [&str; 4] = ["cash", "bank_card", "wechat", "alipay"];
/// Refund methods in the order kept-back value is taken from them.
const METHODS: [&str; 7] = [
    "cash",
    "bank_card",
    "wechat",
    "alipay",
    "principal",
    "bonus",
    "points",
];

/// Gift-card payments are refunded to each card: their key is `gift_card:<card no>`.
const GIFT_CARD_PREFIX: &str = "gift_card:";

/// The refund methods of a sale: the fixed ones, then a key per gift card it took, and
/// points last (they are never kept back from).
fn methods_of(money: &SaleMoney) -> Vec<String> {
    let mut methods: Vec<String> = METHODS[..METHODS.len() - 1]
        .iter()
        .map(|method| (*method).to_owned())
        .collect();
    methods.extend(
        money
            .paid
            .keys()
            .filter(|key| key.starts_with(GIFT_CARD_PREFIX))
            .cloned(),
    );
    methods.push("points".to_owned());
    methods
}

/// What the sale took through each payment, and the points it moved, from its transfers.
#[derive(Debug, Default)]
struct SaleMoney {
    paid: BTreeMap<String, i64>,
    points_paid: i64,
    points_earned: i64,
}

async fn sale_money(
    connection: &mut AnyConnection,
    sale_id: &str,
    store: &str,
    member: Option<&str>,
) -> Result<SaleMoney, AppError> {
    // Points earned when a member was attached later were posted under their own command.
    let rows = sqlx::query(
        "SELECT debit_account_id, kind, amount FROM transfers WHERE command_id = $1 OR command_id = $2",
    )
    .bind(sale_id)
    .bind(crate::sale_attach::command_id(sale_id))
    .fetch_all(&mut *connection)
    .await?;
    let mut money = SaleMoney::default();
    for row in rows {
        let debit: String = row.try_get("debit_account_id")?;
        let kind: String = row.try_get("kind")?;
        let amount: i64 = row.try_get("amount")?;
        let method = TENDERS
            .into_iter()
            .find(|tender| debit == AccountKey::store_tender(store, tender).id())
            .or_else(|| (debit == AccountKey::store_points_funding(store).id()).then_some("points"))
            .or_else(|| {
                member.and_then(|m| {
                    (debit == AccountKey::member_principal(m).id()).then_some("principal")
                })
            })
            .or_else(|| {
                member.and_then(|m| (debit == AccountKey::member_bonus(m).id()).then_some("bonus"))
            })
            .map(str::to_owned)
            .or_else(|| gift_card_of(&debit).map(|card_no| format!("{GIFT_CARD_PREFIX}{card_no}")));
        match (kind.as_str(), method) {
            ("payment" | "spend", Some(method)) => *money.paid.entry(method).or_default() += amount,
            ("redeem", _) => money.points_paid += amount,
            ("earn", _) => money.points_earned += amount,
            _ => {}
        }
    }
    Ok(money)
}

/// The card number of a gift card's account id (`giftcard:<no>:principal`).
fn gift_card_of(account_id: &str) -> Option<&str> {
    let rest = account_id.strip_prefix("giftcard:")?;
    let (card_no, _) = rest.split_once(':')?;
    (AccountKey::giftcard(card_no).id() == account_id).then_some(card_no)
}

/// What earlier returns of the sale already gave back.
#[derive(Debug, Default)]
struct Returned {
    quantity: BTreeMap<usize, i64>,
    value: BTreeMap<usize, i64>,
    refunded: BTreeMap<String, i64>,
    points_back: i64,
    points_reversed: i64,
}

/// The sale with this receipt number and what has been returned of it, for the
/// counter's return screen; a sale of a store outside the caller's scope is refused (403).
pub async fn find_by_receipt(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    receipt_no: &str,
) -> Result<huiyuan_shared::sale::SaleForReturn, AppError> {
    let row = sqlx::query("SELECT id, store_id, receipt_json FROM sales WHERE receipt_no = $1")
        .bind(receipt_no.trim())
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(AppError::NotFound)?;
    let sale_id: String = row.try_get("id")?;
    let store_id: StoreId =
        crate::auth::principal::parse_id(row.try_get::<String, _>("store_id")?)?;
    scope::counter_store(connection, staff, store_id).await?;
    let sale: SaleReceipt = serde_json::from_str(&row.try_get::<String, _>("receipt_json")?)
        .map_err(|error| AppError::Internal(error.into()))?;
    let returned = returned_so_far(connection, &sale_id).await?;
    let by_line = (0..sale.lines.len())
        .map(|line| returned.quantity.get(&line).copied().unwrap_or(0))
        .collect();
    Ok(huiyuan_shared::sale::SaleForReturn {
        sale,
        returned: by_line,
    })
}

async fn returned_so_far(
    connection: &mut AnyConnection,
    sale_id: &str,
) -> Result<Returned, AppError> {
    let mut returned = Returned::default();
    let lines = sqlx::query(
        "SELECT line, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(amount_fen) AS BIGINT) AS amount \
         FROM sale_return_lines WHERE sale_id = $1 GROUP BY line",
    )
    .bind(sale_id)
    .fetch_all(&mut *connection)
    .await?;
    for row in lines {
        let line = row.try_get::<i64, _>("line")? as usize;
        returned.quantity.insert(line, row.try_get("quantity")?);
        returned.value.insert(line, row.try_get("amount")?);
    }
    let receipts = sqlx::query("SELECT receipt_json FROM sale_returns WHERE sale_id = $1")
        .bind(sale_id)
        .fetch_all(&mut *connection)
        .await?;
    for row in receipts {
        let text: String = row.try_get("receipt_json")?;
        let receipt: ReturnReceipt =
            serde_json::from_str(&text).map_err(|error| AppError::Internal(error.into()))?;
        for refund in receipt.refunds {
            let key = match &refund.card_no {
                Some(card_no) => format!("{GIFT_CARD_PREFIX}{card_no}"),
                None => refund.method.clone(),
            };
            *returned.refunded.entry(key).or_default() += refund.amount_fen + refund.kept_fen;
            returned.points_back += refund.points;
        }
        returned.points_reversed += receipt.points_reversed;
    }
    Ok(returned)
}

fn refuse(field: &str, code: &str, message: &str) -> AppError {
    AppError::field(FieldError::new(field, code, message))
}

/// `part` of `remaining`, scaled to `of` of `total`, rounded down; all of it when the
/// return takes everything left.
fn share(remaining: i64, of: i64, total: i64) -> i64 {
    if total <= 0 || of >= total {
        remaining
    } else {
        (i128::from(remaining) * i128::from(of) / i128::from(total)) as i64
    }
}

pub async fn return_goods(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    sale_id: &str,
    request: ReturnRequest,
) -> Result<ReturnReceipt, AppError> {
    // The sale's row is taken first so that returns of one sale, and a member being
    // attached to it, follow one another (PostgreSQL row lock).
    sqlx::query("UPDATE sales SET id = id WHERE id = $1")
        .bind(sale_id)
        .execute(&mut *connection)
        .await?;
    let row = sqlx::query("SELECT store_id, member_id, receipt_json FROM sales WHERE id = $1")
        .bind(sale_id)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(AppError::NotFound)?;
    let store: String = row.try_get("store_id")?;
    let member: Option<String> = row.try_get("member_id")?;
    let sale: SaleReceipt = serde_json::from_str(&row.try_get::<String, _>("receipt_json")?)
        .map_err(|error| AppError::Internal(error.into()))?;
    let store_id: StoreId = crate::auth::principal::parse_id(store.clone())?;
    scope::counter_store(connection, staff, store_id).await?;

    if request.lines.is_empty() {
        return Err(refuse("lines", "required", "请选择退货商品"));
    }
    let returned = returned_so_far(connection, sale_id).await?;
    let mut errors = ValidationErrors::default();
    let mut seen = std::collections::BTreeSet::new();
    let mut values = Vec::with_capacity(request.lines.len());
    for (index, line) in request.lines.iter().enumerate() {
        let Some(sold) = sale.lines.get(line.line) else {
            errors.fields.push(FieldError::new(
                &format!("lines[{index}].line"),
                "unknown_line",
                "小票上没有这一行",
            ));
            continue;
        };
        if !seen.insert(line.line) {
            errors.fields.push(FieldError::new(
                &format!("lines[{index}].line"),
                "duplicate",
                "同一行只能出现一次",
            ));
            continue;
        }
        let left = sold.quantity - returned.quantity.get(&line.line).copied().unwrap_or(0);
        if line.quantity <= 0 || line.quantity > left {
            errors.fields.push(FieldError::new(
                &format!("lines[{index}].quantity"),
                "exceeds_returnable",
                format!("可退数量为{left}"),
            ));
            continue;
        }
        let value_left = sold.net.fen() - returned.value.get(&line.line).copied().unwrap_or(0);
        values.push((
            line.line,
            line.quantity,
            share(value_left, line.quantity, left),
        ));
    }
    errors.into_result()?;

    let money = sale_money(connection, sale_id, &store, member.as_deref()).await?;
    let methods = methods_of(&money);
    let remaining: Vec<(&str, i64)> = methods
        .iter()
        .map(|method| {
            let paid = money.paid.get(method).copied().unwrap_or(0);
            (
                method.as_str(),
                paid - returned.refunded.get(method).copied().unwrap_or(0),
            )
        })
        .collect();
    let remaining_due: i64 = remaining.iter().map(|(_, amount)| amount).sum();
    let everything_back = sale.lines.iter().enumerate().all(|(index, sold)| {
        let before = returned.quantity.get(&index).copied().unwrap_or(0);
        let now = values
            .iter()
            .find(|(line, ..)| *line == index)
            .map_or(0, |(_, quantity, _)| *quantity);
        before + now == sold.quantity
    });
    let goods_value: i64 = values.iter().map(|(_, _, value)| value).sum();
    // 抹零 made the sale cheaper than its lines: the last return absorbs the difference.
    let refund_total = if everything_back {
        remaining_due
    } else {
        goods_value.min(remaining_due)
    };
    let parts: Vec<Money> = remaining
        .iter()
        .map(|(_, amount)| Money((*amount).max(0)))
        .collect();
    let split = split_proportionally(Money(refund_total), &parts)
        .map_err(|error| AppError::field(error.into()))?;

    let points_value_left = remaining
        .iter()
        .find(|(m, _)| *m == "points")
        .map_or(0, |(_, a)| *a);
    let points_paid_left = money.points_paid - returned.points_back;
    let points_index = methods.len() - 1;
    let points_back = share(
        points_paid_left,
        split[points_index].fen(),
        points_value_left,
    );
    let earned_left = money.points_earned - returned.points_reversed;
    let to_reverse = share(earned_left, refund_total, remaining_due);

    // Points the member no longer holds are paid for: from stored value or out of the
    // refund, as the rules say.
    let rules = current_rules(connection).await?;
    let (reversed, shortfall_fen) = match &member {
        Some(member) if to_reverse > 0 => {
            let balance = ledger::member_balances(connection, member).await?.points + points_back;
            let reversed = to_reverse.min(balance);
            let per_yuan = rules
                .points_payment_rules
                .first()
                .map_or(POINTS_PER_YUAN_DEFAULT, |rule| rule.points_per_yuan);
            let short = to_reverse - reversed;
            (reversed, (short * 100 + per_yuan - 1) / per_yuan)
        }
        _ => (0, 0),
    };
    let mut refunds: Vec<Refund> = methods
        .iter()
        .zip(&split)
        .filter(|(_, amount)| amount.fen() > 0)
        .map(|(method, amount)| {
            let card_no = method.strip_prefix(GIFT_CARD_PREFIX).map(str::to_owned);
            Refund {
                method: if card_no.is_some() {
                    "gift_card".to_owned()
                } else {
                    method.clone()
                },
                card_no,
                amount_fen: amount.fen(),
                points: if method == "points" { points_back } else { 0 },
                kept_fen: 0,
            }
        })
        .collect();
    // Deducted from stored value first when the rules say so, principal and bonus in
    // proportion, never more than the member holds.
    let mut from_value = (0, 0);
    if let (Some(m), SpentPointsRecovery::FromStoredValue, true) = (
        &member,
        rules.counter.spent_points_on_return,
        shortfall_fen > 0,
    ) {
        let held = ledger::member_balances(connection, m).await?;
        let take = shortfall_fen.min(held.value_fen());
        if take > 0 {
            let parts = split_proportionally(
                Money(take),
                &[Money(held.principal_fen), Money(held.bonus_fen)],
            )
            .map_err(|error| AppError::field(error.into()))?;
            from_value = (parts[0].fen(), parts[1].fen());
        }
    }
    let from_stored_value = from_value.0 + from_value.1;
    let mut to_keep = shortfall_fen - from_stored_value;
    for refund in refunds
        .iter_mut()
        .filter(|refund| refund.method != "points")
    {
        let kept = refund.amount_fen.min(to_keep);
        refund.amount_fen -= kept;
        refund.kept_fen = kept;
        to_keep -= kept;
    }
    let shortfall_fen = shortfall_fen - to_keep;

    let mut transfers = Vec::new();
    let mut push = |debit, credit, amount: i64, expire| {
        if amount > 0 {
            transfers.push(NewTransfer {
                debit,
                credit,
                amount,
                kind: TransferKind::Refund,
                memo: Some(format!("退货 {}", sale.receipt_no)),
                points_expire_at: expire,
            });
        }
    };
    let now = now_ms();
    for refund in &refunds {
        let sales = AccountKey::store_sales(&store);
        match (refund.method.as_str(), member.as_deref()) {
            ("principal", Some(m)) => push(
                sales,
                AccountKey::member_principal(m),
                refund.amount_fen,
                None,
            ),
            ("bonus", Some(m)) => push(sales, AccountKey::member_bonus(m), refund.amount_fen, None),
            ("points", Some(m)) => {
                push(
                    sales,
                    AccountKey::store_points_funding(&store),
                    refund.amount_fen,
                    None,
                );
                let rules = current_rules(connection).await?;
                push(
                    AccountKey::store_points_redeemed(&store),
                    AccountKey::member_points(m),
                    refund.points,
                    ledger::expiry::lot_expires_at(&rules, now),
                );
            }
            (tender, _) => {
                if let Some(tender) = TENDERS.into_iter().find(|t| *t == tender) {
                    push(
                        sales,
                        AccountKey::store_tender(&store, tender),
                        refund.amount_fen,
                        None,
                    );
                }
            }
        }
    }
    if let Some(m) = &member {
        push(
            AccountKey::member_principal(m),
            AccountKey::store_sales(&store),
            from_value.0,
            None,
        );
        push(
            AccountKey::member_bonus(m),
            AccountKey::store_sales(&store),
            from_value.1,
            None,
        );
        push(
            AccountKey::member_points(m),
            AccountKey::store_points_issued(&store),
            reversed,
            None,
        );
    }
    // Gift-card payments go back onto their cards (no PIN needed to give value back). A
    // card closed or past its last day can take nothing: its share is paid out in cash,
    // and the refund still names the card so later returns count it against the card.
    for refund in &mut refunds {
        let Some(card_no) = refund.card_no.clone().filter(|_| refund.amount_fen > 0) else {
            continue;
        };
        let memo = Some(format!("退货 {}", sale.receipt_no));
        match giftcard::give_back(connection, &card_no, refund.amount_fen, &store, now).await {
            Ok(back) => transfers.extend(back.into_iter().map(|transfer| NewTransfer {
                memo: memo.clone(),
                ..transfer
            })),
            Err(error) if giftcard::cannot_take_value(&error) => {
                refund.method = "cash".to_owned();
                transfers.push(NewTransfer {
                    debit: AccountKey::store_sales(&store),
                    credit: AccountKey::store_tender(&store, "cash"),
                    amount: refund.amount_fen,
                    kind: TransferKind::Refund,
                    memo,
                    points_expire_at: None,
                });
            }
            Err(error) => return Err(error),
        }
    }
    let context = PostingContext {
        command_id: request.id.to_string(),
        store_id: Some(store.clone()),
        staff_id: Some(staff.id.to_string()),
        device_id: None,
        occurred_at: None,
    };
    ledger::post_transfers(connection, &context, &transfers).await?;

    let balances = match &member {
        Some(m) => Some(ledger::member_balances(connection, m).await?),
        None => None,
    };
    let receipt = ReturnReceipt {
        id: request.id,
        sale_id: sale.id,
        receipt_no: sale.receipt_no.clone(),
        lines: request.lines.clone(),
        value_fen: goods_value,
        refunds,
        points_reversed: reversed + shortfall_points(shortfall_fen, to_reverse - reversed),
        points_shortfall_fen: shortfall_fen,
        points_shortfall_from_stored_value_fen: from_stored_value,
        balances,
        recorded_at: ms_to_rfc3339(now),
    };
    record(connection, staff, &store, sale_id, &receipt, &values, now).await?;
    Ok(receipt)
}

/// The points whose value was kept back count as taken back, so a later return does not
/// take them again.
fn shortfall_points(kept_fen: i64, short_points: i64) -> i64 {
    if kept_fen > 0 {
        short_points
    } else {
        0
    }
}

async fn record(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    store: &str,
    sale_id: &str,
    receipt: &ReturnReceipt,
    values: &[(usize, i64, i64)],
    now: i64,
) -> Result<(), AppError> {
    let receipt_json =
        serde_json::to_string(receipt).map_err(|error| AppError::Internal(error.into()))?;
    let refund_fen: i64 = receipt.refunds.iter().map(|refund| refund.amount_fen).sum();
    sqlx::query(
        "INSERT INTO sale_returns (id, sale_id, store_id, staff_id, refund_fen, points_reversed, receipt_json, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(receipt.id.to_string())
    .bind(sale_id)
    .bind(store)
    .bind(staff.id.to_string())
    .bind(refund_fen)
    .bind(receipt.points_reversed)
    .bind(receipt_json)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    for (line, quantity, amount) in values {
        sqlx::query(
            "INSERT INTO sale_return_lines (return_id, sale_id, line, quantity, amount_fen) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(receipt.id.to_string())
        .bind(sale_id)
        .bind(*line as i64)
        .bind(*quantity)
        .bind(*amount)
        .execute(&mut *connection)
        .await?;
    }
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "sale.return", "sale");
    event.entity_id = Some(sale_id.to_owned());
    event.after = Some(json!({
        "return_id": receipt.id,
        "receipt_no": receipt.receipt_no,
        "refund_fen": refund_fen,
        "points_reversed": receipt.points_reversed,
        "points_shortfall_fen": receipt.points_shortfall_fen,
    }));
    audit::record(connection, event).await?;
    Ok(())
}
