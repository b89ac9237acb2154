//! Points expiry (PTS-2). Every lot of points carries the instant it lapses, fixed when
//! it was credited from the rules' [`PointsExpiry`](huiyuan_shared::rules::PointsExpiry)
//! policy. The expiry run finds lots whose instant has passed with points remaining and
//! moves, per lot, what remains from the member's points to the issuing store's
//! `points_breakage` account (kind `expire`).
//!
//! Each lot is its own idempotent command, `expire:<lot id>`: the command row is claimed
//! first (`ON CONFLICT DO NOTHING`), so two runs at once, or a run repeated, expire
//! nothing twice; on PostgreSQL the second claimant waits for the first to commit and
//! then finds the claim taken. Lots are handled in batches, each one writer job (one
//! transaction), so a large run never holds the SQLite writer for long and sales queue
//! between batches.

use crate::audit::{self, Actor, AuditEvent};
use crate::db::{ms_to_rfc3339, now_ms, Db};
use crate::error::AppError;
use crate::ledger::commands::request_hash;
use crate::ledger::writer::Writer;
use crate::ledger::{post, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::sale::{business_time, BUSINESS_UTC_OFFSET_MS};
use huiyuan_shared::rules::RuleSet;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// Lots expired in one writer transaction at most.
pub const EXPIRY_BATCH_LOTS: i64 = 200;
/// How often `huiyuan serve` runs expiry unless told otherwise: hourly.
pub const EXPIRY_INTERVAL_SECS_DEFAULT: u64 = 3_600;
/// The command kind of one lot's expiry.
pub const EXPIRE_COMMAND_KIND: &str = "points.expire";

/// What one run lapsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryRun {
    pub lots: u64,
    pub points: i64,
}

/// When a lot of points credited at `now_ms` lapses under the rules' policy: from the
/// business date (Asia/Shanghai) it was earned. `None` when the rules set no policy, and
/// the ledger gives its default life.
pub fn lot_expires_at(rules: &RuleSet, now_ms: i64) -> Option<i64> {
    rules.points_lapse_at_ms(business_time(now_ms).date, BUSINESS_UTC_OFFSET_MS)
}

/// The id of the command that expires a lot, derived from the lot so a second run finds
/// it taken.
pub fn command_id(lot_id: &str) -> String {
    format!("expire:{lot_id}")
}

/// Expires every lot whose instant is at or before `as_of_ms` and that still holds
/// points. Safe to run again or alongside itself: each lot lapses once.
pub async fn expire_due(db: &Db, writer: &Writer, as_of_ms: i64) -> Result<ExpiryRun, AppError> {
    let mut run = ExpiryRun::default();
    // A keyset cursor over (expires_at, id): a lot found open but taken by a concurrent
    // run is passed over, never looked at again in this run.
    let mut after = (i64::MIN, String::new());
    loop {
        let rows = sqlx::query(
            "SELECT id, expires_at FROM points_lots \
             WHERE remaining > 0 AND expires_at <= $1 \
               AND (expires_at > $2 OR (expires_at = $2 AND id > $3)) \
             ORDER BY expires_at, id LIMIT $4",
        )
        .bind(as_of_ms)
        .bind(after.0)
        .bind(&after.1)
        .bind(EXPIRY_BATCH_LOTS)
        .fetch_all(&db.pool)
        .await?;
        let mut lots = Vec::with_capacity(rows.len());
        for row in &rows {
            lots.push(row.try_get::<String, _>("id")?);
            after = (row.try_get("expires_at")?, row.try_get("id")?);
        }
        if lots.is_empty() {
            break;
        }
        let full = lots.len() as i64 == EXPIRY_BATCH_LOTS;
        let value = writer
            .run(Box::new(move |connection: &mut AnyConnection| {
                Box::pin(async move {
                    let batch = expire_batch(connection, &lots, as_of_ms).await?;
                    serde_json::to_value(batch).map_err(|error| AppError::Internal(error.into()))
                })
            }))
            .await?;
        let batch: ExpiryRun =
            serde_json::from_value(value).map_err(|error| AppError::Internal(error.into()))?;
        run.lots += batch.lots;
        run.points += batch.points;
        if !full {
            break;
        }
    }
    Ok(run)
}

