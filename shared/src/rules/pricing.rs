//! Pricing a cart: unit prices for the member, buy-X-get-Y, 抹零, and how much of the
//! amount due points may pay.
//!
//! Each line's price comes from exactly one source, in this order: the cashier's manual
//! discount; else the member price where it is lower than the level-discounted shelf
//! price; else the level discount. Buy-X-get-Y then gives whole units away at that price.
//! Discounts are rounded per unit, so the receipt's unit price × quantity is the line
//! amount a customer can check.

use super::calendar::LocalDateTime;
use super::cart::{Cart, CartLine, ManualDiscount, MemberContext};
use super::data::{BuyGetReward, BuyGetRule, PointsPaymentRule, RoundingMode, RuleSet};
use super::earning::{earn_plan, EarnTerms};
use super::error::{RuleError, RuleErrorKind};
use crate::ids::StoreId;
use crate::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a discount on a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    /// 会员价: the item's member price instead of the shelf price.
    MemberPrice,
    /// 等级折扣: the member level's discount on the shelf price.
    Level,
    /// 手工折扣: a price the cashier set, with permission.
    Manual,
    /// 买送: units given away by a buy-X-get-Y rule.
    BuyGet,
}

/// One discount on one line, as a positive amount off the line's gross.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineDiscount {
    pub kind: DiscountKind,
    pub amount: Money,
    /// The buy-X-get-Y rule that gave it, for the receipt.
    #[serde(default)]
    pub rule_id: Option<String>,
}

/// One priced line of the quote, in cart order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLine {
    pub item_id: String,
    pub quantity: i64,
    /// The shelf price of one unit.
    pub retail_unit_price: Money,
    /// The price of one unit after the member price, level or manual discount.
    pub unit_price: Money,
    /// Units given away by buy-X-get-Y.
    pub free_quantity: i64,
    /// Shelf price × quantity.
    pub gross: Money,
    pub discounts: Vec<LineDiscount>,
    /// Gross less the discounts: what the line costs before 抹零.
    pub net: Money,
    pub earns_points: bool,
    /// Points per 元 paid on this line after every multiplier; zero if it earns none.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub points_per_yuan: Decimal,
}

/// Discount totals by kind, each a positive amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscountsByKind {
    pub member_price: Money,
    pub level: Money,
    pub manual: Money,
    pub buy_get: Money,
}

impl DiscountsByKind {
    fn add(&mut self, kind: DiscountKind, amount: Money) -> Option<()> {
        let slot = match kind {
            DiscountKind::MemberPrice => &mut self.member_price,
            DiscountKind::Level => &mut self.level,
            DiscountKind::Manual => &mut self.manual,
            DiscountKind::BuyGet => &mut self.buy_get,
        };
        *slot = slot.checked_add(amount)?;
        Some(())
    }

    /// All line discounts together.
    pub fn total(&self) -> Money {
        Money(self.member_price.0 + self.level.0 + self.manual.0 + self.buy_get.0)
    }
}

/// The sale's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteTotals {
    pub gross: Money,
    pub discounts: DiscountsByKind,
    /// Gross less discounts; the sum of the line nets.
    pub net: Money,
    /// 抹零: the positive amount dropped from `net`, printed as a minus line.
    pub rounding: Money,
    /// What the customer owes: `net - rounding`.
    pub amount_due: Money,
}

/// The points-payment (积分抵扣) terms in force for this sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsPaymentTerms {
    pub rule_id: String,
    /// Points worth 1 元.
    pub points_per_yuan: i64,
    pub min_points: i64,
    /// Points must be a multiple of this, so that they are worth whole 分.
    pub points_step: i64,
    /// What `points_step` points are worth.
    pub step_value: Money,
}

/// The result of pricing a cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    pub store_id: StoreId,
    /// The rule set version used, to record with the sale.
    pub rules_version: i64,
    pub lines: Vec<QuoteLine>,
    pub totals: QuoteTotals,
    pub rounding_mode: RoundingMode,
    /// Points-payment terms; none for non-members or when no rule applies.
    pub points_payment: Option<PointsPaymentTerms>,
    /// The most points the rule lets pay for this sale (before the member's balance).
    pub max_points_usable: i64,
    /// What `max_points_usable` points are worth.
    pub max_points_value: Money,
    /// The earning rule in force; none when the sale earns no points.
    pub earning: Option<EarnTerms>,
    /// Every rule that took effect, for the receipt and the audit trail.
    pub applied_rule_ids: Vec<String>,
}

