//! What the counter keeps on the tablet only: sales on hold (挂单) and the receipts of
//! recent sales, each a serde record in its own store.

use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::db::{cache, CacheError};

pub async fn put<T: Serialize>(store_name: &str, record: &T) -> Result<(), CacheError> {
    let db = cache().await?;
    let tx = db
        .transaction(store_name)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    tx.object_store(store_name)?.put(record).serde()?;
    tx.commit().await?;
    Ok(())
}

pub async fn get<T: DeserializeOwned>(store_name: &str, id: &str) -> Result<Option<T>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(store_name).build()?;
    let found: Option<T> = tx.object_store(store_name)?.get(id).serde()?.await?;
    Ok(found)
}

pub async fn all<T: DeserializeOwned>(store_name: &str) -> Result<Vec<T>, CacheError> {
    let db = cache().await?;
    let tx = db.transaction(store_name).build()?;
    let records: Vec<T> = tx
        .object_store(store_name)?
        .get_all()
        .serde()?
        .await?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(records)
}

pub async fn remove(store_name: &str, id: &str) -> Result<(), CacheError> {
    let db = cache().await?;
    let tx = db
        .transaction(store_name)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    tx.object_store(store_name)?.delete(id).primitive()?;
    tx.commit().await?;
    Ok(())
}
