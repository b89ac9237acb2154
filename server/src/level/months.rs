//! Terms and upgrade periods are counted in calendar months of the business time
//! (Asia/Shanghai): a year's gold card reached at 15:00 on 31 January 2026 ends at 15:00
//! on 31 January 2027, and a month after 31 January is the last day of February.

use crate::sale::BUSINESS_UTC_OFFSET_MS;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// The instant `months` calendar months after `ms` (before it when negative), at the
/// same business time of day; a day the target month lacks becomes its last day.
pub fn add_months(ms: i64, months: i64) -> i64 {
    shifted(ms, months).unwrap_or(if months >= 0 { i64::MAX } else { i64::MIN })
}

fn shifted(ms: i64, months: i64) -> Option<i64> {
    let offset = UtcOffset::from_whole_seconds((BUSINESS_UTC_OFFSET_MS / 1_000) as i32).ok()?;
    let local = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()?
        .to_offset(offset);
    let index = i64::from(local.year()) * 12 + i64::from(u8::from(local.month())) - 1 + months;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let day = local.day().min(month.length(year));
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let moved = local.replace_date(date);
    i64::try_from(moved.unix_timestamp_nanos() / 1_000_000).ok()
}

/// An instant's business date as `YYYY-MM-DD`, for messages to members.
pub fn business_day(ms: i64) -> String {
    let date = crate::sale::business_time(ms).date;
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        let parsed = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .expect("time");
        (parsed.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// Months are the business calendar's: the day and the time of day stay, a month
    /// too short for the day ends on its last day, and years roll over both ways.
    #[test]
    fn months_follow_the_business_calendar() {
        let start = at("2026-01-31T15:00:00+08:00");
        assert_eq!(add_months(start, 12), at("2027-01-31T15:00:00+08:00"));
        assert_eq!(add_months(start, 1), at("2026-02-28T15:00:00+08:00"));
        assert_eq!(add_months(start, -2), at("2025-11-30T15:00:00+08:00"));
        assert_eq!(
            add_months(at("2024-01-31T08:00:00+08:00"), 1),
            at("2024-02-29T08:00:00+08:00")
        );
        assert_eq!(add_months(start, 0), start);
    }

    /// Near midnight UTC the business date is already the next day, and counts.
    #[test]
    fn the_business_date_decides_the_day() {
        let late = at("2026-01-31T23:30:00Z");
        assert_eq!(business_day(late), "2026-02-01");
        assert_eq!(add_months(late, 1), at("2026-03-01T07:30:00+08:00"));
    }
}
