//! Self-registration with an SMS code and HQ's approval queue.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::registration::{
    Approval, CodeRequest, CodeSent, PendingPage, RegisterRequest, Registered, RejectRequest,
};

use super::{get_json, post_json};

/// Registrants asked for per page of the approval queue.
pub const PENDING_PAGE_LIMIT: u32 = 50;

pub async fn request_code(phone: &str) -> Result<CodeSent, ApiError> {
    post_json(
        "/member/register/code",
        &CodeRequest {
            phone: phone.to_owned(),
        },
    )
    .await
}

pub async fn register(request: &RegisterRequest) -> Result<Registered, ApiError> {
    post_json("/member/register", request).await
}

pub async fn pending(page: u32) -> Result<PendingPage, ApiError> {
    get_json(&format!(
        "/members/pending?page={page}&limit={PENDING_PAGE_LIMIT}"
    ))
    .await
}

pub async fn approve(id: &str) -> Result<Approval, ApiError> {
    post_json(&format!("/members/{id}/approve"), &serde_json::json!({})).await
}

pub async fn reject(id: &str, reason: &str) -> Result<(), ApiError> {
    super::post_json_empty(
        &format!("/members/{id}/reject"),
        &RejectRequest {
            reason: reason.to_owned(),
        },
    )
    .await
}
