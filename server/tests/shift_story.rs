//! A cashier's shift on SQLite and PostgreSQL: opening with a float (again, and twice),
//! selling in cash with change, by bank card and from stored value, a cash top-up, a
//! return refunded in cash and a cash withdrawal; closing with the drawer ¥5.00 short
//! gives the expected cash and the difference to the 分, once however often it is sent.
//! Another cashier's sales stay out of the shift; a sale rung up offline during the
//! shift and sent after its close lands in it. The store's day adds up by method and by
//! cashier, and every reader keeps to their scope.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::bootstrap::{self, NewStaff};
use huiyuan_shared::permission::BuiltinRole;
use serde_json::{json, Value};

#[tokio::test]
async fn shift_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    shift_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn shift_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    shift_story(&server).await;
    server.stop().await;
}

/// Tea at ¥12.50 and cake at ¥30.00, straight into the catalogue.
async fn stock_the_shelves(server: &TestServer) {
    let now = huiyuan_server::db::now_ms();
    for (id, code, name, retail) in [
        ("item-tea", "T001", "茉莉花茶", 1_250),
        ("item-cake", "K001", "蛋糕", 3_000),
    ] {
        sqlx::query(
            "INSERT INTO items (id, code, name, unit, retail_price_fen, earns_points, created_at, updated_at) \
             VALUES ($1, $2, $3, '件', $4, 1, $5, $5)",
        )
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(retail)
        .bind(now)
        .execute(&server.db.writer)
        .await
        .expect("item");
    }
}

/// Adds a staff member and returns their id.
async fn hire(
    server: &TestServer,
    username: &str,
    display_name: &str,
    role: BuiltinRole,
    store: &str,
) -> String {
    let mut tx = server.db.writer.begin().await.expect("begin");
    let id = bootstrap::create_staff(
        &mut tx,
        NewStaff {
            username,
            display_name,
            password: "demo1234",
            role,
            store_id: store.parse().expect("store id"),
        },
    )
    .await
    .expect("staff");
    tx.commit().await.expect("commit");
    id.to_string()
}

struct Till<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
}

impl Till<'_> {
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

    /// Rings up a sale and returns its receipt.
    async fn sell(&self, token: &str, body: Value) -> Value {
        let (status, receipt) = self.post(token, "/api/v1/sales", body).await;
        assert_eq!(status, 201, "{receipt}");
        receipt
    }
}

fn sale(store: &str, lines: Value, payments: Value) -> Value {
    json!({ "id": uuid::Uuid::now_v7(), "store_id": store, "lines": lines, "payments": payments })
}

fn due(receipt: &Value) -> i64 {
    receipt["totals"]["amount_due"]
        .as_i64()
        .expect("amount due")
}

