//! Display helpers for values that arrive from the server.

use wasm_bindgen::JsValue;

/// An RFC 3339 timestamp in the browser's local time, `YYYY-MM-DD HH:MM:SS`; the text
/// itself when it is not a timestamp.
pub fn local_time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// Whether an RFC 3339 timestamp lies in the future of the browser's clock.
pub fn is_future(rfc3339: &str) -> bool {
    let at = js_sys::Date::new(&JsValue::from_str(rfc3339)).get_time();
    !at.is_nan() && at > js_sys::Date::now()
}

/// The browser's current local time, `HH:MM`.
pub fn clock_now() -> String {
    let now = js_sys::Date::new_0();
    format!("{:02}:{:02}", now.get_hours(), now.get_minutes())
}
