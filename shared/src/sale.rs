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
    pub lines: Vec<SaleLineRequest>,
    pub payments: Vec<Payment>,
    /// When the till rang the sale up, if earlier than now (offline counter).
    #[serde(default)]
    pub occurred_at: Option<String>,
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
    /// The member's balances after the sale.
    pub balances: Option<MemberBalances>,
    pub rules_version: i64,
    pub recorded_at: String,
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
    /// `cash`, `bank_card`, `wechat`, `alipay`, `principal`, `bonus` or `points`.
    pub method: String,
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
    /// When the member had already spent those points: their cash value kept back from
    /// the refund, in 分.
    pub points_shortfall_fen: i64,
    pub balances: Option<MemberBalances>,
    pub recorded_at: String,
}
