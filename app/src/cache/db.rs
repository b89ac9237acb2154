//! Opening the cache database and its schema. One database per browser profile; the
//! stores are named here and nowhere else.

use std::cell::RefCell;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{TransactionDurability, TransactionOptions};

pub const DB_NAME: &str = "huiyuan-pos";
/// Raised whenever a store or index is added or dropped; the upgrade below brings a
/// database of an older version up to date.
const DB_VERSION: u32 = 1;

/// Members by id; found by `phone_tail` and by `card_nos`, a multi-entry index of their
/// card numbers and member number together: every index costs each of 100,000 writes, and
/// the two kinds of number never collide (a member number may not be a card's). A full
/// phone number is found through its last four digits and then its hash: an index of its
/// own would cost every one of 100,000 writes for a lookup that four digits narrow to a
/// handful.
pub const MEMBERS: &str = "members";
/// Catalogue items by id; found by `barcode` and `code`.
pub const ITEMS: &str = "items";
pub const LEVELS: &str = "levels";
/// Single values under fixed keys: the sync cursor, the rules, the phone salt, the
/// device id, the last sync time.
pub const META: &str = "meta";
/// Commands made at the till, by id (UUIDv7, so key order is the order they were made).
pub const OUTBOX: &str = "outbox";
/// Sales put on hold (挂单) to be resumed.
pub const HELD: &str = "held";
/// Receipts of sales made on this tablet, for reprinting and returns offline.
pub const RECEIPTS: &str = "receipts";

/// Why the cache could not be read or written.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheError(pub String);

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<indexed_db_futures::error::Error> for CacheError {
    fn from(error: indexed_db_futures::error::Error) -> Self {
        CacheError(error.to_string())
    }
}

impl From<indexed_db_futures::error::OpenDbError> for CacheError {
    fn from(error: indexed_db_futures::error::OpenDbError) -> Self {
        CacheError(error.to_string())
    }
}

impl From<wasm_bindgen::JsValue> for CacheError {
    fn from(error: wasm_bindgen::JsValue) -> Self {
        CacheError(format!("{error:?}"))
    }
}

thread_local! {
    static OPENED: RefCell<Option<Database>> = const { RefCell::new(None) };
}

/// The cache, opened once per page load.
pub async fn cache() -> Result<Database, CacheError> {
    if let Some(db) = OPENED.with(|opened| opened.borrow().clone()) {
        return Ok(db);
    }
    let db = open().await?;
    OPENED.with(|opened| *opened.borrow_mut() = Some(db.clone()));
    Ok(db)
}

async fn open() -> Result<Database, CacheError> {
    let db = Database::open(DB_NAME)
        .with_version(DB_VERSION)
        .with_on_upgrade_needed(|event, db| {
            if event.old_version() < 1.0 {
                let members = db
                    .create_object_store(MEMBERS)
                    .with_key_path("id".into())
                    .build()?;
                members
                    .create_index("phone_tail", "phone_tail".into())
                    .build()?;
                members
                    .create_index("card_nos", "card_nos".into())
                    .with_multi_entry(true)
                    .build()?;
                let items = db
                    .create_object_store(ITEMS)
                    .with_key_path("id".into())
                    .build()?;
                items.create_index("barcode", "barcode".into()).build()?;
                items.create_index("code", "code".into()).build()?;
                db.create_object_store(LEVELS)
                    .with_key_path("id".into())
                    .build()?;
                db.create_object_store(META).build()?;
                db.create_object_store(OUTBOX)
                    .with_key_path("id".into())
                    .build()?;
                db.create_object_store(HELD)
                    .with_key_path("id".into())
                    .build()?;
                let receipts = db
                    .create_object_store(RECEIPTS)
                    .with_key_path("id".into())
                    .build()?;
                receipts
                    .create_index("receipt_no", "receipt_no".into())
                    .build()?;
            }
            Ok(())
        })
        .await?;
    Ok(db)
}

/// Writes of what the server can send again (pull pages): the browser may report them done
/// once the system has them, without waiting for the disk. A page lost to a power cut is
/// lost with its cursor, since both are in one transaction, and pulled again.
pub fn relaxed() -> TransactionOptions {
    TransactionOptions::new().with_durability(TransactionDurability::Relaxed)
}

/// Writes of what only this tablet knows (the outbox): reported done once on disk.
pub fn strict() -> TransactionOptions {
    TransactionOptions::new().with_durability(TransactionDurability::Strict)
}

/// Asks the browser to keep this site's storage under pressure, so unsent sales are not
/// evicted. The browser may say no; the answer is only logged.
pub fn ask_for_persistent_storage() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let storage = window.navigator().storage();
    if let Ok(promise) = storage.persist() {
        leptos::task::spawn_local(async move {
            let granted = wasm_bindgen_futures::JsFuture::from(promise).await;
            leptos::logging::log!("persistent storage: {granted:?}");
        });
    }
}
