//! Sync push: a tablet's outbox, sent as a batch. Each command runs through the same code
//! as its REST endpoint (sales, top-ups, returns, redemptions), in the batch's order, and gets its own
//! result; a refused command never stops the ones after it. A failure of the server
//! itself (the database gone) fails the whole push instead: the till keeps its outbox and
//! sends it again, and the commands already recorded answer `exists`.

use crate::auth::StaffPrincipal;
use crate::error::{AppError, AppResult};
use crate::ledger::{self, CommandOutcome};
use crate::redemption::OfflineRedemption;
use crate::routes::{redemptions, sales, topups};
use crate::sale::OfflineSale;
use crate::state::AppState;
use huiyuan_shared::api::{error_code, ApiError};
use huiyuan_shared::sync::{
    Command, MemberBalanceNow, OutboxCommand, PushBatch, PushResponse, PushResult, PushStatus,
    PUSH_BATCH_MAX,
};
use huiyuan_shared::{FieldError, MemberId, Money, Permission};
use serde_json::json;
use sqlx::Row;

/// The most a push request body may hold: a full batch of the largest sales with room to
/// spare (the API's default limit is far smaller).
pub const PUSH_BODY_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Runs the batch's commands in order and answers one result each, then the balances of
/// every member the batch touched.
pub async fn push(
    state: &AppState,
    staff: &StaffPrincipal,
    batch: PushBatch,
) -> AppResult<PushResponse> {
    if batch.commands.len() > PUSH_BATCH_MAX {
        return Err(AppError::field(FieldError::new(
            "commands",
            "too_many",
            "每批最多100条",
        )));
    }
    let mut results = Vec::with_capacity(batch.commands.len());
    let mut touched: Vec<MemberId> = Vec::new();
    for command in batch.commands {
        let (result, member) = run(state, staff, batch.device_id, command).await?;
        if let Some(member) = member.filter(|member| !touched.contains(member)) {
            touched.push(member);
        }
        results.push(result);
    }
    let mut balances = Vec::with_capacity(touched.len());
    let mut connection = state.db.pool.acquire().await?;
    for member_id in touched {
        balances.push(MemberBalanceNow {
            member_id,
            balances: ledger::member_balances(&mut connection, &member_id.to_string()).await?,
        });
    }
    Ok(PushResponse { results, balances })
}

