//! The staff session: who is logged in at this browser, loaded from `/auth/me` at start.

use huiyuan_shared::api::{error_code, ApiError, StaffMe};
use huiyuan_shared::Permission;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::i18n::NETWORK_ERROR;

/// Where the last staff session is remembered, so a counter reloaded while the network
/// is down still knows its cashier. The server checks the session again on every call.
const STAFF_STORAGE_KEY: &str = "huiyuan.staff";

fn remember(staff: Option<&StaffMe>) {
    use gloo_storage::{LocalStorage, Storage};
    match staff {
        Some(staff) => {
            let _ = LocalStorage::set(STAFF_STORAGE_KEY, staff);
        }
        None => LocalStorage::delete(STAFF_STORAGE_KEY),
    }
}

fn remembered() -> Option<StaffMe> {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::get(STAFF_STORAGE_KEY).ok()
}

/// What the client knows about the staff session.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionState {
    /// `/auth/me` has not answered yet.
    Loading,
    /// Nobody is logged in.
    Anonymous,
    /// Somebody just logged out here; guarded pages send the browser to the login page,
    /// coming back to `return_to` when it is set.
    LoggedOut {
        return_to: Option<String>,
    },
    LoggedIn(StaffMe),
    /// The session could not be checked, e.g. the server is unreachable.
    Failed(ApiError),
}

#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub state: RwSignal<SessionState>,
}

impl Session {
    /// Provides the context and starts asking the server who is logged in.
    pub fn provide() -> Session {
        let session = Session {
            state: RwSignal::new(SessionState::Loading),
        };
        provide_context(session);
        session.reload();
        session
    }

    pub fn reload(&self) {
        let state = self.state;
        state.set(SessionState::Loading);
        spawn_local(async move {
            let next = match api::staff_me().await {
                Ok(staff) => {
                    remember(Some(&staff));
                    SessionState::LoggedIn(staff)
                }
                Err(error) if error.code == error_code::UNAUTHENTICATED => {
                    remember(None);
                    SessionState::Anonymous
                }
                Err(error) if error.code == NETWORK_ERROR => match remembered() {
                    Some(staff) => SessionState::LoggedIn(staff),
                    None => SessionState::Failed(error),
                },
                Err(error) => SessionState::Failed(error),
            };
            state.set(next);
        });
    }

    pub fn staff(&self) -> Option<StaffMe> {
        match self.state.get() {
            SessionState::LoggedIn(staff) => Some(staff),
            _ => None,
        }
    }

    /// Whether the logged-in staff holds `permission`; false for nobody.
    pub fn can(&self, permission: Permission) -> bool {
        self.state.with(|state| match state {
            SessionState::LoggedIn(staff) => staff.can(permission),
            _ => false,
        })
    }

    pub fn set_logged_in(&self, staff: StaffMe) {
        remember(Some(&staff));
        self.state.set(SessionState::LoggedIn(staff));
    }

    /// Ends the session on the server and here. The local session ends even when the
    /// server cannot be reached, so a shared till is never left logged in on screen.
    pub async fn logout(&self, return_to: Option<String>) {
        let _ = api::staff_logout().await;
        remember(None);
        self.state.set(SessionState::LoggedOut { return_to });
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The face a staff member lands on after logging in. Someone with neither permission
/// goes to the counter, which then tells them they lack it.
pub fn home_path(staff: &StaffMe) -> &'static str {
    if staff.can(Permission::HqUse) {
        "/hq"
    } else {
        "/pos"
    }
}

/// The login page address that comes back to `next` after logging in.
pub fn login_path(next: Option<&str>) -> String {
    match next.and_then(safe_next) {
        Some(next) => format!(
            "/login?next={}",
            String::from(js_sys::encode_uri_component(next))
        ),
        None => "/login".to_owned(),
    }
}

/// A `next` path is followed only within this site, never to another origin.
pub fn safe_next(next: &str) -> Option<&str> {
    let is_local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    is_local.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only same-site paths are accepted as a destination after login.
    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/hq/staff"), Some("/hq/staff"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
    }
}
