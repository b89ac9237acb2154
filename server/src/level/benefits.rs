//! What a member's level gives at the counter: its discount on the shelf price and its
//! points multiplier, handed to the shared rules engine, which also matches rules that
//! name levels (an earning rule for gold members only) by the level's id.

use crate::error::AppError;
use huiyuan_shared::rules::MemberContext;
use huiyuan_shared::FieldError;
use sqlx::{AnyConnection, Row};

/// The member's level as pricing and earning need it.
pub async fn member_context(
    connection: &mut AnyConnection,
    member_id: &str,
) -> Result<MemberContext, AppError> {
    let row = sqlx::query(
        "SELECT l.id, l.name, l.discount_bp, l.points_multiplier_bp, m.status, m.frozen_at \
         FROM members m JOIN member_levels l ON l.id = m.level_id WHERE m.id = $1",
    )
    .bind(member_id)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or_else(|| AppError::field(FieldError::new("member_id", "unknown_member", "会员不存在")))?;
    // A frozen, archived or merged member neither spends nor earns.
    let status: String = row.try_get("status")?;
    let frozen = row.try_get::<Option<i64>, _>("frozen_at")?.is_some();
    if let Some(refusal) = crate::card::standing::refusal_for("member_id", &status, frozen) {
        return Err(refusal);
    }
    let basis_points = |column: &str| -> Result<u32, AppError> {
        let value: i64 = row.try_get(column)?;
        u32::try_from(value).map_err(|_| anyhow::anyhow!("level {column} {value}").into())
    };
    Ok(MemberContext {
        level_id: row.try_get("id")?,
        level_name: row.try_get("name")?,
        level_discount_bp: basis_points("discount_bp")?,
        level_points_multiplier_bp: basis_points("points_multiplier_bp")?,
        birthday: None,
        member_prices: true,
    })
}

/// The id of the member's level, for rules that apply to some levels only (top-up bonus
/// plans).
pub async fn level_id(connection: &mut AnyConnection, member_id: &str) -> Result<String, AppError> {
    let row = sqlx::query("SELECT level_id FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or_else(|| {
            AppError::field(FieldError::new("member_id", "unknown_member", "会员不存在"))
        })?;
    Ok(row.try_get("level_id")?)
}
