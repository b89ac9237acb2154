//! Count cards (SV-6): selling visits of a service to a member, using them, and listing a
//! member's cards with the visits left.

use crate::access::StaffAuth;
use crate::auth::principal::parse_id;
use crate::countcard;
use crate::db::now_ms;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::ledger::CommandOutcome;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::countcard::{
    CountCard, CountCardDetail, CountCardRequest, CountCardUseReceipt, CountCardUseRequest,
};
use huiyuan_shared::MemberId;

fn status(outcome: CommandOutcome) -> StatusCode {
    match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    }
}

/// Sells a count card: the member gets the visits, the store the money.
#[utoipa::path(post, path = "/api/v1/countcards", tag = "count cards", operation_id = "sell_countcard",
    request_body = CountCardRequest,
    responses((status = 201, body = CountCard), (status = 200, body = CountCard, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn sell(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<CountCardRequest>,
) -> AppResult<(StatusCode, ApiJson<CountCard>)> {
    let (outcome, card) = countcard::sell(&state, staff, request).await?;
    Ok((status(outcome), ApiJson(card)))
}

/// Uses visits of a count card (1 unless the request says more).
#[utoipa::path(post, path = "/api/v1/countcards/{id}/uses", tag = "count cards", operation_id = "use_countcard",
    params(("id" = String, Path, description = "count card id")), request_body = CountCardUseRequest,
    responses((status = 201, body = CountCardUseReceipt), (status = 200, body = CountCardUseReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn use_visits(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CountCardUseRequest>,
) -> AppResult<(StatusCode, ApiJson<CountCardUseReceipt>)> {
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    let (outcome, receipt) = countcard::use_visits(&state, staff, id, request, now_ms()).await?;
    Ok((status(outcome), ApiJson(receipt)))
}

/// One count card with its history.
#[utoipa::path(get, path = "/api/v1/countcards/{id}", tag = "count cards", operation_id = "get_countcard",
    params(("id" = String, Path, description = "count card id")),
    responses((status = 200, body = CountCardDetail), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<ApiJson<CountCardDetail>> {
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    let mut connection = state.db.pool.acquire().await?;
    countcard::detail(&mut connection, &id.to_string(), now_ms())
        .await?
        .map(ApiJson)
        .ok_or(AppError::NotFound)
}

/// A member's count cards, newest first, with the visits left on each.
#[utoipa::path(get, path = "/api/v1/members/{id}/countcards", tag = "count cards", operation_id = "member_countcards",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = Vec<CountCard>), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn for_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<ApiJson<Vec<CountCard>>> {
    let member: MemberId = parse_id(id).map_err(|_| AppError::NotFound)?;
    let mut connection = state.db.pool.acquire().await?;
    let found = sqlx::query("SELECT id FROM members WHERE id = $1")
        .bind(member.to_string())
        .fetch_optional(&mut *connection)
        .await?;
    if found.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(ApiJson(
        countcard::for_member(&mut connection, &member.to_string(), now_ms()).await?,
    ))
}
