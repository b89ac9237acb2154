//! Counter policy: how long a sale may wait for its member, and how card PINs lock.

use super::error::{RuleError, RuleErrorKind};
use serde::{Deserialize, Serialize};

/// Days a sale may wait for its member at most (SALE-1 补登会员).
pub const ATTACH_MEMBER_DAYS_MAX: u16 = 90;
/// The longest a card may stay locked after wrong PINs: one week.
pub const PIN_LOCK_MINUTES_MAX: u32 = 7 * 24 * 60;
/// The highest offline limit HQ may set: 100,000 元 or 10,000,000 points.
pub const OFFLINE_LIMIT_MAX: i64 = 10_000_000;

/// How a return recovers points the goods earned that the member has already spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SpentPointsRecovery {
    /// Their cash value is kept back from the refund.
    #[default]
    FromRefund,
    /// Their cash value is deducted from the member's stored value (余额) first, and
    /// what that cannot cover is kept back from the refund.
    FromStoredValue,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CounterPolicy {
    /// A sale recorded without a member may have one attached within this many days;
    /// 0 turns attaching off.
    pub attach_member_days: u16,
    /// Wrong PINs in a row that lock spending on the member's card.
    pub pin_failures_max: u8,
    /// How long spending stays locked, in minutes.
    pub pin_lock_minutes: u32,
    /// How a return recovers earned points already spent.
    pub spent_points_on_return: SpentPointsRecovery,
    /// Stored value one member may spend offline between syncs, in 分; 0 allows none.
    pub offline_value_per_member_fen: i64,
    /// Stored value one tablet may take offline between syncs, all members together, in 分.
    pub offline_value_per_terminal_fen: i64,
    /// Points one member may pay with offline between syncs.
    pub offline_points_per_member: i64,
}

impl Default for CounterPolicy {
    fn default() -> Self {
        Self {
            attach_member_days: 7,
            pin_failures_max: 5,
            pin_lock_minutes: 30,
            spent_points_on_return: SpentPointsRecovery::FromRefund,
            offline_value_per_member_fen: 50_000,
            offline_value_per_terminal_fen: 300_000,
            offline_points_per_member: 10_000,
        }
    }
}

impl CounterPolicy {
    pub fn check(&self, field: &str) -> Result<(), RuleError> {
        if self.attach_member_days > ATTACH_MEMBER_DAYS_MAX {
            return Err(RuleError::new(
                format!("{field}.attach_member_days"),
                RuleErrorKind::AboveMaximum,
            ));
        }
        if !(1..=10).contains(&self.pin_failures_max) {
            return Err(RuleError::new(
                format!("{field}.pin_failures_max"),
                RuleErrorKind::OutOfRange,
            ));
        }
        if !(1..=PIN_LOCK_MINUTES_MAX).contains(&self.pin_lock_minutes) {
            return Err(RuleError::new(
                format!("{field}.pin_lock_minutes"),
                RuleErrorKind::OutOfRange,
            ));
        }
        for (name, value) in [
            (
                "offline_value_per_member_fen",
                self.offline_value_per_member_fen,
            ),
            (
                "offline_value_per_terminal_fen",
                self.offline_value_per_terminal_fen,
            ),
            ("offline_points_per_member", self.offline_points_per_member),
        ] {
            if !(0..=OFFLINE_LIMIT_MAX).contains(&value) {
                return Err(RuleError::new(
                    format!("{field}.{name}"),
                    RuleErrorKind::OutOfRange,
                ));
            }
        }
        Ok(())
    }

    pub fn pin_lock_ms(&self) -> i64 {
        i64::from(self.pin_lock_minutes) * 60 * 1_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds_are_checked() {
        assert!(CounterPolicy::default().check("counter").is_ok());
        let too_long = CounterPolicy {
            attach_member_days: 91,
            ..CounterPolicy::default()
        };
        assert_eq!(
            too_long.check("counter").expect_err("91 days").field,
            "counter.attach_member_days"
        );
        let never_locks = CounterPolicy {
            pin_failures_max: 0,
            ..CounterPolicy::default()
        };
        assert_eq!(
            never_locks.check("counter").expect_err("0 failures").field,
            "counter.pin_failures_max"
        );
    }
}
