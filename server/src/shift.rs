//! Shifts at the counter (开班/交班, SALE-5): a cashier opens a shift at a store with a
//! float in the drawer, sells, and closes it by counting the drawer against what the
//! ledger says should be there. A shift records only who, where, when and the count:
//! what it took is read from the ledger (`takings`) by cashier, store and time, so
//! checkout and every other command stay as they are. `day` is a store's business day.

pub mod day;
pub mod takings;

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::scope;
use crate::state::AppState;
use axum::http::StatusCode;
use huiyuan_shared::api::error_code;
use huiyuan_shared::shift::{
    CashDrawer, Shift, ShiftClose, ShiftCount, ShiftOpen, ShiftStatus, ShiftSummary,
};
use huiyuan_shared::{Money, Permission, StaffId, StoreId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use takings::Window;
use uuid::Uuid;

/// A shift as its row holds it.
#[derive(Clone, Debug)]
pub struct ShiftRow {
    pub id: Uuid,
    pub store_id: StoreId,
    pub store_path: String,
    pub staff_id: StaffId,
    pub staff_name: String,
    pub device_id: Option<Uuid>,
    pub opening_float_fen: i64,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub count: Option<ShiftCount>,
    pub close_json: Option<String>,
}

const SHIFT_COLUMNS: &str = "s.id, s.store_id, st.path AS store_path, s.staff_id, \
     f.display_name AS staff_name, s.device_id, s.opening_float_fen, s.opened_at, s.closed_at, \
     s.closed_by, s.counted_fen, s.expected_fen, s.difference_fen, s.note, s.close_json";

const SHIFT_FROM: &str =
    "FROM shifts s JOIN stores st ON st.id = s.store_id JOIN staff f ON f.id = s.staff_id";

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, AppError> {
    text.parse()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a malformed id in shifts: {text}")))
}

fn shift_row(row: &AnyRow) -> Result<ShiftRow, AppError> {
    let closed_by: Option<String> = row.try_get("closed_by")?;
    let counted: Option<i64> = row.try_get("counted_fen")?;
    let count = match (closed_by, counted) {
        (Some(closed_by), Some(counted_fen)) => Some(ShiftCount {
            counted_fen,
            expected_fen: row.try_get::<Option<i64>, _>("expected_fen")?.unwrap_or(0),
            difference_fen: row
                .try_get::<Option<i64>, _>("difference_fen")?
                .unwrap_or(0),
            note: row.try_get("note")?,
            closed_by: parse(&closed_by)?,
        }),
        _ => None,
    };
    Ok(ShiftRow {
        id: parse(&row.try_get::<String, _>("id")?)?,
        store_id: parse(&row.try_get::<String, _>("store_id")?)?,
        store_path: row.try_get("store_path")?,
        staff_id: parse(&row.try_get::<String, _>("staff_id")?)?,
        staff_name: row.try_get("staff_name")?,
        device_id: row
            .try_get::<Option<String>, _>("device_id")?
            .map(|id| parse(&id))
            .transpose()?,
        opening_float_fen: row.try_get("opening_float_fen")?,
        opened_at: row.try_get("opened_at")?,
        closed_at: row.try_get("closed_at")?,
        count,
        close_json: row.try_get("close_json")?,
    })
}

/// The shift with this id, if any.
pub async fn find(connection: &mut AnyConnection, id: Uuid) -> Result<Option<ShiftRow>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {SHIFT_COLUMNS} {SHIFT_FROM} WHERE s.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *connection)
    .await?;
    row.as_ref().map(shift_row).transpose()
}

/// The cashier's open shift at a store, if any.
async fn open_shift_of(
    connection: &mut AnyConnection,
    store_id: StoreId,
    staff_id: StaffId,
) -> Result<Option<ShiftRow>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {SHIFT_COLUMNS} {SHIFT_FROM} \
         WHERE s.store_id = $1 AND s.staff_id = $2 AND s.closed_at IS NULL"
    ))
    .bind(store_id.to_string())
    .bind(staff_id.to_string())
    .fetch_optional(&mut *connection)
    .await?;
    row.as_ref().map(shift_row).transpose()
}

impl ShiftRow {
    fn status(&self) -> ShiftStatus {
        match self.closed_at {
            Some(_) => ShiftStatus::Closed,
            None => ShiftStatus::Open,
        }
    }

    /// The hours the shift covers: to its close, or on from its opening while open.
    pub fn window(&self) -> Window {
        match self.closed_at {
            Some(closed_at) => Window {
                from: self.opened_at,
                to: closed_at,
            },
            None => Window::since(self.opened_at),
        }
    }

    /// Whether `staff` may see and close this shift: their own, or, for a manager who may
    /// read reports, any shift of a store within their scope.
    pub fn check_reader(&self, staff: &StaffPrincipal) -> Result<(), AppError> {
        if self.staff_id == staff.id {
            return Ok(());
        }
        if !staff.covers(&self.store_path) {
            return Err(AppError::OutOfScope);
        }
        if !staff.can(Permission::ReportView) {
            return Err(AppError::Forbidden(Permission::ReportView));
        }
        Ok(())
    }

