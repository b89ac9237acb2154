//! What a store took, read from the ledger as it was recorded: every money transfer of
//! the store carries the cashier (`staff_id`) and the time the till rang it up
//! (`occurred_at`, sent by a till that was offline) beside the time the server recorded
//! it. A movement belongs to a window by the till's time when there is one, so a sale
//! rung up offline during a shift and sent after it lands in that shift, not the next.

use crate::error::AppError;
use crate::ledger::AccountKey;
use huiyuan_shared::shift::Takings;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};

/// The time a movement counts at: the till's when it sent one, else the server's.
const TILL_TIME: &str = "COALESCE(occurred_at, recorded_at)";

/// Every tender money can come in or go out by.
const TENDERS: [&str; 5] = ["cash", "bank_card", "wechat", "alipay", "bank_transfer"];

/// Instants from `from` (included) to `to` (excluded), in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    /// From `from` on, with no end: an open shift, including a till whose clock runs a
    /// little ahead of the server's.
    pub fn since(from: i64) -> Self {
        Window { from, to: i64::MAX }
    }
}

/// One money transfer as it bears on takings.
#[derive(Clone, Debug)]
pub struct MoneyMove {
    pub command_id: String,
    pub debit: String,
    pub credit: String,
    pub kind: String,
    pub amount: i64,
}

/// Sorts the store's money transfers into takings. Anything that neither touches the
/// store's takings from sales nor moves money through one of its tenders (bonus given,
/// points, forfeits) is not takings and is left out.
pub struct Classifier {
    sales: String,
    points_funding: String,
    countcard_sold: String,
    tenders: Vec<(String, &'static str)>,
}

impl Classifier {
    pub fn new(store_id: &str) -> Self {
        Classifier {
            sales: AccountKey::store_sales(store_id).id(),
            points_funding: AccountKey::store_points_funding(store_id).id(),
            countcard_sold: AccountKey::store_countcard_sold(store_id).id(),
            tenders: TENDERS
                .into_iter()
                .map(|tender| (AccountKey::store_tender(store_id, tender).id(), tender))
                .collect(),
        }
    }

    fn tender(&self, account: &str) -> Option<&'static str> {
        self.tenders
            .iter()
            .find(|(id, _)| id == account)
            .map(|(_, tender)| *tender)
    }

    /// The payment method a sale's (or return's) counterpart account stands for.
    fn method(&self, account: &str) -> Option<&'static str> {
        if let Some(tender) = self.tender(account) {
            return Some(tender);
        }
        if account == self.points_funding {
            return Some("points");
        }
        if account.starts_with("member:")
            && (account.ends_with(":principal") || account.ends_with(":bonus"))
        {
            return Some("stored_value");
        }
        account.starts_with("giftcard:").then_some("gift_card")
    }

    /// Adds one transfer to `takings`; count-card sales are counted by their command in
    /// `countcards`.
    pub fn add(&self, takings: &mut Takings, countcards: &mut BTreeSet<String>, row: &MoneyMove) {
        let amount = row.amount;
        let add_to = |slot: Option<&mut i64>, signed: i64| {
            if let Some(slot) = slot {
                *slot += signed;
            }
        };
        match row.kind.as_str() {
            "payment" | "spend" if row.credit == self.sales => {
                if let Some(method) = self.method(&row.debit) {
                    add_to(takings.sales_by_method.slot(method), amount);
                    add_to(takings.net_by_method.slot(method), amount);
                }
            }
            // A return gives money back from the takings; stored value taken from the
            // member instead of the points they already spent comes back the other way.
            "refund" if row.debit == self.sales => {
                if let Some(method) = self.method(&row.credit) {
                    add_to(takings.refunds_by_method.slot(method), amount);
                    add_to(takings.net_by_method.slot(method), -amount);
                }
            }
            "refund" if row.credit == self.sales => {
                if let Some(method) = self.method(&row.debit) {
                    add_to(takings.refunds_by_method.slot(method), -amount);
                    add_to(takings.net_by_method.slot(method), amount);
                }
            }
            "topup" => {
                let Some(tender) = self.tender(&row.debit) else {
                    return;
                };
                if row.credit == self.countcard_sold {
                    add_to(takings.countcard_sales_by_tender.slot(tender), amount);
                    countcards.insert(row.command_id.clone());
                } else if row.credit.starts_with("giftcard:") {
                    add_to(takings.giftcard_loads_by_tender.slot(tender), amount);
                } else if row.credit.starts_with("member:") {
                    add_to(takings.topups_by_tender.slot(tender), amount);
                }
            }
            "withdraw" => {
                if let Some(tender) = self.tender(&row.credit) {
                    add_to(takings.withdrawals_by_tender.slot(tender), amount);
                }
            }
            _ => {}
        }
    }
}

