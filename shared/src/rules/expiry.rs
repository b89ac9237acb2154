//! Points expiry (PTS-2): when the points of one credit lapse. Each credit of points is a
//! lot; its expiry is fixed when it is earned, from the business date it was earned on,
//! so later changes to the policy never shorten points a member already holds.
//!
//! The engine has no clock and no time-zone database: the caller passes the business
//! date and the organisation's offset from UTC, and gets back the instant the lot lapses.

use super::calendar::{days_in_month, LocalDate};
use super::error::{RuleError, RuleErrorKind};
use serde::{Deserialize, Serialize};

/// The longest rolling life accepted: ten years.
pub const POINTS_EXPIRY_MONTHS_MAX: u32 = 120;
/// The most extra years a yearly reset may keep points: ten.
pub const POINTS_EXPIRY_YEARS_AFTER_MAX: u32 = 10;

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// How long earned points stay spendable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PointsExpiry {
    /// Each credit lives `months` months from the day it was earned: points earned on
    /// 15 March with 12 months can be spent through 15 March of the next year (a day
    /// missing in the last month is that month's last day: 31 January + 1 month is 28 or
    /// 29 February).
    Rolling { months: u32 },
    /// 自动积分重设: every point earned in year Y lapses at the end of 31 December of year
    /// Y + `years_after` (0 = the end of the year it was earned).
    YearlyReset { years_after: u32 },
}

impl PointsExpiry {
    /// The last business date points earned on `earned_on` can be spent (inclusive, as
    /// every end date of the rules is).
    pub fn last_day(self, earned_on: LocalDate) -> LocalDate {
        match self {
            PointsExpiry::Rolling { months } => {
                let index = i64::from(earned_on.year) * 12
                    + i64::from(earned_on.month.clamp(1, 12) - 1)
                    + i64::from(months);
                let year = index.div_euclid(12) as i32;
                let month = (index.rem_euclid(12) + 1) as u8;
                LocalDate {
                    year,
                    month,
                    day: earned_on.day.min(days_in_month(year, month)),
                }
            }
            PointsExpiry::YearlyReset { years_after } => LocalDate {
                year: earned_on.year.saturating_add(years_after as i32),
                month: 12,
                day: 31,
            },
        }
    }

    /// The instant (milliseconds since the epoch, UTC) at which points earned on
    /// `earned_on` lapse: the start of the business day after [`Self::last_day`], in a
    /// time zone `utc_offset_ms` ahead of UTC (Asia/Shanghai: 8 hours).
    pub fn lapses_at_ms(self, earned_on: LocalDate, utc_offset_ms: i64) -> i64 {
        (days_since_epoch(self.last_day(earned_on)) + 1) * DAY_MS - utc_offset_ms
    }

