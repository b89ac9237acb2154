//! Membership levels (MEM-4): what a level gives (a discount on the shelf price and a
//! points multiplier), how long it lasts once reached, what reaching it takes, and what
//! happens when its term ends. The checks here need no database, so the HQ form shows
//! the same per-field errors the server answers; uniqueness is the server's to check.

use crate::validate::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};

/// The level every member starts at (tier 0). It cannot be removed, given a term or an
/// upgrade rule: it is where every downgrade ends.
pub const STANDARD_LEVEL_ID: &str = "standard";
/// The longest level name, in characters.
pub const LEVEL_NAME_CHARS_MAX: usize = 20;
/// The highest tier a level may have; tier 0 is the standard level's.
pub const LEVEL_TIER_MAX: i64 = 99;
/// The lowest share of the price a level may charge: 1折.
pub const LEVEL_DISCOUNT_BP_MIN: i64 = 1_000;
/// The share of the price that is no discount at all.
pub const LEVEL_DISCOUNT_BP_FULL: i64 = 10_000;
/// The largest points multiplier a level may give: ×10.
pub const LEVEL_MULTIPLIER_BP_MAX: i64 = 100_000;
/// The longest term, upgrade period or extension, in months: ten years.
pub const LEVEL_MONTHS_MAX: i64 = 120;
/// The largest spend an upgrade may ask for: ¥100,000,000.00 in 分.
pub const UPGRADE_SPEND_FEN_MAX: i64 = 10_000_000_000;
/// The largest number of points or visits an upgrade may ask for.
pub const UPGRADE_COUNT_MAX: i64 = 1_000_000_000;
/// A level code a caller chooses: lower-case letters, digits and `_`, this long at most.
pub const LEVEL_ID_CHARS_MAX: usize = 32;
/// The shortest and longest reason for a change made by hand, in characters.
pub const LEVEL_REASON_CHARS_MIN: usize = 2;
pub const LEVEL_REASON_CHARS_MAX: usize = 200;
/// Entries of a member's level history answered at most, newest first.
pub const LEVEL_HISTORY_LIMIT: i64 = 200;

/// Stable error code: the level is held by members and cannot be switched off.
pub const LEVEL_IN_USE: &str = "level_in_use";

/// What moves a member up to a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UpgradeMetric {
    /// Cumulative spend in 分: sales' amounts due less what their returns refunded.
    Spend,
    /// Points earned by sales, less the points their returns took back.
    Points,
    /// Visits: the number of sales.
    Visits,
}

impl UpgradeMetric {
    pub const ALL: [UpgradeMetric; 3] = [
        UpgradeMetric::Spend,
        UpgradeMetric::Points,
        UpgradeMetric::Visits,
    ];

    pub fn code(self) -> &'static str {
        match self {
            UpgradeMetric::Spend => "spend",
            UpgradeMetric::Points => "points",
            UpgradeMetric::Visits => "visits",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|metric| metric.code() == code)
    }

    fn threshold_max(self) -> i64 {
        match self {
            UpgradeMetric::Spend => UPGRADE_SPEND_FEN_MAX,
            UpgradeMetric::Points | UpgradeMetric::Visits => UPGRADE_COUNT_MAX,
        }
    }
}

/// What happens when a member's term at a level ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TermEnd {
    /// Renew if the member met the level's upgrade rule again within the period that
    /// ended with the term; otherwise drop to the highest level below that they did meet
    /// (the standard level if none).
    #[default]
    Requalify,
    /// Always renew for another term.
    Renew,
    /// Always drop to the next active level below.
    Downgrade,
}

impl TermEnd {
    pub const ALL: [TermEnd; 3] = [TermEnd::Requalify, TermEnd::Renew, TermEnd::Downgrade];

    pub fn code(self) -> &'static str {
        match self {
            TermEnd::Requalify => "requalify",
            TermEnd::Renew => "renew",
            TermEnd::Downgrade => "downgrade",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|end| end.code() == code)
    }
}

/// What reaching a level takes: `threshold` of `metric` within the last
/// `period_months`, or since joining when there is no period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpgradeRule {
    pub metric: UpgradeMetric,
    /// 分 for spend, a count for points and visits.
    pub threshold: i64,
    #[serde(default)]
    pub period_months: Option<i64>,
}