/// The store's takings in `window`, by cashier (staff id); only `staff_id`'s when given.
/// Movements recorded without a cashier are under the empty id.
pub async fn by_cashier(
    connection: &mut AnyConnection,
    store_id: &str,
    staff_id: Option<&str>,
    window: Window,
) -> Result<BTreeMap<String, Takings>, AppError> {
    let staff_filter = if staff_id.is_some() {
        " AND staff_id = $4"
    } else {
        ""
    };
    let transfers = Filtered(format!(
        "SELECT staff_id, command_id, debit_account_id, credit_account_id, kind, amount \
         FROM transfers WHERE store_id = $1 AND {TILL_TIME} >= $2 AND {TILL_TIME} < $3 \
         AND asset = 'CNY'{staff_filter}"
    ))
    .fetch(connection, store_id, staff_id, window)
    .await?;
    let classifier = Classifier::new(store_id);
    let mut takings: BTreeMap<String, Takings> = BTreeMap::new();
    let mut countcards: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in transfers {
        let cashier: Option<String> = row.try_get("staff_id")?;
        let cashier = cashier.unwrap_or_default();
        let moved = MoneyMove {
            command_id: row.try_get("command_id")?,
            debit: row.try_get("debit_account_id")?,
            credit: row.try_get("credit_account_id")?,
            kind: row.try_get("kind")?,
            amount: row.try_get("amount")?,
        };
        classifier.add(
            takings.entry(cashier.clone()).or_default(),
            countcards.entry(cashier).or_default(),
            &moved,
        );
    }
    for (cashier, commands) in countcards {
        takings.entry(cashier).or_default().countcard_sales_count =
            i64::try_from(commands.len()).unwrap_or(i64::MAX);
    }

    // Sales and returns are counted from their own tables: a sale can come to nothing
    // (free goods) and still be a sale.
    let sales = Filtered(format!(
        "SELECT staff_id, COUNT(*) AS sales, CAST(COALESCE(SUM(amount_due), 0) AS BIGINT) AS due FROM sales \
         WHERE store_id = $1 AND {TILL_TIME} >= $2 AND {TILL_TIME} < $3{staff_filter} GROUP BY staff_id"
    ))
    .fetch(connection, store_id, staff_id, window)
    .await?;
    for row in sales {
        let cashier: Option<String> = row.try_get("staff_id")?;
        let entry = takings.entry(cashier.unwrap_or_default()).or_default();
        entry.sales_count = row.try_get("sales")?;
        entry.sales_fen = row.try_get("due")?;
    }
    // Returns are taken at the counter online only, so the server's time is the till's.
    let returns = Filtered(format!(
        "SELECT staff_id, COUNT(*) AS returns FROM sale_returns \
         WHERE store_id = $1 AND recorded_at >= $2 AND recorded_at < $3{staff_filter} GROUP BY staff_id"
    ))
    .fetch(connection, store_id, staff_id, window)
    .await?;
    for row in returns {
        let cashier: Option<String> = row.try_get("staff_id")?;
        takings
            .entry(cashier.unwrap_or_default())
            .or_default()
            .returns_count = row.try_get("returns")?;
    }
    Ok(takings)
}

