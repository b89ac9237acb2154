//! The member's purchases for the 360° view (MEM-5), newest first, with what was returned.
//! (PostgreSQL sums BIGINT into NUMERIC, hence the cast back.)

use crate::db::ms_to_rfc3339;
use crate::error::AppError;
use huiyuan_shared::member::MemberPurchase;
use huiyuan_shared::MemberId;
use sqlx::{AnyConnection, Row};

/// Up to `limit` purchases recorded before `before` (ms), newest first.
pub async fn list(
    connection: &mut AnyConnection,
    member: MemberId,
    limit: i64,
    before: Option<i64>,
) -> Result<Vec<MemberPurchase>, AppError> {
    let rows = sqlx::query(
        "SELECT s.id, s.receipt_no, st.name AS store_name, s.amount_due, s.points_earned, \
         s.points_paid, s.recorded_at, \
         CAST(COALESCE((SELECT SUM(r.refund_fen) FROM sale_returns r WHERE r.sale_id = s.id), 0) \
           AS BIGINT) AS returned_fen \
         FROM sales s JOIN stores st ON st.id = s.store_id \
         WHERE s.member_id = $1 AND s.recorded_at < $2 \
         ORDER BY s.recorded_at DESC LIMIT $3",
    )
    .bind(member.to_string())
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(MemberPurchase {
                sale_id: row.try_get("id")?,
                receipt_no: row.try_get("receipt_no")?,
                store_name: row.try_get("store_name")?,
                amount_due_fen: row.try_get("amount_due")?,
                points_earned: row.try_get("points_earned")?,
                points_paid: row.try_get("points_paid")?,
                returned_fen: row.try_get("returned_fen")?,
                recorded_at: ms_to_rfc3339(row.try_get("recorded_at")?),
            })
        })
        .collect()
}
