//! The tablet's sync calls: pull pages of changes and push batches of outbox commands.

use huiyuan_shared::api::{ApiError, API_PREFIX};
use huiyuan_shared::sync::{
    ConflictResolution, OverdraftConflict, PushBatch, PushResponse, PULL_LIMIT_MAX,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestCredentials;

use super::{encode, get_json, post_json, read_error};
use crate::i18n::BAD_RESPONSE;

/// How long the till waits for a sync answer before treating the network as down: a
/// connection that is accepted and never answered must not hold the counter.
const SYNC_TIMEOUT_MS: i32 = 20_000;

/// A signal that aborts a request after [`SYNC_TIMEOUT_MS`].
fn timeout_signal() -> Option<web_sys::AbortSignal> {
    let controller = web_sys::AbortController::new().ok()?;
    let signal = controller.signal();
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            abort.unchecked_ref(),
            SYNC_TIMEOUT_MS,
        )
        .ok()?;
    Some(signal)
}

/// A pull page asked for and not yet read. The request is under way from the moment this
/// is made, so the next page travels while the last one is written to the cache.
pub struct PendingPull(js_sys::Promise);

pub fn start_pull(since: Option<&str>) -> PendingPull {
    let mut path = format!("{API_PREFIX}/sync/pull?limit={PULL_LIMIT_MAX}");
    if let Some(since) = since {
        path.push_str(&format!("&since={}", encode(since)));
    }
    let init = web_sys::RequestInit::new();
    init.set_credentials(RequestCredentials::SameOrigin);
    init.set_signal(timeout_signal().as_ref());
    let promise = match web_sys::window() {
        Some(window) => window.fetch_with_str_and_init(&path, &init),
        None => js_sys::Promise::reject(&JsValue::from_str("no window")),
    };
    PendingPull(promise)
}

/// The page, parsed by the browser into a JavaScript object: the cache writes its
/// records as they are (see `cache::pages`).
pub async fn finish_pull(pending: PendingPull) -> Result<JsValue, ApiError> {
    let response: web_sys::Response = JsFuture::from(pending.0)
        .await
        .and_then(|response| response.dyn_into())
        .map_err(|error| super::client_error(crate::i18n::NETWORK_ERROR, format!("{error:?}")))?;
    let response = gloo_net::http::Response::from(response);
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
    let signal = timeout_signal();
    let request = gloo_net::http::Request::post(&format!("{API_PREFIX}/sync/push"))
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json")
        .abort_signal(signal.as_ref())
        .json(batch)
        .map_err(|error| super::client_error(BAD_RESPONSE, error.to_string()))?;
    let response = request.send().await.map_err(super::network_error)?;
    super::read_json(response).await
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
