//! Member import (a dry run, then a background job followed to its end) and export.

use gloo_net::http::Request;
use huiyuan_shared::api::{ApiError, API_PREFIX};
use huiyuan_shared::member_import::{MemberImportJob, MemberImportReport};
use web_sys::File;

use super::{client_error, encode, get_json, network_error, read_json, url, with_defaults};
use crate::i18n::BAD_RESPONSE;

/// Where the members' workbook is downloaded from; the browser sends the session cookie.
pub fn export_url() -> String {
    format!("{API_PREFIX}/members/export")
}

/// Sends the file itself as the request body, as the server reads it.
async fn upload<T: serde::de::DeserializeOwned>(file: &File, query: &str) -> Result<T, ApiError> {
    let path = format!("/member-imports?file_name={}&{query}", encode(&file.name()));
    let request = with_defaults(Request::post(&url(&path)))
        .body(file)
        .map_err(|error| client_error(BAD_RESPONSE, error.to_string()))?;
    let response = request.send().await.map_err(network_error)?;
    read_json(response).await
}

/// Checks the file and answers what importing it would do; nothing is written.
pub async fn dry_run(file: &File) -> Result<MemberImportReport, ApiError> {
    upload(file, "dry_run=true").await
}

/// Starts importing the file's good rows (the bad ones, if any, are skipped).
pub async fn start(file: &File) -> Result<MemberImportJob, ApiError> {
    upload(file, "skip_invalid=true").await
}

pub async fn job(id: &str) -> Result<MemberImportJob, ApiError> {
    get_json(&format!("/member-imports/{id}")).await
}
