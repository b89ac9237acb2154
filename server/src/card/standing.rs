//! Whether a member may buy, spend and earn: a frozen member (冻结) may do none of it until
//! unfrozen, an archived one not until restored, and a merged duplicate never (its
//! survivor does instead). Checked wherever value moves for a member: checkout (and
//! attaching a member to a sale), top-ups, withdrawals.

use super::refusal;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::now_ms;
use crate::error::AppError;
use crate::member::record;
use huiyuan_shared::card::error_code;
use huiyuan_shared::member::{MemberRecord, MemberStatus};
use huiyuan_shared::{FieldError, MemberId};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Refuses a member who may not move value now, naming `field`: unknown, frozen,
/// archived or merged.
pub async fn check(
    connection: &mut AnyConnection,
    member_id: &str,
    field: &str,
) -> Result<(), AppError> {
    let row = sqlx::query("SELECT status, frozen_at FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or_else(|| AppError::field(FieldError::new(field, "unknown_member", "会员不存在")))?;
    let status: String = row.try_get("status")?;
    let frozen = row.try_get::<Option<i64>, _>("frozen_at")?.is_some();
    refusal_for(field, &status, frozen).map_or(Ok(()), Err)
}

/// The refusal for a member of `status`, frozen or not; `None` when they may transact.
pub fn refusal_for(field: &str, status: &str, frozen: bool) -> Option<AppError> {
    match MemberStatus::from_code(status) {
        Some(MemberStatus::Merged) => Some(refusal(
            field,
            error_code::MEMBER_MERGED,
            "该会员已合并到另一会员，请使用合并后的会员",
        )),
        // Until approved, a registrant neither buys nor earns: a rejection must stay
        // possible, and it is only while they have no history.
        Some(MemberStatus::Pending) => Some(refusal(
            field,
            huiyuan_shared::api::error_code::MEMBER_PENDING,
            "该会员正在等待审核，审核通过后才能消费",
        )),
        Some(MemberStatus::Archived) => Some(refusal(
            field,
            error_code::MEMBER_ARCHIVED,
            "该会员已归档，恢复后才能消费",
        )),
        _ if frozen => Some(refusal(
            field,
            error_code::MEMBER_FROZEN,
            "该会员已冻结，不能消费、充值或积分",
        )),
        _ => None,
    }
}

/// Freezes or unfreezes a member. Doing what is already done changes nothing and records
/// nothing; a merged duplicate can be neither.
pub async fn set_frozen(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    member_id: MemberId,
    frozen: bool,
    reason: Option<String>,
) -> Result<MemberRecord, AppError> {
    let before = record::existing(connection, member_id).await?;
    if before.status == MemberStatus::Merged {
        return Err(refusal(
            "member_id",
            error_code::MEMBER_MERGED,
            "该会员已合并到另一会员",
        ));
    }
    if before.frozen == frozen {
        return Ok(before);
    }
    let now = now_ms();
    sqlx::query("UPDATE members SET frozen_at = $2, updated_at = $3 WHERE id = $1")
        .bind(member_id.to_string())
        .bind(frozen.then_some(now))
        .bind(now)
        .execute(&mut *connection)
        .await?;
    let actor = Actor::staff(staff);
    let action = if frozen {
        "member.freeze"
    } else {
        "member.unfreeze"
    };
    let mut event = AuditEvent::new(&actor, action, "member");
    event.entity_id = Some(member_id.to_string());
    event.store_id = before.store_id;
    event.before = Some(json!({ "frozen": before.frozen }));
    event.after = Some(json!({ "frozen": frozen, "reason": reason }));
    audit::record(connection, event).await?;
    record::existing(connection, member_id).await
}