    pub fn summary(&self) -> ShiftSummary {
        ShiftSummary {
            id: self.id,
            staff_id: self.staff_id,
            staff_name: self.staff_name.clone(),
            status: self.status(),
            opening_float_fen: self.opening_float_fen,
            opened_at: ms_to_rfc3339(self.opened_at),
            closed_at: self.closed_at.map(ms_to_rfc3339),
            counted_fen: self.count.as_ref().map(|count| count.counted_fen),
            expected_fen: self.count.as_ref().map(|count| count.expected_fen),
            difference_fen: self.count.as_ref().map(|count| count.difference_fen),
        }
    }

    /// The shift with its takings read now from the ledger.
    pub async fn with_takings(&self, connection: &mut AnyConnection) -> Result<Shift, AppError> {
        let takings = takings::of_cashier(
            connection,
            &self.store_id.to_string(),
            &self.staff_id.to_string(),
            self.window(),
        )
        .await?;
        Ok(Shift {
            id: self.id,
            store_id: self.store_id,
            staff_id: self.staff_id,
            staff_name: self.staff_name.clone(),
            device_id: self.device_id,
            status: self.status(),
            opening_float_fen: self.opening_float_fen,
            opened_at: ms_to_rfc3339(self.opened_at),
            closed_at: self.closed_at.map(ms_to_rfc3339),
            drawer: CashDrawer::new(self.opening_float_fen, &takings),
            takings,
            count: self.count.clone(),
        })
    }
}

fn already_open(open: &ShiftRow) -> AppError {
    AppError::Refused {
        status: StatusCode::CONFLICT,
        code: "shift_open",
        message: format!(
            "{}在本店已有未交班的班次（{}开班），请先交班",
            open.staff_name,
            crate::sale::business_clock(open.opened_at)
        ),
        details: json!({ "shift_id": open.id, "opened_at": ms_to_rfc3339(open.opened_at) }),
    }
}

/// Whether a shift found under a request's id is the one the request opened.
fn same_open(row: &ShiftRow, staff: &StaffPrincipal, request: &ShiftOpen) -> bool {
    row.staff_id == staff.id
        && row.store_id == request.store_id
        && row.opening_float_fen == request.opening_float_fen
        && row.device_id == request.device_id
}

/// What an open found already there: the same open sent again, another open under the
/// same id, or the cashier's shift still open.
async fn settle_open(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    request: &ShiftOpen,
) -> Result<Option<bool>, AppError> {
    if let Some(row) = find(connection, request.id).await? {
        return if same_open(&row, staff, request) {
            Ok(Some(false))
        } else {
            Err(AppError::IdConflict)
        };
    }
    if let Some(open) = open_shift_of(connection, request.store_id, staff.id).await? {
        return Err(already_open(&open));
    }
    Ok(None)
}

/// Opens a shift; true when opened now, false when the same open was sent before.
async fn open_in(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    request: &ShiftOpen,
) -> Result<bool, AppError> {
    scope::counter_store(connection, staff, request.store_id).await?;
    if let Some(created) = settle_open(connection, staff, request).await? {
        return Ok(created);
    }
    let now = now_ms();
    // Any unique index may refuse the row: the id (the same open racing itself) or one
    // open shift per cashier and store (two opens racing). PostgreSQL waits for the
    // other transaction, so looking again finds what won.
    let inserted = sqlx::query(
        "INSERT INTO shifts (id, store_id, staff_id, device_id, opening_float_fen, opened_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(request.id.to_string())
    .bind(request.store_id.to_string())
    .bind(staff.id.to_string())
    .bind(request.device_id.map(|id| id.to_string()))
    .bind(request.opening_float_fen)
    .bind(now)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if inserted == 0 {
        return match settle_open(connection, staff, request).await? {
            Some(created) => Ok(created),
            None => Err(AppError::IdConflict),
        };
    }
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "shift.open", "shift");
    event.entity_id = Some(request.id.to_string());
    event.store_id = Some(request.store_id);
    event.after = Some(json!({
        "opening_float_fen": request.opening_float_fen,
        "device_id": request.device_id,
    }));
    audit::record(connection, event).await?;
    Ok(true)
}

/// Opens a shift (开班). Answers the shift and whether it was opened now.
pub async fn open(
    state: &AppState,
    staff: StaffPrincipal,
    request: ShiftOpen,
) -> Result<(bool, Shift), AppError> {
    request.check().map_err(AppError::field)?;
    let id = request.id;
    let job_staff = staff.clone();
    let value = state
        .writer
        .run(Box::new(move |connection: &mut AnyConnection| {
            Box::pin(async move {
                let created = open_in(connection, &job_staff, &request).await?;
                Ok(json!(created))
            })
        }))
        .await?;
    let created = value.as_bool().unwrap_or(false);
    let mut connection = state.db.pool.acquire().await?;
    let row = find(&mut connection, id).await?.ok_or(AppError::NotFound)?;
    Ok((created, row.with_takings(&mut connection).await?))
}

