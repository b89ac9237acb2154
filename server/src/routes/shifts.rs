//! Shifts at the counter (开班/交班) and a store's takings for a day (SALE-5).

use crate::access::StaffAuth;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::sale;
use crate::shift;
use crate::state::AppState;
use crate::stored_value::report::parse_date;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::shift::{Shift, ShiftClose, ShiftOpen, StoreTakings};
use huiyuan_shared::StoreId;
use serde::Deserialize;

/// Opens a shift for the caller at a store with the float put in the drawer. Sending the
/// same open again returns the shift (200); another open under the same id is a 409, and
/// so is a second open shift of the same cashier at the same store (`shift_open`, naming
/// the shift that is open in `details.shift_id`).
#[utoipa::path(post, path = "/api/v1/shifts", tag = "shifts", operation_id = "open_shift",
    request_body = ShiftOpen,
    responses((status = 201, body = Shift), (status = 200, body = Shift, description = "a replay"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn open(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(request): ApiJson<ShiftOpen>,
) -> AppResult<(StatusCode, ApiJson<Shift>)> {
    let (created, shift) = shift::open(&state, staff, request).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ApiJson(shift)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CurrentQuery {
    pub store_id: StoreId,
}

/// The caller's open shift at a store, with its takings so far; 404 when there is none.
#[utoipa::path(get, path = "/api/v1/shifts/current", tag = "shifts", operation_id = "current_shift",
    params(CurrentQuery),
    responses((status = 200, body = Shift), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn current(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<CurrentQuery>,
) -> AppResult<ApiJson<Shift>> {
    Ok(ApiJson(
        shift::current(&state, &staff, query.store_id).await?,
    ))
}

/// A shift with its takings, read from the ledger now: the caller's own, or any shift of
/// a store within their scope for staff who may read reports.
#[utoipa::path(get, path = "/api/v1/shifts/{id}", tag = "shifts", operation_id = "get_shift",
    params(("id" = String, Path, description = "shift id")),
    responses((status = 200, body = Shift), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
) -> AppResult<ApiJson<Shift>> {
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(ApiJson(shift::get(&state, &staff, id).await?))
}

/// Closes a shift (交班) with the cash counted in the drawer: answers the expected cash,
/// the difference (长短款) and the shift's takings. Closing again with the same count
/// returns the first answer; with another count it is a 409.
#[utoipa::path(post, path = "/api/v1/shifts/{id}/close", tag = "shifts", operation_id = "close_shift",
    params(("id" = String, Path, description = "shift id")), request_body = ShiftClose,
    responses((status = 200, body = Shift), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn close(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ShiftClose>,
) -> AppResult<ApiJson<Shift>> {
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(ApiJson(shift::close(&state, staff, id, request).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TakingsQuery {
    /// A store within your scope.
    pub store_id: StoreId,
    /// The business day, `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
}

/// A store's takings for a business day (Asia/Shanghai): by payment method, by cashier,
/// top-ups, count cards, gift card loads and withdrawals by tender, and the shifts opened
/// that day with their differences.
#[utoipa::path(get, path = "/api/v1/reports/takings", tag = "reports", operation_id = "store_takings",
    params(TakingsQuery),
    responses((status = 200, body = StoreTakings), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn takings(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<TakingsQuery>,
) -> AppResult<ApiJson<StoreTakings>> {
    let date = match query.date.as_deref() {
        Some(text) => parse_date("date", text)?,
        None => {
            let today = sale::business_time(crate::db::now_ms()).date;
            time::Date::from_calendar_date(
                today.year,
                time::Month::try_from(today.month)
                    .map_err(|error| AppError::Internal(error.into()))?,
                today.day,
            )
            .map_err(|error| AppError::Internal(error.into()))?
        }
    };
    let mut connection = state.db.pool.acquire().await?;
    let report = shift::day::store_takings(&mut connection, &staff, query.store_id, date).await?;
    Ok(ApiJson(report))
}