/// Prices a cart for a member (or a walk-in customer) under a rule set at a local time.
pub fn price(
    cart: &Cart,
    member: Option<&MemberContext>,
    rules: &RuleSet,
    now: LocalDateTime,
) -> Result<Quote, RuleError> {
    cart.check()?;
    if let Some(member) = member {
        member.check("member")?;
    }
    rules.check()?;
    now.check("now")?;
    let level = member.map(|member| member.level_id.as_str());
    let applies = |header: &super::data::RuleHeader| header.applies(cart.store_id, level, now.date);
    let mut applied_rule_ids = Vec::new();

    let mut lines = Vec::with_capacity(cart.lines.len());
    for (index, line) in cart.lines.iter().enumerate() {
        lines.push(price_line(line, member, &format!("lines[{index}]"))?);
    }

    let mut claimed = vec![false; cart.lines.len()];
    for rule in rules
        .buy_get_rules
        .iter()
        .filter(|rule| applies(&rule.header))
    {
        if apply_buy_get(rule, cart, &mut lines, &mut claimed)? {
            applied_rule_ids.push(rule.header.id.clone());
        }
    }

    let mut totals = QuoteTotals::default();
    for (index, line) in lines.iter_mut().enumerate() {
        let overflow = || RuleError::overflow(format!("lines[{index}]"));
        let mut discounted = Money::ZERO;
        for discount in &line.discounts {
            discounted = discounted
                .checked_add(discount.amount)
                .ok_or_else(overflow)?;
            totals
                .discounts
                .add(discount.kind, discount.amount)
                .ok_or_else(|| RuleError::overflow("lines"))?;
        }
        line.net = line.gross.checked_sub(discounted).ok_or_else(overflow)?;
        totals.gross = totals
            .gross
            .checked_add(line.gross)
            .ok_or_else(|| RuleError::overflow("lines"))?;
        totals.net = totals
            .net
            .checked_add(line.net)
            .ok_or_else(|| RuleError::overflow("lines"))?;
    }

    let rounding_rule = rules
        .rounding_rules
        .iter()
        .find(|rule| applies(&rule.header));
    let rounding_mode = rounding_rule.map_or(RoundingMode::None, |rule| rule.mode);
    if let Some(rule) = rounding_rule {
        applied_rule_ids.push(rule.header.id.clone());
    }
    totals.rounding = Money(totals.net.fen().rem_euclid(rounding_mode.unit_fen()));
    totals.amount_due = Money(totals.net.fen() - totals.rounding.fen());

    let mut points_payment = None;
    let mut max_points_usable = 0;
    let mut max_points_value = Money::ZERO;
    if member.is_some() {
        let found = rules
            .points_payment_rules
            .iter()
            .enumerate()
            .find(|(_, rule)| applies(&rule.header));
        if let Some((index, rule)) = found {
            let field = format!("points_payment_rules[{index}]");
            let (terms, points, value) = points_payment_limit(rule, totals.amount_due, &field)?;
            applied_rule_ids.push(rule.header.id.clone());
            points_payment = Some(terms);
            max_points_usable = points;
            max_points_value = value;
        }
    }

    let plan = earn_plan(cart, member, rules, now)?;
    let earning = plan.as_ref().map(|plan| {
        applied_rule_ids.push(plan.rule.header.id.clone());
        applied_rule_ids.extend(plan.multiplier_ids.iter().cloned());
        plan.terms()
    });
    if let Some(plan) = &plan {
        for (line, rate) in lines.iter_mut().zip(&plan.line_rates) {
            line.points_per_yuan = *rate;
        }
    }

    Ok(Quote {
        store_id: cart.store_id,
        rules_version: rules.version,
        lines,
        totals,
        rounding_mode,
        points_payment,
        max_points_usable,
        max_points_value,
        earning,
        applied_rule_ids,
    })
}

/// The price of one unit at `payable_bp` of `price`, rounded half up to the 分.
fn rate_price(price: Money, payable_bp: u32, field: &str) -> Result<Money, RuleError> {
    Money::from_yuan_rounded(price.to_yuan() * Decimal::new(i64::from(payable_bp), 4))
        .map_err(|_| RuleError::overflow(field))
}