async fn shift_story(server: &TestServer) {
    stock_the_shelves(server).await;
    let till = Till {
        server,
        client: reqwest::Client::new(),
    };
    let s001 = server.store_id("S001").await;
    let s002 = server.store_id("S002").await;
    let member = server.member_id("13800138000").await;
    hire(server, "cashier2", "王收银", BuiltinRole::Cashier, &s001).await;
    hire(
        server,
        "s002_cashier",
        "西湖收银",
        BuiltinRole::Cashier,
        &s002,
    )
    .await;
    hire(
        server,
        "s002_manager",
        "西湖店长",
        BuiltinRole::Manager,
        &s002,
    )
    .await;
    // This store lets its cashier take returns and pay out stored value.
    let cashier_id: String = sqlx::query_scalar("SELECT id FROM staff WHERE username = 'cashier'")
        .fetch_one(&server.db.pool)
        .await
        .expect("cashier");
    for permission in ["pos.return", "value.refund"] {
        sqlx::query("INSERT INTO staff_permissions (staff_id, permission) VALUES ($1, $2)")
            .bind(&cashier_id)
            .bind(permission)
            .execute(&server.db.writer)
            .await
            .expect("grant");
    }
    let cashier = server.token("cashier", "demo1234").await;
    let cashier2 = server.token("cashier2", "demo1234").await;
    let s002_cashier = server.token("s002_cashier", "demo1234").await;
    let s002_manager = server.token("s002_manager", "demo1234").await;
    let manager = server.token("manager", "demo1234").await;

    // 开班 with ¥500.00 in the drawer; sending it again finds the same shift.
    let shift_id = uuid::Uuid::now_v7();
    let open = json!({ "id": shift_id, "store_id": s001, "opening_float_fen": 50_000 });
    let (status, shift) = till.post(&cashier, "/api/v1/shifts", open.clone()).await;
    assert_eq!(status, 201, "{shift}");
    assert_eq!(shift["status"], "open");
    assert_eq!(shift["drawer"]["expected_fen"], 50_000);
    let opened_at = shift["opened_at"].as_str().expect("opened at").to_owned();
    let (status, again) = till.post(&cashier, "/api/v1/shifts", open.clone()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], shift["id"]);
    assert_eq!(again["opened_at"], shift["opened_at"]);
    let (status, conflict) = till
        .post(
            &cashier,
            "/api/v1/shifts",
            json!({ "id": shift_id, "store_id": s001, "opening_float_fen": 40_000 }),
        )
        .await;
    assert_eq!(status, 409, "another open under the same id: {conflict}");
    let (status, second) = till
        .post(
            &cashier,
            "/api/v1/shifts",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": s001, "opening_float_fen": 0 }),
        )
        .await;
    assert_eq!(status, 409, "{second}");
    assert_eq!(second["code"], "shift_open");
    assert_eq!(second["details"]["shift_id"], shift_id.to_string());
    let (status, bad) = till
        .post(
            &cashier,
            "/api/v1/shifts",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": s001, "opening_float_fen": -1 }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(bad["details"]["fields"][0]["field"], "opening_float_fen");
    let (status, _) = till
        .post(
            &s002_cashier,
            "/api/v1/shifts",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": s001, "opening_float_fen": 0 }),
        )
        .await;
    assert_eq!(status, 403, "a cashier of S002 cannot open a shift at S001");

    // A colleague works the same store at the same time, on a shift of their own.
    let other_shift = uuid::Uuid::now_v7();
    let (status, colleague) = till
        .post(
            &cashier2,
            "/api/v1/shifts",
            json!({ "id": other_shift, "store_id": s001, "opening_float_fen": 10_000 }),
        )
        .await;
    assert_eq!(status, 201, "{colleague}");

    // The shift's business: a ¥200.00 top-up in cash, ...
    let (status, topup) = till
        .post(
            &cashier,
            "/api/v1/topups",
            json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": s001,
                    "amount_fen": 20_000, "tender": "cash" }),
        )
        .await;
    assert_eq!(status, 201, "{topup}");
    // ... two teas for ¥30.00 in cash (¥5.00 change), ...
    let cash_sale = till
        .sell(
            &cashier,
            sale(
                &s001,
                json!([{ "item_id": "item-tea", "quantity": 2 }]),
                json!([{ "method": "cash", "amount_fen": 3_000 }]),
            ),
        )
        .await;
    assert_eq!(
        (due(&cash_sale), cash_sale["change_fen"].as_i64()),
        (2_500, Some(500))
    );
    // ... a cake by bank card, ...
    let card_sale = till
        .sell(
            &cashier,
            sale(
                &s001,
                json!([{ "item_id": "item-cake", "quantity": 1 }]),
                json!([{ "method": "bank_card", "amount_fen": 3_000 }]),
            ),
        )
        .await;
    // ... tea and cake from the member's stored value, ...
    let mut value_sale = sale(
        &s001,
        json!([{ "item_id": "item-tea", "quantity": 1 }, { "item_id": "item-cake", "quantity": 1 }]),
        json!([{ "method": "stored_value", "amount_fen": 4_250 }]),
    );
    value_sale["member_id"] = json!(member);
    let value_sale = till.sell(&cashier, value_sale).await;
    // ... three teas for a ¥50.00 note, one of them brought back and refunded in cash, ...
    let returned_sale = till
        .sell(
            &cashier,
            sale(
                &s001,
                json!([{ "item_id": "item-tea", "quantity": 3 }]),
                json!([{ "method": "cash", "amount_fen": 5_000 }]),
            ),
        )
        .await;
    assert_eq!(returned_sale["change_fen"], 1_250);
    let sale_id = returned_sale["id"].as_str().expect("sale id");
    let (status, refund) = till
        .post(
            &cashier,
            &format!("/api/v1/sales/{sale_id}/returns"),
            json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(refund["refunds"][0]["method"], "cash");
    assert_eq!(refund["refunds"][0]["amount_fen"], 1_250);
    // ... and ¥20.00 of stored value handed back in cash.
    let (status, withdrawal) = till
        .post(
            &cashier,
            "/api/v1/value/withdrawals",
            json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": s001,
                    "amount_fen": 2_000, "tender": "cash", "reason": "会员取现" }),
        )
        .await;
    assert_eq!(status, 201, "{withdrawal}");
    // The colleague's cash sale is theirs, not this shift's.
    let colleague_sale = till
        .sell(
            &cashier2,
            sale(
                &s001,
                json!([{ "item_id": "item-cake", "quantity": 1 }]),
                json!([{ "method": "cash", "amount_fen": 3_000 }]),
            ),
        )
        .await;

    // Float 500.00 + top-up 200.00 + sales 25.00 + 37.50 − refund 12.50 − withdrawal 20.00.
    let expected = 50_000 + 20_000 + 2_500 + 3_750 - 1_250 - 2_000;
    let (status, live) = till
        .get(&cashier, &format!("/api/v1/shifts/current?store_id={s001}"))
        .await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["id"], shift_id.to_string());
    assert_eq!(live["drawer"]["expected_fen"], expected);
    let takings = &live["takings"];
    assert_eq!(takings["sales_count"], 4);
    assert_eq!(
        takings["sales_fen"].as_i64(),
        Some(due(&cash_sale) + due(&card_sale) + due(&value_sale) + due(&returned_sale))
    );
    assert_eq!(takings["sales_by_method"]["cash_fen"], 2_500 + 3_750);
    assert_eq!(takings["sales_by_method"]["bank_card_fen"], 3_000);
    assert_eq!(takings["sales_by_method"]["stored_value_fen"], 4_250);
    assert_eq!(takings["returns_count"], 1);
    assert_eq!(takings["refunds_by_method"]["cash_fen"], 1_250);
    assert_eq!(takings["net_by_method"]["cash_fen"], 2_500 + 3_750 - 1_250);
    assert_eq!(takings["topups_by_tender"]["cash_fen"], 20_000);
    assert_eq!(takings["withdrawals_by_tender"]["cash_fen"], 2_000);

    // Reading shifts keeps to the reader's own shifts, or their scope with report rights.
    let path = format!("/api/v1/shifts/{shift_id}");
    assert_eq!(
        till.get(&cashier2, &path).await.0,
        403,
        "a colleague's shift"
    );
    assert_eq!(till.get(&s002_cashier, &path).await.0, 403, "another store");
    assert_eq!(
        till.get(&s002_manager, &path).await.0,
        403,
        "another store's manager"
    );
    let (status, seen) = till.get(&manager, &path).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["drawer"]["expected_fen"], expected);
    let (status, _) = till
        .get(
            &s002_cashier,
            &format!("/api/v1/shifts/current?store_id={s001}"),
        )
        .await;
    assert_eq!(status, 403);

    // 交班: the drawer holds ¥5.00 less than it should.
    let close_path = format!("/api/v1/shifts/{shift_id}/close");
    let count = json!({ "counted_fen": expected - 500, "note": "少五元" });
    let (status, _) = till.post(&cashier2, &close_path, count.clone()).await;
    assert_eq!(status, 403, "a colleague cannot close the shift");
    let (status, bad) = till
        .post(&cashier, &close_path, json!({ "counted_fen": -5 }))
        .await;
    assert_eq!(status, 400);
    assert_eq!(bad["details"]["fields"][0]["field"], "counted_fen");
    let (status, closed) = till.post(&cashier, &close_path, count.clone()).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["count"]["counted_fen"], expected - 500);
    assert_eq!(closed["count"]["expected_fen"], expected);
    assert_eq!(closed["count"]["difference_fen"], -500);
    assert_eq!(closed["count"]["note"], "少五元");
    assert_eq!(closed["takings"], live["takings"]);
    let (status, again) = till.post(&cashier, &close_path, count.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(again, closed, "the same close answers the same");
    let (status, conflict) = till
        .post(&cashier, &close_path, json!({ "counted_fen": expected }))
        .await;
    assert_eq!(status, 409, "{conflict}");
    let (status, _) = till
        .get(&cashier, &format!("/api/v1/shifts/current?store_id={s001}"))
        .await;
    assert_eq!(status, 404, "no open shift after the close");

    // A sale rung up offline during the shift arrives after its close: it counts in the
    // shift, while the close keeps what was expected when the drawer was counted.
    let mut offline = sale(
        &s001,
        json!([{ "item_id": "item-tea", "quantity": 1 }]),
        json!([{ "method": "cash", "amount_fen": 1_250 }]),
    );
    offline["occurred_at"] = json!(opened_at);
    let offline_sale = till.sell(&cashier, offline).await;
    let (status, later) = till.get(&cashier, &path).await;
    assert_eq!(status, 200, "{later}");
    assert_eq!(later["takings"]["sales_count"], 5);
    assert_eq!(later["drawer"]["expected_fen"], expected + 1_250);
    assert_eq!(later["count"]["expected_fen"], expected);

    // The store's day, for the region's manager.
    let today = huiyuan_server::sale::business_time(huiyuan_server::db::now_ms()).date;
    let date = format!("{:04}-{:02}-{:02}", today.year, today.month, today.day);
    let day_path = format!("/api/v1/reports/takings?store_id={s001}&date={date}");
    let (status, day) = till.get(&manager, &day_path).await;
    assert_eq!(status, 200, "{day}");
    let all_sales = [
        &cash_sale,
        &card_sale,
        &value_sale,
        &returned_sale,
        &colleague_sale,
        &offline_sale,
    ];
    let paid: i64 = all_sales.iter().map(|receipt| due(receipt)).sum();
    let kept: i64 = all_sales
        .iter()
        .flat_map(|receipt| receipt["payments"].as_array().cloned().unwrap_or_default())
        .map(|payment| payment["amount_fen"].as_i64().unwrap_or(0))
        .sum::<i64>()
        - all_sales
            .iter()
            .map(|receipt| receipt["change_fen"].as_i64().unwrap_or(0))
            .sum::<i64>();
    assert_eq!(
        paid, kept,
        "the sales' payments less change come to what was due"
    );
    let by_method = &day["takings"]["sales_by_method"];
    let method_sum: i64 = [
        "cash_fen",
        "bank_card_fen",
        "wechat_fen",
        "alipay_fen",
        "stored_value_fen",
        "points_fen",
        "gift_card_fen",
    ]
    .iter()
    .map(|key| by_method[*key].as_i64().unwrap_or(0))
    .sum();
    assert_eq!(method_sum, paid, "{day}");
    assert_eq!(day["takings"]["sales_fen"], paid);
    assert_eq!(day["takings"]["sales_count"], 6);
    assert_eq!(by_method["cash_fen"], 2_500 + 3_750 + 3_000 + 1_250);
    let cashiers = day["by_cashier"].as_array().cloned().unwrap_or_default();
    assert_eq!(cashiers.len(), 2, "{day}");
    let of = |name: &str| {
        cashiers
            .iter()
            .find(|entry| entry["staff_name"] == name)
            .map(|entry| entry["takings"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        of("王收银")["sales_fen"].as_i64(),
        Some(due(&colleague_sale))
    );
    assert_eq!(of("王收银")["sales_count"], 1);
    assert_eq!(
        of("刘收银")["sales_fen"].as_i64(),
        Some(paid - due(&colleague_sale))
    );
    let shifts = day["shifts"].as_array().cloned().unwrap_or_default();
    assert_eq!(shifts.len(), 2);
    assert_eq!(shifts[0]["id"], shift_id.to_string());
    assert_eq!(shifts[0]["difference_fen"], -500);
    assert_eq!(shifts[1]["id"], other_shift.to_string());
    assert_eq!(shifts[1]["status"], "open");
    assert_eq!(day["difference_fen"], -500);

    // The day report is for those who may read reports, within their scope.
    assert_eq!(till.get(&cashier, &day_path).await.0, 403);
    assert_eq!(till.get(&s002_manager, &day_path).await.0, 403);
    let (status, own) = till
        .get(
            &s002_manager,
            &format!("/api/v1/reports/takings?store_id={s002}"),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["takings"]["sales_count"], 0);
    let (status, bad) = till
        .get(
            &manager,
            &format!("/api/v1/reports/takings?store_id={s001}&date=2026-13-01"),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(bad["details"]["fields"][0]["field"], "date");

    // Two opens of new shifts at once: one opens, the other is told which shift is open.
    let (first, second) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let ((status_a, a), (status_b, b)) = tokio::join!(
        till.post(
            &cashier,
            "/api/v1/shifts",
            json!({ "id": first, "store_id": s001, "opening_float_fen": 20_000 }),
        ),
        till.post(
            &cashier,
            "/api/v1/shifts",
            json!({ "id": second, "store_id": s001, "opening_float_fen": 20_000 }),
        ),
    );
    let mut statuses = [status_a, status_b];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{a} {b}");
    let (winner, loser) = if status_a == 201 { (a, b) } else { (b, a) };
    assert_eq!(loser["details"]["shift_id"], winner["id"]);
    // Two closes at once with the same count: one close, answered twice alike.
    let close_path = format!(
        "/api/v1/shifts/{}/close",
        winner["id"].as_str().expect("shift id")
    );
    let count = json!({ "counted_fen": 20_000 });
    let ((status_a, a), (status_b, b)) = tokio::join!(
        till.post(&cashier, &close_path, count.clone()),
        till.post(&cashier, &close_path, count.clone()),
    );
    assert_eq!((status_a, status_b), (200, 200), "{a} {b}");
    assert_eq!(a, b);
    assert_eq!(a["count"]["difference_fen"], 0);

    // Opening and closing are in the audit log.
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('shift.open', 'shift.close')",
    )
    .fetch_one(&server.db.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 5, "three opens and two closes");
    invariants::check(&server.db).await;
}
