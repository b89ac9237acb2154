//! Pieces shared by the three faces.

pub mod brand_mark;
pub mod error_view;
pub mod forbidden_view;
pub mod form_field;
pub mod lang_switch;
pub mod loading_view;
pub mod logout_button;
pub mod profile_field;
pub mod qr_code;
pub mod staff_guard;
pub mod sync_chip;