/// A level as HQ defines it, for creating or changing one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelDraft {
    /// A code for a new level (`gold`), which rules name in their level lists; made up
    /// when absent. Ignored when changing a level.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    /// Orders the levels: a higher tier is a better level. Unique; 0 is the standard's.
    pub tier: i64,
    /// The share of the shelf price payable, in basis points: 9500 = 95折.
    pub discount_bp: i64,
    /// Points earned are multiplied by this, in basis points: 15000 = ×1.5.
    pub points_multiplier_bp: i64,
    /// Months the level lasts once reached; none: it never ends.
    #[serde(default)]
    pub term_months: Option<i64>,
    /// None: only staff give this level.
    #[serde(default)]
    pub upgrade: Option<UpgradeRule>,
    #[serde(default)]
    pub at_term_end: TermEnd,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A level as it stands, with how many members hold it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Level {
    pub id: String,
    pub name: String,
    pub tier: i64,
    pub discount_bp: i64,
    pub points_multiplier_bp: i64,
    pub term_months: Option<i64>,
    pub upgrade: Option<UpgradeRule>,
    pub at_term_end: TermEnd,
    pub active: bool,
    pub members: i64,
}

impl Level {
    pub fn is_standard(&self) -> bool {
        self.id == STANDARD_LEVEL_ID
    }

    /// The draft that would save this level unchanged, for an edit form.
    pub fn draft(&self) -> LevelDraft {
        LevelDraft {
            id: Some(self.id.clone()),
            name: self.name.clone(),
            tier: self.tier,
            discount_bp: self.discount_bp,
            points_multiplier_bp: self.points_multiplier_bp,
            term_months: self.term_months,
            upgrade: self.upgrade,
            at_term_end: self.at_term_end,
            active: self.active,
        }
    }
}

impl LevelDraft {
    /// Checks every field that needs no database and names each that is wrong.
    /// `standard` says whether this is the standard level, which has tier 0, no term and
    /// no upgrade rule, and is always active.
    pub fn check(&self, standard: bool) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.fields.push(FieldError::required("name"));
        } else if name.chars().count() > LEVEL_NAME_CHARS_MAX || name.chars().any(char::is_control)
        {
            errors.fields.push(FieldError::new(
                "name",
                "invalid_name",
                format!("名称应为1–{LEVEL_NAME_CHARS_MAX}个字"),
            ));
        }
        if let Some(id) = self.id.as_deref().filter(|_| !standard) {
            if !is_level_code(id) {
                errors.fields.push(FieldError::new(
                    "id",
                    "invalid_id",
                    "代码应为小写字母开头的字母、数字或下划线，最多32个",
                ));
            }
        }
        if standard && self.tier != 0 {
            errors.fields.push(FieldError::new(
                "tier",
                "standard_tier",
                "普通级别的等级固定为0",
            ));
        } else if !standard && !(1..=LEVEL_TIER_MAX).contains(&self.tier) {
            errors.fields.push(FieldError::new(
                "tier",
                "out_of_range",
                format!("等级应为1–{LEVEL_TIER_MAX}的整数，越大越高"),
            ));
        }
        if !(LEVEL_DISCOUNT_BP_MIN..=LEVEL_DISCOUNT_BP_FULL).contains(&self.discount_bp) {
            errors.fields.push(FieldError::new(
                "discount_bp",
                "out_of_range",
                "折扣应在1折（1000）到不打折（10000）之间",
            ));
        }
        if !(0..=LEVEL_MULTIPLIER_BP_MAX).contains(&self.points_multiplier_bp) {
            errors.fields.push(FieldError::new(
                "points_multiplier_bp",
                "out_of_range",
                "积分倍数应在0到10倍（0–100000）之间",
            ));
        }
        match self.term_months {
            Some(_) if standard => errors.fields.push(FieldError::new(
                "term_months",
                "standard_no_term",
                "普通级别长期有效，不能设有效期",
            )),
            Some(months) if !(1..=LEVEL_MONTHS_MAX).contains(&months) => {
                errors.fields.push(months_error("term_months", "有效期"))
            }
            _ => {}
        }
        match &self.upgrade {
            Some(_) if standard => errors.fields.push(FieldError::new(
                "upgrade",
                "standard_no_rule",
                "普通级别是起点，不设升级条件",
            )),
            Some(rule) => check_rule(rule, &mut errors),
            None => {}
        }
        if !standard
            && self.term_months.is_some()
            && self.upgrade.is_none()
            && self.at_term_end == TermEnd::Requalify
        {
            errors.fields.push(FieldError::new(
                "at_term_end",
                "requalify_without_rule",
                "没有升级条件的级别无法重新考核，请选择续期或降级",
            ));
        }
        if standard && !self.active {
            errors.fields.push(FieldError::new(
                "active",
                "standard_required",
                "普通级别不能停用",
            ));
        }
        errors.into_result()
    }
}

