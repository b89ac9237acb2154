//! Points earned on a sale (DESIGN §5): on what the customer actually pays for goods,
//! after discounts, and not on the part paid with points, stored-value bonus (赠送金) or
//! gift cards unless the rule says so.
//!
//! The eligible amount is spread over the lines in proportion to their net, each line
//! earns at its own rate (base × store × product × time × birthday × member day ×
//! level), and the sale's sum is rounded once and capped.

use super::calendar::LocalDateTime;
use super::cart::{check_amount, Cart, CartLine, MemberContext};
use super::data::{EarnRule, MultiplierCondition, PointsMultiplier, PointsRounding, RuleSet};
use super::error::{RuleError, RuleErrorKind};
use super::pricing::Quote;
use super::split::{largest_remainder, largest_remainder_decimal};
use crate::money::Money;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How the amount due was paid, by kind. The parts add up to the quote's amount due;
/// cash tendered beyond it (change) is not part of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaidBreakdown {
    /// Paid with points (积分抵扣), at their money value.
    pub points: Money,
    /// Paid from stored-value bonus (赠送金).
    pub stored_value_bonus: Money,
    /// Paid with gift cards.
    pub gift_card: Money,
    /// Everything else: cash, bank card, mobile payment, stored-value principal (本金).
    pub other: Money,
}

/// The earning terms in force for a sale, shown on the quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarnTerms {
    pub rule_id: String,
    pub rounding: PointsRounding,
    pub per_sale_points_max: Option<i64>,
    pub earn_on_points_payment: bool,
    pub earn_on_stored_value_bonus: bool,
    pub earn_on_gift_card: bool,
}

/// One line's part of the points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinePoints {
    /// The line's index in the cart.
    pub line: usize,
    /// The line's share of the eligible amount paid.
    pub eligible: Money,
    /// Points per 元 on this line after every multiplier; zero if it earns none.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub points_per_yuan: Decimal,
    /// Whole points; the lines add up to the sale's total, which a return reverses.
    pub points: i64,
}

/// The points a sale earns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsEarned {
    /// The earning rule used; none when no rule applies or there is no member.
    pub rule_id: Option<String>,
    /// The part of the amount due that earns points.
    pub eligible: Money,
    /// Points after rounding, before the cap.
    pub uncapped: i64,
    /// Points earned.
    pub points: i64,
    pub capped: bool,
    pub lines: Vec<LinePoints>,
    /// The earning rule and the multipliers that took effect.
    pub applied_rule_ids: Vec<String>,
}

/// The earning rule in force and each line's rate under it.
pub(crate) struct EarnPlan<'a> {
    pub rule: &'a EarnRule,
    /// Points per 元 per cart line, zero for lines that earn nothing.
    pub line_rates: Vec<Decimal>,
    /// Multipliers that raised at least one earning line.
    pub multiplier_ids: Vec<String>,
}

impl EarnPlan<'_> {
    pub fn terms(&self) -> EarnTerms {
        EarnTerms {
            rule_id: self.rule.header.id.clone(),
            rounding: self.rule.rounding,
            per_sale_points_max: self.rule.per_sale_points_max,
            earn_on_points_payment: self.rule.earn_on_points_payment,
            earn_on_stored_value_bonus: self.rule.earn_on_stored_value_bonus,
            earn_on_gift_card: self.rule.earn_on_gift_card,
        }
    }
}

/// Finds the earning rule for the sale and each line's rate. Only members earn points.
/// Inputs are assumed checked by the caller.
pub(crate) fn earn_plan<'a>(
    cart: &Cart,
    member: Option<&MemberContext>,
    rules: &'a RuleSet,
    now: LocalDateTime,
) -> Result<Option<EarnPlan<'a>>, RuleError> {
    let Some(member) = member else {
        return Ok(None);
    };
    let level = Some(member.level_id.as_str());
    let found = rules
        .earn_rules
        .iter()
        .enumerate()
        .find(|(_, rule)| rule.header.applies(cart.store_id, level, now.date));
    let Some((rule_index, rule)) = found else {
        return Ok(None);
    };
    let field = format!("earn_rules[{rule_index}]");
    let overflow = || RuleError::overflow(format!("{field}.multipliers"));
    let in_force: Vec<&PointsMultiplier> = rule
        .multipliers
        .iter()
        .filter(|multiplier| multiplier.header.applies(cart.store_id, level, now.date))
        .collect();
    let level_factor = Decimal::new(i64::from(member.level_points_multiplier_bp), 4);
    let base = rule
        .points_per_yuan
        .checked_mul(level_factor)
        .ok_or_else(overflow)?;
    let mut raised = vec![false; in_force.len()];
    let mut line_rates = Vec::with_capacity(cart.lines.len());
    for line in &cart.lines {
        if !line.earns_points {
            line_rates.push(Decimal::ZERO);
            continue;
        }
        let mut rate = base;
        for (index, multiplier) in in_force.iter().enumerate() {
            if holds(&multiplier.condition, line, member, now) {
                rate = rate.checked_mul(multiplier.factor).ok_or_else(overflow)?;
                raised[index] = true;
            }
        }
        line_rates.push(rate.normalize());
    }
    let multiplier_ids = in_force
        .iter()
        .zip(&raised)
        .filter(|(_, raised)| **raised)
        .map(|(multiplier, _)| multiplier.header.id.clone())
        .collect();
    Ok(Some(EarnPlan {
        rule,
        line_rates,
        multiplier_ids,
    }))
}

