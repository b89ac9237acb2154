//! Gift redemption with points (积分兑换礼品, PTS-5): a member takes items that carry a
//! points price and pays with points only. One command, inside the writer's
//! transaction: the gifts looked up, the points moved from the member's points account
//! to the store's `points_redeemed` (where points paid at a sale go too), soonest-expiring
//! lots first, the redemption and its lines recorded, and an audit row.
//!
//! There is no gift stock in the catalogue yet: a redemption takes the points and says
//! what was handed over, but counts no stock down.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::card;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::sale;
use crate::scope;
use crate::sync::overdraft::{self, Overdraft, Overdrawn};
use axum::http::StatusCode;
use huiyuan_shared::api::error_code;
use huiyuan_shared::redemption::{RedemptionReceipt, RedemptionReceiptLine, RedemptionRequest};
use huiyuan_shared::rules::RuleSet;
use huiyuan_shared::{FieldError, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// A redemption a tablet made without the network, sent later by sync push. Like an
/// offline sale: its PIN was checked by the till against the cached verifier, it must
/// keep within the rules' offline points limit, and it is recorded even when another
/// till has spent the member's points meanwhile, the overdraft recorded for HQ.
#[derive(Clone, Copy, Debug)]
pub struct OfflineRedemption {
    pub device_id: uuid::Uuid,
}

/// Carries out a redemption inside the writer's transaction and returns its receipt. An
/// online redemption (`offline: None`) is refused when the member's points do not cover
/// it, and nothing is written.
pub async fn redeem(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    request: RedemptionRequest,
    offline: Option<OfflineRedemption>,
) -> Result<RedemptionReceipt, AppError> {
    request.check()?;
    let store_code = scope::counter_store(connection, staff, request.store_id).await?;
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    let member = request.member_id.to_string();
    // A frozen, archived, merged or not yet approved member spends nothing, online or
    // offline.
    card::standing::check(connection, &member, "member_id").await?;
    let lines = gifts(connection, &request).await?;
    let points = lines
        .iter()
        .try_fold(0_i64, |sum, line| sum.checked_add(line.points))
        .ok_or_else(|| AppError::field(FieldError::new("lines", "out_of_range", "兑换积分过大")))?;
    let shortfall = match offline {
        Some(_) => {
            let rules = sale::current_rules(connection).await?;
            check_offline_limit(&rules, points)?;
            // The member's rows are taken before their balance is read, so the shortfall
            // recorded is the one this redemption makes.
            sale::lock_member_accounts(connection, &member).await?;
            let held = ledger::member_balances(connection, &member).await?.points;
            (points - held.max(0)).max(0)
        }
        None => 0,
    };

    let store = request.store_id.to_string();
    let transfers = [NewTransfer {
        debit: AccountKey::member_points(&member),
        credit: AccountKey::store_points_redeemed(&store),
        amount: points,
        kind: TransferKind::Redeem,
        memo: None,
        points_expire_at: None,
    }];
    let context = PostingContext {
        command_id: request.id.to_string(),
        store_id: Some(store.clone()),
        staff_id: Some(staff.id.to_string()),
        device_id: offline.map(|redemption| redemption.device_id.to_string()),
        occurred_at,
    };
    if shortfall == 0 {
        ledger::post_transfers(connection, &context, &transfers).await?;
    } else {
        ledger::post_transfers_overdrawing(connection, &context, &transfers).await?;
    }

    let now = now_ms();
    let day = sale::business_time(now).date;
    let receipt_no = sale::next_receipt_no(connection, &store, &store_code, day).await?;
    let receipt = RedemptionReceipt {
        id: request.id,
        receipt_no,
        member_id: request.member_id,
        store_id: request.store_id,
        lines,
        points,
        balances: ledger::member_balances(connection, &member).await?,
        recorded_at: ms_to_rfc3339(now),
    };
    record(connection, staff, &receipt, offline, now, occurred_at).await?;
    if let (Some(redemption), true) = (offline, shortfall > 0) {
        let id = receipt.id.to_string();
        let overdraft = Overdraft {
            by: Overdrawn::Redemption(&id),
            member_id: &member,
            store_id: &store,
            device_id: redemption.device_id,
            shortfall_fen: 0,
            shortfall_points: shortfall,
            occurred_at,
            recorded_at: now,
        };
        overdraft::record(connection, staff, &overdraft).await?;
    }
    Ok(receipt)
}

/// The gifts of the request at their points prices, from the catalogue. An unknown or
/// withdrawn item, or one without a points price, is named by its line.
async fn gifts(
    connection: &mut AnyConnection,
    request: &RedemptionRequest,
) -> Result<Vec<RedemptionReceiptLine>, AppError> {
    let mut lines = Vec::with_capacity(request.lines.len());
    let mut errors = ValidationErrors::default();
    for (index, line) in request.lines.iter().enumerate() {
        let field = format!("lines[{index}].item_id");
        let row = sqlx::query(
            "SELECT name, points_price FROM items \
             WHERE id = $1 AND deleted_at IS NULL AND active = 1",
        )
        .bind(&line.item_id)
        .fetch_optional(&mut *connection)
        .await?;
        let Some(row) = row else {
            errors.fields.push(FieldError::new(
                &field,
                "unknown_item",
                "商品不存在或已停售",
            ));
            continue;
        };
        let Some(points_each) = row.try_get::<Option<i64>, _>("points_price")? else {
            errors.fields.push(FieldError::new(
                &field,
                "not_redeemable",
                "该商品不能用积分兑换",
            ));
            continue;
        };
        let Some(points) = points_each.checked_mul(line.quantity) else {
            errors.fields.push(FieldError::new(
                &format!("lines[{index}].quantity"),
                "out_of_range",
                "兑换积分过大",
            ));
            continue;
        };
        lines.push(RedemptionReceiptLine {
            item_id: line.item_id.clone(),
            name: row.try_get("name")?,
            quantity: line.quantity,
            points_each,
            points,
        });
    }
    errors.into_result()?;
    Ok(lines)
}

/// An offline redemption may take at most the rules' per-member offline points: a till
/// that keeps to the limit never sends more, so more is refused.
fn check_offline_limit(rules: &RuleSet, points: i64) -> Result<(), AppError> {
    let limit = rules.counter.offline_points_per_member;
    if points <= limit {
        return Ok(());
    }
    Err(AppError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: error_code::OFFLINE_LIMIT_EXCEEDED,
        message: format!("离线兑换{points}积分超过每位会员限额{limit}"),
        details: json!({
            "fields": [FieldError::new("lines", "offline_limit_exceeded", "超过离线积分限额")],
            "limit": limit,
            "asked": points,
        }),
    })
}

