//! The real `huiyuan` binary killed mid-stream, on SQLite and PostgreSQL: several tills
//! stream sales paid partly from stored value; the server is killed with SIGKILL while
//! they sell; on restart every sale a till saw acknowledged is there exactly once, every
//! sale attempted can be sent again without ever being recorded twice, and the ledger's
//! invariants hold. The server's expiry timer runs alongside, and afterwards
//! `huiyuan points expire --as-of` lapses what is left.

mod common;

use common::invariants;
use huiyuan_server::db::{now_ms, Db};
use huiyuan_server::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Tills selling at once, one member each.
const TILLS: usize = 4;
/// Sales acknowledged before the kill, at least.
const ACKED_BEFORE_KILL: usize = 120;
/// The most time any step may wait for the server.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
const MEMBER_PHONES: [&str; TILLS] = ["13800138000", "13900139000", "13700137000", "13600136000"];
/// The member whose points lapsed before the server first started.
const LAPSED_PHONE: &str = "15000150000";
const LAPSED_LOT: &str = "seed-lapsed:0";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_stream_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("huiyuan-crash-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}/huiyuan.db", dir.display());
    crash_story(&url).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_stream_on_postgres() {
    let admin_url = common::pg_admin_url();
    sqlx::any::install_default_drivers();
    let admin = match sqlx::AnyPool::connect(&admin_url).await {
        Ok(pool) => pool,
        Err(error) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipping the PostgreSQL crash story: {error}");
            return;
        }
        Err(error) => panic!("PostgreSQL at HUIYUAN_TEST_PG_URL is unreachable in CI: {error}"),
    };
    let name = format!("huiyuan_crash_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create the test database");
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("HUIYUAN_TEST_PG_URL must name a database"),
    };
    crash_story(&url).await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await;
    admin.close().await;
}

/// A running `huiyuan serve`.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the binary on port 0 and reads the address it prints. Its expiry timer
    /// runs every second.
    async fn start(url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_huiyuan"))
            .args(["serve", "--listen", "127.0.0.1:0", "--dist"])
            .arg(std::env::temp_dir().join("huiyuan-no-client"))
            .env("HUIYUAN_DATABASE_URL", url)
            .env("HUIYUAN_LOG", "error")
            .env("HUIYUAN_POINTS_EXPIRY_INTERVAL", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start huiyuan serve");
        let stdout = child.stdout.take().expect("stdout");
        let (address, found) = tokio::sync::oneshot::channel();
        // Reads the address, then keeps draining so the server never blocks on a full pipe.
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            let mut address = Some(address);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(base) = line.strip_prefix("huiyuan listening on ") {
                    if let Some(sender) = address.take() {
                        let _ = sender.send(base.to_owned());
                    }
                }
            }
        });
        let base = tokio::time::timeout(STEP_TIMEOUT, found)
            .await
            .expect("the server starts in time")
            .expect("the server prints its address");
        Server { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no graceful shutdown, no chance to finish what is in flight.
    async fn kill(mut self) {
        self.child.kill().await.expect("kill the server");
    }
}

