//! Staff login, logout and "who am I".

use crate::access::StaffAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::credentials::{self, AccountTable};
use crate::auth::principal::load_staff;
use crate::auth::session::{
    self, NewSession, SubjectKind, SESSION_REMEMBERED_MS, SESSION_SHORT_MS,
};
use crate::db::ms_to_rfc3339;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ClientInfo};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use huiyuan_shared::api::{ApiError, LoginRequest, LoginResponse, StaffMe, SESSION_COOKIE};
use huiyuan_shared::validate::{check_password_input, normalize_username};
use huiyuan_shared::ValidationErrors;
use serde_json::json;

/// Logs a staff member in. Five wrong passwords in a row lock the account for 15 minutes;
/// staff who have left are refused.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", operation_id = "staff_auth_login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 423, body = ApiError)))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(request): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let mut errors = ValidationErrors::default();
    let username = normalize_username("username", &request.username);
    if let Err(error) = &username {
        errors.fields.push(error.clone());
    }
    errors.check(check_password_input("password", &request.password));
    errors.into_result()?;
    let username = username.map_err(AppError::field)?;

    let verified = credentials::verify_login(
        &state.db,
        AccountTable::Staff,
        &username,
        &request.password,
        &client,
    )
    .await?;
    let actor = Actor::Staff {
        id: verified.id.clone(),
        name: username.clone(),
    };
    let mut tx = state.db.writer.begin().await?;
    if verified.left {
        let mut event = AuditEvent::new(&actor, "auth.login_refused", "staff");
        event.entity_id = Some(verified.id.clone());
        event.ip = client.ip.clone();
        event.after = Some(json!({ "reason": "left" }));
        audit::record(&mut tx, event).await?;
        tx.commit().await?;
        return Err(AppError::Disabled);
    }
    credentials::clear_failures(&mut tx, AccountTable::Staff, &verified.id).await?;
    let lifetime_ms = if request.remember {
        SESSION_REMEMBERED_MS
    } else {
        SESSION_SHORT_MS
    };
    let (token, expires_at) = session::create(
        &mut *tx,
        NewSession {
            kind: SubjectKind::Staff,
            subject_id: &verified.id,
            lifetime_ms,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        },
    )
    .await?;
    let mut event = AuditEvent::new(&actor, "auth.login", "staff");
    event.entity_id = Some(verified.id.clone());
    event.ip = client.ip.clone();
    event.after = Some(json!({ "remember": request.remember }));
    audit::record(&mut tx, event).await?;
    tx.commit().await?;

    let staff = load_staff(&state.db, &verified.id)
        .await?
        .ok_or(AppError::Disabled)?;
    let cookie = session_cookie(
        SESSION_COOKIE,
        &token,
        request.remember.then_some(lifetime_ms),
        state.config.secure_cookies,
    );
    let body = LoginResponse {
        token,
        expires_at: ms_to_rfc3339(expires_at),
        staff: staff.me(),
    };
    Ok(with_cookie(ApiJson(body).into_response(), cookie))
}

/// Ends the caller's session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "staff_auth_logout",
    responses((status = 204), (status = 401, body = ApiError)))]
pub async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    StaffAuth(staff, token): StaffAuth,
) -> AppResult<Response> {
    let mut tx = state.db.writer.begin().await?;
    session::delete(&mut *tx, &token).await?;
    let actor = Actor::staff(&staff);
    let mut event = AuditEvent::new(&actor, "auth.logout", "staff");
    event.entity_id = Some(staff.id.to_string());
    event.ip = client.ip;
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    let cookie = session_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies);
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), cookie))
}

/// The logged-in staff member, their store scope and permissions.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = StaffMe), (status = 401, body = ApiError)))]
pub async fn me(StaffAuth(staff, _): StaffAuth) -> ApiJson<StaffMe> {
    ApiJson(staff.me())
}

/// An HttpOnly, SameSite=Strict session cookie. `max_age_ms` of `None` makes it last
/// until the browser closes; `Some(0)` removes it.
pub fn session_cookie(name: &str, token: &str, max_age_ms: Option<i64>, secure: bool) -> String {
    let mut cookie = format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(ms) = max_age_ms {
        cookie.push_str(&format!("; Max-Age={}", ms / 1_000));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

pub fn with_cookie(mut response: Response, cookie: String) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    let headers: &mut HeaderMap = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
