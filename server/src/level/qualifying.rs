//! What a member did within a window, as upgrade rules count it: spend (sales' amounts
//! due less what their returns refunded), points earned by sales less the points their
//! returns took back, and visits (sales). One query over the member's sales, by the
//! `sales_by_member` index, serves all three.

use super::months::add_months;
use crate::error::AppError;
use huiyuan_shared::level::{Level, UpgradeMetric, UpgradeRule};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A member's totals within one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub spend_fen: i64,
    pub points: i64,
    pub visits: i64,
}

impl Totals {
    pub fn of(&self, metric: UpgradeMetric) -> i64 {
        match metric {
            UpgradeMetric::Spend => self.spend_fen,
            UpgradeMetric::Points => self.points,
            UpgradeMetric::Visits => self.visits,
        }
    }
}

/// The member's totals over sales recorded from `from` (since joining when `None`) up
/// to `to`, both included: the sale that reached a level at the instant its term began
/// counts when the level is requalified for a term later.
pub async fn totals(
    connection: &mut AnyConnection,
    member_id: &str,
    from: Option<i64>,
    to: i64,
) -> Result<Totals, AppError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS visits, \
           CAST(COALESCE(SUM(s.amount_due), 0) AS BIGINT) AS spend, \
           CAST(COALESCE(SUM(s.points_earned), 0) AS BIGINT) AS points, \
           CAST(COALESCE(SUM((SELECT COALESCE(SUM(r.refund_fen), 0) FROM sale_returns r \
               WHERE r.sale_id = s.id)), 0) AS BIGINT) AS refunded, \
           CAST(COALESCE(SUM((SELECT COALESCE(SUM(r.points_reversed), 0) FROM sale_returns r \
               WHERE r.sale_id = s.id)), 0) AS BIGINT) AS points_back \
         FROM sales s WHERE s.member_id = $1 AND s.recorded_at >= $2 AND s.recorded_at <= $3",
    )
    .bind(member_id)
    .bind(from.unwrap_or(i64::MIN))
    .bind(to)
    .fetch_one(&mut *connection)
    .await?;
    let spend: i64 = row.try_get("spend")?;
    let refunded: i64 = row.try_get("refunded")?;
    let points: i64 = row.try_get("points")?;
    let points_back: i64 = row.try_get("points_back")?;
    Ok(Totals {
        spend_fen: (spend - refunded).max(0),
        points: (points - points_back).max(0),
        visits: row.try_get("visits")?,
    })
}

/// One member's totals for windows ending at one instant, each period read once however
/// many levels count over it.
#[derive(Debug)]
pub struct Progress<'m> {
    member_id: &'m str,
    end: i64,
    by_period: HashMap<Option<i64>, Totals>,
}

impl<'m> Progress<'m> {
    pub fn new(member_id: &'m str, end: i64) -> Self {
        Self {
            member_id,
            end,
            by_period: HashMap::new(),
        }
    }

    /// Whether the member met the rule within its period ending at this instant.
    pub async fn meets(
        &mut self,
        connection: &mut AnyConnection,
        rule: &UpgradeRule,
    ) -> Result<bool, AppError> {
        let totals = match self.by_period.get(&rule.period_months) {
            Some(totals) => *totals,
            None => {
                let from = rule
                    .period_months
                    .map(|months| add_months(self.end, -months));
                let totals = totals(connection, self.member_id, from, self.end).await?;
                self.by_period.insert(rule.period_months, totals);
                totals
            }
        };
        Ok(totals.of(rule.metric) >= rule.threshold)
    }

    /// The first level of `candidates` (highest tier first) whose rule the member met.
    /// Levels without a rule are given by staff only and never qualified for.
    pub async fn highest_met<'l>(
        &mut self,
        connection: &mut AnyConnection,
        candidates: &'l [Level],
    ) -> Result<Option<&'l Level>, AppError> {
        for level in candidates {
            if let Some(rule) = &level.upgrade {
                if self.meets(connection, rule).await? {
                    return Ok(Some(level));
                }
            }
        }
        Ok(None)
    }
}
