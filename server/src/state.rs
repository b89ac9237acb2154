//! What every request handler can reach.

use crate::db::Db;
use crate::ledger::writer::Writer;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    /// Ledger commands go through here (group commit on SQLite).
    pub writer: Writer,
    pub config: Arc<ServerConfig>,
}

impl AppState {
    /// The state of a running server; starts the ledger writer.
    pub fn new(db: Db, config: ServerConfig) -> Self {
        Self {
            writer: Writer::start(db.clone()),
            db,
            config: Arc::new(config),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The built client: index.html, pkg/, style/.
    pub dist_dir: PathBuf,
    /// Mark cookies `Secure`; on when served behind HTTPS.
    pub secure_cookies: bool,
}