/// Prices one line before buy-X-get-Y: one source of discount at most.
fn price_line(
    line: &CartLine,
    member: Option<&MemberContext>,
    field: &str,
) -> Result<QuoteLine, RuleError> {
    let retail = line.unit_price;
    let (unit_price, kind) = match (line.manual_discount, member) {
        (Some(ManualDiscount::UnitPrice { unit_price }), _) => (unit_price, DiscountKind::Manual),
        (Some(ManualDiscount::Rate { payable_bp }), _) => (
            rate_price(retail, payable_bp, &format!("{field}.unit_price"))?,
            DiscountKind::Manual,
        ),
        (None, Some(member)) => {
            let level_price = rate_price(
                retail,
                member.level_discount_bp,
                &format!("{field}.unit_price"),
            )?;
            match line.member_price {
                Some(member_price) if member.member_prices && member_price < level_price => {
                    (member_price, DiscountKind::MemberPrice)
                }
                _ => (level_price, DiscountKind::Level),
            }
        }
        (None, None) => (retail, DiscountKind::Level),
    };
    let multiply = |unit: Money| {
        unit.fen()
            .checked_mul(line.quantity)
            .map(Money)
            .ok_or_else(|| RuleError::overflow(format!("{field}.quantity")))
    };
    let gross = multiply(retail)?;
    let discounted = multiply(unit_price)?;
    let amount = Money(gross.fen() - discounted.fen());
    let discounts = if amount.fen() > 0 {
        vec![LineDiscount {
            kind,
            amount,
            rule_id: None,
        }]
    } else {
        Vec::new()
    };
    Ok(QuoteLine {
        item_id: line.item_id.clone(),
        quantity: line.quantity,
        retail_unit_price: retail,
        unit_price,
        free_quantity: 0,
        gross,
        discounts,
        net: discounted,
        earns_points: line.earns_points,
        points_per_yuan: Decimal::ZERO,
    })
}

/// Applies one buy-X-get-Y rule to the lines no earlier rule claimed. Manually priced
/// lines take no part. Returns whether any unit was given away.
fn apply_buy_get(
    rule: &BuyGetRule,
    cart: &Cart,
    lines: &mut [QuoteLine],
    claimed: &mut [bool],
) -> Result<bool, RuleError> {
    let open = |index: usize| !claimed[index] && cart.lines[index].manual_discount.is_none();
    let in_set = |line: &CartLine| line.is_in(&rule.buy.item_ids, &rule.buy.category_ids);
    let buy = rule.buy_quantity;
    let free_each = rule.free_quantity;

    let (free_units, reward_lines, taking_part): (i64, Vec<usize>, Vec<usize>) = match &rule.reward
    {
        BuyGetReward::Cheapest => {
            let qualifying: Vec<usize> = (0..lines.len())
                .filter(|&index| open(index) && in_set(&cart.lines[index]))
                .collect();
            let units: i64 = qualifying.iter().map(|&index| lines[index].quantity).sum();
            let free = units / (buy + free_each) * free_each;
            (free, qualifying.clone(), qualifying)
        }
        BuyGetReward::Item { item_id } => {
            let reward: Vec<usize> = (0..lines.len())
                .filter(|&index| open(index) && &cart.lines[index].item_id == item_id)
                .collect();
            let bought: Vec<usize> = (0..lines.len())
                .filter(|&index| {
                    open(index) && in_set(&cart.lines[index]) && !reward.contains(&index)
                })
                .collect();
            let bought_units: i64 = bought.iter().map(|&index| lines[index].quantity).sum();
            let reward_units: i64 = reward.iter().map(|&index| lines[index].quantity).sum();
            let reward_counts = reward.iter().any(|&index| in_set(&cart.lines[index]));
            // When the free item itself counts towards the purchase, each multiple needs
            // X + Y units in all; otherwise X bought units earn Y of the item.
            let multiples = if reward_counts {
                (bought_units + reward_units) / (buy + free_each)
            } else {
                bought_units / buy
            };
            let free = (multiples * free_each).min(reward_units);
            let mut taking_part = bought;
            taking_part.extend(reward.iter().copied());
            (free, reward, taking_part)
        }
    };
    if free_units <= 0 {
        return Ok(false);
    }

    // The cheapest units go first; equal prices in cart order.
    let mut order = reward_lines;
    order.sort_by_key(|&index| (lines[index].unit_price, index));
    let mut left = free_units;
    for index in order {
        if left == 0 {
            break;
        }
        let line = &mut lines[index];
        let free = left.min(line.quantity);
        left -= free;
        line.free_quantity = free;
        let amount = line
            .unit_price
            .fen()
            .checked_mul(free)
            .map(Money)
            .ok_or_else(|| RuleError::overflow(format!("lines[{index}].quantity")))?;
        if amount.fen() > 0 {
            line.discounts.push(LineDiscount {
                kind: DiscountKind::BuyGet,
                amount,
                rule_id: Some(rule.header.id.clone()),
            });
        }
    }
    for index in taking_part {
        claimed[index] = true;
    }
    Ok(true)
}

