//! Manual points work (PTS-4): 积分调整, a staff correction either way, and 积分补记,
//! points for a past purchase the member did not show their card for. Both need
//! `points.adjust` and a store within the staff's scope, are idempotent commands, post
//! through the ledger, and write an audit row with the reason.
//!
//! Points added come from the store's `points_issued` account and become a lot with the
//! rules' expiry (for a supplement, counted from the day of the purchase); points taken
//! away go to the store's `points_adjusted` account, never below the member's zero.

use crate::access::StaffAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::{self, expiry, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::sale;
use crate::scope;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::points::{AdjustmentKind, PointsAdjustmentReceipt, PointsAdjustmentRequest};
use huiyuan_shared::FieldError;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Adjusts a member's points or supplements points for a past purchase. Sending the same
/// request again returns the first receipt (200) and changes nothing; the same id with
/// different content is a 409. Taking away more than the member holds is refused on
/// `points`, with nothing written.
#[utoipa::path(post, path = "/api/v1/points/adjustments", tag = "points", operation_id = "adjust_points",
    request_body = PointsAdjustmentRequest,
    responses((status = 201, body = PointsAdjustmentReceipt), (status = 200, body = PointsAdjustmentReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<PointsAdjustmentRequest>,
) -> AppResult<(StatusCode, ApiJson<PointsAdjustmentReceipt>)> {
    let checked = request.check()?;
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    let action = match request.kind {
        AdjustmentKind::Adjust => "points.adjust",
        AdjustmentKind::Supplement => "points.supplement",
    };
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: action,
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job_request = request.clone();
    let (outcome, receipt) = commands::execute(&state, meta, &request, move |connection| {
        Box::pin(async move {
            let request = job_request;
            scope::counter_store(connection, &staff, request.store_id).await?;
            scope::existing_member(connection, request.member_id).await?;
            let member = request.member_id.to_string();
            let store = request.store_id.to_string();
            let now = now_ms();
            let before = ledger::member_balances(connection, &member).await?;
            // A receipt of this system earns through the sale itself: supplementing it
            // too would let one purchase earn twice.
            if let (AdjustmentKind::Supplement, Some(reference)) =
                (request.kind, checked.reference.as_deref())
            {
                refuse_own_receipt(connection, reference).await?;
            }
            let kind = match request.kind {
                AdjustmentKind::Adjust => TransferKind::Adjust,
                AdjustmentKind::Supplement => TransferKind::Supplement,
            };
            let transfer = if request.points > 0 {
                // A supplement's points live as long as the purchase's would have.
                let earned_at = match request.kind {
                    AdjustmentKind::Supplement => occurred_at.unwrap_or(now),
                    AdjustmentKind::Adjust => now,
                };
                if earned_at > now {
                    return Err(AppError::field(FieldError::new(
                        "occurred_at",
                        "in_future",
                        "消费时间不能晚于现在",
                    )));
                }
                let rules = sale::current_rules(connection).await?;
                let expires_at = expiry::lot_expires_at(&rules, earned_at);
                if expires_at.is_some_and(|at| at <= now) {
                    return Err(AppError::field(FieldError::new(
                        "occurred_at",
                        "expired",
                        "该笔消费的积分已过有效期，不能补记",
                    )));
                }
                NewTransfer {
                    debit: AccountKey::store_points_issued(&store),
                    credit: AccountKey::member_points(&member),
                    amount: request.points,
                    kind,
                    memo: Some(checked.reason.clone()),
                    points_expire_at: expires_at,
                }
            } else {
                let taken = -request.points;
                if taken > before.points {
                    return Err(exceeds_balance(before.points));
                }
                NewTransfer {
                    debit: AccountKey::member_points(&member),
                    credit: AccountKey::store_points_adjusted(&store),
                    amount: taken,
                    kind,
                    memo: Some(checked.reason.clone()),
                    points_expire_at: None,
                }
            };
            let context = PostingContext {
                command_id: request.id.to_string(),
                store_id: Some(store.clone()),
                staff_id: Some(staff.id.to_string()),
                device_id: None,
                occurred_at,
            };
            let ids = match ledger::post_transfers(connection, &context, &[transfer]).await {
                Ok(ids) => ids,
                // The balance changed since it was read: refused the same way.
                Err(ledger::LedgerError::Insufficient { .. }) => {
                    let now_held = ledger::member_balances(connection, &member).await?;
                    return Err(exceeds_balance(now_held.points));
                }
                Err(error) => return Err(error.into()),
            };
            let expires_at = if request.points > 0 {
                lot_expiry(
                    connection,
                    ids.first().map(String::as_str).unwrap_or_default(),
                )
                .await?
            } else {
                None
            };
            let balances = ledger::member_balances(connection, &member).await?;
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, action, "member");
            event.entity_id = Some(member);
            event.store_id = Some(request.store_id);
            event.before = Some(json!({ "points": before.points }));
            event.after = Some(json!({
                "adjustment_id": request.id,
                "kind": request.kind.code(),
                "points": request.points,
                "reason": checked.reason,
                "reference": checked.reference,
                "balances": balances,
            }));
            audit::record(connection, event).await?;
            Ok(PointsAdjustmentReceipt {
                id: request.id,
                member_id: request.member_id,
                store_id: request.store_id,
                kind: request.kind,
                points: request.points,
                reason: checked.reason,
                reference: checked.reference,
                expires_at: expires_at.map(ms_to_rfc3339),
                balances,
                recorded_at: ms_to_rfc3339(now),
            })
        })
    })
    .await?;
    let status = match outcome {
        ledger::CommandOutcome::Created => StatusCode::CREATED,
        ledger::CommandOutcome::Exists => StatusCode::OK,
    };
    Ok((status, ApiJson(receipt)))
}

/// Taking away more points than the member holds, named on `points`.
fn exceeds_balance(held: i64) -> AppError {
    AppError::Refused {
        status: StatusCode::BAD_REQUEST,
        code: huiyuan_shared::api::error_code::INVALID_INPUT,
        message: format!("points：积分不足，会员现有{held}积分"),
        details: json!({
            "fields": [FieldError::new("points", "exceeds_balance", format!("不能超过会员现有的{held}积分"))],
            "points_held": held,
        }),
    }
}

/// The expiry the ledger gave the lot a credit created.
async fn lot_expiry(connection: &mut AnyConnection, lot_id: &str) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query("SELECT expires_at FROM points_lots WHERE id = $1")
            .bind(lot_id)
            .fetch_optional(&mut *connection)
            .await?
            .map(|row| row.try_get::<i64, _>("expires_at"))
            .transpose()?,
    )
}

/// Refuses a supplement for one of this system's own receipts: a sale with a member has
/// earned already, and one without gets its member attached instead (补登会员).
async fn refuse_own_receipt(
    connection: &mut sqlx::AnyConnection,
    reference: &str,
) -> Result<(), AppError> {
    use sqlx::Row;
    let sale = sqlx::query("SELECT member_id FROM sales WHERE receipt_no = $1")
        .bind(reference)
        .fetch_optional(&mut *connection)
        .await?;
    match sale {
        None => Ok(()),
        Some(row) if row.try_get::<Option<String>, _>("member_id")?.is_some() => {
            Err(AppError::field(FieldError::new(
                "reference",
                "already_earned",
                "该小票已计积分，不能补记",
            )))
        }
        Some(_) => Err(AppError::field(FieldError::new(
            "reference",
            "attach_instead",
            "该小票请用补登会员计积分",
        ))),
    }
}
