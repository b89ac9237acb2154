//! `/`: sends a logged-in staff member to their face and anyone else to the login page.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::components::loading_view::LoadingView;
use crate::session::{home_path, use_session, SessionState};

#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let target = match session.state.get() {
            SessionState::Loading => return,
            SessionState::LoggedIn(staff) => home_path(&staff).to_owned(),
            _ => "/login".to_owned(),
        };
        let options = NavigateOptions {
            replace: true,
            ..Default::default()
        };
        navigate(&target, options);
    });
    view! {
        <main class="centered-page">
            <LoadingView />
        </main>
    }
}
