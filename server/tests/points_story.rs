//! Points administration on SQLite and PostgreSQL (PTS-2, PTS-4): a manager adjusts and
//! supplements a member's points with a reason, never below zero, within their stores,
//! idempotently and audited; the member's history shows each with its reason. Under an
//! expiry policy, points earned at the till, added by staff and given back by a return
//! get the policy's expiry, and the expiry run lapses them once, however often it runs.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::db::now_ms;
use huiyuan_server::ledger::expiry;
use huiyuan_server::sale::{business_time, BUSINESS_UTC_OFFSET_MS};
use huiyuan_shared::rules::PointsExpiry;
use serde_json::{json, Value};

#[tokio::test]
async fn adjustment_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    adjustment_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn adjustment_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    adjustment_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn expiry_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    expiry_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn expiry_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    expiry_story(&server).await;
    server.stop().await;
}

async fn count(server: &TestServer, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&server.db.pool)
        .await
        .expect("count")
}

fn adjustment(member: &str, store: &str, kind: &str, points: i64, reason: &str) -> Value {
    json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": store,
            "kind": kind, "points": points, "reason": reason })
}

async fn adjustment_story(server: &TestServer) {
    let client = reqwest::Client::new();
    let manager = server.token("manager", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;
    let store = server.store_id("S001").await;
    let other_store = server.store_id("S002").await;
    let region = server.store_id("R-EAST").await;
    let member = server.member_id("13800138000").await;
    let adjust = |token: &str, body: &Value| {
        client
            .post(server.url("/api/v1/points/adjustments"))
            .bearer_auth(token)
            .json(body)
    };

    let (status, body) = call(adjust(
        &cashier,
        &adjustment(&member, &store, "adjust", 10, "测试"),
    ))
    .await;
    assert_eq!(
        (status, &body["details"]["permission"]),
        (403, &json!("points.adjust")),
        "a cashier may not adjust points"
    );

    // A correction in the member's favour: the reason is recorded trimmed.
    let credit = adjustment(&member, &store, "adjust", 500, "  开业活动补偿  ");
    let (status, first) = call(adjust(&manager, &credit)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["reason"], "开业活动补偿");
    assert_eq!(first["balances"]["points"], 500);
    assert!(
        first["expires_at"].as_str().is_some(),
        "credited points have an expiry"
    );
    let (status, again) = call(adjust(&manager, &credit)).await;
    assert_eq!(
        (status, &again),
        (200, &first),
        "a replay answers the first receipt"
    );
    let mut other = credit.clone();
    other["points"] = json!(501);
    let (status, body) = call(adjust(&manager, &other)).await;
    assert_eq!((status, &body["code"]), (409, &json!("conflict")));

    // A supplement for a purchase three days ago, without the card.
    let three_days_ago = huiyuan_server::db::ms_to_rfc3339(now_ms() - 3 * 86_400_000);
    let mut supplement = adjustment(&member, &store, "supplement", 120, "顾客忘带会员卡");
    supplement["reference"] = json!("S001-20250101-00007");
    supplement["occurred_at"] = json!(three_days_ago);
    let (status, body) = call(adjust(&manager, &supplement)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["balances"]["points"], 620);
    assert_eq!(body["reference"], "S001-20250101-00007");

    // Bad input is refused by field with nothing written.
    let transfers = count(server, "transfers").await;
    let commands = count(server, "commands").await;
    let mut unreferenced = adjustment(&member, &store, "supplement", 10, "忘带卡");
    unreferenced["reference"] = json!("  ");
    let mut future = adjustment(&member, &store, "supplement", 10, "忘带卡");
    future["reference"] = json!("S001-1");
    future["occurred_at"] = json!(huiyuan_server::db::ms_to_rfc3339(now_ms() + 86_400_000));
    for (body, field) in [
        (
            adjustment(&member, &store, "adjust", 0, "错账更正"),
            "points",
        ),
        (
            adjustment(&member, &store, "supplement", -5, "错账更正"),
            "points",
        ),
        (adjustment(&member, &store, "adjust", 10, " 错 "), "reason"),
        (
            adjustment(&member, &store, "adjust", 10, &"长".repeat(201)),
            "reason",
        ),
        (unreferenced, "reference"),
        (future, "occurred_at"),
        (
            adjustment(
                &uuid::Uuid::now_v7().to_string(),
                &store,
                "adjust",
                10,
                "错账更正",
            ),
            "member_id",
        ),
        (
            adjustment(&member, &region, "adjust", 10, "错账更正"),
            "store_id",
        ),
        // More than the member holds can never be taken away.
        (
            adjustment(&member, &store, "adjust", -621, "错账更正"),
            "points",
        ),
    ] {
        let (status, refused) = call(adjust(&manager, &body)).await;
        assert_eq!(status, 400, "{body}: {refused}");
        assert_eq!(refused["code"], "invalid_input");
        assert_eq!(refused["details"]["fields"][0]["field"], field, "{refused}");
    }
    let (_, refused) = call(adjust(
        &manager,
        &adjustment(&member, &store, "adjust", -621, "错账更正"),
    ))
    .await;
    assert_eq!(refused["details"]["fields"][0]["code"], "exceeds_balance");
    assert_eq!(refused["details"]["points_held"], 620);
    assert_eq!(count(server, "transfers").await, transfers);
    assert_eq!(count(server, "commands").await, commands);

    // Exactly what the member holds can be taken: the balance reaches zero, not below.
    let (status, body) = call(adjust(
        &manager,
        &adjustment(&member, &store, "adjust", -620, "重复积分冲正"),
    ))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["balances"]["points"], 0);
    assert_eq!(body["expires_at"], Value::Null);

    // Granted the permission, the cashier adjusts at their own store only.
    sqlx::query(
        "INSERT INTO staff_permissions (staff_id, permission) \
         SELECT id, 'points.adjust' FROM staff WHERE username = 'cashier'",
    )
    .execute(&server.db.writer)
    .await
    .expect("grant");
    let (status, _) = call(adjust(
        &cashier,
        &adjustment(&member, &other_store, "adjust", 1, "跨店调整"),
    ))
    .await;
    assert_eq!(status, 403, "another store is out of the cashier's scope");
    let (status, body) = call(adjust(
        &cashier,
        &adjustment(&member, &store, "adjust", 1, "本店调整"),
    ))
    .await;
    assert_eq!(status, 201, "{body}");

    // The member's history shows each movement with its kind and reason.
    let (status, page) = call(
        client
            .get(server.url(&format!("/api/v1/members/{member}/ledger?account=points")))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let entries: Vec<(String, i64, String)> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            (
                entry["kind"].as_str().unwrap_or_default().to_owned(),
                entry["amount"].as_i64().unwrap_or_default(),
                entry["memo"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("adjust", 1, "本店调整"),
        ("adjust", -620, "重复积分冲正"),
        ("supplement", 120, "顾客忘带会员卡"),
        ("adjust", 500, "开业活动补偿"),
    ];
    let expected: Vec<(String, i64, String)> = expected
        .iter()
        .map(|(kind, amount, memo)| ((*kind).to_owned(), *amount, (*memo).to_owned()))
        .collect();
    assert_eq!(entries, expected);
    assert_eq!(page["balances"]["points"], 1);

    // Each is in the audit log with who, why and the balance after.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, after_json FROM audit_log \
         WHERE action IN ('points.adjust', 'points.supplement') ORDER BY seq",
    )
    .fetch_all(&server.db.pool)
    .await
    .expect("audit");
    let audited: Vec<(String, i64, String)> = rows
        .iter()
        .map(|(action, after)| {
            let after: Value = serde_json::from_str(after).expect("after json");
            (
                action.clone(),
                after["points"].as_i64().unwrap_or_default(),
                after["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        audited,
        [
            ("points.adjust", 500, "开业活动补偿"),
            ("points.supplement", 120, "顾客忘带会员卡"),
            ("points.adjust", -620, "重复积分冲正"),
            ("points.adjust", 1, "本店调整"),
        ]
        .iter()
        .map(|(a, p, r)| ((*a).to_owned(), *p, (*r).to_owned()))
        .collect::<Vec<_>>()
    );
    invariants::check(&server.db).await;
}

/// Adds tea (¥12.50, member price ¥11.00, earns points) straight to the catalogue.
async fn stock_tea(server: &TestServer) -> String {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO items (id, code, name, unit, retail_price_fen, member_price_fen, earns_points, created_at, updated_at) \
         VALUES ('item-tea', 'T001', '茉莉花茶', '件', 1250, 1100, 1, $1, $1)",
    )
    .bind(now)
    .execute(&server.db.writer)
    .await
    .expect("item");
    "item-tea".to_owned()
}

async fn lot_expiry_of(server: &TestServer, command_id: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT l.expires_at FROM points_lots l JOIN transfers t ON t.id = l.transfer_id \
         WHERE t.command_id = $1 ORDER BY l.id",
    )
    .bind(command_id)
    .fetch_all(&server.db.pool)
    .await
    .expect("lots")
}

async fn expiry_story(server: &TestServer) {
    let tea = stock_tea(server).await;
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let manager = server.token("manager", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;
    let store = server.store_id("S001").await;
    let member = server.member_id("13800138000").await;
    let policy = PointsExpiry::YearlyReset { years_after: 1 };

    let mut rules = json!({
        "version": 0,
        "earn_rules": [{ "id": "earn-base", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }],
        "points_payment_rules": [{ "id": "pay-points", "name": "积分抵现", "enabled": true,
            "points_per_yuan": 100, "max_share_bp": 5000, "min_points": 100 }],
        "points_expiry": { "type": "rolling", "months": 0 }
    });
    let put_rules = |rules: &Value| {
        client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&admin)
            .json(rules)
    };
    let (status, body) = call(put_rules(&rules)).await;
    assert_eq!(
        (status, &body["details"]["fields"][0]["field"]),
        (400, &json!("points_expiry.months")),
        "{body}"
    );
    rules["points_expiry"] = json!({ "type": "yearly_reset", "years_after": 1 });
    let (status, body) = call(put_rules(&rules)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["points_expiry"]["type"], "yearly_reset");

    // Everything earned this year lapses at the end of next year (Shanghai time).
    let before = now_ms();
    let lapse = |at: i64| policy.lapses_at_ms(business_time(at).date, BUSINESS_UTC_OFFSET_MS);
    let sale_id = uuid::Uuid::now_v7();
    let (status, sale) = call(
        client
            .post(server.url("/api/v1/sales"))
            .bearer_auth(&cashier)
            .json(&json!({
                "id": sale_id, "store_id": store, "member_id": member,
                "lines": [{ "item_id": tea, "quantity": 2 }],
                "payments": [{ "method": "cash", "amount_fen": 2_200 }]
            })),
    )
    .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["points_earned"], 22);
    let after = now_ms();
    let earned_lapse = lot_expiry_of(server, &sale_id.to_string()).await;
    assert_eq!(earned_lapse.len(), 1);
    assert!(
        [lapse(before), lapse(after)].contains(&earned_lapse[0]),
        "the sale's points lapse by the policy"
    );
    let lapses_at = earned_lapse[0];

    let adjust = |body: &Value| {
        client
            .post(server.url("/api/v1/points/adjustments"))
            .bearer_auth(&manager)
            .json(body)
    };
    let (status, body) = call(adjust(&adjustment(
        &member,
        &store,
        "adjust",
        1_000,
        "会员日赠送",
    )))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["expires_at"],
        json!(huiyuan_server::db::ms_to_rfc3339(lapses_at)),
        "an adjustment's points lapse by the policy"
    );
    // A purchase two years back has lapsed under this policy: too late to supplement.
    let mut late = adjustment(&member, &store, "supplement", 30, "补记两年前消费");
    late["reference"] = json!("S001-OLD-1");
    late["occurred_at"] = json!(huiyuan_server::db::ms_to_rfc3339(
        now_ms() - 2 * 366 * 86_400_000
    ));
    let (status, body) = call(adjust(&late)).await;
    assert_eq!(
        (status, &body["details"]["fields"][0]["field"]),
        (400, &json!("occurred_at")),
        "{body}"
    );

    // A tea paid with 100 points and cash, then returned: the points come back as a new
    // lot with the policy's expiry.
    let points_sale = uuid::Uuid::now_v7();
    let (status, body) = call(
        client
            .post(server.url("/api/v1/sales"))
            .bearer_auth(&cashier)
            .json(&json!({
                "id": points_sale, "store_id": store, "member_id": member,
                "lines": [{ "item_id": tea, "quantity": 1 }],
                "payments": [{ "method": "points", "amount_fen": 100, "points": 100 },
                             { "method": "cash", "amount_fen": 1_000 }]
            })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let return_id = uuid::Uuid::now_v7();
    let (status, body) = call(
        client
            .post(server.url(&format!("/api/v1/sales/{points_sale}/returns")))
            .bearer_auth(&manager)
            .json(&json!({ "id": return_id, "lines": [{ "line": 0, "quantity": 1 }] })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let returned_lapse = lot_expiry_of(server, &return_id.to_string()).await;
    assert_eq!(
        returned_lapse,
        vec![lapses_at],
        "returned points lapse by the policy"
    );
    let mut connection = server.db.pool.acquire().await.expect("connection");
    let held = huiyuan_server::ledger::member_balances(&mut connection, &member)
        .await
        .expect("balances")
        .points;
    drop(connection);
    assert!(held > 1_000, "{held}");

    // Nothing lapses before its time; at the instant, every lot with points left lapses,
    // once, however many runs there are, even at the same time.
    let state = &server.state;
    let run = expiry::expire_due(&state.db, &state.writer, lapses_at - 1)
        .await
        .expect("run");
    assert_eq!(run, expiry::ExpiryRun::default());
    let (one, two) = tokio::join!(
        expiry::expire_due(&state.db, &state.writer, lapses_at),
        expiry::expire_due(&state.db, &state.writer, lapses_at),
    );
    let (one, two) = (one.expect("run"), two.expect("run"));
    assert_eq!(one.points + two.points, held, "{one:?} {two:?}");
    let lapsed_lots: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM transfers WHERE kind = 'expire' AND command_id LIKE 'expire:%'",
    )
    .fetch_one(&server.db.pool)
    .await
    .expect("count");
    assert_eq!(lapsed_lots as u64, one.lots + two.lots);
    let again = expiry::expire_due(&state.db, &state.writer, lapses_at + 86_400_000)
        .await
        .expect("run");
    assert_eq!(again, expiry::ExpiryRun::default(), "nothing lapses twice");

    let (status, page) = call(
        client
            .get(server.url(&format!("/api/v1/members/{member}/ledger?account=points")))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["balances"]["points"], 0);
    let lapsed: i64 = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["kind"] == "expire")
        .map(|entry| entry["amount"].as_i64().unwrap_or_default())
        .sum();
    assert_eq!(lapsed, -held, "the history shows what lapsed");
    let breakage: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(format!("store:{store}:points_breakage"))
        .fetch_one(&server.db.pool)
        .await
        .expect("breakage");
    assert_eq!(breakage, held, "lapsed points are the store's breakage");
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'points.expire'")
            .fetch_one(&server.db.pool)
            .await
            .expect("audit");
    assert!(audited >= 1, "expiry is audited");
    invariants::check(&server.db).await;
}

#[tokio::test]
async fn expiry_runs_in_batches_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    expiry_in_batches(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn expiry_runs_in_batches_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    expiry_in_batches(&server).await;
    server.stop().await;
}

/// Two and a half batches of lapsed lots, spread over two members: one run lapses them
/// all, one writer transaction (and one audit row) per batch, and a lot still in date
/// stays.
async fn expiry_in_batches(server: &TestServer) {
    use huiyuan_server::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
    let store = server.store_id("S001").await;
    let members = [
        server.member_id("13800138000").await,
        server.member_id("13900139000").await,
    ];
    let lapsed = 2 * expiry::EXPIRY_BATCH_LOTS + 50;
    let now = now_ms();
    let mut tx = server.db.writer.begin().await.expect("begin");
    for index in 0..=lapsed {
        let expires_at = if index == lapsed {
            now + 86_400_000
        } else {
            now - 1_000 - index
        };
        ledger::post_transfers(
            &mut tx,
            &PostingContext {
                command_id: format!("seed-{index}"),
                store_id: Some(store.clone()),
                ..PostingContext::default()
            },
            &[NewTransfer {
                debit: AccountKey::store_points_issued(&store),
                credit: AccountKey::member_points(&members[(index % 2) as usize]),
                amount: 1 + index % 7,
                kind: TransferKind::Earn,
                memo: None,
                points_expire_at: Some(expires_at),
            }],
        )
        .await
        .expect("seed");
    }
    tx.commit().await.expect("commit");
    let run = expiry::expire_due(&server.state.db, &server.state.writer, now)
        .await
        .expect("run");
    assert_eq!(run.lots, lapsed as u64);
    assert_eq!(
        run.points,
        (0..lapsed).map(|index| 1 + index % 7).sum::<i64>()
    );
    let batches: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'points.expire'")
            .fetch_one(&server.db.pool)
            .await
            .expect("audit");
    assert_eq!(batches, 3, "one audited transaction per batch");
    let left: Vec<i64> =
        sqlx::query_scalar("SELECT remaining FROM points_lots WHERE remaining > 0")
            .fetch_all(&server.db.pool)
            .await
            .expect("lots");
    assert_eq!(left, vec![1 + lapsed % 7], "the lot still in date stays");
    invariants::check(&server.db).await;
}
