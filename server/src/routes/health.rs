use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use huiyuan_shared::api::Health;

/// Whether the server and its database answer.
#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, body = Health), (status = 500, body = huiyuan_shared::api::ApiError)))]
pub async fn health(State(state): State<AppState>) -> AppResult<ApiJson<Health>> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(ApiJson(Health {
        status: "ok".to_owned(),
        database: state.db.kind.name().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}
