//! 充值回赠 (SV-1): bonus stored value for a top-up, by amount tier, as a fixed amount or a
//! percentage, optionally only for some levels. The bonus is credited to the member's
//! bonus account (赠送金), apart from the principal (本金).

use super::calendar::LocalDate;
use super::cart::check_amount;
use super::data::RuleHeader;
use super::error::{check_entries, RuleError, RuleErrorKind};
use super::BASIS_POINTS_FULL;
use crate::ids::StoreId;
use crate::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The bonus of one tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TopupBonus {
    /// A fixed amount, e.g. top up ¥500, get ¥50.
    Fixed { amount: Money },
    /// A share of the top-up in basis points, e.g. 1000 = 10%.
    Rate { bonus_bp: u32 },
}

/// A top-up of at least `threshold` earns `bonus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupTier {
    pub threshold: Money,
    pub bonus: TopupBonus,
}

/// A top-up bonus plan. Its header's levels restrict it to members of those levels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupPlan {
    #[serde(flatten)]
    pub header: RuleHeader,
    pub tiers: Vec<TopupTier>,
}

impl TopupPlan {
    pub(crate) fn check(&self, field: &str) -> Result<(), RuleError> {
        self.header.check(field)?;
        if self.tiers.is_empty() {
            return Err(RuleError::new(
                format!("{field}.tiers"),
                RuleErrorKind::Empty,
            ));
        }
        check_entries(&format!("{field}.tiers"), &self.tiers)?;
        for (index, tier) in self.tiers.iter().enumerate() {
            let tier_field = format!("{field}.tiers[{index}]");
            check_amount(&format!("{tier_field}.threshold"), tier.threshold)?;
            match tier.bonus {
                TopupBonus::Fixed { amount } => {
                    check_amount(&format!("{tier_field}.bonus.amount"), amount)?;
                }
                TopupBonus::Rate { bonus_bp } if bonus_bp > BASIS_POINTS_FULL => {
                    return Err(RuleError::new(
                        format!("{tier_field}.bonus.bonus_bp"),
                        RuleErrorKind::OutOfRange,
                    ));
                }
                TopupBonus::Rate { .. } => {}
            }
        }
        Ok(())
    }

    /// The bonus this plan gives on `amount`: the tier with the highest threshold the
    /// amount reaches (the first of equal thresholds).
    fn bonus(&self, amount: Money) -> Result<Money, RuleError> {
        let mut best: Option<&TopupTier> = None;
        for tier in &self.tiers {
            if tier.threshold <= amount && best.is_none_or(|best| tier.threshold > best.threshold) {
                best = Some(tier);
            }
        }
        match best.map(|tier| tier.bonus) {
            None => Ok(Money::ZERO),
            Some(TopupBonus::Fixed { amount }) => Ok(amount),
            Some(TopupBonus::Rate { bonus_bp }) => {
                Money::from_yuan_rounded(amount.to_yuan() * Decimal::new(i64::from(bonus_bp), 4))
                    .map_err(|_| RuleError::overflow("amount"))
            }
        }
    }
}

/// The plan chosen for a top-up and the bonus it gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupBonusChoice {
    pub plan_id: String,
    pub bonus: Money,
}

