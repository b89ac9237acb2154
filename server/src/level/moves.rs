//! Every change of a member's level or term, whoever makes it: the member row is updated
//! only if it still shows the level and term end the change was decided on, so a change
//! decided twice (two term-end runs, two sales at once on PostgreSQL) happens once; then
//! the history row, the SMS to the member and the audit event, in the same transaction.

use super::months::business_day;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::notify;
use huiyuan_shared::level::{discount_label, multiplier_label, Level, LevelChangeReason};
use huiyuan_shared::MemberId;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// A change of level or term, decided on the member's level `from` ending at
/// `seen_expires_at`.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub member_id: &'a str,
    pub from: &'a Level,
    pub seen_expires_at: Option<i64>,
    pub to: &'a Level,
    /// When the member reached `to`; `None` keeps the date they reached it (a renewal
    /// or an extension of the same level).
    pub since: Option<i64>,
    pub expires_at: Option<i64>,
    pub reason: LevelChangeReason,
    pub staff: Option<&'a StaffPrincipal>,
    pub note: Option<&'a str>,
}

/// Applies the change; false when the member's level or term end is no longer what it
/// was decided on, and nothing was written.
pub async fn apply(connection: &mut AnyConnection, change: Change<'_>) -> Result<bool, AppError> {
    let now = now_ms();
    let updated = sqlx::query(
        "UPDATE members SET level_id = $2, level_since = COALESCE($3, level_since), \
         level_expires_at = $4, updated_at = $5 \
         WHERE id = $1 AND level_id = $6 AND COALESCE(level_expires_at, -1) = $7 \
         RETURNING phone, status, store_id",
    )
    .bind(change.member_id)
    .bind(&change.to.id)
    .bind(change.since)
    .bind(change.expires_at)
    .bind(now)
    .bind(&change.from.id)
    .bind(change.seen_expires_at.unwrap_or(-1))
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = updated else {
        return Ok(false);
    };
    let phone: String = row.try_get("phone")?;
    let status: String = row.try_get("status")?;
    let store_id: Option<String> = row.try_get("store_id")?;
    sqlx::query(
        "INSERT INTO member_level_history (id, member_id, from_level, to_level, reason, expires_at, \
         staff_id, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(change.member_id)
    .bind(&change.from.id)
    .bind(&change.to.id)
    .bind(change.reason.code())
    .bind(change.expires_at)
    .bind(change.staff.map(|staff| staff.id.to_string()))
    .bind(change.note)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    // Archived and merged members hear nothing; their record still changes.
    if status == huiyuan_shared::member::MemberStatus::Active.code() {
        let (kind, body) = message(&change);
        let member_id: MemberId = change
            .member_id
            .parse()
            .map_err(|error: uuid::Error| AppError::Internal(error.into()))?;
        notify::enqueue(
            connection,
            notify::Message {
                recipient: &phone,
                member_id: Some(member_id),
                kind,
                body,
            },
        )
        .await?;
    }
    let actor = change.staff.map_or(Actor::System, Actor::staff);
    let mut event = AuditEvent::new(&actor, "member.level_change", "member");
    event.entity_id = Some(change.member_id.to_owned());
    event.store_id = store_id.and_then(|id| id.parse().ok());
    event.before = Some(json!({
        "level_id": change.from.id,
        "level_expires_at": change.seen_expires_at.map(ms_to_rfc3339),
    }));
    event.after = Some(json!({
        "level_id": change.to.id,
        "level_expires_at": change.expires_at.map(ms_to_rfc3339),
        "reason": change.reason.code(),
        "note": change.note,
    }));
    audit::record(connection, event).await?;
    Ok(true)
}

/// The SMS kind and text for a change.
fn message(change: &Change<'_>) -> (&'static str, String) {
    let to = &change.to.name;
    let until = match change.expires_at {
        Some(at) => format!("有效期至{}", business_day(at)),
        None => "长期有效".to_owned(),
    };
    match change.reason {
        LevelChangeReason::Upgrade => (
            "level_up",
            format!("【会员】恭喜您升级为{to}！{}{until}。", benefits(change.to)),
        ),
        LevelChangeReason::Renew => (
            "level_renew",
            format!("【会员】您的{to}会籍已续期，{until}。"),
        ),
        LevelChangeReason::Extend => (
            "level_extend",
            format!("【会员】您的{to}会籍已延期，{until}。"),
        ),
        LevelChangeReason::Downgrade => (
            "level_down",
            format!(
                "【会员】您的{}会籍已到期，现为{to}，{until}。",
                change.from.name
            ),
        ),
        LevelChangeReason::Manual => (
            if change.to.tier > change.from.tier {
                "level_up"
            } else {
                "level_down"
            },
            format!(
                "【会员】您的会员级别已调整为{to}。{}{until}。",
                benefits(change.to)
            ),
        ),
    }
}

/// What the level gives, for the message: `享95折、积分1.5倍，`, or nothing at ×1 without a
/// discount.
fn benefits(level: &Level) -> String {
    let mut parts = Vec::new();
    if let Some(discount) = discount_label(level.discount_bp) {
        parts.push(discount);
    }
    if level.points_multiplier_bp != 10_000 {
        parts.push(format!(
            "积分{}倍",
            multiplier_label(level.points_multiplier_bp)
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("享{}，", parts.join("、"))
    }
}
