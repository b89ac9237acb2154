//! Staff changing a member's level by hand (`member.upgrade`): setting another level,
//! which starts a new term of that level's length, or extending the current term
//! (会员延期). Both need a reason, are kept in the level history and audited, and the
//! member is told by SMS. And the history itself.

use super::definitions::{self, held};
use super::months::add_months;
use super::moves::{self, Change};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use huiyuan_shared::level::{
    check_reason, LevelAssignment, LevelChangeReason, LevelExtension, LevelHistoryEntry,
    LEVEL_HISTORY_LIMIT,
};
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::{FieldError, MemberId, ValidationErrors};
use sqlx::{AnyConnection, Row};

fn refuse(field: &str, code: &str, message: &str) -> AppError {
    AppError::field(FieldError::new(field, code, message))
}

/// A formal member's level as it stands; other members' levels are not changed by hand.
async fn formal_member(
    connection: &mut AnyConnection,
    member_id: &str,
) -> Result<definitions::Held, AppError> {
    let held = held(connection, member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if held.status != MemberStatus::Active.code() {
        return Err(refuse(
            "member_id",
            "wrong_status",
            "只有正式会员可以调整级别",
        ));
    }
    Ok(held)
}

/// Sets the member's level. The level must be active and not the one they hold.
pub async fn assign(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    member: MemberId,
    assignment: &LevelAssignment,
) -> Result<(), AppError> {
    let member_id = member.to_string();
    let mut errors = ValidationErrors::default();
    let reason = check_reason(&assignment.reason)
        .map_err(|error| errors.fields.push(error))
        .ok();
    let level = definitions::find(connection, assignment.level_id.trim()).await?;
    let current = formal_member(connection, &member_id).await?;
    match &level {
        None => errors
            .fields
            .push(FieldError::new("level_id", "unknown_level", "没有这个级别")),
        Some(level) if !level.active => errors.fields.push(FieldError::new(
            "level_id",
            "inactive_level",
            "该级别已停用",
        )),
        Some(level) if level.id == current.level.id => errors.fields.push(FieldError::new(
            "level_id",
            "same_level",
            "会员已是该级别；延长有效期请用会员延期",
        )),
        Some(_) => {}
    }
    errors.into_result().map_err(AppError::Invalid)?;
    let (Some(level), Some(reason)) = (level, reason) else {
        return Err(AppError::NotFound);
    };
    let now = now_ms();
    let change = Change {
        member_id: &member_id,
        from: &current.level,
        seen_expires_at: current.expires_at,
        to: &level,
        since: Some(now),
        expires_at: level.term_months.map(|months| add_months(now, months)),
        reason: LevelChangeReason::Manual,
        staff: Some(staff),
        note: Some(&reason),
    };
    changed(moves::apply(connection, change).await?)
}

/// Extends the member's current term by whole months from its present end.
pub async fn extend(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    member: MemberId,
    extension: &LevelExtension,
) -> Result<(), AppError> {
    let member_id = member.to_string();
    let reason = extension.check().map_err(AppError::Invalid)?;
    let current = formal_member(connection, &member_id).await?;
    let Some(ends) = current.expires_at else {
        return Err(refuse(
            "months",
            "no_term",
            "该会员的级别长期有效，无需延期",
        ));
    };
    let change = Change {
        member_id: &member_id,
        from: &current.level,
        seen_expires_at: Some(ends),
        to: &current.level,
        since: None,
        expires_at: Some(add_months(ends, extension.months)),
        reason: LevelChangeReason::Extend,
        staff: Some(staff),
        note: Some(&reason),
    };
    changed(moves::apply(connection, change).await?)
}

/// The member row changed between reading and writing (a sale's upgrade or the
/// term-end job in that instant): the staff member sees the new level and decides again.
fn changed(applied: bool) -> Result<(), AppError> {
    if applied {
        Ok(())
    } else {
        Err(AppError::Refused {
            status: axum::http::StatusCode::CONFLICT,
            code: huiyuan_shared::api::error_code::CONFLICT,
            message: "会员级别刚刚发生了变化，请刷新后重试".to_owned(),
            details: serde_json::json!({}),
        })
    }
}

/// The member's level history, newest first, at most [`LEVEL_HISTORY_LIMIT`] entries.
pub async fn history(
    connection: &mut AnyConnection,
    member: MemberId,
) -> Result<Vec<LevelHistoryEntry>, AppError> {
    let rows = sqlx::query(
        "SELECT h.id, h.from_level, f.name AS from_name, h.to_level, t.name AS to_name, h.reason, \
         h.expires_at, s.username, h.note, h.created_at \
         FROM member_level_history h \
         JOIN member_levels t ON t.id = h.to_level \
         LEFT JOIN member_levels f ON f.id = h.from_level \
         LEFT JOIN staff s ON s.id = h.staff_id \
         WHERE h.member_id = $1 ORDER BY h.created_at DESC, h.id DESC LIMIT $2",
    )
    .bind(member.to_string())
    .bind(LEVEL_HISTORY_LIMIT)
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| {
            let reason: String = row.try_get("reason")?;
            Ok(LevelHistoryEntry {
                id: row.try_get("id")?,
                from_level: row.try_get("from_level")?,
                from_level_name: row.try_get("from_name")?,
                to_level: row.try_get("to_level")?,
                to_level_name: row.try_get("to_name")?,
                reason: LevelChangeReason::from_code(&reason)
                    .ok_or_else(|| anyhow::anyhow!("level change reason {reason}"))?,
                expires_at: row
                    .try_get::<Option<i64>, _>("expires_at")?
                    .map(ms_to_rfc3339),
                staff: row.try_get("username")?,
                note: row.try_get("note")?,
                created_at: ms_to_rfc3339(row.try_get("created_at")?),
            })
        })
        .collect()
}
