//! `cargo xtask bench search`: member search among 1,000,000 generated members on SQLite
//! and PostgreSQL, and importing 100,000 members from an XLSX file.
//!
//! Members have Chinese names drawn as people's are (common surnames weighted by how
//! many people bear them, 复姓 among them; given names of one or two characters from a
//! list of common ones) and unique mobile numbers with real carriers' prefixes. They are
//! written by the import's own bulk insert (`member::import::insert_members`): the same
//! rows and name fragments `record::insert` makes, numbered by the same counter. For each
//! kind of search the counter makes — full phone, last four digits, member number, card
//! number, a two-character part of a name, a full three-character name — it measures
//! p50 and p99 through the HTTP API (`GET /api/v1/members?q=`, with auth) and the same
//! query through `member::search::search` directly on a pooled connection as the
//! baseline. Writes its section of the report given as the first argument (default
//! docs/benchmarks.md). `HUIYUAN_BENCH_MEMBERS` sets a smaller population for a quick
//! try.

use huiyuan_server::bootstrap;
use huiyuan_server::db::{now_ms, Db};
use huiyuan_server::member::import::{insert_members, ImportMember};
use huiyuan_server::member::search::{self, Search};
use huiyuan_server::state::{AppState, ServerConfig};
use huiyuan_shared::member::{Classification, SearchKind};
use huiyuan_shared::StoreId;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const MEMBERS_DEFAULT: usize = 1_000_000;
/// Members per transaction while loading.
const LOAD_CHUNK: usize = 5_000;
/// Every tenth member has a physical card.
const CARD_EVERY: usize = 10;
/// Searches measured per kind, after a few unmeasured ones.
const SAMPLES: usize = 400;
const WARM_UP: usize = 40;
const IMPORT_ROWS_DEFAULT: usize = 100_000;

