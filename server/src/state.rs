//! What every request handler can reach.

use crate::db::Db;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<ServerConfig>,
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The built client: index.html, pkg/, style/.
    pub dist_dir: PathBuf,
    /// Mark cookies `Secure`; on when served behind HTTPS.
    pub secure_cookies: bool,
}
