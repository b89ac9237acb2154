//! Overdraft conflicts: offline sales and redemptions recorded although another till had
//! spent the member's stored value or points first. The sale or redemption stands (the
//! goods have left the shop); the member's balance is below zero by exactly the shortfall, and the conflict
//! waits for a manager to settle it (the member tops up, pays cash, or the store writes
//! it off) and note how.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use axum::http::StatusCode;
use huiyuan_shared::api::error_code;
use huiyuan_shared::sync::OverdraftConflict;
use huiyuan_shared::{FieldError, MemberId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Conflicts one list answers at most, newest first.
pub const CONFLICTS_LIST_MAX: i64 = 500;
/// The length of a manager's note, in characters.
pub const NOTE_CHARS_MIN: usize = 2;
pub const NOTE_CHARS_MAX: usize = 200;

/// What overdrew: a sale or a redemption (积分兑换), by id.
#[derive(Clone, Copy, Debug)]
pub enum Overdrawn<'a> {
    Sale(&'a str),
    Redemption(&'a str),
}

/// An overdraft to record with the sale or redemption that made it.
pub struct Overdraft<'a> {
    pub by: Overdrawn<'a>,
    pub member_id: &'a str,
    pub store_id: &'a str,
    pub device_id: uuid::Uuid,
    pub shortfall_fen: i64,
    pub shortfall_points: i64,
    pub occurred_at: Option<i64>,
    pub recorded_at: i64,
}

/// Records the overdraft inside the sale's or redemption's transaction, with an audit
/// event.
pub async fn record(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    overdraft: &Overdraft<'_>,
) -> Result<(), AppError> {
    let id = uuid::Uuid::now_v7().to_string();
    let (sale_id, redemption_id, action) = match overdraft.by {
        Overdrawn::Sale(sale) => (Some(sale), None, "sale.offline_overdraft"),
        Overdrawn::Redemption(redemption) => {
            (None, Some(redemption), "redemption.offline_overdraft")
        }
    };
    sqlx::query(
        "INSERT INTO overdraft_conflicts (id, sale_id, redemption_id, member_id, store_id, device_id, \
         shortfall_fen, shortfall_points, occurred_at, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(sale_id)
    .bind(redemption_id)
    .bind(overdraft.member_id)
    .bind(overdraft.store_id)
    .bind(overdraft.device_id.to_string())
    .bind(overdraft.shortfall_fen)
    .bind(overdraft.shortfall_points)
    .bind(overdraft.occurred_at)
    .bind(overdraft.recorded_at)
    .execute(&mut *connection)
    .await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, action, "member");
    event.entity_id = Some(overdraft.member_id.to_owned());
    event.after = Some(json!({
        "conflict_id": id,
        "sale_id": sale_id,
        "redemption_id": redemption_id,
        "device_id": overdraft.device_id,
        "shortfall_fen": overdraft.shortfall_fen,
        "shortfall_points": overdraft.shortfall_points,
    }));
    audit::record(connection, event).await?;
    Ok(())
}

const CONFLICT_SELECT: &str = "SELECT o.id, o.sale_id, o.redemption_id, \
     COALESCE(s.receipt_no, r.receipt_no) AS receipt_no, o.member_id, m.name AS member_name, \
     m.member_no, o.store_id, st.name AS store_name, o.device_id, o.shortfall_fen, o.shortfall_points, \
     o.occurred_at, o.recorded_at, o.resolved_at, o.resolved_by, o.resolution \
     FROM overdraft_conflicts o \
     LEFT JOIN sales s ON s.id = o.sale_id \
     LEFT JOIN redemptions r ON r.id = o.redemption_id \
     JOIN members m ON m.id = o.member_id \
     JOIN stores st ON st.id = o.store_id";

fn from_row(row: &AnyRow) -> Result<OverdraftConflict, AppError> {
    let parse_uuid = |column: &str| -> Result<uuid::Uuid, AppError> {
        let text: String = row.try_get(column)?;
        text.parse()
            .map_err(|error: uuid::Error| AppError::Internal(error.into()))
    };
    let optional_uuid = |column: &str| -> Result<Option<uuid::Uuid>, AppError> {
        match row.try_get::<Option<String>, _>(column)? {
            Some(_) => parse_uuid(column).map(Some),
            None => Ok(None),
        }
    };
    Ok(OverdraftConflict {
        id: row.try_get("id")?,
        sale_id: optional_uuid("sale_id")?,
        redemption_id: optional_uuid("redemption_id")?,
        receipt_no: row.try_get("receipt_no")?,
        member_id: MemberId(parse_uuid("member_id")?),
        member_name: row.try_get("member_name")?,
        member_no: row.try_get("member_no")?,
        store_id: row.try_get("store_id")?,
        store_name: row.try_get("store_name")?,
        device_id: parse_uuid("device_id")?,
        shortfall_fen: row.try_get("shortfall_fen")?,
        shortfall_points: row.try_get("shortfall_points")?,
        occurred_at: row
            .try_get::<Option<i64>, _>("occurred_at")?
            .map(ms_to_rfc3339),
        recorded_at: ms_to_rfc3339(row.try_get("recorded_at")?),
        resolved_at: row
            .try_get::<Option<i64>, _>("resolved_at")?
            .map(ms_to_rfc3339),
        resolved_by: row.try_get("resolved_by")?,
        resolution: row.try_get("resolution")?,
    })
}

/// The conflicts at stores within the caller's scope, newest first; `open` keeps only the
/// unsettled (`Some(true)`) or the settled (`Some(false)`).
pub async fn list(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    open: Option<bool>,
) -> Result<Vec<OverdraftConflict>, AppError> {
    let settled = match open {
        Some(true) => " AND o.resolved_at IS NULL",
        Some(false) => " AND o.resolved_at IS NOT NULL",
        None => "",
    };
    let sql = format!(
        "{CONFLICT_SELECT} WHERE st.path LIKE $1{settled} \
         ORDER BY o.recorded_at DESC, o.id DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(format!("{}%", staff.store_path))
        .bind(CONFLICTS_LIST_MAX)
        .fetch_all(&mut *connection)
        .await?;
    rows.iter().map(from_row).collect()
}

/// The conflict of one sale, if it overdrew.
pub async fn of_sale(
    connection: &mut AnyConnection,
    sale_id: &str,
) -> Result<Option<OverdraftConflict>, AppError> {
    let row = sqlx::query(&format!("{CONFLICT_SELECT} WHERE o.sale_id = $1"))
        .bind(sale_id)
        .fetch_optional(&mut *connection)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The conflict of one redemption, if it overdrew.
pub async fn of_redemption(
    connection: &mut AnyConnection,
    redemption_id: &str,
) -> Result<Option<OverdraftConflict>, AppError> {
    let row = sqlx::query(&format!("{CONFLICT_SELECT} WHERE o.redemption_id = $1"))
        .bind(redemption_id)
        .fetch_optional(&mut *connection)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Settles a conflict with the manager's note, once. The note is checked first; a
/// conflict at a store outside the caller's scope is not theirs to settle.
pub async fn resolve(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    id: &str,
    note: &str,
) -> Result<OverdraftConflict, AppError> {
    let note = note.trim();
    let length = note.chars().count();
    if !(NOTE_CHARS_MIN..=NOTE_CHARS_MAX).contains(&length) {
        return Err(AppError::field(FieldError::new(
            "note",
            "length",
            "处理说明应为2到200个字",
        )));
    }
    let row = sqlx::query(&format!("{CONFLICT_SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(AppError::NotFound)?;
    let path: String = sqlx::query("SELECT path FROM stores WHERE id = $1")
        .bind(row.try_get::<String, _>("store_id")?)
        .fetch_one(&mut *connection)
        .await?
        .try_get("path")?;
    if !staff.covers(&path) {
        return Err(AppError::OutOfScope);
    }
    let now = now_ms();
    // Only an open conflict is settled: of two managers at once, one note stands.
    let done = sqlx::query(
        "UPDATE overdraft_conflicts SET resolved_at = $1, resolved_by = $2, resolution = $3 \
         WHERE id = $4 AND resolved_at IS NULL",
    )
    .bind(now)
    .bind(staff.id.to_string())
    .bind(note)
    .bind(id)
    .execute(&mut *connection)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Refused {
            status: StatusCode::CONFLICT,
            code: error_code::CONFLICT,
            message: "该透支已处理".to_owned(),
            details: json!({}),
        });
    }
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(
        &actor,
        "sale.offline_overdraft_resolve",
        "overdraft_conflict",
    );
    event.entity_id = Some(id.to_owned());
    event.after = Some(json!({ "resolution": note }));
    audit::record(connection, event).await?;
    let row = sqlx::query(&format!("{CONFLICT_SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_one(&mut *connection)
        .await?;
    from_row(&row)
}
