//! Gift redemption with points at the counter (积分兑换礼品, PTS-5): `POST
//! /api/v1/redemptions`, and the same function for a tablet's pushed redemptions.

use crate::access::StaffAuth;
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::CommandOutcome;
use crate::pin;
use crate::redemption::{self, OfflineRedemption};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::redemption::{RedemptionReceipt, RedemptionRequest};

/// Redeems gifts for the member's points. The points come from the lots that lapse
/// soonest. The same request again returns the first receipt (200) and takes nothing;
/// the same id with different content is a 409. Not enough points is a 422, a wrong PIN
/// a 422 or, after too many, a 423; a gift without a points price is a 400 naming its
/// line.
#[utoipa::path(post, path = "/api/v1/redemptions", tag = "points", operation_id = "create_redemption",
    request_body = RedemptionRequest,
    responses((status = 201, body = RedemptionReceipt), (status = 200, body = RedemptionReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError), (status = 423, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<RedemptionRequest>,
) -> AppResult<(StatusCode, ApiJson<RedemptionReceipt>)> {
    let (outcome, receipt) = redeem(&state, staff, request, None).await?;
    let status = match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    };
    Ok((status, ApiJson(receipt)))
}

/// A redemption as `POST /api/v1/redemptions` records it, and as sync push records a
/// tablet's: the PIN checked (and a wrong one counted) before the writer, then the
/// redemption run once under its id. An offline redemption carries no PIN (the till
/// checked it against the cached verifier) and may overdraw.
pub async fn redeem(
    state: &AppState,
    staff: crate::auth::StaffPrincipal,
    request: RedemptionRequest,
    offline: Option<OfflineRedemption>,
) -> AppResult<(CommandOutcome, RedemptionReceipt)> {
    // A malformed request is refused before a PIN is asked for, so it counts no failure.
    request.check()?;
    // A replay of a recorded redemption is answered without asking for the PIN again.
    let id = request.id.to_string();
    if commands::find(&state.db.pool, &id).await?.is_none() {
        let member = request.member_id.to_string();
        match offline {
            None => pin::check_for_spending(state, &member, request.pin.as_deref()).await?,
            Some(_) => pin::check_offline_verifier(state, &member).await?,
        }
    }
    // The PIN is no part of what the redemption is: it is left out of the fingerprint.
    let fingerprint = request.without_pin();
    let meta = CommandMeta {
        id,
        kind: "redemption",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job_request = fingerprint.clone();
    commands::execute(state, meta, &fingerprint, move |connection| {
        Box::pin(async move { redemption::redeem(connection, &staff, job_request, offline).await })
    })
    .await
}