/// Whether a multiplier's condition holds for a line at this moment.
fn holds(
    condition: &MultiplierCondition,
    line: &CartLine,
    member: &MemberContext,
    now: LocalDateTime,
) -> bool {
    let date = now.date;
    match condition {
        MultiplierCondition::Always => true,
        MultiplierCondition::Items { items } => line.is_in(&items.item_ids, &items.category_ids),
        MultiplierCondition::TimeWindow { window } => {
            window.contains(now.weekday(), now.minute_of_day)
        }
        MultiplierCondition::Birthday { scope } => {
            member.birthday.is_some_and(|birthday| match scope {
                super::data::BirthdayScope::Day => birthday.falls_on(date),
                super::data::BirthdayScope::Month => birthday.month == date.month,
            })
        }
        MultiplierCondition::MemberDays {
            days_of_month,
            yearly,
            dates,
        } => {
            days_of_month.contains(&date.day)
                || yearly.iter().any(|day| day.falls_on(date))
                || dates.contains(&date)
        }
    }
}

/// The points a sale earns, given its quote and how its amount due was paid. `cart`,
/// `member`, `rules` and `now` must be those the quote was made from.
pub fn points_to_earn(
    quote: &Quote,
    paid: &PaidBreakdown,
    member: Option<&MemberContext>,
    rules: &RuleSet,
    cart: &Cart,
    now: LocalDateTime,
) -> Result<PointsEarned, RuleError> {
    cart.check()?;
    if let Some(member) = member {
        member.check("member")?;
    }
    rules.check()?;
    now.check("now")?;
    check_quote_matches(quote, cart, rules)?;
    let parts = [
        ("paid.points", paid.points),
        ("paid.stored_value_bonus", paid.stored_value_bonus),
        ("paid.gift_card", paid.gift_card),
        ("paid.other", paid.other),
    ];
    let mut paid_total: i64 = 0;
    for (field, amount) in parts {
        check_amount(field, amount)?;
        paid_total += amount.fen();
    }
    if paid_total != quote.totals.amount_due.fen() {
        return Err(RuleError::new("paid", RuleErrorKind::Mismatch));
    }

    let nothing = || PointsEarned {
        rule_id: None,
        eligible: Money::ZERO,
        uncapped: 0,
        points: 0,
        capped: false,
        lines: Vec::new(),
        applied_rule_ids: Vec::new(),
    };
    let Some(plan) = earn_plan(cart, member, rules, now)? else {
        return Ok(nothing());
    };
    let rule = plan.rule;
    let mut eligible = paid.other.fen();
    for (included, amount) in [
        (rule.earn_on_points_payment, paid.points),
        (rule.earn_on_stored_value_bonus, paid.stored_value_bonus),
        (rule.earn_on_gift_card, paid.gift_card),
    ] {
        if included {
            eligible += amount.fen();
        }
    }

    // Spread what was paid over the lines by their net, so a line of cigarettes (no
    // points) keeps its share of the payment and earns nothing on it.
    let nets: Vec<i128> = quote
        .lines
        .iter()
        .map(|line| i128::from(line.net.fen().max(0)))
        .collect();
    let net_sum: i128 = nets.iter().sum();
    let shares = largest_remainder(i128::from(eligible), &nets, net_sum);
    let overflow = || RuleError::overflow("points");
    let mut raw_points = Vec::with_capacity(shares.len());
    let mut raw_total = Decimal::ZERO;
    for (share, rate) in shares.iter().zip(&plan.line_rates) {
        let share = Decimal::from_i128_with_scale(*share, 2);
        let raw = share.checked_mul(*rate).ok_or_else(overflow)?;
        raw_total = raw_total.checked_add(raw).ok_or_else(overflow)?;
        raw_points.push(raw);
    }
    let strategy = match rule.rounding {
        PointsRounding::Down => RoundingStrategy::ToZero,
        PointsRounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
    };
    let uncapped = raw_total
        .round_dp_with_strategy(0, strategy)
        .to_i64()
        .ok_or_else(overflow)?;
    let points = match rule.per_sale_points_max {
        Some(max) => uncapped.min(max),
        None => uncapped,
    };
    let line_points = largest_remainder_decimal(points, &raw_points);
    let lines = (0..shares.len())
        .map(|index| LinePoints {
            line: index,
            eligible: Money(i64::try_from(shares[index]).unwrap_or(0)),
            points_per_yuan: plan.line_rates[index],
            points: line_points[index],
        })
        .collect();
    let mut applied_rule_ids = vec![rule.header.id.clone()];
    applied_rule_ids.extend(plan.multiplier_ids.iter().cloned());
    Ok(PointsEarned {
        rule_id: Some(rule.header.id.clone()),
        eligible: Money(eligible),
        uncapped,
        points,
        capped: points < uncapped,
        lines,
        applied_rule_ids,
    })
}

