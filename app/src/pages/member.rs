//! The pieces of the member's phone face beside `member_page`.

pub mod profile_form;
pub mod registration_form;
