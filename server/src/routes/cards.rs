//! Member cards (CARD-1, CARD-2): finding a card, issuing, reissuing, replacing, reporting
//! lost and found, freezing, closing with a refund and transferring it; freezing and
//! merging members; the counter's lookup of whatever was scanned; the member's QR code.

use crate::access::{MemberAuth, StaffAuth};
use crate::auth::principal::parse_id;
use crate::auth::StaffPrincipal;
use crate::card::lifecycle::{self, Replacement, StateChange};
use crate::card::{self, merge, presented, qr, standing};
use crate::db::now_ms;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::CommandOutcome;
use crate::member::record;
use crate::pin;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::{mask_mobile, ApiError};
use huiyuan_shared::card::{
    CardCloseReceipt, CardCloseRequest, CardIssueRequest, CardLookup, CardReplaceRequest,
    CardReplaced, CardStateChange, CardTransferRequest, MemberCardView, MemberFreezeChange,
    MemberMergeReceipt, MemberMergeRequest, MemberQr,
};
use huiyuan_shared::member::{MemberRecord, MemberSummary};
use huiyuan_shared::withdrawal::normalize_note;
use huiyuan_shared::{FieldError, MemberId, ValidationErrors};
use serde::Deserialize;

fn status(outcome: CommandOutcome) -> StatusCode {
    match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    }
}

fn member_id(id: String) -> Result<MemberId, AppError> {
    parse_id(id).map_err(|_| AppError::NotFound)
}

