//! Members: search, the record, HQ's field and classification settings.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{
    FieldDef, MemberClass, MemberClassDraft, MemberPage, MemberPatch, MemberRecord,
};

use super::{encode, get_json, patch_json, post_json, put_json};

/// Results asked for per search page.
pub const SEARCH_PAGE_LIMIT: u32 = 20;

pub async fn search(term: &str, page: u32, include_archived: bool) -> Result<MemberPage, ApiError> {
    get_json(&format!(
        "/members?q={}&page={page}&limit={SEARCH_PAGE_LIMIT}&include_archived={include_archived}",
        encode(term)
    ))
    .await
}

pub async fn get(id: &str) -> Result<MemberRecord, ApiError> {
    get_json(&format!("/members/{id}")).await
}

pub async fn update(id: &str, patch: &MemberPatch) -> Result<MemberRecord, ApiError> {
    patch_json(&format!("/members/{id}"), patch).await
}

pub async fn set_archived(id: &str, archived: bool) -> Result<MemberRecord, ApiError> {
    let action = if archived { "archive" } else { "restore" };
    post_json(&format!("/members/{id}/{action}"), &serde_json::json!({})).await
}

pub async fn fields() -> Result<Vec<FieldDef>, ApiError> {
    get_json("/member-fields").await
}

pub async fn save_field(def: &FieldDef) -> Result<FieldDef, ApiError> {
    put_json(&format!("/member-fields/{}", encode(&def.key)), def).await
}

pub async fn classes() -> Result<Vec<MemberClass>, ApiError> {
    get_json("/member-classes").await
}

pub async fn create_class(draft: &MemberClassDraft) -> Result<MemberClass, ApiError> {
    post_json("/member-classes", draft).await
}

pub async fn create(draft: &huiyuan_shared::member::MemberDraft) -> Result<MemberRecord, ApiError> {
    post_json("/members", draft).await
}

pub async fn purchases(id: &str) -> Result<Vec<huiyuan_shared::member::MemberPurchase>, ApiError> {
    get_json(&format!("/members/{id}/purchases?limit=50")).await
}

pub async fn ledger(id: &str) -> Result<huiyuan_shared::value::LedgerPage, ApiError> {
    get_json(&format!("/members/{id}/ledger?limit=50")).await
}

pub async fn change_number(id: &str, member_no: &str) -> Result<MemberRecord, ApiError> {
    put_json(
        &format!("/members/{id}/number"),
        &serde_json::json!({ "member_no": member_no }),
    )
    .await
}

/// The logged-in member's own profile.
pub async fn own_profile() -> Result<huiyuan_shared::member::OwnProfile, ApiError> {
    get_json("/member/profile").await
}

pub async fn update_own_profile(
    patch: &MemberPatch,
) -> Result<huiyuan_shared::member::OwnProfile, ApiError> {
    patch_json("/member/profile", patch).await
}
