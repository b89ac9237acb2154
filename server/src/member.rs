//! Members (MEM-1, MEM-3, MEM-6): the record and its profile fields, HQ's classification
//! lists, member numbers, and search among a million members.

pub mod classes;
pub mod export;
pub mod fields;
pub mod import;
pub mod numbers;
pub mod purchases;
pub mod record;
pub mod search;

pub use record::{load, MemberEditor};
