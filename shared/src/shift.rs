//! Wire types of the cash drawer and shifts (现金库, 开班/交班, SALE-5) and of a store's
//! takings for a business day (业务结算/统计). All amounts are 分.

use crate::ids::{StaffId, StoreId};
use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The largest opening float or counted cash accepted: ¥1,000,000.00.
pub const DRAWER_FEN_MAX: i64 = 100_000_000;

/// The longest note on a close, in characters.
pub const SHIFT_NOTE_CHARS_MAX: usize = 200;

/// Opening a shift (开班) at a store with the cash put in the drawer. `id` is made by the
/// till before the first attempt: sending it again returns the shift it opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShiftOpen {
    pub id: Uuid,
    pub store_id: StoreId,
    /// Cash in the drawer at the start (备用金), in 分.
    pub opening_float_fen: i64,
    /// The tablet the shift is worked on, when it says.
    #[serde(default)]
    pub device_id: Option<Uuid>,
}

impl ShiftOpen {
    pub fn check(&self) -> Result<(), FieldError> {
        check_drawer_amount("opening_float_fen", self.opening_float_fen)
    }
}

/// Closing a shift (交班): the cash counted in the drawer and an optional note (e.g. why
/// it is short).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShiftClose {
    /// Cash counted in the drawer, float included, in 分.
    pub counted_fen: i64,
    #[serde(default)]
    pub note: Option<String>,
}

impl ShiftClose {
    /// The close with its note trimmed (an empty note is none), or the field at fault.
    pub fn normalized(&self) -> Result<ShiftClose, FieldError> {
        check_drawer_amount("counted_fen", self.counted_fen)?;
        let note = match self.note.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) if text.chars().count() > SHIFT_NOTE_CHARS_MAX => {
                return Err(FieldError::new(
                    "note",
                    "too_long",
                    format!("不能超过{SHIFT_NOTE_CHARS_MAX}个字"),
                ))
            }
            Some(text) if text.chars().any(char::is_control) => {
                return Err(FieldError::new(
                    "note",
                    "invalid_characters",
                    "含有无效字符",
                ))
            }
            Some(text) => Some(text.to_owned()),
        };
        Ok(ShiftClose {
            counted_fen: self.counted_fen,
            note,
        })
    }
}

fn check_drawer_amount(field: &str, fen: i64) -> Result<(), FieldError> {
    if (0..=DRAWER_FEN_MAX).contains(&fen) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            "金额应在0到1,000,000元之间",
        ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShiftStatus {
    Open,
    Closed,
}

/// Money by the way a sale was paid or a return refunded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByMethod {
    /// Cash kept: what was handed over less the change.
    pub cash_fen: i64,
    pub bank_card_fen: i64,
    pub wechat_fen: i64,
    pub alipay_fen: i64,
    /// Members' stored value, principal and bonus together.
    pub stored_value_fen: i64,
    /// The money value of points taken as payment.
    pub points_fen: i64,
    pub gift_card_fen: i64,
}

impl ByMethod {
    pub fn total_fen(&self) -> i64 {
        self.cash_fen
            + self.bank_card_fen
            + self.wechat_fen
            + self.alipay_fen
            + self.stored_value_fen
            + self.points_fen
            + self.gift_card_fen
    }

    /// The slot of a payment method by its code (`cash`, `stored_value`, …).
    pub fn slot(&mut self, method: &str) -> Option<&mut i64> {
        Some(match method {
            "cash" => &mut self.cash_fen,
            "bank_card" => &mut self.bank_card_fen,
            "wechat" => &mut self.wechat_fen,
            "alipay" => &mut self.alipay_fen,
            "stored_value" => &mut self.stored_value_fen,
            "points" => &mut self.points_fen,
            "gift_card" => &mut self.gift_card_fen,
            _ => return None,
        })
    }

    fn add(&mut self, other: &ByMethod) {
        self.cash_fen += other.cash_fen;
        self.bank_card_fen += other.bank_card_fen;
        self.wechat_fen += other.wechat_fen;
        self.alipay_fen += other.alipay_fen;
        self.stored_value_fen += other.stored_value_fen;
        self.points_fen += other.points_fen;
        self.gift_card_fen += other.gift_card_fen;
    }
}

/// Money taken or paid out by tender, for what is not a sale: top-ups, count cards, gift
/// card loads, withdrawals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByTender {
    pub cash_fen: i64,
    pub bank_card_fen: i64,
    pub wechat_fen: i64,
    pub alipay_fen: i64,
    /// 对公转账.
    pub bank_transfer_fen: i64,
}

