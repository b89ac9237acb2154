//! The Huiyuan server: auth, the API, the audit log, and serving the built client.

pub mod access;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod catalogue;
pub mod db;
pub mod error;
pub mod extract;
pub mod ledger;
pub mod openapi;
pub mod routes;
pub mod sale;
pub mod sale_return;
pub mod scope;
pub mod serve;
pub mod state;
pub mod stored_value;
