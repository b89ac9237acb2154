//! The one error type of the HTTP layer and its JSON shape `{code, message, details}`.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use huiyuan_shared::api::{error_code, ApiError};
use huiyuan_shared::{FieldError, Permission, ValidationErrors};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Invalid(ValidationErrors),
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    #[error("malformed query: {0}")]
    MalformedQuery(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("expected a JSON body")]
    UnsupportedMediaType,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("account locked")]
    Locked { until: String },
    #[error("account disabled")]
    Disabled,
    #[error("not logged in")]
    Unauthenticated,
    #[error("missing permission {0}")]
    Forbidden(Permission),
    #[error("outside the account's store scope")]
    OutOfScope,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the id was used for a different request")]
    IdConflict,
    #[error("{message}")]
    Refused {
        status: StatusCode,
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// One invalid field.
    pub fn field(error: FieldError) -> Self {
        AppError::Invalid(ValidationErrors {
            fields: vec![error],
        })
    }

    /// The status and body the REST call would have answered, for results reported
    /// inside another answer (a sync push reports each command's refusal).
    pub fn to_api_error(&self) -> (StatusCode, ApiError) {
        let (status, code, message, details) = self.parts();
        let body = ApiError {
            code: code.to_owned(),
            message,
            details,
        };
        (status, body)
    }

    fn parts(&self) -> (StatusCode, &'static str, String, serde_json::Value) {
        use error_code::*;
        let none = json!({});
        match self {
            AppError::Invalid(errors) => (
                StatusCode::BAD_REQUEST,
                INVALID_INPUT,
                summarise(errors),
                json!({ "fields": errors.fields }),
            ),
            AppError::MalformedBody(reason) => {
                let field = missing_field(reason);
                let details = match &field {
                    Some(name) => {
                        json!({ "fields": [FieldError::required(name)], "reason": reason })
                    }
                    None => json!({ "reason": reason }),
                };
                let message = match field {
                    Some(name) => format!("缺少必填字段：{name}"),
                    None => "请求内容不是有效的JSON".to_owned(),
                };
                (StatusCode::BAD_REQUEST, INVALID_INPUT, message, details)
            }
            AppError::MalformedQuery(reason) => (
                StatusCode::BAD_REQUEST,
                INVALID_INPUT,
                "查询参数有误".to_owned(),
                json!({ "reason": reason }),
            ),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                PAYLOAD_TOO_LARGE,
                "请求内容过大".to_owned(),
                none,
            ),
            AppError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                UNSUPPORTED_MEDIA_TYPE,
                "请求须为JSON（Content-Type: application/json）".to_owned(),
                none,
            ),
            AppError::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                INVALID_CREDENTIALS,
                "用户名或密码错误".to_owned(),
                none,
            ),
            AppError::Locked { until } => (
                StatusCode::LOCKED,
                ACCOUNT_LOCKED,
                "密码错误次数过多，账号已锁定15分钟".to_owned(),
                json!({ "locked_until": until }),
            ),
            AppError::Disabled => (
                StatusCode::FORBIDDEN,
                ACCOUNT_DISABLED,
                "该账号已停用".to_owned(),
                none,
            ),
            AppError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                UNAUTHENTICATED,
                "请先登录".to_owned(),
                none,
            ),
            AppError::Forbidden(permission) => (
                StatusCode::FORBIDDEN,
                FORBIDDEN,
                format!("没有权限：{}", permission.label()),
                json!({ "permission": permission.code() }),
            ),
            AppError::OutOfScope => (
                StatusCode::FORBIDDEN,
                FORBIDDEN,
                "不在您负责的门店范围内".to_owned(),
                none,
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                NOT_FOUND,
                "找不到请求的内容".to_owned(),
                none,
            ),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                METHOD_NOT_ALLOWED,
                "不支持的请求方法".to_owned(),
                none,
            ),
            AppError::IdConflict => (
                StatusCode::CONFLICT,
                CONFLICT,
                "该单号已用于另一笔不同的业务".to_owned(),
                none,
            ),
            AppError::Refused {
                status,
                code,
                message,
                details,
            } => (*status, code, message.clone(), details.clone()),
            AppError::Database(_) | AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                INTERNAL,
                "服务器内部错误，请稍后再试".to_owned(),
                none,
            ),
        }
    }
}

fn summarise(errors: &ValidationErrors) -> String {
    match errors.fields.first() {
        Some(first) if errors.fields.len() == 1 => format!("{}：{}", first.field, first.message),
        _ => format!("有{}项输入有误", errors.fields.len()),
    }
}

/// serde says "missing field `password` at line 1 column 20"; the field's name is what a
/// form needs to point at.
fn missing_field(reason: &str) -> Option<String> {
    let rest = reason.split("missing field `").nth(1)?;
    Some(rest.split('`').next()?.to_owned())
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, body) = self.to_api_error();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (status, Json(body)).into_response()
    }
}

impl From<crate::ledger::LedgerError> for AppError {
    fn from(error: crate::ledger::LedgerError) -> Self {
        use crate::ledger::LedgerError;
        match error {
            LedgerError::Insufficient { account, needed } => {
                let (message, what) = if account.ends_with(":points") {
                    ("积分余额不足", "points")
                } else {
                    ("储值余额不足", "stored_value")
                };
                AppError::Refused {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: error_code::INSUFFICIENT_BALANCE,
                    message: message.to_owned(),
                    details: json!({ "balance": what, "needed": needed }),
                }
            }
            LedgerError::NonPositive(amount) => {
                AppError::Internal(anyhow::anyhow!("non-positive transfer {amount}"))
            }
            LedgerError::Database(error) => AppError::Database(error),
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        AppError::Invalid(errors)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
            _ => AppError::MalformedBody(rejection.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        AppError::MalformedQuery(rejection.body_text())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_missing_field_in_serde_messages() {
        let reason = "Failed to deserialize the JSON body into the target type: missing field `password` at line 1 column 20";
        assert_eq!(missing_field(reason).as_deref(), Some("password"));
        assert_eq!(missing_field("expected value at line 1"), None);
    }
}
