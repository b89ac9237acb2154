//! Properties of the engine over generated carts, members and rule sets: the things a
//! shop must be able to rely on whatever headquarters configures.

use super::fixtures::{date, header, STORE};
use super::*;
use crate::money::Money;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use rust_decimal::Decimal;

const ITEMS: [&str; 4] = ["cola", "juice", "bread", "soap"];
const CATEGORY_PATHS: [&[&str]; 4] = [&[], &["food"], &["food", "dairy"], &["home"]];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|text| (*text).to_owned()).collect()
}

fn manual_discount(unit_fen: i64) -> impl Strategy<Value = Option<ManualDiscount>> {
    prop_oneof![
        4 => Just(None),
        1 => (0..=10_000u32).prop_map(|payable_bp| Some(ManualDiscount::Rate { payable_bp })),
        1 => (0..=unit_fen).prop_map(|fen| Some(ManualDiscount::UnitPrice {
            unit_price: Money(fen)
        })),
    ]
}

fn cart_line() -> impl Strategy<Value = CartLine> {
    (
        0..ITEMS.len(),
        0..CATEGORY_PATHS.len(),
        1..=20i64,
        0..=50_000i64,
    )
        .prop_flat_map(|(item, path, quantity, unit_fen)| {
            (
                option::of(0..=60_000i64),
                any::<bool>(),
                manual_discount(unit_fen),
            )
                .prop_map(move |(member_fen, earns_points, manual_discount)| {
                    CartLine {
                        item_id: ITEMS[item].to_owned(),
                        category_path: strings(CATEGORY_PATHS[path]),
                        quantity,
                        unit_price: Money(unit_fen),
                        member_price: member_fen.map(Money),
                        earns_points,
                        manual_discount,
                    }
                })
        })
}

fn cart() -> impl Strategy<Value = Cart> {
    vec(cart_line(), 0..8).prop_map(|lines| Cart {
        store_id: STORE,
        lines,
    })
}

fn member() -> impl Strategy<Value = Option<MemberContext>> {
    option::of(
        (
            prop_oneof![Just("gold"), Just("silver")],
            5_000..=10_000u32,
            0..=30_000u32,
            option::of((1..=12u8, 1..=28u8)),
            any::<bool>(),
        )
            .prop_map(|(level, discount, multiplier, birthday, member_prices)| {
                MemberContext {
                    level_id: level.to_owned(),
                    level_name: level.to_owned(),
                    level_discount_bp: discount,
                    level_points_multiplier_bp: multiplier,
                    birthday: birthday.map(|(month, day)| MonthDay { month, day }),
                    member_prices,
                }
            }),
    )
}

/// A moment in June 2025.
fn now() -> impl Strategy<Value = LocalDateTime> {
    (1..=30u8, 0..MINUTES_PER_DAY)
        .prop_map(|(day, minute)| LocalDateTime::new(date(2025, 6, day), minute))
}

/// A rule header whose switch, dates and level scope vary; ids are set later.
fn rule_header() -> impl Strategy<Value = RuleHeader> {
    (
        prop::bool::weighted(0.8),
        option::of(1..=30u8),
        option::of(1..=30u8),
        prop_oneof![3 => Just(Vec::new()), 1 => Just(vec!["gold".to_owned()])],
    )
        .prop_map(|(enabled, from, length, levels)| {
            let valid_from = from.map(|day| date(2025, 6, day));
            let valid_to = length.map(|day| date(2025, 7, day));
            RuleHeader {
                enabled,
                valid_from,
                valid_to,
                levels,
                ..header("unset")
            }
        })
}

fn item_set() -> impl Strategy<Value = ItemSet> {
    (
        proptest::sample::subsequence(ITEMS.to_vec(), 1..=3),
        any::<bool>(),
    )
        .prop_map(|(items, food)| ItemSet {
            item_ids: strings(&items),
            category_ids: if food {
                vec!["food".to_owned()]
            } else {
                Vec::new()
            },
        })
}

fn buy_get_rule() -> impl Strategy<Value = BuyGetRule> {
    (
        rule_header(),
        item_set(),
        1..=4i64,
        1..=3i64,
        option::of(0..ITEMS.len()),
    )
        .prop_map(
            |(header, buy, buy_quantity, free_quantity, item)| BuyGetRule {
                header,
                buy,
                buy_quantity,
                free_quantity,
                reward: match item {
                    None => BuyGetReward::Cheapest,
                    Some(index) => BuyGetReward::Item {
                        item_id: ITEMS[index].to_owned(),
                    },
                },
            },
        )
}

