//! Top-ups (充值, SV-1): money paid in at the counter becomes the member's principal
//! (本金); the bonus plan in force that gives the most adds 赠送金, kept apart.

use crate::access::StaffAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::db::ms_to_rfc3339;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::{self, PostingContext};
use crate::sale;
use crate::scope;
use crate::state::AppState;
use crate::stored_value::topup::topup_posting;
use axum::extract::State;
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::value::{TopupReceipt, TopupRequest, TOPUP_FEN_MAX};
use huiyuan_shared::{FieldError, Money};
use serde_json::json;

/// Credits a top-up to a member. Sending the same request again returns the first
/// receipt (200) and credits nothing; the same id with different content is a 409.
#[utoipa::path(post, path = "/api/v1/topups", tag = "stored value", request_body = TopupRequest,
    responses((status = 201, body = TopupReceipt), (status = 200, body = TopupReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<TopupRequest>,
) -> AppResult<(StatusCode, ApiJson<TopupReceipt>)> {
    let (outcome, receipt) = top_up(&state, staff, request).await?;
    let status = match outcome {
        ledger::CommandOutcome::Created => StatusCode::CREATED,
        ledger::CommandOutcome::Exists => StatusCode::OK,
    };
    Ok((status, ApiJson(receipt)))
}

/// A top-up as `POST /api/v1/topups` records it, and as sync push records a tablet's.
pub async fn top_up(
    state: &AppState,
    staff: crate::auth::StaffPrincipal,
    request: TopupRequest,
) -> AppResult<(ledger::CommandOutcome, TopupReceipt)> {
    if request.amount_fen <= 0 || request.amount_fen > TOPUP_FEN_MAX {
        return Err(AppError::field(FieldError::new(
            "amount_fen",
            "out_of_range",
            "充值金额应大于0且不超过50,000元",
        )));
    }
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "topup",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job_request = request.clone();
    commands::execute(state, meta, &request, move |connection| {
        Box::pin(async move {
            let request = job_request;
            scope::counter_store(connection, &staff, request.store_id).await?;
            let member = request.member_id.to_string();
            crate::card::standing::check(connection, &member, "member_id").await?;
            let level_id = crate::level::benefits::level_id(connection, &member).await?;
            let context = PostingContext {
                command_id: request.id.to_string(),
                store_id: Some(request.store_id.to_string()),
                staff_id: Some(staff.id.to_string()),
                device_id: None,
                occurred_at,
            };
            let rules = sale::current_rules(connection).await?;
            let today = sale::business_time(crate::db::now_ms()).date;
            let posting = topup_posting(
                &member,
                &level_id,
                request.store_id,
                request.tender,
                Money(request.amount_fen),
                None,
                &rules,
                today,
            )
            .map_err(|error| AppError::field(error.into()))?;
            let bonus_fen = posting.bonus_fen();
            ledger::post_transfers(connection, &context, &posting.transfers).await?;
            let balances = ledger::member_balances(connection, &member).await?;
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, "value.topup", "member");
            event.entity_id = Some(member);
            event.store_id = Some(request.store_id);
            event.after = Some(json!({
                "topup_id": request.id,
                "amount_fen": request.amount_fen,
                "bonus_fen": bonus_fen,
                "tender": request.tender.code(),
                "balances": balances,
            }));
            audit::record(connection, event).await?;
            Ok(TopupReceipt {
                id: request.id,
                member_id: request.member_id,
                amount_fen: request.amount_fen,
                bonus_fen,
                bonus_plan_id: posting.bonus_plan_id(),
                balances,
                recorded_at: ms_to_rfc3339(crate::db::now_ms()),
            })
        })
    })
    .await
}
