//! Attaching a member to a sale recorded without one (补登会员, SALE-1): the customer
//! shows their card after paying, or the till sold while the member could not be found.
//! Within the days the rules allow, the sale is given to the member and earns the points
//! it would have earned then: priced as it was, under the rules version it was priced
//! with, at the business time it was rung up. Prices are not changed after the fact.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::sale;
use crate::scope;
use huiyuan_shared::rules::{self, Cart, CartLine, PaidBreakdown, Quote, RuleSet};
use huiyuan_shared::sale::{AttachMemberRequest, PaymentMethod, SaleReceipt};
use huiyuan_shared::{FieldError, Money, StoreId};
use serde_json::json;
use sqlx::{AnyConnection, Row};

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// The command id under which an attachment's transfers are posted. Returns read the
/// sale's transfers and these together.
pub fn command_id(sale_id: &str) -> String {
    format!("attach:{sale_id}")
}

fn refuse(field: &str, code: &str, message: impl Into<String>) -> AppError {
    AppError::field(FieldError::new(field, code, message))
}

/// The rules a sale was priced with; the newest if that version is gone.
async fn rules_at(connection: &mut AnyConnection, version: i64) -> Result<RuleSet, AppError> {
    let row = sqlx::query("SELECT rules_json FROM rule_sets WHERE version = $1")
        .bind(version)
        .fetch_optional(&mut *connection)
        .await?;
    match row {
        Some(row) => serde_json::from_str(&row.try_get::<String, _>("rules_json")?)
            .map_err(|error| AppError::Internal(error.into())),
        None => sale::current_rules(connection).await,
    }
}

/// The sale's cart and quote as they were, rebuilt from its receipt. Categories come
/// from the catalogue, for category earning rules; an item since deleted has none.
async fn as_sold(
    connection: &mut AnyConnection,
    receipt: &SaleReceipt,
    rules_version: i64,
) -> Result<(Cart, Quote), AppError> {
    let mut lines = Vec::with_capacity(receipt.lines.len());
    for line in &receipt.lines {
        let path: Option<String> = sqlx::query(
            "SELECT c.path FROM items i LEFT JOIN categories c ON c.id = i.category_id WHERE i.id = $1",
        )
        .bind(&line.item_id)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("path"))
        .transpose()?
        .flatten();
        lines.push(CartLine {
            item_id: line.item_id.clone(),
            category_path: sale::category_path(path.as_deref()),
            quantity: line.quantity,
            unit_price: line.retail_unit_price,
            member_price: None,
            earns_points: line.earns_points,
            manual_discount: None,
        });
    }
    let cart = Cart {
        store_id: receipt.store_id,
        lines,
    };
    let quote = Quote {
        store_id: receipt.store_id,
        rules_version,
        lines: receipt.lines.clone(),
        totals: receipt.totals,
        rounding_mode: Default::default(),
        points_payment: None,
        max_points_usable: 0,
        max_points_value: Money::ZERO,
        earning: None,
        applied_rule_ids: Vec::new(),
    };
    Ok((cart, quote))
}

