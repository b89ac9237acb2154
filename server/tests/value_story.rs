//! Stored value at HQ and the counter on SQLite and PostgreSQL: withdrawals hand back
//! principal and forfeit bonus in proportion (exact to the 分, rounding half up), all of
//! it or refused beyond the balance with nothing written, replayed without paying twice;
//! a corporate batch top-up is checked row by row in a dry run, refused whole for one bad
//! row, credited once and never twice under the same batch id, and 10,000 rows go
//! through in one piece; the balance report agrees with the ledger and keeps to the
//! caller's scope. The ledger's invariants hold after each story.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::bootstrap::{self, NewStaff};
use huiyuan_shared::permission::BuiltinRole;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test]
async fn value_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    value_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn value_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    value_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_large_batch_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    a_large_batch(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_large_batch_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    a_large_batch(&server).await;
    server.stop().await;
}

/// Who is at work: HQ's admin, the region's manager, the S001 cashier, and a manager
/// of store S002 alone.
struct Cast<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    admin: String,
    manager: String,
    cashier: String,
    s002_manager: String,
    s001: String,
    s002: String,
}

impl Cast<'_> {
    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        call(
            self.client
                .post(self.server.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        call(self.client.get(self.server.url(path)).bearer_auth(token)).await
    }

    async fn upload(&self, token: &str, query: &str, file: Vec<u8>) -> (u16, Value) {
        call(
            self.client
                .post(self.server.url(&format!("/api/v1/topups/batches?{query}")))
                .bearer_auth(token)
                .header("content-type", "application/octet-stream")
                .body(file),
        )
        .await
    }

    async fn topup(&self, token: &str, member: &str, store: &str, amount_fen: i64) -> Value {
        let (status, receipt) = self
            .post(
                token,
                "/api/v1/topups",
                json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": store,
                        "amount_fen": amount_fen, "tender": "cash" }),
            )
            .await;
        assert_eq!(status, 201, "{receipt}");
        receipt
    }

    async fn ledger(&self, member: &str) -> Value {
        let (status, page) = self
            .get(&self.admin, &format!("/api/v1/members/{member}/ledger"))
            .await;
        assert_eq!(status, 200, "{page}");
        page
    }
}

async fn cast(server: &TestServer) -> Cast<'_> {
    let s002 = server.store_id("S002").await;
    let mut tx = server.db.writer.begin().await.expect("begin");
    bootstrap::create_staff(
        &mut tx,
        NewStaff {
            username: "s002_manager",
            display_name: "西湖店长",
            password: "demo1234",
            role: BuiltinRole::Manager,
            store_id: s002.parse().expect("store id"),
        },
    )
    .await
    .expect("a manager of S002");
    tx.commit().await.expect("commit");
    Cast {
        server,
        client: reqwest::Client::new(),
        admin: server.token("admin", "demo1234").await,
        manager: server.token("manager", "demo1234").await,
        cashier: server.token("cashier", "demo1234").await,
        s002_manager: server.token("s002_manager", "demo1234").await,
        s001: server.store_id("S001").await,
        s002,
    }
}

/// Top-ups of ¥500 and more get a bonus: ¥50 fixed from ¥500, 15% from ¥1,000.
fn rules(bonus_forfeit: &str) -> Value {
    json!({
        "version": 0,
        "topup_plans": [{ "id": "topup-500", "name": "充500送50", "enabled": true,
            "tiers": [{ "threshold": 50_000, "bonus": { "type": "fixed", "amount": 5_000 } },
                      { "threshold": 100_000, "bonus": { "type": "rate", "bonus_bp": 1_500 } }] }],
        "withdrawal": { "bonus_forfeit": bonus_forfeit }
    })
}

async fn count(server: &TestServer, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&server.db.pool)
        .await
        .expect("count")
}

/// Rows a refused request must leave as they were.
async fn written(server: &TestServer) -> [i64; 4] {
    [
        count(server, "transfers").await,
        count(server, "commands").await,
        count(server, "audit_log").await,
        count(server, "topup_batches").await,
    ]
}

