//! Self-registration with an SMS code (public), HQ's approval queue (`member.approve`)
//! and the registration settings kept in the rule set.

use crate::access::StaffAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::principal::{parse_id, MEMBER_SESSION_COOKIE};
use crate::auth::session::SESSION_REMEMBERED_MS;
use crate::db::ms_to_rfc3339;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery, ClientInfo};
use crate::registration::{self, approval, codes};
use crate::routes::member_auth::member_me;
use crate::routes::staff_auth::{session_cookie, with_cookie};
use crate::sale;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use huiyuan_shared::api::{ApiError, MemberLoginResponse};
use huiyuan_shared::registration::{
    Approval, CodeRequest, CodeSent, PendingPage, RegisterRequest, Registered, RejectRequest,
};
use huiyuan_shared::rules::RegistrationPolicy;
use huiyuan_shared::validate::normalize_mobile;
use huiyuan_shared::MemberId;
use serde::Deserialize;
use serde_json::json;

/// Sends a six-digit code to the phone by SMS. The answer is the same whether or not the
/// phone is already a member's. Limited to one code a minute and five an hour per phone,
/// and twenty an hour per client address (429 `rate_limited`).
#[utoipa::path(post, path = "/api/v1/member/register/code", tag = "member", operation_id = "request_register_code",
    request_body = CodeRequest,
    responses((status = 201, body = CodeSent), (status = 400, body = ApiError), (status = 429, body = ApiError)))]
pub async fn request_code(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(request): ApiJson<CodeRequest>,
) -> AppResult<(StatusCode, ApiJson<CodeSent>)> {
    let phone = normalize_mobile("phone", &request.phone).map_err(AppError::field)?;
    let ip = client.ip.unwrap_or_else(|| "unknown".to_owned());
    let mut tx = state.db.writer.begin().await?;
    let sent = codes::issue(&mut tx, &phone, &ip).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(sent)))
}

/// Registers a member with the SMS code. When HQ approves registrations the member waits
/// as `pending` and cannot log in yet; otherwise they are formal and logged in at once
/// (the session cookie is set). Code refusals name the field `code`: `sms_code_wrong`,
/// `sms_code_tries_exceeded`, `sms_code_expired`, `sms_code_used`, `sms_code_missing`.
#[utoipa::path(post, path = "/api/v1/member/register", tag = "member", operation_id = "register_member",
    request_body = RegisterRequest,
    responses((status = 201, body = Registered), (status = 400, body = ApiError)))]
pub async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> AppResult<Response> {
    let outcome = registration::register(&state.db, &client, &request).await?;
    let login = match &outcome.session {
        Some((token, expires_at)) => Some(MemberLoginResponse {
            token: token.clone(),
            expires_at: ms_to_rfc3339(*expires_at),
            member: member_me(&state.db, &outcome.id.to_string()).await?,
        }),
        None => None,
    };
    let body = Registered {
        status: outcome.status,
        member_no: outcome.member_no,
        login,
    };
    let response = (StatusCode::CREATED, ApiJson(body)).into_response();
    Ok(match &outcome.session {
        Some((token, _)) => with_cookie(
            response,
            session_cookie(
                MEMBER_SESSION_COOKIE,
                token,
                Some(SESSION_REMEMBERED_MS),
                state.config.secure_cookies,
            ),
        ),
        None => response,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PendingQuery {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Registrants per page, 1–100 (default 20).
    pub limit: Option<u32>,
}

/// Registrants waiting for approval, oldest first.
#[utoipa::path(get, path = "/api/v1/members/pending", tag = "members", operation_id = "pending_members",
    params(PendingQuery),
    responses((status = 200, body = PendingPage), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn pending(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PendingQuery>,
) -> AppResult<ApiJson<PendingPage>> {
    let mut connection = state.db.pool.acquire().await?;
    let page = approval::pending(
        &mut connection,
        query.page.unwrap_or(0),
        query.limit.unwrap_or(20),
    )
    .await?;
    Ok(ApiJson(page))
}

fn member_id(id: String) -> Result<MemberId, AppError> {
    parse_id(id).map_err(|_| AppError::NotFound)
}

/// Approves a registrant: a formal member from now, their referrer paid the rules'
/// referral points (once, however often this is sent), a welcome SMS queued. Approving a
/// formal member again changes nothing and pays nothing.
#[utoipa::path(post, path = "/api/v1/members/{id}/approve", tag = "members", operation_id = "approve_member",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = Approval), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn approve(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
) -> AppResult<ApiJson<Approval>> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    let approval = approval::approve(&mut tx, &staff, id).await?;
    tx.commit().await?;
    Ok(ApiJson(approval))
}

/// Rejects a registrant with a reason, sent to them by SMS; their phone may register
/// again.
#[utoipa::path(post, path = "/api/v1/members/{id}/reject", tag = "members", operation_id = "reject_member",
    params(("id" = String, Path, description = "member id")), request_body = RejectRequest,
    responses((status = 204), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn reject(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RejectRequest>,
) -> AppResult<StatusCode> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    approval::reject(&mut tx, &staff, id, &request.reason).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether registrations wait for approval, and the referral points.
#[utoipa::path(get, path = "/api/v1/registration/settings", tag = "members", operation_id = "registration_settings",
    responses((status = 200, body = RegistrationPolicy), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn get_settings(State(state): State<AppState>) -> AppResult<ApiJson<RegistrationPolicy>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(
        sale::current_rules(&mut connection).await?.registration,
    ))
}

/// Changes the registration settings: a new version of the rule set with everything else
/// as it was.
#[utoipa::path(put, path = "/api/v1/registration/settings", tag = "members", operation_id = "save_registration_settings",
    request_body = RegistrationPolicy,
    responses((status = 200, body = RegistrationPolicy), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn put_settings(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(policy): ApiJson<RegistrationPolicy>,
) -> AppResult<ApiJson<RegistrationPolicy>> {
    // Named as the request names it, not by its place in the rule set.
    policy.check("registration").map_err(|error| {
        let mut field = huiyuan_shared::FieldError::from(error);
        field.field = field.field.trim_start_matches("registration.").to_owned();
        AppError::field(field)
    })?;
    let mut tx = state.db.writer.begin().await?;
    let mut rules = sale::current_rules(&mut tx).await?;
    let before = rules.registration;
    rules.registration = policy;
    let version = sale::save_rules(&mut tx, rules, Some(&staff.id.to_string())).await?;
    let actor = Actor::staff(&staff);
    let mut event = AuditEvent::new(&actor, "rules.registration", "rule_set");
    event.entity_id = Some(version.to_string());
    event.before = Some(json!(before));
    event.after = Some(json!(policy));
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(ApiJson(policy))
}
