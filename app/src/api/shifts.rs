//! The cashier's shift: open, the current one, close.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::shift::{Shift, ShiftClose, ShiftOpen};
use huiyuan_shared::StoreId;

use super::{encode, get_json, post_json};

pub async fn current(store_id: StoreId) -> Result<Shift, ApiError> {
    get_json(&format!("/shifts/current?store_id={store_id}")).await
}

pub async fn open(request: &ShiftOpen) -> Result<Shift, ApiError> {
    post_json("/shifts", request).await
}

pub async fn close(id: &str, request: &ShiftClose) -> Result<Shift, ApiError> {
    post_json(&format!("/shifts/{}/close", encode(id)), request).await
}
