//! Rule data: what headquarters sets up and the tablet receives by sync. Every rule has
//! an id, a name, an on/off switch, a validity window and optional store and level
//! scopes, so a rule can be prepared ahead, switched off, or limited to some stores.

use super::calendar::{LocalDate, MonthDay, Weekday, MINUTES_PER_DAY};
use super::error::{check_entries, check_id, RuleError, RuleErrorKind};
use super::expiry::PointsExpiry;
use super::topup::TopupPlan;
use super::withdrawal::WithdrawalPolicy;
use super::{
    BASIS_POINTS_FULL, EARN_POINTS_PER_YUAN_MAX, LINE_QUANTITY_MAX, MULTIPLIER_FACTOR_MAX,
    POINTS_MAX, RULE_NAME_CHARS_MAX,
};
use crate::ids::StoreId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What every rule has: identity, switch, validity and scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleHeader {
    /// Unique within the rule set; printed on receipts and kept in the audit trail.
    pub id: String,
    pub name: String,
    pub enabled: bool,
    /// The first local date the rule applies; none means since always.
    #[serde(default)]
    pub valid_from: Option<LocalDate>,
    /// The last local date the rule applies (inclusive); none means until switched off.
    #[serde(default)]
    pub valid_to: Option<LocalDate>,
    /// Stores the rule applies in; empty means every store.
    #[serde(default)]
    pub stores: Vec<StoreId>,
    /// Member levels the rule applies to; empty means everyone, non-members included.
    #[serde(default)]
    pub levels: Vec<String>,
}

impl RuleHeader {
    /// Whether the rule is in force for this sale.
    pub fn applies(&self, store: StoreId, level: Option<&str>, date: LocalDate) -> bool {
        self.enabled
            && self.valid_from.is_none_or(|from| from <= date)
            && self.valid_to.is_none_or(|to| date <= to)
            && (self.stores.is_empty() || self.stores.contains(&store))
            && (self.levels.is_empty()
                || level.is_some_and(|level| self.levels.iter().any(|l| l == level)))
    }

    pub(crate) fn check(&self, field: &str) -> Result<(), RuleError> {
        check_id(&format!("{field}.id"), &self.id)?;
        if self.name.chars().count() > RULE_NAME_CHARS_MAX {
            return Err(RuleError::new(
                format!("{field}.name"),
                RuleErrorKind::TooLong,
            ));
        }
        if let Some(from) = self.valid_from {
            from.check(&format!("{field}.valid_from"))?;
        }
        if let Some(to) = self.valid_to {
            to.check(&format!("{field}.valid_to"))?;
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to) {
            if to < from {
                return Err(RuleError::new(
                    format!("{field}.valid_to"),
                    RuleErrorKind::OutOfRange,
                ));
            }
        }
        check_entries(&format!("{field}.stores"), &self.stores)?;
        check_entries(&format!("{field}.levels"), &self.levels)?;
        for (index, level) in self.levels.iter().enumerate() {
            check_id(&format!("{field}.levels[{index}]"), level)?;
        }
        Ok(())
    }
}

/// A set of goods named by item ids and category ids; a category includes everything
/// below it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemSet {
    #[serde(default)]
    pub item_ids: Vec<String>,
    #[serde(default)]
    pub category_ids: Vec<String>,
}

impl ItemSet {
    fn check(&self, field: &str) -> Result<(), RuleError> {
        if self.item_ids.is_empty() && self.category_ids.is_empty() {
            return Err(RuleError::new(field, RuleErrorKind::Empty));
        }
        check_entries(&format!("{field}.item_ids"), &self.item_ids)?;
        check_entries(&format!("{field}.category_ids"), &self.category_ids)?;
        for (index, id) in self.item_ids.iter().enumerate() {
            check_id(&format!("{field}.item_ids[{index}]"), id)?;
        }
        for (index, id) in self.category_ids.iter().enumerate() {
            check_id(&format!("{field}.category_ids[{index}]"), id)?;
        }
        Ok(())
    }
}

