//! Test harness: a real server on a free port over a fresh database of either backend.
//! SQLite uses a temporary file; PostgreSQL a database created for the test and dropped
//! afterwards. With `CI=true` an unreachable PostgreSQL fails the test instead of
//! skipping it.
#![allow(dead_code)]

pub mod invariants;

use huiyuan_server::bootstrap;
use huiyuan_server::db::Db;
use huiyuan_server::state::{AppState, ServerConfig};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub base: String,
    pub db: Db,
    /// The database's URL, for stories that run the `huiyuan` command against it.
    pub database_url: String,
    /// The running server's state, for stories that drive the ledger directly.
    pub state: AppState,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(std::path::PathBuf),
    PgDatabase { admin_url: String, name: String },
}

pub fn pg_admin_url() -> String {
    std::env::var("HUIYUAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Starts a server with the demo data loaded, or `None` when PostgreSQL is wanted but
/// cannot be reached outside CI.
pub async fn start(backend: Backend) -> Option<TestServer> {
    let (url, cleanup) = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir()
                .join(format!("huiyuan-test-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir).expect("temporary folder");
            (
                format!("sqlite://{}/huiyuan.db", dir.display()),
                Cleanup::Folder(dir),
            )
        }
        Backend::Postgres => {
            let admin_url = pg_admin_url();
            let name = format!("huiyuan_test_{}", uuid::Uuid::now_v7().simple());
            sqlx::any::install_default_drivers();
            let admin = match sqlx::AnyPool::connect(&admin_url).await {
                Ok(pool) => pool,
                Err(error) if std::env::var("CI").as_deref() != Ok("true") => {
                    eprintln!("skipping the PostgreSQL story: {error}");
                    return None;
                }
                Err(error) => {
                    panic!("PostgreSQL at HUIYUAN_TEST_PG_URL is unreachable in CI: {error}")
                }
            };
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .expect("create the test database");
            admin.close().await;
            let url = match admin_url.rsplit_once('/') {
                Some((server, _)) => format!("{server}/{name}"),
                None => panic!("HUIYUAN_TEST_PG_URL must name a database"),
            };
            (url, Cleanup::PgDatabase { admin_url, name })
        }
    };
    let db = Db::connect(&url).await.expect("connect");
    let database_url = url.clone();
    db.migrate().await.expect("migrate");
    assert!(bootstrap::load_demo_data(&db).await.expect("demo data"));
    let listener = huiyuan_server::serve::bind("127.0.0.1:0")
        .await
        .expect("bind");
    // `localhost`, not the IP: cookie jars (as browsers) keep cookies by host name.
    let base = format!(
        "http://localhost:{}",
        listener.local_addr().expect("address").port()
    );
    let state = AppState::new(
        db.clone(),
        ServerConfig {
            dist_dir: std::env::temp_dir().join("huiyuan-no-client"),
            secure_cookies: false,
        },
    );
    tokio::spawn(huiyuan_server::serve::run(listener, state.clone()));
    Some(TestServer {
        base,
        db,
        database_url,
        state,
        backend,
        cleanup,
    })
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps cookies, as a browser does.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    /// The id of a demo store or member, by store code or member phone.
    pub async fn store_id(&self, code: &str) -> String {
        sqlx::query_scalar("SELECT id FROM stores WHERE code = $1")
            .bind(code)
            .fetch_one(&self.db.pool)
            .await
            .expect("store")
    }

    pub async fn member_id(&self, phone: &str) -> String {
        sqlx::query_scalar("SELECT id FROM members WHERE phone = $1")
            .bind(phone)
            .fetch_one(&self.db.pool)
            .await
            .expect("member")
    }

    /// Logs a staff member in and returns their bearer token.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let response = reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), 200, "login as {username}");
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn stop(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::Folder(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                if let Ok(admin) = sqlx::AnyPool::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            }
        }
    }
}

/// Sends a request and returns the status and the JSON body (`Null` when empty).
pub async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, body)
}
