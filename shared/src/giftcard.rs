//! Wire types and rules of anonymous gift cards (礼品卡, CARD-4): batches made at HQ, value
//! loaded onto a card by its number, spent at the counter with the card's PIN.

use crate::check_digit;
use crate::ids::StoreId;
use crate::validate::FieldError;
use crate::value::{LedgerEntry, Tender};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Digits of a gift card number, the Luhn check digit included.
pub const CARD_NO_DIGITS: usize = 16;
/// Digits a batch's number prefix may have; the rest of the number is random.
pub const CARD_NO_PREFIX_DIGITS_MAX: usize = 6;
/// Cards one batch may hold at most.
pub const BATCH_CARDS_MAX: i64 = 10_000;
/// The most an anonymous card may hold: ¥1,000. China's rules for single-purpose prepaid
/// cards (《单用途商业预付卡管理办法》) cap a 不记名卡 at this; larger amounts need a
/// registered (记名) card.
pub const CARD_BALANCE_FEN_MAX: i64 = 100_000;
/// Wrong PINs in a row that lock a card's spending.
pub const PIN_FAILURES_MAX: i64 = 5;
/// How long a card stays locked after too many wrong PINs, unless the batch says otherwise.
pub const PIN_LOCKOUT_MINUTES_DEFAULT: i64 = 30;
/// The longest lockout a batch may set: one day.
pub const PIN_LOCKOUT_MINUTES_MAX: i64 = 1_440;

/// Stable error codes of card refusals, beside `api::error_code`.
pub mod error_code {
    /// The card is frozen (挂失/冻结) and cannot be used until unfrozen.
    pub const CARD_FROZEN: &str = "card_frozen";
    /// The card is closed for good.
    pub const CARD_CLOSED: &str = "card_closed";
    /// The card's last valid day has passed.
    pub const CARD_EXPIRED: &str = "card_expired";
    /// Too many wrong PINs: spending is locked until `details.locked_until`.
    pub const CARD_LOCKED: &str = "card_locked";
    /// A gift card's PIN is wrong like a member's: one code for both.
    pub use crate::api::error_code::WRONG_PIN;
}

/// A card's state as staff see it. `expired` is not stored: a card whose last valid day
/// has passed shows as expired whatever else it is, unless it is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GiftCardState {
    Active,
    Frozen,
    Closed,
    Expired,
}

impl GiftCardState {
    pub fn code(self) -> &'static str {
        match self {
            GiftCardState::Active => "active",
            GiftCardState::Frozen => "frozen",
            GiftCardState::Closed => "closed",
            GiftCardState::Expired => "expired",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "active" => Some(GiftCardState::Active),
            "frozen" => Some(GiftCardState::Frozen),
            "closed" => Some(GiftCardState::Closed),
            "expired" => Some(GiftCardState::Expired),
            _ => None,
        }
    }
}

/// A card number as typed or scanned: spaces and dashes are dropped, then it must be
/// [`CARD_NO_DIGITS`] digits whose last is the Luhn check digit, so a mistyped digit is
/// caught before any lookup.
pub fn normalize_card_no(field: &str, text: &str) -> Result<String, FieldError> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    if digits.is_empty() {
        return Err(FieldError::required(field));
    }
    if digits.chars().count() != CARD_NO_DIGITS || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            "invalid_card_no",
            format!("卡号应为{CARD_NO_DIGITS}位数字"),
        ));
    }
    if !check_digit::is_valid(&digits) {
        return Err(FieldError::new(
            field,
            "invalid_check_digit",
            "卡号有误，请核对后重新输入",
        ));
    }
    Ok(digits)
}

/// The last four digits only, for receipts and logs: `************1234`.
pub fn mask_card_no(card_no: &str) -> String {
    let shown = card_no.len().saturating_sub(4);
    format!("{}{}", "*".repeat(shown), &card_no[shown..])
}

/// A batch of anonymous cards made at HQ. `id` is made by the client before the first
/// attempt, so a retry never makes a second batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardBatchRequest {
    pub id: Uuid,
    /// The node (usually HQ) that issues the batch; its accounts balance the cards' value.
    pub store_id: StoreId,
    /// Cards to make, 1–10,000.
    pub count: i64,
    /// Value each card holds from the start, in 分; 0 for cards loaded later.
    pub face_value_fen: i64,
    /// How the face value was paid (a corporate order paid at once). Without it the value
    /// is issued unpaid, owed by the issuing node until the cards are sold.
    #[serde(default)]
    pub tender: Option<Tender>,
    /// Last day the cards can be used (inclusive, business date), `YYYY-MM-DD`.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// Digits every number of the batch starts with, up to six.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Minutes a card stays locked after five wrong PINs; 30 when absent.
    #[serde(default)]
    pub pin_lockout_minutes: Option<i64>,
}

/// One card as made: its number and, in the creation answer only, its PIN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedGiftCard {
    pub card_no: String,
    /// The plain PIN, shown this once for printing; only a hash is kept.
    pub pin: String,
}