/// How the points of one sale become a whole number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PointsRounding {
    /// Drop the fraction: 12.9 points earn 12. The usual rule.
    #[default]
    Down,
    /// 四舍五入: 12.5 points earn 13.
    HalfUp,
}

/// The points earning rule (积分规则). Where several apply to a sale, the first in the
/// list wins, so headquarters puts store-specific rules before chain-wide ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarnRule {
    #[serde(flatten)]
    pub header: RuleHeader,
    /// Base points per 元 paid, e.g. "1" or "1.5".
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub points_per_yuan: Decimal,
    #[serde(default)]
    pub rounding: PointsRounding,
    /// Multipliers that stack by multiplication where their conditions hold.
    #[serde(default)]
    pub multipliers: Vec<PointsMultiplier>,
    /// The most points one sale may earn.
    #[serde(default)]
    pub per_sale_points_max: Option<i64>,
    /// Whether the part paid with points earns points too (usually not).
    #[serde(default)]
    pub earn_on_points_payment: bool,
    /// Whether the part paid from stored-value bonus (赠送金) earns points (usually not).
    #[serde(default)]
    pub earn_on_stored_value_bonus: bool,
    /// Whether the part paid with gift cards earns points (usually not: the buyer of the
    /// card paid, not the member).
    #[serde(default)]
    pub earn_on_gift_card: bool,
}

impl EarnRule {
    fn check(&self, field: &str) -> Result<(), RuleError> {
        self.header.check(field)?;
        if self.points_per_yuan.is_sign_negative()
            || self.points_per_yuan > Decimal::from(EARN_POINTS_PER_YUAN_MAX)
        {
            return Err(RuleError::new(
                format!("{field}.points_per_yuan"),
                RuleErrorKind::OutOfRange,
            ));
        }
        check_entries(&format!("{field}.multipliers"), &self.multipliers)?;
        for (index, multiplier) in self.multipliers.iter().enumerate() {
            multiplier.check(&format!("{field}.multipliers[{index}]"))?;
        }
        if let Some(max) = self.per_sale_points_max {
            if !(0..=POINTS_MAX).contains(&max) {
                return Err(RuleError::new(
                    format!("{field}.per_sale_points_max"),
                    RuleErrorKind::OutOfRange,
                ));
            }
        }
        Ok(())
    }
}

/// A points multiplier (e.g. 生日双倍积分) with its own switch and validity, so a
/// promotion can be scheduled without touching the base rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsMultiplier {
    #[serde(flatten)]
    pub header: RuleHeader,
    /// The factor, e.g. "2" for double points or "1.5".
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub factor: Decimal,
    pub condition: MultiplierCondition,
}

impl PointsMultiplier {
    fn check(&self, field: &str) -> Result<(), RuleError> {
        self.header.check(field)?;
        if self.factor.is_sign_negative() || self.factor > Decimal::from(MULTIPLIER_FACTOR_MAX) {
            return Err(RuleError::new(
                format!("{field}.factor"),
                RuleErrorKind::OutOfRange,
            ));
        }
        self.condition.check(&format!("{field}.condition"))
    }
}

/// When a multiplier applies, beyond its header's dates, stores and levels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MultiplierCondition {
    /// Always, e.g. a store's own multiplier through the header's store list.
    Always,
    /// Only on lines whose item or category is in the set.
    Items { items: ItemSet },
    /// 特惠时段: on some weekdays between two times of day.
    TimeWindow { window: TimeWindow },
    /// On the member's birthday, or in the member's birthday month.
    Birthday { scope: BirthdayScope },
    /// 会员日 and holidays: days of every month, days of every year (五一, 十一), or
    /// single dates (店庆).
    MemberDays {
        #[serde(default)]
        days_of_month: Vec<u8>,
        #[serde(default)]
        yearly: Vec<MonthDay>,
        #[serde(default)]
        dates: Vec<LocalDate>,
    },
}

