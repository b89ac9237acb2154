//! The organisation tree: HQ → region → store.

use crate::access::StaffAuth;
use crate::auth::principal::parse_id;
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use huiyuan_shared::api::{ApiError, StoreKind, StoreNode};
use sqlx::Row;

/// The caller's store and every node below it, parents before children.
#[utoipa::path(get, path = "/api/v1/stores", tag = "organisation", operation_id = "list_stores",
    responses((status = 200, body = Vec<StoreNode>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
) -> AppResult<ApiJson<Vec<StoreNode>>> {
    let rows = sqlx::query(
        "SELECT id, parent_id, code, name, kind FROM stores WHERE path LIKE $1 ORDER BY path",
    )
    .bind(format!("{}%", staff.store_path))
    .fetch_all(&state.db.pool)
    .await?;
    let mut nodes = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let parent: Option<String> = row.try_get("parent_id")?;
        nodes.push(StoreNode {
            id: parse_id(row.try_get("id")?)?,
            parent_id: parent.map(parse_id).transpose()?,
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            kind: StoreKind::from_code(&kind).unwrap_or(StoreKind::Store),
        });
    }
    Ok(ApiJson(nodes))
}
