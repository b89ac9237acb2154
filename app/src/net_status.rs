//! Whether the browser believes it is online, kept current by the window's events.

use leptos::ev;
use leptos::prelude::*;

/// A signal that is true while `navigator.onLine` is true.
pub fn use_online() -> ReadSignal<bool> {
    let initial = web_sys::window()
        .map(|window| window.navigator().on_line())
        .unwrap_or(true);
    let (online, set_online) = signal(initial);
    let on = window_event_listener(ev::online, move |_| set_online.set(true));
    let off = window_event_listener(ev::offline, move |_| set_online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    online
}
