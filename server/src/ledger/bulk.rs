//! Posting many transfers in a few statements, for commands that credit many members at
//! once (a corporate batch top-up of 10,000 rows). The outcome is exactly that of
//! [`post_transfers`]: the same transfer ids, rows and balances; only the number of round
//! trips differs. It applies when no transfer debits an account with a floor and none
//! credits a member's points: then no conditional update can fail and no lot is made, so
//! each account's change can be summed and written once. Anything else goes through
//! [`post_transfers`] one by one.

use super::accounts::{AccountKey, Asset};
use super::post::{post_transfers, NewTransfer, PostingContext};
use super::LedgerError;
use crate::db::now_ms;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Rows per INSERT. Larger statements save round trips on PostgreSQL, but on SQLite
/// sqlx asks for each parameter's name, which SQLite finds by scanning the list of the
/// statement's parameters, so the cost per row grows with the statement: at 500 rows
/// (6,500 parameters) a 10,000-row batch took three times as long as at 100.
const ROWS_PER_STATEMENT: usize = 100;

/// Posts the transfers as one command, in bulk when it is safe to.
pub async fn post_transfers_in_bulk(
    tx: &mut AnyConnection,
    context: &PostingContext,
    transfers: &[NewTransfer],
) -> Result<Vec<String>, LedgerError> {
    let bulk_safe = transfers.iter().all(|transfer| {
        transfer.debit.floor().is_none()
            && !(transfer.credit.asset == Asset::Points && transfer.credit.floor().is_some())
    });
    if !bulk_safe {
        return post_transfers(tx, context, transfers).await;
    }
    if let Some(bad) = transfers.iter().find(|transfer| transfer.amount <= 0) {
        return Err(LedgerError::NonPositive(bad.amount));
    }
    // Debited (counterpart) accounts first, in the order they first appear, then the
    // credited ones: on PostgreSQL the upsert locks rows in this order, the order in
    // which `post_transfers` reaches the store's accounts, so the two do not deadlock.
    let mut accounts: Vec<&AccountKey> = Vec::new();
    let mut changes: HashMap<String, i64> = HashMap::new();
    let sides = transfers
        .iter()
        .map(|transfer| (&transfer.debit, -transfer.amount))
        .chain(
            transfers
                .iter()
                .map(|transfer| (&transfer.credit, transfer.amount)),
        );
    for (account, change) in sides {
        let id = account.id();
        match changes.get_mut(&id) {
            Some(total) => *total += change,
            None => {
                changes.insert(id, change);
                accounts.push(account);
            }
        }
    }
    let now = now_ms();
    for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO accounts (id, owner_kind, owner_id, code, asset, balance, floor, created_at) \
             VALUES {} ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance",
            placeholders(chunk.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for account in chunk {
            let id = account.id();
            let change = changes.get(&id).copied().unwrap_or_default();
            query = query
                .bind(id)
                .bind(account.owner_kind)
                .bind(account.owner_id.clone())
                .bind(account.code)
                .bind(account.asset.code())
                .bind(change)
                .bind(account.floor())
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    let ids: Vec<String> = (0..transfers.len())
        .map(|index| format!("{}:{index}", context.command_id))
        .collect();
    for (chunk_index, chunk) in transfers.chunks(ROWS_PER_STATEMENT).enumerate() {
        let sql = format!(
            "INSERT INTO transfers (id, command_id, debit_account_id, credit_account_id, asset, amount, kind, \
             store_id, staff_id, device_id, memo, recorded_at, occurred_at) VALUES {}",
            placeholders(chunk.len(), 13)
        );
        let mut query = sqlx::query(&sql);
        for (offset, transfer) in chunk.iter().enumerate() {
            query = query
                .bind(ids[chunk_index * ROWS_PER_STATEMENT + offset].clone())
                .bind(context.command_id.clone())
                .bind(transfer.debit.id())
                .bind(transfer.credit.id())
                .bind(transfer.debit.asset.code())
                .bind(transfer.amount)
                .bind(transfer.kind.code())
                .bind(context.store_id.clone())
                .bind(context.staff_id.clone())
                .bind(context.device_id.clone())
                .bind(transfer.memo.clone())
                .bind(now)
                .bind(context.occurred_at);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(ids)
}

/// `($1, $2), ($3, $4)` for two rows of two columns.
fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=columns)
                .map(|column| format!("${}", row * columns + column))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_cell() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(1, 3), "($1, $2, $3)");
    }
}
