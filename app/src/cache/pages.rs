//! Writing pull pages into the cache. A page is applied in one transaction together
//! with the cursor that follows it, so a reload in the middle of a sync resumes where the
//! last whole page ended. Records go in as the JavaScript objects the response parsed to:
//! turning 100,000 members into Rust values and back would cost more than the writes.

use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::db::{cache, relaxed, CacheError, ITEMS, LEVELS, MEMBERS, META};
use super::meta;

/// What one applied page held.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    pub records: u32,
}

fn field(object: &JsValue, name: &str) -> Result<JsValue, CacheError> {
    Ok(Reflect::get(object, &JsValue::from_str(name))?)
}

fn text(object: &JsValue, name: &str) -> Result<String, CacheError> {
    field(object, name)?
        .as_string()
        .ok_or_else(|| CacheError(format!("pull page: `{name}` is not text")))
}

/// Where the page says to go on from, and whether there is more.
pub fn cursor_of(page: &JsValue) -> Result<(String, bool), CacheError> {
    Ok((
        text(page, "next")?,
        field(page, "more")?.as_bool().unwrap_or(false),
    ))
}

/// Applies a parsed `PullPage` (see `huiyuan_shared::sync`).
pub async fn apply(page: &JsValue) -> Result<Applied, CacheError> {
    let changes: Array = field(page, "changes")?
        .dyn_into()
        .map_err(|_| CacheError("pull page: `changes` is not a list".into()))?;
    let (next, _) = cursor_of(page)?;
    let salt = field(page, "phone_salt")?;

    let db = cache().await?;
    let tx = db
        .transaction([MEMBERS, ITEMS, LEVELS, META])
        .with_mode(TransactionMode::Readwrite)
        .with_options(relaxed())
        .build()?;
    let members = tx.object_store(MEMBERS)?;
    let items = tx.object_store(ITEMS)?;
    let levels = tx.object_store(LEVELS)?;
    let meta_store = tx.object_store(META)?;
    let card_no = JsValue::from_str("card_no");
    let card_nos = JsValue::from_str("card_nos");
    for change in changes.iter() {
        let entity = text(&change, "entity")?;
        let record = field(&change, "record")?;
        let tombstone = record.is_null() || record.is_undefined();
        match entity.as_str() {
            "member" if tombstone => {
                members.delete(text(&change, "id")?).primitive()?;
            }
            "member" => {
                // The card numbers and the member number side by side, for the
                // multi-entry index.
                let cards: Array = field(&record, "cards")?.dyn_into().unwrap_or_default();
                let numbers: Array = cards
                    .iter()
                    .map(|card| Reflect::get(&card, &card_no).unwrap_or(JsValue::NULL))
                    .collect();
                numbers.push(&field(&record, "member_no")?);
                Reflect::set(&record, &card_nos, &numbers)?;
                members.put(record).primitive()?;
            }
            "item" if tombstone => {
                items.delete(text(&change, "id")?).primitive()?;
            }
            "item" => {
                items.put(record).primitive()?;
            }
            "level" if tombstone => {
                levels.delete(text(&change, "id")?).primitive()?;
            }
            "level" => {
                levels.put(record).primitive()?;
            }
            "rules" => {
                meta_store.put(record).with_key(meta::RULES).primitive()?;
            }
            // A kind this client does not know yet is skipped, not fatal: a newer server
            // may carry more than an older tablet keeps.
            _ => {}
        }
    }
    meta_store
        .put(JsValue::from_str(&next))
        .with_key(meta::CURSOR)
        .primitive()?;
    if salt.is_string() {
        meta_store
            .put(salt)
            .with_key(meta::PHONE_SALT)
            .primitive()?;
    }
    tx.commit().await?;
    Ok(Applied {
        records: changes.length(),
    })
}