impl ByTender {
    pub fn total_fen(&self) -> i64 {
        self.cash_fen
            + self.bank_card_fen
            + self.wechat_fen
            + self.alipay_fen
            + self.bank_transfer_fen
    }

    /// The slot of a tender by its code (`cash`, `bank_card`, …).
    pub fn slot(&mut self, tender: &str) -> Option<&mut i64> {
        Some(match tender {
            "cash" => &mut self.cash_fen,
            "bank_card" => &mut self.bank_card_fen,
            "wechat" => &mut self.wechat_fen,
            "alipay" => &mut self.alipay_fen,
            "bank_transfer" => &mut self.bank_transfer_fen,
            _ => return None,
        })
    }

    fn add(&mut self, other: &ByTender) {
        self.cash_fen += other.cash_fen;
        self.bank_card_fen += other.bank_card_fen;
        self.wechat_fen += other.wechat_fen;
        self.alipay_fen += other.alipay_fen;
        self.bank_transfer_fen += other.bank_transfer_fen;
    }
}

/// What a cashier (or a whole store) took over a shift or a day, from the ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Takings {
    /// Sales rung up (补登 and amount-only sales included).
    pub sales_count: i64,
    /// What the sales came to: the sum of `sales_by_method`.
    pub sales_fen: i64,
    pub sales_by_method: ByMethod,
    /// Returns taken.
    pub returns_count: i64,
    /// What returns gave back, by the way it went back (less anything kept back for
    /// points already spent).
    pub refunds_by_method: ByMethod,
    /// Sales less refunds, by method.
    pub net_by_method: ByMethod,
    /// Stored-value top-ups: principal paid in, by tender (bonus given is not money).
    pub topups_by_tender: ByTender,
    /// Count cards sold.
    pub countcard_sales_count: i64,
    pub countcard_sales_by_tender: ByTender,
    /// Value put on gift cards for money.
    pub giftcard_loads_by_tender: ByTender,
    /// Stored value handed back to members (储值退款/提现), by tender.
    pub withdrawals_by_tender: ByTender,
}

impl Takings {
    /// Adds another cashier's or shift's figures to these.
    pub fn add(&mut self, other: &Takings) {
        self.sales_count += other.sales_count;
        self.sales_fen += other.sales_fen;
        self.sales_by_method.add(&other.sales_by_method);
        self.returns_count += other.returns_count;
        self.refunds_by_method.add(&other.refunds_by_method);
        self.net_by_method.add(&other.net_by_method);
        self.topups_by_tender.add(&other.topups_by_tender);
        self.countcard_sales_count += other.countcard_sales_count;
        self.countcard_sales_by_tender
            .add(&other.countcard_sales_by_tender);
        self.giftcard_loads_by_tender
            .add(&other.giftcard_loads_by_tender);
        self.withdrawals_by_tender.add(&other.withdrawals_by_tender);
    }

    /// Cash that came into the drawer less cash that went out of it.
    pub fn cash_net_fen(&self) -> i64 {
        self.sales_by_method.cash_fen
            + self.topups_by_tender.cash_fen
            + self.countcard_sales_by_tender.cash_fen
            + self.giftcard_loads_by_tender.cash_fen
            - self.refunds_by_method.cash_fen
            - self.withdrawals_by_tender.cash_fen
    }
}

/// The cash drawer (现金库) of a shift: what should be in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CashDrawer {
    pub opening_float_fen: i64,
    /// Cash kept from sales (handed over less change).
    pub sales_fen: i64,
    pub topups_fen: i64,
    pub countcard_sales_fen: i64,
    pub giftcard_loads_fen: i64,
    /// Cash paid back for returns.
    pub refunds_fen: i64,
    /// Cash paid out for stored-value withdrawals.
    pub withdrawals_fen: i64,
    /// The float plus what came in less what went out.
    pub expected_fen: i64,
}

impl CashDrawer {
    pub fn new(opening_float_fen: i64, takings: &Takings) -> Self {
        CashDrawer {
            opening_float_fen,
            sales_fen: takings.sales_by_method.cash_fen,
            topups_fen: takings.topups_by_tender.cash_fen,
            countcard_sales_fen: takings.countcard_sales_by_tender.cash_fen,
            giftcard_loads_fen: takings.giftcard_loads_by_tender.cash_fen,
            refunds_fen: takings.refunds_by_method.cash_fen,
            withdrawals_fen: takings.withdrawals_by_tender.cash_fen,
            expected_fen: opening_float_fen + takings.cash_net_fen(),
        }
    }
}

