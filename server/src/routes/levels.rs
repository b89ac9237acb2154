//! Membership levels (MEM-4): HQ defines them; staff set a member's level by hand or
//! extend their term (会员延期); anyone who may see members reads a member's level
//! history.

use crate::access::StaffAuth;
use crate::auth::principal::parse_id;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::level::{by_staff, definitions};
use crate::member::record;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::level::{
    Level, LevelAssignment, LevelDraft, LevelExtension, LevelHistoryEntry,
};
use huiyuan_shared::member::MemberRecord;
use huiyuan_shared::MemberId;

fn member_id(id: String) -> Result<MemberId, AppError> {
    parse_id(id).map_err(|_| AppError::NotFound)
}

/// Every level, lowest tier first, with its benefits, term, upgrade rule and how many
/// members hold it.
#[utoipa::path(get, path = "/api/v1/levels", tag = "levels", operation_id = "list_levels",
    responses((status = 200, body = Vec<Level>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(State(state): State<AppState>) -> AppResult<ApiJson<Vec<Level>>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(definitions::list(&mut connection).await?))
}

/// Adds a level. Every bad field is named at once; a name or tier another level has is
/// refused (`duplicate_name`, `duplicate_tier`).
#[utoipa::path(post, path = "/api/v1/levels", tag = "levels", operation_id = "create_level",
    request_body = LevelDraft,
    responses((status = 201, body = Level), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(draft): ApiJson<LevelDraft>,
) -> AppResult<(StatusCode, ApiJson<Level>)> {
    let mut tx = state.db.writer.begin().await?;
    let level = definitions::create(&mut tx, &staff, &draft).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(level)))
}

/// Changes a level. The standard level keeps tier 0, no term and no rule; a level that
/// members hold cannot be switched off (`level_in_use`).
#[utoipa::path(put, path = "/api/v1/levels/{id}", tag = "levels", operation_id = "update_level",
    params(("id" = String, Path, description = "level id")), request_body = LevelDraft,
    responses((status = 200, body = Level), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<LevelDraft>,
) -> AppResult<ApiJson<Level>> {
    let mut tx = state.db.writer.begin().await?;
    let level = definitions::update(&mut tx, &staff, &id, &draft).await?;
    tx.commit().await?;
    Ok(ApiJson(level))
}

/// Sets a formal member's level by hand, with a reason. A new term of the level's length
/// begins now.
#[utoipa::path(put, path = "/api/v1/members/{id}/level", tag = "levels", operation_id = "set_member_level",
    params(("id" = String, Path, description = "member id")), request_body = LevelAssignment,
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn assign(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(assignment): ApiJson<LevelAssignment>,
) -> AppResult<ApiJson<MemberRecord>> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    by_staff::assign(&mut tx, &staff, id, &assignment).await?;
    let after = record::existing(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(after))
}

/// Extends a member's current term by whole months (会员延期), with a reason. A level
/// without a term needs none (`no_term`).
#[utoipa::path(post, path = "/api/v1/members/{id}/level/extensions", tag = "levels", operation_id = "extend_member_level",
    params(("id" = String, Path, description = "member id")), request_body = LevelExtension,
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn extend(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(extension): ApiJson<LevelExtension>,
) -> AppResult<ApiJson<MemberRecord>> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    by_staff::extend(&mut tx, &staff, id, &extension).await?;
    let after = record::existing(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(after))
}

/// A member's level history, newest first: upgrades, renewals, downgrades, changes and
/// extensions by staff.
#[utoipa::path(get, path = "/api/v1/members/{id}/level-history", tag = "levels", operation_id = "member_level_history",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = Vec<LevelHistoryEntry>), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<ApiJson<Vec<LevelHistoryEntry>>> {
    let id = member_id(id)?;
    let mut connection = state.db.pool.acquire().await?;
    record::existing(&mut connection, id).await?;
    Ok(ApiJson(by_staff::history(&mut connection, id).await?))
}