/// Gives the sale to the member and credits the points it earns. Runs inside the
/// writer's transaction as an idempotent command.
pub async fn attach_member(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    sale_id: &str,
    request: &AttachMemberRequest,
) -> Result<SaleReceipt, AppError> {
    // Taken first so that a return of the same sale waits (PostgreSQL row lock): the
    // return must see the member, or the attachment must see the return.
    sqlx::query("UPDATE sales SET id = id WHERE id = $1")
        .bind(sale_id)
        .execute(&mut *connection)
        .await?;
    let row = sqlx::query(
        "SELECT store_id, member_id, rules_version, receipt_json, recorded_at, occurred_at FROM sales WHERE id = $1",
    )
    .bind(sale_id)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(AppError::NotFound)?;
    let store: String = row.try_get("store_id")?;
    let store_id: StoreId = crate::auth::principal::parse_id(store.clone())?;
    scope::counter_store(connection, staff, store_id).await?;
    if row.try_get::<Option<String>, _>("member_id")?.is_some() {
        return Err(refuse("sale_id", "has_member", "该单已有会员，不能再补登"));
    }
    let returns: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sale_returns WHERE sale_id = $1")
        .bind(sale_id)
        .fetch_one(&mut *connection)
        .await?;
    if returns > 0 {
        return Err(refuse("sale_id", "returned", "该单已有退货，不能补登会员"));
    }
    let current = sale::current_rules(connection).await?;
    let policy = &current.counter;
    let recorded_at: i64 = row.try_get("recorded_at")?;
    let now = now_ms();
    let days = i64::from(policy.attach_member_days);
    if days == 0 {
        return Err(refuse("sale_id", "attach_off", "本店未开通补登会员"));
    }
    if now - recorded_at > days * DAY_MS {
        return Err(refuse(
            "sale_id",
            "attach_expired",
            format!("已超过补登期限（消费后{days}天内）"),
        ));
    }
    let member = request.member_id.to_string();
    let context = crate::level::member_context(connection, &member).await?;

    let rules_version: i64 = row.try_get("rules_version")?;
    let rules = rules_at(connection, rules_version).await?;
    let mut receipt: SaleReceipt = serde_json::from_str(&row.try_get::<String, _>("receipt_json")?)
        .map_err(|error| AppError::Internal(error.into()))?;
    let (cart, quote) = as_sold(connection, &receipt, rules.version).await?;
    // A sale without a member was paid by tenders and gift cards only; gift-card money
    // earns as the rules say, the rest earns.
    let gift_card: i64 = receipt
        .payments
        .iter()
        .filter(|payment| payment.method == PaymentMethod::GiftCard)
        .map(|payment| payment.amount_fen)
        .sum();
    let paid = PaidBreakdown {
        points: Money::ZERO,
        stored_value_bonus: Money::ZERO,
        gift_card: Money(gift_card),
        other: Money(receipt.totals.amount_due.fen() - gift_card),
    };
    let rung_up = row
        .try_get::<Option<i64>, _>("occurred_at")?
        .unwrap_or(recorded_at);
    let earned = rules::points_to_earn(
        &quote,
        &paid,
        Some(&context),
        &rules,
        &cart,
        sale::business_time(rung_up),
    )
    .map_err(|error| AppError::field(error.into()))?
    .points;

    if earned > 0 {
        let posting = PostingContext {
            command_id: command_id(sale_id),
            store_id: Some(store.clone()),
            staff_id: Some(staff.id.to_string()),
            device_id: None,
            occurred_at: None,
        };
        let transfer = NewTransfer {
            debit: AccountKey::store_points_issued(&store),
            credit: AccountKey::member_points(&member),
            amount: earned,
            kind: TransferKind::Earn,
            memo: Some(receipt.receipt_no.clone()),
            points_expire_at: ledger::expiry::lot_expires_at(&current, now),
        };
        ledger::post_transfers(connection, &posting, &[transfer]).await?;
    }
    receipt.member_id = Some(request.member_id);
    receipt.points_earned = earned;
    receipt.member_attached_at = Some(ms_to_rfc3339(now));
    receipt.balances = Some(ledger::member_balances(connection, &member).await?);
    let receipt_json =
        serde_json::to_string(&receipt).map_err(|error| AppError::Internal(error.into()))?;
    sqlx::query(
        "UPDATE sales SET member_id = $1, points_earned = $2, member_attached_at = $3, receipt_json = $4 \
         WHERE id = $5 AND member_id IS NULL",
    )
    .bind(&member)
    .bind(earned)
    .bind(now)
    .bind(receipt_json)
    .bind(sale_id)
    .execute(&mut *connection)
    .await?;

    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "sale.attach_member", "sale");
    event.entity_id = Some(sale_id.to_owned());
    event.store_id = Some(store_id);
    event.after = Some(json!({
        "receipt_no": receipt.receipt_no,
        "member_id": member,
        "points_earned": earned,
    }));
    audit::record(connection, event).await?;
    // The attached sale now counts towards the member's level.
    crate::level::upgrade::after_sale(connection, &member, now).await?;
    Ok(receipt)
}