/// A card with its member, state and location.
#[utoipa::path(get, path = "/api/v1/cards/{card_no}", tag = "member cards", operation_id = "get_member_card",
    params(("card_no" = String, Path, description = "the card number")),
    responses((status = 200, body = MemberCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    Path(card_no): Path<String>,
) -> AppResult<ApiJson<MemberCardView>> {
    let mut connection = state.db.pool.acquire().await?;
    let found = card::named(&mut connection, "card_no", &card_no).await?;
    Ok(ApiJson(card::view(&mut connection, &found.card_no).await?))
}

/// 办卡: binds a stock card held at the store (`card_no`), or a new virtual card, to a
/// member. A card held elsewhere is refused (`card_not_here`), one already issued
/// (`card_not_in_stock`).
#[utoipa::path(post, path = "/api/v1/cards", tag = "member cards", operation_id = "issue_member_card",
    request_body = CardIssueRequest,
    responses((status = 201, body = MemberCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn issue(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<CardIssueRequest>,
) -> AppResult<(StatusCode, ApiJson<MemberCardView>)> {
    let mut tx = state.db.writer.begin().await?;
    let issued = lifecycle::issue(&mut tx, &staff, &request).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(issued)))
}

async fn replace(
    state: AppState,
    staff: StaffPrincipal,
    card_no: String,
    request: CardReplaceRequest,
    how: Replacement,
) -> AppResult<ApiJson<CardReplaced>> {
    let mut tx = state.db.writer.begin().await?;
    let replaced = lifecycle::replace(&mut tx, &staff, &card_no, &request, how).await?;
    tx.commit().await?;
    Ok(ApiJson(replaced))
}

/// 补卡: a lost (or active) card is replaced by a new number; balances stay with the
/// member and the old card is refused from now on (`card_replaced`).
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/reissue", tag = "member cards", operation_id = "reissue_member_card",
    params(("card_no" = String, Path, description = "the old card")), request_body = CardReplaceRequest,
    responses((status = 200, body = CardReplaced), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn reissue(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(request): ApiJson<CardReplaceRequest>,
) -> AppResult<ApiJson<CardReplaced>> {
    replace(state, staff, card_no, request, Replacement::Reissue).await
}

/// 换卡: a worn card (or one of another medium) is replaced by a new card; as 补卡.
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/replace", tag = "member cards", operation_id = "replace_member_card",
    params(("card_no" = String, Path, description = "the old card")), request_body = CardReplaceRequest,
    responses((status = 200, body = CardReplaced), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn replace_card(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(request): ApiJson<CardReplaceRequest>,
) -> AppResult<ApiJson<CardReplaced>> {
    replace(state, staff, card_no, request, Replacement::Replace).await
}

async fn change_state(
    state: AppState,
    staff: StaffPrincipal,
    card_no: String,
    change: StateChange,
    body: CardStateChange,
) -> AppResult<ApiJson<MemberCardView>> {
    let mut tx = state.db.writer.begin().await?;
    let card = lifecycle::change_state(&mut tx, &staff, &card_no, change, body.reason).await?;
    tx.commit().await?;
    Ok(ApiJson(card))
}

/// 挂失: the card stops identifying its member until found (`card_lost`).
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/lost", tag = "member cards", operation_id = "report_member_card_lost",
    params(("card_no" = String, Path, description = "the card number")), request_body = CardStateChange,
    responses((status = 200, body = MemberCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn report_lost(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(body): ApiJson<CardStateChange>,
) -> AppResult<ApiJson<MemberCardView>> {
    change_state(state, staff, card_no, StateChange::ReportLost, body).await
}

/// 取消挂失: a lost card works again.
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/found", tag = "member cards", operation_id = "report_member_card_found",
    params(("card_no" = String, Path, description = "the card number")), request_body = CardStateChange,
    responses((status = 200, body = MemberCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn found(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(body): ApiJson<CardStateChange>,
) -> AppResult<ApiJson<MemberCardView>> {
    change_state(state, staff, card_no, StateChange::Found, body).await
}

/// 冻结: the card is refused (`card_frozen`) until unfrozen.
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/freeze", tag = "member cards", operation_id = "freeze_member_card",
    params(("card_no" = String, Path, description = "the card number")), request_body = CardStateChange,
    responses((status = 200, body = MemberCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn freeze(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(body): ApiJson<CardStateChange>,
) -> AppResult<ApiJson<MemberCardView>> {
    change_state(state, staff, card_no, StateChange::Freeze, body).await
}

/// 解冻.
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/unfreeze", tag = "member cards", operation_id = "unfreeze_member_card",
    params(("card_no" = String, Path, description = "the card number")), request_body = CardStateChange,
    responses((status = 200, body = MemberCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn unfreeze(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(body): ApiJson<CardStateChange>,
) -> AppResult<ApiJson<MemberCardView>> {
    change_state(state, staff, card_no, StateChange::Unfreeze, body).await
}

/// 转卡: the card identifies another member from now on; balances stay with each member.
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/transfer", tag = "member cards", operation_id = "transfer_member_card",
    params(("card_no" = String, Path, description = "the card number")), request_body = CardTransferRequest,
    responses((status = 200, body = MemberCardView), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn transfer(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(request): ApiJson<CardTransferRequest>,
) -> AppResult<ApiJson<MemberCardView>> {
    let mut tx = state.db.writer.begin().await?;
    let card = lifecycle::transfer(&mut tx, &staff, &card_no, &request).await?;
    tx.commit().await?;
    Ok(ApiJson(card))
}

/// 退卡: closes the card; with `refund` the member's principal is paid back and the bonus
/// forfeited as the rules' withdrawal policy says, in one command (a replay answers the
/// first receipt, 200). The member's PIN is needed for a refund when they have one.
#[utoipa::path(post, path = "/api/v1/cards/{card_no}/close", tag = "member cards", operation_id = "close_member_card",
    params(("card_no" = String, Path, description = "the card number")), request_body = CardCloseRequest,
    responses((status = 201, body = CardCloseReceipt), (status = 200, body = CardCloseReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn close(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(card_no): Path<String>,
    ApiJson(request): ApiJson<CardCloseRequest>,
) -> AppResult<(StatusCode, ApiJson<CardCloseReceipt>)> {
    let mut errors = ValidationErrors::default();
    let reason = normalize_note("reason", &request.reason).map_err(|e| errors.fields.push(e));
    if request.refund && request.tender.is_none() {
        errors
            .fields
            .push(FieldError::new("tender", "required", "退款请选择退款方式"));
    }
    errors.into_result()?;
    let reason = reason.unwrap_or_default();
    if request.refund
        && commands::find(&state.db.pool, &request.id.to_string())
            .await?
            .is_none()
    {
        let mut connection = state.db.pool.acquire().await?;
        let found = card::named(&mut connection, "card_no", &card_no).await?;
        drop(connection);
        if let Some(member) = found.member_id {
            pin::check_for_spending(&state, &member.to_string(), request.pin.as_deref()).await?;
        }
    }
    let request = CardCloseRequest {
        pin: None,
        ..request
    };
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "card.close",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let keyed = serde_json::json!({ "card_no": card_no, "request": request });
    let (outcome, receipt) = commands::execute(&state, meta, &keyed, move |connection| {
        Box::pin(
            async move { lifecycle::close(connection, &staff, &card_no, &request, reason).await },
        )
    })
    .await?;
    Ok((status(outcome), ApiJson(receipt)))
}

/// Every card a member holds or held, newest first, for the 360° view.
#[utoipa::path(get, path = "/api/v1/members/{id}/cards", tag = "member cards", operation_id = "member_cards",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = Vec<MemberCardView>), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn of_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<ApiJson<Vec<MemberCardView>>> {
    let id = member_id(id)?;
    let mut connection = state.db.pool.acquire().await?;
    record::existing(&mut connection, id).await?;
    Ok(ApiJson(card::of_member(&mut connection, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ByCardQuery {
    /// What the counter scanned or typed: a member card number, member QR code, member
    /// number or mobile number.
    pub card: String,
}

/// The counter's lookup of whatever was scanned: the member and, for a card, its state.
/// Refuses (naming `card`) a card that is lost, frozen, replaced, closed or still in
/// stock, a QR code that lapsed or was used, and a frozen or archived member. A QR code
/// is not used up by a lookup, only by the sale that names it.
#[utoipa::path(get, path = "/api/v1/members/by-card", tag = "member cards", operation_id = "member_by_card",
    params(ByCardQuery),
    responses((status = 200, body = CardLookup), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn by_card(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ByCardQuery>,
) -> AppResult<ApiJson<CardLookup>> {
    let mut connection = state.db.pool.acquire().await?;
    let found = presented::identify(&mut connection, "card", &query.card, None, now_ms()).await?;
    let member = record::existing(&mut connection, found.member_id).await?;
    let card = match &found.card_no {
        Some(card_no) => Some(card::view(&mut connection, card_no).await?),
        None => None,
    };
    Ok(ApiJson(CardLookup {
        member: MemberSummary {
            id: member.id,
            member_no: member.member_no,
            name: member.name,
            phone_masked: mask_mobile(&member.phone),
            status: member.status,
            level_id: member.level_id,
            level_name: member.level_name,
            store_id: member.store_id,
            frozen: member.frozen,
            matched: found.via.to_owned(),
        },
        via: found.via.to_owned(),
        card,
    }))
}

async fn set_member_frozen(
    state: AppState,
    staff: StaffPrincipal,
    id: String,
    frozen: bool,
    body: MemberFreezeChange,
) -> AppResult<ApiJson<MemberRecord>> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    let after = standing::set_frozen(&mut tx, &staff, id, frozen, body.reason).await?;
    tx.commit().await?;
    Ok(ApiJson(after))
}

/// Freezes a member: they can neither spend nor earn (`member_frozen`) until unfrozen.
#[utoipa::path(post, path = "/api/v1/members/{id}/freeze", tag = "member cards", operation_id = "freeze_member",
    params(("id" = String, Path, description = "member id")), request_body = MemberFreezeChange,
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn freeze_member(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MemberFreezeChange>,
) -> AppResult<ApiJson<MemberRecord>> {
    set_member_frozen(state, staff, id, true, body).await
}

#[utoipa::path(post, path = "/api/v1/members/{id}/unfreeze", tag = "member cards", operation_id = "unfreeze_member",
    params(("id" = String, Path, description = "member id")), request_body = MemberFreezeChange,
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn unfreeze_member(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MemberFreezeChange>,
) -> AppResult<ApiJson<MemberRecord>> {
    set_member_frozen(state, staff, id, false, body).await
}

/// Merges a duplicate member into the one that stays: balances (points lot by lot with
/// their expiry, principal, bonus) move by ledger transfers as the one command
/// `merge:<duplicate id>`, the duplicate's cards and count cards move, and the duplicate
/// is archived as `merged`. The same request again answers the first receipt (200);
/// merging the same duplicate into another member is a 409.
#[utoipa::path(post, path = "/api/v1/members/merges", tag = "member cards", operation_id = "merge_members",
    request_body = MemberMergeRequest,
    responses((status = 201, body = MemberMergeReceipt), (status = 200, body = MemberMergeReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn merge_members(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<MemberMergeRequest>,
) -> AppResult<(StatusCode, ApiJson<MemberMergeReceipt>)> {
    let reason = normalize_note("reason", &request.reason).map_err(AppError::field)?;
    let meta = CommandMeta {
        id: merge::command_id(request.duplicate_id),
        kind: "member.merge",
        store_id: None,
        staff_id: Some(staff.id.to_string()),
    };
    let job = request.clone();
    let (outcome, receipt) = commands::execute(&state, meta, &request, move |connection| {
        Box::pin(async move { merge::merge(connection, &staff, &job, reason).await })
    })
    .await?;
    Ok((status(outcome), ApiJson(receipt)))
}

/// A fresh QR code for the member's phone to show at the counter: signed by the server,
/// good once and for a minute.
#[utoipa::path(post, path = "/api/v1/member/qr", tag = "member self-service", operation_id = "member_qr",
    responses((status = 200, body = MemberQr), (status = 401, body = ApiError)))]
pub async fn member_qr(
    State(state): State<AppState>,
    MemberAuth(member, _): MemberAuth,
) -> AppResult<ApiJson<MemberQr>> {
    let mut tx = state.db.writer.begin().await?;
    let code = qr::issue(&mut tx, member.id).await?;
    tx.commit().await?;
    Ok(ApiJson(code))
}