impl MultiplierCondition {
    fn check(&self, field: &str) -> Result<(), RuleError> {
        match self {
            Self::Always | Self::Birthday { .. } => Ok(()),
            Self::Items { items } => items.check(&format!("{field}.items")),
            Self::TimeWindow { window } => window.check(&format!("{field}.window")),
            Self::MemberDays {
                days_of_month,
                yearly,
                dates,
            } => {
                if days_of_month.is_empty() && yearly.is_empty() && dates.is_empty() {
                    return Err(RuleError::new(field, RuleErrorKind::Empty));
                }
                check_entries(&format!("{field}.days_of_month"), days_of_month)?;
                check_entries(&format!("{field}.yearly"), yearly)?;
                check_entries(&format!("{field}.dates"), dates)?;
                for (index, day) in days_of_month.iter().enumerate() {
                    if !(1..=31).contains(day) {
                        return Err(RuleError::new(
                            format!("{field}.days_of_month[{index}]"),
                            RuleErrorKind::OutOfRange,
                        ));
                    }
                }
                for (index, day) in yearly.iter().enumerate() {
                    day.check(&format!("{field}.yearly[{index}]"))?;
                }
                for (index, date) in dates.iter().enumerate() {
                    date.check(&format!("{field}.dates[{index}]"))?;
                }
                Ok(())
            }
        }
    }
}

/// 特惠时段: weekdays (empty = every day) and a range of minutes of the day, from
/// inclusive to exclusive. A window past midnight is two windows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeWindow {
    #[serde(default)]
    pub weekdays: Vec<Weekday>,
    pub from_minute: u16,
    pub to_minute: u16,
}

impl TimeWindow {
    pub fn contains(&self, weekday: Weekday, minute_of_day: u16) -> bool {
        (self.weekdays.is_empty() || self.weekdays.contains(&weekday))
            && self.from_minute <= minute_of_day
            && minute_of_day < self.to_minute
    }

    fn check(&self, field: &str) -> Result<(), RuleError> {
        check_entries(&format!("{field}.weekdays"), &self.weekdays)?;
        if self.to_minute > MINUTES_PER_DAY || self.from_minute >= self.to_minute {
            return Err(RuleError::new(
                format!("{field}.to_minute"),
                RuleErrorKind::OutOfRange,
            ));
        }
        Ok(())
    }
}

/// Whether a birthday multiplier holds on the day only or all month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BirthdayScope {
    Day,
    Month,
}

/// 买送: buy `buy_quantity` units from a set and get `free_quantity` units free, once per
/// multiple. Rules are tried in list order and each cart line takes part in at most one,
/// so two promotions never give the same unit away twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuyGetRule {
    #[serde(flatten)]
    pub header: RuleHeader,
    /// The goods that count towards the purchase.
    pub buy: ItemSet,
    /// X in "buy X get Y".
    pub buy_quantity: i64,
    /// Y in "buy X get Y".
    pub free_quantity: i64,
    pub reward: BuyGetReward,
}

impl BuyGetRule {
    fn check(&self, field: &str) -> Result<(), RuleError> {
        self.header.check(field)?;
        self.buy.check(&format!("{field}.buy"))?;
        for (name, quantity) in [
            ("buy_quantity", self.buy_quantity),
            ("free_quantity", self.free_quantity),
        ] {
            if quantity <= 0 {
                return Err(RuleError::new(
                    format!("{field}.{name}"),
                    RuleErrorKind::NotPositive,
                ));
            }
            if quantity > LINE_QUANTITY_MAX {
                return Err(RuleError::new(
                    format!("{field}.{name}"),
                    RuleErrorKind::OutOfRange,
                ));
            }
        }
        if let BuyGetReward::Item { item_id } = &self.reward {
            check_id(&format!("{field}.reward.item_id"), item_id)?;
        }
        Ok(())
    }
}