/// One command's result and the member it touched. Only a failure of the server itself
/// is an error here.
async fn run(
    state: &AppState,
    staff: &StaffPrincipal,
    device_id: uuid::Uuid,
    outbox: OutboxCommand,
) -> AppResult<(PushResult, Option<MemberId>)> {
    let id = outbox.command.id();
    let permission = match &outbox.command {
        Command::Sale { .. } => Permission::SaleCreate,
        Command::Topup { .. } => Permission::ValueTopUp,
        Command::Return { .. } => Permission::PosReturn,
        Command::Redeem { .. } => Permission::PointsRedeem,
    };
    if !staff.can(permission) {
        return Ok((rejected(id, &AppError::Forbidden(permission)), None));
    }
    let staff = staff.clone();
    match outbox.command {
        Command::Sale { sale } => {
            let member = sale.member_id;
            let offline = outbox.offline.then_some(OfflineSale { device_id });
            let done = sales::sell(state, staff, sale, offline).await;
            let result = match done {
                Ok((outcome, receipt)) => {
                    let member = receipt.member_id.or(member);
                    let conflict = match (&outcome, offline) {
                        (CommandOutcome::Created, Some(_)) => {
                            let mut connection = state.db.pool.acquire().await?;
                            crate::sync::overdraft::of_sale(&mut connection, &id.to_string())
                                .await?
                        }
                        _ => None,
                    };
                    let mut result = recorded(id, &outcome, &receipt)?;
                    if let Some(conflict) = conflict {
                        result.status = PushStatus::Conflict;
                        result.error = Some(ApiError {
                            code: error_code::OFFLINE_OVERDRAFT.to_owned(),
                            message: format!(
                                "离线消费已入账，但会员余额不足：储值差{}，积分差{}，已提交总部处理",
                                Money(conflict.shortfall_fen),
                                conflict.shortfall_points
                            ),
                            details: json!({
                                "conflict_id": conflict.id,
                                "shortfall_fen": conflict.shortfall_fen,
                                "shortfall_points": conflict.shortfall_points,
                            }),
                        });
                    }
                    return Ok((result, member));
                }
                Err(error) => refused(id, error)?,
            };
            Ok((result, member))
        }
        Command::Topup { topup } => {
            let member = Some(topup.member_id);
            let result = match topups::top_up(state, staff, topup).await {
                Ok((outcome, receipt)) => recorded(id, &outcome, &receipt)?,
                Err(error) => refused(id, error)?,
            };
            Ok((result, member))
        }
        Command::Return { sale_id, request } => {
            let result = match sales::return_sale(state, staff, sale_id, request).await {
                Ok((outcome, receipt)) => recorded(id, &outcome, &receipt)?,
                Err(error) => refused(id, error)?,
            };
            Ok((result, sale_member(state, sale_id).await?))
        }
        Command::Redeem { redemption } => {
            let member = Some(redemption.member_id);
            let offline = outbox.offline.then_some(OfflineRedemption { device_id });
            let result = match redemptions::redeem(state, staff, redemption, offline).await {
                Ok((outcome, receipt)) => {
                    let mut result = recorded(id, &outcome, &receipt)?;
                    if outcome == CommandOutcome::Created && offline.is_some() {
                        let mut connection = state.db.pool.acquire().await?;
                        let id = id.to_string();
                        if let Some(conflict) =
                            crate::sync::overdraft::of_redemption(&mut connection, &id).await?
                        {
                            result.status = PushStatus::Conflict;
                            result.error = Some(redemption_overdraft(&conflict));
                        }
                    }
                    result
                }
                Err(error) => refused(id, error)?,
            };
            Ok((result, member))
        }
    }
}

/// What an offline redemption that overdrew the member's points is flagged with.
fn redemption_overdraft(conflict: &huiyuan_shared::sync::OverdraftConflict) -> ApiError {
    ApiError {
        code: error_code::OFFLINE_OVERDRAFT.to_owned(),
        message: format!(
            "离线兑换已入账，但会员积分不足：积分差{}，已提交总部处理",
            conflict.shortfall_points
        ),
        details: json!({
            "conflict_id": conflict.id,
            "shortfall_fen": conflict.shortfall_fen,
            "shortfall_points": conflict.shortfall_points,
        }),
    }
}

/// A command recorded now or before.
fn recorded<T: serde::Serialize>(
    id: uuid::Uuid,
    outcome: &CommandOutcome,
    receipt: &T,
) -> AppResult<PushResult> {
    let receipt =
        serde_json::to_value(receipt).map_err(|error| AppError::Internal(error.into()))?;
    Ok(PushResult {
        id,
        status: match outcome {
            CommandOutcome::Created => PushStatus::Created,
            CommandOutcome::Exists => PushStatus::Exists,
        },
        receipt: Some(receipt),
        error: None,
    })
}

/// A refusal becomes the command's result; a failure of the server fails the push.
fn refused(id: uuid::Uuid, error: AppError) -> AppResult<PushResult> {
    match error {
        AppError::Database(_) | AppError::Internal(_) => Err(error),
        refusal => Ok(rejected(id, &refusal)),
    }
}

fn rejected(id: uuid::Uuid, error: &AppError) -> PushResult {
    PushResult {
        id,
        status: PushStatus::Rejected,
        receipt: None,
        error: Some(error.to_api_error().1),
    }
}

/// The member of a returned sale, whose balances the return moved.
async fn sale_member(state: &AppState, sale_id: uuid::Uuid) -> AppResult<Option<MemberId>> {
    let row = sqlx::query("SELECT member_id FROM sales WHERE id = $1")
        .bind(sale_id.to_string())
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let member: Option<String> = row.try_get("member_id")?;
    Ok(member.and_then(|text| text.parse().ok()))
}