/// The answer to a batch creation. `cards` holds every number with its PIN in the first
/// answer (201) only; a replay (200) gets the batch without them, because the PINs are not
/// kept and are never shown again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardBatchCreated {
    pub batch: GiftCardBatch,
    #[serde(default)]
    pub cards: Vec<IssuedGiftCard>,
}

/// How many cards of a batch are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardStateCounts {
    pub active: i64,
    pub frozen: i64,
    pub closed: i64,
    pub expired: i64,
}

/// A batch and what has happened to its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardBatch {
    pub id: Uuid,
    pub store_id: StoreId,
    pub prefix: String,
    pub count: i64,
    pub face_value_fen: i64,
    pub expires_on: Option<String>,
    pub pin_lockout_minutes: i64,
    pub states: GiftCardStateCounts,
    /// Value put onto the batch's cards, at creation and by later loads, in 分.
    pub loaded_fen: i64,
    /// Value spent from the cards, less what returns gave back, in 分.
    pub spent_fen: i64,
    /// Value still on the cards, in 分.
    pub outstanding_fen: i64,
    pub created_at: String,
}

/// Value paid in at a counter onto a card, by its number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardLoadRequest {
    pub id: Uuid,
    pub card_no: String,
    pub store_id: StoreId,
    pub amount_fen: i64,
    pub tender: Tender,
    #[serde(default)]
    pub occurred_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardLoadReceipt {
    pub id: Uuid,
    pub card_no: String,
    pub amount_fen: i64,
    pub balance_fen: i64,
    pub recorded_at: String,
}

/// A balance enquiry at the counter: the card's number and its PIN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardEnquiry {
    pub card_no: String,
    pub pin: String,
}

/// A card, its balance and its history, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardView {
    pub card_no: String,
    pub batch_id: Uuid,
    pub state: GiftCardState,
    pub balance_fen: i64,
    pub expires_on: Option<String>,
    /// Set while too many wrong PINs keep the card from spending.
    pub locked_until: Option<String>,
    /// Movements on the card; `account` is `principal`.
    pub entries: Vec<LedgerEntry>,
}

/// Why a card is frozen or unfrozen, for the audit log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftCardStateChange {
    #[serde(default)]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_check_digit(body: &str) -> String {
        format!("{body}{}", check_digit::luhn(body).unwrap_or(0))
    }

    proptest! {
        /// Every number of the gift-card length with its Luhn digit is accepted, and the
        /// errors Luhn is made to catch at this length are: any one digit changed, and two
        /// different neighbours swapped (except 0 and 9, which Luhn cannot tell apart).
        #[test]
        fn check_digits_catch_typing_errors_at_card_length(
            body in proptest::string::string_regex("[0-9]{15}").expect("regex"),
            position in 0..CARD_NO_DIGITS,
            replacement in 0u8..10,
        ) {
            let number = with_check_digit(&body);
            prop_assert_eq!(number.len(), CARD_NO_DIGITS);
            prop_assert_eq!(normalize_card_no("card_no", &number), Ok(number.clone()));

            let mut changed = number.clone().into_bytes();
            let original = changed[position];
            changed[position] = b'0' + replacement;
            let differs = changed[position] != original;
            let changed = String::from_utf8(changed).expect("digits");
            if differs {
                prop_assert!(!check_digit::is_valid(&changed), "{} -> {}", number, changed);
            }

            if position + 1 < CARD_NO_DIGITS {
                let mut swapped = number.clone().into_bytes();
                let (a, b) = (swapped[position], swapped[position + 1]);
                swapped.swap(position, position + 1);
                let swapped = String::from_utf8(swapped).expect("digits");
                let luhn_blind = matches!((a, b), (b'0', b'9') | (b'9', b'0'));
                if a != b && !luhn_blind {
                    prop_assert!(!check_digit::is_valid(&swapped), "{} -> {}", number, swapped);
                }
            }
        }
    }

    #[test]
    fn card_numbers_are_checked_before_lookup() {
        let body = "620000123456789";
        let number = format!("{body}{}", check_digit::luhn(body).unwrap_or(0));
        assert_eq!(
            normalize_card_no("card_no", &number).as_deref(),
            Ok(number.as_str())
        );
        let spaced = format!(
            "{} {} {} {}",
            &number[..4],
            &number[4..8],
            &number[8..12],
            &number[12..]
        );
        assert_eq!(
            normalize_card_no("card_no", &spaced).as_deref(),
            Ok(number.as_str())
        );
        let mut wrong = number.clone().into_bytes();
        wrong[3] = if wrong[3] == b'9' { b'0' } else { wrong[3] + 1 };
        let wrong = String::from_utf8(wrong).unwrap_or_default();
        assert_eq!(
            normalize_card_no("card_no", &wrong).map_err(|e| e.code),
            Err("invalid_check_digit".to_owned())
        );
        assert_eq!(
            normalize_card_no("card_no", "123").map_err(|e| e.code),
            Err("invalid_card_no".to_owned())
        );
        assert_eq!(
            normalize_card_no("card_no", "").map_err(|e| e.code),
            Err("required".to_owned())
        );
        assert_eq!(
            mask_card_no(&number),
            format!("************{}", &number[12..])
        );
    }
}