async fn balance(server: &TestServer, account: &str) -> i64 {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_optional(&server.db.pool)
        .await
        .expect("balance")
        .unwrap_or(0)
}

async fn value_story(server: &TestServer) {
    let cast = cast(server).await;
    let (status, saved) = call(
        cast.client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&cast.admin)
            .json(&rules("proportional")),
    )
    .await;
    assert_eq!(status, 200, "{saved}");

    withdrawals_hand_back_principal_and_forfeit_bonus(&cast).await;
    invariants::check(&server.db).await;
    the_strict_policy_forfeits_the_whole_bonus(&cast).await;
    invariants::check(&server.db).await;
    a_batch_is_checked_then_credited_once(&cast).await;
    invariants::check(&server.db).await;
    the_report_agrees_with_the_ledger(&cast).await;
    invariants::check(&server.db).await;
}

fn withdrawal(id: uuid::Uuid, member: &str, store: &str, amount: Value) -> Value {
    let mut body = json!({ "id": id, "member_id": member, "store_id": store,
                           "tender": "cash", "reason": "会员搬离本市" });
    match amount {
        Value::String(all) if all == "all" => body["all"] = json!(true),
        amount => body["amount_fen"] = amount,
    }
    body
}

async fn withdrawals_hand_back_principal_and_forfeit_bonus(cast: &Cast<'_>) {
    let server = cast.server;
    let member = server.member_id("13800138000").await;
    let topup = cast
        .topup(&cast.cashier, &member, &cast.s001, 100_000)
        .await;
    assert_eq!(topup["bonus_fen"], 15_000);

    // The demo cashier may top up but not hand money back.
    let before = written(server).await;
    let (status, refused) = cast
        .post(
            &cast.cashier,
            "/api/v1/value/withdrawals",
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!(10_000)),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["details"]["permission"], "value.refund");
    // A manager of another store cannot pay out at S001.
    let (status, _) = cast
        .post(
            &cast.s002_manager,
            "/api/v1/value/withdrawals",
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!(10_000)),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(written(server).await, before, "refusals write nothing");

    // ¥300 of ¥1,000 principal forfeits ¥150 × 3/10 = ¥45 of bonus.
    let first = uuid::Uuid::now_v7();
    let body = withdrawal(first, &member, &cast.s001, json!(30_000));
    let (status, receipt) = cast
        .post(&cast.manager, "/api/v1/value/withdrawals", body.clone())
        .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["principal_paid_fen"], 30_000);
    assert_eq!(receipt["bonus_forfeited_fen"], 4_500);
    assert_eq!(receipt["balances_before"]["principal_fen"], 100_000);
    assert_eq!(receipt["balances"]["principal_fen"], 70_000);
    assert_eq!(receipt["balances"]["bonus_fen"], 10_500);
    assert_eq!(receipt["reason"], "会员搬离本市");

    // The answer was lost and the manager sends it again: the same receipt, no second
    // payout. The same id for another amount is a conflict.
    let transfers = count(server, "transfers").await;
    let (status, again) = cast
        .post(&cast.manager, "/api/v1/value/withdrawals", body)
        .await;
    assert_eq!(status, 200);
    assert_eq!(again, receipt);
    assert_eq!(count(server, "transfers").await, transfers);
    let (status, conflict) = cast
        .post(
            &cast.manager,
            "/api/v1/value/withdrawals",
            withdrawal(first, &member, &cast.s001, json!(20_000)),
        )
        .await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));

    // An odd split: ¥333.33 of ¥700 with ¥105 bonus is ¥49.9995 → ¥50.00, rounded half
    // up (rounding down would leave ¥49.99).
    let (status, odd) = cast
        .post(
            &cast.manager,
            "/api/v1/value/withdrawals",
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!(33_333)),
        )
        .await;
    assert_eq!(status, 201, "{odd}");
    assert_eq!(odd["bonus_forfeited_fen"], 5_000);
    assert_eq!(odd["balances"]["principal_fen"], 36_667);
    assert_eq!(odd["balances"]["bonus_fen"], 5_500);

    // One 分 more than the principal is refused by name, and nothing is written.
    let before = written(server).await;
    let (status, over) = cast
        .post(
            &cast.manager,
            "/api/v1/value/withdrawals",
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!(36_668)),
        )
        .await;
    assert_eq!(status, 422, "{over}");
    assert_eq!(over["code"], "insufficient_balance");
    assert_eq!(over["details"]["fields"][0]["field"], "amount_fen");
    assert_eq!(over["details"]["principal_fen"], 36_667);
    assert_eq!(written(server).await, before, "nothing written");
    // Bad requests name their field.
    for (body, field) in [
        (
            json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": cast.s001,
                    "amount_fen": 100, "all": true, "tender": "cash", "reason": "x" }),
            "amount_fen",
        ),
        (
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!(0)),
            "amount_fen",
        ),
        (
            json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": cast.s001,
                    "amount_fen": 100, "tender": "cash", "reason": "  " }),
            "reason",
        ),
    ] {
        let (status, error) = cast
            .post(&cast.manager, "/api/v1/value/withdrawals", body)
            .await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["details"]["fields"][0]["field"], field, "{error}");
    }
    assert_eq!(written(server).await, before, "nothing written");

    // Withdrawing all the principal forfeits all the bonus.
    let (status, all) = cast
        .post(
            &cast.manager,
            "/api/v1/value/withdrawals",
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!("all")),
        )
        .await;
    assert_eq!(status, 201, "{all}");
    assert_eq!(all["principal_paid_fen"], 36_667);
    assert_eq!(all["bonus_forfeited_fen"], 5_500);
    assert_eq!(all["balances"]["principal_fen"], 0);
    assert_eq!(all["balances"]["bonus_fen"], 0);
    let (status, empty) = cast
        .post(
            &cast.manager,
            "/api/v1/value/withdrawals",
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!("all")),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(empty["details"]["fields"][0]["code"], "nothing_to_withdraw");

    // The till paid out what it took in, and the store took back all the bonus it gave.
    assert_eq!(
        balance(server, &format!("store:{}:cash", cast.s001)).await,
        0
    );
    assert_eq!(
        balance(server, &format!("store:{}:bonus_issued", cast.s001)).await,
        0
    );
    // The member's history shows each withdrawal and forfeit, newest first.
    let page = cast.ledger(&member).await;
    let entries: Vec<(String, String, i64)> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            (
                entry["kind"].as_str().expect("kind").to_owned(),
                entry["account"].as_str().expect("account").to_owned(),
                entry["amount"].as_i64().expect("amount"),
            )
        })
        .collect();
    let expected = [
        ("forfeit", "bonus", -5_500),
        ("withdraw", "principal", -36_667),
        ("forfeit", "bonus", -5_000),
        ("withdraw", "principal", -33_333),
        ("forfeit", "bonus", -4_500),
        ("withdraw", "principal", -30_000),
        ("bonus", "bonus", 15_000),
        ("topup", "principal", 100_000),
    ];
    let expected: Vec<(String, String, i64)> = expected
        .iter()
        .map(|(kind, account, amount)| ((*kind).to_owned(), (*account).to_owned(), *amount))
        .collect();
    assert_eq!(entries, expected);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'value.withdraw' AND entity_id = $1",
    )
    .bind(&member)
    .fetch_one(&server.db.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 3);
}

