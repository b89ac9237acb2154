//! 储值退款/现金提取 (SV-3): a member takes stored value back out. Only principal (本金) is
//! ever paid out; the bonus (赠送金) that came with it is forfeited by the chain's policy,
//! so a member cannot top up, collect the bonus and cash it.

use super::error::{RuleError, RuleErrorKind};
use super::split::largest_remainder;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// What happens to the bonus when principal is withdrawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BonusForfeit {
    /// The bonus goes in the proportion the principal does: withdrawing P of a principal
    /// balance TP forfeits B·P/TP of a bonus balance B, rounded half up to the 分;
    /// withdrawing all principal forfeits all bonus. The usual rule.
    #[default]
    Proportional,
    /// Any withdrawal forfeits the whole bonus, however little principal is taken.
    All,
}

/// The chain's withdrawal rule, part of the rule data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalPolicy {
    #[serde(default)]
    pub bonus_forfeit: BonusForfeit,
}

/// What a withdrawal pays out and takes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalSplit {
    /// Principal handed back to the member.
    pub principal_paid: Money,
    /// Bonus taken back by the store.
    pub bonus_forfeited: Money,
}

/// Splits a withdrawal of `principal_out` from balances of `principal` and `bonus`.
///
/// `principal_out` must be positive (or zero when the principal is already gone and only
/// bonus is left to clear) and at most `principal`; the field named in errors is
/// `amount_fen`, as the request calls it.
pub fn withdrawal_split(
    principal_out: Money,
    principal: Money,
    bonus: Money,
    policy: &WithdrawalPolicy,
) -> Result<WithdrawalSplit, RuleError> {
    const FIELD: &str = "amount_fen";
    if principal.fen() < 0 || bonus.fen() < 0 {
        return Err(RuleError::new("balances", RuleErrorKind::Negative));
    }
    if principal_out.fen() < 0 {
        return Err(RuleError::new(FIELD, RuleErrorKind::Negative));
    }
    if principal_out > principal {
        return Err(RuleError::new(FIELD, RuleErrorKind::AboveMaximum));
    }
    if principal_out.fen() == 0 && principal.fen() > 0 {
        return Err(RuleError::new(FIELD, RuleErrorKind::NotPositive));
    }
    let everything = principal_out == principal;
    let bonus_forfeited = match policy.bonus_forfeit {
        _ if everything => bonus,
        BonusForfeit::All => bonus,
        BonusForfeit::Proportional => {
            // Splitting the bonus over [P, TP − P] by largest remainder gives the first
            // part ⌊B·P/TP⌋ plus one exactly when the fraction is at least a half: that
            // is B·P/TP rounded half up, and the two parts add up to B. (The core of
            // `split_proportionally`, which also allows a bonus larger than the
            // principal.)
            let out = i128::from(principal_out.fen());
            let total = i128::from(principal.fen());
            let shares = largest_remainder(i128::from(bonus.fen()), &[out, total - out], total);
            Money(i64::try_from(shares[0]).map_err(|_| RuleError::overflow(FIELD))?)
        }
    };
    Ok(WithdrawalSplit {
        principal_paid: principal_out,
        bonus_forfeited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(out: i64, principal: i64, bonus: i64) -> Result<(i64, i64), RuleErrorKind> {
        withdrawal_split(
            Money(out),
            Money(principal),
            Money(bonus),
            &WithdrawalPolicy::default(),
        )
        .map(|s| (s.principal_paid.fen(), s.bonus_forfeited.fen()))
        .map_err(|e| e.kind)
    }

    /// ¥300 of ¥1,000 principal with ¥150 bonus forfeits ¥45; ¥1 of ¥3 with ¥1 bonus
    /// forfeits 0.33… → 0, ¥2 of ¥3 forfeits 0.67… → ¥0.01 (half up: 0.5 rounds up).
    #[test]
    fn bonus_goes_in_proportion_rounded_half_up() {
        assert_eq!(split(30_000, 100_000, 15_000), Ok((30_000, 4_500)));
        assert_eq!(split(100, 300, 1), Ok((100, 0)));
        assert_eq!(split(200, 300, 1), Ok((200, 1)));
        assert_eq!(split(1, 2, 1), Ok((1, 1)), "exactly half rounds up");
        assert_eq!(split(3_333, 10_000, 1_001), Ok((3_333, 334)));
        // A bonus larger than the principal (a 充100送150 promotion) goes the same way.
        assert_eq!(split(3_333, 10_000, 15_000), Ok((3_333, 5_000)));
    }

    #[test]
    fn withdrawing_everything_forfeits_all_bonus() {
        assert_eq!(split(7_777, 7_777, 1_234), Ok((7_777, 1_234)));
        assert_eq!(split(0, 0, 500), Ok((0, 500)), "only bonus left to clear");
        assert_eq!(split(0, 0, 0), Ok((0, 0)));
    }

    #[test]
    fn more_than_the_principal_or_nothing_is_refused() {
        assert_eq!(split(10_001, 10_000, 0), Err(RuleErrorKind::AboveMaximum));
        assert_eq!(split(0, 10_000, 0), Err(RuleErrorKind::NotPositive));
        assert_eq!(split(-1, 10_000, 0), Err(RuleErrorKind::Negative));
    }

    #[test]
    fn the_strict_policy_forfeits_the_whole_bonus() {
        let strict = WithdrawalPolicy {
            bonus_forfeit: BonusForfeit::All,
        };
        let result = withdrawal_split(Money(1), Money(10_000), Money(2_000), &strict);
        assert_eq!(result.map(|s| s.bonus_forfeited), Ok(Money(2_000)));
        let json: WithdrawalPolicy =
            serde_json::from_str(r#"{"bonus_forfeit":"all"}"#).expect("policy");
        assert_eq!(json, strict);
        assert_eq!(
            serde_json::from_str::<WithdrawalPolicy>("{}").expect("default"),
            WithdrawalPolicy::default()
        );
    }

    proptest! {
        /// The forfeit is B·P/TP rounded half up, never more than the bonus, and two
        /// withdrawals never forfeit more than the bonus there was.
        #[test]
        fn forfeit_is_the_rounded_proportion(
            principal in 1_i64..10_000_000,
            bonus in 0_i64..10_000_000,
            share in 0.0_f64..=1.0,
        ) {
            let out = ((principal as f64 * share) as i64).clamp(1, principal);
            let (paid, forfeited) = split(out, principal, bonus).expect("valid");
            prop_assert_eq!(paid, out);
            let exact = i128::from(bonus) * i128::from(out);
            let total = i128::from(principal);
            let rounded = (2 * exact + total) / (2 * total);
            prop_assert_eq!(i128::from(forfeited), rounded);
            prop_assert!(forfeited <= bonus);
            let rest = principal - out;
            if rest > 0 {
                let (_, second) = split(rest, rest, bonus - forfeited).expect("rest");
                prop_assert_eq!(forfeited + second, bonus);
            }
        }
    }
}
