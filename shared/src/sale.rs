//! Wire types of a sale at the counter (SALE-1): what the till sends and the receipt it
//! gets back. The server prices the cart again with the same rules engine the till ran
//! and records its own result.

use crate::ids::{MemberId, StoreId};
use crate::rules::{ManualDiscount, QuoteLine, QuoteTotals};
use crate::value::MemberBalances;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Payments one sale may carry at most.
pub const SALE_PAYMENTS_MAX: usize = 8;
/// Digits of a card PIN (消费密码).
pub const PIN_DIGITS: usize = 6;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleLineRequest {
    pub item_id: String,
    pub quantity: i64,
    /// A price change by the cashier; needs the `pos.discount_line` permission.
    #[serde(default)]
    pub manual_discount: Option<ManualDiscount>,
}

/// How part of a sale is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    BankCard,
    Wechat,
    Alipay,
    /// The member's stored value (储值), principal and bonus in proportion to what they hold.
    StoredValue,
    /// Points as payment (积分抵扣): `points` points worth `amount_fen`.
    Points,
    /// An anonymous gift card (礼品卡), by `card_no` and its `pin`.
    GiftCard,
}

impl PaymentMethod {
    pub fn code(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::BankCard => "bank_card",
            PaymentMethod::Wechat => "wechat",
            PaymentMethod::Alipay => "alipay",
            PaymentMethod::StoredValue => "stored_value",
            PaymentMethod::Points => "points",
            PaymentMethod::GiftCard => "gift_card",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub method: PaymentMethod,
    /// Money this payment covers, in 分. Cash may exceed what is due: the rest is change.
    pub amount_fen: i64,
    /// For `points`: how many points are spent.
    #[serde(default)]
    pub points: Option<i64>,
    /// For `gift_card`: the card's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_no: Option<String>,
    /// For `gift_card`: the card's PIN. Never stored or sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// A sale. `id` is made by the till before the first attempt, so a retry after a lost
/// answer is recognised and never recorded twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleRequest {
    pub id: Uuid,
    pub store_id: StoreId,
    #[serde(default)]
    pub member_id: Option<MemberId>,
    /// The member by what the till scanned or typed instead of their id: their member
    /// (card) number or mobile number, which the server turns into `member_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_card: Option<String>,
    /// Itemised sale: the goods. Empty for an amount-only sale.
    #[serde(default)]
    pub lines: Vec<SaleLineRequest>,
    /// Amount-only sale (SALE-2) in 分, with no lines: a deduction from the member's
    /// stored value or points (会员下帐) or money paid that earns points (现金积分).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_fen: Option<i64>,
    pub payments: Vec<Payment>,
    /// The member's card PIN (消费密码), needed for stored value or points when the
    /// member has one. Never stored, and left out of the command's fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// When the till rang the sale up, if earlier than now (offline counter).
    #[serde(default)]
    pub occurred_at: Option<String>,
}

impl SaleRequest {
    /// The sale without its PINs: what is fingerprinted and kept.
    pub fn without_pins(&self) -> SaleRequest {
        let mut copy = self.clone();
        copy.pin = None;
        for payment in &mut copy.payments {
            payment.pin = None;
        }
        copy
    }

    /// Whether the sale spends the member's stored value or points, which needs the PIN.
    pub fn spends_member_value(&self) -> bool {
        self.payments.iter().any(|payment| {
            matches!(
                payment.method,
                PaymentMethod::StoredValue | PaymentMethod::Points
            )
        })
    }
}

/// Attaches a member to a sale recorded without one (补登会员), within the days the rules
/// allow; the member earns the sale's points then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachMemberRequest {
    pub member_id: MemberId,
}

/// Sets or changes a member's card PIN. `old_pin` is needed unless staff with the
/// `member.edit` permission reset it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinChange {
    #[serde(default)]
    pub old_pin: Option<String>,
    pub new_pin: String,
}

/// Whether a member has a PIN and whether it is locked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinStatus {
    pub is_set: bool,
    /// Until when spending is locked after too many wrong PINs, if it is.
    pub locked_until: Option<String>,
}

