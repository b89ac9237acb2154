//! The pieces of the member's phone face beside `member_page`.

pub mod registration_form;
