//! The pricing and points rules engine: pure functions over versioned rule data.
//!
//! The tablet runs these functions offline to show the cashier the result and the server
//! runs the same code to record it (DESIGN §5), so nothing here reads a clock, a time zone
//! or a file: the caller passes the store's local date and time. Rules are data
//! ([`RuleSet`]) synced to the tablet, never code.
//!
//! Money is whole 分; anything multiplied by a rate goes through `rust_decimal` and rounds
//! half up (四舍五入) to the 分. Points are whole numbers and earning rounds down per sale
//! unless the rule says otherwise.
//!
//! The order of work at the counter:
//! 1. [`price`] turns a [`Cart`] into a [`Quote`]: unit prices, discounts, 抹零, the amount
//!    due and how many points may pay part of it.
//! 2. The cashier takes payment; [`check_points_payment`] validates the points chosen.
//! 3. [`points_to_earn`] computes the points earned on what was actually paid.
//!
//! Stored value uses [`topup_bonus`] (充值回赠), [`split_proportionally`] (refunds) and
//! [`withdrawal_split`] (储值退款: principal paid out, bonus forfeited by the policy).
//! Earned points lapse by the [`PointsExpiry`] policy (PTS-2).

mod calendar;
mod cart;
mod counter;
mod data;
mod earning;
mod error;
mod expiry;
mod pricing;
mod registration;
mod split;
mod topup;
mod withdrawal;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod properties;

pub use calendar::{LocalDate, LocalDateTime, MonthDay, Weekday, MINUTES_PER_DAY};
pub use cart::{Cart, CartLine, ManualDiscount, MemberContext};
pub use counter::{
    CounterPolicy, SpentPointsRecovery, ATTACH_MEMBER_DAYS_MAX, PIN_LOCK_MINUTES_MAX,
};
pub use data::{
    BirthdayScope, BuyGetReward, BuyGetRule, EarnRule, ItemSet, MultiplierCondition,
    PointsMultiplier, PointsPaymentRule, PointsRounding, RoundingMode, RoundingRule, RuleHeader,
    RuleSet, TimeWindow,
};
pub use earning::{points_to_earn, EarnTerms, LinePoints, PaidBreakdown, PointsEarned};
pub use error::{RuleError, RuleErrorKind};
pub use expiry::{
    days_since_epoch, PointsExpiry, POINTS_EXPIRY_MONTHS_MAX, POINTS_EXPIRY_YEARS_AFTER_MAX,
};
pub use pricing::{
    check_points_payment, price, DiscountKind, DiscountsByKind, LineDiscount, PointsPaymentTerms,
    Quote, QuoteLine, QuoteTotals,
};
pub use registration::{RegistrationPolicy, REFERRAL_POINTS_MAX};
pub use split::split_proportionally;
pub use topup::{topup_bonus, TopupBonus, TopupBonusChoice, TopupPlan, TopupTier};
pub use withdrawal::{withdrawal_split, BonusForfeit, WithdrawalPolicy, WithdrawalSplit};

/// The most lines one cart may hold. A supermarket basket rarely passes 100; the limit
/// bounds the work one request can cause.
pub const CART_LINES_MAX: usize = 500;
/// The most units on one cart line.
pub const LINE_QUANTITY_MAX: i64 = 1_000_000;
/// The deepest category path accepted (root first).
pub const CATEGORY_DEPTH_MAX: usize = 16;
/// The longest item, category, level or rule id accepted, in bytes.
pub const ID_BYTES_MAX: usize = 64;
/// The longest rule name accepted, in characters.
pub const RULE_NAME_CHARS_MAX: usize = 60;
/// The most rules of one kind in a rule set, and the most entries in one list inside a
/// rule (stores, levels, items, multipliers, tiers, dates).
pub const RULE_ENTRIES_MAX: usize = 1_000;
/// Basis points meaning "all of it": 10000 = 100% = ×1.
pub const BASIS_POINTS_FULL: u32 = 10_000;
/// The largest points multiplier factor one condition may set (×100).
pub const MULTIPLIER_FACTOR_MAX: u32 = 100;
/// The largest earning rate accepted, in points per 元.
pub const EARN_POINTS_PER_YUAN_MAX: u32 = 10_000;
/// The largest points balance or points amount handled: ten thousand billion points.
pub const POINTS_MAX: i64 = 10_000_000_000_000;
