//! Finding members and items in the cache, the way the counter asks: a scanned card or
//! barcode, a phone number or its last four digits, a member number, part of a name.

use huiyuan_shared::catalogue::Item;
use huiyuan_shared::level::Level;
use huiyuan_shared::sync::{phone_hash, CachedMember, MemberBalanceNow};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;

use super::db::{cache, CacheError, ITEMS, LEVELS, MEMBERS};
use super::meta;

/// Members shown for one lookup at most.
pub const MATCHES_MAX: usize = 20;

async fn members_by(index: &str, key: &str) -> Result<Vec<CachedMember>, CacheError> {
    members_by_up_to(index, key, MATCHES_MAX as u32).await
}

async fn members_by_up_to(
    index: &str,
    key: &str,
    limit: u32,
) -> Result<Vec<CachedMember>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(MEMBERS).build()?;
    let store = tx.object_store(MEMBERS)?;
    let found: Vec<CachedMember> = store
        .index(index)?
        .get_all()
        .with_query(key)
        .with_limit(limit)
        .serde()?
        .await?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found)
}

pub async fn member(id: &str) -> Result<Option<CachedMember>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(MEMBERS).build()?;
    let found: Option<CachedMember> = tx.object_store(MEMBERS)?.get(id).serde()?.await?;
    Ok(found)
}

pub async fn member_by_card(card_no: &str) -> Result<Vec<CachedMember>, CacheError> {
    members_by("card_nos", card_no).await
}

pub async fn members_by_phone_tail(tail: &str) -> Result<Vec<CachedMember>, CacheError> {
    members_by("phone_tail", tail).await
}

pub async fn member_by_phone(phone: &str) -> Result<Vec<CachedMember>, CacheError> {
    let phone = phone.trim();
    let salt: String = meta::get(meta::PHONE_SALT).await?.unwrap_or_default();
    let hash = phone_hash(&salt, phone);
    let tail = phone
        .get(phone.len().saturating_sub(4)..)
        .unwrap_or_default();
    // Every member with these last four digits, so the one with this number is not cut
    // off by the list's limit.
    Ok(members_by_up_to("phone_tail", tail, u32::MAX)
        .await?
        .into_iter()
        .filter(|member| member.phone_hash == hash)
        .collect())
}

/// Members whose name holds `part`. A scan of the cache: names have no index, and a
/// counter rarely looks members up by name.
pub async fn members_by_name(part: &str) -> Result<Vec<CachedMember>, CacheError> {
    let part = part.trim();
    if part.is_empty() {
        return Ok(Vec::new());
    }
    let db = cache().await?;
    let tx = db.transaction(MEMBERS).build()?;
    let store = tx.object_store(MEMBERS)?;
    let Some(mut cursor) = store.open_cursor().serde()?.await? else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    while let Some(member) = cursor.next_record_ser::<CachedMember>().await? {
        if member.name.contains(part) {
            found.push(member);
            if found.len() == MATCHES_MAX {
                break;
            }
        }
    }
    Ok(found)
}

/// Whatever the cashier typed or scanned, read by its shape: 4 digits are a phone's
/// tail, 11 digits starting with 1 a mobile number, other digits a card or member
/// number, anything else part of a name.
pub async fn find_members(term: &str) -> Result<Vec<CachedMember>, CacheError> {
    let term = term.trim();
    if term.is_empty() {
        return Ok(Vec::new());
    }
    if term.chars().all(|c| c.is_ascii_digit()) {
        if term.len() == 4 {
            return members_by_phone_tail(term).await;
        }
        if term.len() == 11 && term.starts_with('1') {
            let found = member_by_phone(term).await?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        // Card numbers and member numbers share one index.
        return member_by_card(term).await;
    }
    members_by_name(term).await
}

pub async fn item_by_barcode(barcode: &str) -> Result<Option<Item>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(ITEMS).build()?;
    let store = tx.object_store(ITEMS)?;
    let mut found: Vec<Item> = store
        .index("barcode")?
        .get_all()
        .with_query(barcode)
        .with_limit(1)
        .serde()?
        .await?
        .collect::<Result<Vec<_>, _>>()?;
    // A barcode that names only an item taken off sale may still be another's code.
    found.retain(|item| item.active);
    if found.is_empty() {
        found = store
            .index("code")?
            .get_all()
            .with_query(barcode)
            .with_limit(1)
            .serde()?
            .await?
            .collect::<Result<Vec<_>, _>>()?;
    }
    Ok(found.pop().filter(|item| item.active))
}

pub async fn item(id: &str) -> Result<Option<Item>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(ITEMS).build()?;
    let found: Option<Item> = tx.object_store(ITEMS)?.get(id).serde()?.await?;
    Ok(found)
}

/// Every active item, for searching the catalogue by name at the counter.
pub async fn all_items() -> Result<Vec<Item>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(ITEMS).build()?;
    let items: Vec<Item> = tx
        .object_store(ITEMS)?
        .get_all()
        .serde()?
        .await?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(items.into_iter().filter(|item| item.active).collect())
}

pub async fn level(id: &str) -> Result<Option<Level>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(LEVELS).build()?;
    let found: Option<Level> = tx.object_store(LEVELS)?.get(id).serde()?.await?;
    Ok(found)
}

/// Puts the balances a push answered with into the cached members.
pub async fn update_balances(updates: &[MemberBalanceNow]) -> Result<(), CacheError> {
    if updates.is_empty() {
        return Ok(());
    }
    let db = cache().await?;
    let tx = db
        .transaction(MEMBERS)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let store = tx.object_store(MEMBERS)?;
    for update in updates {
        let key = update.member_id.to_string();
        let found: Option<CachedMember> = store.get(key.as_str()).serde()?.await?;
        if let Some(mut member) = found {
            member.balances = update.balances;
            let mut card_nos: Vec<String> = member
                .cards
                .iter()
                .map(|card| card.card_no.clone())
                .collect();
            card_nos.push(member.member_no.clone());
            store.put(&StoredMember { member, card_nos }).serde()?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A cached member as stored: the record with its card numbers beside it for the index.
#[derive(serde::Serialize)]
struct StoredMember {
    #[serde(flatten)]
    member: CachedMember,
    card_nos: Vec<String>,
}
