//! Checks that what a request names exists and lies within the caller's store scope.

use crate::auth::StaffPrincipal;
use crate::error::AppError;
use huiyuan_shared::api::StoreKind;
use huiyuan_shared::{FieldError, MemberId, StoreId};
use sqlx::{AnyConnection, Row};

/// The store a counter operation happens at: it must be a store (not HQ or a region)
/// within the staff member's scope. Returns the store's code, which receipt numbers use.
pub async fn counter_store(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    store_id: StoreId,
) -> Result<String, AppError> {
    let row = sqlx::query("SELECT kind, path, code FROM stores WHERE id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&mut *connection)
        .await?;
    let Some(row) = row else {
        return Err(AppError::field(FieldError::new(
            "store_id",
            "unknown_store",
            "门店不存在",
        )));
    };
    let kind: String = row.try_get("kind")?;
    let path: String = row.try_get("path")?;
    if kind != StoreKind::Store.code() {
        return Err(AppError::field(FieldError::new(
            "store_id",
            "not_a_store",
            "请选择具体门店",
        )));
    }
    if !staff.covers(&path) {
        return Err(AppError::OutOfScope);
    }
    Ok(row.try_get("code")?)
}

/// The member a request names must exist.
pub async fn existing_member(
    connection: &mut AnyConnection,
    member_id: MemberId,
) -> Result<(), AppError> {
    let found = sqlx::query("SELECT id FROM members WHERE id = $1")
        .bind(member_id.to_string())
        .fetch_optional(&mut *connection)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(AppError::field(FieldError::new(
            "member_id",
            "unknown_member",
            "会员不存在",
        ))),
    }
}

/// A client's `occurred_at` (RFC 3339) as milliseconds, kept beside the server's time.
pub fn occurred_at(text: Option<&str>) -> Result<Option<i64>, AppError> {
    let Some(text) = text else { return Ok(None) };
    let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            AppError::field(FieldError::new(
                "occurred_at",
                "invalid_time",
                "时间格式应为 RFC 3339",
            ))
        })?;
    Ok(Some((parsed.unix_timestamp_nanos() / 1_000_000) as i64))
}

/// The member a scanned or typed member card number, member QR code, member number or
/// mobile number belongs to, refused (naming `member_card`) when the card is not active,
/// the QR code lapsed or was used, or the member is frozen or archived. See
/// `card::presented`, which a command uses to also use up a QR code.
pub async fn member_by_card(
    connection: &mut AnyConnection,
    card: &str,
) -> Result<MemberId, AppError> {
    let found = crate::card::presented::identify(
        connection,
        "member_card",
        card,
        None,
        crate::db::now_ms(),
    )
    .await?;
    Ok(found.member_id)
}