/// The best top-up bonus for a member: of the plans in force at this store today for
/// the member's level, the one giving the largest bonus (the first on a tie). None when
/// no plan gives anything.
pub fn topup_bonus(
    amount: Money,
    store: StoreId,
    member_level: Option<&str>,
    plans: &[TopupPlan],
    today: LocalDate,
) -> Result<Option<TopupBonusChoice>, RuleError> {
    check_amount("amount", amount)?;
    if amount.fen() == 0 {
        return Err(RuleError::new("amount", RuleErrorKind::NotPositive));
    }
    today.check("today")?;
    check_entries("plans", plans)?;
    let mut best: Option<TopupBonusChoice> = None;
    for (index, plan) in plans.iter().enumerate() {
        plan.check(&format!("plans[{index}]"))?;
        if !plan.header.applies(store, member_level, today) {
            continue;
        }
        let bonus = plan.bonus(amount)?;
        if bonus.fen() > 0 && best.as_ref().is_none_or(|best| bonus > best.bonus) {
            best = Some(TopupBonusChoice {
                plan_id: plan.header.id.clone(),
                bonus,
            });
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{date, header, STORE};

    fn plan(id: &str, tiers: &[(i64, TopupBonus)]) -> TopupPlan {
        TopupPlan {
            header: header(id),
            tiers: tiers
                .iter()
                .map(|&(threshold, bonus)| TopupTier {
                    threshold: Money(threshold),
                    bonus,
                })
                .collect(),
        }
    }

    fn fixed(fen: i64) -> TopupBonus {
        TopupBonus::Fixed { amount: Money(fen) }
    }

    /// 充500送50, 充1000送150: the highest tier reached wins; below the lowest tier no
    /// bonus.
    #[test]
    fn highest_tier_reached_wins() {
        let plans = [plan(
            "p",
            &[(50_000, fixed(5_000)), (100_000, fixed(15_000))],
        )];
        let today = date(2025, 6, 1);
        let bonus = |fen| topup_bonus(Money(fen), STORE, None, &plans, today);
        assert_eq!(bonus(49_999), Ok(None));
        let choice = |plan: &str, fen| {
            Ok(Some(TopupBonusChoice {
                plan_id: plan.to_owned(),
                bonus: Money(fen),
            }))
        };
        assert_eq!(bonus(50_000), choice("p", 5_000));
        assert_eq!(bonus(99_999), choice("p", 5_000));
        assert_eq!(bonus(120_000), choice("p", 15_000));
    }

    /// A gold-only 12% plan beats the everyone plan's ¥50 on ¥500 for a gold member
    /// (¥60), while a silver member gets the ¥50; a percentage rounds half up to the 分.
    #[test]
    fn the_largest_bonus_among_plans_in_force_wins() {
        let everyone = plan("everyone", &[(50_000, fixed(5_000))]);
        let mut gold = plan("gold", &[(10_000, TopupBonus::Rate { bonus_bp: 1_200 })]);
        gold.header.levels = vec!["gold".to_owned()];
        let plans = [everyone, gold];
        let today = date(2025, 6, 1);
        let gold_choice = topup_bonus(Money(50_000), STORE, Some("gold"), &plans, today);
        assert_eq!(
            gold_choice.map(|c| c.map(|c| (c.plan_id, c.bonus))),
            Ok(Some(("gold".to_owned(), Money(6_000))))
        );
        let silver = topup_bonus(Money(50_000), STORE, Some("silver"), &plans, today);
        assert_eq!(
            silver.map(|c| c.map(|c| (c.plan_id, c.bonus))),
            Ok(Some(("everyone".to_owned(), Money(5_000))))
        );
        // 12% of ¥123.45 = ¥14.814, rounded to ¥14.81.
        let odd = topup_bonus(Money(12_345), STORE, Some("gold"), &plans, today);
        assert_eq!(odd.map(|c| c.map(|c| c.bonus)), Ok(Some(Money(1_481))));
    }

    /// A disabled or expired plan gives nothing; a zero or negative top-up is refused.
    #[test]
    fn plans_out_of_force_and_bad_amounts() {
        let mut off = plan("off", &[(100, fixed(10))]);
        off.header.enabled = false;
        let mut expired = plan("expired", &[(100, fixed(10))]);
        expired.header.valid_to = Some(date(2025, 5, 31));
        let plans = [off, expired];
        assert_eq!(
            topup_bonus(Money(10_000), STORE, None, &plans, date(2025, 6, 1)),
            Ok(None)
        );
        assert_eq!(
            topup_bonus(Money(0), STORE, None, &plans, date(2025, 6, 1)).map_err(|e| e.kind),
            Err(RuleErrorKind::NotPositive)
        );
        assert_eq!(
            topup_bonus(Money(-5), STORE, None, &plans, date(2025, 6, 1)).map_err(|e| e.kind),
            Err(RuleErrorKind::Negative)
        );
    }
}
