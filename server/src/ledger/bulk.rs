//! Posting many transfers at once. `post_transfers` takes three statements per transfer,
//! which is right for a sale's handful but slow for issuing value onto ten thousand gift
//! cards or a corporate batch top-up of ten thousand members: over PostgreSQL that is
//! thirty thousand round trips. Transfers that cannot be refused are written here many
//! rows per statement with the same result.

use super::accounts::{AccountKey, Asset};
use super::post::{post_transfers, NewTransfer, PostingContext};
use super::LedgerError;
use crate::db::now_ms;
use sqlx::AnyConnection;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Rows per INSERT. Larger statements bind more parameters, and binding looks each one up
/// through the statement's whole parameter list: on SQLite a 10,000-row batch took three
/// times as long at 500 rows per statement as at 100.
const ROWS_PER_STATEMENT: usize = 100;

/// Posts the transfers as [`post_transfers`] would: the same transfer ids
/// (`<command_id>:<index>`), the same rows and the same balances. Only transfers that
/// cannot be refused are written in bulk: none may debit an account with a floor (whose
/// conditional update must be checked one by one) or credit a member's points (which need
/// a lot each); otherwise this hands the whole list to `post_transfers`.
///
/// Each account's changes are summed and applied by one upsert, accounts in the order of
/// their ids, so that concurrent bulk postings on PostgreSQL lock rows in the same order.
pub async fn post_transfers_in_bulk(
    tx: &mut AnyConnection,
    context: &PostingContext,
    transfers: &[NewTransfer],
) -> Result<Vec<String>, LedgerError> {
    let needs_checks = transfers.iter().any(|transfer| {
        transfer.debit.floor().is_some()
            || (transfer.credit.asset == Asset::Points && transfer.credit.floor().is_some())
    });
    if needs_checks {
        return post_transfers(tx, context, transfers).await;
    }
    let mut changes: BTreeMap<String, (&AccountKey, i64)> = BTreeMap::new();
    for transfer in transfers {
        if transfer.amount <= 0 {
            return Err(LedgerError::NonPositive(transfer.amount));
        }
        debug_assert_eq!(
            transfer.debit.asset, transfer.credit.asset,
            "one asset per transfer"
        );
        changes
            .entry(transfer.debit.id())
            .or_insert((&transfer.debit, 0))
            .1 -= transfer.amount;
        changes
            .entry(transfer.credit.id())
            .or_insert((&transfer.credit, 0))
            .1 += transfer.amount;
    }
    let now = now_ms();
    let changes: Vec<(String, &AccountKey, i64)> = changes
        .into_iter()
        .map(|(id, (account, amount))| (id, account, amount))
        .collect();
    for chunk in changes.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO accounts (id, owner_kind, owner_id, code, asset, balance, floor, created_at) VALUES ",
        );
        for index in 0..chunk.len() {
            let first = 2 + index * 7;
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(
                sql,
                "{separator}(${first}, ${}, ${}, ${}, ${}, ${}, ${}, $1)",
                first + 1,
                first + 2,
                first + 3,
                first + 4,
                first + 5,
                first + 6
            );
        }
        sql.push_str(
            " ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance",
        );
        let mut query = sqlx::query(&sql).bind(now);
        for (id, account, amount) in chunk {
            query = query
                .bind(id.as_str())
                .bind(account.owner_kind)
                .bind(account.owner_id.as_str())
                .bind(account.code)
                .bind(account.asset.code())
                .bind(*amount)
                .bind(account.floor());
        }
        query.execute(&mut *tx).await?;
    }
    let ids: Vec<String> = (0..transfers.len())
        .map(|index| format!("{}:{index}", context.command_id))
        .collect();
    for (chunk_index, chunk) in transfers.chunks(ROWS_PER_STATEMENT).enumerate() {
        let mut sql = String::from(
            "INSERT INTO transfers (id, command_id, debit_account_id, credit_account_id, asset, amount, kind, \
             store_id, staff_id, device_id, memo, recorded_at, occurred_at) VALUES ",
        );
        for index in 0..chunk.len() {
            let first = 7 + index * 7;
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(
                sql,
                "{separator}(${first}, $1, ${}, ${}, ${}, ${}, ${}, $2, $3, $4, ${}, $5, $6)",
                first + 1,
                first + 2,
                first + 3,
                first + 4,
                first + 5,
                first + 6
            );
        }
        let mut query = sqlx::query(&sql)
            .bind(&context.command_id)
            .bind(context.store_id.as_deref())
            .bind(context.staff_id.as_deref())
            .bind(context.device_id.as_deref())
            .bind(now)
            .bind(context.occurred_at);
        for (index, transfer) in chunk.iter().enumerate() {
            query = query
                .bind(ids[chunk_index * ROWS_PER_STATEMENT + index].as_str())
                .bind(transfer.debit.id())
                .bind(transfer.credit.id())
                .bind(transfer.debit.asset.code())
                .bind(transfer.amount)
                .bind(transfer.kind.code())
                .bind(transfer.memo.as_deref());
        }
        query.execute(&mut *tx).await?;
    }
    Ok(ids)
}
