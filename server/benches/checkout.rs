//! `cargo xtask bench checkout`: sales per second and latency through the real HTTP API
//! at 1, 8 and 64 concurrent tills, on SQLite (synchronous=FULL) and PostgreSQL; and, in
//! the same run, a baseline that issues a sale's SQL directly — the same reads and writes
//! in one transaction per sale, without HTTP, auth, pricing or group commit —
//! plus the disk's fsyncs per second. Writes a Markdown report to the path given as the
//! first argument (default docs/benchmarks.md, section "Checkout").

use huiyuan_server::audit::{self, Actor, AuditEvent};
use huiyuan_server::bootstrap;
use huiyuan_server::db::{now_ms, Db};
use huiyuan_server::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use huiyuan_server::state::{AppState, ServerConfig};
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

const CONCURRENCY: [usize; 3] = [1, 8, 64];
/// Sales each run makes in total, whatever its concurrency.
const SALES_PER_RUN: usize = 1_024;
const MEMBERS: usize = 256;
const FSYNC_PROBE: Duration = Duration::from_secs(2);

struct Stats {
    sales: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Stats {
    fn from(mut latencies: Vec<Duration>, seconds: f64) -> Stats {
        latencies.sort();
        let at = |q: f64| {
            latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)]
                .as_secs_f64()
                * 1e3
        };
        Stats {
            sales: latencies.len(),
            seconds,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
        }
    }

    fn per_second(&self) -> f64 {
        self.sales as f64 / self.seconds
    }
}

struct Fixture {
    state: AppState,
    base: String,
    token: String,
    store: String,
    members: Vec<String>,
}

async fn fixture(url: &str) -> anyhow::Result<Fixture> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    bootstrap::load_demo_data(&db).await?;
    let now = now_ms();
    let mut tx = db.writer.begin().await?;
    sqlx::query("INSERT INTO categories (id, name, path, created_at, updated_at) VALUES ('bench-cat', '饮料', '/bench-cat/', $1, $1)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO items (id, code, name, category_id, unit, retail_price_fen, member_price_fen, earns_points, created_at, updated_at) \
         VALUES ('bench-tea', 'B001', '茉莉花茶', 'bench-cat', '件', 1250, 1100, 1, $1, $1)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let rules: huiyuan_shared::rules::RuleSet = serde_json::from_value(json!({
        "version": 0,
        "earn_rules": [{ "id": "earn", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }]
    }))?;
    huiyuan_server::sale::save_rules(&mut tx, rules, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut members = Vec::with_capacity(MEMBERS);
    for index in 0..MEMBERS {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO members (id, member_no, name, phone, level_name, created_at, updated_at) VALUES ($1, $2, $3, $4, '普通会员', $5, $5)",
        )
        .bind(&id)
        .bind(format!("B{index:08}"))
        .bind(format!("会员{index}"))
        .bind(format!("186{index:08}"))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        members.push(id);
    }
    tx.commit().await?;
    let store: String = sqlx::query_scalar("SELECT id FROM stores WHERE code = 'S001'")
        .fetch_one(&db.pool)
        .await?;
    let state = AppState::new(
        db,
        ServerConfig {
            dist_dir: std::env::temp_dir(),
            secure_cookies: false,
        },
    );
    let listener = huiyuan_server::serve::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(huiyuan_server::serve::run(listener, state.clone()));
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "cashier", "password": "demo1234" }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    Ok(Fixture {
        state,
        base,
        token,
        store,
        members,
    })
}