/// The points-payment terms and the most points usable on `amount_due`: at most the
/// rule's share of the amount, in whole steps worth whole 分, and nothing if that is
/// below the minimum.
fn points_payment_limit(
    rule: &PointsPaymentRule,
    amount_due: Money,
    field: &str,
) -> Result<(PointsPaymentTerms, i64, Money), RuleError> {
    let per_yuan = rule.points_per_yuan;
    let common = greatest_common_divisor(per_yuan, 100);
    let points_step = per_yuan / common;
    let step_fen = 100 / common;
    let share_fen = i128::from(amount_due.fen().max(0)) * i128::from(rule.max_share_bp)
        / i128::from(super::BASIS_POINTS_FULL);
    let steps = share_fen / i128::from(step_fen);
    let overflow = || RuleError::overflow(format!("{field}.points_per_yuan"));
    let mut points = i64::try_from(steps * i128::from(points_step)).map_err(|_| overflow())?;
    let mut value = i64::try_from(steps * i128::from(step_fen)).map_err(|_| overflow())?;
    if points < rule.min_points {
        points = 0;
        value = 0;
    }
    let terms = PointsPaymentTerms {
        rule_id: rule.header.id.clone(),
        points_per_yuan: per_yuan,
        min_points: rule.min_points,
        points_step,
        step_value: Money(step_fen),
    };
    Ok((terms, points, Money(value)))
}

fn greatest_common_divisor(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs().max(1)
}

