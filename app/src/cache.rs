//! The counter's IndexedDB cache (SYS-12): what the till needs to sell with the network
//! down. Members (the minimum, phone masked), the catalogue, levels and the rules come
//! from the server's pull pages; the outbox holds every command the till made, written
//! before it is sent; held sales and recent receipts stay on the tablet.

pub mod db;
pub mod lookup;
pub mod meta;
pub mod outbox;
pub mod pages;
pub mod parked;

pub use db::CacheError;
