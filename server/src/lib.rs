//! The Huiyuan server: auth, the API, the audit log, and serving the built client.

pub mod access;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod card_expiry;
pub mod catalogue;
pub mod countcard;
pub mod db;
pub mod error;
pub mod extract;
pub mod giftcard;
pub mod ledger;
pub mod member;
pub mod notify;
pub mod openapi;
pub mod pin;
pub mod routes;
pub mod sale;
pub mod sale_attach;
pub mod sale_return;
pub mod scope;
pub mod serve;
pub mod spreadsheet;
pub mod state;
pub mod stored_value;
