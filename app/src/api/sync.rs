//! The tablet's sync calls: pull pages of changes and push batches of outbox commands.

use gloo_net::http::Request;
use huiyuan_shared::api::{ApiError, API_PREFIX};
use huiyuan_shared::sync::{
    ConflictResolution, OverdraftConflict, PushBatch, PushResponse, PULL_LIMIT_MAX,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestCredentials;

use super::{encode, get_json, network_error, post_json, read_error};
use crate::i18n::BAD_RESPONSE;

/// One pull page, parsed by the browser into a JavaScript object: the cache writes its
/// records as they are (see `cache::pages`).
pub async fn pull(since: Option<&str>) -> Result<JsValue, ApiError> {
    let mut path = format!("{API_PREFIX}/sync/pull?limit={PULL_LIMIT_MAX}");
    if let Some(since) = since {
        path.push_str(&format!("&since={}", encode(since)));
    }
    let response = Request::get(&path)
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(network_error)?;
    if !response.ok() {
        return Err(read_error(response).await);
    }
    let parsed = web_sys::Response::from(response)
        .json()
        .map_err(|error| super::client_error(BAD_RESPONSE, format!("{error:?}")))?;
    JsFuture::from(parsed)
        .await
        .map_err(|error| super::client_error(BAD_RESPONSE, format!("{error:?}")))
}

pub async fn push(batch: &PushBatch) -> Result<PushResponse, ApiError> {
    post_json("/sync/push", batch).await
}

pub async fn conflicts(open_only: bool) -> Result<Vec<OverdraftConflict>, ApiError> {
    get_json(&format!("/sync/conflicts?open={open_only}")).await
}

pub async fn resolve_conflict(id: &str, note: &str) -> Result<OverdraftConflict, ApiError> {
    post_json(
        &format!("/sync/conflicts/{}/resolve", encode(id)),
        &ConflictResolution {
            note: note.to_owned(),
        },
    )
    .await
}

pub async fn rules() -> Result<huiyuan_shared::rules::RuleSet, ApiError> {
    get_json("/rules").await
}

pub async fn save_rules(
    rules: &huiyuan_shared::rules::RuleSet,
) -> Result<huiyuan_shared::rules::RuleSet, ApiError> {
    super::put_json("/rules", rules).await
}

pub async fn sale_by_receipt(
    receipt_no: &str,
) -> Result<huiyuan_shared::sale::SaleForReturn, ApiError> {
    get_json(&format!("/sales/by-receipt/{}", encode(receipt_no.trim()))).await
}
