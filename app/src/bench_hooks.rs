//! What `cargo xtask bench pos` calls from the page (`end2end/bench/pos.mjs`): the
//! counter's own member lookup, so the benchmark times the Rust code and the IndexedDB
//! reads the search box uses, in the build that ships, rather than a JavaScript copy of
//! them. Exported from the module `index.html` has already initialised.

use wasm_bindgen::prelude::*;

/// The number of members `find_members` answers for `term` (4 digits: a phone's tail;
/// 11: a mobile number; other digits: a card or member number, one index; else a name part).
#[wasm_bindgen]
pub async fn huiyuan_find_members(term: String) -> Result<u32, JsValue> {
    crate::cache::lookup::find_members(&term)
        .await
        .map(|found| found.len() as u32)
        .map_err(|error| JsValue::from_str(&error.0))
}
