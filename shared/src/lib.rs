//! Domain types and rules used by both the Huiyuan server and the browser client.
//!
//! This crate does no I/O and compiles for `wasm32-unknown-unknown` as well as native
//! targets, so that the counter computes exactly what the server records.

pub mod api;
pub mod card;
pub mod catalogue;
pub mod check_digit;
pub mod countcard;
pub mod giftcard;
pub mod ids;
pub mod level;
pub mod member;
pub mod member_import;
pub mod money;
pub mod permission;
pub mod points;
pub mod redemption;
pub mod registration;
pub mod rules;
pub mod sale;
pub mod shift;
pub mod sync;
pub mod topup_batch;
pub mod validate;
pub mod value;
pub mod value_report;
pub mod withdrawal;

pub use ids::{MemberId, SessionId, StaffId, StoreId};
pub use money::{Money, MoneyError};
pub use permission::Permission;
pub use validate::{FieldError, ValidationErrors};
