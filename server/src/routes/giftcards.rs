//! Anonymous gift cards (CARD-4): batches, loads, balance enquiries, staff lookups and
//! freezing. Spending happens in a sale, through `giftcard::spend`.

use crate::access::StaffAuth;
use crate::audit::Actor;
use crate::db::now_ms;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::giftcard::{self, batches, loads};
use crate::ledger::CommandOutcome;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::giftcard::{
    GiftCardBatch, GiftCardBatchCreated, GiftCardBatchRequest, GiftCardEnquiry,
    GiftCardLoadReceipt, GiftCardLoadRequest, GiftCardStateChange, GiftCardView,
};

fn status(outcome: CommandOutcome) -> StatusCode {
    match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    }
}

/// Makes a batch of cards with random numbers (Luhn-checked) and PINs. The PINs are in
/// this first answer only: export or print them now. A replay answers the batch without
/// them (200).
#[utoipa::path(post, path = "/api/v1/giftcards/batches", tag = "gift cards", operation_id = "create_giftcard_batch",
    request_body = GiftCardBatchRequest,
    responses((status = 201, body = GiftCardBatchCreated), (status = 200, body = GiftCardBatchCreated, description = "a replay, without the PINs"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn create_batch(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<GiftCardBatchRequest>,
) -> AppResult<(StatusCode, ApiJson<GiftCardBatchCreated>)> {
    let (outcome, created) = batches::create(&state, staff, request).await?;
    Ok((status(outcome), ApiJson(created)))
}

/// The batches issued within the caller's scope, newest first, with their cards counted
/// by state and their value loaded, spent and outstanding.
#[utoipa::path(get, path = "/api/v1/giftcards/batches", tag = "gift cards", operation_id = "list_giftcard_batches",
    responses((status = 200, body = Vec<GiftCardBatch>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list_batches(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
) -> AppResult<ApiJson<Vec<GiftCardBatch>>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(
        batches::list(&mut connection, &staff, now_ms()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/giftcards/batches/{id}", tag = "gift cards", operation_id = "get_giftcard_batch",
    params(("id" = String, Path, description = "batch id")),
    responses((status = 200, body = GiftCardBatch), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn get_batch(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
) -> AppResult<ApiJson<GiftCardBatch>> {
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(
        batches::get(&mut connection, &staff, &id.to_string(), now_ms()).await?,
    ))
}

/// Loads value onto a card by its number, paid by a tender as a top-up is.
#[utoipa::path(post, path = "/api/v1/giftcards/loads", tag = "gift cards", operation_id = "load_giftcard",
    request_body = GiftCardLoadRequest,
    responses((status = 201, body = GiftCardLoadReceipt), (status = 200, body = GiftCardLoadReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn load(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<GiftCardLoadRequest>,
) -> AppResult<(StatusCode, ApiJson<GiftCardLoadReceipt>)> {
    let (outcome, receipt) = loads::load(&state, staff, request).await?;
    Ok((status(outcome), ApiJson(receipt)))
}

/// A balance enquiry at the counter with the card's number and PIN: balance and history.
/// Wrong PINs count towards the card's lock as at a payment.
#[utoipa::path(post, path = "/api/v1/giftcards/enquiries", tag = "gift cards", operation_id = "enquire_giftcard",
    request_body = GiftCardEnquiry,
    responses((status = 200, body = GiftCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError, description = "wrong PIN"),
        (status = 423, body = ApiError, description = "locked by wrong PINs")))]
pub async fn enquire(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(enquiry): ApiJson<GiftCardEnquiry>,
) -> AppResult<ApiJson<GiftCardView>> {
    let actor = Actor::staff(&staff);
    Ok(ApiJson(
        giftcard::enquire(&state, actor, &enquiry, now_ms()).await?,
    ))
}

/// A card as HQ sees it, without its PIN: state, balance, lock and history.
#[utoipa::path(get, path = "/api/v1/giftcards/{card_no}", tag = "gift cards", operation_id = "get_giftcard",
    params(("card_no" = String, Path, description = "the card number")),
    responses((status = 200, body = GiftCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn get_card(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
) -> AppResult<ApiJson<GiftCardView>> {
    let mut connection = state.db.pool.acquire().await?;
    let card = giftcard::named(&mut connection, "card_no", &card_no).await?;
    giftcard::batches::check_scope(&mut connection, &staff, &card.batch_id).await?;
    Ok(ApiJson(
        giftcard::view(&mut connection, &card, now_ms()).await?,
    ))
}

/// Freezes a card (挂失/冻结): it can neither spend nor be loaded until unfrozen.
#[utoipa::path(post, path = "/api/v1/giftcards/{card_no}/freeze", tag = "gift cards", operation_id = "freeze_giftcard",
    params(("card_no" = String, Path, description = "the card number")), request_body = GiftCardStateChange,
    responses((status = 200, body = GiftCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn freeze(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(change): ApiJson<GiftCardStateChange>,
) -> AppResult<ApiJson<GiftCardView>> {
    Ok(ApiJson(
        giftcard::set_frozen(&state, &staff, &card_no, true, change.reason).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/giftcards/{card_no}/unfreeze", tag = "gift cards", operation_id = "unfreeze_giftcard",
    params(("card_no" = String, Path, description = "the card number")), request_body = GiftCardStateChange,
    responses((status = 200, body = GiftCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn unfreeze(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(change): ApiJson<GiftCardStateChange>,
) -> AppResult<ApiJson<GiftCardView>> {
    Ok(ApiJson(
        giftcard::set_frozen(&state, &staff, &card_no, false, change.reason).await?,
    ))
}