    pub(crate) fn check(&self, field: &str) -> Result<(), RuleError> {
        match *self {
            PointsExpiry::Rolling { months } => {
                if months == 0 {
                    return Err(RuleError::new(
                        format!("{field}.months"),
                        RuleErrorKind::NotPositive,
                    ));
                }
                if months > POINTS_EXPIRY_MONTHS_MAX {
                    return Err(RuleError::new(
                        format!("{field}.months"),
                        RuleErrorKind::OutOfRange,
                    ));
                }
            }
            PointsExpiry::YearlyReset { years_after } => {
                if years_after > POINTS_EXPIRY_YEARS_AFTER_MAX {
                    return Err(RuleError::new(
                        format!("{field}.years_after"),
                        RuleErrorKind::OutOfRange,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Days from 1970-01-01 to `date` (negative before), proleptic Gregorian: Howard
/// Hinnant's `days_from_civil`, counting from a year that starts in March so the leap
/// day is the last day of its year.
pub fn days_since_epoch(date: LocalDate) -> i64 {
    let month = i64::from(date.month.clamp(1, 12));
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::date;
    use proptest::prelude::*;

    const SHANGHAI_MS: i64 = 8 * 60 * 60 * 1_000;

    #[test]
    fn days_since_epoch_of_known_dates() {
        assert_eq!(days_since_epoch(date(1970, 1, 1)), 0);
        assert_eq!(days_since_epoch(date(1969, 12, 31)), -1);
        assert_eq!(days_since_epoch(date(2000, 3, 1)), 11_017);
        // 2024-10-01 00:00 UTC is 1,727,740,800 s after the epoch.
        assert_eq!(days_since_epoch(date(2024, 10, 1)) * 86_400, 1_727_740_800);
    }

    /// Rolling: through the same day N months on, the day clamped to a short month's end;
    /// the points lapse at midnight Shanghai time, 16:00 UTC the day before.
    #[test]
    fn rolling_months_end_on_the_same_day() {
        let twelve = PointsExpiry::Rolling { months: 12 };
        assert_eq!(twelve.last_day(date(2025, 3, 15)), date(2026, 3, 15));
        assert_eq!(twelve.last_day(date(2024, 2, 29)), date(2025, 2, 28));
        let one = PointsExpiry::Rolling { months: 1 };
        assert_eq!(one.last_day(date(2024, 1, 31)), date(2024, 2, 29));
        assert_eq!(one.last_day(date(2025, 1, 31)), date(2025, 2, 28));
        assert_eq!(one.last_day(date(2025, 12, 10)), date(2026, 1, 10));
        // Spendable through 2026-03-15 in Shanghai: lapses 2026-03-16 00:00 +08:00.
        assert_eq!(
            twelve.lapses_at_ms(date(2025, 3, 15), SHANGHAI_MS),
            days_since_epoch(date(2026, 3, 15)) * DAY_MS + 16 * 60 * 60 * 1_000
        );
    }

    /// Yearly reset: everything earned in a year lapses together at the end of year + K.
    #[test]
    fn yearly_reset_ends_with_the_year() {
        let same_year = PointsExpiry::YearlyReset { years_after: 0 };
        assert_eq!(same_year.last_day(date(2025, 1, 1)), date(2025, 12, 31));
        assert_eq!(same_year.last_day(date(2025, 12, 31)), date(2025, 12, 31));
        let next_year = PointsExpiry::YearlyReset { years_after: 1 };
        assert_eq!(
            next_year.lapses_at_ms(date(2025, 2, 3), SHANGHAI_MS),
            next_year.lapses_at_ms(date(2025, 11, 30), SHANGHAI_MS),
            "points of one year lapse together"
        );
        assert_eq!(
            next_year.lapses_at_ms(date(2025, 6, 1), SHANGHAI_MS),
            days_since_epoch(date(2027, 1, 1)) * DAY_MS - SHANGHAI_MS
        );
    }

    #[test]
    fn bad_policies_name_the_field() {
        assert_eq!(
            PointsExpiry::Rolling { months: 0 }.check("points_expiry"),
            Err(RuleError::new(
                "points_expiry.months",
                RuleErrorKind::NotPositive
            ))
        );
        assert_eq!(
            PointsExpiry::Rolling { months: 121 }
                .check("points_expiry")
                .map_err(|e| e.field),
            Err("points_expiry.months".to_owned())
        );
        assert_eq!(
            PointsExpiry::YearlyReset { years_after: 11 }
                .check("points_expiry")
                .map_err(|e| e.field),
            Err("points_expiry.years_after".to_owned())
        );
        assert!(PointsExpiry::YearlyReset { years_after: 0 }
            .check("points_expiry")
            .is_ok());
        let rules = crate::rules::RuleSet {
            points_expiry: Some(PointsExpiry::Rolling { months: 0 }),
            ..crate::rules::RuleSet::default()
        };
        assert_eq!(
            rules.check().map_err(|e| e.field),
            Err("points_expiry.months".to_owned()),
            "the rule set checks its expiry policy"
        );
        assert_eq!(
            crate::rules::RuleSet::default().points_lapse_at_ms(date(2025, 1, 1), SHANGHAI_MS),
            None,
            "no policy, no expiry from the rules"
        );
    }

    #[test]
    fn policies_read_from_json() {
        let rolling: PointsExpiry =
            serde_json::from_str(r#"{"type":"rolling","months":24}"#).expect("rolling");
        assert_eq!(rolling, PointsExpiry::Rolling { months: 24 });
        let yearly: PointsExpiry =
            serde_json::from_str(r#"{"type":"yearly_reset","years_after":1}"#).expect("yearly");
        assert_eq!(yearly, PointsExpiry::YearlyReset { years_after: 1 });
    }

    fn any_date() -> impl Strategy<Value = LocalDate> {
        (1900..2200i32, 1..=12u8, 1..=31u8).prop_map(|(year, month, day)| LocalDate {
            year,
            month,
            day: day.min(days_in_month(year, month)),
        })
    }

    fn any_policy() -> impl Strategy<Value = PointsExpiry> {
        prop_oneof![
            (1..=POINTS_EXPIRY_MONTHS_MAX).prop_map(|months| PointsExpiry::Rolling { months }),
            (0..=POINTS_EXPIRY_YEARS_AFTER_MAX)
                .prop_map(|years_after| PointsExpiry::YearlyReset { years_after }),
        ]
    }

    proptest! {
        /// Points never lapse on the day they were earned or before; the last day is a
        /// real date; a later earning day never lapses sooner; and consecutive dates are
        /// consecutive day numbers.
        #[test]
        fn expiry_is_after_earning_and_monotonic(
            earned in any_date(), later in any_date(), policy in any_policy()
        ) {
            let last = policy.last_day(earned);
            prop_assert!(last.is_valid());
            prop_assert!(last >= earned);
            let lapses = policy.lapses_at_ms(earned, SHANGHAI_MS);
            let end_of_earning_day = (days_since_epoch(earned) + 1) * DAY_MS - SHANGHAI_MS;
            prop_assert!(lapses >= end_of_earning_day);
            let (early, late) = if earned <= later { (earned, later) } else { (later, earned) };
            prop_assert!(
                policy.lapses_at_ms(early, SHANGHAI_MS) <= policy.lapses_at_ms(late, SHANGHAI_MS)
            );
            let next = if earned.day < days_in_month(earned.year, earned.month) {
                LocalDate { day: earned.day + 1, ..earned }
            } else if earned.month < 12 {
                LocalDate { month: earned.month + 1, day: 1, ..earned }
            } else {
                LocalDate { year: earned.year + 1, month: 1, day: 1 }
            };
            prop_assert_eq!(days_since_epoch(next), days_since_epoch(earned) + 1);
        }
    }
}
