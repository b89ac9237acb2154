//! The stored-value balance report (储值余额报表, SV-5), from the ledger: what members
//! hold now, by the store they joined at (the only store a member's balance belongs to:
//! stored value is spent at any branch), and what moved over a period, by the store where
//! it moved. Periods are business days (Asia/Shanghai) by when the server recorded each
//! transfer. A staff member sees the stores within their scope.

use crate::auth::StaffPrincipal;
use crate::error::AppError;
use crate::sale::BUSINESS_UTC_OFFSET_MS;
use huiyuan_shared::value_report::{StoreValueLine, StoredValueReport, ValueHeld, ValueMovements};
use huiyuan_shared::{FieldError, StoreId};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// A period of business days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: time::Date,
    pub to: time::Date,
}

impl Period {
    /// The instants the period covers: from the first day's midnight to the midnight
    /// after the last day, business time, in milliseconds since the epoch.
    pub(crate) fn bounds_ms(self) -> (i64, i64) {
        let midnight = |date: time::Date| {
            date.midnight().assume_utc().unix_timestamp() * 1_000 - BUSINESS_UTC_OFFSET_MS
        };
        let end = self.to.next_day().map_or(i64::MAX, midnight);
        (midnight(self.from), end)
    }
}

/// Reads a `YYYY-MM-DD` date from the query.
pub fn parse_date(field: &str, text: &str) -> Result<time::Date, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| {
        AppError::field(FieldError::new(
            field,
            "invalid_date",
            "日期格式应为 YYYY-MM-DD",
        ))
    })
}

/// A store node: where it sits in the tree.
struct Node {
    code: String,
    name: String,
    path: String,
}

/// The report for the subtree at `node` (the staff member's own scope when `None`).
pub async fn stored_value_report(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    node: Option<StoreId>,
    period: Period,
) -> Result<StoredValueReport, AppError> {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut root_path = None;
    for row in sqlx::query("SELECT id, parent_id, code, name, path FROM stores")
        .fetch_all(&mut *connection)
        .await?
    {
        let path: String = row.try_get("path")?;
        if row.try_get::<Option<String>, _>("parent_id")?.is_none() {
            root_path = Some(path.clone());
        }
        nodes.insert(
            row.try_get("id")?,
            Node {
                code: row.try_get("code")?,
                name: row.try_get("name")?,
                path,
            },
        );
    }
    let node = node.unwrap_or(staff.store.id);
    let scope_path = match nodes.get(&node.to_string()) {
        Some(found) => found.path.clone(),
        None => {
            return Err(AppError::field(FieldError::new(
                "store_id",
                "unknown_store",
                "门店不存在",
            )))
        }
    };
    if !staff.covers(&scope_path) {
        return Err(AppError::OutOfScope);
    }
    // Value without a store (members who joined online, say) belongs to the whole
    // organisation: only a scope covering the whole tree sees it.
    let whole_tree = root_path.as_deref() == Some(scope_path.as_str());
    let in_scope = |store: &Option<String>| match store {
        Some(id) => nodes
            .get(id)
            .is_some_and(|node| node.path.starts_with(&scope_path)),
        None => whole_tree,
    };

    let mut lines: BTreeMap<Option<String>, StoreValueLine> = BTreeMap::new();
    let held = sqlx::query(
        "SELECT m.store_id AS store_id, \
           CAST(SUM(CASE WHEN a.code = 'principal' THEN a.balance ELSE 0 END) AS BIGINT) AS principal, \
           CAST(SUM(CASE WHEN a.code = 'bonus' THEN a.balance ELSE 0 END) AS BIGINT) AS bonus, \
           COUNT(DISTINCT CASE WHEN a.balance > 0 THEN a.owner_id END) AS holders \
         FROM accounts a JOIN members m ON m.id = a.owner_id \
         WHERE a.owner_kind = 'member' AND a.code IN ('principal', 'bonus') \
         GROUP BY m.store_id",
    )
    .fetch_all(&mut *connection)
    .await?;
    for row in held {
        let store: Option<String> = row.try_get("store_id")?;
        if !in_scope(&store) {
            continue;
        }
        let entry = line(&mut lines, &nodes, store);
        entry.held.principal_fen += row.try_get::<i64, _>("principal")?;
        entry.held.bonus_fen += row.try_get::<i64, _>("bonus")?;
        entry.held.members += row.try_get::<i64, _>("holders")?;
    }

    let (start, end) = period.bounds_ms();
    for side in ["credit", "debit"] {
        let sql = format!(
            "SELECT t.store_id AS store_id, t.kind AS kind, a.code AS code, \
               CAST(SUM(t.amount) AS BIGINT) AS total \
             FROM transfers t JOIN accounts a ON a.id = t.{side}_account_id \
             WHERE a.owner_kind = 'member' AND a.code IN ('principal', 'bonus') \
               AND t.recorded_at >= $1 AND t.recorded_at < $2 \
             GROUP BY t.store_id, t.kind, a.code"
        );
        let rows = sqlx::query(&sql)
            .bind(start)
            .bind(end)
            .fetch_all(&mut *connection)
            .await?;
        for row in rows {
            let store: Option<String> = row.try_get("store_id")?;
            if !in_scope(&store) {
                continue;
            }
            let kind: String = row.try_get("kind")?;
            let code: String = row.try_get("code")?;
            let total: i64 = row.try_get("total")?;
            let (credited, debited) = if side == "credit" {
                (total, 0)
            } else {
                (0, total)
            };
            line(&mut lines, &nodes, store)
                .movements
                .add(&kind, &code, credited, debited);
        }
    }

    let mut report = StoredValueReport {
        from: period.from.to_string(),
        to: period.to.to_string(),
        store_id: node,
        held: ValueHeld::default(),
        movements: ValueMovements::default(),
        stores: Vec::with_capacity(lines.len()),
    };
    let mut stores: Vec<StoreValueLine> = lines.into_values().collect();
    // Stores in tree order (by code path), value without a store last.
    stores.sort_by_key(|line| {
        let path = line
            .store_id
            .and_then(|id| nodes.get(&id.to_string()))
            .map(|node| node.path.clone());
        (path.is_none(), path)
    });
    for line in &stores {
        report.held.members += line.held.members;
        report.held.principal_fen += line.held.principal_fen;
        report.held.bonus_fen += line.held.bonus_fen;
        merge(&mut report.movements, &line.movements);
    }
    report.stores = stores;
    Ok(report)
}