fn multiplier_condition() -> impl Strategy<Value = MultiplierCondition> {
    prop_oneof![
        Just(MultiplierCondition::Always),
        item_set().prop_map(|items| MultiplierCondition::Items { items }),
        (0..1_200u16, 1..=240u16).prop_map(|(from, length)| MultiplierCondition::TimeWindow {
            window: TimeWindow {
                weekdays: vec![Weekday::Monday, Weekday::Wednesday, Weekday::Saturday],
                from_minute: from,
                to_minute: from + length,
            },
        }),
        prop_oneof![Just(BirthdayScope::Day), Just(BirthdayScope::Month)]
            .prop_map(|scope| MultiplierCondition::Birthday { scope }),
        vec(1..=31u8, 1..4).prop_map(|days_of_month| MultiplierCondition::MemberDays {
            days_of_month,
            yearly: vec![MonthDay { month: 6, day: 18 }],
            dates: Vec::new(),
        }),
    ]
}

fn earn_rule() -> impl Strategy<Value = EarnRule> {
    (
        rule_header(),
        0..=30i64,
        any::<bool>(),
        vec((rule_header(), 0..=50i64, multiplier_condition()), 0..4),
        option::of(0..=2_000i64),
        (any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(header, tenths, half_up, multipliers, cap, (on_points, on_bonus, on_gift))| {
                EarnRule {
                    header,
                    points_per_yuan: Decimal::new(tenths, 1),
                    rounding: if half_up {
                        PointsRounding::HalfUp
                    } else {
                        PointsRounding::Down
                    },
                    multipliers: multipliers
                        .into_iter()
                        .map(|(header, tenths, condition)| PointsMultiplier {
                            header,
                            factor: Decimal::new(tenths, 1),
                            condition,
                        })
                        .collect(),
                    per_sale_points_max: cap,
                    earn_on_points_payment: on_points,
                    earn_on_stored_value_bonus: on_bonus,
                    earn_on_gift_card: on_gift,
                }
            },
        )
}

fn points_payment_rule() -> impl Strategy<Value = PointsPaymentRule> {
    (
        rule_header(),
        prop_oneof![Just(100i64), Just(10), Just(150), Just(1), 1..=1_000i64],
        0..=10_000u32,
        0..=2_000i64,
    )
        .prop_map(
            |(header, points_per_yuan, max_share_bp, min_points)| PointsPaymentRule {
                header,
                points_per_yuan,
                max_share_bp,
                min_points,
            },
        )
}

fn rounding_rule() -> impl Strategy<Value = RoundingRule> {
    (
        rule_header(),
        prop_oneof![
            Just(RoundingMode::None),
            Just(RoundingMode::Jiao),
            Just(RoundingMode::Yuan)
        ],
    )
        .prop_map(|(header, mode)| RoundingRule { header, mode })
}

/// Gives every rule and multiplier a distinct id.
fn number_ids(rules: &mut RuleSet, prefix: &str) {
    let mut next = 0;
    let mut id = |header: &mut RuleHeader| {
        next += 1;
        header.id = format!("{prefix}{next}");
    };
    for rule in &mut rules.earn_rules {
        id(&mut rule.header);
        for multiplier in &mut rule.multipliers {
            id(&mut multiplier.header);
        }
    }
    for rule in &mut rules.buy_get_rules {
        id(&mut rule.header);
    }
    for rule in &mut rules.points_payment_rules {
        id(&mut rule.header);
    }
    for rule in &mut rules.rounding_rules {
        id(&mut rule.header);
    }
}

fn rule_set() -> impl Strategy<Value = RuleSet> {
    (
        vec(earn_rule(), 0..3),
        vec(buy_get_rule(), 0..3),
        vec(points_payment_rule(), 0..3),
        vec(rounding_rule(), 0..3),
    )
        .prop_map(
            |(earn_rules, buy_get_rules, points_payment_rules, rounding_rules)| {
                let mut rules = RuleSet {
                    version: 1,
                    earn_rules,
                    buy_get_rules,
                    points_payment_rules,
                    rounding_rules,
                    topup_plans: Vec::new(),
                    withdrawal: Default::default(),
                };
                number_ids(&mut rules, "r");
                rules
            },
        )
}

/// Splits the amount due into points, bonus, gift card and other by three shares in
/// thousandths.
fn paid(due: Money, shares: (i64, i64, i64)) -> PaidBreakdown {
    let points = due.fen() * shares.0 / 1_000;
    let bonus = (due.fen() - points) * shares.1 / 1_000;
    let gift = (due.fen() - points - bonus) * shares.2 / 1_000;
    PaidBreakdown {
        points: Money(points),
        stored_value_bonus: Money(bonus),
        gift_card: Money(gift),
        other: Money(due.fen() - points - bonus - gift),
    }
}

/// Takes a rule out of force: switched off, ended before today, or not yet begun.
fn out_of_force(header: &mut RuleHeader, how: u8, today: LocalDate) {
    match how % 3 {
        0 => header.enabled = false,
        1 => {
            header.valid_from = None;
            header.valid_to = Some(date(2025, 5, 31));
        }
        _ => {
            header.valid_from = Some(date(2025, 7, 1));
            header.valid_to = None;
        }
    }
    debug_assert!(!header.applies(STORE, Some("gold"), today));
}

proptest! {
    /// Whatever the cart, member and rules: the amount due is between zero and the
    /// gross, no discount is negative, the line nets add up to the net, and points never
    /// pay more than the amount due.
    #[test]
    fn quotes_are_consistent(cart in cart(), member in member(), rules in rule_set(), now in now()) {
        let quote = price(&cart, member.as_ref(), &rules, now).expect("generated input is valid");
        let totals = quote.totals;
        prop_assert!(totals.amount_due >= Money::ZERO);
        prop_assert!(totals.amount_due <= totals.gross);
        prop_assert!(totals.amount_due <= totals.net);
        prop_assert!(totals.rounding >= Money::ZERO);
        prop_assert!(totals.rounding.fen() < quote.rounding_mode.unit_fen());
        let line_nets: i64 = quote.lines.iter().map(|line| line.net.fen()).sum();
        prop_assert_eq!(line_nets, totals.net.fen());
        let line_gross: i64 = quote.lines.iter().map(|line| line.gross.fen()).sum();
        prop_assert_eq!(line_gross, totals.gross.fen());
        prop_assert_eq!(totals.gross.fen() - totals.discounts.total().fen(), totals.net.fen());
        for by_kind in [totals.discounts.member_price, totals.discounts.level,
                        totals.discounts.manual, totals.discounts.buy_get] {
            prop_assert!(by_kind >= Money::ZERO);
        }
        for line in &quote.lines {
            prop_assert!(line.net >= Money::ZERO);
            prop_assert!(line.unit_price <= line.retail_unit_price);
            prop_assert!(line.free_quantity <= line.quantity);
            prop_assert!(line.discounts.len() <= 2);
            for discount in &line.discounts {
                prop_assert!(discount.amount > Money::ZERO);
            }
        }
        prop_assert!(quote.max_points_usable >= 0);
        prop_assert!(quote.max_points_value >= Money::ZERO);
        prop_assert!(quote.max_points_value <= totals.amount_due);
        if quote.max_points_usable > 0 {
            let balance = quote.max_points_usable;
            prop_assert_eq!(
                check_points_payment(&quote, quote.max_points_usable, balance),
                Ok(quote.max_points_value)
            );
        }
    }

    /// Points earned are never negative, never above the cap, add up over the lines, and
    /// are zero when everything is paid with points and the rule excludes that part.
    #[test]
    fn points_are_bounded(
        cart in cart(),
        member in member(),
        rules in rule_set(),
        now in now(),
        shares in (0..=1_000i64, 0..=1_000i64, 0..=1_000i64),
        all_points in any::<bool>(),
    ) {
        let quote = price(&cart, member.as_ref(), &rules, now).expect("generated input is valid");
        let due = quote.totals.amount_due;
        let paid = if all_points {
            PaidBreakdown { points: due, ..PaidBreakdown::default() }
        } else {
            paid(due, shares)
        };
        let earned = points_to_earn(&quote, &paid, member.as_ref(), &rules, &cart, now)
            .expect("a payment that adds up");
        prop_assert!(earned.points >= 0);
        prop_assert!(earned.points <= earned.uncapped);
        prop_assert!(earned.eligible <= due);
        let rule = rules.earn_rules.iter().find(|rule| Some(&rule.header.id) == earned.rule_id.as_ref());
        if let Some(max) = rule.and_then(|rule| rule.per_sale_points_max) {
            prop_assert!(earned.points <= max);
        }
        if rule.is_some() {
            prop_assert_eq!(earned.lines.iter().map(|line| line.points).sum::<i64>(), earned.points);
            let shared: i64 = earned.lines.iter().map(|line| line.eligible.fen()).sum();
            prop_assert_eq!(shared, earned.eligible.fen());
        }
        if all_points && !rule.is_some_and(|rule| rule.earn_on_points_payment) {
            prop_assert_eq!(earned.points, 0);
        }
        for (line, cart_line) in earned.lines.iter().zip(&cart.lines) {
            prop_assert!(line.points >= 0);
            if !cart_line.earns_points {
                prop_assert_eq!(line.points, 0);
            }
        }
    }

    /// Adding a rule of any kind that is switched off, expired or not yet begun changes
    /// neither the quote nor the points.
    #[test]
    fn rules_out_of_force_change_nothing(
        cart in cart(),
        member in member(),
        rules in rule_set(),
        now in now(),
        extra in rule_set(),
        how in any::<u8>(),
        shares in (0..=1_000i64, 0..=1_000i64, 0..=1_000i64),
    ) {
        let mut extra = extra;
        number_ids(&mut extra, "extra");
        let mut with_extra = rules.clone();
        for mut rule in extra.earn_rules {
            out_of_force(&mut rule.header, how, now.date);
            with_extra.earn_rules.insert(0, rule);
        }
        for mut rule in extra.buy_get_rules {
            out_of_force(&mut rule.header, how, now.date);
            with_extra.buy_get_rules.insert(0, rule);
        }
        for mut rule in extra.points_payment_rules {
            out_of_force(&mut rule.header, how, now.date);
            with_extra.points_payment_rules.insert(0, rule);
        }
        for mut rule in extra.rounding_rules {
            out_of_force(&mut rule.header, how, now.date);
            with_extra.rounding_rules.insert(0, rule);
        }
        // A multiplier out of force inside a rule that is in force changes nothing either.
        if let Some(rule) = with_extra.earn_rules.iter_mut().find(|rule| rule.header.enabled) {
            let mut idle = PointsMultiplier {
                header: header("extra-multiplier"),
                factor: Decimal::TEN,
                condition: MultiplierCondition::Always,
            };
            out_of_force(&mut idle.header, how, now.date);
            rule.multipliers.insert(0, idle);
        }
        let member = member.as_ref();
        let before = price(&cart, member, &rules, now).expect("valid");
        let after = price(&cart, member, &with_extra, now).expect("valid");
        prop_assert_eq!(&before, &after);
        let paid = paid(before.totals.amount_due, shares);
        let earned_before = points_to_earn(&before, &paid, member, &rules, &cart, now).expect("valid");
        let earned_after = points_to_earn(&after, &paid, member, &with_extra, &cart, now).expect("valid");
        prop_assert_eq!(earned_before, earned_after);
    }

    /// Proportional splits add up exactly and never give a part more than it had.
    #[test]
    fn splits_are_exact_and_bounded(
        parts in vec(0..=1_000_000_000i64, 0..10),
        thousandths in 0..=1_000i64,
    ) {
        let parts: Vec<Money> = parts.into_iter().map(Money).collect();
        let sum: i64 = parts.iter().map(|part| part.fen()).sum();
        let total = Money(sum / 1_000 * thousandths + sum % 1_000 * thousandths / 1_000);
        let shares = split_proportionally(total, &parts).expect("total within the parts");
        prop_assert_eq!(shares.len(), parts.len());
        prop_assert_eq!(shares.iter().map(|share| share.fen()).sum::<i64>(), total.fen());
        for (share, part) in shares.iter().zip(&parts) {
            prop_assert!(*share >= Money::ZERO);
            prop_assert!(share <= part);
        }
    }

    /// The weekday of consecutive days within a month advances by one, in any of four
    /// centuries (month ends are covered by the calendar tests).
    #[test]
    fn weekdays_advance(year in 1900..2300i32, month in 1..=12u8, day in 1..=27u8) {
        let today = date(year, month, day).weekday() as u8;
        let tomorrow = date(year, month, day + 1).weekday() as u8;
        prop_assert_eq!((today + 1) % 7, tomorrow);
    }
}