/// Which units a buy-X-get-Y rule gives away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BuyGetReward {
    /// The cheapest units of the set in the cart: every X + Y units, Y are free.
    Cheapest,
    /// Units of a named item in the cart: every X units of the set, Y of it are free.
    Item { item_id: String },
}

/// 积分抵扣: points as part payment. The first applicable rule wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsPaymentRule {
    #[serde(flatten)]
    pub header: RuleHeader,
    /// How many points are worth 1 元, e.g. 100.
    pub points_per_yuan: i64,
    /// The largest share of the amount due points may pay, in basis points: 5000 = 50%.
    pub max_share_bp: u32,
    /// The fewest points one payment may use.
    #[serde(default)]
    pub min_points: i64,
}

impl PointsPaymentRule {
    fn check(&self, field: &str) -> Result<(), RuleError> {
        self.header.check(field)?;
        if self.points_per_yuan <= 0 {
            return Err(RuleError::new(
                format!("{field}.points_per_yuan"),
                RuleErrorKind::NotPositive,
            ));
        }
        if self.points_per_yuan > POINTS_MAX {
            return Err(RuleError::new(
                format!("{field}.points_per_yuan"),
                RuleErrorKind::OutOfRange,
            ));
        }
        if self.max_share_bp > BASIS_POINTS_FULL {
            return Err(RuleError::new(
                format!("{field}.max_share_bp"),
                RuleErrorKind::OutOfRange,
            ));
        }
        if !(0..=POINTS_MAX).contains(&self.min_points) {
            return Err(RuleError::new(
                format!("{field}.min_points"),
                RuleErrorKind::OutOfRange,
            ));
        }
        Ok(())
    }
}

/// 抹零: how the amount due is rounded. Always down, in the customer's favour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    #[default]
    None,
    /// Drop the 分: ¥94.91 → ¥94.90.
    Jiao,
    /// Drop the 角 and 分: ¥94.91 → ¥94.00.
    Yuan,
}

impl RoundingMode {
    /// The unit the amount due is rounded down to, in 分.
    pub fn unit_fen(self) -> i64 {
        match self {
            Self::None => 1,
            Self::Jiao => 10,
            Self::Yuan => 100,
        }
    }
}

/// A 抹零 setting. The first applicable rule wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundingRule {
    #[serde(flatten)]
    pub header: RuleHeader,
    pub mode: RoundingMode,
}

/// All rules of the chain at one version. The server bumps `version` on each change and
/// records it with every sale, so a receipt can be explained later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleSet {
    pub version: i64,
    #[serde(default)]
    pub earn_rules: Vec<EarnRule>,
    #[serde(default)]
    pub buy_get_rules: Vec<BuyGetRule>,
    #[serde(default)]
    pub points_payment_rules: Vec<PointsPaymentRule>,
    #[serde(default)]
    pub rounding_rules: Vec<RoundingRule>,
    #[serde(default)]
    pub topup_plans: Vec<TopupPlan>,
    /// Attaching members later and card PIN lockout.
    #[serde(default)]
    pub counter: super::counter::CounterPolicy,
    /// When earned points lapse (PTS-2); none keeps them for the server's default life.
    #[serde(default)]
    pub points_expiry: Option<PointsExpiry>,
    /// What a withdrawal of stored value does to the bonus (SV-3).
    #[serde(default)]
    pub withdrawal: WithdrawalPolicy,
    /// Self-registration: approval before a registrant is formal, and referral points.
    #[serde(default)]
    pub registration: super::registration::RegistrationPolicy,
}

