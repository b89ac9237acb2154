//! A member's value history (PTS-4, MEM-5): every transfer on their points, principal and
//! bonus accounts, newest first.

use crate::auth::principal::parse_id;
use crate::db::ms_to_rfc3339;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::ledger::{self, AccountKey};
use crate::state::AppState;
use axum::extract::{Path, State};
use huiyuan_shared::api::ApiError;
use huiyuan_shared::value::{LedgerEntry, LedgerPage};
use huiyuan_shared::{FieldError, MemberId};
use serde::Deserialize;
use sqlx::Row;

const LEDGER_PAGE_ROWS_DEFAULT: i64 = 50;
const LEDGER_PAGE_ROWS_MAX: i64 = 200;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LedgerQuery {
    /// Rows per page, 1–200.
    pub limit: Option<i64>,
    /// The previous page's `next_before`.
    pub before: Option<String>,
    /// Only `points`, `principal` or `bonus`.
    pub account: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/members/{id}/ledger", tag = "members", operation_id = "member_ledger",
    params(("id" = String, Path, description = "member id"), LedgerQuery),
    responses((status = 200, body = LedgerPage), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
) -> AppResult<ApiJson<LedgerPage>> {
    let member: MemberId = parse_id(id).map_err(|_| AppError::NotFound)?;
    let member = member.to_string();
    let limit = query.limit.unwrap_or(LEDGER_PAGE_ROWS_DEFAULT);
    if !(1..=LEDGER_PAGE_ROWS_MAX).contains(&limit) {
        return Err(AppError::field(FieldError::new(
            "limit",
            "out_of_range",
            "每页条数应为1–200",
        )));
    }
    let accounts: Vec<AccountKey> = match query.account.as_deref() {
        None | Some("") => vec![
            AccountKey::member_points(&member),
            AccountKey::member_principal(&member),
            AccountKey::member_bonus(&member),
        ],
        Some("points") => vec![AccountKey::member_points(&member)],
        Some("principal") => vec![AccountKey::member_principal(&member)],
        Some("bonus") => vec![AccountKey::member_bonus(&member)],
        Some(_) => {
            return Err(AppError::field(FieldError::new(
                "account",
                "unknown_account",
                "账户应为 points、principal 或 bonus",
            )))
        }
    };
    // The cursor is "recorded_at ms/transfer id" of the last row shown.
    let (before_ms, before_id) = match query.before.as_deref().map(|text| text.split_once('/')) {
        None => (None, None),
        Some(Some((ms, id))) => match ms.parse::<i64>() {
            Ok(ms) => (Some(ms), Some(id.to_owned())),
            Err(_) => {
                return Err(AppError::field(FieldError::new(
                    "before",
                    "invalid_cursor",
                    "分页参数有误",
                )))
            }
        },
        Some(None) => {
            return Err(AppError::field(FieldError::new(
                "before",
                "invalid_cursor",
                "分页参数有误",
            )))
        }
    };
    let mut connection = state.db.pool.acquire().await?;
    let found = sqlx::query("SELECT id FROM members WHERE id = $1")
        .bind(&member)
        .fetch_optional(&mut *connection)
        .await?;
    if found.is_none() {
        return Err(AppError::NotFound);
    }
    let ids: Vec<String> = accounts.iter().map(AccountKey::id).collect();
    let id_at = |index: usize| ids.get(index).or(ids.first()).cloned().unwrap_or_default();
    let rows = sqlx::query(
        "SELECT id, command_id, kind, debit_account_id, credit_account_id, amount, store_id, memo, recorded_at \
         FROM transfers \
         WHERE (debit_account_id IN ($1, $2, $3) OR credit_account_id IN ($1, $2, $3)) \
           AND ($4 IS NULL OR recorded_at < $4 OR (recorded_at = $4 AND id < $5)) \
         ORDER BY recorded_at DESC, id DESC LIMIT $6",
    )
    .bind(id_at(0))
    .bind(id_at(1))
    .bind(id_at(2))
    .bind(before_ms)
    .bind(before_id)
    .bind(limit + 1)
    .fetch_all(&mut *connection)
    .await?;
    let more = rows.len() as i64 > limit;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let debit: String = row.try_get("debit_account_id")?;
        let credit: String = row.try_get("credit_account_id")?;
        let amount: i64 = row.try_get("amount")?;
        let (account, signed) = if ids.contains(&credit) {
            (credit, amount)
        } else {
            (debit, -amount)
        };
        let recorded_at: i64 = row.try_get("recorded_at")?;
        entries.push(LedgerEntry {
            transfer_id: row.try_get("id")?,
            command_id: row.try_get("command_id")?,
            kind: row.try_get("kind")?,
            account: account.rsplit(':').next().unwrap_or_default().to_owned(),
            amount: signed,
            store_id: row.try_get("store_id")?,
            memo: row.try_get("memo")?,
            recorded_at: ms_to_rfc3339(recorded_at),
        });
    }
    let next_before = if more {
        rows.get(limit as usize - 1)
            .map(|row| -> Result<String, sqlx::Error> {
                Ok(format!(
                    "{}/{}",
                    row.try_get::<i64, _>("recorded_at")?,
                    row.try_get::<String, _>("id")?
                ))
            })
            .transpose()?
    } else {
        None
    };
    let balances = ledger::member_balances(&mut connection, &member).await?;
    Ok(ApiJson(LedgerPage {
        balances,
        entries,
        next_before,
    }))
}