/// The close of a shift as it was counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShiftCount {
    pub counted_fen: i64,
    /// What the drawer should have held when the shift was closed.
    pub expected_fen: i64,
    /// 长短款: counted less expected; negative when the drawer is short.
    pub difference_fen: i64,
    #[serde(default)]
    pub note: Option<String>,
    /// Who closed it: the cashier, or a manager closing a shift left open.
    pub closed_by: StaffId,
}

/// A shift with its takings. For an open shift the takings run up to now; for a closed
/// one they are read again over its hours, so a sale rung up offline during the shift
/// and sent afterwards shows here (and in `drawer.expected_fen`) while `count` keeps
/// what was expected when the drawer was counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shift {
    pub id: Uuid,
    pub store_id: StoreId,
    pub staff_id: StaffId,
    pub staff_name: String,
    #[serde(default)]
    pub device_id: Option<Uuid>,
    pub status: ShiftStatus,
    pub opening_float_fen: i64,
    /// RFC 3339.
    pub opened_at: String,
    #[serde(default)]
    pub closed_at: Option<String>,
    pub takings: Takings,
    pub drawer: CashDrawer,
    #[serde(default)]
    pub count: Option<ShiftCount>,
}

/// One shift in a store's day, with its difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShiftSummary {
    pub id: Uuid,
    pub staff_id: StaffId,
    pub staff_name: String,
    pub status: ShiftStatus,
    pub opening_float_fen: i64,
    pub opened_at: String,
    #[serde(default)]
    pub closed_at: Option<String>,
    #[serde(default)]
    pub counted_fen: Option<i64>,
    #[serde(default)]
    pub expected_fen: Option<i64>,
    #[serde(default)]
    pub difference_fen: Option<i64>,
}

/// One cashier's part of a store's day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CashierTakings {
    pub staff_id: StaffId,
    pub staff_name: String,
    pub takings: Takings,
}

/// A store's takings for one business day (Asia/Shanghai), by method and by cashier, and
/// the shifts opened that day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreTakings {
    pub store_id: StoreId,
    pub store_name: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub takings: Takings,
    pub by_cashier: Vec<CashierTakings>,
    pub shifts: Vec<ShiftSummary>,
    /// The closed shifts' differences added up.
    pub difference_fen: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_is_checked_and_its_note_trimmed() {
        let close = ShiftClose {
            counted_fen: 12_345,
            note: Some("  少五元 ".to_owned()),
        };
        assert_eq!(
            close.normalized().map(|c| c.note),
            Ok(Some("少五元".to_owned()))
        );
        let blank = ShiftClose {
            counted_fen: 0,
            note: Some("   ".to_owned()),
        };
        assert_eq!(blank.normalized().map(|c| c.note), Ok(None));
        let negative = ShiftClose {
            counted_fen: -1,
            note: None,
        };
        assert_eq!(
            negative.normalized().map_err(|e| e.field),
            Err("counted_fen".to_owned())
        );
        let long = ShiftClose {
            counted_fen: 1,
            note: Some("长".repeat(SHIFT_NOTE_CHARS_MAX + 1)),
        };
        assert_eq!(
            long.normalized().map_err(|e| e.field),
            Err("note".to_owned())
        );
    }

    #[test]
    fn the_drawer_expects_the_float_and_cash_in_less_cash_out() {
        let mut takings = Takings::default();
        takings.sales_by_method.cash_fen = 10_000;
        takings.sales_by_method.bank_card_fen = 5_000;
        takings.topups_by_tender.cash_fen = 20_000;
        takings.countcard_sales_by_tender.cash_fen = 3_000;
        takings.giftcard_loads_by_tender.cash_fen = 1_000;
        takings.refunds_by_method.cash_fen = 2_500;
        takings.withdrawals_by_tender.cash_fen = 4_000;
        let drawer = CashDrawer::new(50_000, &takings);
        assert_eq!(
            drawer.expected_fen,
            50_000 + 10_000 + 20_000 + 3_000 + 1_000 - 2_500 - 4_000
        );
        let mut day = Takings::default();
        day.add(&takings);
        day.add(&takings);
        assert_eq!(day.cash_net_fen(), 2 * takings.cash_net_fen());
    }
}
