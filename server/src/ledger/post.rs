//! Posting transfers inside the caller's transaction.

use super::accounts::{AccountKey, Asset};
use super::lots;
use super::LedgerError;
use crate::db::now_ms;
use sqlx::AnyConnection;

/// Why value moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    Earn,
    Redeem,
    Topup,
    Bonus,
    Spend,
    Payment,
    Refund,
    Expire,
    Adjust,
    /// 积分补记: points for a past purchase the member did not show their card for.
    Supplement,
    Transfer,
    Settle,
    /// Principal handed back to a member (储值退款/提现).
    Withdraw,
    /// Bonus taken back when the principal it came with is withdrawn.
    Forfeit,
    /// Points to a member whose referral became a formal member.
    Referral,
}

impl TransferKind {
    pub fn code(self) -> &'static str {
        match self {
            TransferKind::Earn => "earn",
            TransferKind::Redeem => "redeem",
            TransferKind::Topup => "topup",
            TransferKind::Bonus => "bonus",
            TransferKind::Spend => "spend",
            TransferKind::Payment => "payment",
            TransferKind::Refund => "refund",
            TransferKind::Expire => "expire",
            TransferKind::Adjust => "adjust",
            TransferKind::Supplement => "supplement",
            TransferKind::Transfer => "transfer",
            TransferKind::Settle => "settle",
            TransferKind::Withdraw => "withdraw",
            TransferKind::Forfeit => "forfeit",
            TransferKind::Referral => "referral",
        }
    }
}

/// One transfer to post. When points are credited to a member, `points_expire_at`
/// becomes the expiry of the new lot; `None` gives the default life.
#[derive(Clone, Debug)]
pub struct NewTransfer {
    pub debit: AccountKey,
    pub credit: AccountKey,
    pub amount: i64,
    pub kind: TransferKind,
    pub memo: Option<String>,
    pub points_expire_at: Option<i64>,
}

/// What all transfers of one command share.
#[derive(Clone, Debug, Default)]
pub struct PostingContext {
    pub command_id: String,
    pub store_id: Option<String>,
    pub staff_id: Option<String>,
    pub device_id: Option<String>,
    pub occurred_at: Option<i64>,
}

/// The default life of earned points when the rules name none: two years.
pub const POINTS_LIFETIME_DEFAULT_MS: i64 = 2 * 366 * 24 * 60 * 60 * 1_000;

/// Posts the transfers in order; the first that cannot be posted (a floor would be
/// crossed) fails the whole command, and the caller's transaction is rolled back.
/// Transfer ids are derived from the command id and the position, so a command's
/// transfers are the same whoever posts them.
pub async fn post_transfers(
    tx: &mut AnyConnection,
    context: &PostingContext,
    transfers: &[NewTransfer],
) -> Result<Vec<String>, LedgerError> {
    let mut ids = Vec::with_capacity(transfers.len());
    let now = now_ms();
    for (index, transfer) in transfers.iter().enumerate() {
        ids.push(post_one(tx, context, index, transfer, now, None, Floor::Keep).await?);
    }
    Ok(ids)
}

/// Posts transfers as [`post_transfers`] does, except that a debit may take an account
/// below its floor: the one exception to "no member balance below zero" (DESIGN §4
/// invariant 3), for an offline sale the server must record although another till spent
/// the member's value first. The caller records the overdraft for HQ in the same
/// transaction. Points overdrawn are a debt: the lots give what they hold, and the
/// member's next points pay the debt before they become a lot (see `post_one`).
pub async fn post_transfers_overdrawing(
    tx: &mut AnyConnection,
    context: &PostingContext,
    transfers: &[NewTransfer],
) -> Result<Vec<String>, LedgerError> {
    let mut ids = Vec::with_capacity(transfers.len());
    let now = now_ms();
    for (index, transfer) in transfers.iter().enumerate() {
        ids.push(post_one(tx, context, index, transfer, now, None, Floor::Cross).await?);
    }
    Ok(ids)
}

/// Whether a debit must keep an account at or above its floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Floor {
    Keep,
    Cross,
}

/// Posts one transfer of points out of a member's account that takes them from the
/// named lot rather than the soonest-expiring one: expiry lapses exactly the lot whose
/// time has come, whatever other lots the member holds.
pub async fn post_from_lot(
    tx: &mut AnyConnection,
    context: &PostingContext,
    transfer: &NewTransfer,
    lot_id: &str,
) -> Result<String, LedgerError> {
    debug_assert!(
        transfer.debit.asset == Asset::Points && transfer.debit.floor().is_some(),
        "only a member's points come from a lot"
    );
    post_one(
        tx,
        context,
        0,
        transfer,
        now_ms(),
        Some(lot_id),
        Floor::Keep,
    )
    .await
}

/// Posts transfers in order where each may take a member's points from a named lot (and,
/// credited to a member, becomes a lot with its own `points_expire_at`): moving points
/// between members lot by lot keeps every lot's expiry. Positions follow the list, as in
/// [`post_transfers`].
pub async fn post_transfers_from_lots(
    tx: &mut AnyConnection,
    context: &PostingContext,
    transfers: &[(NewTransfer, Option<String>)],
) -> Result<Vec<String>, LedgerError> {
    let mut ids = Vec::with_capacity(transfers.len());
    let now = now_ms();
    for (index, (transfer, lot)) in transfers.iter().enumerate() {
        ids.push(
            post_one(
                tx,
                context,
                index,
                transfer,
                now,
                lot.as_deref(),
                Floor::Keep,
            )
            .await?,
        );
    }
    Ok(ids)
}