impl RuleSet {
    /// Refuses rule data the engine cannot use, naming the first bad field. The server
    /// calls this when headquarters saves rules; the engine calls it on every use, since
    /// synced data is input too.
    pub fn check(&self) -> Result<(), RuleError> {
        check_entries("earn_rules", &self.earn_rules)?;
        check_entries("buy_get_rules", &self.buy_get_rules)?;
        check_entries("points_payment_rules", &self.points_payment_rules)?;
        check_entries("rounding_rules", &self.rounding_rules)?;
        check_entries("topup_plans", &self.topup_plans)?;
        let mut ids = BTreeSet::new();
        let mut unique = |field: String, id: &str| {
            if ids.insert(id.to_owned()) {
                Ok(())
            } else {
                Err(RuleError::new(field, RuleErrorKind::Duplicate))
            }
        };
        for (index, rule) in self.earn_rules.iter().enumerate() {
            let field = format!("earn_rules[{index}]");
            rule.check(&field)?;
            unique(format!("{field}.id"), &rule.header.id)?;
            for (inner, multiplier) in rule.multipliers.iter().enumerate() {
                unique(
                    format!("{field}.multipliers[{inner}].id"),
                    &multiplier.header.id,
                )?;
            }
        }
        for (index, rule) in self.buy_get_rules.iter().enumerate() {
            let field = format!("buy_get_rules[{index}]");
            rule.check(&field)?;
            unique(format!("{field}.id"), &rule.header.id)?;
        }
        for (index, rule) in self.points_payment_rules.iter().enumerate() {
            let field = format!("points_payment_rules[{index}]");
            rule.check(&field)?;
            unique(format!("{field}.id"), &rule.header.id)?;
        }
        for (index, rule) in self.rounding_rules.iter().enumerate() {
            let field = format!("rounding_rules[{index}]");
            rule.header.check(&field)?;
            unique(format!("{field}.id"), &rule.header.id)?;
        }
        for (index, plan) in self.topup_plans.iter().enumerate() {
            let field = format!("topup_plans[{index}]");
            plan.check(&field)?;
            unique(format!("{field}.id"), &plan.header.id)?;
        }
        self.counter.check("counter")?;
        if let Some(expiry) = &self.points_expiry {
            expiry.check("points_expiry")?;
        }
        self.registration.check("registration")?;
        Ok(())
    }

