//! The tablet sync: pull pages of changes, push a batch of outbox commands, and HQ's
//! list of overdrafts offline sales made.

use crate::access::StaffAuth;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::sync::{feed, overdraft, push};
use axum::extract::{Path, State};
use huiyuan_shared::api::ApiError;
use huiyuan_shared::sync::{
    ConflictResolution, OverdraftConflict, PullPage, PushBatch, PushResponse,
};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PullQuery {
    /// The `next` cursor of the previous page; empty or absent starts from the beginning.
    pub since: Option<String>,
    /// Changes per page, 1–5000 (1000 when absent).
    pub limit: Option<u32>,
}

/// The changes after the tablet's cursor, in the order the server recorded them: members
/// (only active ones; others as tombstones), items, levels and the rules. `more` says
/// whether to ask again from `next` at once.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", operation_id = "sync_pull", params(PullQuery),
    responses((status = 200, body = PullPage), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn pull(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> AppResult<ApiJson<PullPage>> {
    let since = feed::Cursor::parse(query.since.as_deref())?;
    let limit = feed::page_limit(query.limit)?;
    Ok(ApiJson(feed::pull(&state.db, &since, limit).await?))
}

/// Records a batch of the tablet's outbox commands, each as its own endpoint would, and
/// answers one result per command (`created`, `exists`, `conflict`, `rejected`) and the
/// balances of every member the batch touched.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", operation_id = "sync_push", request_body = PushBatch,
    responses((status = 200, body = PushResponse), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 413, body = ApiError)))]
pub async fn push(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(batch): ApiJson<PushBatch>,
) -> AppResult<ApiJson<PushResponse>> {
    Ok(ApiJson(push::push(&state, &staff, batch).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ConflictQuery {
    /// `true`: only those not settled yet; `false`: only settled ones; absent: all.
    pub open: Option<bool>,
}

/// Overdrafts offline sales made at stores within the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/sync/conflicts", tag = "sync", operation_id = "list_overdraft_conflicts",
    params(ConflictQuery),
    responses((status = 200, body = Vec<OverdraftConflict>), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn conflicts(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<ConflictQuery>,
) -> AppResult<ApiJson<Vec<OverdraftConflict>>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(
        overdraft::list(&mut connection, &staff, query.open).await?,
    ))
}

/// Settles an overdraft with a note on how (2–200 characters), once; audited.
#[utoipa::path(post, path = "/api/v1/sync/conflicts/{id}/resolve", tag = "sync",
    operation_id = "resolve_overdraft_conflict",
    params(("id" = String, Path, description = "conflict id")), request_body = ConflictResolution,
    responses((status = 200, body = OverdraftConflict), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn resolve(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(resolution): ApiJson<ConflictResolution>,
) -> AppResult<ApiJson<OverdraftConflict>> {
    let mut tx = state.db.writer.begin().await?;
    let conflict = overdraft::resolve(&mut tx, &staff, &id, &resolution.note).await?;
    tx.commit().await?;
    Ok(ApiJson(conflict))
}