/// A query of a store's rows in a window (`$1` store, `$2`–`$3` the window), with `$4`
/// the cashier when its text filters by one.
struct Filtered(String);

impl Filtered {
    async fn fetch(
        &self,
        connection: &mut AnyConnection,
        store_id: &str,
        staff_id: Option<&str>,
        window: Window,
    ) -> Result<Vec<AnyRow>, sqlx::Error> {
        let mut query = sqlx::query(&self.0)
            .bind(store_id)
            .bind(window.from)
            .bind(window.to);
        if let Some(staff_id) = staff_id {
            query = query.bind(staff_id);
        }
        query.fetch_all(&mut *connection).await
    }
}

/// One cashier's takings at a store in `window`.
pub async fn of_cashier(
    connection: &mut AnyConnection,
    store_id: &str,
    staff_id: &str,
    window: Window,
) -> Result<Takings, AppError> {
    let mut all = by_cashier(connection, store_id, Some(staff_id), window).await?;
    Ok(all.remove(staff_id).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(debit: &str, credit: &str, kind: &str, amount: i64) -> MoneyMove {
        MoneyMove {
            command_id: format!("{kind}-{amount}"),
            debit: debit.to_owned(),
            credit: credit.to_owned(),
            kind: kind.to_owned(),
            amount,
        }
    }

    #[test]
    fn transfers_are_sorted_by_what_they_were_for() {
        let classifier = Classifier::new("s1");
        let mut takings = Takings::default();
        let mut countcards = BTreeSet::new();
        for row in [
            moved("store:s1:cash", "store:s1:sales", "payment", 1_000),
            moved("member:m:principal", "store:s1:sales", "spend", 800),
            moved("member:m:bonus", "store:s1:sales", "spend", 200),
            moved("store:s1:points_funding", "store:s1:sales", "payment", 300),
            moved("giftcard:6001:principal", "store:s1:sales", "spend", 400),
            moved("store:s1:sales", "store:s1:cash", "refund", 250),
            moved("store:s1:sales", "member:m:principal", "refund", 100),
            moved("member:m:principal", "store:s1:sales", "refund", 30),
            moved("store:s1:cash", "member:m:principal", "topup", 5_000),
            moved("store:s1:bonus_issued", "member:m:bonus", "bonus", 500),
            moved("store:s1:wechat", "store:s1:countcard_sold", "topup", 9_900),
            moved("store:s1:cash", "giftcard:6001:principal", "topup", 2_000),
            moved("member:m:principal", "store:s1:cash", "withdraw", 700),
            moved("member:m:bonus", "store:s1:bonus_issued", "forfeit", 70),
            // Another store's accounts are not this store's takings.
            moved("store:s2:cash", "store:s2:sales", "payment", 99_999),
        ] {
            classifier.add(&mut takings, &mut countcards, &row);
        }
        let sales = takings.sales_by_method;
        assert_eq!(
            (
                sales.cash_fen,
                sales.stored_value_fen,
                sales.points_fen,
                sales.gift_card_fen
            ),
            (1_000, 1_000, 300, 400)
        );
        assert_eq!(takings.refunds_by_method.cash_fen, 250);
        assert_eq!(takings.refunds_by_method.stored_value_fen, 70);
        assert_eq!(
            takings.net_by_method.total_fen(),
            sales.total_fen() - takings.refunds_by_method.total_fen()
        );
        assert_eq!(takings.topups_by_tender.cash_fen, 5_000);
        assert_eq!(takings.countcard_sales_by_tender.wechat_fen, 9_900);
        assert_eq!(countcards.len(), 1);
        assert_eq!(takings.giftcard_loads_by_tender.cash_fen, 2_000);
        assert_eq!(takings.withdrawals_by_tender.cash_fen, 700);
        assert_eq!(takings.cash_net_fen(), 1_000 - 250 + 5_000 + 2_000 - 700);
    }
}
