//! Builders shared by the engine's tests.

use super::*;
use crate::ids::StoreId;
use crate::money::Money;
use rust_decimal::Decimal;
use uuid::Uuid;

/// The store most tests sell in.
pub const STORE: StoreId = StoreId(Uuid::from_u128(1));
/// Another store, for store-scoped rules.
pub const OTHER_STORE: StoreId = StoreId(Uuid::from_u128(2));

pub fn date(year: i32, month: u8, day: u8) -> LocalDate {
    LocalDate::new(year, month, day).expect("a real date")
}

/// 2025-06-11, a Wednesday, at 10:00.
pub fn wednesday_morning() -> LocalDateTime {
    LocalDateTime::new(date(2025, 6, 11), 600)
}

pub fn header(id: &str) -> RuleHeader {
    RuleHeader {
        id: id.to_owned(),
        name: id.to_owned(),
        enabled: true,
        valid_from: None,
        valid_to: None,
        stores: Vec::new(),
        levels: Vec::new(),
    }
}

pub fn line(item: &str, quantity: i64, unit_fen: i64) -> CartLine {
    CartLine {
        item_id: item.to_owned(),
        category_path: Vec::new(),
        quantity,
        unit_price: Money(unit_fen),
        member_price: None,
        earns_points: true,
        manual_discount: None,
    }
}

pub fn cart(lines: Vec<CartLine>) -> Cart {
    Cart {
        store_id: STORE,
        lines,
    }
}

/// A member of level "gold" with the given discount, ×1 points and member prices.
pub fn member(level_discount_bp: u32) -> MemberContext {
    MemberContext {
        level_id: "gold".to_owned(),
        level_name: "金卡".to_owned(),
        level_discount_bp,
        level_points_multiplier_bp: 10_000,
        birthday: None,
        member_prices: true,
    }
}

/// 1 point per 元, rounding down, no multipliers, no cap.
pub fn earn_rule(id: &str) -> EarnRule {
    EarnRule {
        header: header(id),
        points_per_yuan: Decimal::ONE,
        rounding: PointsRounding::Down,
        multipliers: Vec::new(),
        per_sale_points_max: None,
        earn_on_points_payment: false,
        earn_on_stored_value_bonus: false,
        earn_on_gift_card: false,
    }
}

pub fn multiplier(id: &str, factor: Decimal, condition: MultiplierCondition) -> PointsMultiplier {
    PointsMultiplier {
        header: header(id),
        factor,
        condition,
    }
}

pub fn buy_get(id: &str, items: &[&str], buy: i64, free: i64, reward: BuyGetReward) -> BuyGetRule {
    BuyGetRule {
        header: header(id),
        buy: ItemSet {
            item_ids: items.iter().map(|item| (*item).to_owned()).collect(),
            category_ids: Vec::new(),
        },
        buy_quantity: buy,
        free_quantity: free,
        reward,
    }
}

/// Everything paid in cash or by bank card.
pub fn paid_other(amount: Money) -> PaidBreakdown {
    PaidBreakdown {
        other: amount,
        ..PaidBreakdown::default()
    }
}