/// Refuses a quote that was not made from this cart and rule set.
fn check_quote_matches(quote: &Quote, cart: &Cart, rules: &RuleSet) -> Result<(), RuleError> {
    if quote.rules_version != rules.version {
        return Err(RuleError::new(
            "quote.rules_version",
            RuleErrorKind::Mismatch,
        ));
    }
    if quote.store_id != cart.store_id {
        return Err(RuleError::new("quote.store_id", RuleErrorKind::Mismatch));
    }
    if quote.lines.len() != cart.lines.len() {
        return Err(RuleError::new("quote.lines", RuleErrorKind::Mismatch));
    }
    for (index, (quoted, line)) in quote.lines.iter().zip(&cart.lines).enumerate() {
        if quoted.item_id != line.item_id || quoted.quantity != line.quantity {
            return Err(RuleError::new(
                format!("quote.lines[{index}]"),
                RuleErrorKind::Mismatch,
            ));
        }
    }
    let nets: i128 = quote
        .lines
        .iter()
        .map(|line| i128::from(line.net.fen()))
        .sum();
    let totals = &quote.totals;
    if nets != i128::from(totals.net.fen())
        || totals.amount_due.fen() < 0
        || totals.amount_due.fen() > totals.net.fen()
    {
        return Err(RuleError::new("quote.totals", RuleErrorKind::Mismatch));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{
        cart, date, earn_rule, header, line, member, multiplier, paid_other, wednesday_morning,
        OTHER_STORE, STORE,
    };
    use crate::rules::{
        price, BirthdayScope, ItemSet, LocalDate, LocalDateTime, MonthDay, RoundingMode,
        RoundingRule, TimeWindow, Weekday,
    };

    fn rules_with(rule: EarnRule) -> RuleSet {
        RuleSet {
            earn_rules: vec![rule],
            ..RuleSet::default()
        }
    }

    /// Prices the cart and earns on it, paid as given.
    fn earn_paid(
        cart: &Cart,
        member: Option<&MemberContext>,
        rules: &RuleSet,
        now: LocalDateTime,
        paid: impl Fn(Money) -> PaidBreakdown,
    ) -> PointsEarned {
        let quote = price(cart, member, rules, now).expect("a valid cart");
        let paid = paid(quote.totals.amount_due);
        points_to_earn(&quote, &paid, member, rules, cart, now).expect("valid payment")
    }

    /// Earns on a cart paid entirely in cash on Wednesday morning.
    fn earn(cart: &Cart, member: Option<&MemberContext>, rules: &RuleSet) -> PointsEarned {
        earn_paid(cart, member, rules, wednesday_morning(), paid_other)
    }

    fn birthday_member(month: u8, day: u8) -> MemberContext {
        MemberContext {
            birthday: Some(MonthDay { month, day }),
            ..member(10_000)
        }
    }

    /// 1 point per 元 on ¥94.91 paid earns 94 points (rounded down per sale); after 抹零
    /// to 元 the ¥94.00 paid earns 94.
    #[test]
    fn one_point_per_yuan_rounds_down_per_sale() {
        let gold = member(9_500);
        let tea = cart(vec![line("tea", 1, 9_990)]);
        let mut rules = rules_with(earn_rule("base"));
        let earned = earn(&tea, Some(&gold), &rules);
        assert_eq!(earned.eligible, Money(9_491));
        assert_eq!(earned.points, 94);
        assert_eq!(earned.rule_id.as_deref(), Some("base"));
        rules.rounding_rules = vec![RoundingRule {
            header: header("mo-ling"),
            mode: RoundingMode::Yuan,
        }];
        let earned = earn(&tea, Some(&gold), &rules);
        assert_eq!(earned.eligible, Money(9_400));
        assert_eq!(earned.points, 94);
    }

    /// At 1.5 points per 元, ¥10.34 is 15.51 points: 15 rounding down, 16 rounding half up.
    #[test]
    fn the_rule_may_round_half_up() {
        let mut rule = earn_rule("base");
        rule.points_per_yuan = Decimal::new(15, 1);
        let snack = cart(vec![line("snack", 1, 1_034)]);
        let down = earn(&snack, Some(&member(10_000)), &rules_with(rule.clone()));
        assert_eq!(down.points, 15);
        rule.rounding = PointsRounding::HalfUp;
        let half_up = earn(&snack, Some(&member(10_000)), &rules_with(rule));
        assert_eq!(half_up.points, 16);
    }

    /// 生日双倍 with a 500-point cap: ¥300 on the birthday is 600 points, capped to 500;
    /// a month-scoped multiplier holds all month; a day before, ×1.
    #[test]
    fn birthday_double_points_with_a_cap() {
        let birthday = |scope| {
            let mut rule = earn_rule("base");
            rule.per_sale_points_max = Some(500);
            rule.multipliers = vec![multiplier(
                "birthday",
                Decimal::TWO,
                MultiplierCondition::Birthday { scope },
            )];
            rules_with(rule)
        };
        let shopping = cart(vec![line("coat", 1, 30_000)]);
        let on_the_day = earn(
            &shopping,
            Some(&birthday_member(6, 11)),
            &birthday(BirthdayScope::Day),
        );
        assert_eq!(on_the_day.uncapped, 600);
        assert_eq!(on_the_day.points, 500);
        assert!(on_the_day.capped);
        assert_eq!(
            on_the_day.applied_rule_ids,
            vec!["base".to_owned(), "birthday".to_owned()]
        );
        let in_the_month = earn(
            &shopping,
            Some(&birthday_member(6, 30)),
            &birthday(BirthdayScope::Month),
        );
        assert_eq!(in_the_month.points, 500);
        let not_today = earn(
            &shopping,
            Some(&birthday_member(6, 12)),
            &birthday(BirthdayScope::Day),
        );
        assert_eq!(not_today.points, 300);
        assert!(!not_today.capped);
        assert_eq!(not_today.applied_rule_ids, vec!["base".to_owned()]);
        let no_birthday = earn(
            &shopping,
            Some(&member(10_000)),
            &birthday(BirthdayScope::Month),
        );
        assert_eq!(no_birthday.points, 300);
    }

    /// On ¥94.00 paid half with points, 47 points are earned; when the rule includes the
    /// points part, 94. Bonus and gift-card money earn nothing by default.
    #[test]
    fn points_bonus_and_gift_cards_earn_nothing_by_default() {
        let gold = member(10_000);
        let tea = cart(vec![line("tea", 1, 9_400)]);
        let half_points = |due: Money| PaidBreakdown {
            points: Money(4_700),
            other: Money(due.fen() - 4_700),
            ..PaidBreakdown::default()
        };
        let now = wednesday_morning();
        let mut rule = earn_rule("base");
        let earned = earn_paid(
            &tea,
            Some(&gold),
            &rules_with(rule.clone()),
            now,
            half_points,
        );
        assert_eq!(earned.points, 47);
        rule.earn_on_points_payment = true;
        let earned = earn_paid(&tea, Some(&gold), &rules_with(rule), now, half_points);
        assert_eq!(earned.points, 94);

        let mixed = |_| PaidBreakdown {
            points: Money::ZERO,
            stored_value_bonus: Money(2_000),
            gift_card: Money(1_000),
            other: Money(6_400),
        };
        let earned = earn_paid(
            &tea,
            Some(&gold),
            &rules_with(earn_rule("base")),
            now,
            mixed,
        );
        assert_eq!(earned.eligible, Money(6_400));
        assert_eq!(earned.points, 64);

        let all_points = |due| PaidBreakdown {
            points: due,
            ..PaidBreakdown::default()
        };
        let earned = earn_paid(
            &tea,
            Some(&gold),
            &rules_with(earn_rule("base")),
            now,
            all_points,
        );
        assert_eq!(earned.points, 0);
    }

    /// Cigarettes (no points) and milk at ¥50.00 each, ¥100.00 paid: the payment is split
    /// ¥50/¥50 and only the milk's half earns, 50 points.
    #[test]
    fn lines_that_earn_nothing_keep_their_share_of_the_payment() {
        let mut cigarettes = line("cigarettes", 1, 5_000);
        cigarettes.earns_points = false;
        let basket = cart(vec![cigarettes, line("milk", 1, 5_000)]);
        let earned = earn(
            &basket,
            Some(&member(10_000)),
            &rules_with(earn_rule("base")),
        );
        assert_eq!(earned.points, 50);
        assert_eq!(earned.lines[0].eligible, Money(5_000));
        assert_eq!(earned.lines[0].points, 0);
        assert_eq!(earned.lines[0].points_per_yuan, Decimal::ZERO);
        assert_eq!(earned.lines[1].points, 50);
    }

    /// Multipliers stack by multiplication: this store ×2, birthday ×2 and a ×1.5 level
    /// make ¥10.00 earn 60 points; another store's multiplier does nothing here.
    #[test]
    fn multipliers_stack_by_multiplication() {
        let mut here = multiplier("this-store", Decimal::TWO, MultiplierCondition::Always);
        here.header.stores = vec![STORE];
        let mut there = multiplier("other-store", Decimal::TEN, MultiplierCondition::Always);
        there.header.stores = vec![OTHER_STORE];
        let birthday = multiplier(
            "birthday",
            Decimal::TWO,
            MultiplierCondition::Birthday {
                scope: BirthdayScope::Day,
            },
        );
        let mut rule = earn_rule("base");
        rule.multipliers = vec![here, there, birthday];
        let vip = MemberContext {
            level_points_multiplier_bp: 15_000,
            ..birthday_member(6, 11)
        };
        let earned = earn(
            &cart(vec![line("wine", 1, 1_000)]),
            Some(&vip),
            &rules_with(rule),
        );
        assert_eq!(earned.lines[0].points_per_yuan, Decimal::from(6));
        assert_eq!(earned.points, 60);
        assert_eq!(
            earned.applied_rule_ids,
            vec![
                "base".to_owned(),
                "this-store".to_owned(),
                "birthday".to_owned()
            ]
        );
    }

    /// A ×3 rule on the category "food" triples yoghurt filed under food › dairy, not soap.
    #[test]
    fn category_multipliers_reach_child_categories() {
        let mut rule = earn_rule("base");
        rule.multipliers = vec![multiplier(
            "food",
            Decimal::from(3),
            MultiplierCondition::Items {
                items: ItemSet {
                    item_ids: Vec::new(),
                    category_ids: vec!["food".to_owned()],
                },
            },
        )];
        let mut yoghurt = line("yoghurt", 1, 1_000);
        yoghurt.category_path = vec!["food".to_owned(), "dairy".to_owned()];
        let soap = line("soap", 1, 1_000);
        let earned = earn(
            &cart(vec![yoghurt, soap]),
            Some(&member(10_000)),
            &rules_with(rule),
        );
        assert_eq!(earned.lines[0].points, 30);
        assert_eq!(earned.lines[1].points, 10);
        assert_eq!(earned.points, 40);
    }

    /// 特惠时段 Wednesdays 09:00–11:00 double points: at 10:00 on a Wednesday ¥10.00 earns
    /// 20; at 11:00 or on a Thursday, 10.
    #[test]
    fn time_windows_by_weekday_and_minute() {
        let mut rule = earn_rule("base");
        rule.multipliers = vec![multiplier(
            "morning",
            Decimal::TWO,
            MultiplierCondition::TimeWindow {
                window: TimeWindow {
                    weekdays: vec![Weekday::Wednesday],
                    from_minute: 540,
                    to_minute: 660,
                },
            },
        )];
        let rules = rules_with(rule);
        let bread = cart(vec![line("bread", 1, 1_000)]);
        let gold = member(10_000);
        let at = |date: LocalDate, minute| {
            earn_paid(
                &bread,
                Some(&gold),
                &rules,
                LocalDateTime::new(date, minute),
                paid_other,
            )
            .points
        };
        assert_eq!(at(date(2025, 6, 11), 600), 20);
        assert_eq!(at(date(2025, 6, 11), 540), 20);
        assert_eq!(at(date(2025, 6, 11), 660), 10);
        assert_eq!(at(date(2025, 6, 12), 600), 10);
    }

    /// 会员日 on the 11th of each month, 十一 every year and 店庆 on 2025-06-18 each double
    /// points; other days do not.
    #[test]
    fn member_days_and_holidays() {
        let mut rule = earn_rule("base");
        rule.multipliers = vec![multiplier(
            "member-days",
            Decimal::TWO,
            MultiplierCondition::MemberDays {
                days_of_month: vec![11],
                yearly: vec![MonthDay { month: 10, day: 1 }],
                dates: vec![date(2025, 6, 18)],
            },
        )];
        let rules = rules_with(rule);
        let bread = cart(vec![line("bread", 1, 1_000)]);
        let gold = member(10_000);
        let on = |date: LocalDate| {
            earn_paid(
                &bread,
                Some(&gold),
                &rules,
                LocalDateTime::new(date, 600),
                paid_other,
            )
            .points
        };
        assert_eq!(on(date(2025, 7, 11)), 20);
        assert_eq!(on(date(2026, 10, 1)), 20);
        assert_eq!(on(date(2025, 6, 18)), 20);
        assert_eq!(on(date(2026, 6, 18)), 10);
        assert_eq!(on(date(2025, 7, 12)), 10);
    }

    /// A capped total is spread over the lines by their points: 400 points capped to 200
    /// on ¥300 and ¥100 lines give 150 and 50.
    #[test]
    fn capped_points_are_spread_over_lines() {
        let mut rule = earn_rule("base");
        rule.per_sale_points_max = Some(200);
        let basket = cart(vec![line("coat", 1, 30_000), line("hat", 1, 10_000)]);
        let earned = earn(&basket, Some(&member(10_000)), &rules_with(rule));
        assert_eq!(earned.points, 200);
        assert_eq!(earned.lines[0].points, 150);
        assert_eq!(earned.lines[1].points, 50);
    }

    /// Walk-in customers earn nothing, and a sale with no earning rule in force neither.
    #[test]
    fn no_member_or_no_rule_earns_nothing() {
        let bread = cart(vec![line("bread", 1, 1_000)]);
        let walk_in = earn(&bread, None, &rules_with(earn_rule("base")));
        assert_eq!(walk_in.points, 0);
        assert_eq!(walk_in.rule_id, None);
        let mut gold_only = earn_rule("base");
        gold_only.header.levels = vec!["diamond".to_owned()];
        let none = earn(&bread, Some(&member(10_000)), &rules_with(gold_only));
        assert_eq!(none.points, 0);
    }

    /// A payment that does not add up to the amount due, a negative part, or a quote
    /// made from another cart is refused.
    #[test]
    fn mismatched_payments_and_quotes_are_refused() {
        let rules = rules_with(earn_rule("base"));
        let gold = member(10_000);
        let now = wednesday_morning();
        let bread = cart(vec![line("bread", 1, 1_000)]);
        let quote = price(&bread, Some(&gold), &rules, now).expect("valid");
        let short = paid_other(Money(999));
        assert_eq!(
            points_to_earn(&quote, &short, Some(&gold), &rules, &bread, now).map_err(|e| e.field),
            Err("paid".to_owned())
        );
        let negative = PaidBreakdown {
            points: Money(-1),
            other: Money(1_001),
            ..PaidBreakdown::default()
        };
        assert_eq!(
            points_to_earn(&quote, &negative, Some(&gold), &rules, &bread, now)
                .map_err(|e| e.field),
            Err("paid.points".to_owned())
        );
        let other_cart = cart(vec![line("milk", 1, 1_000)]);
        assert_eq!(
            points_to_earn(
                &quote,
                &paid_other(Money(1_000)),
                Some(&gold),
                &rules,
                &other_cart,
                now
            )
            .map_err(|e| e.field),
            Err("quote.lines[0]".to_owned())
        );
        let newer = RuleSet {
            version: 2,
            ..rules.clone()
        };
        assert_eq!(
            points_to_earn(
                &quote,
                &paid_other(Money(1_000)),
                Some(&gold),
                &newer,
                &bread,
                now
            )
            .map_err(|e| e.field),
            Err("quote.rules_version".to_owned())
        );
    }
}
