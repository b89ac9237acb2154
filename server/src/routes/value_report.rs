//! The stored-value balance report (SV-5).

use crate::access::StaffAuth;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::sale;
use crate::state::AppState;
use crate::stored_value::report::{self, Period};
use axum::extract::State;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::value_report::StoredValueReport;
use huiyuan_shared::{FieldError, StoreId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StoredValueQuery {
    /// First business day, `YYYY-MM-DD`; the first of this month when absent.
    pub from: Option<String>,
    /// Last business day, inclusive; today when absent.
    pub to: Option<String>,
    /// A store or region within your scope; your whole scope when absent.
    pub store_id: Option<StoreId>,
}

/// Stored value held by members (principal and bonus, by the store they joined at) and
/// its movements over the period by store: top-ups, bonus given, spending, returns,
/// withdrawals and bonus forfeited. Covers the stores within the caller's scope.
#[utoipa::path(get, path = "/api/v1/reports/stored-value", tag = "reports", operation_id = "stored_value_report",
    params(StoredValueQuery),
    responses((status = 200, body = StoredValueReport), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn stored_value(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<StoredValueQuery>,
) -> AppResult<ApiJson<StoredValueReport>> {
    let today = sale::business_time(crate::db::now_ms()).date;
    let today = time::Date::from_calendar_date(
        today.year,
        time::Month::try_from(today.month).map_err(|error| AppError::Internal(error.into()))?,
        today.day,
    )
    .map_err(|error| AppError::Internal(error.into()))?;
    let to = match query.to.as_deref() {
        Some(text) => report::parse_date("to", text)?,
        None => today,
    };
    let from = match query.from.as_deref() {
        Some(text) => report::parse_date("from", text)?,
        None => to
            .replace_day(1)
            .map_err(|error| AppError::Internal(error.into()))?,
    };
    if to < from {
        return Err(AppError::field(FieldError::new(
            "to",
            "before_from",
            "结束日期不能早于开始日期",
        )));
    }
    let mut connection = state.db.pool.acquire().await?;
    let report =
        report::stored_value_report(&mut connection, &staff, query.store_id, Period { from, to })
            .await?;
    Ok(ApiJson(report))
}
