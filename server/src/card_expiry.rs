//! Last valid days of cards. An expiry is a business date (Asia/Shanghai), inclusive,
//! stored as `YYYY-MM-DD` so that dates compare as text in SQL and in Rust alike.

use crate::sale::business_time;
use huiyuan_shared::FieldError;

/// The business date of an instant, `YYYY-MM-DD`.
pub fn business_day(ms: i64) -> String {
    let date = business_time(ms).date;
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

/// Whether a card whose last valid day is `expires_on` can no longer be used at `now`.
pub fn is_past(expires_on: Option<&str>, now: i64) -> bool {
    expires_on.is_some_and(|last_day| last_day < business_day(now).as_str())
}

/// A requested last valid day: a real date, `YYYY-MM-DD`, not before today.
pub fn parse(field: &str, text: Option<&str>, now: i64) -> Result<Option<String>, FieldError> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format)
        .map_err(|_| FieldError::new(field, "invalid_date", "日期格式应为 YYYY-MM-DD"))?;
    let day = format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    if day < business_day(now) {
        return Err(FieldError::new(field, "in_the_past", "有效期不能早于今天"));
    }
    Ok(Some(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Business days follow UTC+8: 16:00 UTC is midnight in Shanghai.
    #[test]
    fn days_follow_business_time() {
        let last_ms_of_feb_in_shanghai = 1_772_294_399_999; // 2026-02-28T15:59:59.999Z
        assert_eq!(business_day(last_ms_of_feb_in_shanghai), "2026-02-28");
        assert_eq!(business_day(last_ms_of_feb_in_shanghai + 1), "2026-03-01");
        assert!(!is_past(Some("2026-02-28"), last_ms_of_feb_in_shanghai));
        assert!(is_past(Some("2026-02-28"), last_ms_of_feb_in_shanghai + 1));
        assert!(!is_past(None, i64::MAX / 2));
        assert_eq!(
            parse("expires_on", Some("2026-03-01"), last_ms_of_feb_in_shanghai),
            Ok(Some("2026-03-01".to_owned()))
        );
        assert_eq!(
            parse("expires_on", Some("2026-02-27"), last_ms_of_feb_in_shanghai).map_err(|e| e.code),
            Err("in_the_past".to_owned())
        );
        assert_eq!(
            parse("expires_on", Some("2026-02-30"), 0).map_err(|e| e.code),
            Err("invalid_date".to_owned())
        );
        assert_eq!(parse("expires_on", None, 0), Ok(None));
    }
}
