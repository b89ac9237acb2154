//! The ledger's invariants (DESIGN §4), checked against the database after a story:
//! 1. every asset's balances sum to zero (double entry);
//! 2. each account's balance equals its credits minus its debits;
//! 3. no account with a floor is below it, except a member's whom an offline sale
//!    overdrew (recorded in `overdraft_conflicts`, DESIGN §4's one exception);
//! 4. a member's open points lots add up to their points balance (to nothing while an
//!    overdraft leaves it below zero: the next points pay the debt first).
//!
//! PostgreSQL sums BIGINT as NUMERIC, which the `Any` driver cannot decode: each sum is
//! cast back to BIGINT.

use huiyuan_server::db::Db;
use sqlx::Row;

pub async fn check(db: &Db) {
    let sums = sqlx::query(
        "SELECT asset, CAST(SUM(balance) AS BIGINT) AS total FROM accounts GROUP BY asset",
    )
    .fetch_all(&db.pool)
    .await
    .expect("sums");
    for row in sums {
        let asset: String = row.try_get("asset").expect("asset");
        let total: i64 = row.try_get("total").expect("total");
        assert_eq!(total, 0, "asset {asset} does not sum to zero");
    }
    let mismatched = sqlx::query(
        "SELECT a.id, a.balance, \
           COALESCE((SELECT CAST(SUM(amount) AS BIGINT) FROM transfers t WHERE t.credit_account_id = a.id), 0) \
         - COALESCE((SELECT CAST(SUM(amount) AS BIGINT) FROM transfers t WHERE t.debit_account_id = a.id), 0) AS postings \
         FROM accounts a",
    )
    .fetch_all(&db.pool)
    .await
    .expect("postings");
    for row in mismatched {
        let id: String = row.try_get("id").expect("id");
        let balance: i64 = row.try_get("balance").expect("balance");
        let postings: i64 = row.try_get("postings").expect("postings");
        assert_eq!(
            balance, postings,
            "account {id}: balance differs from its postings"
        );
    }
    let below: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts a WHERE a.floor IS NOT NULL AND a.balance < a.floor \
         AND NOT (a.owner_kind = 'member' AND EXISTS \
             (SELECT 1 FROM overdraft_conflicts o WHERE o.member_id = a.owner_id))",
    )
    .fetch_one(&db.pool)
    .await
    .expect("floors");
    assert_eq!(below, 0, "an account is below its floor");
    let lots = sqlx::query(
        "SELECT a.id, a.balance, COALESCE((SELECT CAST(SUM(remaining) AS BIGINT) FROM points_lots l WHERE l.account_id = a.id), 0) AS lots \
         FROM accounts a WHERE a.owner_kind = 'member' AND a.code = 'points'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("lots");
    for row in lots {
        let id: String = row.try_get("id").expect("id");
        let balance: i64 = row.try_get("balance").expect("balance");
        let remaining: i64 = row.try_get("lots").expect("lots");
        assert_eq!(
            balance.max(0),
            remaining,
            "account {id}: lots differ from the balance"
        );
    }
}
