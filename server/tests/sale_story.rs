//! A day at the counter on SQLite and PostgreSQL: HQ sets the rules, a member tops up,
//! buys with stored value (earning points only on items that earn them), pays partly with
//! points, and gets change from cash; a lost answer is replayed without a second sale;
//! bad sales are refused by field with nothing written; the ledger's invariants hold.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn sale_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    sale_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn sale_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    sale_story(&server).await;
    server.stop().await;
}

/// Adds a category and two items straight to the catalogue tables: tea (¥12.50, member
/// price ¥11.00, earns points) and cigarettes (¥30.00, earn no points).
async fn stock_the_shelves(server: &TestServer) -> (String, String) {
    let now = huiyuan_server::db::now_ms();
    sqlx::query("INSERT INTO categories (id, name, path, created_at, updated_at) VALUES ('cat-drinks', '饮料', '/cat-drinks/', $1, $1)")
        .bind(now)
        .execute(&server.db.writer)
        .await
        .expect("category");
    for (id, code, name, retail, member, earns) in [
        ("item-tea", "T001", "茉莉花茶", 1_250, Some(1_100), 1),
        ("item-cigarettes", "C001", "香烟", 3_000, None, 0),
    ] {
        sqlx::query(
            "INSERT INTO items (id, code, name, category_id, unit, retail_price_fen, member_price_fen, earns_points, created_at, updated_at) \
             VALUES ($1, $2, $3, 'cat-drinks', '件', $4, $5, $6, $7, $7)",
        )
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(retail)
        .bind(member)
        .bind(earns)
        .bind(now)
        .execute(&server.db.writer)
        .await
        .expect("item");
    }
    ("item-tea".to_owned(), "item-cigarettes".to_owned())
}

fn rules() -> Value {
    json!({
        "version": 0,
        "earn_rules": [{ "id": "earn-base", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }],
        "points_payment_rules": [{ "id": "pay-points", "name": "积分抵现", "enabled": true,
            "points_per_yuan": 100, "max_share_bp": 5000, "min_points": 100 }],
        "topup_plans": [{ "id": "topup-500", "name": "充500送50", "enabled": true,
            "tiers": [{ "threshold": 50_000, "bonus": { "type": "fixed", "amount": 5_000 } },
                      { "threshold": 100_000, "bonus": { "type": "rate", "bonus_bp": 1_500 } }] }]
    })
}

async fn count(server: &TestServer, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&server.db.pool)
        .await
        .expect("count")
}

