//! The product catalogue (GDS-1): categories of any depth and the items sold or given for
//! points. Rows are never removed: deleting sets `deleted_at`, so sales and rules naming an
//! old item still resolve. Every write records an audit row in its own transaction.
//!
//! `version` on both tables is what the tablet sync will pull by; for now every write
//! sets it to the row's `updated_at` in milliseconds.

pub mod categories;
pub mod import;
pub mod items;

pub use items::{items_for_sale, SaleItem};

use crate::error::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use huiyuan_shared::api::{error_code, ApiError};
use huiyuan_shared::catalogue::{CategoryId, ImportReport};
use huiyuan_shared::{FieldError, ValidationErrors};
use serde_json::json;

/// Why a catalogue request was refused, beyond the errors every endpoint shares.
#[derive(Debug)]
pub enum CatalogueError {
    App(AppError),
    /// The request clashes with what is stored: an id reused for other content, or a
    /// category that still holds items or subcategories. Answered 409 `conflict`.
    Conflict {
        message: String,
        details: serde_json::Value,
    },
    /// An import with bad rows that was asked to write everything or nothing: nothing was
    /// written. Answered 400 `invalid_input`, each bad cell in `details.fields` and the
    /// whole report in `details.report`.
    ImportRefused(Box<ImportReport>),
}

pub type CatalogueResult<T> = Result<T, CatalogueError>;

impl CatalogueError {
    pub fn conflict(message: impl Into<String>, details: serde_json::Value) -> Self {
        CatalogueError::Conflict {
            message: message.into(),
            details,
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        CatalogueError::App(AppError::field(FieldError::new(field, code, message)))
    }
}

impl From<AppError> for CatalogueError {
    fn from(error: AppError) -> Self {
        CatalogueError::App(error)
    }
}

impl From<sqlx::Error> for CatalogueError {
    fn from(error: sqlx::Error) -> Self {
        CatalogueError::App(AppError::Database(error))
    }
}

impl From<ValidationErrors> for CatalogueError {
    fn from(errors: ValidationErrors) -> Self {
        CatalogueError::App(AppError::Invalid(errors))
    }
}

impl IntoResponse for CatalogueError {
    fn into_response(self) -> Response {
        let (status, code, message, details) = match self {
            CatalogueError::App(error) => return error.into_response(),
            CatalogueError::Conflict { message, details } => {
                (StatusCode::CONFLICT, error_code::CONFLICT, message, details)
            }
            CatalogueError::ImportRefused(report) => {
                let fields: Vec<FieldError> = report
                    .errors
                    .iter()
                    .map(|error| {
                        FieldError::new(
                            &error.field,
                            &error.code,
                            format!("第{}行：{}", error.row, error.message),
                        )
                    })
                    .collect();
                let bad_rows = report.rows_read - report.rows_valid;
                (
                    StatusCode::BAD_REQUEST,
                    error_code::INVALID_INPUT,
                    format!("有{bad_rows}行有误，未导入任何内容"),
                    json!({ "fields": fields, "report": report }),
                )
            }
        };
        let body = ApiError {
            code: code.to_owned(),
            message,
            details,
        };
        (status, Json(body)).into_response()
    }
}

/// The ids of a stored path `/a/b/c/`, root first.
pub(crate) fn path_ids(path: &str) -> Result<Vec<CategoryId>, sqlx::Error> {
    path.split('/')
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse()
                .map_err(|error: uuid::Error| sqlx::Error::Decode(Box::new(error)))
        })
        .collect()
}

/// Whether a database error is a unique-index violation, and of which index: both
/// engines name the index or its column in the message.
pub(crate) fn unique_violation(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(database) if database.is_unique_violation() => Some(format!(
            "{} {}",
            database.constraint().unwrap_or_default(),
            database.message()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_paths_read_root_first() {
        let (root, leaf) = (CategoryId::new(), CategoryId::new());
        let path = format!("/{root}/{leaf}/");
        assert_eq!(path_ids(&path).ok(), Some(vec![root, leaf]));
        assert!(path_ids("/not-an-id/").is_err());
    }
}
