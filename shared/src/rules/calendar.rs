//! Local calendar dates and times as the shop sees them. The engine has no clock and no
//! time-zone database (it runs in the browser too): the caller passes the store's local
//! date and minute of the day, and the weekday is computed from the date.

use super::error::{RuleError, RuleErrorKind};
use serde::{Deserialize, Serialize};

/// Minutes in a day; `minute_of_day` runs from 0 to this minus one.
pub const MINUTES_PER_DAY: u16 = 1_440;
/// The earliest year accepted.
const YEAR_MIN: i32 = 1;
/// The latest year accepted.
const YEAR_MAX: i32 = 9_999;

/// A calendar date (proleptic Gregorian) in the store's local time. Field order makes the
/// derived ordering chronological.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// A month and day that recur every year, such as 五一 (5-1) or 十一 (10-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthDay {
    pub month: u8,
    pub day: u8,
}

/// A local date and the minute of that day (0 = 00:00, 1439 = 23:59).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalDateTime {
    pub date: LocalDate,
    pub minute_of_day: u16,
}

/// A day of the week, Monday first as on Chinese calendars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month, or 0 for a month that does not exist.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl LocalDate {
    /// A date, if it exists on the calendar.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let date = Self { year, month, day };
        date.is_valid().then_some(date)
    }

    pub fn is_valid(self) -> bool {
        (YEAR_MIN..=YEAR_MAX).contains(&self.year)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
    }

    pub(crate) fn check(self, field: &str) -> Result<(), RuleError> {
        if self.is_valid() {
            Ok(())
        } else {
            Err(RuleError::new(field, RuleErrorKind::InvalidDate))
        }
    }

    /// The day of the week, by Sakamoto's method: an offset per month plus the leap days
    /// before the date, counted from a year that starts in March.
    pub fn weekday(self) -> Weekday {
        const MONTH_OFFSETS: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let month_index = usize::from(self.month.clamp(1, 12) - 1);
        let year = if self.month < 3 {
            self.year - 1
        } else {
            self.year
        };
        let days = year + year.div_euclid(4) - year.div_euclid(100)
            + year.div_euclid(400)
            + MONTH_OFFSETS[month_index]
            + i32::from(self.day);
        // 0 = Sunday in Sakamoto's count.
        match days.rem_euclid(7) {
            0 => Weekday::Sunday,
            1 => Weekday::Monday,
            2 => Weekday::Tuesday,
            3 => Weekday::Wednesday,
            4 => Weekday::Thursday,
            5 => Weekday::Friday,
            _ => Weekday::Saturday,
        }
    }

    pub fn month_day(self) -> MonthDay {
        MonthDay {
            month: self.month,
            day: self.day,
        }
    }
}

impl MonthDay {
    /// Checks the month and day exist in some year (29 February is allowed).
    pub(crate) fn check(self, field: &str) -> Result<(), RuleError> {
        // 2000 is a leap year, so 29 February passes.
        LocalDate::new(2000, self.month, self.day)
            .map(|_| ())
            .ok_or_else(|| RuleError::new(field, RuleErrorKind::InvalidDate))
    }

    /// Whether this recurring day falls on `date`. A 29 February falls on 28 February in
    /// other years, so members born on it still have a birthday.
    pub fn falls_on(self, date: LocalDate) -> bool {
        if self.month == 2 && self.day == 29 && !is_leap_year(date.year) {
            return date.month == 2 && date.day == 28;
        }
        self.month == date.month && self.day == date.day
    }
}

impl LocalDateTime {
    pub fn new(date: LocalDate, minute_of_day: u16) -> Self {
        Self {
            date,
            minute_of_day,
        }
    }

    pub(crate) fn check(self, field: &str) -> Result<(), RuleError> {
        self.date.check(&format!("{field}.date"))?;
        if self.minute_of_day >= MINUTES_PER_DAY {
            return Err(RuleError::new(
                format!("{field}.minute_of_day"),
                RuleErrorKind::OutOfRange,
            ));
        }
        Ok(())
    }

    pub fn weekday(self) -> Weekday {
        self.date.weekday()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u8, day: u8) -> LocalDate {
        LocalDate::new(year, month, day).expect("a real date")
    }

    /// Weekdays match dates a shop knows: National Day 2024 was a Tuesday, 2000-01-01 a
    /// Saturday, 29 Feb 2024 a Thursday, 1900-03-01 a Thursday (1900 is not a leap year).
    #[test]
    fn weekdays_of_known_dates() {
        assert_eq!(date(2024, 10, 1).weekday(), Weekday::Tuesday);
        assert_eq!(date(2000, 1, 1).weekday(), Weekday::Saturday);
        assert_eq!(date(2024, 2, 29).weekday(), Weekday::Thursday);
        assert_eq!(date(1900, 3, 1).weekday(), Weekday::Thursday);
        assert_eq!(date(2025, 5, 1).weekday(), Weekday::Thursday);
        assert_eq!(date(2026, 1, 4).weekday(), Weekday::Sunday);
        assert_eq!(date(1, 1, 1).weekday(), Weekday::Monday);
    }

    /// Consecutive days step through the week without gaps across month, year and
    /// leap-day boundaries for four centuries.
    #[test]
    fn weekdays_advance_one_a_day() {
        let order = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        let index = |w: Weekday| order.iter().position(|&o| o == w).unwrap_or(usize::MAX);
        let mut previous = index(date(1899, 12, 31).weekday());
        for year in 1900..2300 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let current = index(date(year, month, day).weekday());
                    assert_eq!(current, (previous + 1) % 7, "{year}-{month}-{day}");
                    previous = current;
                }
            }
        }
    }

    /// Dates that do not exist and minutes past midnight are refused by field.
    #[test]
    fn invalid_dates_and_minutes_are_refused() {
        assert!(LocalDate::new(2023, 2, 29).is_none());
        assert!(LocalDate::new(2024, 2, 29).is_some());
        assert!(LocalDate::new(2024, 13, 1).is_none());
        assert!(LocalDate::new(2024, 4, 31).is_none());
        assert!(LocalDate::new(2024, 1, 0).is_none());
        let late = LocalDateTime::new(date(2024, 1, 1), MINUTES_PER_DAY);
        assert_eq!(
            late.check("now").map_err(|e| e.field),
            Err("now.minute_of_day".to_owned())
        );
        let bad = LocalDateTime::new(
            LocalDate {
                year: 2023,
                month: 2,
                day: 29,
            },
            0,
        );
        assert_eq!(
            bad.check("now").map_err(|e| e.field),
            Err("now.date".to_owned())
        );
    }

    /// A birthday on 29 February is celebrated on 28 February in ordinary years.
    #[test]
    fn leap_day_birthdays_fall_on_28_february_otherwise() {
        let leap_day = MonthDay { month: 2, day: 29 };
        assert!(leap_day.falls_on(date(2024, 2, 29)));
        assert!(!leap_day.falls_on(date(2024, 2, 28)));
        assert!(leap_day.falls_on(date(2025, 2, 28)));
        assert!(MonthDay { month: 10, day: 1 }.falls_on(date(2031, 10, 1)));
    }
}