/// With the strict policy a withdrawal of any principal forfeits all the bonus.
async fn the_strict_policy_forfeits_the_whole_bonus(cast: &Cast<'_>) {
    let server = cast.server;
    let (status, _) = call(
        cast.client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&cast.admin)
            .json(&rules("all")),
    )
    .await;
    assert_eq!(status, 200);
    let member = server.member_id("13600136000").await;
    cast.topup(&cast.cashier, &member, &cast.s001, 50_000).await;
    let (status, receipt) = cast
        .post(
            &cast.admin,
            "/api/v1/value/withdrawals",
            withdrawal(uuid::Uuid::now_v7(), &member, &cast.s001, json!(1)),
        )
        .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["principal_paid_fen"], 1);
    assert_eq!(receipt["bonus_forfeited_fen"], 5_000);
    assert_eq!(receipt["balances"]["principal_fen"], 49_999);
    let (status, _) = call(
        cast.client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&cast.admin)
            .json(&rules("proportional")),
    )
    .await;
    assert_eq!(status, 200);
}

async fn a_batch_is_checked_then_credited_once(cast: &Cast<'_>) {
    let server = cast.server;
    let store = &cast.s001;
    let terms = format!("store_id={store}&tender=bank_transfer");
    let wang = server.member_id("13700137000").await;
    let li = server.member_id("13900139000").await;
    let li_no: String = sqlx::query_scalar("SELECT member_no FROM members WHERE id = $1")
        .bind(&li)
        .fetch_one(&server.db.pool)
        .await
        .expect("member no");

    // A file with every kind of bad row. Row 1 is the header; blank rows count.
    let bad_file = format!(
        "手机号,会员号,金额,备注\n\
         13700137000,,500,三月福利\n\
         13711112222,,100,\n\
         ,{li_no},1.234,\n\
         \n\
         13700137000,,20,\n\
         15000150000,,0,\n\
         15000150000,,-5,\n\
         13600136000,,100000.01,\n\
         ,000000000,10,\n\
         13800138000,,十元,\n"
    );
    let before = written(server).await;
    let (status, refused) = cast
        .upload(
            &cast.cashier,
            &format!("dry_run=true&{terms}"),
            b"x".to_vec(),
        )
        .await;
    assert_eq!(status, 403, "a cashier cannot run a corporate batch");
    assert_eq!(refused["details"]["permission"], "hq.use");
    let (status, report) = cast
        .upload(
            &cast.admin,
            &format!("dry_run=true&format=csv&{terms}"),
            bad_file.clone().into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["committed"], false);
    let found: Vec<(i64, String, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().expect("row"),
                e["field"].as_str().expect("field").to_owned(),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    let expected = [
        (3, "phone", "unknown_member"),
        (4, "amount", "too_precise"),
        (6, "phone", "duplicate_in_file"),
        (7, "amount", "not_positive"),
        (8, "phone", "duplicate_in_file"),
        (8, "amount", "not_positive"),
        (9, "amount", "above_maximum"),
        (10, "member_no", "unknown_member"),
        (11, "amount", "not_a_number"),
    ];
    let expected: Vec<(i64, String, String)> = expected
        .iter()
        .map(|(row, field, code)| (*row, (*field).to_owned(), (*code).to_owned()))
        .collect();
    assert_eq!(found, expected, "{report}");
    assert_eq!(report["rows_read"], 9);
    assert_eq!(report["rows_valid"], 1);
    let first = &report["rows"][0];
    assert_eq!(
        (
            &first["row"],
            &first["phone_masked"],
            &first["amount_fen"],
            &first["bonus_fen"]
        ),
        (
            &json!(2),
            &json!("137****7000"),
            &json!(50_000),
            &json!(5_000)
        )
    );
    assert_eq!(report["rows"][1]["member_id"], Value::Null);
    assert_eq!(written(server).await, before, "a dry run writes nothing");

    // The real run of the same file is refused whole.
    let batch = uuid::Uuid::now_v7();
    let (status, refused) = cast
        .upload(
            &cast.admin,
            &format!("batch_id={batch}&{terms}"),
            bad_file.into_bytes(),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["details"]["report"]["committed"], false);
    assert_eq!(
        refused["details"]["fields"][0]["message"],
        "第3行：手机号：会员不存在"
    );
    assert_eq!(
        written(server).await,
        before,
        "one bad row, nothing credited"
    );
    let (status, missing) = cast
        .upload(
            &cast.admin,
            &terms,
            b"phone,amount\n13700137000,1\n".to_vec(),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(missing["details"]["fields"][0]["field"], "batch_id");

    // The corrected file as XLSX, numbers typed as numbers: ¥500 with ¥50 bonus for
    // Wang, ¥1,234.56 with 15% (¥185.18) for Li by member number.
    let good = xlsx(&[
        ["13700137000", "", "500", "三月福利"],
        ["", &li_no, "1234.56", ""],
    ]);
    let wang_before = cast.ledger(&wang).await["balances"].clone();
    let li_before = cast.ledger(&li).await["balances"].clone();
    let (status, credited) = cast
        .upload(
            &cast.admin,
            &format!("batch_id={batch}&{terms}"),
            good.clone(),
        )
        .await;
    assert_eq!(status, 201, "{credited}");
    assert_eq!(credited["committed"], true);
    assert_eq!(credited["rows_valid"], 2);
    assert_eq!(credited["principal_fen"], 50_000 + 123_456);
    assert_eq!(credited["bonus_fen"], 5_000 + 18_518);
    let wang_after = cast.ledger(&wang).await;
    assert_eq!(
        wang_after["balances"]["principal_fen"].as_i64(),
        wang_before["principal_fen"]
            .as_i64()
            .map(|fen| fen + 50_000)
    );
    assert_eq!(
        wang_after["balances"]["bonus_fen"].as_i64(),
        wang_before["bonus_fen"].as_i64().map(|fen| fen + 5_000)
    );
    let newest = &wang_after["entries"][1];
    assert_eq!(
        (&newest["kind"], &newest["command_id"], &newest["memo"]),
        (
            &json!("topup"),
            &json!(batch.to_string()),
            &json!("三月福利")
        )
    );
    let li_after = cast.ledger(&li).await;
    assert_eq!(
        li_after["balances"]["principal_fen"].as_i64(),
        li_before["principal_fen"].as_i64().map(|fen| fen + 123_456)
    );
    assert_eq!(
        balance(server, &format!("store:{store}:bank_transfer")).await,
        -(50_000 + 123_456)
    );

    // The same batch again: the first report, nothing credited. Another file under the
    // same batch id is a conflict.
    let after = written(server).await;
    let (status, again) = cast
        .upload(&cast.admin, &format!("batch_id={batch}&{terms}"), good)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, credited);
    assert_eq!(written(server).await, after, "a replay credits nothing");
    let other = xlsx(&[["13700137000", "", "600", ""]]);
    let (status, conflict) = cast
        .upload(&cast.admin, &format!("batch_id={batch}&{terms}"), other)
        .await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    assert_eq!(written(server).await, after);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'value.topup_batch' AND entity_id = $1",
    )
    .bind(batch.to_string())
    .fetch_one(&server.db.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);
}

