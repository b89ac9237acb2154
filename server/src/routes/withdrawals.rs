//! Stored-value withdrawals (储值退款/现金提取, SV-3).

use crate::access::StaffAuth;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::CommandOutcome;
use crate::pin;
use crate::scope;
use crate::state::AppState;
use crate::stored_value::withdrawal::{self, CheckedWithdrawal};
use axum::extract::State;
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::withdrawal::{
    normalize_note, requested_amount, WithdrawalReceipt, WithdrawalRequest,
};
use huiyuan_shared::ValidationErrors;

/// Hands principal back to a member and forfeits the bonus that came with it, by the
/// rules' withdrawal policy. Give `amount_fen`, or `all: true` to empty the stored value.
/// More than the principal held is refused (422, naming `amount_fen`) and nothing is
/// written. Sending the same request again returns the first receipt (200) and pays
/// nothing; the same id with different content is a 409.
#[utoipa::path(post, path = "/api/v1/value/withdrawals", tag = "stored value", request_body = WithdrawalRequest,
    responses((status = 201, body = WithdrawalReceipt), (status = 200, body = WithdrawalReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError, description = "more than the principal held")))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<WithdrawalRequest>,
) -> AppResult<(StatusCode, ApiJson<WithdrawalReceipt>)> {
    let (amount_fen, reason) = match (
        requested_amount(&request),
        normalize_note("reason", &request.reason),
    ) {
        (Ok(amount_fen), Ok(reason)) => (amount_fen, reason),
        (amount, reason) => {
            let fields = amount.err().into_iter().chain(reason.err()).collect();
            return Err(AppError::Invalid(ValidationErrors { fields }));
        }
    };
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    // Paying stored value out is spending it: a member with a PIN must give it.
    if commands::find(&state.db.pool, &request.id.to_string())
        .await?
        .is_none()
    {
        pin::check_for_spending(
            &state,
            &request.member_id.to_string(),
            request.pin.as_deref(),
        )
        .await?;
    }
    let request = WithdrawalRequest {
        pin: None,
        ..request
    };
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "withdrawal",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let checked = CheckedWithdrawal {
        request: request.clone(),
        amount_fen,
        reason,
        occurred_at,
    };
    let (outcome, receipt) = commands::execute(&state, meta, &request, move |connection| {
        Box::pin(async move { withdrawal::withdraw(connection, &staff, checked).await })
    })
    .await?;
    let status = match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    };
    Ok((status, ApiJson(receipt)))
}
