//! Wire types and rules of member cards (CARD-1, CARD-2, CARD-5): card numbers with a
//! check digit, the card's lifecycle from stock to closed, card stock batches and their
//! hand-over to stores, merging duplicate members, and the member's dynamic QR code.

use crate::check_digit;
use crate::ids::{MemberId, StoreId};
use crate::member::MemberSummary;
use crate::validate::FieldError;
use crate::value::{MemberBalances, Tender};
use crate::withdrawal::WithdrawalReceipt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Digits of a member card number, the Luhn check digit included. Longer than a member
/// number (9) and unlike a mobile number (11), so a typed number is read one way only.
pub const CARD_NO_DIGITS: usize = 12;
/// Digits a stock batch's number prefix may have; at least seven random digits remain,
/// ten million numbers per prefix.
pub const CARD_NO_PREFIX_DIGITS_MAX: usize = 4;
/// Virtual cards (a number with no plastic) start with this digit.
pub const VIRTUAL_CARD_PREFIX: &str = "9";
/// Cards one stock batch may hold at most.
pub const STOCK_BATCH_CARDS_MAX: i64 = 10_000;
/// Cards one hand-over may move at most.
pub const HANDOVER_CARDS_MAX: i64 = 10_000;
/// How long a member QR code is accepted after it was made.
pub const QR_LIFETIME_SECONDS: i64 = 60;

/// Stable error codes of member-card refusals, beside `api::error_code`.
pub mod error_code {
    /// The card was reported lost (挂失) and identifies no one until found.
    pub const CARD_LOST: &str = "card_lost";
    /// The card is frozen (冻结).
    pub const CARD_FROZEN: &str = "card_frozen";
    /// The card was reissued or replaced: `details.replaced_by` names its successor.
    pub const CARD_REPLACED: &str = "card_replaced";
    /// The card was closed (退卡) for good.
    pub const CARD_CLOSED: &str = "card_closed";
    /// The card is still in stock: it belongs to no member yet.
    pub const CARD_IN_STOCK: &str = "card_in_stock";
    /// The card is in another store's stock.
    pub const CARD_NOT_HERE: &str = "card_not_here";
    /// The member is frozen: they can neither spend nor earn.
    pub const MEMBER_FROZEN: &str = "member_frozen";
    /// The member was moved to the archive (历史档案).
    pub const MEMBER_ARCHIVED: &str = "member_archived";
    /// The member was merged into another.
    pub const MEMBER_MERGED: &str = "member_merged";
    /// The QR code's minute has passed: the phone shows a fresh one.
    pub const QR_EXPIRED: &str = "qr_expired";
    /// The QR code was already used once.
    pub const QR_USED: &str = "qr_used";
    /// The QR code was not made by this server, or was altered.
    pub const QR_INVALID: &str = "qr_invalid";
    /// The card or member is not in a state that allows the action.
    pub const WRONG_STATE: &str = "wrong_state";
}

/// Where a member card stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    /// Made, not yet given to a member; somewhere in the chain's stock.
    InStock,
    /// With its member; identifies them at the counter.
    Active,
    /// Reported lost (挂失).
    Lost,
    /// Frozen by staff (冻结).
    Frozen,
    /// Reissued (补卡) or replaced (换卡) by another card.
    Replaced,
    /// Closed (退卡).
    Closed,
}

impl CardState {
    pub const ALL: [CardState; 6] = [
        CardState::InStock,
        CardState::Active,
        CardState::Lost,
        CardState::Frozen,
        CardState::Replaced,
        CardState::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CardState::InStock => "in_stock",
            CardState::Active => "active",
            CardState::Lost => "lost",
            CardState::Frozen => "frozen",
            CardState::Replaced => "replaced",
            CardState::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.code() == code)
    }

    /// The refusal code of a card in this state where an active card is needed.
    pub fn refusal_code(self) -> &'static str {
        match self {
            CardState::InStock => error_code::CARD_IN_STOCK,
            CardState::Active => error_code::WRONG_STATE,
            CardState::Lost => error_code::CARD_LOST,
            CardState::Frozen => error_code::CARD_FROZEN,
            CardState::Replaced => error_code::CARD_REPLACED,
            CardState::Closed => error_code::CARD_CLOSED,
        }
    }

    /// What the counter is told of a card in this state, in Simplified Chinese.
    pub fn refusal_message(self) -> &'static str {
        match self {
            CardState::InStock => "该卡尚未发给会员",
            CardState::Active => "该卡正常使用中",
            CardState::Lost => "该卡已挂失，不能使用",
            CardState::Frozen => "该卡已冻结，不能使用",
            CardState::Replaced => "该卡已补卡或换卡，旧卡不能再用",
            CardState::Closed => "该卡已退卡",
        }
    }
}