/// The caller's open shift at a store.
pub async fn current(
    state: &AppState,
    staff: &StaffPrincipal,
    store_id: StoreId,
) -> Result<Shift, AppError> {
    let mut connection = state.db.pool.acquire().await?;
    scope::counter_store(&mut connection, staff, store_id).await?;
    match open_shift_of(&mut connection, store_id, staff.id).await? {
        Some(row) => row.with_takings(&mut connection).await,
        None => Err(AppError::Refused {
            status: StatusCode::NOT_FOUND,
            code: error_code::NOT_FOUND,
            message: "您在本店没有未交班的班次".to_owned(),
            details: json!({}),
        }),
    }
}

/// A shift with its takings so far.
pub async fn get(state: &AppState, staff: &StaffPrincipal, id: Uuid) -> Result<Shift, AppError> {
    let mut connection = state.db.pool.acquire().await?;
    let row = find(&mut connection, id).await?.ok_or(AppError::NotFound)?;
    row.check_reader(staff)?;
    row.with_takings(&mut connection).await
}

/// The answer to a close of an already closed shift: the first answer when the count
/// is the same, a conflict naming the first count otherwise.
fn closed_before(row: &ShiftRow, close: &ShiftClose) -> Result<Shift, AppError> {
    let (Some(count), Some(answer)) = (&row.count, &row.close_json) else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "shift {} is closed without its count",
            row.id
        )));
    };
    if count.counted_fen != close.counted_fen {
        return Err(AppError::Refused {
            status: StatusCode::CONFLICT,
            code: error_code::CONFLICT,
            message: format!(
                "该班次已于{}交班，清点现金{}",
                row.closed_at
                    .map(crate::sale::business_clock)
                    .unwrap_or_default(),
                Money(count.counted_fen)
            ),
            details: json!({ "counted_fen": count.counted_fen }),
        });
    }
    serde_json::from_str(answer).map_err(|error| AppError::Internal(error.into()))
}

async fn close_in(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    id: Uuid,
    close: &ShiftClose,
) -> Result<Shift, AppError> {
    let row = find(connection, id).await?.ok_or(AppError::NotFound)?;
    row.check_reader(staff)?;
    if row.closed_at.is_some() {
        return closed_before(&row, close);
    }
    let now = now_ms();
    // Claiming the close first takes the row's lock on PostgreSQL: a close racing this
    // one waits, then finds the shift closed and is answered as a repeat.
    let claimed =
        sqlx::query("UPDATE shifts SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
            .bind(id.to_string())
            .bind(now)
            .execute(&mut *connection)
            .await?
            .rows_affected();
    if claimed == 0 {
        let row = find(connection, id).await?.ok_or(AppError::NotFound)?;
        return closed_before(&row, close);
    }
    let closed = ShiftRow {
        closed_at: Some(now),
        ..row
    };
    let mut shift = closed.with_takings(connection).await?;
    let count = ShiftCount {
        counted_fen: close.counted_fen,
        expected_fen: shift.drawer.expected_fen,
        difference_fen: close.counted_fen - shift.drawer.expected_fen,
        note: close.note.clone(),
        closed_by: staff.id,
    };
    shift.count = Some(count.clone());
    let answer = serde_json::to_string(&shift).map_err(|error| AppError::Internal(error.into()))?;
    sqlx::query(
        "UPDATE shifts SET closed_by = $2, counted_fen = $3, expected_fen = $4, difference_fen = $5, \
         note = $6, close_json = $7 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(staff.id.to_string())
    .bind(count.counted_fen)
    .bind(count.expected_fen)
    .bind(count.difference_fen)
    .bind(count.note.as_deref())
    .bind(answer)
    .execute(&mut *connection)
    .await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "shift.close", "shift");
    event.entity_id = Some(id.to_string());
    event.store_id = Some(shift.store_id);
    event.after = Some(json!({
        "cashier": shift.staff_id,
        "counted_fen": count.counted_fen,
        "expected_fen": count.expected_fen,
        "difference_fen": count.difference_fen,
        "note": count.note,
        "sales_fen": shift.takings.sales_fen,
    }));
    audit::record(connection, event).await?;
    Ok(shift)
}

/// Closes a shift (交班) with the cash counted. The expected cash is read from the
/// ledger inside the closing transaction, so on SQLite no sale can slip in between.
pub async fn close(
    state: &AppState,
    staff: StaffPrincipal,
    id: Uuid,
    close: ShiftClose,
) -> Result<Shift, AppError> {
    let close = close.normalized().map_err(AppError::field)?;
    let value = state
        .writer
        .run(Box::new(move |connection: &mut AnyConnection| {
            Box::pin(async move {
                let shift = close_in(connection, &staff, id, &close).await?;
                serde_json::to_value(shift).map_err(|error| AppError::Internal(error.into()))
            })
        }))
        .await?;
    serde_json::from_value(value).map_err(|error| AppError::Internal(error.into()))
}