/// Checks the points a member chose to pay with and returns what they are worth. The
/// counter calls it before taking the payment and the server again when recording it.
pub fn check_points_payment(quote: &Quote, points: i64, balance: i64) -> Result<Money, RuleError> {
    if points < 0 {
        return Err(RuleError::new("points", RuleErrorKind::Negative));
    }
    if points == 0 {
        return Ok(Money::ZERO);
    }
    // No points-payment rule applies to this sale: switched off, expired or not yet
    // started, or not for this store or level.
    let Some(terms) = &quote.points_payment else {
        return Err(RuleError::new("points", RuleErrorKind::NoRuleInForce));
    };
    if points < terms.min_points {
        return Err(RuleError::new("points", RuleErrorKind::BelowMinimum));
    }
    if points > quote.max_points_usable || points > balance {
        return Err(RuleError::new("points", RuleErrorKind::AboveMaximum));
    }
    if points % terms.points_step != 0 {
        return Err(RuleError::new("points", RuleErrorKind::NotWholeFen));
    }
    (points / terms.points_step)
        .checked_mul(terms.step_value.fen())
        .map(Money)
        .ok_or_else(|| RuleError::overflow("points"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::MONEY_FEN_MAX;
    use crate::rules::fixtures::{buy_get, cart, header, line, member, wednesday_morning};
    use crate::rules::{RoundingRule, CART_LINES_MAX};

    fn quote(cart: &Cart, member: Option<&MemberContext>, rules: &RuleSet) -> Quote {
        price(cart, member, rules, wednesday_morning()).expect("a valid cart")
    }

    fn refused(cart: &Cart, member: Option<&MemberContext>, rules: &RuleSet) -> RuleError {
        price(cart, member, rules, wednesday_morning()).expect_err("an invalid cart")
    }

    fn rounding(mode: RoundingMode) -> RuleSet {
        RuleSet {
            rounding_rules: vec![RoundingRule {
                header: header("mo-ling"),
                mode,
            }],
            ..RuleSet::default()
        }
    }

    fn points_payment(
        points_per_yuan: i64,
        max_share_bp: u32,
        min_points: i64,
    ) -> PointsPaymentRule {
        PointsPaymentRule {
            header: header("points-pay"),
            points_per_yuan,
            max_share_bp,
            min_points,
        }
    }

    /// ¥99.90 at 95折 is ¥94.91 (94.905 rounds half up), shown as a ¥4.99 level discount;
    /// three of them are 3 × ¥94.91, the unit price the receipt prints.
    #[test]
    fn level_discount_rounds_half_up_per_unit() {
        let gold = member(9_500);
        let one = quote(
            &cart(vec![line("tea", 1, 9_990)]),
            Some(&gold),
            &RuleSet::default(),
        );
        let tea = &one.lines[0];
        assert_eq!(tea.unit_price, Money(9_491));
        assert_eq!(
            tea.discounts,
            vec![LineDiscount {
                kind: DiscountKind::Level,
                amount: Money(499),
                rule_id: None
            }]
        );
        assert_eq!(tea.net, Money(9_491));
        assert_eq!(one.totals.discounts.level, Money(499));
        assert_eq!(one.totals.amount_due, Money(9_491));

        let three = quote(
            &cart(vec![line("tea", 3, 9_990)]),
            Some(&gold),
            &RuleSet::default(),
        );
        assert_eq!(three.totals.gross, Money(29_970));
        assert_eq!(three.totals.net, Money(28_473));
        assert_eq!(three.totals.discounts.level, Money(1_497));
    }

    /// A walk-in customer pays the shelf price; nothing is discounted.
    #[test]
    fn non_members_pay_the_shelf_price() {
        let mut milk = line("milk", 2, 1_000);
        milk.member_price = Some(Money(800));
        let walk_in = quote(&cart(vec![milk]), None, &RuleSet::default());
        assert_eq!(walk_in.lines[0].unit_price, Money(1_000));
        assert!(walk_in.lines[0].discounts.is_empty());
        assert_eq!(walk_in.totals.amount_due, Money(2_000));
        assert_eq!(walk_in.max_points_usable, 0);
        assert!(walk_in.earning.is_none());
    }

    /// The member price (¥9.00) beats 95折 of ¥10.00 (¥9.50) and is used alone; a member
    /// price of ¥9.80 loses to ¥9.50; a level without member prices gets the discount.
    #[test]
    fn member_price_or_level_discount_never_both() {
        let gold = member(9_500);
        let mut cheap = line("rice", 2, 1_000);
        cheap.member_price = Some(Money(900));
        let mut dear = line("oil", 1, 1_000);
        dear.member_price = Some(Money(980));
        let result = quote(
            &cart(vec![cheap.clone(), dear]),
            Some(&gold),
            &RuleSet::default(),
        );
        assert_eq!(result.lines[0].unit_price, Money(900));
        assert_eq!(result.lines[0].discounts.len(), 1);
        assert_eq!(result.lines[0].discounts[0].kind, DiscountKind::MemberPrice);
        assert_eq!(result.lines[0].discounts[0].amount, Money(200));
        assert_eq!(result.lines[1].unit_price, Money(950));
        assert_eq!(result.lines[1].discounts[0].kind, DiscountKind::Level);
        assert_eq!(result.totals.discounts.member_price, Money(200));
        assert_eq!(result.totals.discounts.level, Money(50));

        let mut no_member_prices = gold.clone();
        no_member_prices.member_prices = false;
        let result = quote(
            &cart(vec![cheap]),
            Some(&no_member_prices),
            &RuleSet::default(),
        );
        assert_eq!(result.lines[0].unit_price, Money(950));
    }

    /// A cashier's 88折 on ¥10.00 (¥8.80) or new price of ¥7.00 replaces the member's
    /// 95折, and is marked manual.
    #[test]
    fn manual_discounts_replace_level_pricing() {
        let gold = member(9_500);
        let mut rate = line("fish", 1, 1_000);
        rate.manual_discount = Some(ManualDiscount::Rate { payable_bp: 8_800 });
        let mut new_price = line("meat", 2, 1_000);
        new_price.manual_discount = Some(ManualDiscount::UnitPrice {
            unit_price: Money(700),
        });
        let result = quote(
            &cart(vec![rate, new_price]),
            Some(&gold),
            &RuleSet::default(),
        );
        assert_eq!(result.lines[0].unit_price, Money(880));
        assert_eq!(result.lines[1].unit_price, Money(700));
        assert_eq!(result.totals.discounts.manual, Money(120 + 600));
        assert_eq!(result.totals.discounts.level, Money::ZERO);
        assert!(result.lines.iter().all(|line| line
            .discounts
            .iter()
            .all(|d| d.kind == DiscountKind::Manual)));
    }

    /// 买二送一 on six colas at ¥3.00 gives two free, per multiple: ¥6.00 off ¥18.00.
    #[test]
    fn buy_two_get_one_free_per_multiple() {
        let rules = RuleSet {
            buy_get_rules: vec![buy_get("b2g1", &["cola"], 2, 1, BuyGetReward::Cheapest)],
            ..RuleSet::default()
        };
        let result = quote(&cart(vec![line("cola", 6, 300)]), None, &rules);
        let cola = &result.lines[0];
        assert_eq!(cola.free_quantity, 2);
        assert_eq!(
            cola.discounts,
            vec![LineDiscount {
                kind: DiscountKind::BuyGet,
                amount: Money(600),
                rule_id: Some("b2g1".to_owned())
            }]
        );
        assert_eq!(result.totals.amount_due, Money(1_200));
        assert_eq!(result.applied_rule_ids, vec!["b2g1".to_owned()]);

        // Five colas are one multiple and two more: still one free.
        let five = quote(&cart(vec![line("cola", 5, 300)]), None, &rules);
        assert_eq!(five.lines[0].free_quantity, 1);
        // Two colas are not a multiple: nothing free and the rule is not listed.
        let two = quote(&cart(vec![line("cola", 2, 300)]), None, &rules);
        assert_eq!(two.lines[0].free_quantity, 0);
        assert!(two.applied_rule_ids.is_empty());
    }

    /// Free units are valued at the price the member pays: 95折 colas give ¥2.85 each.
    #[test]
    fn free_units_are_worth_the_members_price() {
        let rules = RuleSet {
            buy_get_rules: vec![buy_get("b2g1", &["cola"], 2, 1, BuyGetReward::Cheapest)],
            ..RuleSet::default()
        };
        let result = quote(
            &cart(vec![line("cola", 6, 300)]),
            Some(&member(9_500)),
            &rules,
        );
        assert_eq!(result.totals.discounts.level, Money(90));
        assert_eq!(result.totals.discounts.buy_get, Money(570));
        assert_eq!(result.totals.amount_due, Money(1_140));
    }

    /// Across a set, the cheapest unit is free: two colas at ¥3.00 and a juice at ¥5.00
    /// under 买二送一 make one cola free.
    #[test]
    fn the_cheapest_unit_of_the_set_is_free() {
        let rules = RuleSet {
            buy_get_rules: vec![buy_get(
                "drinks",
                &["cola", "juice"],
                2,
                1,
                BuyGetReward::Cheapest,
            )],
            ..RuleSet::default()
        };
        let result = quote(
            &cart(vec![line("juice", 1, 500), line("cola", 2, 300)]),
            None,
            &rules,
        );
        assert_eq!(result.lines[0].free_quantity, 0);
        assert_eq!(result.lines[1].free_quantity, 1);
        assert_eq!(result.totals.discounts.buy_get, Money(300));
    }

    /// Buy two shampoos, get a conditioner: five shampoos earn two conditioners, but only
    /// the one in the cart is free. Naming the item bought (cola for cola) counts the
    /// free unit in each group of three.
    #[test]
    fn a_named_item_is_given_only_as_far_as_it_is_in_the_cart() {
        let named = |item: &str| BuyGetReward::Item {
            item_id: item.to_owned(),
        };
        let rules = RuleSet {
            buy_get_rules: vec![buy_get("shampoo", &["shampoo"], 2, 1, named("conditioner"))],
            ..RuleSet::default()
        };
        let result = quote(
            &cart(vec![
                line("shampoo", 5, 3_000),
                line("conditioner", 1, 2_500),
            ]),
            None,
            &rules,
        );
        assert_eq!(result.lines[0].free_quantity, 0);
        assert_eq!(result.lines[1].free_quantity, 1);
        assert_eq!(result.totals.discounts.buy_get, Money(2_500));

        let rules = RuleSet {
            buy_get_rules: vec![buy_get("cola", &["cola"], 2, 1, named("cola"))],
            ..RuleSet::default()
        };
        let result = quote(&cart(vec![line("cola", 6, 300)]), None, &rules);
        assert_eq!(result.lines[0].free_quantity, 2);
    }

    /// A line takes part in one buy-X-get-Y rule at most, lines a cashier priced by hand
    /// in none, and a rule for gold members gives nothing to walk-ins.
    #[test]
    fn buy_get_rules_do_not_stack_and_respect_scope() {
        let mut gold_only = buy_get("gold", &["cola"], 1, 1, BuyGetReward::Cheapest);
        gold_only.header.levels = vec!["gold".to_owned()];
        let rules = RuleSet {
            buy_get_rules: vec![
                gold_only,
                buy_get("everyone", &["cola"], 2, 1, BuyGetReward::Cheapest),
            ],
            ..RuleSet::default()
        };
        let colas = cart(vec![line("cola", 6, 300)]);
        let gold = quote(&colas, Some(&member(10_000)), &rules);
        assert_eq!(gold.lines[0].free_quantity, 3);
        assert_eq!(gold.applied_rule_ids, vec!["gold".to_owned()]);
        let walk_in = quote(&colas, None, &rules);
        assert_eq!(walk_in.lines[0].free_quantity, 2);
        assert_eq!(walk_in.applied_rule_ids, vec!["everyone".to_owned()]);

        let mut by_hand = line("cola", 6, 300);
        by_hand.manual_discount = Some(ManualDiscount::Rate { payable_bp: 9_000 });
        let manual = quote(&cart(vec![by_hand]), None, &rules);
        assert_eq!(manual.lines[0].free_quantity, 0);
    }

    /// A rule on a parent category reaches items in its child categories.
    #[test]
    fn category_rules_reach_child_categories() {
        let mut rule = buy_get("dairy", &[], 1, 1, BuyGetReward::Cheapest);
        rule.buy.category_ids = vec!["food".to_owned()];
        let rules = RuleSet {
            buy_get_rules: vec![rule],
            ..RuleSet::default()
        };
        let mut yoghurt = line("yoghurt", 2, 450);
        yoghurt.category_path = vec!["food".to_owned(), "dairy".to_owned()];
        let mut soap = line("soap", 2, 450);
        soap.category_path = vec!["household".to_owned()];
        let result = quote(&cart(vec![yoghurt, soap]), None, &rules);
        assert_eq!(result.lines[0].free_quantity, 1);
        assert_eq!(result.lines[1].free_quantity, 0);
    }

    /// 抹零 to 元 on ¥94.91 is ¥94.00 with a ¥0.91 rounding line; to 角 it is ¥94.90.
    #[test]
    fn rounding_of_the_amount_due_is_always_down() {
        let tea = cart(vec![line("tea", 1, 9_990)]);
        let gold = member(9_500);
        let yuan = quote(&tea, Some(&gold), &rounding(RoundingMode::Yuan));
        assert_eq!(yuan.totals.net, Money(9_491));
        assert_eq!(yuan.totals.rounding, Money(91));
        assert_eq!(yuan.totals.amount_due, Money(9_400));
        assert_eq!(yuan.rounding_mode, RoundingMode::Yuan);
        assert_eq!(yuan.applied_rule_ids, vec!["mo-ling".to_owned()]);
        let jiao = quote(&tea, Some(&gold), &rounding(RoundingMode::Jiao));
        assert_eq!(jiao.totals.rounding, Money(1));
        assert_eq!(jiao.totals.amount_due, Money(9_490));
        let none = quote(&tea, Some(&gold), &rounding(RoundingMode::None));
        assert_eq!(none.totals.amount_due, Money(9_491));
    }

    /// 100 points = ¥1, at most 50% of ¥94.00 due: 4,700 points worth ¥47.00; the member
    /// may use fewer, not more, and not more than the balance.
    #[test]
    fn points_pay_at_most_the_rules_share() {
        let mut rules = rounding(RoundingMode::Yuan);
        rules.points_payment_rules = vec![points_payment(100, 5_000, 0)];
        let result = quote(
            &cart(vec![line("tea", 1, 9_990)]),
            Some(&member(9_500)),
            &rules,
        );
        assert_eq!(result.totals.amount_due, Money(9_400));
        assert_eq!(result.max_points_usable, 4_700);
        assert_eq!(result.max_points_value, Money(4_700));
        assert_eq!(
            check_points_payment(&result, 4_700, 10_000),
            Ok(Money(4_700))
        );
        assert_eq!(
            check_points_payment(&result, 1_234, 10_000),
            Ok(Money(1_234))
        );
        assert_eq!(check_points_payment(&result, 0, 0), Ok(Money::ZERO));
        let kind =
            |points, balance| check_points_payment(&result, points, balance).map_err(|e| e.kind);
        assert_eq!(kind(4_701, 10_000), Err(RuleErrorKind::AboveMaximum));
        assert_eq!(kind(3_500, 3_000), Err(RuleErrorKind::AboveMaximum));
        assert_eq!(kind(-1, 3_000), Err(RuleErrorKind::Negative));
    }

    /// Points are used in whole 分 only: at 150 points = ¥1, 3 points are worth ¥0.02,
    /// so 31 points are refused and 30 are worth ¥0.20.
    #[test]
    fn points_pay_whole_fen_only() {
        let rules = RuleSet {
            points_payment_rules: vec![points_payment(150, 5_000, 0)],
            ..RuleSet::default()
        };
        let result = quote(
            &cart(vec![line("tea", 1, 9_400)]),
            Some(&member(10_000)),
            &rules,
        );
        // ¥47.00 is 2,350 steps of 3 points.
        assert_eq!(result.max_points_usable, 7_050);
        assert_eq!(result.max_points_value, Money(4_700));
        assert_eq!(check_points_payment(&result, 30, 10_000), Ok(Money(20)));
        assert_eq!(
            check_points_payment(&result, 31, 10_000).map_err(|e| e.kind),
            Err(RuleErrorKind::NotWholeFen)
        );
    }

    /// Below the minimum per use nothing is usable: a ¥10.00 sale allows 500 points when
    /// the minimum is 1,000.
    #[test]
    fn points_below_the_minimum_are_not_usable() {
        let rules = RuleSet {
            points_payment_rules: vec![points_payment(100, 5_000, 1_000)],
            ..RuleSet::default()
        };
        let small = quote(
            &cart(vec![line("tea", 1, 1_000)]),
            Some(&member(10_000)),
            &rules,
        );
        assert_eq!(small.max_points_usable, 0);
        assert_eq!(small.max_points_value, Money::ZERO);
        let large = quote(
            &cart(vec![line("tea", 1, 10_000)]),
            Some(&member(10_000)),
            &rules,
        );
        assert_eq!(large.max_points_usable, 5_000);
        assert_eq!(
            check_points_payment(&large, 999, 10_000).map_err(|e| e.kind),
            Err(RuleErrorKind::BelowMinimum)
        );
    }

    /// Bad carts are refused naming the field: a zero quantity on the third line, a
    /// negative price, too many lines, a manual price above the shelf price, a total that
    /// does not fit, and a time past midnight.
    #[test]
    fn bad_carts_name_the_field() {
        let rules = RuleSet::default();
        let mut lines = vec![line("a", 1, 100), line("b", 1, 100), line("c", 0, 100)];
        assert_eq!(
            refused(&cart(lines.clone()), None, &rules),
            RuleError::new("lines[2].quantity", RuleErrorKind::NotPositive)
        );
        lines[2].quantity = -3;
        assert_eq!(
            refused(&cart(lines.clone()), None, &rules).field,
            "lines[2].quantity"
        );
        lines[2].quantity = 1;
        lines[1].unit_price = Money(-1);
        assert_eq!(
            refused(&cart(lines.clone()), None, &rules),
            RuleError::new("lines[1].unit_price", RuleErrorKind::Negative)
        );
        lines[1].unit_price = Money(100);
        lines[0].manual_discount = Some(ManualDiscount::UnitPrice {
            unit_price: Money(101),
        });
        assert_eq!(
            refused(&cart(lines), None, &rules).field,
            "lines[0].manual_discount.unit_price"
        );

        let many = vec![line("a", 1, 100); CART_LINES_MAX + 1];
        assert_eq!(
            refused(&cart(many), None, &rules),
            RuleError::new("lines", RuleErrorKind::TooMany)
        );

        let huge = vec![line("gold-bar", 1_000_000, MONEY_FEN_MAX); 10];
        assert_eq!(
            refused(&cart(huge), None, &rules).kind,
            RuleErrorKind::Overflow
        );

        let mut bad_member = member(9_500);
        bad_member.level_discount_bp = 10_001;
        assert_eq!(
            refused(&cart(vec![line("a", 1, 100)]), Some(&bad_member), &rules).field,
            "member.level_discount_bp"
        );

        let late = LocalDateTime::new(wednesday_morning().date, 1_440);
        assert_eq!(
            price(&cart(vec![line("a", 1, 100)]), None, &rules, late).map_err(|e| e.field),
            Err("now.minute_of_day".to_owned())
        );
    }

    /// An empty cart is a zero quote, not an error: the counter prices as it scans.
    #[test]
    fn an_empty_cart_costs_nothing() {
        let result = quote(&cart(Vec::new()), Some(&member(9_500)), &RuleSet::default());
        assert_eq!(result.totals, QuoteTotals::default());
        assert!(result.lines.is_empty());
    }
}