/// Rows of the import file: `HUIYUAN_BENCH_IMPORT_ROWS` for a quick try.
fn import_rows() -> usize {
    std::env::var("HUIYUAN_BENCH_IMPORT_ROWS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(IMPORT_ROWS_DEFAULT)
}

/// Surnames and how many in a thousand people bear them (the most common ones, as
/// census counts put them), 复姓 included.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 71),
    ("李", 70),
    ("张", 66),
    ("刘", 54),
    ("陈", 46),
    ("杨", 31),
    ("黄", 24),
    ("赵", 20),
    ("吴", 20),
    ("周", 19),
    ("徐", 15),
    ("孙", 15),
    ("马", 13),
    ("朱", 13),
    ("胡", 12),
    ("郭", 12),
    ("何", 12),
    ("林", 11),
    ("高", 11),
    ("罗", 11),
    ("郑", 10),
    ("梁", 9),
    ("谢", 8),
    ("宋", 8),
    ("唐", 8),
    ("许", 7),
    ("韩", 7),
    ("邓", 7),
    ("冯", 7),
    ("曹", 7),
    ("彭", 7),
    ("曾", 6),
    ("肖", 6),
    ("田", 6),
    ("董", 5),
    ("潘", 5),
    ("袁", 5),
    ("蔡", 5),
    ("蒋", 5),
    ("余", 5),
    ("于", 5),
    ("杜", 5),
    ("叶", 4),
    ("程", 4),
    ("魏", 4),
    ("苏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("卢", 4),
    ("姚", 4),
    ("沈", 4),
    ("钟", 4),
    ("姜", 4),
    ("崔", 4),
    ("谭", 4),
    ("陆", 3),
    ("范", 3),
    ("汪", 3),
    ("廖", 3),
    ("石", 3),
    ("金", 3),
    ("韦", 3),
    ("贾", 3),
    ("夏", 3),
    ("付", 3),
    ("方", 3),
    ("邹", 3),
    ("熊", 3),
    ("白", 3),
    ("孟", 3),
    ("秦", 3),
    ("邱", 3),
    ("侯", 3),
    ("江", 3),
    ("尹", 3),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("龙", 2),
    ("黎", 2),
    ("史", 2),
    ("陶", 2),
    ("贺", 2),
    ("毛", 2),
    ("郝", 2),
    ("顾", 2),
    ("龚", 2),
    ("邵", 2),
    ("万", 2),
    ("覃", 2),
    ("武", 2),
    ("钱", 2),
    ("戴", 2),
    ("严", 2),
    ("莫", 2),
    ("孔", 2),
    ("向", 2),
    ("常", 2),
    ("汤", 2),
    ("康", 2),
    ("欧阳", 1),
    ("司马", 1),
    ("诸葛", 1),
    ("上官", 1),
    ("司徒", 1),
    ("东方", 1),
    ("皇甫", 1),
    ("慕容", 1),
    ("令狐", 1),
    ("尉迟", 1),
];

/// Characters common in given names; the first ones are the most used and weigh more.
const GIVEN_COMMON: &str =
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红鹏辉建国文婷宇浩欣怡子轩梓涵雨晨佳俊博";
const GIVEN_OTHER: &str = "思一诺嘉睿晓海波斌宁林峰飞东亮琳颖莉雪梅琴云龙金凤春燕慧玲倩婉蕾欢琪瑶璐晶鑫阳健振志永利成新宏家兴德荣祥发福清山江天安正彬松柏立昊然泽宸瑞凯航毅铭豪诚翔锋帅坤鹤蓉菲薇岚珊悦彤妍可心乐苗蕊楠桂秋月丹凌";

/// Prefixes of the three carriers' mobile numbers.
const PREFIXES: &[&str] = &[
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
    "172", "178", "182", "183", "184", "187", "188", "198", "130", "131", "132", "145", "155",
    "156", "166", "175", "176", "185", "186", "133", "149", "153", "173", "177", "180", "181",
    "189", "191", "199",
];

struct NameMaker {
    surnames: Vec<(&'static str, u32)>,
    surname_total: u32,
    given: Vec<(char, u32)>,
    given_total: u32,
}

impl NameMaker {
    fn new() -> Self {
        let given: Vec<(char, u32)> = GIVEN_COMMON
            .chars()
            .map(|c| (c, 4))
            .chain(GIVEN_OTHER.chars().map(|c| (c, 1)))
            .collect();
        NameMaker {
            surnames: SURNAMES.to_vec(),
            surname_total: SURNAMES.iter().map(|(_, w)| w).sum(),
            given_total: given.iter().map(|(_, w)| w).sum(),
            given,
        }
    }

    fn pick<T: Copy>(items: &[(T, u32)], total: u32, rng: &mut StdRng) -> T {
        let mut at = rng.gen_range(0..total);
        for (item, weight) in items {
            if at < *weight {
                return *item;
            }
            at -= weight;
        }
        items[0].0
    }

    fn name(&self, rng: &mut StdRng) -> String {
        let mut name = Self::pick(&self.surnames, self.surname_total, rng).to_owned();
        let given_chars = if rng.gen_bool(0.7) { 2 } else { 1 };
        for _ in 0..given_chars {
            name.push(Self::pick(&self.given, self.given_total, rng));
        }
        name
    }
}

/// The `index`th phone number: unique for every index below 10⁸, because the last eight
/// digits are the index through a bijection of 0..10⁸ (48271 is prime to 10⁸).
fn phone(index: usize, rng: &mut StdRng) -> String {
    let suffix = (index as u64 * 48_271 + 12_345) % 100_000_000;
    format!("{}{suffix:08}", PREFIXES[rng.gen_range(0..PREFIXES.len())])
}

fn birth_date(rng: &mut StdRng) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.gen_range(1950..2006),
        rng.gen_range(1..=12),
        rng.gen_range(1..=28)
    )
}

/// A generated member as the loader and the samples know them.
struct Person {
    name: String,
    phone: String,
}

fn people(from: usize, count: usize, seed: u64) -> Vec<Person> {
    let names = NameMaker::new();
    let mut rng = StdRng::seed_from_u64(seed);
    (from..from + count)
        .map(|index| Person {
            name: names.name(&mut rng),
            phone: phone(index, &mut rng),
        })
        .collect()
}