    /// The instant points earned on the business date `earned_on` lapse under the policy,
    /// or none when the rules set no policy. `utc_offset_ms` is the business time zone's
    /// offset from UTC.
    pub fn points_lapse_at_ms(&self, earned_on: LocalDate, utc_offset_ms: i64) -> Option<i64> {
        self.points_expiry
            .map(|policy| policy.lapses_at_ms(earned_on, utc_offset_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{date, header};

    /// A rule applies only when switched on, within its dates (end inclusive), in its
    /// stores and for its levels; an empty level list includes non-members.
    #[test]
    fn headers_scope_rules() {
        let store = StoreId::new();
        let other_store = StoreId::new();
        let mut rule = header("r");
        rule.valid_from = Some(date(2025, 5, 1));
        rule.valid_to = Some(date(2025, 5, 5));
        assert!(rule.applies(store, None, date(2025, 5, 1)));
        assert!(rule.applies(store, None, date(2025, 5, 5)));
        assert!(!rule.applies(store, None, date(2025, 4, 30)));
        assert!(!rule.applies(store, None, date(2025, 5, 6)));
        rule.stores = vec![store];
        assert!(!rule.applies(other_store, None, date(2025, 5, 2)));
        rule.levels = vec!["gold".to_owned()];
        assert!(rule.applies(store, Some("gold"), date(2025, 5, 2)));
        assert!(!rule.applies(store, Some("silver"), date(2025, 5, 2)));
        assert!(!rule.applies(store, None, date(2025, 5, 2)));
        rule.enabled = false;
        assert!(!rule.applies(store, Some("gold"), date(2025, 5, 2)));
    }

    /// Bad rule data is refused with the path of the field: reversed dates, a zero
    /// "buy X", a negative factor, an empty time window and a duplicated id.
    #[test]
    fn bad_rule_data_names_the_field() {
        let mut rules = RuleSet::default();
        let mut reversed = header("round");
        reversed.valid_from = Some(date(2025, 2, 1));
        reversed.valid_to = Some(date(2025, 1, 1));
        rules.rounding_rules.push(RoundingRule {
            header: reversed,
            mode: RoundingMode::Yuan,
        });
        assert_eq!(
            rules.check().map_err(|e| e.field),
            Err("rounding_rules[0].valid_to".to_owned())
        );

        let mut rules = RuleSet::default();
        rules.buy_get_rules.push(BuyGetRule {
            header: header("b"),
            buy: ItemSet {
                item_ids: vec!["cola".to_owned()],
                category_ids: Vec::new(),
            },
            buy_quantity: 0,
            free_quantity: 1,
            reward: BuyGetReward::Cheapest,
        });
        assert_eq!(
            rules.check(),
            Err(RuleError::new(
                "buy_get_rules[0].buy_quantity",
                RuleErrorKind::NotPositive
            ))
        );

        let mut earn = EarnRule {
            header: header("earn"),
            points_per_yuan: Decimal::ONE,
            rounding: PointsRounding::Down,
            multipliers: vec![PointsMultiplier {
                header: header("m"),
                factor: Decimal::NEGATIVE_ONE,
                condition: MultiplierCondition::Always,
            }],
            per_sale_points_max: None,
            earn_on_points_payment: false,
            earn_on_stored_value_bonus: false,
            earn_on_gift_card: false,
        };
        let mut rules = RuleSet {
            earn_rules: vec![earn.clone()],
            ..RuleSet::default()
        };
        assert_eq!(
            rules.check().map_err(|e| e.field),
            Err("earn_rules[0].multipliers[0].factor".to_owned())
        );
        earn.multipliers[0].factor = Decimal::TWO;
        earn.multipliers[0].condition = MultiplierCondition::TimeWindow {
            window: TimeWindow {
                weekdays: Vec::new(),
                from_minute: 600,
                to_minute: 600,
            },
        };
        rules.earn_rules = vec![earn.clone()];
        assert_eq!(
            rules.check().map_err(|e| e.field),
            Err("earn_rules[0].multipliers[0].condition.window.to_minute".to_owned())
        );
        earn.multipliers[0].condition = MultiplierCondition::Always;
        earn.multipliers[0].header.id = "earn".to_owned();
        rules.earn_rules = vec![earn];
        assert_eq!(
            rules.check(),
            Err(RuleError::new(
                "earn_rules[0].multipliers[0].id",
                RuleErrorKind::Duplicate
            ))
        );
    }

    /// Rule data reads from the JSON headquarters writes, with lists and switches
    /// defaulted and rates as decimal strings.
    #[test]
    fn rules_read_from_json() {
        let json = r#"{
            "version": 7,
            "earn_rules": [{
                "id": "base", "name": "每元1.5分", "enabled": true,
                "points_per_yuan": "1.5",
                "multipliers": [{
                    "id": "birthday", "name": "生日双倍", "enabled": true,
                    "factor": "2", "condition": {"type": "birthday", "scope": "day"}
                }]
            }],
            "rounding_rules": [{"id": "mo-ling", "name": "抹零到元", "enabled": true, "mode": "yuan"}]
        }"#;
        let rules: RuleSet = serde_json::from_str(json).expect("valid rule json");
        assert_eq!(rules.check(), Ok(()));
        assert_eq!(rules.version, 7);
        assert_eq!(rules.earn_rules[0].points_per_yuan, Decimal::new(15, 1));
        assert_eq!(rules.earn_rules[0].rounding, PointsRounding::Down);
        assert_eq!(rules.rounding_rules[0].mode, RoundingMode::Yuan);
        let again: RuleSet =
            serde_json::from_str(&serde_json::to_string(&rules).expect("serialises"))
                .expect("round trip");
        assert_eq!(again, rules);
    }
}