async fn record(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    receipt: &RedemptionReceipt,
    offline: Option<OfflineRedemption>,
    now: i64,
    occurred_at: Option<i64>,
) -> Result<(), AppError> {
    let receipt_json =
        serde_json::to_string(receipt).map_err(|error| AppError::Internal(error.into()))?;
    let id = receipt.id.to_string();
    sqlx::query(
        "INSERT INTO redemptions (id, receipt_no, store_id, staff_id, member_id, points, device_id, \
         receipt_json, occurred_at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(&receipt.receipt_no)
    .bind(receipt.store_id.to_string())
    .bind(staff.id.to_string())
    .bind(receipt.member_id.to_string())
    .bind(receipt.points)
    .bind(offline.map(|redemption| redemption.device_id.to_string()))
    .bind(receipt_json)
    .bind(occurred_at)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    for (line_no, line) in (0_i64..).zip(&receipt.lines) {
        sqlx::query(
            "INSERT INTO redemption_lines (redemption_id, line_no, item_id, name, quantity, points_each, points) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(line_no)
        .bind(&line.item_id)
        .bind(&line.name)
        .bind(line.quantity)
        .bind(line.points_each)
        .bind(line.points)
        .execute(&mut *connection)
        .await?;
    }
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "redemption.create", "redemption");
    event.entity_id = Some(id);
    event.store_id = Some(receipt.store_id);
    event.after = Some(json!({
        "receipt_no": receipt.receipt_no,
        "member_id": receipt.member_id,
        "points": receipt.points,
        "lines": receipt.lines.iter().map(|line| json!({
            "item_id": line.item_id,
            "quantity": line.quantity,
            "points": line.points,
        })).collect::<Vec<_>>(),
        "offline": offline.is_some(),
    }));
    audit::record(connection, event).await?;
    Ok(())
}