/// Sales through the HTTP API: each till sells two teas to its own member, paid in cash.
async fn http_run(fixture: &Fixture, clients: usize) -> anyhow::Result<Stats> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let per_client = SALES_PER_RUN / clients;
    let started = Instant::now();
    let tills = (0..clients).map(|till| {
        let client = client.clone();
        let (base, token, store) = (
            fixture.base.clone(),
            fixture.token.clone(),
            fixture.store.clone(),
        );
        let member = fixture.members[till % fixture.members.len()].clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let sent = Instant::now();
                let response = client
                    .post(format!("{base}/api/v1/sales"))
                    .bearer_auth(&token)
                    .json(&json!({
                        "id": uuid::Uuid::now_v7(), "store_id": store, "member_id": member,
                        "lines": [{ "item_id": "bench-tea", "quantity": 2 }],
                        "payments": [{ "method": "cash", "amount_fen": 2_200 }]
                    }))
                    .send()
                    .await?;
                anyhow::ensure!(
                    response.status().as_u16() == 201,
                    "sale refused: {}",
                    response.text().await?
                );
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        })
    });
    let mut latencies = Vec::new();
    for till in tills.collect::<Vec<_>>() {
        latencies.extend(till.await??);
    }
    Ok(Stats::from(latencies, started.elapsed().as_secs_f64()))
}

/// The baseline: the SQL a sale writes, issued directly in one transaction per sale.
async fn baseline_run(fixture: &Fixture, clients: usize) -> anyhow::Result<Stats> {
    let per_client = SALES_PER_RUN / clients;
    let started = Instant::now();
    let tills = (0..clients).map(|till| {
        let db = fixture.state.db.clone();
        let store = fixture.store.clone();
        let member = fixture.members[till % fixture.members.len()].clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let sent = Instant::now();
                baseline_sale(&db, &store, &member).await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        })
    });
    let mut latencies = Vec::new();
    for till in tills.collect::<Vec<_>>() {
        latencies.extend(till.await??);
    }
    Ok(Stats::from(latencies, started.elapsed().as_secs_f64()))
}

