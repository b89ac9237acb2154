//! Member bulk import from CSV or XLSX (dry run, then a background job with progress)
//! and member export to XLSX.

use crate::access::StaffAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::member::{export, fields, import};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use huiyuan_shared::api::{ApiError, StoreKind};
use huiyuan_shared::catalogue::ImportFormat;
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::member_import::{MemberImportJob, MemberImportReport};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The largest member file accepted: 100,000 rows of XLSX fit in a few MiB.
pub const MEMBER_FILE_BYTES_MAX: usize = 32 * 1024 * 1024;
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Check the file and report what would happen, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// `csv` or `xlsx`; guessed from the content when absent.
    pub format: Option<ImportFormat>,
    /// The uploaded file's name, kept with the job.
    pub file_name: Option<String>,
    /// Import the good rows even when some are bad. Without it, one bad row means
    /// nothing is imported.
    #[serde(default)]
    pub skip_invalid: bool,
}

/// Checks or imports members from a CSV or XLSX file sent as the request body (at most
/// 100,000 rows). Columns: 姓名 and 手机 (required), 会员编号 (optional: digits with a
/// check digit; the next number otherwise), 门店编码, 频率 / 类型 / 地区 (entry names),
/// and any profile field by its label or key (性别, 生日, questionnaire fields); English
/// names work too. A dry run answers the report: every bad row by row, field and reason,
/// phones repeated in the file, and rows whose phone is already a member's (counted as
/// existing, never created twice). A real run checks the file the same way, then answers
/// 202 with a job that writes the members in the background; follow it with
/// `GET /api/v1/member-imports/{id}`.
#[utoipa::path(post, path = "/api/v1/member-imports", tag = "members", operation_id = "import_members",
    params(ImportQuery),
    request_body(description = "The file itself", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = MemberImportReport, description = "a dry run"),
        (status = 202, body = MemberImportJob, description = "the import has started"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 413, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Response> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::MalformedBody(rejection.body_text()),
    })?;
    let file_name = query
        .file_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or("members")
        .chars()
        .take(200)
        .collect::<String>();
    let file_sha256 = hex::encode(Sha256::digest(&body));
    let mut connection = state.db.pool.acquire().await?;
    let defs = fields::list(&mut connection).await?;
    // Reading up to 100,000 rows is CPU work: keep it off the threads that serve other
    // requests.
    let format = query.format;
    let file = tokio::task::spawn_blocking(move || {
        import::read_table(&body, format).and_then(|table| import::import_file(table, &defs))
    })
    .await
    .map_err(|error| AppError::Internal(error.into()))??;
    let defs = fields::list(&mut connection).await?;
    let known = import::load_known(&mut connection, defs, &file).await?;
    drop(connection);
    let importer = import::Importer {
        home_store: (staff.store.kind == StoreKind::Store).then_some(staff.store.id),
        scope_path: staff.store_path.clone(),
    };
    let plan =
        tokio::task::spawn_blocking(move || import::plan(&file, &known, &importer, query.dry_run))
            .await
            .map_err(|error| AppError::Internal(error.into()))?;
    if query.dry_run {
        return Ok((StatusCode::OK, ApiJson(plan.report)).into_response());
    }
    if plan.report.rows_valid < plan.report.rows_read && !query.skip_invalid {
        return Err(import::refused(plan.report));
    }
    let job = import::start(
        &state.db,
        Actor::staff(&staff),
        staff.id.to_string(),
        &file_name,
        &file_sha256,
        plan,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(job)).into_response())
}

/// An import's progress, and its report once the file was checked.
#[utoipa::path(get, path = "/api/v1/member-imports/{id}", tag = "members", operation_id = "get_member_import",
    params(("id" = String, Path, description = "import job id")),
    responses((status = 200, body = MemberImportJob), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<ApiJson<MemberImportJob>> {
    let id = id.parse().map_err(|_| AppError::NotFound)?;
    let mut connection = state.db.pool.acquire().await?;
    let job = import::load_job(&mut connection, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ApiJson(job))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// Only members in this state (`pending`, `active`, `archived`, `merged`); all when
    /// absent.
    pub status: Option<MemberStatus>,
}

/// The members as an XLSX file, in member-number order, with every active profile
/// field; the headers are the ones the import reads. Only staff whose scope is the
/// whole organisation (HQ) may export; the export is audited.
#[utoipa::path(get, path = "/api/v1/members/export", tag = "members", operation_id = "export_members",
    params(ExportQuery),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn export_members(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    // The file holds every member's phone: only staff who see the whole organisation
    // may take it away.
    if staff.store.kind != StoreKind::Hq {
        return Err(AppError::OutOfScope);
    }
    let mut connection = state.db.pool.acquire().await?;
    let (bytes, rows) = export::export(&mut connection, query.status).await?;
    drop(connection);
    let mut tx = state.db.writer.begin().await?;
    let actor = Actor::staff(&staff);
    let mut event = AuditEvent::new(&actor, "member.export", "member");
    event.after = Some(json!({
        "rows": rows, "status": query.status.map(MemberStatus::code),
    }));
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    let file_name = format!(
        "attachment; filename=\"members-{}.xlsx\"",
        crate::db::now_ms()
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX_TYPE));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&file_name).map_err(|error| AppError::Internal(error.into()))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