/// What a card is made of. A virtual card is a number with no plastic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardMedium {
    Barcode,
    Magnetic,
    Ic,
    Virtual,
}

impl CardMedium {
    pub const ALL: [CardMedium; 4] = [
        CardMedium::Barcode,
        CardMedium::Magnetic,
        CardMedium::Ic,
        CardMedium::Virtual,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CardMedium::Barcode => "barcode",
            CardMedium::Magnetic => "magnetic",
            CardMedium::Ic => "ic",
            CardMedium::Virtual => "virtual",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|medium| medium.code() == code)
    }
}

/// Whose card it is: the member's own, a linked (附属) card on the same member's
/// account, or a group (团体) card.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    #[default]
    Personal,
    Linked,
    Group,
}

impl CardKind {
    pub const ALL: [CardKind; 3] = [CardKind::Personal, CardKind::Linked, CardKind::Group];

    pub fn code(self) -> &'static str {
        match self {
            CardKind::Personal => "personal",
            CardKind::Linked => "linked",
            CardKind::Group => "group",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// A member card number as typed or scanned: spaces and dashes dropped, then
/// [`CARD_NO_DIGITS`] digits ending in their Luhn check digit.
pub fn normalize_card_no(field: &str, text: &str) -> Result<String, FieldError> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    if digits.is_empty() {
        return Err(FieldError::required(field));
    }
    if digits.len() != CARD_NO_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            "invalid_card_no",
            format!("会员卡号应为{CARD_NO_DIGITS}位数字"),
        ));
    }
    if !check_digit::is_valid(&digits) {
        return Err(FieldError::new(
            field,
            "bad_check_digit",
            "卡号校验位不对，请核对",
        ));
    }
    Ok(digits)
}

/// A batch number prefix: up to [`CARD_NO_PREFIX_DIGITS_MAX`] digits.
pub fn check_prefix(field: &str, prefix: &str) -> Result<String, FieldError> {
    let prefix = prefix.trim();
    if prefix.len() > CARD_NO_PREFIX_DIGITS_MAX || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            "invalid_prefix",
            format!("卡号前缀应为0–{CARD_NO_PREFIX_DIGITS_MAX}位数字"),
        ));
    }
    Ok(prefix.to_owned())
}

/// A member card as staff see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberCardView {
    pub card_no: String,
    pub state: CardState,
    pub medium: CardMedium,
    pub kind: CardKind,
    /// The member the card identifies; none while in stock.
    pub member_id: Option<MemberId>,
    pub member_no: Option<String>,
    pub member_name: Option<String>,
    /// The card that took this one's place (补卡/换卡).
    pub replaced_by: Option<String>,
    /// The store that issued it to its member.
    pub store_id: Option<StoreId>,
    /// Where the card is kept while in stock, or where it was issued.
    pub location_id: Option<StoreId>,
    pub location_name: Option<String>,
    pub batch_id: Option<Uuid>,
    pub issued_at: Option<String>,
    pub updated_at: String,
}

/// 办卡: binds a card to a member at a store. Name a stock card held at that store by
/// `card_no`, or leave it out for a new virtual card number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardIssueRequest {
    pub member_id: MemberId,
    /// The store (or HQ) issuing the card; a stock card must be held there.
    pub store_id: StoreId,
    #[serde(default)]
    pub card_no: Option<String>,
    /// For a virtual card: personal (default), linked or group.
    #[serde(default)]
    pub kind: Option<CardKind>,
}

/// 补卡 or 换卡: a new card takes the old one's place. Name a stock card held at the store
/// by `card_no`, or leave it out for a new virtual number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardReplaceRequest {
    pub store_id: StoreId,
    #[serde(default)]
    pub card_no: Option<String>,
    /// Why, for the audit trail.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A card's old and new numbers after 补卡 or 换卡.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardReplaced {
    pub old: MemberCardView,
    pub new: MemberCardView,
}

/// Report lost or found, freeze or unfreeze: the reason, for the audit trail.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardStateChange {
    #[serde(default)]
    pub reason: Option<String>,
}

/// 退卡: closes a card and, with `refund`, hands the member's principal back (bonus is
/// forfeited by the withdrawal policy). `id` is made by the client before the first
/// attempt, so a retry never pays out twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardCloseRequest {
    pub id: Uuid,
    /// The store where the money is handed over.
    pub store_id: StoreId,
    /// Hand the member's stored value back; otherwise it stays with the member.
    #[serde(default)]
    pub refund: bool,
    /// How the principal goes back (with `refund`).
    #[serde(default)]
    pub tender: Option<Tender>,
    pub reason: String,
    /// The member's card PIN when they have one and value is refunded. Never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardCloseReceipt {
    pub id: Uuid,
    pub card: MemberCardView,
    /// The refund, when there was value to hand back.
    pub withdrawal: Option<WithdrawalReceipt>,
}

