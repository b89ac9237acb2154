//! Member cards (CARD-1, CARD-2, CARD-5). A card only identifies its member: balances are
//! the member's, in the ledger, so a card can be reissued, replaced, transferred or closed
//! without moving value, except the refund a close may hand back.
//!
//! `numbers` makes card numbers; `lifecycle` issues, reissues, replaces, reports lost and
//! found, freezes, closes and transfers cards; `standing` freezes members and refuses a
//! frozen one at the till; `stock` makes batches at HQ and hands them to stores; `merge`
//! folds a duplicate member into another; `qr` signs and checks the member's dynamic QR
//! code; `presented` turns whatever the counter scanned into a member.

pub mod lifecycle;
pub mod merge;
pub mod numbers;
pub mod presented;
pub mod qr;
pub mod standing;
pub mod stock;

use crate::auth::principal::parse_id;
use crate::db::ms_to_rfc3339;
use crate::error::AppError;
use axum::http::StatusCode;
use huiyuan_shared::card::{CardKind, CardMedium, CardState, MemberCardView};
use huiyuan_shared::{FieldError, MemberId, StoreId};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A member card as stored.
#[derive(Clone, Debug)]
pub struct Card {
    pub card_no: String,
    pub member_id: Option<MemberId>,
    pub state: CardState,
    pub medium: CardMedium,
    pub kind: CardKind,
    pub replaced_by: Option<String>,
    pub store_id: Option<StoreId>,
    pub location_id: Option<StoreId>,
    pub batch_id: Option<String>,
}

const CARD_COLUMNS: &str =
    "card_no, member_id, state, medium, kind, replaced_by, store_id, location_id, batch_id";

fn optional_id<T>(row: &AnyRow, column: &str) -> Result<Option<T>, AppError>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let value: Option<String> = row.try_get(column)?;
    Ok(value.map(parse_id).transpose()?)
}

impl Card {
    fn from_row(row: &AnyRow) -> Result<Self, AppError> {
        let state: String = row.try_get("state")?;
        let medium: String = row.try_get("medium")?;
        let kind: String = row.try_get("kind")?;
        Ok(Card {
            card_no: row.try_get("card_no")?,
            member_id: optional_id(row, "member_id")?,
            state: CardState::from_code(&state)
                .ok_or_else(|| anyhow::anyhow!("card state {state}"))?,
            medium: CardMedium::from_code(&medium)
                .ok_or_else(|| anyhow::anyhow!("card medium {medium}"))?,
            kind: CardKind::from_code(&kind).ok_or_else(|| anyhow::anyhow!("card kind {kind}"))?,
            replaced_by: row.try_get("replaced_by")?,
            store_id: optional_id(row, "store_id")?,
            location_id: optional_id(row, "location_id")?,
            batch_id: row.try_get("batch_id")?,
        })
    }

    /// Refuses a card that cannot identify its member now, naming `field`.
    pub fn check_active(&self, field: &str) -> Result<MemberId, AppError> {
        match (self.state, self.member_id) {
            (CardState::Active, Some(member)) => Ok(member),
            (state, _) => Err(state_refusal(field, self)
                .unwrap_or_else(|| refusal(field, state.refusal_code(), state.refusal_message()))),
        }
    }
}

/// The refusal of a card that is not active, or `None` for an active one.
pub fn state_refusal(field: &str, card: &Card) -> Option<AppError> {
    if card.state == CardState::Active {
        return None;
    }
    let mut error = refusal(
        field,
        card.state.refusal_code(),
        card.state.refusal_message(),
    );
    if let (AppError::Refused { details, .. }, Some(successor)) = (&mut error, &card.replaced_by) {
        details["replaced_by"] = json!(successor);
    }
    Some(error)
}

/// A refusal naming the field at fault, with the code also at the top so a till can react
/// to it without reading the fields.
pub fn refusal(field: &str, code: &'static str, message: impl Into<String>) -> AppError {
    let message = message.into();
    AppError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        details: json!({ "fields": [FieldError::new(field, code, message.clone())] }),
        message,
    }
}

/// Adds `extra`'s keys to a refusal's details.
pub fn with_details(mut error: AppError, extra: Value) -> AppError {
    if let (AppError::Refused { details, .. }, Value::Object(extra)) = (&mut error, extra) {
        if let Some(details) = details.as_object_mut() {
            details.extend(extra);
        }
    }
    error
}