async fn sale_story(server: &TestServer) {
    let (tea, cigarettes) = stock_the_shelves(server).await;
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;
    let store = server.store_id("S001").await;
    let member = server.member_id("13800138000").await;

    let (status, saved) = call(
        client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&admin)
            .json(&rules()),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 1);
    let (status, _) = call(
        client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&cashier)
            .json(&rules()),
    )
    .await;
    assert_eq!(status, 403, "a cashier cannot change the rules");

    let (status, _) = call(client.post(server.url("/api/v1/topups")).bearer_auth(&cashier).json(&json!({
        "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": store, "amount_fen": 10_000, "tender": "cash"
    }))).await;
    assert_eq!(status, 201);
    // Another member tops up ¥500 and gets the plan's ¥50; ¥1,000 gets 15%, ¥150.
    let other = server.member_id("13900139000").await;
    for (amount, bonus, total_bonus) in [(50_000, 5_000, 5_000), (100_000, 15_000, 20_000)] {
        let (status, topup) = call(client.post(server.url("/api/v1/topups")).bearer_auth(&cashier).json(&json!({
            "id": uuid::Uuid::now_v7(), "member_id": other, "store_id": store, "amount_fen": amount, "tender": "bank_card"
        }))).await;
        assert_eq!(status, 201, "{topup}");
        assert_eq!(topup["bonus_fen"], bonus);
        assert_eq!(topup["bonus_plan_id"], "topup-500");
        assert_eq!(
            topup["balances"]["bonus_fen"], total_bonus,
            "bonus is kept apart from principal"
        );
    }
    // Spending ¥104 of ¥1,700 stored value takes principal and bonus in proportion to
    // what the member holds (¥1,500 : ¥200): ¥91.76 principal and ¥12.24 bonus. Points
    // are earned only on the principal's share of the tea.
    let (status, spent) = call(client.post(server.url("/api/v1/sales")).bearer_auth(&cashier).json(&json!({
        "id": uuid::Uuid::now_v7(), "store_id": store, "member_id": other,
        "lines": [{ "item_id": tea, "quantity": 4 }, { "item_id": cigarettes, "quantity": 2 }],
        "payments": [{ "method": "stored_value", "amount_fen": 10_400 }]
    }))).await;
    assert_eq!(status, 201, "{spent}");
    assert_eq!(spent["balances"]["principal_fen"], 150_000 - 9_176);
    assert_eq!(spent["balances"]["bonus_fen"], 20_000 - 1_224);
    let earned = spent["points_earned"].as_i64().expect("points");
    assert!(
        (1..44).contains(&earned),
        "bonus value earns nothing: {earned}"
    );

    let sale = |id: uuid::Uuid, lines: Value, payments: Value| {
        client.post(server.url("/api/v1/sales")).bearer_auth(&cashier).json(&json!({
            "id": id, "store_id": store, "member_id": member, "lines": lines, "payments": payments
        }))
    };
    // Two teas at the member price and cigarettes: ¥22.00 + ¥30.00, all from stored value.
    let first_id = uuid::Uuid::now_v7();
    let lines =
        json!([{ "item_id": tea, "quantity": 2 }, { "item_id": cigarettes, "quantity": 1 }]);
    let (status, receipt) = call(sale(
        first_id,
        lines.clone(),
        json!([{ "method": "stored_value", "amount_fen": 5_200 }]),
    ))
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["totals"]["amount_due"], 5_200);
    assert_eq!(receipt["totals"]["gross"], 5_500);
    assert_eq!(receipt["points_earned"], 22, "cigarettes earn no points");
    assert_eq!(receipt["balances"]["principal_fen"], 4_800);
    assert_eq!(receipt["balances"]["points"], 22);
    assert!(receipt["receipt_no"]
        .as_str()
        .expect("receipt no")
        .starts_with("S001-"));

    // The answer was lost and the till sends the sale again: same receipt, nothing new.
    let transfers = count(server, "transfers").await;
    let (status, again) = call(sale(
        first_id,
        lines.clone(),
        json!([{ "method": "stored_value", "amount_fen": 5_200 }]),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(again, receipt);
    assert_eq!(count(server, "transfers").await, transfers);
    let (status, conflict) = call(sale(
        first_id,
        json!([{ "item_id": tea, "quantity": 1 }]),
        json!([{ "method": "cash", "amount_fen": 1_100 }]),
    ))
    .await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));

    // Ten teas paid with a ¥120 note: ¥10 change, 110 points.
    let (status, receipt) = call(sale(
        uuid::Uuid::now_v7(),
        json!([{ "item_id": tea, "quantity": 10 }]),
        json!([{ "method": "cash", "amount_fen": 12_000 }]),
    ))
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["change_fen"], 1_000);
    assert_eq!(receipt["points_earned"], 110);
    assert_eq!(receipt["balances"]["points"], 132);

    // One tea, 100 points (¥1.00) and ¥10 cash: points are earned only on the cash.
    let points_sale = uuid::Uuid::now_v7();
    let (status, receipt) = call(sale(
        points_sale,
        json!([{ "item_id": tea, "quantity": 1 }]),
        json!([{ "method": "points", "amount_fen": 100, "points": 100 }, { "method": "cash", "amount_fen": 1_000 }]),
    ))
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["points_paid"], 100);
    assert_eq!(receipt["points_earned"], 10);
    assert_eq!(receipt["balances"]["points"], 42);

    // Refusals, each naming its problem, none writing anything.
    let transfers = count(server, "transfers").await;
    let sales = count(server, "sales").await;
    let refusals = [
        (
            json!([{ "item_id": "no-such-item", "quantity": 1 }]),
            json!([{ "method": "cash", "amount_fen": 100 }]),
            400,
            "lines[0].item_id",
        ),
        (
            json!([{ "item_id": tea, "quantity": 0 }]),
            json!([{ "method": "cash", "amount_fen": 100 }]),
            400,
            "lines[0].quantity",
        ),
        (
            json!([{ "item_id": tea, "quantity": 1 }]),
            json!([{ "method": "cash", "amount_fen": 1_000 }]),
            400,
            "payments",
        ),
        (
            json!([{ "item_id": tea, "quantity": 1 }]),
            json!([{ "method": "bank_card", "amount_fen": 2_000 }]),
            400,
            "payments",
        ),
        (
            json!([{ "item_id": tea, "quantity": 1 }]),
            json!([{ "method": "cash", "amount_fen": -5 }]),
            400,
            "payments[0].amount_fen",
        ),
        (json!([]), json!([]), 400, "lines"),
        (
            json!([{ "item_id": tea, "quantity": 1 }]),
            json!([{ "method": "points", "amount_fen": 100, "points": 100 }, { "method": "cash", "amount_fen": 1_000 }]),
            400,
            "points",
        ),
    ];
    for (lines, payments, status, field) in refusals {
        let (got, body) = call(sale(uuid::Uuid::now_v7(), lines, payments)).await;
        assert_eq!(got, status, "{field}: {body}");
        assert_eq!(body["details"]["fields"][0]["field"], field, "{body}");
    }
    // More stored value than the member holds.
    let (status, body) = call(sale(
        uuid::Uuid::now_v7(),
        json!([{ "item_id": cigarettes, "quantity": 2 }]),
        json!([{ "method": "stored_value", "amount_fen": 6_000 }]),
    ))
    .await;
    assert_eq!(
        (status, &body["code"]),
        (422, &json!("insufficient_balance")),
        "{body}"
    );
    // Stored value without a member.
    let (status, body) = call(client.post(server.url("/api/v1/sales")).bearer_auth(&cashier).json(&json!({
        "id": uuid::Uuid::now_v7(), "store_id": store, "lines": [{ "item_id": tea, "quantity": 1 }],
        "payments": [{ "method": "stored_value", "amount_fen": 1_250 }]
    }))).await;
    assert_eq!(
        (status, &body["details"]["fields"][0]["field"]),
        (400, &json!("payments[0].method"))
    );
    // A cashier may not change a price without the permission.
    let (status, body) = call(sale(
        uuid::Uuid::now_v7(),
        json!([{ "item_id": tea, "quantity": 1, "manual_discount": { "type": "unit_price", "unit_price": 100 } }]),
        json!([{ "method": "cash", "amount_fen": 100 }]),
    ))
    .await;
    assert_eq!(
        (status, &body["details"]["permission"]),
        (403, &json!("pos.discount_line"))
    );
    assert_eq!(
        count(server, "transfers").await,
        transfers,
        "refused sales moved nothing"
    );
    assert_eq!(
        count(server, "sales").await,
        sales,
        "refused sales were not recorded"
    );

    // A walk-in customer without a member card pays cash and earns nothing.
    let (status, receipt) = call(client.post(server.url("/api/v1/sales")).bearer_auth(&cashier).json(&json!({
        "id": uuid::Uuid::now_v7(), "store_id": store, "lines": [{ "item_id": tea, "quantity": 1 }],
        "payments": [{ "method": "wechat", "amount_fen": 1_250 }]
    }))).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(
        (
            receipt["totals"]["amount_due"].as_i64(),
            receipt["points_earned"].as_i64()
        ),
        (Some(1_250), Some(0))
    );
    // The member's history shows every movement, newest first, paged.
    let (status, page) = call(
        client
            .get(server.url(&format!("/api/v1/members/{member}/ledger?limit=3")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let entries = page["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3);
    assert_eq!(
        (
            entries[0]["kind"].as_str(),
            entries[0]["account"].as_str(),
            entries[0]["amount"].as_i64()
        ),
        (Some("earn"), Some("points"), Some(10))
    );
    assert_eq!(page["balances"]["points"], 42);
    let mut seen = entries.len();
    let mut before = page["next_before"].as_str().map(str::to_owned);
    let mut total_principal = entries
        .iter()
        .filter(|e| e["account"] == "principal")
        .map(|e| e["amount"].as_i64().unwrap_or(0))
        .sum::<i64>();
    while let Some(cursor) = before {
        let (_, page) = call(
            client
                .get(server.url(&format!(
                    "/api/v1/members/{member}/ledger?limit=3&before={cursor}"
                )))
                .bearer_auth(&cashier),
        )
        .await;
        let entries = page["entries"].as_array().expect("entries");
        seen += entries.len();
        total_principal += entries
            .iter()
            .filter(|e| e["account"] == "principal")
            .map(|e| e["amount"].as_i64().unwrap_or(0))
            .sum::<i64>();
        before = page["next_before"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen, 6,
        "top-up; spend and earn; earn; redeem and earn: every movement once"
    );
    assert_eq!(total_principal, 4_800, "the history adds up to the balance");
    let (status, _) = call(
        client
            .get(server.url(&format!("/api/v1/members/{}/ledger", uuid::Uuid::now_v7())))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 404);
    returns(server, first_id, points_sale).await;
    spent_points_are_paid_for_on_return(server, &tea).await;
    invariants::check(&server.db).await;
}

/// Returns by receipt: part of a sale, then the rest, refunded through the payments it
/// was paid with and its points taken back; never more than was sold.
async fn returns(server: &TestServer, first_sale: uuid::Uuid, points_sale: uuid::Uuid) {
    let client = reqwest::Client::new();
    let manager = server.token("manager", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;
    let give_back = |token: &str, sale: uuid::Uuid, id: uuid::Uuid, lines: Value| {
        client
            .post(server.url(&format!("/api/v1/sales/{sale}/returns")))
            .bearer_auth(token)
            .json(&json!({ "id": id, "lines": lines }))
    };
    let (status, body) = call(give_back(
        &cashier,
        first_sale,
        uuid::Uuid::now_v7(),
        json!([{ "line": 0, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(
        (status, &body["details"]["permission"]),
        (403, &json!("pos.return")),
        "returns need a supervisor"
    );

    // One of the two teas (¥11.00 of ¥52.00 paid from stored value; 22 points earned).
    let first_return = uuid::Uuid::now_v7();
    let (status, back) = call(give_back(
        &manager,
        first_sale,
        first_return,
        json!([{ "line": 0, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(back["value_fen"], 1_100);
    assert_eq!(
        back["refunds"],
        json!([{ "method": "principal", "amount_fen": 1_100, "points": 0, "kept_fen": 0 }])
    );
    assert_eq!(back["points_reversed"], 4, "22 × 11/52, rounded down");
    assert_eq!(back["balances"]["principal_fen"], 5_900);
    assert_eq!(back["balances"]["points"], 38);
    let (status, again) = call(give_back(
        &manager,
        first_sale,
        first_return,
        json!([{ "line": 0, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(
        (status, &again),
        (200, &back),
        "a replayed return changes nothing"
    );

    // Not more than was sold: one tea is left, not two.
    let (status, body) = call(give_back(
        &manager,
        first_sale,
        uuid::Uuid::now_v7(),
        json!([{ "line": 0, "quantity": 2 }]),
    ))
    .await;
    assert_eq!(
        (status, &body["details"]["fields"][0]["field"]),
        (400, &json!("lines[0].quantity"))
    );
    let (status, body) = call(give_back(
        &manager,
        first_sale,
        uuid::Uuid::now_v7(),
        json!([{ "line": 7, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(
        (status, &body["details"]["fields"][0]["field"]),
        (400, &json!("lines[0].line"))
    );

    // The rest: the last return gives back exactly what is left.
    let (status, back) = call(give_back(
        &manager,
        first_sale,
        uuid::Uuid::now_v7(),
        json!([{ "line": 0, "quantity": 1 }, { "line": 1, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(back["refunds"][0]["amount_fen"], 4_100);
    assert_eq!(back["points_reversed"], 18);
    assert_eq!(
        back["balances"]["principal_fen"], 10_000,
        "the whole ¥52 is back"
    );
    assert_eq!(back["balances"]["points"], 20);
    let (status, _) = call(give_back(
        &manager,
        first_sale,
        uuid::Uuid::now_v7(),
        json!([{ "line": 1, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(status, 400, "nothing is left to return");

    // A sale paid with 100 points and ¥10 cash: the points come back, the cash goes back
    // out of the drawer, and the 10 points it earned are taken back.
    let (status, back) = call(give_back(
        &manager,
        points_sale,
        uuid::Uuid::now_v7(),
        json!([{ "line": 0, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(
        back["refunds"],
        json!([
            { "method": "cash", "amount_fen": 1_000, "points": 0, "kept_fen": 0 },
            { "method": "points", "amount_fen": 100, "points": 100, "kept_fen": 0 }
        ])
    );
    assert_eq!(back["points_reversed"], 10);
    assert_eq!(back["balances"]["points"], 110);
    let (status, _) = call(give_back(
        &manager,
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        json!([{ "line": 0, "quantity": 1 }]),
    ))
    .await;
    assert_eq!(status, 404, "an unknown sale");
}

/// A member earns 110 points on ten teas, spends 100 of them, then returns the teas: the
/// 10 points left are taken back and the other 100 (¥1.00 at 100 points = ¥1) are kept
/// from the cash refund.
async fn spent_points_are_paid_for_on_return(server: &TestServer, tea: &str) {
    let client = reqwest::Client::new();
    let cashier = server.token("cashier", "demo1234").await;
    let manager = server.token("manager", "demo1234").await;
    let store = server.store_id("S001").await;
    let member = server.member_id("13700137000").await;
    let sale = |lines: Value, payments: Value| {
        let id = uuid::Uuid::now_v7();
        (id, client.post(server.url("/api/v1/sales")).bearer_auth(&cashier).json(&json!({
            "id": id, "store_id": store, "member_id": member, "lines": lines, "payments": payments
        })))
    };
    let (teas, request) = sale(
        json!([{ "item_id": tea, "quantity": 10 }]),
        json!([{ "method": "cash", "amount_fen": 11_000 }]),
    );
    let (status, receipt) = call(request).await;
    assert_eq!(
        (status, receipt["balances"]["points"].as_i64()),
        (201, Some(110))
    );
    let (_, request) = sale(
        json!([{ "item_id": tea, "quantity": 1 }]),
        json!([{ "method": "points", "amount_fen": 100, "points": 100 }, { "method": "cash", "amount_fen": 1_000 }]),
    );
    let (status, receipt) = call(request).await;
    assert_eq!(
        (status, receipt["balances"]["points"].as_i64()),
        (201, Some(20)),
        "10 left + 10 earned"
    );
    let (status, back) = call(
        client
            .post(server.url(&format!("/api/v1/sales/{teas}/returns")))
            .bearer_auth(&manager)
            .json(&json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 10 }] })),
    )
    .await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(
        back["points_shortfall_fen"], 90,
        "90 points were spent: ¥0.90 is kept"
    );
    assert_eq!(
        back["refunds"],
        json!([{ "method": "cash", "amount_fen": 10_910, "points": 0, "kept_fen": 90 }])
    );
    assert_eq!(back["points_reversed"], 110);
    assert_eq!(back["balances"]["points"], 0);
}
