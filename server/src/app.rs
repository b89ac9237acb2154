//! The HTTP application: API routes, the OpenAPI document, the built client with an SPA
//! fallback, and the layers every request passes through.

use crate::error::AppError;
use crate::routes::api_routes;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_http::CompressionLevel;

/// The largest request body the API reads. Bulk imports will have their own, larger
/// limit on their own route.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let api = api_routes()
        .into_router(state.clone())
        .route("/api/openapi.json", get(openapi_json))
        .route("/api", axum::routing::any(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));

    let dist = &state.config.dist_dir;
    let index = dist.join("index.html");
    // index.html is asked for again on every load so a new release shows at once; the
    // other files are revalidated by Last-Modified and answered 304 when unchanged.
    let client = Router::new()
        .fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ));

    api.merge(client)
        .with_state(state)
        // gzip at its fastest: a tablet's first sync pulls some 50 MiB of JSON, and at the
        // default level the server's compression, not the network, set its pace.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
            }),
        )
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(REQUEST_TIMEOUT_S),
        ))
}

/// A request that takes longer than this is answered 408 and its work dropped.
const REQUEST_TIMEOUT_S: u64 = 60;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}

async fn api_not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut response = AppError::Internal(anyhow::anyhow!("panic")).into_response();
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