/// Runs the binary to completion and returns its standard output.
async fn huiyuan(url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_huiyuan"))
        .args(args)
        .env("HUIYUAN_DATABASE_URL", url)
        .env("HUIYUAN_LOG", "error")
        .output()
        .await
        .expect("run huiyuan");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "huiyuan {args:?}: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

async fn login(client: &reqwest::Client, server: &Server, username: &str) -> String {
    let (status, body) = common::call(
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 200, "login as {username}: {body}");
    body["token"].as_str().expect("token").to_owned()
}

async fn scalar(db: &Db, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// What the tills did: every sale they sent (before sending it), and the receipts of
/// those acknowledged with 201.
#[derive(Default)]
struct Stream {
    attempted: Vec<(uuid::Uuid, Value)>,
    acked: HashMap<uuid::Uuid, Value>,
    /// An answer other than 201 or a broken connection, which must not happen.
    unexpected: Vec<String>,
}

async fn crash_story(url: &str) {
    let started = Instant::now();
    huiyuan(url, &["demo-data"]).await;
    let db = Db::connect(url).await.expect("connect");
    let store: String = sqlx::query_scalar("SELECT id FROM stores WHERE code = 'S001'")
        .fetch_one(&db.pool)
        .await
        .expect("store");
    let member_of = |phone: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT id FROM members WHERE phone = $1")
                .bind(phone)
                .fetch_one(&db.pool)
                .await
                .expect("member")
        }
    };
    let mut members = Vec::new();
    for phone in MEMBER_PHONES {
        members.push(member_of(phone).await);
    }
    // Points that lapsed a minute ago, before the server ever ran: its timer lapses them.
    let lapsed_member = member_of(LAPSED_PHONE).await;
    let mut tx = db.writer.begin().await.expect("begin");
    ledger::post_transfers(
        &mut tx,
        &PostingContext {
            command_id: "seed-lapsed".to_owned(),
            store_id: Some(store.clone()),
            ..PostingContext::default()
        },
        &[NewTransfer {
            debit: AccountKey::store_points_issued(&store),
            credit: AccountKey::member_points(&lapsed_member),
            amount: 77,
            kind: TransferKind::Earn,
            memo: None,
            points_expire_at: Some(now_ms() - 60_000),
        }],
    )
    .await
    .expect("seed lapsed points");
    tx.commit().await.expect("commit");

    let server = Server::start(url).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let admin = login(&client, &server, "admin").await;
    let (status, item) = common::call(
        client
            .post(server.url("/api/v1/items"))
            .bearer_auth(&admin)
            .json(&json!({ "code": "K001", "name": "茉莉花茶", "retail_price_fen": 1_250, "member_price_fen": 1_100 })),
    )
    .await;
    assert_eq!(status, 201, "{item}");
    let item_id = item["id"].as_str().expect("item id").to_owned();
    let (status, rules) = common::call(
        client.put(server.url("/api/v1/rules")).bearer_auth(&admin).json(&json!({
            "version": 0,
            "earn_rules": [{ "id": "earn-base", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }],
            "points_expiry": { "type": "rolling", "months": 12 }
        })),
    )
    .await;
    assert_eq!(status, 200, "{rules}");
    let cashier = login(&client, &server, "cashier").await;
    for member in &members {
        let (status, topup) = common::call(
            client
                .post(server.url("/api/v1/topups"))
                .bearer_auth(&cashier)
                .json(&json!({
                    "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": store,
                    "amount_fen": 5_000_000, "tender": "cash"
                })),
        )
        .await;
        assert_eq!(status, 201, "{topup}");
    }

    // The tills sell until the server dies under them.
    let stream = Arc::new(Mutex::new(Stream::default()));
    let tills: Vec<_> = members
        .iter()
        .map(|member| {
            let (client, stream, url) =
                (client.clone(), stream.clone(), server.url("/api/v1/sales"));
            let (cashier, store, member, item) = (
                cashier.clone(),
                store.clone(),
                member.clone(),
                item_id.clone(),
            );
            tokio::spawn(async move {
                for round in 0..100_000i64 {
                    let quantity = 1 + round % 3;
                    let id = uuid::Uuid::now_v7();
                    let body = json!({
                        "id": id, "store_id": store, "member_id": member,
                        "lines": [{ "item_id": item, "quantity": quantity }],
                        "payments": [{ "method": "stored_value", "amount_fen": 500 },
                                     { "method": "cash", "amount_fen": 1_100 * quantity - 500 }]
                    });
                    stream
                        .lock()
                        .expect("stream")
                        .attempted
                        .push((id, body.clone()));
                    let answer = client
                        .post(&url)
                        .bearer_auth(&cashier)
                        .json(&body)
                        .send()
                        .await;
                    let Ok(response) = answer else { break };
                    let status = response.status().as_u16();
                    let Ok(receipt) = response.json::<Value>().await else {
                        break;
                    };
                    let mut stream = stream.lock().expect("stream");
                    if status == 201 {
                        stream.acked.insert(id, receipt);
                    } else {
                        stream.unexpected.push(format!("{status}: {receipt}"));
                        break;
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let acked = stream.lock().expect("stream").acked.len();
        if acked >= ACKED_BEFORE_KILL {
            break;
        }
        assert!(Instant::now() < deadline, "only {acked} sales in time");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().await;
    for till in tills {
        till.await.expect("till");
    }
    let (attempted, acked) = {
        let stream = stream.lock().expect("stream");
        assert!(
            stream.unexpected.is_empty(),
            "tills got {:?}",
            stream.unexpected
        );
        (stream.attempted.clone(), stream.acked.clone())
    };
    assert!(
        acked.len() < attempted.len(),
        "the kill came mid-stream: {} acked of {} sent",
        acked.len(),
        attempted.len()
    );

    // Restarted on the same database: every acknowledged sale is there exactly once, and
    // nothing is there that no till sent.
    let server = Server::start(url).await;
    for id in acked.keys() {
        let id = id.to_string();
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM sales WHERE id = $1", &id).await,
            1,
            "acknowledged sale {id}"
        );
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM commands WHERE id = $1", &id).await,
            1,
            "acknowledged sale {id}'s command"
        );
    }
    let sent: HashSet<String> = attempted.iter().map(|(id, _)| id.to_string()).collect();
    let recorded: Vec<String> = sqlx::query_scalar("SELECT id FROM sales")
        .fetch_all(&db.pool)
        .await
        .expect("sales");
    assert!(
        recorded.iter().all(|id| sent.contains(id)),
        "a sale nobody sent"
    );
    let survived = recorded.len();

    // Every till sends every sale again, acknowledged or not: the acknowledged answer the
    // same receipt, the rest are carried out now or found done, never twice.
    let cashier = login(&client, &server, "cashier").await;
    let mut created = 0;
    for (id, body) in &attempted {
        let (status, receipt) = common::call(
            client
                .post(server.url("/api/v1/sales"))
                .bearer_auth(&cashier)
                .json(body),
        )
        .await;
        match acked.get(id) {
            Some(first) => assert_eq!(
                (status, &receipt),
                (200, first),
                "an acknowledged sale sent again"
            ),
            None => {
                assert!(
                    status == 200 || status == 201,
                    "{id} sent again: {status} {receipt}"
                );
                created += usize::from(status == 201);
            }
        }
    }
    assert_eq!(
        survived + created,
        attempted.len(),
        "a sale the server had was carried out again"
    );
    eprintln!(
        "{}: {} sales sent, {} acknowledged before the kill, {survived} survived it, {created} carried out on the second try",
        url.split(':').next().unwrap_or_default(),
        attempted.len(),
        acked.len()
    );
    let sales: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sales")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(sales as usize, attempted.len(), "each sale exactly once");
    for (id, _) in &attempted {
        let id = id.to_string();
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM commands WHERE id = $1", &id).await,
            1
        );
    }
    invariants::check(&db).await;

    // The server's timer lapsed the points that were due when it first started, once.
    assert_eq!(
        scalar(
            &db,
            "SELECT remaining FROM points_lots WHERE id = $1",
            LAPSED_LOT
        )
        .await,
        0,
        "the expiry timer ran"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM transfers WHERE command_id = $1",
            &huiyuan_server::ledger::expiry::command_id(LAPSED_LOT)
        )
        .await,
        1
    );
    server.kill().await;

    // Years later, the operator lapses everything the tills' members earned.
    let held: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM accounts WHERE owner_kind = 'member' AND code = 'points'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("points held");
    assert!(held > 0);
    let printed = huiyuan(
        url,
        &["points", "expire", "--as-of", "2100-01-01T00:00:00+08:00"],
    )
    .await;
    assert!(
        printed.contains(&format!(", {held} points")),
        "{printed} (members held {held})"
    );
    let printed = huiyuan(
        url,
        &["points", "expire", "--as-of", "2100-01-01T00:00:00+08:00"],
    )
    .await;
    assert!(printed.contains(": 0 lots, 0 points"), "{printed}");
    let left: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots")
            .fetch_one(&db.pool)
            .await
            .expect("lots");
    assert_eq!(left, 0);
    invariants::check(&db).await;
    db.close().await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the crash story took {:?}",
        started.elapsed()
    );
}
