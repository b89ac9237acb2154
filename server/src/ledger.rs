//! The double-entry ledger (DESIGN §4). Every movement of points, money or visits is a
//! transfer of a positive amount from a debit account to a credit account; transfers are
//! never changed, mistakes are corrected by a reversing transfer. Balances are kept in the
//! accounts row and changed in the same transaction by conditional updates, never by
//! reading a balance and writing it back.
//!
//! Sign convention: an account's balance is its credits minus its debits. A member's
//! points, principal (本金) and bonus (赠送金) accounts have a floor of 0, so a debit that
//! would take them below it fails; the store's counterpart accounts (cash, sales,
//! points issued, …) have no floor and mirror the members' with the opposite sign, so
//! every asset sums to zero.

pub mod accounts;
pub mod bulk;
pub mod commands;
pub mod expiry;
pub mod lots;
pub mod post;
pub mod writer;

pub use accounts::{AccountKey, Asset};
pub use commands::{CommandOutcome, CommandRecord};
pub use post::{
    post_transfers, post_transfers_overdrawing, NewTransfer, PostingContext, TransferKind,
};

/// Why a ledger write was refused.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("insufficient balance in {account}: {needed} needed")]
    Insufficient { account: String, needed: i64 },
    #[error("amount must be positive, got {0}")]
    NonPositive(i64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A member's balances as the accounts hold them; no account yet means zero.
pub async fn member_balances(
    connection: &mut sqlx::AnyConnection,
    member_id: &str,
) -> Result<huiyuan_shared::value::MemberBalances, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT code, balance FROM accounts WHERE owner_kind = 'member' AND owner_id = $1",
    )
    .bind(member_id)
    .fetch_all(&mut *connection)
    .await?;
    let mut balances = huiyuan_shared::value::MemberBalances::default();
    for row in rows {
        let code: String = row.try_get("code")?;
        let balance: i64 = row.try_get("balance")?;
        match code.as_str() {
            "points" => balances.points = balance,
            "principal" => balances.principal_fen = balance,
            "bonus" => balances.bonus_fen = balance,
            _ => {}
        }
    }
    Ok(balances)
}