fn xlsx(rows: &[[&str; 4]]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, title) in ["手机号", "会员号", "金额", "备注"].iter().enumerate() {
        sheet
            .write_string(0, column as u16, *title)
            .expect("header");
    }
    for (index, row) in rows.iter().enumerate() {
        let line = index as u32 + 1;
        for (column, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(number) if column != 1 => {
                    sheet
                        .write_number(line, column as u16, number)
                        .expect("number");
                }
                _ => {
                    sheet
                        .write_string(line, column as u16, *cell)
                        .expect("text");
                }
            }
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

/// The sums the report should show, straight from the ledger: what member accounts of
/// `code` were credited (or debited) by transfers of `kind` at `store`.
async fn ledger_sum(server: &TestServer, side: &str, kind: &str, code: &str, store: &str) -> i64 {
    sqlx::query_scalar(&format!(
        "SELECT COALESCE(CAST(SUM(t.amount) AS BIGINT), 0) FROM transfers t \
         JOIN accounts a ON a.id = t.{side}_account_id \
         WHERE a.owner_kind = 'member' AND a.code = $1 AND t.kind = $2 AND t.store_id = $3"
    ))
    .bind(code)
    .bind(kind)
    .bind(store)
    .fetch_one(&server.db.pool)
    .await
    .expect("sum")
}

async fn the_report_agrees_with_the_ledger(cast: &Cast<'_>) {
    let server = cast.server;
    // A top-up at S002, so the stores' lines differ.
    let zhang = server.member_id("15000150000").await;
    cast.topup(&cast.s002_manager, &zhang, &cast.s002, 20_000)
        .await;

    let (status, _) = cast
        .get(&cast.cashier, "/api/v1/reports/stored-value")
        .await;
    assert_eq!(status, 403, "a cashier sees no reports");
    // Everything so far happened today; from 2000 on covers the whole history, so the
    // period's net equals what members hold.
    let (status, report) = cast
        .get(&cast.admin, "/api/v1/reports/stored-value?from=2000-01-01")
        .await;
    assert_eq!(status, 200, "{report}");
    let held: (i64, i64) = {
        let row: (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(CAST(SUM(CASE WHEN code = 'principal' THEN balance ELSE 0 END) AS BIGINT), 0), \
                    COALESCE(CAST(SUM(CASE WHEN code = 'bonus' THEN balance ELSE 0 END) AS BIGINT), 0) \
             FROM accounts WHERE owner_kind = 'member'",
        )
        .fetch_one(&server.db.pool)
        .await
        .expect("held");
        row
    };
    assert_eq!(
        (
            report["held"]["principal_fen"].as_i64().expect("principal"),
            report["held"]["bonus_fen"].as_i64().expect("bonus")
        ),
        held
    );
    assert_eq!(
        report["movements"]["net_principal_fen"].as_i64(),
        Some(held.0)
    );
    assert_eq!(report["movements"]["net_bonus_fen"].as_i64(), Some(held.1));
    let s001 = report["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .find(|line| line["store_code"] == "S001")
        .expect("S001's line")
        .clone();
    let movements = &s001["movements"];
    for (field, side, kind, code) in [
        ("topup_principal_fen", "credit", "topup", "principal"),
        ("topup_bonus_fen", "credit", "bonus", "bonus"),
        ("withdrawn_principal_fen", "debit", "withdraw", "principal"),
        ("forfeited_bonus_fen", "debit", "forfeit", "bonus"),
    ] {
        assert_eq!(
            movements[field].as_i64(),
            Some(ledger_sum(server, side, kind, code, &cast.s001).await),
            "{field}"
        );
    }
    // The figures of this story: ¥1,000 + ¥500 + ¥500 + ¥1,234.56 paid in at S001;
    // ¥1,000 + ¥0.01 handed back.
    assert_eq!(movements["topup_principal_fen"], 100_000 + 50_000 + 173_456);
    assert_eq!(movements["withdrawn_principal_fen"], 100_000 + 1);
    assert_eq!(movements["forfeited_bonus_fen"], 15_000 + 5_000);
    // Members joined at S001, so S001 holds everything except nothing at S002.
    assert_eq!(s001["held"]["principal_fen"].as_i64(), Some(held.0));

    // The S002 manager sees S002 alone: its top-up, and no members of its own.
    let (status, own) = cast
        .get(&cast.s002_manager, "/api/v1/reports/stored-value")
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["stores"].as_array().map(Vec::len), Some(1));
    assert_eq!(own["movements"]["topup_principal_fen"], 20_000);
    assert_eq!(own["held"]["principal_fen"], 0);
    let (status, _) = cast
        .get(
            &cast.s002_manager,
            &format!("/api/v1/reports/stored-value?store_id={}", cast.s001),
        )
        .await;
    assert_eq!(status, 403, "S001 is outside the S002 manager's scope");
    // A period before any of it shows nothing moved, and bad dates are named.
    let (status, empty) = cast
        .get(
            &cast.admin,
            "/api/v1/reports/stored-value?from=2001-01-01&to=2001-12-31",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(empty["movements"]["topup_principal_fen"], 0);
    assert_eq!(empty["held"]["principal_fen"].as_i64(), Some(held.0));
    for (query, field) in [
        ("from=2025-13-01", "from"),
        ("from=2025-06-02&to=2025-06-01", "to"),
    ] {
        let (status, error) = cast
            .get(
                &cast.admin,
                &format!("/api/v1/reports/stored-value?{query}"),
            )
            .await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["details"]["fields"][0]["field"], field);
    }
}

/// 10,000 members credited from one file: the dry run and the real run each within a
/// bound far above what they take, all in one command.
async fn a_large_batch(server: &TestServer) {
    const MEMBERS: usize = 10_000;
    let now = huiyuan_server::db::now_ms();
    let store = server.store_id("S001").await;
    for chunk in (0..MEMBERS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|n| {
                format!(
                    "('{}', 'B{n:08}', '批量{n}', '159{n:08}', '普通会员', '{store}', {now}, {now})",
                    uuid::Uuid::now_v7()
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO members (id, member_no, name, phone, level_name, store_id, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .execute(&server.db.writer)
        .await
        .expect("members");
    }
    let admin = server.token("admin", "demo1234").await;
    let client = reqwest::Client::new();
    let (status, saved) = call(
        client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&admin)
            .json(&rules("proportional")),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    // ¥100.00 to ¥599.99: those from ¥500 get the ¥50 bonus.
    let mut file = String::from("phone,amount,memo\n");
    let mut principal = 0;
    let mut bonus = 0;
    for n in 0..MEMBERS {
        let fen = 10_000 + (n as i64 * 4_999) % 50_000;
        principal += fen;
        if fen >= 50_000 {
            bonus += 5_000;
        }
        file.push_str(&format!(
            "159{n:08},{}.{:02},年终福利\n",
            fen / 100,
            fen % 100
        ));
    }
    let upload = |query: String, body: String| {
        call(
            client
                .post(server.url(&format!("/api/v1/topups/batches?{query}")))
                .bearer_auth(&admin)
                .body(body),
        )
    };
    let terms = format!("store_id={store}&tender=bank_transfer");
    let started = Instant::now();
    let (status, report) = upload(format!("dry_run=true&{terms}"), file.clone()).await;
    let dry_run = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(report["rows_valid"], MEMBERS, "{}", report["errors"]);
    assert_eq!(report["principal_fen"], principal);
    let transfers = count(server, "transfers").await;
    let batch = uuid::Uuid::now_v7();
    let started = Instant::now();
    let (status, credited) = upload(format!("batch_id={batch}&{terms}"), file.clone()).await;
    let real_run = started.elapsed();
    assert_eq!(status, 201, "{}", credited["message"]);
    assert_eq!(credited["principal_fen"], principal);
    assert_eq!(credited["bonus_fen"], bonus);
    let bonus_rows = (bonus / 5_000) as i64;
    assert_eq!(
        count(server, "transfers").await,
        transfers + MEMBERS as i64 + bonus_rows
    );
    eprintln!(
        "{:?}: 10,000-row batch, dry run {dry_run:?}, credited in {real_run:?}",
        server.backend
    );
    let bound = Duration::from_secs(60);
    assert!(dry_run < bound && real_run < bound, "too slow");
    let (status, _) = upload(format!("batch_id={batch}&{terms}"), file).await;
    assert_eq!(status, 200, "the replay credits nothing");
    assert_eq!(
        count(server, "transfers").await,
        transfers + MEMBERS as i64 + bonus_rows
    );
    let held: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(balance) AS BIGINT) FROM accounts WHERE owner_kind = 'member' AND code = 'principal'",
    )
    .fetch_one(&server.db.pool)
    .await
    .expect("held");
    assert_eq!(held, principal);
    invariants::check(&server.db).await;
}
