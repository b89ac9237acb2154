//! Shows its children only to a logged-in staff member holding a permission: nobody
//! logged in goes to the login page, someone without the permission sees the forbidden view.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::Permission;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::components::error_view::ErrorView;
use crate::components::forbidden_view::ForbiddenView;
use crate::components::loading_view::LoadingView;
use crate::session::{login_path, use_session, SessionState};

#[derive(Clone, Debug, PartialEq)]
enum Access {
    Checking,
    /// Go to the login page; the string is where to come back to.
    Login(Option<String>),
    Failed(ApiError),
    Forbidden,
    Allowed,
}

#[component]
pub fn StaffGuard(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let access = Memo::new(move |_| match session.state.get() {
        SessionState::Loading => Access::Checking,
        SessionState::Anonymous => Access::Login(Some(location.pathname.get_untracked())),
        SessionState::LoggedOut { return_to } => Access::Login(return_to),
        SessionState::Failed(error) => Access::Failed(error),
        SessionState::LoggedIn(staff) if staff.can(permission) => Access::Allowed,
        SessionState::LoggedIn(_) => Access::Forbidden,
    });

    // Navigating from an effect rather than during rendering keeps the router's update
    // out of the render pass.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Access::Login(next) = access.get() {
            let options = NavigateOptions {
                replace: true,
                ..Default::default()
            };
            navigate(&login_path(next.as_deref()), options);
        }
    });

    move || match access.get() {
        Access::Checking | Access::Login(_) => view! { <LoadingView /> }.into_any(),
        Access::Failed(error) => {
            let retry = Callback::new(move |()| session.reload());
            view! {
                <main class="centered-page">
                    <ErrorView error on_retry=retry />
                </main>
            }
            .into_any()
        }
        Access::Forbidden => view! { <ForbiddenView /> }.into_any(),
        Access::Allowed => children().into_any(),
    }
}
