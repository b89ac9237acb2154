//! Card stock (卡库存, CARD-5): batches made at HQ, hand-overs to stores, and the cards
//! counted by batch, location and state.

use crate::access::StaffAuth;
use crate::card::stock;
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::ledger::CommandOutcome;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::card::{
    CardBatch, CardBatchRequest, CardHandover, CardHandoverRequest, CardStockSummary,
};

fn status(outcome: CommandOutcome) -> StatusCode {
    match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    }
}

/// Makes a batch of plastic cards (up to 10,000) with Luhn-checked numbers, in stock at
/// the node that made them. A replay answers the batch (200).
#[utoipa::path(post, path = "/api/v1/card-batches", tag = "card stock", operation_id = "create_card_batch",
    request_body = CardBatchRequest,
    responses((status = 201, body = CardBatch), (status = 200, body = CardBatch, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn create_batch(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<CardBatchRequest>,
) -> AppResult<(StatusCode, ApiJson<CardBatch>)> {
    let (outcome, batch) = stock::create_batch(&state, staff, request).await?;
    Ok((status(outcome), ApiJson(batch)))
}

/// Hands stock cards to another node: `count` cards of a batch in the batch's order, or
/// the cards listed. All or nothing; a replay answers the first hand-over (200).
#[utoipa::path(post, path = "/api/v1/card-handovers", tag = "card stock", operation_id = "hand_over_cards",
    request_body = CardHandoverRequest,
    responses((status = 201, body = CardHandover), (status = 200, body = CardHandover, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn hand_over(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<CardHandoverRequest>,
) -> AppResult<(StatusCode, ApiJson<CardHandover>)> {
    let (outcome, handover) = stock::hand_over(&state, staff, request).await?;
    Ok((status(outcome), ApiJson(handover)))
}

/// The batches made within the caller's scope and the cards kept there, counted by
/// batch, location and state.
#[utoipa::path(get, path = "/api/v1/card-stock", tag = "card stock", operation_id = "card_stock_summary",
    responses((status = 200, body = CardStockSummary), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn summary(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
) -> AppResult<ApiJson<CardStockSummary>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(stock::summary(&mut connection, &staff).await?))
}
