//! 储值退款/现金提取 (SV-3): principal (本金) goes back to the member out of the store's
//! till (or by card, WeChat, Alipay), and the bonus (赠送金) that came with it is taken
//! back as the rules' withdrawal policy says: by default in the same proportion, all of
//! it when all the principal goes. Bonus is never paid out.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::sale;
use crate::scope;
use axum::http::StatusCode;
use huiyuan_shared::api::error_code;
use huiyuan_shared::rules::withdrawal_split;
use huiyuan_shared::value::MemberBalances;
use huiyuan_shared::withdrawal::{WithdrawalReceipt, WithdrawalRequest};
use huiyuan_shared::{FieldError, Money};
use serde_json::json;
use sqlx::AnyConnection;

/// A withdrawal request whose fields have been checked: the principal asked for (`None`
/// for all of it), the reason as it will be recorded, and when it happened.
#[derive(Clone, Debug)]
pub struct CheckedWithdrawal {
    pub request: WithdrawalRequest,
    pub amount_fen: Option<i64>,
    pub reason: String,
    pub occurred_at: Option<i64>,
}

/// Carries out a withdrawal inside the caller's transaction and returns its receipt.
pub async fn withdraw(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    checked: CheckedWithdrawal,
) -> Result<WithdrawalReceipt, AppError> {
    let request = &checked.request;
    scope::counter_store(connection, staff, request.store_id).await?;
    scope::existing_member(connection, request.member_id).await?;
    let member = request.member_id.to_string();
    // A frozen member's value stays where it is until they are unfrozen.
    crate::card::standing::check(connection, &member, "member_id").await?;
    lock_stored_value(connection, &member).await?;
    let before = ledger::member_balances(connection, &member).await?;
    let principal_out = match checked.amount_fen {
        Some(fen) if fen > before.principal_fen => return Err(above_balance(fen, &before)),
        Some(fen) => fen,
        None if before.value_fen() == 0 => {
            return Err(AppError::field(FieldError::new(
                "all",
                "nothing_to_withdraw",
                "该会员没有储值可退",
            )))
        }
        None => before.principal_fen,
    };
    let rules = sale::current_rules(connection).await?;
    let split = withdrawal_split(
        Money(principal_out),
        Money(before.principal_fen),
        Money(before.bonus_fen),
        &rules.withdrawal,
    )
    .map_err(|error| AppError::field(error.into()))?;
    let store = request.store_id.to_string();
    let mut transfers = Vec::new();
    if split.principal_paid.fen() > 0 {
        transfers.push(NewTransfer {
            debit: AccountKey::member_principal(&member),
            credit: AccountKey::store_tender(&store, request.tender.code()),
            amount: split.principal_paid.fen(),
            kind: TransferKind::Withdraw,
            memo: Some(checked.reason.clone()),
            points_expire_at: None,
        });
    }
    if split.bonus_forfeited.fen() > 0 {
        transfers.push(NewTransfer {
            debit: AccountKey::member_bonus(&member),
            credit: AccountKey::store_bonus_issued(&store),
            amount: split.bonus_forfeited.fen(),
            kind: TransferKind::Forfeit,
            memo: Some(checked.reason.clone()),
            points_expire_at: None,
        });
    }
    let context = PostingContext {
        command_id: request.id.to_string(),
        store_id: Some(store),
        staff_id: Some(staff.id.to_string()),
        device_id: None,
        occurred_at: checked.occurred_at,
    };
    ledger::post_transfers(connection, &context, &transfers).await?;
    let balances = ledger::member_balances(connection, &member).await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "value.withdraw", "member");
    event.entity_id = Some(member);
    event.store_id = Some(request.store_id);
    event.before = Some(json!({ "balances": before }));
    event.after = Some(json!({
        "withdrawal_id": request.id,
        "principal_paid_fen": split.principal_paid.fen(),
        "bonus_forfeited_fen": split.bonus_forfeited.fen(),
        "bonus_forfeit": rules.withdrawal.bonus_forfeit,
        "tender": request.tender.code(),
        "reason": checked.reason,
        "balances": balances,
    }));
    audit::record(connection, event).await?;
    Ok(WithdrawalReceipt {
        id: request.id,
        member_id: request.member_id,
        store_id: request.store_id,
        principal_paid_fen: split.principal_paid.fen(),
        bonus_forfeited_fen: split.bonus_forfeited.fen(),
        tender: request.tender,
        reason: checked.reason,
        balances_before: before,
        balances,
        recorded_at: ms_to_rfc3339(now_ms()),
    })
}

/// Takes the write locks of the member's principal and bonus rows until the
/// transaction ends. On PostgreSQL a sale spending the same balance at the same moment
/// then waits, so the bonus forfeited is worked out on balances that cannot change
/// underneath; on SQLite the one writer already orders everything and this costs one
/// no-op update.
async fn lock_stored_value(connection: &mut AnyConnection, member: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE accounts SET balance = balance WHERE id IN ($1, $2)")
        .bind(AccountKey::member_principal(member).id())
        .bind(AccountKey::member_bonus(member).id())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Asking for more principal than the member holds: refused, naming the field.
fn above_balance(requested: i64, before: &MemberBalances) -> AppError {
    let available = Money(before.principal_fen);
    AppError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: error_code::INSUFFICIENT_BALANCE,
        message: format!("退款金额超过储值本金余额：最多可退{available}"),
        details: json!({
            "fields": [FieldError::new(
                "amount_fen",
                "above_balance",
                format!("最多可退{available}（赠送金不可提现）"),
            )],
            "balance": "principal",
            "requested_fen": requested,
            "principal_fen": before.principal_fen,
        }),
    }
}
