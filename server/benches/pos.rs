//! `cargo xtask bench pos`: the counter's tablet cache in headless Chromium.
//!
//! Seeds a temporary SQLite database with 100,000 members (a mobile number, a member
//! number and an active card each) and 10,000 items with barcodes, all through the
//! tables' own sync triggers, so the change feed holds them as it would after real
//! registrations. Serves the built client (`dist/`) and the API from this process, then
//! runs `end2end/bench/pos.mjs`, which logs in as the demo cashier at `/pos` and measures
//! the first full sync into IndexedDB against a naive one-put-per-transaction loop, and
//! lookups by phone tail and by card through the client's own Rust code. Adds the gzip
//! size of the wasm and its JavaScript glue, and writes the "Tablet cache" section of the
//! report given as the first argument (default docs/benchmarks.md).
//!
//! `HUIYUAN_DIST` names the built client (default `dist/` in the workspace),
//! `HUIYUAN_BENCH_MEMBERS` / `HUIYUAN_BENCH_ITEMS` set smaller populations for a quick
//! try, `HUIYUAN_CHROMIUM` the browser (default /usr/bin/chromium).

use flate2::write::GzEncoder;
use flate2::Compression;
use huiyuan_server::bootstrap;
use huiyuan_server::db::{now_ms, Db};
use huiyuan_server::member::numbers::member_number;
use huiyuan_server::state::{AppState, ServerConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

const MEMBERS_DEFAULT: usize = 100_000;
const ITEMS_DEFAULT: usize = 10_000;
/// Rows per INSERT statement; a transaction holds [`ROWS_PER_TX`] of them.
const ROWS_PER_STATEMENT: usize = 400;
const ROWS_PER_TX: usize = 10_000;
/// Lookups timed for each kind (after a few unmeasured ones, done by the script).
const LOOKUPS: usize = 1_000;
/// Member numbers continue after the demo members' and stay clear of them.
const MEMBER_NO_FROM: u64 = 10_000_000;

/// Targets of issue #5.
const SYNC_TARGET_S: f64 = 20.0;
const NAIVE_RATIO_TARGET: f64 = 10.0;
const LOOKUP_P99_TARGET_MS: f64 = 20.0;

fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// A seeded member as the lookups need them.
struct Seeded {
    phone_tails: Vec<String>,
    cards: Vec<String>,
}

/// The `index`th mobile number: unique below 10⁸ members, because the last eight digits
/// are the index through a bijection of 0..10⁸ (48271 is prime to 10⁸), which also
/// spreads the last four digits evenly.
fn phone(index: usize) -> String {
    const PREFIXES: [&str; 8] = ["135", "138", "139", "150", "158", "177", "186", "189"];
    let suffix = (index as u64 * 48_271 + 12_345) % 100_000_000;
    format!("{}{suffix:08}", PREFIXES[index % PREFIXES.len()])
}

/// A 12-digit card number with a Luhn check digit, as the card module makes them.
fn card_no(index: usize) -> String {
    let body = format!("88{index:09}");
    format!(
        "{body}{}",
        huiyuan_shared::check_digit::luhn(&body).unwrap_or(0)
    )
}

fn name(rng: &mut StdRng) -> String {
    const SURNAMES: &[char] = &['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
    const GIVEN: &[char] = &[
        '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明',
        '超', '秀', '霞', '平', '刚', '华', '玉', '兰', '萍', '鹏', '辉', '婷', '宇', '浩', '欣',
    ];
    let mut name = String::new();
    name.push(SURNAMES[rng.gen_range(0..SURNAMES.len())]);
    for _ in 0..rng.gen_range(1..=2) {
        name.push(GIVEN[rng.gen_range(0..GIVEN.len())]);
    }
    name
}

/// `INSERT INTO table (columns) VALUES ($1, …), (…)` for `rows` rows.
fn insert_sql(head: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("{head} VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            let separator = if column == 0 { "" } else { ", " };
            let _ = write!(sql, "{separator}${}", row * columns + column + 1);
        }
        sql.push(')');
    }
    sql
}

/// Members and their cards, many rows a statement. The sync triggers put each member
/// into `sync_changes` (the card's trigger moves the same row on).
async fn seed_members(db: &Db, members: usize) -> anyhow::Result<Seeded> {
    let stores: Vec<String> =
        sqlx::query_scalar("SELECT id FROM stores WHERE kind = 'store' ORDER BY code")
            .fetch_all(&db.pool)
            .await?;
    anyhow::ensure!(!stores.is_empty(), "the demo data has no store");
    let now = now_ms();
    let mut rng = StdRng::seed_from_u64(5);
    let mut seeded = Seeded {
        phone_tails: Vec::with_capacity(members),
        cards: Vec::with_capacity(members),
    };
    for chunk_start in (0..members).step_by(ROWS_PER_TX) {
        let chunk_end = (chunk_start + ROWS_PER_TX).min(members);
        let mut tx = db.writer.begin().await?;
        for start in (chunk_start..chunk_end).step_by(ROWS_PER_STATEMENT) {
            let end = (start + ROWS_PER_STATEMENT).min(chunk_end);
            let mut ids = Vec::with_capacity(end - start);
            let sql = insert_sql(
                "INSERT INTO members (id, member_no, name, phone, phone_tail, level_name, store_id, \
                 profile, created_at, updated_at)",
                10,
                end - start,
            );
            let mut query = sqlx::query(&sql);
            for index in start..end {
                let id = uuid::Uuid::now_v7().to_string();
                let phone = phone(index);
                let tail = phone[7..].to_owned();
                let profile = json!({
                    "gender": if rng.gen_bool(0.5) { "男" } else { "女" },
                    "birth_date": format!(
                        "{}-{:02}-{:02}",
                        rng.gen_range(1950..2006),
                        rng.gen_range(1..=12),
                        rng.gen_range(1..=28)
                    ),
                });
                query = query
                    .bind(id.clone())
                    .bind(member_number(MEMBER_NO_FROM + index as u64))
                    .bind(name(&mut rng))
                    .bind(phone)
                    .bind(tail.clone())
                    .bind("普通会员")
                    .bind(stores[index % stores.len()].clone())
                    .bind(profile.to_string())
                    .bind(now)
                    .bind(now);
                seeded.phone_tails.push(tail);
                ids.push((index, id));
            }
            query.execute(&mut *tx).await?;
            let sql = insert_sql(
                "INSERT INTO member_cards (card_no, member_id, medium, state, store_id, issued_at, \
                 created_at, updated_at)",
                8,
                ids.len(),
            );
            let mut query = sqlx::query(&sql);
            for (index, id) in ids {
                let card = card_no(index);
                query = query
                    .bind(card.clone())
                    .bind(id)
                    .bind("ic")
                    .bind("active")
                    .bind(stores[index % stores.len()].clone())
                    .bind(now)
                    .bind(now)
                    .bind(now);
                seeded.cards.push(card);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(seeded)
}

/// Items with EAN-13 barcodes in one category of their own.
async fn seed_items(db: &Db, items: usize) -> anyhow::Result<()> {
    let now = now_ms();
    let category = uuid::Uuid::now_v7().to_string();
    let mut tx = db.writer.begin().await?;
    sqlx::query(
        "INSERT INTO categories (id, name, path, created_at, updated_at) VALUES ($1, '百货', $2, $3, $3)",
    )
    .bind(&category)
    .bind(format!("/{category}/"))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut rng = StdRng::seed_from_u64(6);
    for start in (0..items).step_by(ROWS_PER_STATEMENT) {
        let end = (start + ROWS_PER_STATEMENT).min(items);
        let sql = insert_sql(
            "INSERT INTO items (id, code, barcode, name, category_id, unit, retail_price_fen, \
             member_price_fen, earns_points, created_at, updated_at)",
            11,
            end - start,
        );
        let mut query = sqlx::query(&sql);
        for index in start..end {
            // 692 is a Chinese GS1 prefix; the bench's items stay clear of the demo shelf.
            let body = format!("692{index:09}");
            let sum: u32 = body
                .bytes()
                .enumerate()
                .map(|(at, b)| u32::from(b - b'0') * if at % 2 == 0 { 1 } else { 3 })
                .sum();
            let retail: i64 = rng.gen_range(100..20_000);
            query = query
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(format!("BX{index:06}"))
                .bind(format!("{body}{}", (10 - sum % 10) % 10))
                .bind(format!("商品{index}"))
                .bind(category.clone())
                .bind("件")
                .bind(retail)
                .bind(retail * 9 / 10)
                .bind(1_i64)
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn gzip_size(path: &Path) -> anyhow::Result<(u64, u64)> {
    let bytes = std::fs::read(path)
        .map_err(|error| anyhow::anyhow!("{}: {error} (build the client first)", path.display()))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&bytes)?;
    Ok((bytes.len() as u64, encoder.finish()?.len() as u64))
}

fn kib(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

fn number(value: &Value, path: &[&str]) -> f64 {
    path.iter()
        .fold(value, |at, key| &at[*key])
        .as_f64()
        .unwrap_or(f64::NAN)
}

fn met(yes: bool) -> &'static str {
    if yes {
        "met"
    } else {
        "**not met**"
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = workspace_root();
    let report = std::env::args()
        .nth(1)
        .filter(|arg| !arg.starts_with('-'))
        .map_or_else(|| root.join("docs").join("benchmarks.md"), PathBuf::from);
    let dist = std::env::var_os("HUIYUAN_DIST")
        .map_or_else(|| root.join("dist"), PathBuf::from)
        .canonicalize()
        .map_err(|error| anyhow::anyhow!("the built client (dist/): {error}"))?;
    let members = count("HUIYUAN_BENCH_MEMBERS", MEMBERS_DEFAULT);
    let items = count("HUIYUAN_BENCH_ITEMS", ITEMS_DEFAULT);

    let data = std::env::temp_dir().join(format!("huiyuan-bench-pos-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&data)?;
    let outcome = run(&root, &dist, &data, members, items).await;
    let _ = std::fs::remove_dir_all(&data);
    let (results, seed_s) = outcome?;

    let wasm = gzip_size(&dist.join("pkg").join("huiyuan_app_bg.wasm"))?;
    let glue = gzip_size(&dist.join("pkg").join("huiyuan_app.js"))?;

    let records = number(&results, &["sync", "records"]);
    let sync_s = number(&results, &["sync", "seconds"]);
    let app_rate = number(&results, &["sync", "records_per_s"]);
    let naive_rate = number(&results, &["naive", "records_per_s"]);
    let ratio = app_rate / naive_rate;
    let idb_mib = number(&results, &["storage", "indexeddb_bytes"]) / (1024.0 * 1024.0);
    let usage_mib = number(&results, &["storage", "usage_bytes"]) / (1024.0 * 1024.0);
    let lookup_row = |label: &str, key: &str| {
        let at = |field: &str| number(&results, &["lookups", key, field]);
        format!(
            "| {label} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {} |",
            at("count"),
            at("p50_ms"),
            at("p95_ms"),
            at("p99_ms"),
            at("max_ms"),
            at("matches_avg"),
            met(at("p99_ms") < LOOKUP_P99_TARGET_MS && at("missing") == 0.0),
        )
    };
    println!(
        "first sync: {records:.0} records in {sync_s:.1} s = {app_rate:.0} records/s; \
         naive loop {naive_rate:.0} records/s; ratio {ratio:.1}×"
    );
    let section = format!(
        "## Tablet cache\n\n\
         Measured by `cargo xtask bench pos` on {date} with {cores} cores, in Debian's Chromium (headless, \
         driven by `end2end/bench/pos.mjs`) against the server on SQLite in the same run. The database holds \
         {members} generated members (a mobile number, a member number and one active card each), {items} \
         items with barcodes and the demo data, all in the change feed as the sync triggers write it \
         (seeding took {seed_s:.0} s). The cashier logs in at `/login?next=/pos` on a fresh browser profile.\n\n\
         ### First sync into IndexedDB\n\n\
         *App* is the counter's own sync: from the login to `[data-testid=\"sync-last\"]`, pull pages of 5,000 \
         written one transaction a page (`app/src/cache/pages.rs`), fetching and parsing included. *Naive* runs \
         in the same page after it: the same pull pages fetched with `fetch()` into a second database with the \
         same stores and indexes, each record put in its own readwrite transaction (relaxed durability, as \
         the app's cache writes) and awaited; it is timed over its first {naive_records:.0} records (fetching \
         included). The reference row does what the app \
         does (the same pages, one transaction a page with the cursor) in plain JavaScript, over its first \
         {plain_records:.0} records, to tell IndexedDB's own cost from what the wasm side adds.\n\n\
         | | records | seconds | records/s |\n|---|---|---|---|\n\
         | app | {records:.0} | {sync_s:.1} | {app_rate:.0} |\n\
         | naive | {naive_records:.0} | {naive_s:.1} | {naive_rate:.0} |\n\
         | *for reference:* plain JavaScript, one transaction a page | {plain_records:.0} | {plain_s:.1} | {plain_rate:.0} |\n\n\
         The app asks for each page while it writes the one before, so its {pull_requests:.0} pull requests \
         overlap its writes: from sending each to its last byte they took {pull_wait_s:.1} s together, and \
         {page_s:.1} s of the whole was spent with no request under way. Without a browser, the server answers every page over HTTP in {server_s:.1} s \
         ({server_mib:.0} MiB of JSON before gzip).\n\n\
         - Total first sync: {sync_s:.1} s against a target of under {SYNC_TARGET_S:.0} s: {sync_met}.\n\
         - App ÷ naive: {ratio:.1}× against a target of at least {NAIVE_RATIO_TARGET:.0}×: {ratio_met}.\n\
         - Storage after the sync (`navigator.storage.estimate()`): {idb_mib:.1} MiB in IndexedDB, \
         {usage_mib:.1} MiB for the origin in all.\n\n\
         ### Member lookup from the cache\n\n\
         `crate::cache::lookup::find_members`, the function the counter's search box calls, reached through \
         `huiyuan_find_members` (`app/src/bench_hooks.rs`) from the page and timed with `performance.now()`: \
         {LOOKUPS} lookups of each kind, one after another, for seeded members picked at random; a lookup \
         ends when the matching members are read and decoded into Rust values. Target: p99 under \
         {LOOKUP_P99_TARGET_MS:.0} ms.\n\n\
         | lookup | lookups | p50 ms | p95 ms | p99 ms | max ms | members found | target |\n\
         |---|---|---|---|---|---|---|---|\n{tail_row}\n{card_row}\n\n\
         ### Size of the client\n\n\
         | file | bytes | gzip -9 |\n|---|---|---|\n\
         | `pkg/huiyuan_app_bg.wasm` | {wasm_raw} | {wasm_gz} |\n\
         | `pkg/huiyuan_app.js` | {glue_raw} | {glue_gz} |\n\n\
         Built by `cargo xtask client` (`wasm-release`: opt-level z, LTO, one codegen unit, panic=abort){opt}.\n",
        date = time::OffsetDateTime::now_utc().date(),
        cores = std::thread::available_parallelism().map_or(0, usize::from),
        naive_records = number(&results, &["naive", "records"]),
        plain_records = number(&results, &["plain", "records"]),
        plain_s = number(&results, &["plain", "seconds"]),
        plain_rate = number(&results, &["plain", "records_per_s"]),
        pull_wait_s = number(&results, &["sync", "pull_wait_seconds"]),
        pull_requests = number(&results, &["sync", "pull_requests"]),
        page_s = sync_s - number(&results, &["sync", "pull_wait_seconds"]),
        server_s = number(&results, &["server_alone", "seconds"]),
        server_mib = number(&results, &["server_alone", "bytes"]) / (1024.0 * 1024.0),
        naive_s = number(&results, &["naive", "seconds"]),
        sync_met = met(sync_s < SYNC_TARGET_S),
        ratio_met = met(ratio >= NAIVE_RATIO_TARGET),
        tail_row = lookup_row("last 4 digits of the phone", "tail"),
        card_row = lookup_row("card number", "card"),
        wasm_raw = kib(wasm.0),
        wasm_gz = kib(wasm.1),
        glue_raw = kib(glue.0),
        glue_gz = kib(glue.1),
        opt = if results["wasm_opt"].as_bool() == Some(true) {
            ", then `wasm-opt -Oz`"
        } else {
            "; `wasm-opt` was not on the PATH, so the wasm is as wasm-bindgen wrote it"
        },
    );
    write_section(&report, "## Tablet cache", &section)?;
    println!("{section}");
    Ok(())
}

/// Seeds the database, serves it with the client and runs the browser script; answers
/// the script's figures and the seeding time.
async fn run(
    root: &Path,
    dist: &Path,
    data: &Path,
    members: usize,
    items: usize,
) -> anyhow::Result<(Value, f64)> {
    let db = Db::connect(&format!("sqlite://{}", data.join("bench.db").display())).await?;
    db.migrate().await?;
    bootstrap::load_demo_data(&db).await?;
    println!("seeding {members} members with a card each and {items} items");
    let started = Instant::now();
    let seeded = seed_members(&db, members).await?;
    seed_items(&db, items).await?;
    let seed_s = started.elapsed().as_secs_f64();
    let feed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_changes")
        .fetch_one(&db.pool)
        .await?;
    println!("seeded in {seed_s:.1} s; {feed} changes in the feed");

    let mut rng = StdRng::seed_from_u64(8);
    let mut pick = |from: &[String]| -> Vec<String> {
        (0..LOOKUPS)
            .map(|_| from[rng.gen_range(0..from.len())].clone())
            .collect()
    };
    let terms = json!({
        "tails": pick(&seeded.phone_tails),
        "cards": pick(&seeded.cards),
    });
    let terms_file = data.join("terms.json");
    std::fs::write(&terms_file, terms.to_string())?;

    let state = AppState::new(
        db.clone(),
        ServerConfig {
            dist_dir: dist.to_path_buf(),
            secure_cookies: false,
        },
    );
    let listener = huiyuan_server::serve::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(huiyuan_server::serve::run(listener, state));

    let bench_dir = root.join("end2end");
    println!("running end2end/bench/pos.mjs against {base}");
    let output = tokio::process::Command::new("node")
        .arg("bench/pos.mjs")
        .arg(&base)
        .arg(&terms_file)
        .current_dir(&bench_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?
        .wait_with_output()
        .await?;
    anyhow::ensure!(
        output.status.success(),
        "end2end/bench/pos.mjs failed ({})",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with('{'))
        .ok_or_else(|| anyhow::anyhow!("the bench script printed no results: {stdout}"))?;
    let mut results: Value = serde_json::from_str(last)?;
    // After the browser, so its sync met the database as the seeding left it.
    let (server_s, server_bytes) = pull_everything(&base).await?;
    results["server_alone"] = json!({ "seconds": server_s, "bytes": server_bytes });
    results["wasm_opt"] = json!(std::process::Command::new("wasm-opt")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success()));
    db.close().await;
    Ok((results, seed_s))
}

/// Every pull page fetched over HTTP as fast as the server answers, without a browser:
/// the server's share of a first sync. Answers the seconds and the bytes of JSON.
async fn pull_everything(base: &str) -> anyhow::Result<(f64, u64)> {
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "cashier", "password": "demo1234" }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let started = Instant::now();
    let mut since = String::new();
    let mut bytes = 0_u64;
    loop {
        let response = client
            .get(format!("{base}/api/v1/sync/pull"))
            .query(&[("limit", "5000"), ("since", since.as_str())])
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "pull refused: {}",
            response.status()
        );
        let body = response.bytes().await?;
        bytes += body.len() as u64;
        let page: Value = serde_json::from_slice(&body)?;
        since = page["next"].as_str().unwrap_or_default().to_owned();
        if page["more"] != json!(true) {
            break;
        }
    }
    Ok((started.elapsed().as_secs_f64(), bytes))
}

/// Replaces one `## ` section of the report, keeping the others.
fn write_section(path: &Path, heading: &str, section: &str) -> anyhow::Result<()> {
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