fn check_rule(rule: &UpgradeRule, errors: &mut ValidationErrors) {
    if !(1..=rule.metric.threshold_max()).contains(&rule.threshold) {
        errors.fields.push(FieldError::new(
            "upgrade.threshold",
            "out_of_range",
            match rule.metric {
                UpgradeMetric::Spend => "累计消费金额应大于0且不超过1亿元",
                UpgradeMetric::Points => "累计积分应大于0且不超过10亿",
                UpgradeMetric::Visits => "消费次数应大于0且不超过10亿",
            },
        ));
    }
    if let Some(months) = rule.period_months {
        if !(1..=LEVEL_MONTHS_MAX).contains(&months) {
            errors
                .fields
                .push(months_error("upgrade.period_months", "统计周期"));
        }
    }
}

fn months_error(field: &str, what: &str) -> FieldError {
    FieldError::new(
        field,
        "out_of_range",
        format!("{what}应为1–{LEVEL_MONTHS_MAX}个月"),
    )
}

/// A code a caller may give a new level: `gold`, `vip_2`.
pub fn is_level_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= LEVEL_ID_CHARS_MAX
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// A discount as the counter says it: 9500 → `95折`, 9000 → `9折`, 8550 → `85.5折`;
/// none at 10000 or more.
pub fn discount_label(discount_bp: i64) -> Option<String> {
    if discount_bp >= LEVEL_DISCOUNT_BP_FULL {
        return None;
    }
    let label = if discount_bp % 1_000 == 0 {
        format!("{}", discount_bp / 1_000)
    } else if discount_bp % 100 == 0 {
        format!("{}", discount_bp / 100)
    } else {
        trim_decimal(format!("{}.{:02}", discount_bp / 100, discount_bp % 100))
    };
    Some(format!("{label}折"))
}

/// A points multiplier as a factor: 15000 → `1.5`, 20000 → `2`.
pub fn multiplier_label(multiplier_bp: i64) -> String {
    trim_decimal(format!(
        "{}.{:04}",
        multiplier_bp / 10_000,
        multiplier_bp % 10_000
    ))
}

fn trim_decimal(text: String) -> String {
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Why a member's level changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LevelChangeReason {
    /// A sale took the member past a higher level's threshold.
    Upgrade,
    /// The term ended and another began at the same level.
    Renew,
    /// The term ended and the member dropped to a lower level.
    Downgrade,
    /// Staff set the level by hand.
    Manual,
    /// Staff extended the term (会员延期).
    Extend,
}

impl LevelChangeReason {
    pub const ALL: [LevelChangeReason; 5] = [
        LevelChangeReason::Upgrade,
        LevelChangeReason::Renew,
        LevelChangeReason::Downgrade,
        LevelChangeReason::Manual,
        LevelChangeReason::Extend,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LevelChangeReason::Upgrade => "upgrade",
            LevelChangeReason::Renew => "renew",
            LevelChangeReason::Downgrade => "downgrade",
            LevelChangeReason::Manual => "manual",
            LevelChangeReason::Extend => "extend",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.code() == code)
    }
}

/// One change of a member's level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelHistoryEntry {
    pub id: String,
    pub from_level: Option<String>,
    pub from_level_name: Option<String>,
    pub to_level: String,
    pub to_level_name: String,
    pub reason: LevelChangeReason,
    /// When the term that began ends (RFC 3339); none: it never ends.
    pub expires_at: Option<String>,
    /// The staff member who made the change by hand, by username.
    pub staff: Option<String>,
    pub note: Option<String>,
    pub created_at: String,
}

/// Staff set a member's level by hand. A new term of the level's length begins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelAssignment {
    pub level_id: String,
    /// Why, 2–200 characters.
    pub reason: String,
}

/// Staff extend the member's current term (会员延期).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelExtension {
    /// Months added to the term's end, 1–120.
    pub months: i64,
    /// Why, 2–200 characters.
    pub reason: String,
}

/// Checks a reason for a change by hand and returns it trimmed.
pub fn check_reason(reason: &str) -> Result<String, FieldError> {
    crate::points::chars_between(
        "reason",
        reason,
        LEVEL_REASON_CHARS_MIN,
        LEVEL_REASON_CHARS_MAX,
        "原因",
    )
}

