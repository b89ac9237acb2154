//! Sales at the counter and the rules they are priced by.

use crate::access::StaffAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::card;
use crate::db::now_ms;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::giftcard;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::CommandOutcome;
use crate::pin;
use crate::sale;
use crate::sale_attach;
use crate::sale_return;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::rules::RuleSet;
use huiyuan_shared::sale::{
    AttachMemberRequest, ReturnReceipt, ReturnRequest, SaleForReturn, SaleReceipt, SaleRequest,
};
use huiyuan_shared::FieldError;
use serde_json::json;

/// Records a sale. The server prices it again, checks the payments and posts every
/// transfer at once. The same request again returns the first receipt (200) and records
/// nothing; the same id with different content is a 409.
#[utoipa::path(post, path = "/api/v1/sales", tag = "sales", operation_id = "create_sale", request_body = SaleRequest,
    responses((status = 201, body = SaleReceipt), (status = 200, body = SaleReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError), (status = 423, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<SaleRequest>,
) -> AppResult<(StatusCode, ApiJson<SaleReceipt>)> {
    let (outcome, receipt) = sell(&state, staff, request, None).await?;
    Ok((created_or_replayed(outcome), ApiJson(receipt)))
}

/// 201 for a command carried out now, 200 for a replay.
fn created_or_replayed(outcome: CommandOutcome) -> StatusCode {
    match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    }
}

/// A sale as `POST /api/v1/sales` records it, and as sync push records a tablet's:
/// the member found from what was scanned, PINs checked before the writer, the checkout
/// run once under the sale's id. An offline sale (`offline`) carries no member PIN (the
/// till checked it against the cached verifier) and may overdraw.
pub async fn sell(
    state: &AppState,
    staff: crate::auth::StaffPrincipal,
    mut request: SaleRequest,
    offline: Option<sale::OfflineSale>,
) -> AppResult<(CommandOutcome, SaleReceipt)> {
    // A QR code found here is used up inside the sale's transaction, so a refused sale
    // leaves it usable and two sales cannot both use it.
    let mut qr_code = None;
    // A sale already recorded is a replay: it keeps the member it was recorded with, even
    // if its QR code has lapsed or its card was reported lost since, so a till resending
    // after a lost answer gets its receipt, not a refusal that invites ringing it again.
    let recorded = match request.member_card {
        Some(_) => commands::find(&state.db.pool, &request.id.to_string())
            .await?
            .and_then(|record| serde_json::from_str::<SaleReceipt>(&record.response_json).ok()),
        None => None,
    };
    if let Some(receipt) = recorded {
        request.member_card = None;
        request.member_id = receipt.member_id;
    } else if let Some(card) = request.member_card.take() {
        let mut connection = state.db.pool.acquire().await?;
        let found = card::presented::identify(
            &mut connection,
            "member_card",
            &card,
            Some(&request.id.to_string()),
            now_ms(),
        )
        .await?;
        if request.member_id.is_some_and(|id| id != found.member_id) {
            return Err(AppError::field(FieldError::new(
                "member_card",
                "member_mismatch",
                "会员卡号与所选会员不符",
            )));
        }
        request.member_id = Some(found.member_id);
        qr_code = found.qr;
    }
    // The PIN is checked, and a wrong one counted, before the sale queues for the
    // writer; a replay of a recorded sale is answered without asking again.
    let actor = Actor::staff(&staff);
    let needs_pins = request.spends_member_value()
        || request.payments.iter().any(|payment| payment.pin.is_some());
    if needs_pins
        && commands::find(&state.db.pool, &request.id.to_string())
            .await?
            .is_none()
    {
        if let Some(member) = request.member_id.filter(|_| request.spends_member_value()) {
            match offline {
                None => {
                    pin::check_for_spending(state, &member.to_string(), request.pin.as_deref())
                        .await?
                }
                Some(_) => pin::check_offline_verifier(state, &member.to_string()).await?,
            }
        }
        for payment in &request.payments {
            if let (Some(card_no), Some(card_pin)) = (&payment.card_no, &payment.pin) {
                giftcard::attempt_pin(state, card_no, card_pin, &actor, now_ms()).await?;
            }
        }
    }
    // PINs are no part of what the sale is: they are left out of the stored fingerprint.
    let fingerprint = request.without_pins();
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "sale",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job_request = request.clone();
    let executed = commands::execute(state, meta, &fingerprint, move |connection| {
        Box::pin(async move {
            if let Some(token) = &qr_code {
                let command = job_request.id.to_string();
                card::qr::consume(connection, "member_card", token, &command, now_ms()).await?;
            }
            sale::checkout(connection, &staff, job_request, offline).await
        })
    })
    .await;
    match executed {
        Ok(done) => Ok(done),
        // A wrong gift-card PIN is counted after the refused sale has rolled back.
        Err(error) => Err(giftcard::count_pin_failure(state, error, &actor).await),
    }
}

