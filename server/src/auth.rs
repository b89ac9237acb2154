//! Authentication: password hashing, sessions, and who is making a request.

pub mod credentials;
pub mod password;
pub mod principal;
pub mod session;

pub use principal::{MemberPrincipal, Principal, StaffPrincipal};