async fn baseline_sale(db: &Db, store: &str, member: &str) -> anyhow::Result<()> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.writer.begin().await?;
    // The reads a sale makes in its transaction: its id not yet used, the store, the
    // member, the rules in force and the item.
    sqlx::query("SELECT request_hash, response_json FROM commands WHERE id = $1")
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query("SELECT kind, path, code FROM stores WHERE id = $1")
        .bind(store)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("SELECT level_name FROM members WHERE id = $1")
        .bind(member)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("SELECT rules_json FROM rule_sets ORDER BY version DESC LIMIT 1")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "SELECT i.retail_price_fen, i.member_price_fen, i.earns_points, c.path \
         FROM items i LEFT JOIN categories c ON c.id = i.category_id \
         WHERE i.id = $1 AND i.deleted_at IS NULL AND i.active = 1",
    )
    .bind("bench-tea")
    .fetch_one(&mut *tx)
    .await?;
    let transfers = [
        NewTransfer {
            debit: AccountKey::store_tender(store, "cash"),
            credit: AccountKey::store_sales(store),
            amount: 2_200,
            kind: TransferKind::Payment,
            memo: None,
            points_expire_at: None,
        },
        NewTransfer {
            debit: AccountKey::store_points_issued(store),
            credit: AccountKey::member_points(member),
            amount: 22,
            kind: TransferKind::Earn,
            memo: None,
            points_expire_at: Some(now_ms() + 1_000_000),
        },
    ];
    let context = PostingContext {
        command_id: id.clone(),
        store_id: Some(store.to_owned()),
        ..PostingContext::default()
    };
    ledger::post_transfers(&mut tx, &context, &transfers).await?;
    ledger::member_balances(&mut tx, member).await?;
    sqlx::query("INSERT INTO receipt_counters (store_id, day, last) VALUES ($1, 'bench', 1) ON CONFLICT (store_id, day) DO UPDATE SET last = receipt_counters.last + 1 RETURNING last")
        .bind(store)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sales (id, receipt_no, store_id, member_id, amount_due, points_earned, points_paid, rules_version, receipt_json, recorded_at) \
         VALUES ($1, $1, $2, $3, 2200, 22, 0, 1, '{}', $4)",
    )
    .bind(&id)
    .bind(store)
    .bind(member)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO commands (id, kind, request_hash, response_json, recorded_at) VALUES ($1, 'sale', '', '{}', $2)")
        .bind(&id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        AuditEvent::new(&Actor::System, "sale.create", "sale"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// 4 KiB written and fsynced in a loop, beside the database file.
fn fsyncs_per_second(dir: &std::path::Path) -> anyhow::Result<f64> {
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [7_u8; 4096];
    let started = Instant::now();
    let mut count = 0_u64;
    while started.elapsed() < FSYNC_PROBE {
        file.write_all(&block)?;
        file.sync_data()?;
        count += 1;
    }
    std::fs::remove_file(path)?;
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

fn row(out: &mut String, backend: &str, clients: usize, http: &Stats, base: &Stats, extra: &str) {
    out.push_str(&format!(
        "| {backend} | {clients} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.0}% | {extra} |\n",
        http.per_second(),
        http.p50_ms,
        http.p99_ms,
        base.per_second(),
        base.p99_ms,
        100.0 * http.per_second() / base.per_second(),
    ));
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let report = std::env::args()
        .nth(1)
        .filter(|arg| !arg.starts_with('-'))
        .unwrap_or_else(|| "docs/benchmarks.md".to_owned());
    let data =
        std::env::temp_dir().join(format!("huiyuan-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data)?;
    let fsyncs = fsyncs_per_second(&data)?;
    println!("fsyncs per second: {fsyncs:.0}");
    let mut table = String::from(
        "| database | tills | server sales/s | p50 ms | p99 ms | baseline sales/s | baseline p99 ms | server ÷ baseline | notes |\n|---|---|---|---|---|---|---|---|---|\n",
    );

    let sqlite = fixture(&format!("sqlite://{}/bench.db", data.display())).await?;
    for clients in CONCURRENCY {
        let commits_before = sqlite.state.writer.commits();
        let http = http_run(&sqlite, clients).await?;
        let commits = sqlite.state.writer.commits() - commits_before;
        let base = baseline_run(&sqlite, clients).await?;
        let per_commit = http.sales as f64 / commits.max(1) as f64;
        println!(
            "sqlite {clients}: {:.0}/s (baseline {:.0}/s), {per_commit:.1} sales per fsync",
            http.per_second(),
            base.per_second()
        );
        row(
            &mut table,
            "SQLite",
            clients,
            &http,
            &base,
            &format!("{per_commit:.1} sales per commit (fsync)"),
        );
    }
    sqlite.state.db.close().await;

    let admin_url = std::env::var("HUIYUAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("huiyuan_bench_{}", uuid::Uuid::now_v7().simple());
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    let pg_url = format!(
        "{}/{name}",
        admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(server, _)| server)
    );
    let pg = fixture(&pg_url).await?;
    for clients in CONCURRENCY {
        let http = http_run(&pg, clients).await?;
        let base = baseline_run(&pg, clients).await?;
        println!(
            "postgres {clients}: {:.0}/s (baseline {:.0}/s)",
            http.per_second(),
            base.per_second()
        );
        row(&mut table, "PostgreSQL", clients, &http, &base, "");
    }
    pg.state.db.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await?;
    std::fs::remove_dir_all(&data)?;

    let section = format!(
        "## Checkout\n\nMeasured by `cargo xtask bench checkout` on {} with {} cores. Each run makes {SALES_PER_RUN} sales \
         (two teas for a member, paid in cash, earning points) spread over the tills. *Server* is the real HTTP API with auth, \
         pricing by the rules engine, idempotency and (on SQLite) group commit; *baseline* issues the same SQL a sale issues in its transaction (reads and writes) \
         directly, one transaction per sale, without HTTP, auth, pricing or group commit. The disk here does {fsyncs:.0} \
         fsyncs per second.\n\n{table}\nTargets: server ≥ 50% of the baseline on each database; on SQLite ≥ 10 sales per fsync at 64 tills.\n",
        time::OffsetDateTime::now_utc().date(),
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    write_section(&report, "## Checkout", &section)?;
    println!("{section}");
    Ok(())
}

/// Replaces one `## ` section of the report, keeping the others.
fn write_section(path: &str, heading: &str, section: &str) -> anyhow::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n\n".to_owned());
    let mut kept = String::new();
    let mut skipping = false;
    for line in old.lines() {
        if line.starts_with("## ") {
            skipping = line == heading;
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    std::fs::write(path, format!("{}\n\n{section}", kept.trim_end()))?;
    Ok(())
}