/// The rules in force (points, buy-X-get-Y, points as payment, 抹零, top-up bonus plans).
#[utoipa::path(get, path = "/api/v1/rules", tag = "sales", operation_id = "get_rules",
    responses((status = 200, body = RuleSet), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn get_rules(State(state): State<AppState>) -> AppResult<ApiJson<RuleSet>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(sale::current_rules(&mut connection).await?))
}

/// Saves a new version of the rules; the engine checks them first and names the first
/// bad field.
#[utoipa::path(put, path = "/api/v1/rules", tag = "sales", operation_id = "put_rules", request_body = RuleSet,
    responses((status = 200, body = RuleSet), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn put_rules(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(rules): ApiJson<RuleSet>,
) -> AppResult<ApiJson<RuleSet>> {
    let mut tx = state.db.writer.begin().await?;
    let version = sale::save_rules(&mut tx, rules.clone(), Some(&staff.id.to_string())).await?;
    let actor = Actor::staff(&staff);
    let mut event = AuditEvent::new(&actor, "rules.update", "rule_set");
    event.entity_id = Some(version.to_string());
    event.after = Some(json!({ "version": version }));
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(sale::current_rules(&mut connection).await?))
}

/// Returns goods of a sale by its id (found by receipt number at the till). Refunds go
/// back through the sale's own payments in proportion, and the points the goods earned
/// are taken back. The same request again returns the first answer (200).
#[utoipa::path(post, path = "/api/v1/sales/{id}/returns", tag = "sales", operation_id = "return_sale",
    params(("id" = String, Path, description = "sale id")), request_body = ReturnRequest,
    responses((status = 201, body = ReturnReceipt), (status = 200, body = ReturnReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_return(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(sale_id): Path<String>,
    ApiJson(request): ApiJson<ReturnRequest>,
) -> AppResult<(StatusCode, ApiJson<ReturnReceipt>)> {
    let sale_id: uuid::Uuid = sale_id
        .parse()
        .map_err(|_| crate::error::AppError::NotFound)?;
    let (outcome, receipt) = return_sale(&state, staff, sale_id, request).await?;
    Ok((created_or_replayed(outcome), ApiJson(receipt)))
}

/// A return as `POST /api/v1/sales/{id}/returns` records it, and as sync push records a
/// tablet's.
pub async fn return_sale(
    state: &AppState,
    staff: crate::auth::StaffPrincipal,
    sale_id: uuid::Uuid,
    request: ReturnRequest,
) -> AppResult<(CommandOutcome, ReturnReceipt)> {
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "return",
        store_id: None,
        staff_id: Some(staff.id.to_string()),
    };
    let keyed = json!({ "sale_id": sale_id, "request": request });
    let job_request = request.clone();
    commands::execute(state, meta, &keyed, move |connection| {
        Box::pin(async move {
            sale_return::return_goods(connection, &staff, &sale_id.to_string(), job_request).await
        })
    })
    .await
}

/// A sale by its receipt number, with what has been returned of it, for the counter's
/// return screen.
#[utoipa::path(get, path = "/api/v1/sales/by-receipt/{receipt_no}", tag = "sales", operation_id = "sale_by_receipt",
    params(("receipt_no" = String, Path, description = "the number printed on the receipt")),
    responses((status = 200, body = SaleForReturn), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn by_receipt(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(receipt_no): Path<String>,
) -> AppResult<ApiJson<SaleForReturn>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(
        sale_return::find_by_receipt(&mut connection, &staff, &receipt_no).await?,
    ))
}

/// Attaches a member to a sale recorded without one, within the days the rules allow
/// (补登会员); the member earns the sale's points. Attaching the same member again
/// returns the same receipt (200); another member is a 409.
#[utoipa::path(post, path = "/api/v1/sales/{id}/member", tag = "sales", operation_id = "attach_sale_member",
    params(("id" = String, Path, description = "sale id")), request_body = AttachMemberRequest,
    responses((status = 201, body = SaleReceipt), (status = 200, body = SaleReceipt, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn attach_member(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(sale_id): Path<String>,
    ApiJson(request): ApiJson<AttachMemberRequest>,
) -> AppResult<(StatusCode, ApiJson<SaleReceipt>)> {
    let sale_id: uuid::Uuid = sale_id
        .parse()
        .map_err(|_| crate::error::AppError::NotFound)?;
    // One attachment per sale: its command id is the sale's, so a second member for the
    // same sale is a conflict and the same member again a replay.
    let meta = CommandMeta {
        id: sale_attach::command_id(&sale_id.to_string()),
        kind: "sale_attach",
        store_id: None,
        staff_id: Some(staff.id.to_string()),
    };
    let job_request = request.clone();
    let (outcome, receipt) = commands::execute(&state, meta, &request, move |connection| {
        Box::pin(async move {
            sale_attach::attach_member(connection, &staff, &sale_id.to_string(), &job_request).await
        })
    })
    .await?;
    let status = match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    };
    Ok((status, ApiJson(receipt)))
}
