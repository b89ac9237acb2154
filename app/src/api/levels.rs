//! Membership levels: HQ's definitions.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::level::{Level, LevelDraft};

use super::{encode, get_json, post_json, put_json};

pub async fn list() -> Result<Vec<Level>, ApiError> {
    get_json("/levels").await
}

pub async fn create(draft: &LevelDraft) -> Result<Level, ApiError> {
    post_json("/levels", draft).await
}

pub async fn update(id: &str, draft: &LevelDraft) -> Result<Level, ApiError> {
    put_json(&format!("/levels/{}", encode(id)), draft).await
}

pub async fn member_history(
    member_id: &str,
) -> Result<Vec<huiyuan_shared::level::LevelHistoryEntry>, ApiError> {
    get_json(&format!("/members/{member_id}/level-history")).await
}
