//! Staff records (SYS-2).

use crate::access::StaffAuth;
use crate::auth::principal::parse_id;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use huiyuan_shared::api::{ApiError, RoleRef, StaffSummary, StoreKind, StoreRef};
use sqlx::Row;

/// Staff in the caller's scope, by store and then username.
#[utoipa::path(get, path = "/api/v1/staff", tag = "organisation", operation_id = "list_staff",
    responses((status = 200, body = Vec<StaffSummary>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
) -> AppResult<ApiJson<Vec<StaffSummary>>> {
    let rows = sqlx::query(
        "SELECT s.id, s.username, s.display_name, s.left_at, s.locked_until, r.code AS role_code, r.name AS role_name, \
         st.id AS store_id, st.code AS store_code, st.name AS store_name, st.kind AS store_kind \
         FROM staff s JOIN roles r ON r.id = s.role_id JOIN stores st ON st.id = s.store_id \
         WHERE st.path LIKE $1 ORDER BY st.path, s.username",
    )
    .bind(format!("{}%", staff.store_path))
    .fetch_all(&state.db.pool)
    .await?;
    let now = now_ms();
    let mut people = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("store_kind")?;
        let left_at: Option<i64> = row.try_get("left_at")?;
        let locked_until: Option<i64> = row.try_get("locked_until")?;
        people.push(StaffSummary {
            id: parse_id(row.try_get("id")?)?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role: RoleRef {
                code: row.try_get("role_code")?,
                name: row.try_get("role_name")?,
            },
            store: StoreRef {
                id: parse_id(row.try_get("store_id")?)?,
                code: row.try_get("store_code")?,
                name: row.try_get("store_name")?,
                kind: StoreKind::from_code(&kind).unwrap_or(StoreKind::Store),
            },
            left_at: left_at.map(ms_to_rfc3339),
            locked_until: locked_until.filter(|until| *until > now).map(ms_to_rfc3339),
        });
    }
    Ok(ApiJson(people))
}
