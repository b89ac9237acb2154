//! Single values the till keeps under fixed keys.

use huiyuan_shared::rules::RuleSet;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use super::db::{cache, CacheError, META};

/// Where the next pull starts.
pub const CURSOR: &str = "cursor";
/// The rules in force, whole.
pub const RULES: &str = "rules";
/// What a typed phone number is hashed with to find its member.
pub const PHONE_SALT: &str = "phone_salt";
/// This tablet's id, made when the cache was first opened.
pub const DEVICE_ID: &str = "device_id";
/// When the last pull finished (ms since the epoch).
pub const LAST_SYNC_MS: &str = "last_sync_ms";

pub async fn get<T: DeserializeOwned>(key: &str) -> Result<Option<T>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(META).build()?;
    let store = tx.object_store(META)?;
    let value: Option<T> = store.get(key).serde()?.await?;
    Ok(value)
}

pub async fn set<T: Serialize>(key: &str, value: &T) -> Result<(), CacheError> {
    let db = cache().await?;
    let tx = db
        .transaction(META)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let store = tx.object_store(META)?;
    store.put(value).with_key(key.to_owned()).serde()?;
    tx.commit().await?;
    Ok(())
}

pub async fn rules() -> Result<Option<RuleSet>, CacheError> {
    get(RULES).await
}

/// This tablet's id, made on first use and kept for good.
pub async fn device_id() -> Result<Uuid, CacheError> {
    if let Some(id) = get::<Uuid>(DEVICE_ID).await? {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    set(DEVICE_ID, &id).await?;
    Ok(id)
}