/// Refuses a PIN that is not six digits or is trivially guessed (one digit repeated, or a
/// straight run like 123456), naming `field`.
pub fn check_new_pin(field: &str, pin: &str) -> Result<(), crate::FieldError> {
    let digits: Vec<u8> = pin.bytes().collect();
    if digits.len() != PIN_DIGITS || !digits.iter().all(u8::is_ascii_digit) {
        return Err(crate::FieldError::new(
            field,
            "pin_format",
            "密码须为6位数字",
        ));
    }
    let steps: Vec<i16> = digits
        .windows(2)
        .map(|pair| i16::from(pair[1]) - i16::from(pair[0]))
        .collect();
    let constant_step = steps.iter().all(|step| *step == steps[0]);
    if constant_step && steps[0].abs() <= 1 {
        return Err(crate::FieldError::new(
            field,
            "pin_weak",
            "密码过于简单，请勿用重复或连续数字",
        ));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleReceipt {
    pub id: Uuid,
    /// Printed on the receipt and used to find the sale for a return.
    pub receipt_no: String,
    pub store_id: StoreId,
    pub member_id: Option<MemberId>,
    pub lines: Vec<QuoteLine>,
    pub totals: QuoteTotals,
    pub payments: Vec<Payment>,
    /// Cash handed back, in 分.
    pub change_fen: i64,
    pub points_earned: i64,
    pub points_paid: i64,
    /// Set when the member was attached after the sale (补登会员).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_attached_at: Option<String>,
    /// The member's balances after the sale.
    pub balances: Option<MemberBalances>,
    pub rules_version: i64,
    pub recorded_at: String,
}

/// A sale found by its receipt number for a return: the receipt as recorded, and how
/// many units of each line have been returned already.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleForReturn {
    pub sale: SaleReceipt,
    /// Units returned so far, by line of the receipt.
    pub returned: Vec<i64>,
}

/// One line of a return: which line of the receipt (0-based) and how many units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnLineRequest {
    pub line: usize,
    pub quantity: i64,
}

/// A return against a receipt (消费退货). `id` is made by the till, like a sale's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnRequest {
    pub id: Uuid,
    pub lines: Vec<ReturnLineRequest>,
}

/// Money or points given back through one of the sale's payments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refund {
    /// `cash`, `bank_card`, `wechat`, `alipay`, `principal`, `bonus`, `gift_card` or
    /// `points`.
    pub method: String,
    /// For `gift_card`: the card the money went back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_no: Option<String>,
    pub amount_fen: i64,
    /// For `points`: the points given back.
    pub points: i64,
    /// Kept back from this payment's refund for points already spent, in 分.
    #[serde(default)]
    pub kept_fen: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnReceipt {
    pub id: Uuid,
    pub sale_id: Uuid,
    pub receipt_no: String,
    pub lines: Vec<ReturnLineRequest>,
    /// Value of the goods returned, in 分.
    pub value_fen: i64,
    pub refunds: Vec<Refund>,
    /// Points the returned goods had earned, taken back.
    pub points_reversed: i64,
    /// When the member had already spent those points: their cash value recovered, in
    /// 分 — kept back from the refund, or deducted from stored value by the rules.
    pub points_shortfall_fen: i64,
    /// The part of `points_shortfall_fen` deducted from the member's stored value.
    #[serde(default)]
    pub points_shortfall_from_stored_value_fen: i64,
    pub balances: Option<MemberBalances>,
    pub recorded_at: String,
}

#[cfg(test)]
mod tests {
    use super::check_new_pin;

    #[test]
    fn pins_must_be_six_digits_and_not_trivial() {
        assert!(check_new_pin("pin", "409172").is_ok());
        assert!(check_new_pin("pin", "135790").is_ok());
        for bad in ["12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                check_new_pin("pin", bad).expect_err(bad).code,
                "pin_format",
                "{bad}"
            );
        }
        for weak in ["000000", "888888", "123456", "654321", "012345"] {
            assert_eq!(
                check_new_pin("pin", weak).expect_err(weak).code,
                "pin_weak",
                "{weak}"
            );
        }
    }
}
