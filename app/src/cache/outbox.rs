//! The outbox: every command the till makes is written here before it is sent, so a
//! reload, a closed tab or a dropped answer loses nothing. An entry leaves the outbox
//! when the server has answered for it. A command the cashier is waiting on that is
//! refused leaves at once, the refusal shown on the screen; one refused later, when the
//! loop sends it, stays, marked, until the cashier has read it.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::sale::PaymentMethod;
use huiyuan_shared::sync::{Command, OutboxCommand};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::{Deserialize, Serialize};

use super::db::{cache, strict, CacheError, OUTBOX};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The command's own id.
    pub id: String,
    pub made_ms: i64,
    pub command: OutboxCommand,
    /// Set once the server refused it; the entry is then no longer sent.
    #[serde(default)]
    pub rejected: Option<ApiError>,
    /// Points a redemption takes, reckoned by the till from the cached points prices.
    #[serde(default)]
    pub points_spent: i64,
}

impl OutboxEntry {
    pub fn new(command: OutboxCommand, made_ms: i64) -> Self {
        OutboxEntry {
            id: command.command.id().to_string(),
            made_ms,
            command,
            rejected: None,
            points_spent: 0,
        }
    }

    /// The member whose stored value or points this spends, with how much of each.
    pub fn member_spend(&self) -> Option<(String, i64, i64)> {
        let sale = match &self.command.command {
            Command::Sale { sale } => sale,
            Command::Redeem { redemption } => {
                return Some((redemption.member_id.to_string(), 0, self.points_spent));
            }
            Command::Topup { .. } | Command::Return { .. } => return None,
        };
        let member = sale.member_id?;
        let value = sale
            .payments
            .iter()
            .filter(|payment| payment.method == PaymentMethod::StoredValue)
            .map(|payment| payment.amount_fen)
            .sum::<i64>();
        let points = sale
            .payments
            .iter()
            .filter_map(|payment| payment.points)
            .sum::<i64>();
        Some((member.to_string(), value, points))
    }
}

pub async fn put(entry: &OutboxEntry) -> Result<(), CacheError> {
    let db = cache().await?;
    let tx = db
        .transaction(OUTBOX)
        .with_mode(TransactionMode::Readwrite)
        .with_options(strict())
        .build()?;
    tx.object_store(OUTBOX)?.put(entry).serde()?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove(ids: &[String]) -> Result<(), CacheError> {
    if ids.is_empty() {
        return Ok(());
    }
    let db = cache().await?;
    let tx = db
        .transaction(OUTBOX)
        .with_mode(TransactionMode::Readwrite)
        .with_options(strict())
        .build()?;
    let store = tx.object_store(OUTBOX)?;
    for id in ids {
        store.delete(id.as_str()).primitive()?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every entry, oldest first.
pub async fn all() -> Result<Vec<OutboxEntry>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(OUTBOX).build()?;
    let store = tx.object_store(OUTBOX)?;
    let entries: Vec<OutboxEntry> = store
        .get_all()
        .serde()?
        .await?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(entries)
}

/// Entries still to send, oldest first.
pub async fn pending() -> Result<Vec<OutboxEntry>, CacheError> {
    Ok(all()
        .await?
        .into_iter()
        .filter(|entry| entry.rejected.is_none())
        .collect())
}

/// Stored value and points spent offline and not yet sent: by one member, and by this
/// tablet in all. What the offline limits are measured against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OfflineSpend {
    pub member_value_fen: i64,
    pub member_points: i64,
    pub terminal_value_fen: i64,
}

pub fn offline_spend(entries: &[OutboxEntry], member_id: Option<&str>) -> OfflineSpend {
    let mut spend = OfflineSpend::default();
    for entry in entries
        .iter()
        .filter(|entry| entry.command.offline && entry.rejected.is_none())
    {
        if let Some((member, value, points)) = entry.member_spend() {
            spend.terminal_value_fen += value;
            if Some(member.as_str()) == member_id {
                spend.member_value_fen += value;
                spend.member_points += points;
            }
        }
    }
    spend
}