/// The line of a store (or of value without a store), made empty on first use.
fn line<'l>(
    lines: &'l mut BTreeMap<Option<String>, StoreValueLine>,
    nodes: &BTreeMap<String, Node>,
    store: Option<String>,
) -> &'l mut StoreValueLine {
    lines.entry(store.clone()).or_insert_with(|| {
        let found = store.as_ref().and_then(|id| nodes.get(id));
        StoreValueLine {
            store_id: store.as_ref().and_then(|id| id.parse().ok()),
            store_code: found.map(|node| node.code.clone()),
            store_name: found.map(|node| node.name.clone()),
            held: ValueHeld::default(),
            movements: ValueMovements::default(),
        }
    })
}

/// Adds one store's movements to the totals.
fn merge(total: &mut ValueMovements, line: &ValueMovements) {
    total.topup_principal_fen += line.topup_principal_fen;
    total.topup_bonus_fen += line.topup_bonus_fen;
    total.spent_principal_fen += line.spent_principal_fen;
    total.spent_bonus_fen += line.spent_bonus_fen;
    total.returned_principal_fen += line.returned_principal_fen;
    total.returned_bonus_fen += line.returned_bonus_fen;
    total.withdrawn_principal_fen += line.withdrawn_principal_fen;
    total.forfeited_bonus_fen += line.forfeited_bonus_fen;
    total.other_principal_fen += line.other_principal_fen;
    total.other_bonus_fen += line.other_bonus_fen;
    total.net_principal_fen += line.net_principal_fen;
    total.net_bonus_fen += line.net_bonus_fen;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A business day starts at 00:00 in Shanghai, 16:00 UTC the day before.
    #[test]
    fn periods_are_business_days() {
        let day = parse_date("from", "2025-06-01").expect("date");
        let (start, end) = Period { from: day, to: day }.bounds_ms();
        assert_eq!(start, 1_748_707_200_000, "2025-05-31T16:00:00Z");
        assert_eq!(end - start, 24 * 60 * 60 * 1_000);
        assert!(parse_date("from", "2025-6-1x").is_err());
        assert!(parse_date("from", "2025-02-30").is_err());
    }
}
