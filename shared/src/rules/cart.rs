//! What the engine prices: the cart at the counter and the member buying it.

use super::calendar::MonthDay;
use super::error::{check_id, RuleError, RuleErrorKind};
use super::{BASIS_POINTS_FULL, CART_LINES_MAX, CATEGORY_DEPTH_MAX, LINE_QUANTITY_MAX};
use crate::ids::StoreId;
use crate::money::{Money, MONEY_FEN_MAX};
use serde::{Deserialize, Serialize};

/// A sale being rung up at one store. Coupons come later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cart {
    pub store_id: StoreId,
    pub lines: Vec<CartLine>,
}

/// One scanned product and how many units of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CartLine {
    pub item_id: String,
    /// Category ids from the root down to the item's own category, so a rule on a parent
    /// category reaches its children.
    #[serde(default)]
    pub category_path: Vec<String>,
    /// Units, at least 1.
    pub quantity: i64,
    /// The shelf price of one unit.
    pub unit_price: Money,
    /// The member price of one unit (会员价), if the item has one.
    #[serde(default)]
    pub member_price: Option<Money>,
    /// False for goods that earn no points (tobacco, gift cards, deposits).
    pub earns_points: bool,
    /// A discount the cashier typed; the caller has checked the staff permission.
    #[serde(default)]
    pub manual_discount: Option<ManualDiscount>,
}

/// A cashier's change to a line's price (改价 or 打折). It replaces the member price and
/// level discount on that line, because the cashier is setting the price the customer
/// pays, and the line takes no part in buy-X-get-Y.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ManualDiscount {
    /// A new price for each unit, at most the shelf price.
    UnitPrice { unit_price: Money },
    /// The share of the shelf price payable, in basis points: 8800 = 88折.
    Rate { payable_bp: u32 },
}

/// The member at the counter, as far as pricing and points need to know. Level benefits
/// come from here, not from the rule set, because they belong to the member's level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberContext {
    pub level_id: String,
    pub level_name: String,
    /// The share of the price payable, in basis points: 9500 = 95折, 10000 = no discount.
    pub level_discount_bp: u32,
    /// The level's points multiplier in basis points: 10000 = ×1, 15000 = ×1.5.
    pub level_points_multiplier_bp: u32,
    #[serde(default)]
    pub birthday: Option<MonthDay>,
    /// Whether this member's level gets member prices (会员价).
    pub member_prices: bool,
}

impl MemberContext {
    pub(crate) fn check(&self, field: &str) -> Result<(), RuleError> {
        check_id(&format!("{field}.level_id"), &self.level_id)?;
        if self.level_discount_bp > BASIS_POINTS_FULL {
            return Err(RuleError::new(
                format!("{field}.level_discount_bp"),
                RuleErrorKind::OutOfRange,
            ));
        }
        if self.level_points_multiplier_bp > BASIS_POINTS_FULL * super::MULTIPLIER_FACTOR_MAX {
            return Err(RuleError::new(
                format!("{field}.level_points_multiplier_bp"),
                RuleErrorKind::OutOfRange,
            ));
        }
        if let Some(birthday) = self.birthday {
            birthday.check(&format!("{field}.birthday"))?;
        }
        Ok(())
    }
}

/// Checks an amount of money is between zero and [`MONEY_FEN_MAX`].
pub(crate) fn check_amount(field: &str, amount: Money) -> Result<(), RuleError> {
    if amount.fen() < 0 {
        return Err(RuleError::new(field, RuleErrorKind::Negative));
    }
    if amount.fen() > MONEY_FEN_MAX {
        return Err(RuleError::new(field, RuleErrorKind::OutOfRange));
    }
    Ok(())
}

impl Cart {
    /// Refuses carts the engine cannot price, naming the first bad field.
    pub(crate) fn check(&self) -> Result<(), RuleError> {
        if self.lines.len() > CART_LINES_MAX {
            return Err(RuleError::new("lines", RuleErrorKind::TooMany));
        }
        for (index, line) in self.lines.iter().enumerate() {
            line.check(&format!("lines[{index}]"))?;
        }
        Ok(())
    }
}

impl CartLine {
    fn check(&self, field: &str) -> Result<(), RuleError> {
        check_id(&format!("{field}.item_id"), &self.item_id)?;
        if self.category_path.len() > CATEGORY_DEPTH_MAX {
            return Err(RuleError::new(
                format!("{field}.category_path"),
                RuleErrorKind::TooMany,
            ));
        }
        for (index, category) in self.category_path.iter().enumerate() {
            check_id(&format!("{field}.category_path[{index}]"), category)?;
        }
        if self.quantity <= 0 {
            return Err(RuleError::new(
                format!("{field}.quantity"),
                RuleErrorKind::NotPositive,
            ));
        }
        if self.quantity > LINE_QUANTITY_MAX {
            return Err(RuleError::new(
                format!("{field}.quantity"),
                RuleErrorKind::OutOfRange,
            ));
        }
        check_amount(&format!("{field}.unit_price"), self.unit_price)?;
        if let Some(member_price) = self.member_price {
            check_amount(&format!("{field}.member_price"), member_price)?;
        }
        match self.manual_discount {
            Some(ManualDiscount::UnitPrice { unit_price }) => {
                let field = format!("{field}.manual_discount.unit_price");
                check_amount(&field, unit_price)?;
                if unit_price > self.unit_price {
                    return Err(RuleError::new(field, RuleErrorKind::AboveMaximum));
                }
            }
            Some(ManualDiscount::Rate { payable_bp }) if payable_bp > BASIS_POINTS_FULL => {
                return Err(RuleError::new(
                    format!("{field}.manual_discount.payable_bp"),
                    RuleErrorKind::OutOfRange,
                ));
            }
            Some(ManualDiscount::Rate { .. }) | None => {}
        }
        Ok(())
    }

    /// Whether the line's item or any category on its path is in the given lists.
    pub(crate) fn is_in(&self, item_ids: &[String], category_ids: &[String]) -> bool {
        item_ids.contains(&self.item_id)
            || self
                .category_path
                .iter()
                .any(|category| category_ids.contains(category))
    }
}
