//! A member's login on their phone (MEM-7) and their own card.

use crate::access::MemberAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::credentials::{self, AccountTable};
use crate::auth::principal::MEMBER_SESSION_COOKIE;
use crate::auth::session::{self, NewSession, SubjectKind, SESSION_REMEMBERED_MS};
use crate::db::{ms_to_rfc3339, Db};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ClientInfo};
use crate::routes::staff_auth::{session_cookie, with_cookie};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use huiyuan_shared::api::{
    error_code, mask_mobile, ApiError, MemberLoginRequest, MemberLoginResponse, MemberMe,
};
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::validate::{check_password_input, normalize_mobile};
use huiyuan_shared::ValidationErrors;
use sqlx::Row;

/// Logs a member in with their phone number and password. A phone stays logged in for
/// thirty days: it is the member's own device. A registrant still waiting for approval is
/// refused with `member_pending` (403).
#[utoipa::path(post, path = "/api/v1/member/auth/login", tag = "member", operation_id = "member_auth_login", request_body = MemberLoginRequest,
    responses((status = 200, body = MemberLoginResponse), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError, description = "member_pending: waiting for approval"),
        (status = 423, body = ApiError)))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(request): ApiJson<MemberLoginRequest>,
) -> AppResult<Response> {
    let mut errors = ValidationErrors::default();
    let phone = normalize_mobile("phone", &request.phone);
    if let Err(error) = &phone {
        errors.fields.push(error.clone());
    }
    errors.check(check_password_input("password", &request.password));
    errors.into_result()?;
    let phone = phone.map_err(AppError::field)?;

    let verified = credentials::verify_login(
        &state.db,
        AccountTable::Members,
        &phone,
        &request.password,
        &client,
    )
    .await?;
    // Checked only once the password matched, so a stranger learns nothing of the
    // registration from the answer.
    let status: String = sqlx::query("SELECT status FROM members WHERE id = $1")
        .bind(&verified.id)
        .fetch_one(&state.db.pool)
        .await?
        .try_get("status")?;
    if status == MemberStatus::Pending.code() {
        return Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: error_code::MEMBER_PENDING,
            message: "您的注册正在等待审核，审核通过后即可登录".to_owned(),
            details: serde_json::json!({}),
        });
    }
    // An archived record or a duplicate merged into another member no longer logs in:
    // the member uses their formal record (staff restore an archived one).
    if status == MemberStatus::Archived.code() || status == MemberStatus::Merged.code() {
        return Err(AppError::Disabled);
    }
    let mut tx = state.db.writer.begin().await?;
    credentials::clear_failures(&mut tx, AccountTable::Members, &verified.id).await?;
    let (token, expires_at) = session::create(
        &mut *tx,
        NewSession {
            kind: SubjectKind::Member,
            subject_id: &verified.id,
            lifetime_ms: SESSION_REMEMBERED_MS,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        },
    )
    .await?;
    let actor = Actor::Member {
        id: verified.id.clone(),
        name: mask_mobile(&phone),
    };
    let mut event = AuditEvent::new(&actor, "auth.login", "member");
    event.entity_id = Some(verified.id.clone());
    event.ip = client.ip;
    audit::record(&mut tx, event).await?;
    tx.commit().await?;

    let member = member_me(&state.db, &verified.id).await?;
    let cookie = session_cookie(
        MEMBER_SESSION_COOKIE,
        &token,
        Some(SESSION_REMEMBERED_MS),
        state.config.secure_cookies,
    );
    let body = MemberLoginResponse {
        token,
        expires_at: ms_to_rfc3339(expires_at),
        member,
    };
    Ok(with_cookie(ApiJson(body).into_response(), cookie))
}

#[utoipa::path(post, path = "/api/v1/member/auth/logout", tag = "member", operation_id = "member_auth_logout",
    responses((status = 204), (status = 401, body = ApiError)))]
pub async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    MemberAuth(member, token): MemberAuth,
) -> AppResult<Response> {
    let mut tx = state.db.writer.begin().await?;
    session::delete(&mut *tx, &token).await?;
    let actor = Actor::Member {
        id: member.id.to_string(),
        name: member.name.clone(),
    };
    let mut event = AuditEvent::new(&actor, "auth.logout", "member");
    event.entity_id = Some(member.id.to_string());
    event.ip = client.ip;
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    let cookie = session_cookie(
        MEMBER_SESSION_COOKIE,
        "",
        Some(0),
        state.config.secure_cookies,
    );
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), cookie))
}

/// The member's card: number, level, points and stored value as the ledger holds them.
#[utoipa::path(get, path = "/api/v1/member/me", tag = "member",
    responses((status = 200, body = MemberMe), (status = 401, body = ApiError)))]
pub async fn me(
    State(state): State<AppState>,
    MemberAuth(member, _): MemberAuth,
) -> AppResult<ApiJson<MemberMe>> {
    Ok(ApiJson(member_me(&state.db, &member.id.to_string()).await?))
}

pub(crate) async fn member_me(db: &Db, member_id: &str) -> AppResult<MemberMe> {
    let row = sqlx::query(
        "SELECT m.id, m.member_no, m.name, m.phone, l.name AS level_name \
             FROM members m JOIN member_levels l ON l.id = m.level_id WHERE m.id = $1",
    )
    .bind(member_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut connection = db.pool.acquire().await?;
    let balances = crate::ledger::member_balances(&mut connection, member_id).await?;
    let phone: String = row.try_get("phone")?;
    Ok(MemberMe {
        id: crate::auth::principal::parse_id(row.try_get("id")?)?,
        member_no: row.try_get("member_no")?,
        name: row.try_get("name")?,
        phone_masked: mask_mobile(&phone),
        level_name: row.try_get("level_name")?,
        points: balances.points,
        balance_fen: balances.value_fen(),
    })
}
