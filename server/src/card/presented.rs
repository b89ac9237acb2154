//! What the counter scanned or typed to name a member: a member QR code, a member card
//! number, a member number or a mobile number. Each is read one way only (a QR token has
//! its own shape, a card number its own length), then the member must be able to buy: a
//! card that is not active, a used or lapsed QR code, a frozen or archived member are
//! refused naming the field, with the state's own code. A merged duplicate's number
//! still finds the member it was merged into.

use super::qr::{self, QrToken};
use super::{find, standing};
use crate::auth::principal::parse_id;
use crate::error::AppError;
use huiyuan_shared::card::CARD_NO_DIGITS;
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::{FieldError, MemberId};
use sqlx::{AnyConnection, Row};

/// Merges followed at most from a number to the member it now belongs to; a duplicate
/// merged into a member that was merged in turn is followed, a loop is not.
const MERGE_HOPS_MAX: usize = 8;

/// A member found from what was presented.
#[derive(Clone, Debug)]
pub struct Identified {
    pub member_id: MemberId,
    /// `qr`, `card`, `member_no` or `phone`.
    pub via: &'static str,
    pub card_no: Option<String>,
    /// A QR code, which the command must use up inside its transaction.
    pub qr: Option<QrToken>,
}

fn unknown(field: &str) -> AppError {
    AppError::field(FieldError::new(field, "unknown_card", "会员卡号不存在"))
}

/// Finds and checks the member `text` names. `command_id` is the command the member is
/// named for: the one command that used a QR code may present it again.
pub async fn identify(
    connection: &mut AnyConnection,
    field: &str,
    text: &str,
    command_id: Option<&str>,
    now: i64,
) -> Result<Identified, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::field(FieldError::required(field)));
    }
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    let (member_id, via, card_no, qr) = if qr::looks_like(text) {
        let token = qr::verify(connection, field, text).await?;
        qr::check_usable(connection, field, &token, command_id, now).await?;
        (token.member_id, "qr", None, Some(token))
    } else if let Some(card) = card_by_number(connection, &compact).await? {
        let member = card.check_active(field)?;
        (member, "card", Some(card.card_no), None)
    } else {
        let row =
            sqlx::query("SELECT id, member_no FROM members WHERE member_no = $1 OR phone = $1")
                .bind(&compact)
                .fetch_optional(&mut *connection)
                .await?
                .ok_or_else(|| unknown(field))?;
        let member_no: String = row.try_get("member_no")?;
        let via = if member_no == compact {
            "member_no"
        } else {
            "phone"
        };
        (parse_id(row.try_get("id")?)?, via, None, None)
    };
    let member_id = standing_member(connection, field, member_id).await?;
    Ok(Identified {
        member_id,
        via,
        card_no,
        qr,
    })
}

/// The card `number` names, if it has a card number's shape and is one. A member number
/// changed to twelve digits is not a card and is looked up as a member number.
async fn card_by_number(
    connection: &mut AnyConnection,
    number: &str,
) -> Result<Option<super::Card>, AppError> {
    if number.len() != CARD_NO_DIGITS || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    find(connection, number).await
}

/// The member who stands for `member_id` (itself, or whom it was merged into), refused
/// when they may not buy.
async fn standing_member(
    connection: &mut AnyConnection,
    field: &str,
    mut member_id: MemberId,
) -> Result<MemberId, AppError> {
    for _ in 0..MERGE_HOPS_MAX {
        let row = sqlx::query("SELECT status, frozen_at, merged_into FROM members WHERE id = $1")
            .bind(member_id.to_string())
            .fetch_optional(&mut *connection)
            .await?
            .ok_or_else(|| unknown(field))?;
        let status: String = row.try_get("status")?;
        let merged_into: Option<String> = row.try_get("merged_into")?;
        match (MemberStatus::from_code(&status), merged_into) {
            (Some(MemberStatus::Merged), Some(survivor)) => member_id = parse_id(survivor)?,
            _ => {
                let frozen = row.try_get::<Option<i64>, _>("frozen_at")?.is_some();
                return match standing::refusal_for(field, &status, frozen) {
                    Some(refusal) => Err(refusal),
                    None => Ok(member_id),
                };
            }
        }
    }
    Err(
        standing::refusal_for(field, MemberStatus::Merged.code(), false)
            .unwrap_or_else(|| unknown(field)),
    )
}