async fn post_one(
    tx: &mut AnyConnection,
    context: &PostingContext,
    index: usize,
    transfer: &NewTransfer,
    now: i64,
    from_lot: Option<&str>,
    floor: Floor,
) -> Result<String, LedgerError> {
    if transfer.amount <= 0 {
        return Err(LedgerError::NonPositive(transfer.amount));
    }
    debug_assert_eq!(
        transfer.debit.asset, transfer.credit.asset,
        "one asset per transfer"
    );
    let id = format!("{}:{index}", context.command_id);
    let member_points =
        |account: &AccountKey| account.asset == Asset::Points && account.floor().is_some();
    // Points debited that lots cover: all of them, except what an overdraft takes past
    // what the member held.
    let mut from_lots = transfer.amount;
    match (floor, transfer.debit.floor()) {
        (Floor::Cross, Some(_)) => {
            let after = add_returning(tx, &transfer.debit, -transfer.amount).await?;
            let held_before = (after + transfer.amount).max(0);
            from_lots = transfer.amount.min(held_before);
        }
        _ => debit(tx, &transfer.debit, transfer.amount).await?,
    }
    // Points credited to a member in debt (an offline overdraft) pay the debt first; only
    // what takes the balance above zero becomes a lot, so the lots always hold exactly
    // the positive part of the balance.
    let mut to_lot = transfer.amount;
    if member_points(&transfer.credit) {
        let after = add_returning(tx, &transfer.credit, transfer.amount).await?;
        to_lot = transfer.amount.min(after.max(0));
    } else {
        credit(tx, &transfer.credit, transfer.amount).await?;
    }
    sqlx::query(
        "INSERT INTO transfers (id, command_id, debit_account_id, credit_account_id, asset, amount, kind, \
         store_id, staff_id, device_id, memo, recorded_at, occurred_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&id)
    .bind(&context.command_id)
    .bind(transfer.debit.id())
    .bind(transfer.credit.id())
    .bind(transfer.debit.asset.code())
    .bind(transfer.amount)
    .bind(transfer.kind.code())
    .bind(context.store_id.as_deref())
    .bind(context.staff_id.as_deref())
    .bind(context.device_id.as_deref())
    .bind(transfer.memo.as_deref())
    .bind(now)
    .bind(context.occurred_at)
    .execute(&mut *tx)
    .await?;
    if member_points(&transfer.credit) && to_lot > 0 {
        let expires_at = transfer
            .points_expire_at
            .unwrap_or(now + POINTS_LIFETIME_DEFAULT_MS);
        lots::add(tx, &transfer.credit.id(), &id, to_lot, expires_at).await?;
    }
    if member_points(&transfer.debit) && from_lots > 0 {
        match from_lot {
            Some(lot) => lots::consume_lot(tx, &transfer.debit.id(), lot, from_lots).await?,
            None => lots::consume(tx, &transfer.debit.id(), from_lots).await?,
        }
    }
    Ok(id)
}

/// Takes `amount` from an account. For accounts with a floor the update is conditional:
/// it changes nothing, and the posting fails, when the balance would go below the floor.
async fn debit(
    tx: &mut AnyConnection,
    account: &AccountKey,
    amount: i64,
) -> Result<(), LedgerError> {
    match account.floor() {
        Some(floor) => {
            let done = sqlx::query(
                "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance - $1 >= $3",
            )
            .bind(amount)
            .bind(account.id())
            .bind(floor)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                Ok(())
            } else {
                Err(LedgerError::Insufficient {
                    account: account.id(),
                    needed: amount,
                })
            }
        }
        None => add(tx, account, -amount).await,
    }
}

async fn credit(
    tx: &mut AnyConnection,
    account: &AccountKey,
    amount: i64,
) -> Result<(), LedgerError> {
    add(tx, account, amount).await
}

/// Adds a signed amount as [`add`] does and answers the balance after it.
async fn add_returning(
    tx: &mut AnyConnection,
    account: &AccountKey,
    amount: i64,
) -> Result<i64, LedgerError> {
    use sqlx::Row;
    let row = sqlx::query(
        "INSERT INTO accounts (id, owner_kind, owner_id, code, asset, balance, floor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance \
         RETURNING balance",
    )
    .bind(account.id())
    .bind(account.owner_kind)
    .bind(&account.owner_id)
    .bind(account.code)
    .bind(account.asset.code())
    .bind(amount)
    .bind(account.floor())
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.try_get("balance")?)
}

/// Adds a signed amount, creating the account by its first posting.
async fn add(tx: &mut AnyConnection, account: &AccountKey, amount: i64) -> Result<(), LedgerError> {
    sqlx::query(
        "INSERT INTO accounts (id, owner_kind, owner_id, code, asset, balance, floor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance",
    )
    .bind(account.id())
    .bind(account.owner_kind)
    .bind(&account.owner_id)
    .bind(account.code)
    .bind(account.asset.code())
    .bind(amount)
    .bind(account.floor())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
