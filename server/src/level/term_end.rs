//! The term-end job (MEM-4): every member whose term at a level has ended gets what the
//! level says: `renew` another term; `downgrade` to the next active level below;
//! `requalify`, another term if they met the level's rule again within the period that
//! ended with the term, else the highest level below whose rule they met (the standard
//! level if none). A new term runs from the old term's end, so a late run gives nobody
//! extra days.
//!
//! Each member's change is conditional on the term end it was decided on
//! ([`super::moves`]), so a run repeated, or two runs at once, process each term end
//! once; on PostgreSQL the second run waits on the member row and then finds it changed.
//! Members are handled in batches, each one writer job, so sales queue between batches.

use super::definitions::{self, held};
use super::months::add_months;
use super::moves::{self, Change};
use super::qualifying::Progress;
use crate::db::{now_ms, Db};
use crate::error::AppError;
use crate::ledger::writer::Writer;
use huiyuan_shared::level::{Level, LevelChangeReason, TermEnd, TermEndRun, STANDARD_LEVEL_ID};
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// Members whose term is ended in one writer transaction at most.
pub const TERM_END_BATCH_MEMBERS: i64 = 100;
/// How often `huiyuan serve` runs the job unless told otherwise: hourly.
pub const TERM_END_INTERVAL_SECS_DEFAULT: u64 = 3_600;

/// Ends every term that ended at or before `as_of_ms`. Safe to run again or alongside
/// itself.
pub async fn run_due(db: &Db, writer: &Writer, as_of_ms: i64) -> Result<TermEndRun, AppError> {
    let mut run = TermEndRun::default();
    // A keyset cursor over (term end, member): a member renewed to a term that has also
    // ended already comes up again later in the same run, as the next term end.
    let mut after = (i64::MIN, String::new());
    loop {
        let rows = sqlx::query(
            "SELECT id, level_expires_at FROM members \
             WHERE level_expires_at <= $1 AND status <> 'merged' \
               AND (level_expires_at > $2 OR (level_expires_at = $2 AND id > $3)) \
             ORDER BY level_expires_at, id LIMIT $4",
        )
        .bind(as_of_ms)
        .bind(after.0)
        .bind(&after.1)
        .bind(TERM_END_BATCH_MEMBERS)
        .fetch_all(&db.pool)
        .await?;
        let mut members = Vec::with_capacity(rows.len());
        for row in &rows {
            members.push(row.try_get::<String, _>("id")?);
            after = (row.try_get("level_expires_at")?, row.try_get("id")?);
        }
        if members.is_empty() {
            break;
        }
        let value = writer
            .run(Box::new(move |connection: &mut AnyConnection| {
                Box::pin(async move {
                    let batch = end_terms(connection, &members, as_of_ms).await?;
                    serde_json::to_value(batch).map_err(|error| AppError::Internal(error.into()))
                })
            }))
            .await?;
        let batch: TermEndRun =
            serde_json::from_value(value).map_err(|error| AppError::Internal(error.into()))?;
        run.renewed += batch.renewed;
        run.downgraded += batch.downgraded;
    }
    Ok(run)
}

/// One batch inside the writer's transaction.
async fn end_terms(
    connection: &mut AnyConnection,
    members: &[String],
    as_of_ms: i64,
) -> Result<TermEndRun, AppError> {
    let mut levels = definitions::all(connection).await?;
    levels.retain(|level| level.active);
    levels.sort_by_key(|level| std::cmp::Reverse(level.tier));
    let mut batch = TermEndRun::default();
    for member in members {
        match end_term(connection, member, &levels, as_of_ms).await? {
            Some(LevelChangeReason::Renew) => batch.renewed += 1,
            Some(_) => batch.downgraded += 1,
            None => {}
        }
    }
    Ok(batch)
}

/// Ends one member's term if it has ended and no one else has; what happened.
async fn end_term(
    connection: &mut AnyConnection,
    member_id: &str,
    levels: &[Level],
    as_of_ms: i64,
) -> Result<Option<LevelChangeReason>, AppError> {
    let Some(held) = held(connection, member_id).await? else {
        return Ok(None);
    };
    let Some(ended) = held.expires_at.filter(|at| *at <= as_of_ms) else {
        return Ok(None);
    };
    let current = &held.level;
    let below: Vec<Level> = levels
        .iter()
        .filter(|level| level.tier < current.tier)
        .cloned()
        .collect();
    let target = match (current.at_term_end, &current.upgrade) {
        (TermEnd::Renew, _) | (TermEnd::Requalify, None) => None,
        (TermEnd::Downgrade, _) => below.first(),
        (TermEnd::Requalify, Some(rule)) => {
            let mut progress = Progress::new(member_id, ended);
            if progress.meets(connection, rule).await? {
                None
            } else {
                match progress.highest_met(connection, &below).await? {
                    Some(level) => Some(level),
                    None => below.iter().find(|level| level.id == STANDARD_LEVEL_ID),
                }
            }
        }
    };
    let (to, reason, since) = match target {
        Some(lower) => (lower, LevelChangeReason::Downgrade, Some(ended)),
        None => (current, LevelChangeReason::Renew, None),
    };
    let change = Change {
        member_id,
        from: current,
        seen_expires_at: Some(ended),
        to,
        since,
        expires_at: to.term_months.map(|months| add_months(ended, months)),
        reason,
        staff: None,
        note: Some(current.at_term_end.code()),
    };
    Ok(moves::apply(connection, change).await?.then_some(reason))
}

/// Runs the job now and then every `every` for as long as the server runs.
pub async fn run_periodically(db: Db, writer: Writer, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match run_due(&db, &writer, now_ms()).await {
            Ok(run) if run.renewed + run.downgraded > 0 => tracing::info!(
                renewed = run.renewed,
                downgraded = run.downgraded,
                "level terms ended"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "level term-end run failed"),
        }
    }
}
