//! The pages inside the head-office shell.

pub mod audit_page;
pub mod member_import_page;
pub mod overview_page;
pub mod staff_page;
pub mod stores_page;