/// 转卡: the card identifies another member from now on. Balances stay with each member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardTransferRequest {
    pub member_id: MemberId,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Freezing or unfreezing a member: a frozen member can neither spend nor earn.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberFreezeChange {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Merges a duplicate member into the one that stays. Carried out once per duplicate:
/// the same request again answers the first result, another survivor is a conflict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberMergeRequest {
    pub survivor_id: MemberId,
    pub duplicate_id: MemberId,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberMergeReceipt {
    pub survivor_id: MemberId,
    pub duplicate_id: MemberId,
    /// What moved from the duplicate to the survivor.
    pub moved: MemberBalances,
    /// Points lots moved, each keeping its expiry.
    pub points_lots_moved: i64,
    pub cards_moved: Vec<String>,
    pub count_cards_moved: i64,
    /// The survivor's balances afterwards.
    pub balances: MemberBalances,
    pub recorded_at: String,
}

/// A batch of stock cards made at HQ (制卡). `id` is made by the client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardBatchRequest {
    pub id: Uuid,
    /// The node that makes and first holds the cards, usually HQ.
    pub store_id: StoreId,
    pub count: i64,
    pub medium: CardMedium,
    #[serde(default)]
    pub kind: Option<CardKind>,
    #[serde(default)]
    pub prefix: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardBatch {
    pub id: Uuid,
    pub store_id: StoreId,
    pub medium: CardMedium,
    pub kind: CardKind,
    pub prefix: String,
    pub count: i64,
    /// The first and last card numbers in the batch's order.
    pub first_card_no: Option<String>,
    pub last_card_no: Option<String>,
    pub created_at: String,
}

/// Stock cards handed from one node to another (HQ to a store, usually): either `count`
/// cards of `batch_id` in the batch's order, or the cards listed. `id` is made by the
/// client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardHandoverRequest {
    pub id: Uuid,
    pub from_store_id: StoreId,
    pub to_store_id: StoreId,
    #[serde(default)]
    pub batch_id: Option<Uuid>,
    #[serde(default)]
    pub count: Option<i64>,
    #[serde(default)]
    pub card_nos: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardHandover {
    pub id: Uuid,
    pub from_store_id: StoreId,
    pub to_store_id: StoreId,
    pub card_nos: Vec<String>,
    pub recorded_at: String,
}

/// Cards counted by batch, location and state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardStockRow {
    pub batch_id: Option<Uuid>,
    pub location_id: Option<StoreId>,
    pub location_name: Option<String>,
    pub state: CardState,
    pub cards: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardStockSummary {
    pub batches: Vec<CardBatch>,
    pub rows: Vec<CardStockRow>,
}

/// The member's QR code for the counter: a token signed by the server, good once and
/// for [`QR_LIFETIME_SECONDS`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberQr {
    pub token: String,
    pub expires_at: String,
    pub lifetime_seconds: i64,
}

/// What the counter learns from a scanned card, QR code, member number or phone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardLookup {
    pub member: MemberSummary,
    /// `card`, `qr`, `member_no` or `phone`.
    pub via: String,
    /// The card scanned, when it was one.
    pub card: Option<MemberCardView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_carry_a_check_digit() {
        let body = "80000000001";
        let check = check_digit::luhn(body).expect("valid");
        let number = format!("{body}{check}");
        assert_eq!(
            normalize_card_no("card_no", &number).expect("valid"),
            number
        );
        assert_eq!(
            normalize_card_no("card_no", &format!("8000 0000 001{check}")).expect("valid"),
            number
        );
        let wrong = format!("{body}{}", (check + 1) % 10);
        assert_eq!(
            normalize_card_no("card_no", &wrong)
                .expect_err("refused")
                .code,
            "bad_check_digit"
        );
        assert_eq!(
            normalize_card_no("card_no", "12345")
                .expect_err("refused")
                .code,
            "invalid_card_no"
        );
        assert_eq!(
            normalize_card_no("card_no", " ").expect_err("refused").code,
            "required"
        );
    }

    #[test]
    fn states_round_trip_and_refuse_with_their_code() {
        for state in CardState::ALL {
            assert_eq!(CardState::from_code(state.code()), Some(state));
        }
        assert_eq!(CardState::Lost.refusal_code(), "card_lost");
        assert_eq!(CardState::Replaced.refusal_code(), "card_replaced");
        assert_eq!(
            check_prefix("prefix", "12345").expect_err("refused").code,
            "invalid_prefix"
        );
        assert_eq!(check_prefix("prefix", " 88 ").expect("valid"), "88");
    }
}