impl LevelExtension {
    /// Checks the months and the reason; returns the reason trimmed.
    pub fn check(&self) -> Result<String, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !(1..=LEVEL_MONTHS_MAX).contains(&self.months) {
            errors.fields.push(months_error("months", "延期"));
        }
        let reason = check_reason(&self.reason)
            .map_err(|error| errors.fields.push(error))
            .ok();
        match reason {
            Some(reason) if errors.is_empty() => Ok(reason),
            _ => Err(errors),
        }
    }
}

/// What one run of the term-end job did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TermEndRun {
    pub renewed: u64,
    pub downgraded: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold() -> LevelDraft {
        LevelDraft {
            id: Some("gold".to_owned()),
            name: "金卡".to_owned(),
            tier: 2,
            discount_bp: 9_000,
            points_multiplier_bp: 15_000,
            term_months: Some(12),
            upgrade: Some(UpgradeRule {
                metric: UpgradeMetric::Spend,
                threshold: 100_000,
                period_months: Some(12),
            }),
            at_term_end: TermEnd::Requalify,
            active: true,
        }
    }

    fn fields(result: Result<(), ValidationErrors>) -> Vec<(String, String)> {
        result
            .err()
            .map(|errors| {
                errors
                    .fields
                    .into_iter()
                    .map(|f| (f.field, f.code))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn a_sound_level_passes() {
        assert_eq!(gold().check(false), Ok(()));
    }

    /// Every bad field is named at once, each with its own code.
    #[test]
    fn every_bad_field_is_named() {
        let draft = LevelDraft {
            id: Some("Gold!".to_owned()),
            name: " ".to_owned(),
            tier: 0,
            discount_bp: 900,
            points_multiplier_bp: -1,
            term_months: Some(0),
            upgrade: Some(UpgradeRule {
                metric: UpgradeMetric::Visits,
                threshold: 0,
                period_months: Some(121),
            }),
            at_term_end: TermEnd::Renew,
            active: true,
        };
        let named: Vec<String> = fields(draft.check(false))
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(
            named,
            [
                "name",
                "id",
                "tier",
                "discount_bp",
                "points_multiplier_bp",
                "term_months",
                "upgrade.threshold",
                "upgrade.period_months"
            ]
        );
    }

    /// The standard level stays the floor: tier 0, no term, no rule, always on.
    #[test]
    fn the_standard_level_has_no_term_or_rule() {
        let mut standard = gold();
        standard.tier = 0;
        standard.active = false;
        assert_eq!(
            fields(standard.check(true)),
            [
                ("term_months".to_owned(), "standard_no_term".to_owned()),
                ("upgrade".to_owned(), "standard_no_rule".to_owned()),
                ("active".to_owned(), "standard_required".to_owned()),
            ]
        );
        let mut tiered = gold();
        tiered.term_months = None;
        tiered.upgrade = None;
        assert_eq!(
            fields(tiered.check(true)),
            [("tier".to_owned(), "standard_tier".to_owned())]
        );
    }

    /// A level with a term but no rule cannot be requalified for.
    #[test]
    fn requalifying_needs_a_rule() {
        let mut by_hand = gold();
        by_hand.upgrade = None;
        assert_eq!(
            fields(by_hand.check(false)),
            [(
                "at_term_end".to_owned(),
                "requalify_without_rule".to_owned()
            )]
        );
        by_hand.at_term_end = TermEnd::Downgrade;
        assert_eq!(by_hand.check(false), Ok(()));
    }

    #[test]
    fn discounts_and_multipliers_read_as_the_counter_says_them() {
        assert_eq!(discount_label(9_500).as_deref(), Some("95折"));
        assert_eq!(discount_label(9_000).as_deref(), Some("9折"));
        assert_eq!(discount_label(8_800).as_deref(), Some("88折"));
        assert_eq!(discount_label(8_550).as_deref(), Some("85.5折"));
        assert_eq!(discount_label(10_000), None);
        assert_eq!(multiplier_label(15_000), "1.5");
        assert_eq!(multiplier_label(20_000), "2");
        assert_eq!(multiplier_label(12_500), "1.25");
        assert_eq!(multiplier_label(0), "0");
    }

    #[test]
    fn extensions_need_months_and_a_reason() {
        let extension = LevelExtension {
            months: 0,
            reason: "x".to_owned(),
        };
        let named: Vec<String> = extension
            .check()
            .expect_err("refused")
            .fields
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(named, ["months", "reason"]);
        let good = LevelExtension {
            months: 3,
            reason: " 老客户关怀 ".to_owned(),
        };
        assert_eq!(good.check().as_deref(), Ok("老客户关怀"));
    }
}
