//! A store's takings for one business day (业务结算/统计): by method, by cashier, and the
//! shifts opened that day with their differences. The day is the organisation's
//! business day (Asia/Shanghai), and each movement counts on the day the till rang it
//! up, as in a shift.

use super::{shift_row, takings, SHIFT_COLUMNS, SHIFT_FROM};
use crate::auth::StaffPrincipal;
use crate::error::AppError;
use crate::scope;
use crate::stored_value::report::Period;
use huiyuan_shared::shift::{CashierTakings, StoreTakings, Takings};
use huiyuan_shared::StoreId;
use sqlx::{AnyConnection, Row};

pub async fn store_takings(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    store_id: StoreId,
    date: time::Date,
) -> Result<StoreTakings, AppError> {
    scope::counter_store(connection, staff, store_id).await?;
    let store = store_id.to_string();
    let store_name: String = sqlx::query("SELECT name FROM stores WHERE id = $1")
        .bind(&store)
        .fetch_one(&mut *connection)
        .await?
        .try_get("name")?;
    let (from, to) = Period {
        from: date,
        to: date,
    }
    .bounds_ms();
    let by_cashier =
        takings::by_cashier(connection, &store, None, takings::Window { from, to }).await?;
    let mut total = Takings::default();
    let mut cashiers = Vec::with_capacity(by_cashier.len());
    for (staff_id, figures) in by_cashier {
        total.add(&figures);
        // Movements without a cashier (none are made at the counter today) count in the
        // store's total only.
        let Ok(id) = staff_id.parse() else { continue };
        cashiers.push(CashierTakings {
            staff_id: id,
            staff_name: staff_name(connection, &staff_id).await?,
            takings: figures,
        });
    }
    let rows = sqlx::query(&format!(
        "SELECT {SHIFT_COLUMNS} {SHIFT_FROM} \
         WHERE s.store_id = $1 AND s.opened_at >= $2 AND s.opened_at < $3 ORDER BY s.opened_at, s.id"
    ))
    .bind(&store)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *connection)
    .await?;
    let mut shifts = Vec::with_capacity(rows.len());
    for row in &rows {
        shifts.push(shift_row(row)?.summary());
    }
    Ok(StoreTakings {
        store_id,
        store_name,
        date: format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
        takings: total,
        by_cashier: cashiers,
        difference_fen: shifts.iter().filter_map(|shift| shift.difference_fen).sum(),
        shifts,
    })
}

async fn staff_name(connection: &mut AnyConnection, staff_id: &str) -> Result<String, AppError> {
    let row = sqlx::query("SELECT display_name FROM staff WHERE id = $1")
        .bind(staff_id)
        .fetch_optional(&mut *connection)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("display_name")?,
        None => String::new(),
    })
}
