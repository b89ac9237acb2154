//! Points lots: each credit of points to a member is a lot with its own expiry; a debit
//! takes from the lot that expires soonest first.

use super::LedgerError;
use crate::db::now_ms;
use sqlx::{AnyConnection, Row};

pub async fn add(
    tx: &mut AnyConnection,
    account_id: &str,
    transfer_id: &str,
    amount: i64,
    expires_at: i64,
) -> Result<(), LedgerError> {
    sqlx::query(
        "INSERT INTO points_lots (id, account_id, transfer_id, amount, remaining, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(transfer_id)
    .bind(account_id)
    .bind(transfer_id)
    .bind(amount)
    .bind(expires_at)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes `amount` from the account's open lots, soonest expiry first. The account's own
/// conditional update has already succeeded (and, on PostgreSQL, holds the row lock that
/// orders concurrent spenders), so the lots always hold enough.
pub async fn consume(
    tx: &mut AnyConnection,
    account_id: &str,
    amount: i64,
) -> Result<(), LedgerError> {
    let lots = sqlx::query(
        "SELECT id, remaining FROM points_lots WHERE account_id = $1 AND remaining > 0 ORDER BY expires_at, id",
    )
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut left = amount;
    for lot in lots {
        if left == 0 {
            break;
        }
        let id: String = lot.try_get("id")?;
        let remaining: i64 = lot.try_get("remaining")?;
        let take = remaining.min(left);
        sqlx::query(
            "UPDATE points_lots SET remaining = remaining - $1 WHERE id = $2 AND remaining >= $1",
        )
        .bind(take)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        left -= take;
    }
    if left > 0 {
        // The balance allowed the debit but the lots do not cover it: the two disagree,
        // which must never happen. Refuse rather than record it.
        return Err(LedgerError::Insufficient {
            account: format!("{account_id} (lots)"),
            needed: left,
        });
    }
    Ok(())
}

/// Takes `amount` from one named lot of the account. Refused, and the caller's command
/// rolled back, when the lot is not the account's or holds less.
pub async fn consume_lot(
    tx: &mut AnyConnection,
    account_id: &str,
    lot_id: &str,
    amount: i64,
) -> Result<(), LedgerError> {
    let done = sqlx::query(
        "UPDATE points_lots SET remaining = remaining - $1 WHERE id = $2 AND account_id = $3 AND remaining >= $1",
    )
    .bind(amount)
    .bind(lot_id)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(LedgerError::Insufficient {
            account: format!("{account_id} (lot {lot_id})"),
            needed: amount,
        })
    }
}
