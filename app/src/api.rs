//! Calls to the server's JSON API. Every call sends the session cookie (same origin) and
//! answers either the wire type or the server's [`ApiError`]; a request that gets no
//! answer becomes an `ApiError` with a client-side code so that one error view shows all.
//! Each area's calls live in a submodule; this file holds the transport.

pub mod cards;
pub mod levels;
pub mod member_imports;
pub mod members;
pub mod registration;
pub mod shifts;
pub mod sync;

use gloo_net::http::{Request, RequestBuilder, Response};
use huiyuan_shared::api::{
    error_code, ApiError, AuditPage, Health, LoginRequest, LoginResponse, MemberLoginRequest,
    MemberLoginResponse, MemberMe, StaffMe, StaffSummary, StoreNode, API_PREFIX,
};
use huiyuan_shared::FieldError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use web_sys::RequestCredentials;

use crate::i18n::{BAD_RESPONSE, NETWORK_ERROR};

/// Audit entries asked for per page.
pub const AUDIT_PAGE_LIMIT: u32 = 50;

pub async fn staff_login(request: &LoginRequest) -> Result<LoginResponse, ApiError> {
    post_json("/auth/login", request).await
}

pub async fn staff_me() -> Result<StaffMe, ApiError> {
    get_json("/auth/me").await
}

pub async fn staff_logout() -> Result<(), ApiError> {
    post_empty("/auth/logout").await
}

pub async fn health() -> Result<Health, ApiError> {
    get_json("/health").await
}

pub async fn stores() -> Result<Vec<StoreNode>, ApiError> {
    get_json("/stores").await
}

pub async fn staff_list() -> Result<Vec<StaffSummary>, ApiError> {
    get_json("/staff").await
}

/// One page of the audit log, newest first, older than `before` when given.
pub async fn audit(action: &str, before: Option<i64>) -> Result<AuditPage, ApiError> {
    let mut path = format!("/audit?limit={AUDIT_PAGE_LIMIT}");
    let action = action.trim();
    if !action.is_empty() {
        let encoded = String::from(js_sys::encode_uri_component(action));
        path.push_str(&format!("&action={encoded}"));
    }
    if let Some(before) = before {
        path.push_str(&format!("&before={before}"));
    }
    get_json(&path).await
}

pub async fn member_login(request: &MemberLoginRequest) -> Result<MemberLoginResponse, ApiError> {
    post_json("/member/auth/login", request).await
}

pub async fn member_me() -> Result<MemberMe, ApiError> {
    get_json("/member/me").await
}

pub async fn member_logout() -> Result<(), ApiError> {
    post_empty("/member/auth/logout").await
}

/// The per-field messages of an `invalid_input` error; empty for any other error.
pub fn field_errors(error: &ApiError) -> Vec<FieldError> {
    error
        .details
        .get("fields")
        .cloned()
        .and_then(|fields| serde_json::from_value(fields).ok())
        .unwrap_or_default()
}

fn url(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

fn with_defaults(builder: RequestBuilder) -> RequestBuilder {
    builder
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json")
}

pub(crate) async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = with_defaults(Request::get(&url(path)))
        .send()
        .await
        .map_err(network_error)?;
    read_json(response).await
}

pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    let request = with_defaults(Request::post(&url(path)))
        .json(body)
        .map_err(|error| client_error(BAD_RESPONSE, error.to_string()))?;
    let response = request.send().await.map_err(network_error)?;
    read_json(response).await
}

pub(crate) async fn post_empty(path: &str) -> Result<(), ApiError> {
    let response = with_defaults(Request::post(&url(path)))
        .send()
        .await
        .map_err(network_error)?;
    if response.ok() {
        Ok(())
    } else {
        Err(read_error(response).await)
    }
}

/// A POST with a JSON body whose answer has none (204).
pub(crate) async fn post_json_empty<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    let request = with_defaults(Request::post(&url(path)))
        .json(body)
        .map_err(|error| client_error(BAD_RESPONSE, error.to_string()))?;
    let response = request.send().await.map_err(network_error)?;
    if response.ok() {
        Ok(())
    } else {
        Err(read_error(response).await)
    }
}

pub(crate) async fn put_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    let request = with_defaults(Request::put(&url(path)))
        .json(body)
        .map_err(|error| client_error(BAD_RESPONSE, error.to_string()))?;
    let response = request.send().await.map_err(network_error)?;
    read_json(response).await
}

pub(crate) async fn patch_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    let request = with_defaults(Request::patch(&url(path)))
        .json(body)
        .map_err(|error| client_error(BAD_RESPONSE, error.to_string()))?;
    let response = request.send().await.map_err(network_error)?;
    read_json(response).await
}

/// A query-string value, percent-encoded.
pub(crate) fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

pub(crate) async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if !response.ok() {
        return Err(read_error(response).await);
    }
    response
        .json::<T>()
        .await
        .map_err(|error| client_error(BAD_RESPONSE, error.to_string()))
}

/// The server's error body, or a stand-in naming the status when the body is not one.
pub(crate) async fn read_error(response: Response) -> ApiError {
    let status = response.status();
    let status_text = response.status_text();
    match response.json::<ApiError>().await {
        Ok(error) => error,
        Err(_) => client_error(
            code_for_status(status),
            format!("HTTP {status} {status_text}"),
        ),
    }
}

fn code_for_status(status: u16) -> &'static str {
    match status {
        401 => error_code::UNAUTHENTICATED,
        403 => error_code::FORBIDDEN,
        404 => error_code::NOT_FOUND,
        500..=599 => error_code::INTERNAL,
        _ => BAD_RESPONSE,
    }
}

pub(crate) fn network_error(error: gloo_net::Error) -> ApiError {
    client_error(NETWORK_ERROR, error.to_string())
}

pub(crate) fn client_error(code: &str, message: String) -> ApiError {
    ApiError {
        code: code.to_owned(),
        message,
        details: serde_json::Value::Null,
    }
}
