//! A keyboard-wedge scanner types a code faster than any hand and ends it with Enter.
//! This listens on the whole window, so a scan is caught on any screen of the counter
//! without a box having focus. When a text box has focus the scan goes into that box
//! and its own Enter handles it, so nothing is read twice.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Keystrokes further apart than this are a person typing.
const GAP_MAX_MS: f64 = 60.0;
/// Codes shorter than this are not scans.
const CODE_LEN_MIN: usize = 4;

/// Calls `on_scan` with each scanned code while the calling component lives.
pub fn listen(on_scan: impl Fn(String) + 'static) {
    let buffer = StoredValue::new(String::new());
    let last = StoredValue::new(0.0_f64);
    let handle = window_event_listener(ev::keydown, move |event| {
        if in_text_box(&event) {
            buffer.set_value(String::new());
            return;
        }
        let now = js_sys::Date::now();
        if now - last.get_value() > GAP_MAX_MS {
            buffer.set_value(String::new());
        }
        last.set_value(now);
        let key = event.key();
        if key == "Enter" {
            let code = buffer.get_value();
            buffer.set_value(String::new());
            if code.chars().count() >= CODE_LEN_MIN {
                event.prevent_default();
                on_scan(code);
            }
        } else if key.chars().count() == 1 {
            buffer.update_value(|buffer| buffer.push_str(&key));
        }
    });
    on_cleanup(move || handle.remove());
}

fn in_text_box(event: &web_sys::KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            let tag = element.tag_name().to_ascii_lowercase();
            tag == "input" || tag == "textarea" || tag == "select"
        })
}