async fn load(db: &Db, people: &[Person], stores: &[StoreId]) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    for (chunk_index, chunk) in people.chunks(LOAD_CHUNK).enumerate() {
        let members: Vec<ImportMember> = chunk
            .iter()
            .enumerate()
            .map(|(index, person)| ImportMember {
                row: (chunk_index * LOAD_CHUNK + index + 2) as u32,
                name: person.name.clone(),
                phone: person.phone.clone(),
                member_no: None,
                store_id: Some(stores[index % stores.len()]),
                profile: [
                    (
                        "gender".to_owned(),
                        if rng.gen_bool(0.5) { "男" } else { "女" }.to_owned(),
                    ),
                    ("birth_date".to_owned(), birth_date(&mut rng)),
                ]
                .into_iter()
                .collect(),
                classification: Classification::default(),
            })
            .collect();
        let mut tx = db.writer.begin().await?;
        let outcome = insert_members(&mut tx, &members)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(outcome.created.len() == chunk.len(), "phones collided");
        tx.commit().await?;
        if (chunk_index + 1) % 40 == 0 {
            let done = (chunk_index + 1) * LOAD_CHUNK;
            println!(
                "  {done} members, {:.0}/s",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// The card number of every `CARD_EVERY`th member: 16 digits with a Luhn check digit.
fn card_no(index: usize) -> String {
    let body = format!("880{index:012}");
    format!(
        "{body}{}",
        huiyuan_shared::check_digit::luhn(&body).unwrap_or(0)
    )
}

async fn load_cards(db: &Db, people: &[Person]) -> anyhow::Result<usize> {
    let now = now_ms();
    let holders: Vec<usize> = (0..people.len()).step_by(CARD_EVERY).collect();
    for chunk in holders.chunks(LOAD_CHUNK) {
        let mut tx = db.writer.begin().await?;
        let mut ids = Vec::with_capacity(chunk.len());
        for part in chunk.chunks(500) {
            let marks: Vec<String> = (1..=part.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT id, phone FROM members WHERE phone IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query_as::<_, (String, String)>(&sql);
            for index in part {
                query = query.bind(people[*index].phone.as_str());
            }
            let found: std::collections::HashMap<String, String> = query
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(id, phone)| (phone, id))
                .collect();
            for index in part {
                ids.push((*index, found[&people[*index].phone].clone()));
            }
        }
        for part in ids.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO member_cards (card_no, member_id, medium, state, issued_at, created_at, updated_at) VALUES ",
            );
            for index in 0..part.len() {
                let separator = if index == 0 { "" } else { ", " };
                let _ = write!(
                    sql,
                    "{separator}(${}, ${}, 'ic', 'active', $1, $1, $1)",
                    index * 2 + 2,
                    index * 2 + 3
                );
            }
            let mut query = sqlx::query(&sql).bind(now);
            for (index, member) in part {
                query = query.bind(card_no(*index)).bind(member.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(holders.len())
}

struct Percentiles {
    p50_ms: f64,
    p99_ms: f64,
}

fn percentiles(mut latencies: Vec<Duration>) -> Percentiles {
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e3
    };
    Percentiles {
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    }
}

/// The terms of one kind of search, each naming a member that exists.
struct Kind {
    label: &'static str,
    terms: Vec<String>,
}

async fn kinds(db: &Db, people: &[Person]) -> anyhow::Result<Vec<Kind>> {
    let mut rng = StdRng::seed_from_u64(99);
    let mut sample = |filter: &dyn Fn(&Person) -> bool| -> Vec<usize> {
        let mut picked = Vec::with_capacity(SAMPLES + WARM_UP);
        while picked.len() < SAMPLES + WARM_UP {
            let index = rng.gen_range(0..people.len());
            if filter(&people[index]) {
                picked.push(index);
            }
        }
        picked
    };
    let any = sample(&|_| true);
    let three = sample(&|p| p.name.chars().count() == 3);
    let carded: Vec<usize> = sample(&|_| true)
        .into_iter()
        .map(|index| index - index % CARD_EVERY)
        .collect();
    let mut numbers = Vec::with_capacity(any.len());
    for index in &any {
        let number: String = sqlx::query_scalar("SELECT member_no FROM members WHERE phone = $1")
            .bind(people[*index].phone.as_str())
            .fetch_one(&db.pool)
            .await?;
        numbers.push(number);
    }
    Ok(vec![
        Kind {
            label: "full phone",
            terms: any.iter().map(|i| people[*i].phone.clone()).collect(),
        },
        Kind {
            label: "last 4 digits",
            terms: any
                .iter()
                .map(|i| people[*i].phone[7..].to_owned())
                .collect(),
        },
        Kind {
            label: "member number",
            terms: numbers,
        },
        Kind {
            label: "card number",
            terms: carded.iter().map(|i| card_no(*i)).collect(),
        },
        Kind {
            label: "2-char name part",
            terms: three
                .iter()
                .map(|i| people[*i].name.chars().skip(1).collect())
                .collect(),
        },
        Kind {
            label: "3-char full name",
            terms: three.iter().map(|i| people[*i].name.clone()).collect(),
        },
    ])
}

struct Measured {
    server: Percentiles,
    baseline: Percentiles,
    found_avg: f64,
}

async fn measure(
    state: &AppState,
    base: &str,
    token: &str,
    kind: &Kind,
) -> anyhow::Result<Measured> {
    let client = reqwest::Client::new();
    let mut server = Vec::with_capacity(SAMPLES);
    let mut found = 0_usize;
    for (index, term) in kind.terms.iter().enumerate() {
        let sent = Instant::now();
        let response = client
            .get(format!("{base}/api/v1/members"))
            .query(&[("q", term.as_str())])
            .bearer_auth(token)
            .send()
            .await?;
        anyhow::ensure!(response.status() == 200, "search refused: {term}");
        let page: serde_json::Value = response.json().await?;
        let elapsed = sent.elapsed();
        let count = page["members"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(count > 0, "{}: nothing found for {term}", kind.label);
        if index >= WARM_UP {
            server.push(elapsed);
            found += count;
        }
    }
    let mut baseline = Vec::with_capacity(SAMPLES);
    for (index, term) in kind.terms.iter().enumerate() {
        let sent = Instant::now();
        let mut connection = state.db.pool.acquire().await?;
        let page = search::search(
            &mut connection,
            &Search {
                term: term.clone(),
                kind: SearchKind::Auto,
                page: 0,
                limit: 20,
                include_archived: false,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        drop(connection);
        let elapsed = sent.elapsed();
        anyhow::ensure!(!page.members.is_empty(), "baseline found nothing");
        if index >= WARM_UP {
            baseline.push(elapsed);
        }
    }
    Ok(Measured {
        server: percentiles(server),
        baseline: percentiles(baseline),
        found_avg: found as f64 / SAMPLES as f64,
    })
}

/// The time of an authenticated request that does no search: the session lookup, HTTP
/// and JSON every search pays on top of its query.
async fn http_floor(base: &str, token: &str) -> anyhow::Result<Percentiles> {
    let client = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(SAMPLES);
    for index in 0..SAMPLES + WARM_UP {
        let sent = Instant::now();
        let response = client
            .get(format!("{base}/api/v1/auth/me"))
            .bearer_auth(token)
            .send()
            .await?;
        anyhow::ensure!(response.status() == 200, "auth/me refused");
        response.bytes().await?;
        if index >= WARM_UP {
            latencies.push(sent.elapsed());
        }
    }
    Ok(percentiles(latencies))
}

fn import_file(people: &[Person]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let mut rng = StdRng::seed_from_u64(11);
    for (column, header) in ["姓名", "手机", "性别", "生日", "门店编码"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *header)?;
    }
    for (index, person) in people.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string(row, 0, &person.name)?;
        sheet.write_string(row, 1, &person.phone)?;
        sheet.write_string(row, 2, if rng.gen_bool(0.5) { "男" } else { "女" })?;
        sheet.write_string(row, 3, birth_date(&mut rng))?;
        sheet.write_string(row, 4, if index % 2 == 0 { "S001" } else { "S002" })?;
    }
    Ok(workbook.save_to_buffer()?)
}

struct ImportRun {
    checked_s: f64,
    total_s: f64,
    file_mib: f64,
}

async fn import_run(base: &str, token: &str, file: &[u8]) -> anyhow::Result<ImportRun> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let response = client
        .post(format!(
            "{base}/api/v1/member-imports?file_name=bench.xlsx&format=xlsx"
        ))
        .bearer_auth(token)
        .body(file.to_vec())
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == 202,
        "import refused: {}",
        response.text().await?
    );
    let job: serde_json::Value = response.json().await?;
    let checked_s = started.elapsed().as_secs_f64();
    let id = job["id"].as_str().unwrap_or_default().to_owned();
    loop {
        let job: serde_json::Value = client
            .get(format!("{base}/api/v1/member-imports/{id}"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        match job["state"].as_str() {
            Some("running") => tokio::time::sleep(Duration::from_millis(100)).await,
            Some("done") => {
                anyhow::ensure!(
                    job["created"] == json!(import_rows()),
                    "import created {}",
                    job["created"]
                );
                break;
            }
            _ => anyhow::bail!("import ended as {job}"),
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1_800),
            "import too slow"
        );
    }
    Ok(ImportRun {
        checked_s,
        total_s: started.elapsed().as_secs_f64(),
        file_mib: file.len() as f64 / (1024.0 * 1024.0),
    })
}

struct Backend {
    name: &'static str,
    /// What any authenticated request costs: `GET /api/v1/auth/me`.
    floor: Percentiles,
    load_s: f64,
    rows: Vec<(&'static str, Measured)>,
    import: ImportRun,
}

async fn run_backend(
    name: &'static str,
    url: &str,
    people: &[Person],
    import_people: &[Person],
    import_xlsx: &[u8],
) -> anyhow::Result<Backend> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    bootstrap::load_demo_data(&db).await?;
    let stores: Vec<StoreId> =
        sqlx::query_scalar::<_, String>("SELECT id FROM stores WHERE kind = 'store' ORDER BY code")
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .map(|id| id.parse())
            .collect::<Result<_, _>>()?;
    println!("{name}: loading {} members", people.len());
    let started = Instant::now();
    load(&db, people, &stores).await?;
    let cards = load_cards(&db, people).await?;
    if name == "PostgreSQL" {
        // Autovacuum would analyse the new rows shortly after a load like this one.
        sqlx::query("ANALYZE").execute(&db.writer).await?;
    }
    let load_s = started.elapsed().as_secs_f64();
    println!("{name}: loaded in {load_s:.0} s, {cards} cards");
    let state = AppState::new(
        db.clone(),
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
        .json(&json!({ "username": "admin", "password": "demo1234" }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let floor = http_floor(&base, &token).await?;
    let mut rows = Vec::new();
    for kind in kinds(&db, people).await? {
        let measured = measure(&state, &base, &token, &kind).await?;
        println!(
            "{name} {}: server p50 {:.2} p99 {:.2} ms, baseline p50 {:.2} p99 {:.2} ms",
            kind.label,
            measured.server.p50_ms,
            measured.server.p99_ms,
            measured.baseline.p50_ms,
            measured.baseline.p99_ms
        );
        rows.push((kind.label, measured));
    }
    let import = import_run(&base, &token, import_xlsx).await?;
    println!(
        "{name} import: {} rows in {:.1} s ({:.0} rows/s), checked in {:.1} s",
        import_people.len(),
        import.total_s,
        import_people.len() as f64 / import.total_s,
        import.checked_s
    );
    db.close().await;
    Ok(Backend {
        name,
        floor,
        load_s,
        rows,
        import,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let report = std::env::args()
        .nth(1)
        .filter(|arg| !arg.starts_with('-'))
        .unwrap_or_else(|| "docs/benchmarks.md".to_owned());
    let members: usize = std::env::var("HUIYUAN_BENCH_MEMBERS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(MEMBERS_DEFAULT);
    let people = people(0, members, 1);
    let import_people = people_after(members);
    let import_xlsx = import_file(&import_people)?;

    let data =
        std::env::temp_dir().join(format!("huiyuan-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data)?;
    let mut backends = Vec::new();
    let sqlite = run_backend(
        "SQLite",
        &format!("sqlite://{}/bench.db", data.display()),
        &people,
        &import_people,
        &import_xlsx,
    )
    .await;
    std::fs::remove_dir_all(&data)?;
    backends.push(sqlite?);

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
    let pg = run_backend("PostgreSQL", &pg_url, &people, &import_people, &import_xlsx).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await?;
    backends.push(pg?);

    let mut table = String::from(
        "| database | search | server p50 ms | server p99 ms | baseline p50 ms | baseline p99 ms | p99 server ÷ baseline | results per page |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut imports = String::from(
        "| database | rows | file | checked (s) | done (s) | rows/s | loading the members directly (s) |\n|---|---|---|---|---|---|---|\n",
    );
    for backend in &backends {
        let _ = writeln!(
            table,
            "| {} | *no search: `GET /api/v1/auth/me`* | {:.2} | {:.2} | | | | |",
            backend.name, backend.floor.p50_ms, backend.floor.p99_ms
        );
        for (label, m) in &backend.rows {
            let _ = writeln!(
                table,
                "| {} | {label} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1}× | {:.1} |",
                backend.name,
                m.server.p50_ms,
                m.server.p99_ms,
                m.baseline.p50_ms,
                m.baseline.p99_ms,
                m.server.p99_ms / m.baseline.p99_ms,
                m.found_avg
            );
        }
        let _ = writeln!(
            imports,
            "| {} | {} | {:.1} MiB XLSX | {:.1} | {:.1} | {:.0} | {:.0} |",
            backend.name,
            import_people.len(),
            backend.import.file_mib,
            backend.import.checked_s,
            backend.import.total_s,
            import_people.len() as f64 / backend.import.total_s,
            backend.load_s
        );
    }
    let section = format!(
        "## Member search\n\nMeasured by `cargo xtask bench search` on {} with {} cores, among {members} generated members \
         (weighted common surnames with 复姓, given names of one or two common characters; unique mobile numbers with real \
         prefixes) and a card for every {CARD_EVERY}th member, loaded through the import's bulk insert. Each kind of search \
         is run {SAMPLES} times, one after another, for members picked at random, as the counter types it (`q=` with the kind \
         read from the term). *Server* is the time of `GET /api/v1/members?q=` measured by the client, auth and JSON \
         included; *baseline* is the same search (`member::search::search`, the same SQL) on a pooled connection without \
         HTTP. PostgreSQL's statistics are refreshed after the load (`ANALYZE`), as autovacuum would; SQLite runs without \
         `ANALYZE`, as a deployment does.\n\n{table}\nTargets: p99 ≤ 10 ms and ≤ 2× the baseline.\n\n\
         ### Member import\n\n{import_rows} new members in one XLSX file (姓名, 手机, 性别, 生日, 门店编码) imported through \
         `POST /api/v1/member-imports` into the database above: *checked* is until the answer (reading the file and checking \
         every row against the database), *done* until the background job has written every chunk of 500 members.\n\n{imports}",
        time::OffsetDateTime::now_utc().date(),
        std::thread::available_parallelism().map_or(0, usize::from),
        import_rows = import_people.len(),
    );
    write_section(&report, "## Member search", &section)?;
    println!("{section}");
    Ok(())
}

/// The members the import brings: numbered after the loaded ones, so their phones are
/// new.
fn people_after(members: usize) -> Vec<Person> {
    people(members, import_rows(), 2)
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