/// One batch inside the writer's transaction, with one audit row for what it lapsed.
async fn expire_batch(
    connection: &mut AnyConnection,
    lots: &[String],
    as_of_ms: i64,
) -> Result<ExpiryRun, AppError> {
    let mut batch = ExpiryRun::default();
    for lot in lots {
        if let Some(points) = expire_lot(connection, lot, as_of_ms).await? {
            batch.lots += 1;
            batch.points += points;
        }
    }
    if batch.lots > 0 {
        let mut event = AuditEvent::new(&Actor::System, "points.expire", "points_lots");
        event.after = Some(json!({
            "as_of": ms_to_rfc3339(as_of_ms),
            "lots": batch.lots,
            "points": batch.points,
        }));
        audit::record(connection, event).await?;
    }
    Ok(batch)
}

/// Expires one lot; the points lapsed, or `None` when another run took it or nothing is
/// left to lapse.
async fn expire_lot(
    connection: &mut AnyConnection,
    lot_id: &str,
    as_of_ms: i64,
) -> Result<Option<i64>, AppError> {
    let command = command_id(lot_id);
    let now = now_ms();
    let claimed = sqlx::query(
        "INSERT INTO commands (id, kind, request_hash, response_json, store_id, staff_id, recorded_at) \
         VALUES ($1, $2, $3, '{}', NULL, NULL, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&command)
    .bind(EXPIRE_COMMAND_KIND)
    .bind(request_hash(&json!({ "lot_id": lot_id })))
    .bind(now)
    .execute(&mut *connection)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    let Some(account_id) = sqlx::query("SELECT account_id FROM points_lots WHERE id = $1")
        .bind(lot_id)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get::<String, _>("account_id"))
        .transpose()?
    else {
        return release(connection, &command).await;
    };
    // Lock the account before reading the lot, in the order every spender takes them
    // (account, then lots), so on PostgreSQL a sale spending from this lot right now
    // finishes first and the lot is read as it left it.
    sqlx::query("UPDATE accounts SET balance = balance WHERE id = $1")
        .bind(&account_id)
        .execute(&mut *connection)
        .await?;
    let row = sqlx::query(
        "SELECT l.remaining, l.expires_at, a.owner_kind, a.owner_id, a.code, \
                COALESCE(t.store_id, m.store_id) AS store_id \
         FROM points_lots l \
         JOIN accounts a ON a.id = l.account_id \
         JOIN transfers t ON t.id = l.transfer_id \
         LEFT JOIN members m ON m.id = a.owner_id \
         WHERE l.id = $1",
    )
    .bind(lot_id)
    .fetch_one(&mut *connection)
    .await?;
    let remaining: i64 = row.try_get("remaining")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let owner_kind: String = row.try_get("owner_kind")?;
    let member: String = row.try_get("owner_id")?;
    let code: String = row.try_get("code")?;
    let store: Option<String> = row.try_get("store_id")?;
    let due = remaining > 0 && expires_at <= as_of_ms;
    let member_points = owner_kind == "member" && code == "points";
    let Some(store) = store.filter(|_| due && member_points) else {
        return release(connection, &command).await;
    };
    let context = PostingContext {
        command_id: command.clone(),
        store_id: Some(store.clone()),
        staff_id: None,
        device_id: None,
        occurred_at: Some(expires_at),
    };
    let transfer = NewTransfer {
        debit: AccountKey::member_points(&member),
        credit: AccountKey::store_points_breakage(&store),
        amount: remaining,
        kind: TransferKind::Expire,
        memo: Some(format!("积分到期（{}）", business_day(expires_at - 1))),
        points_expire_at: None,
    };
    post::post_from_lot(connection, &context, &transfer, lot_id).await?;
    sqlx::query("UPDATE commands SET response_json = $1, store_id = $2 WHERE id = $3")
        .bind(json!({ "lot_id": lot_id, "points": remaining }).to_string())
        .bind(&store)
        .bind(&command)
        .execute(&mut *connection)
        .await?;
    Ok(Some(remaining))
}

/// Gives a claim back when there was nothing to lapse, so the lot is judged afresh later.
async fn release(connection: &mut AnyConnection, command: &str) -> Result<Option<i64>, AppError> {
    sqlx::query("DELETE FROM commands WHERE id = $1")
        .bind(command)
        .execute(&mut *connection)
        .await?;
    Ok(None)
}

/// The business date of an instant as `YYYY-MM-DD`.
fn business_day(ms: i64) -> String {
    let date = business_time(ms).date;
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

/// Runs expiry now and then every `every` for as long as the server runs.
pub async fn run_periodically(db: Db, writer: Writer, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match expire_due(&db, &writer, now_ms()).await {
            Ok(run) if run.lots > 0 => {
                tracing::info!(lots = run.lots, points = run.points, "points expired");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "points expiry run failed"),
        }
    }
}
