//! Reading the audit log (SYS-3): newest first, filtered, paged by sequence number.

use crate::access::StaffAuth;
use crate::auth::principal::parse_id;
use crate::db::ms_to_rfc3339;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use huiyuan_shared::api::{ApiError, AuditEntry, AuditPage, StoreKind};
use huiyuan_shared::FieldError;
use serde::Deserialize;
use sqlx::Row;

/// Rows on one page when the caller does not say.
const AUDIT_PAGE_ROWS_DEFAULT: i64 = 50;
/// The most rows one page returns.
const AUDIT_PAGE_ROWS_MAX: i64 = 200;
/// Filter texts longer than this are refused.
const FILTER_CHARS_MAX: usize = 64;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Only rows older than this sequence number (the previous page's `next_before`).
    pub before: Option<i64>,
    /// Rows per page, 1–200.
    pub limit: Option<i64>,
    /// Only actions starting with this, e.g. `auth.`.
    pub action: Option<String>,
    /// Only rows by this actor (username or member).
    pub actor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "system", operation_id = "list_audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> AppResult<ApiJson<AuditPage>> {
    let limit = query.limit.unwrap_or(AUDIT_PAGE_ROWS_DEFAULT);
    if !(1..=AUDIT_PAGE_ROWS_MAX).contains(&limit) {
        return Err(AppError::field(FieldError::new(
            "limit",
            "out_of_range",
            "每页条数应为1–200",
        )));
    }
    for (field, value) in [("action", &query.action), ("actor", &query.actor)] {
        if value
            .as_ref()
            .is_some_and(|text| text.chars().count() > FILTER_CHARS_MAX)
        {
            return Err(AppError::field(FieldError::new(
                field,
                "too_long",
                "筛选条件过长",
            )));
        }
    }
    // Staff below HQ see only what happened in their own stores.
    let scope = (staff.store.kind != StoreKind::Hq).then(|| format!("{}%", staff.store_path));
    let rows = sqlx::query(
        "SELECT seq, at, actor_kind, actor_name, action, entity, entity_id, store_id, ip, before_json, after_json \
         FROM audit_log \
         WHERE ($1 IS NULL OR seq < $1) \
           AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\') \
           AND ($3 IS NULL OR actor_name = $3) \
           AND ($4 IS NULL OR store_id IN (SELECT id FROM stores WHERE path LIKE $4)) \
         ORDER BY seq DESC LIMIT $5",
    )
    .bind(query.before)
    .bind(query.action.filter(|text| !text.is_empty()).map(|text| format!("{}%", escape_like(&text))))
    .bind(query.actor.filter(|text| !text.is_empty()))
    .bind(scope)
    .bind(limit + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let more = rows.len() as i64 > limit;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let json = |name: &str| -> Result<Option<serde_json::Value>, sqlx::Error> {
            let text: Option<String> = row.try_get(name)?;
            Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
        };
        let store_id: Option<String> = row.try_get("store_id")?;
        entries.push(AuditEntry {
            seq: row.try_get("seq")?,
            at: ms_to_rfc3339(row.try_get("at")?),
            actor_kind: row.try_get("actor_kind")?,
            actor_name: row.try_get("actor_name")?,
            action: row.try_get("action")?,
            entity: row.try_get("entity")?,
            entity_id: row.try_get("entity_id")?,
            store_id: store_id.map(parse_id).transpose()?,
            ip: row.try_get("ip")?,
            before: json("before_json")?,
            after: json("after_json")?,
        });
    }
    let next_before = if more {
        entries.last().map(|entry| entry.seq)
    } else {
        None
    };
    Ok(ApiJson(AuditPage {
        entries,
        next_before,
    }))
}

/// Makes `%`, `_` and `\` in a prefix filter match themselves (with `ESCAPE '\'`, which
/// both engines understand), so `auth.login_failed` finds exactly that.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
