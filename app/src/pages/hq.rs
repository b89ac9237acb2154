//! The pages inside the head-office shell.

pub mod approvals_page;
pub mod audit_page;
pub mod card_stock_page;
pub mod cards_page;
pub mod levels_page;
pub mod member_detail_page;
pub mod member_import_page;
pub mod member_settings_page;
pub mod members_page;
pub mod offline_page;
pub mod overview_page;
pub mod staff_page;
pub mod stores_page;
