//! One module per route.

pub mod home_page;
pub mod hq;
pub mod hq_page;
pub mod login_page;
pub mod member;
pub mod member_page;
pub mod not_found_page;
pub mod pos;
pub mod pos_page;