pub async fn find(connection: &mut AnyConnection, card_no: &str) -> Result<Option<Card>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {CARD_COLUMNS} FROM member_cards WHERE card_no = $1"
    ))
    .bind(card_no)
    .fetch_optional(&mut *connection)
    .await?;
    row.as_ref().map(Card::from_row).transpose()
}

/// The card a request names: its digits and check digit first, then the lookup.
pub async fn named(
    connection: &mut AnyConnection,
    field: &str,
    text: &str,
) -> Result<Card, AppError> {
    let card_no = huiyuan_shared::card::normalize_card_no(field, text).map_err(AppError::field)?;
    find(connection, &card_no)
        .await?
        .ok_or_else(|| AppError::field(FieldError::new(field, "unknown_card", "会员卡不存在")))
}

/// The card a change names, read only after its row is locked: a change decided on a
/// state read before the lock could act on a card another change has just moved on
/// (two reissues of one lost card, a close racing a transfer).
pub async fn named_for_change(
    connection: &mut AnyConnection,
    field: &str,
    text: &str,
) -> Result<Card, AppError> {
    let card_no = huiyuan_shared::card::normalize_card_no(field, text).map_err(AppError::field)?;
    lock(connection, &card_no).await?;
    find(connection, &card_no)
        .await?
        .ok_or_else(|| AppError::field(FieldError::new(field, "unknown_card", "会员卡不存在")))
}

/// Locks the card's row until the transaction ends (PostgreSQL; SQLite's one writer
/// already orders everything), so two changes of one card cannot interleave.
pub async fn lock(connection: &mut AnyConnection, card_no: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE member_cards SET updated_at = updated_at WHERE card_no = $1")
        .bind(card_no)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

const VIEW_SQL: &str = "SELECT c.card_no, c.state, c.medium, c.kind, c.member_id, m.member_no, \
    m.name AS member_name, c.replaced_by, c.store_id, c.location_id, s.name AS location_name, \
    c.batch_id, c.issued_at, c.updated_at \
    FROM member_cards c LEFT JOIN members m ON m.id = c.member_id \
    LEFT JOIN stores s ON s.id = c.location_id";

fn view_of_row(row: &AnyRow) -> Result<MemberCardView, AppError> {
    let card = Card::from_row(row)?;
    let batch_id: Option<String> = row.try_get("batch_id")?;
    Ok(MemberCardView {
        card_no: card.card_no,
        state: card.state,
        medium: card.medium,
        kind: card.kind,
        member_id: card.member_id,
        member_no: row.try_get("member_no")?,
        member_name: row.try_get("member_name")?,
        replaced_by: card.replaced_by,
        store_id: card.store_id,
        location_id: card.location_id,
        location_name: row.try_get("location_name")?,
        batch_id: batch_id.map(parse_id::<uuid::Uuid>).transpose()?,
        issued_at: row
            .try_get::<Option<i64>, _>("issued_at")?
            .map(ms_to_rfc3339),
        updated_at: ms_to_rfc3339(row.try_get("updated_at")?),
    })
}

/// A card as staff see it, with its member and location.
pub async fn view(
    connection: &mut AnyConnection,
    card_no: &str,
) -> Result<MemberCardView, AppError> {
    let row = sqlx::query(&format!("{VIEW_SQL} WHERE c.card_no = $1"))
        .bind(card_no)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(AppError::NotFound)?;
    view_of_row(&row)
}

/// Cards a member's 360° view shows at most.
pub const MEMBER_CARDS_MAX: i64 = 100;

/// Every card a member holds or held, newest first.
pub async fn of_member(
    connection: &mut AnyConnection,
    member_id: MemberId,
) -> Result<Vec<MemberCardView>, AppError> {
    let rows = sqlx::query(&format!(
        "{VIEW_SQL} WHERE c.member_id = $1 ORDER BY c.created_at DESC, c.card_no LIMIT $2"
    ))
    .bind(member_id.to_string())
    .bind(MEMBER_CARDS_MAX)
    .fetch_all(&mut *connection)
    .await?;
    rows.iter().map(view_of_row).collect()
}
