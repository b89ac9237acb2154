//! Corporate batch top-ups (批量充值, SV-4) from a CSV or XLSX file.

use crate::access::StaffAuth;
use crate::catalogue::import::read_table;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::CommandOutcome;
use crate::sale;
use crate::scope;
use crate::state::AppState;
use crate::stored_value::batch::{self, BatchTerms};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::catalogue::ImportFormat;
use huiyuan_shared::topup_batch::TopupBatchReport;
use huiyuan_shared::value::Tender;
use huiyuan_shared::{FieldError, Permission, StoreId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BatchQuery {
    /// Check the file and report what would happen, crediting nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// `csv` or `xlsx`; guessed from the content when absent.
    pub format: Option<ImportFormat>,
    /// Made by the client before the first attempt; required unless `dry_run`. The same
    /// batch id again returns the first report and credits nothing.
    pub batch_id: Option<Uuid>,
    /// The store the money is booked at.
    pub store_id: StoreId,
    /// How the company paid, e.g. `bank_transfer`.
    pub tender: Tender,
}

/// What makes two uploads the same batch: where, how, and the file's bytes.
#[derive(Serialize)]
struct BatchFingerprint<'a> {
    store_id: StoreId,
    tender: Tender,
    file_sha256: &'a str,
}

/// Credits members from a CSV or XLSX file sent as the request body (at most 20 MiB).
/// Columns: 手机号 or 会员号 (either, or both when they agree), 金额 in 元 with at most two
/// decimals, 备注 (optional); English names work too. Each row gets the bonus plan in
/// force, as a counter top-up does. A dry run reports every row and every problem by
/// row and field; a real run credits every row or, if any row is bad, none. Needs
/// `value.topup` and `hq.use`.
#[utoipa::path(post, path = "/api/v1/topups/batches", tag = "stored value", operation_id = "create_topup_batch",
    params(BatchQuery),
    request_body(description = "The file itself", content(("text/csv"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 201, body = TopupBatchReport), (status = 200, body = TopupBatchReport,
            description = "a dry run, or a replay of a batch already credited"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 413, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<BatchQuery>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<(StatusCode, ApiJson<TopupBatchReport>)> {
    // The route asks for value.topup; crediting a whole company's staff at once is also
    // an HQ operation, which a counter cashier holding value.topup cannot do.
    if !staff.can(Permission::HqUse) {
        return Err(AppError::Forbidden(Permission::HqUse));
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::MalformedBody(rejection.body_text()),
    })?;
    // A real run is a ledger command and needs its id; checked before the file is read.
    let real_run = match (query.dry_run, query.batch_id) {
        (true, _) => None,
        (false, Some(id)) => Some(id),
        (false, None) => return Err(AppError::field(FieldError::required("batch_id"))),
    };
    let file_sha256 = hex::encode(Sha256::digest(&body));
    // Reading and checking the file is CPU work of up to 20 MiB: keep it off the threads
    // that serve other requests.
    let format = query.format;
    let file =
        tokio::task::spawn_blocking(move || read_table(&body, format).and_then(batch::batch_file))
            .await
            .map_err(|error| AppError::Internal(error.into()))??;
    let terms = BatchTerms {
        batch_id: query.batch_id,
        store_id: query.store_id,
        tender: query.tender,
        dry_run: query.dry_run,
    };
    let Some(batch_id) = real_run else {
        let mut connection = state.db.pool.acquire().await?;
        scope::counter_store(&mut connection, &staff, query.store_id).await?;
        let members = batch::members_on_file(&mut connection, &file).await?;
        let rules = sale::current_rules(&mut connection).await?;
        let today = sale::business_time(crate::db::now_ms()).date;
        let plan = batch::plan(&file, &members, terms, &rules, today);
        return Ok((StatusCode::OK, ApiJson(plan.report)));
    };
    let meta = CommandMeta {
        id: batch_id.to_string(),
        kind: "topup_batch",
        store_id: Some(query.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let fingerprint = BatchFingerprint {
        store_id: query.store_id,
        tender: query.tender,
        file_sha256: &file_sha256,
    };
    let job_hash = file_sha256.clone();
    let (outcome, report) = commands::execute(&state, meta, &fingerprint, move |connection| {
        Box::pin(async move {
            scope::counter_store(connection, &staff, terms.store_id).await?;
            // Members and rules are read inside the batch's transaction, so what is
            // posted is what was checked.
            let members = batch::members_on_file(connection, &file).await?;
            let rules = sale::current_rules(connection).await?;
            let today = sale::business_time(crate::db::now_ms()).date;
            let plan = batch::plan(&file, &members, terms, &rules, today);
            batch::post(connection, &staff, batch_id, &job_hash, plan).await
        })
    })
    .await?;
    let status = match outcome {
        CommandOutcome::Created => StatusCode::CREATED,
        CommandOutcome::Exists => StatusCode::OK,
    };
    Ok((status, ApiJson(report)))
}
