//! Money in minor units (分). Storage and the wire carry whole 分 as integers; arithmetic
//! that can produce fractions (rates, proportions) goes through `rust_decimal` and rounds
//! half up (四舍五入) to the 分.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The largest amount the system accepts in one field: ¥10,000,000,000.00. It leaves
/// room to add many amounts in an `i64` without overflow.
pub const MONEY_FEN_MAX: i64 = 1_000_000_000_000;

/// An amount of money in 分 (1 元 = 100 分). May be negative in ledger arithmetic.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = i64))]
#[serde(transparent)]
pub struct Money(pub i64);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a number")]
    NotANumber,
    #[error("more than two decimal places")]
    TooPrecise,
    #[error("amount out of range")]
    OutOfRange,
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// Converts a decimal amount in 元, refusing anything finer than a 分.
    pub fn from_yuan(yuan: Decimal) -> Result<Self, MoneyError> {
        if yuan.normalize().scale() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let fen = (yuan * Decimal::ONE_HUNDRED)
            .to_i64()
            .ok_or(MoneyError::OutOfRange)?;
        if fen.abs() > MONEY_FEN_MAX {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money(fen))
    }

    /// Converts a decimal amount in 元, rounding half up to the 分. For computed amounts
    /// such as a discount of 8.5%; never for amounts a person typed.
    pub fn from_yuan_rounded(yuan: Decimal) -> Result<Self, MoneyError> {
        let fen = (yuan * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .ok_or(MoneyError::OutOfRange)?;
        Ok(Money(fen))
    }

    pub fn to_yuan(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses what a person types: "12", "12.5", "12.50", "-3.20". Rejects "1.234".
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim().trim_start_matches('¥');
        if trimmed.is_empty() || trimmed.contains(['e', 'E']) {
            return Err(MoneyError::NotANumber);
        }
        let yuan = Decimal::from_str(trimmed).map_err(|_| MoneyError::NotANumber)?;
        Money::from_yuan(yuan)
    }
}

impl fmt::Display for Money {
    /// Shows the amount as 元 with two decimals, e.g. `¥1,234.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let fen = self.0.unsigned_abs();
        let yuan = (fen / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (index, digit) in yuan.chars().enumerate() {
            if index > 0 && (yuan.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}¥{grouped}.{:02}", fen % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_amounts_exactly() {
        assert_eq!("12".parse::<Money>(), Ok(Money(1200)));
        assert_eq!("12.5".parse::<Money>(), Ok(Money(1250)));
        assert_eq!("¥0.01".parse::<Money>(), Ok(Money(1)));
        assert_eq!("-3.20".parse::<Money>(), Ok(Money(-320)));
        assert_eq!("1.230".parse::<Money>(), Ok(Money(123)));
        assert_eq!("1.234".parse::<Money>(), Err(MoneyError::TooPrecise));
        assert_eq!("abc".parse::<Money>(), Err(MoneyError::NotANumber));
        assert_eq!("1e3".parse::<Money>(), Err(MoneyError::NotANumber));
        assert_eq!(
            "100000000000.00".parse::<Money>(),
            Err(MoneyError::OutOfRange)
        );
    }

    /// 四舍五入: half a 分 rounds away from zero, the way a Chinese receipt does.
    #[test]
    fn computed_amounts_round_half_up() {
        let rate = Decimal::new(85, 2); // 85% of ¥0.10 = ¥0.085
        assert_eq!(
            Money::from_yuan_rounded(Money(10).to_yuan() * rate),
            Ok(Money(9))
        );
        assert_eq!(
            Money::from_yuan_rounded(Money(-10).to_yuan() * rate),
            Ok(Money(-9))
        );
    }

    #[test]
    fn displays_with_grouping() {
        assert_eq!(Money(123_456_789).to_string(), "¥1,234,567.89");
        assert_eq!(Money(5).to_string(), "¥0.05");
        assert_eq!(Money(-100_000).to_string(), "-¥1,000.00");
    }
}
