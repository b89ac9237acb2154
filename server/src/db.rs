//! The database: SQLite by default, PostgreSQL by URL scheme. One SQL dialect runs on both
//! (`$1` binds, `RETURNING`, `ON CONFLICT`) through sqlx's `Any` driver; each place where
//! the engines differ says so.

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The SQLite default for a newcomer: a file beside the server, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/huiyuan.db";
/// How long a statement waits for a SQLite lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 5_000;
/// Read connections in the pool.
const POOL_CONNECTIONS_MAX: u32 = 16;
const ACQUIRE_TIMEOUT_MS: u64 = 10_000;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }

    /// The backend a URL names, or a clear error for any other scheme.
    pub fn of_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(DbKind::Sqlite),
            "postgres" | "postgresql" => Ok(DbKind::Postgres),
            _ => Err(DbError::UnknownScheme(scheme.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL scheme `{0}`: use sqlite://PATH or postgres://…")]
    UnknownScheme(String),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connections to the database. Reads go to `pool`. Writes go to `writer`: on SQLite a
/// pool of exactly one connection, because SQLite has one writer and a second would only
/// wait for the lock or fail a read-then-write transaction with `SQLITE_BUSY`; on
/// PostgreSQL the same pool as reads.
#[derive(Clone)]
pub struct Db {
    pub kind: DbKind,
    pub pool: AnyPool,
    pub writer: AnyPool,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: never print it.
        f.debug_struct("Db")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let kind = DbKind::of_url(url)?;
        match kind {
            DbKind::Sqlite => Self::connect_sqlite(url).await,
            DbKind::Postgres => {
                let options = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(POOL_CONNECTIONS_MAX)
                    .acquire_timeout(Duration::from_millis(ACQUIRE_TIMEOUT_MS))
                    .connect_with(options)
                    .await?;
                Ok(Db {
                    kind,
                    writer: pool.clone(),
                    pool,
                })
            }
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Db, DbError> {
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        if let Some(parent) = std::path::Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() && path != ":memory:" {
                std::fs::create_dir_all(parent).map_err(|source| DbError::Folder {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
        }
        let url = if url.contains('?') {
            url.to_owned()
        } else {
            format!("{url}?mode=rwc")
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool_options = |connections: u32| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_millis(ACQUIRE_TIMEOUT_MS))
                .after_connect(|connection, _meta| {
                    Box::pin(async move {
                        // This is money: every commit reaches the disk before it is
                        // acknowledged (synchronous=FULL), and WAL lets readers go on
                        // while the one writer commits.
                        connection
                            .execute(
                                format!(
                                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                                     PRAGMA foreign_keys = ON; \
                                     PRAGMA synchronous = FULL;"
                                )
                                .as_str(),
                            )
                            .await?;
                        Ok(())
                    })
                })
        };
        let writer = pool_options(1).connect_with(options.clone()).await?;
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&writer)
            .await?;
        let pool = pool_options(POOL_CONNECTIONS_MAX)
            .connect_with(options)
            .await?;
        Ok(Db {
            kind: DbKind::Sqlite,
            pool,
            writer,
        })
    }

    /// Brings the schema up to date. Each backend has its own folder of migrations with
    /// the same file names, so the two never drift apart unnoticed.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.kind {
            DbKind::Sqlite => SQLITE_MIGRATIONS.run(&self.writer).await?,
            DbKind::Postgres => POSTGRES_MIGRATIONS.run(&self.writer).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// Milliseconds since the Unix epoch, UTC: how every timestamp is stored.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A stored timestamp as RFC 3339 in UTC, for the wire.
pub fn ms_to_rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_scheme_picks_the_backend() {
        assert_eq!(DbKind::of_url("sqlite://./x.db").ok(), Some(DbKind::Sqlite));
        assert_eq!(
            DbKind::of_url("postgres://u@h/db").ok(),
            Some(DbKind::Postgres)
        );
        assert_eq!(
            DbKind::of_url("postgresql://u@h/db").ok(),
            Some(DbKind::Postgres)
        );
        let error = DbKind::of_url("mysql://h/db").expect_err("mysql is not supported");
        assert!(error.to_string().contains("mysql"));
    }

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(ms_to_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(ms_to_rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
