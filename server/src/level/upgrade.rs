//! The upgrade a sale can earn (MEM-4), checked inside the sale's own transaction once
//! the sale is recorded, so the sale counts and a refused or rolled-back sale upgrades
//! nobody. The member moves to the highest active level above their own whose rule they
//! now meet, with a new term; a sale never moves anyone down.

use super::definitions::{from_row, held, LEVEL_COLUMNS};
use super::months::add_months;
use super::moves::{self, Change};
use super::qualifying::Progress;
use crate::error::AppError;
use huiyuan_shared::level::{Level, LevelChangeReason};
use sqlx::AnyConnection;

/// Moves the member up if the sales recorded up to `now` qualify them for a higher level;
/// returns the level they reached. Members already at the top, and chains without
/// automatic levels, cost one query.
pub async fn after_sale(
    connection: &mut AnyConnection,
    member_id: &str,
    now: i64,
) -> Result<Option<Level>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {LEVEL_COLUMNS} FROM member_levels \
         WHERE active = 1 AND upgrade_metric IS NOT NULL AND tier > \
           (SELECT l.tier FROM members m JOIN member_levels l ON l.id = m.level_id WHERE m.id = $1) \
         ORDER BY tier DESC"
    ))
    .bind(member_id)
    .fetch_all(&mut *connection)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let higher = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let mut progress = Progress::new(member_id, now);
    let Some(reached) = progress.highest_met(connection, &higher).await? else {
        return Ok(None);
    };
    let Some(held) = held(connection, member_id).await? else {
        return Ok(None);
    };
    let change = Change {
        member_id,
        from: &held.level,
        seen_expires_at: held.expires_at,
        to: reached,
        since: Some(now),
        expires_at: reached.term_months.map(|months| add_months(now, months)),
        reason: LevelChangeReason::Upgrade,
        staff: None,
        note: None,
    };
    // On PostgreSQL a concurrent sale of the same member may have moved them first; its
    // upgrade stands and this one is not made again.
    let moved = moves::apply(connection, change).await?;
    Ok(moved.then(|| reached.clone()))
}
