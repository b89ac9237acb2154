//! The counter's other ways to sell, on SQLite and PostgreSQL: a member's card PIN guards
//! their stored value and points and locks after wrong PINs; amount-only sales deduct
//! from stored value (会员下帐) or earn points on cash (现金积分); a sale rung up without
//! a member gets one attached later and earns its points then, within the days allowed;
//! gift cards pay at the counter by number and PIN and take their value back on a return.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn counter_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    counter_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn counter_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    counter_story(&server).await;
    server.stop().await;
}

/// A pot of tea at ¥12.50 that earns points.
async fn stock_tea(server: &TestServer) -> String {
    let now = huiyuan_server::db::now_ms();
    sqlx::query(
        "INSERT INTO items (id, code, name, unit, retail_price_fen, earns_points, created_at, updated_at) \
         VALUES ('item-tea', 'T001', '茉莉花茶', '壶', 1250, 1, $1, $1)",
    )
    .bind(now)
    .execute(&server.db.writer)
    .await
    .expect("item");
    "item-tea".to_owned()
}

fn rules(attach_days: u16) -> Value {
    json!({
        "version": 0,
        "earn_rules": [{ "id": "earn-base", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }],
        "points_payment_rules": [{ "id": "pay-points", "name": "积分抵现", "enabled": true,
            "points_per_yuan": 100, "max_share_bp": 5000, "min_points": 100 }],
        "counter": { "attach_member_days": attach_days, "pin_failures_max": 5, "pin_lock_minutes": 30 }
    })
}

struct Counter<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    cashier: String,
    admin: String,
    store: String,
}

impl Counter<'_> {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        call(
            self.client
                .post(self.server.url(path))
                .bearer_auth(&self.cashier)
                .json(&body),
        )
        .await
    }

    /// Returns need `pos.return`, which the demo cashier lacks.
    async fn post_as_admin(&self, path: &str, body: Value) -> (u16, Value) {
        call(
            self.client
                .post(self.server.url(path))
                .bearer_auth(&self.admin)
                .json(&body),
        )
        .await
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.server.db.pool)
            .await
            .expect(sql)
    }

    async fn balances(&self, member: &str) -> Value {
        let (status, page) = call(
            self.client
                .get(self.server.url(&format!("/api/v1/members/{member}/ledger")))
                .bearer_auth(&self.admin),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        page["balances"].clone()
    }
}

fn field(body: &Value) -> (&str, &str) {
    let entry = &body["details"]["fields"][0];
    (
        entry["field"].as_str().unwrap_or_default(),
        entry["code"].as_str().unwrap_or_default(),
    )
}

async fn counter_story(server: &TestServer) {
    let tea = stock_tea(server).await;
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let counter = Counter {
        server,
        cashier: server.token("cashier", "demo1234").await,
        admin: admin.clone(),
        store: server.store_id("S001").await,
        client: client.clone(),
    };
    let store = counter.store.clone();
    let (status, saved) = call(
        client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&admin)
            .json(&rules(7)),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["counter"]["attach_member_days"], 7);
    let (status, bad) = call(
        client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&admin)
            .json(&rules(91)),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(field(&bad).0, "counter.attach_member_days");

    let member = server.member_id("13800138000").await;
    let (status, _) = counter
        .post(
            "/api/v1/topups",
            json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": store,
                    "amount_fen": 20_000, "tender": "cash" }),
        )
        .await;
    assert_eq!(status, 201);

    pin_story(&counter, &member, &tea).await;
    amount_only_story(&counter, &member).await;
    attach_story(&counter, &tea).await;
    gift_card_story(&counter, &tea).await;
    member_by_card_story(&counter, &tea).await;
    spent_points_from_stored_value(&counter, &tea).await;
    expired_rule_story(&counter, &tea).await;
    invariants::check(&server.db).await;
}

async fn pin_story(counter: &Counter<'_>, member: &str, tea: &str) {
    let server = counter.server;
    let pin_url = server.url(&format!("/api/v1/members/{member}/pin"));
    let (status, pin) = call(counter.client.get(&pin_url).bearer_auth(&counter.cashier)).await;
    assert_eq!(status, 200);
    assert_eq!(pin["is_set"], false);

    // Without a PIN set, stored value is spent without one.
    let sale = |pin: Option<&str>| {
        json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_id": member,
                "lines": [{ "item_id": tea, "quantity": 1 }],
                "payments": [{ "method": "stored_value", "amount_fen": 1_250 }], "pin": pin })
    };
    let (status, receipt) = counter.post("/api/v1/sales", sale(None)).await;
    assert_eq!(status, 201, "{receipt}");

    // A weak PIN is refused; a cashier without `member.edit` cannot reset one, but the
    // member can set their own.
    for (weak, code) in [("123456", "pin_weak"), ("12345", "pin_format")] {
        let (status, body) = call(
            counter
                .client
                .put(&pin_url)
                .bearer_auth(&counter.admin)
                .json(&json!({ "new_pin": weak })),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(field(&body), ("new_pin", code));
    }
    let (status, body) = call(
        counter
            .client
            .put(&pin_url)
            .bearer_auth(&counter.cashier)
            .json(&json!({ "new_pin": "409172" })),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let member_session = member_login(server).await;
    let (status, body) = call(
        counter
            .client
            .put(server.url("/api/v1/member/pin"))
            .bearer_auth(&member_session)
            .json(&json!({ "new_pin": "409172" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stored: String = sqlx::query_scalar("SELECT pin_hash FROM members WHERE id = $1")
        .bind(member)
        .fetch_one(&server.db.pool)
        .await
        .expect("hash");
    assert!(stored.starts_with("$argon2id$") && !stored.contains("409172"));
    // Changing it now needs the old PIN.
    let (status, body) = call(
        counter
            .client
            .put(server.url("/api/v1/member/pin"))
            .bearer_auth(&member_session)
            .json(&json!({ "new_pin": "583920" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(field(&body), ("old_pin", "pin_required"));

    // Stored value and points now need the PIN; a cash sale does not.
    let before = counter.balances(member).await;
    let sales_before = counter.count("SELECT COUNT(*) FROM sales").await;
    let (status, body) = counter.post("/api/v1/sales", sale(None)).await;
    assert_eq!(status, 400);
    assert_eq!(field(&body), ("pin", "pin_required"));
    let (status, cash) = counter
        .post(
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_id": member,
                    "lines": [{ "item_id": tea, "quantity": 1 }],
                    "payments": [{ "method": "cash", "amount_fen": 2_000 }] }),
        )
        .await;
    assert_eq!(status, 201, "{cash}");
    assert_eq!(cash["change_fen"], 750);

    // Four wrong PINs count down; the fifth locks spending, and then even the right PIN
    // is refused. Nothing is written by any of them.
    for left in (1..=4).rev() {
        let (status, body) = counter.post("/api/v1/sales", sale(Some("111111"))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["code"], "wrong_pin");
        assert_eq!(field(&body), ("pin", "wrong_pin"));
        assert_eq!(body["details"]["attempts_left"], left);
    }
    let (status, body) = counter.post("/api/v1/sales", sale(Some("111111"))).await;
    assert_eq!(status, 423, "{body}");
    assert_eq!(body["code"], "pin_locked");
    let (status, body) = counter.post("/api/v1/sales", sale(Some("409172"))).await;
    assert_eq!(status, 423, "the right PIN waits for the lock too: {body}");
    let (_, pin) = call(counter.client.get(&pin_url).bearer_auth(&counter.cashier)).await;
    assert!(pin["locked_until"].is_string(), "{pin}");
    assert_eq!(
        counter.count("SELECT COUNT(*) FROM sales").await,
        sales_before + 1,
        "only the cash sale was recorded"
    );
    let mut after = counter.balances(member).await;
    after["points"] = before["points"].clone();
    assert_eq!(after, before, "no value moved for a refused PIN");

    // When the lock has passed, the right PIN works and the count starts again.
    sqlx::query("UPDATE members SET pin_locked_until = $1 WHERE id = $2")
        .bind(huiyuan_server::db::now_ms() - 1)
        .bind(member)
        .execute(&server.db.writer)
        .await
        .expect("lock ends");
    let request = sale(Some("409172"));
    let (status, receipt) = counter.post("/api/v1/sales", request.clone()).await;
    assert_eq!(status, 201, "{receipt}");
    // The PIN is kept nowhere, and a replay is answered without it.
    let commands: i64 = counter
        .count("SELECT COUNT(*) FROM commands WHERE response_json LIKE '%409172%'")
        .await;
    assert_eq!(commands, 0);
    let mut replay = request.clone();
    replay["pin"] = Value::Null;
    let (status, again) = counter.post("/api/v1/sales", replay).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["receipt_no"], receipt["receipt_no"]);

    // Staff with `member.edit` reset a forgotten PIN without the old one.
    let (status, body) = call(
        counter
            .client
            .put(&pin_url)
            .bearer_auth(&counter.admin)
            .json(&json!({ "new_pin": "583920" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = counter.post("/api/v1/sales", sale(Some("583920"))).await;
    assert_eq!(status, 201);
    let audited = counter
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('member.pin_set', 'member.pin_reset')",
        )
        .await;
    assert_eq!(audited, 2);

    // Paying stored value out needs the PIN too.
    let withdrawal = |pin: Option<&str>| {
        json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": counter.store,
                "amount_fen": 100, "tender": "cash", "reason": "顾客取现", "pin": pin })
    };
    let (status, body) = counter
        .post_as_admin("/api/v1/value/withdrawals", withdrawal(None))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field(&body), ("pin", "pin_required"));
    let (status, body) = counter
        .post_as_admin("/api/v1/value/withdrawals", withdrawal(Some("583920")))
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(!body.to_string().contains("583920"));

    // Guesses sent side by side cannot outrun the lock: at most five are compared.
    let other = server.member_id("13900139000").await;
    let (status, _) = call(
        counter
            .client
            .put(server.url(&format!("/api/v1/members/{other}/pin")))
            .bearer_auth(&counter.admin)
            .json(&json!({ "new_pin": "730216" })),
    )
    .await;
    assert_eq!(status, 200);
    let guesses = (0..12).map(|guess| {
        counter.post(
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_id": other,
                    "lines": [{ "item_id": tea, "quantity": 1 }], "pin": format!("{:06}", 100_000 + guess),
                    "payments": [{ "method": "stored_value", "amount_fen": 1_250 }] }),
        )
    });
    let answers = futures_util::future::join_all(guesses).await;
    let compared = answers.iter().filter(|(status, _)| *status == 422).count();
    let locked = answers.iter().filter(|(status, _)| *status == 423).count();
    assert!(compared <= 5, "{compared} guesses were compared");
    assert_eq!(compared + locked, 12, "{answers:?}");
    sqlx::query("UPDATE members SET pin_locked_until = NULL, pin_hash = NULL WHERE id = $1")
        .bind(&other)
        .execute(&server.db.writer)
        .await
        .expect("unlock");
}

async fn member_login(server: &TestServer) -> String {
    let (status, body) = call(
        reqwest::Client::new()
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "13800138000", "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

/// 会员下帐 takes an amount from stored value with no goods; 现金积分 earns points on an
/// amount paid in cash.
async fn amount_only_story(counter: &Counter<'_>, member: &str) {
    let before = counter.balances(member).await;
    let (status, deduction) = counter
        .post(
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_id": member,
                    "amount_fen": 3_560, "pin": "583920",
                    "payments": [{ "method": "stored_value", "amount_fen": 3_560 }] }),
        )
        .await;
    assert_eq!(status, 201, "{deduction}");
    assert_eq!(deduction["lines"], json!([]));
    assert_eq!(deduction["totals"]["amount_due"], 3_560);
    assert_eq!(
        deduction["balances"]["principal_fen"]
            .as_i64()
            .unwrap_or_default()
            + deduction["balances"]["bonus_fen"]
                .as_i64()
                .unwrap_or_default(),
        before["principal_fen"].as_i64().unwrap_or_default()
            + before["bonus_fen"].as_i64().unwrap_or_default()
            - 3_560
    );
    assert_eq!(
        deduction["points_earned"], 35,
        "¥35.60 of principal earns 35"
    );

    let (status, cash_points) = counter
        .post(
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_id": member,
                    "amount_fen": 8_800, "payments": [{ "method": "cash", "amount_fen": 10_000 }] }),
        )
        .await;
    assert_eq!(status, 201, "{cash_points}");
    assert_eq!(cash_points["points_earned"], 88);
    assert_eq!(cash_points["change_fen"], 1_200);

    let sales_before = counter.count("SELECT COUNT(*) FROM sales").await;
    for (body, expected) in [
        (
            json!({ "amount_fen": 100, "payments": [{ "method": "cash", "amount_fen": 100 }] }),
            ("member_id", "member_required"),
        ),
        (
            json!({ "member_id": member, "amount_fen": 0, "payments": [{ "method": "cash", "amount_fen": 100 }] }),
            ("amount_fen", "out_of_range"),
        ),
        (
            json!({ "member_id": member, "amount_fen": 100, "lines": [{ "item_id": "item-tea", "quantity": 1 }],
                    "payments": [{ "method": "cash", "amount_fen": 100 }] }),
            ("lines", "unexpected"),
        ),
        (
            json!({ "member_id": member, "amount_fen": 100, "payments": [{ "method": "cash", "amount_fen": 100.5 }] }),
            ("payments[0].amount_fen", "invalid_type"),
        ),
    ] {
        let mut body = body;
        body["id"] = json!(uuid::Uuid::now_v7());
        body["store_id"] = json!(counter.store);
        let (status, refused) = counter.post("/api/v1/sales", body).await;
        assert_eq!(status, 400, "{refused}");
        if expected.1 != "invalid_type" {
            assert_eq!(field(&refused), expected, "{refused}");
        } else {
            assert!(refused.to_string().contains("amount_fen"), "{refused}");
        }
    }
    assert_eq!(
        counter.count("SELECT COUNT(*) FROM sales").await,
        sales_before
    );
    // An amount-only sale has no goods to return.
    let sale_id = deduction["id"].as_str().expect("id");
    let (status, body) = counter
        .post_as_admin(
            &format!("/api/v1/sales/{sale_id}/returns"),
            json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

/// A walk-in sale gets its member the next day and earns then; a second member for the
/// same sale is a conflict; a sale past the allowed days is refused; a return reverses
/// the points earned by attaching.
async fn attach_story(counter: &Counter<'_>, tea: &str) {
    let server = counter.server;
    let member = server.member_id("13900139000").await;
    let walk_in = |quantity: i64| {
        json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store,
                "lines": [{ "item_id": tea, "quantity": quantity }],
                "payments": [{ "method": "cash", "amount_fen": 1_250 * quantity }] })
    };
    let (status, sale) = counter.post("/api/v1/sales", walk_in(4)).await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["points_earned"], 0);
    assert!(sale["member_id"].is_null());
    let sale_id = sale["id"].as_str().expect("id").to_owned();
    let attach_url = format!("/api/v1/sales/{sale_id}/member");
    let before = counter.balances(&member).await["points"]
        .as_i64()
        .expect("points");

    let (status, attached) = counter
        .post(&attach_url, json!({ "member_id": member }))
        .await;
    assert_eq!(status, 201, "{attached}");
    assert_eq!(attached["points_earned"], 50, "¥50.00 earns 50 points");
    assert_eq!(attached["member_id"], member.as_str());
    assert!(attached["member_attached_at"].is_string());
    assert_eq!(attached["receipt_no"], sale["receipt_no"]);
    assert_eq!(attached["balances"]["points"], before + 50);
    let (status, again) = counter
        .post(&attach_url, json!({ "member_id": member }))
        .await;
    assert_eq!(status, 200, "the same attachment again changes nothing");
    assert_eq!(again["balances"]["points"], before + 50);
    let other = server.member_id("13800138000").await;
    let (status, body) = counter
        .post(&attach_url, json!({ "member_id": other }))
        .await;
    assert_eq!(status, 409, "{body}");

    // A return of half the tea takes back half the points the attachment gave.
    let (status, returned) = counter
        .post_as_admin(
            &format!("/api/v1/sales/{sale_id}/returns"),
            json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 2 }] }),
        )
        .await;
    assert_eq!(status, 201, "{returned}");
    assert_eq!(returned["points_reversed"], 25);
    assert_eq!(
        counter.balances(&member).await["points"],
        before + 25,
        "the points of the returned tea are taken back"
    );

    // Past the allowed days, or for a sale that already has a member: refused.
    let (_, old) = counter.post("/api/v1/sales", walk_in(1)).await;
    let old_id = old["id"].as_str().expect("id");
    sqlx::query("UPDATE sales SET recorded_at = recorded_at - $1 WHERE id = $2")
        .bind(8_i64 * 24 * 60 * 60 * 1_000)
        .bind(old_id)
        .execute(&server.db.writer)
        .await
        .expect("age the sale");
    let (status, body) = counter
        .post(
            &format!("/api/v1/sales/{old_id}/member"),
            json!({ "member_id": member }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field(&body), ("sale_id", "attach_expired"));
    let (status, body) = counter
        .post(
            &format!("/api/v1/sales/{}/member", uuid::Uuid::now_v7()),
            json!({ "member_id": member }),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    // This system's own receipts earn through the sale, never through a supplement.
    for (receipt_no, code) in [
        (sale["receipt_no"].clone(), "already_earned"),
        (old["receipt_no"].clone(), "attach_instead"),
    ] {
        let (status, body) = counter
            .post_as_admin(
                "/api/v1/points/adjustments",
                json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": counter.store,
                        "kind": "supplement", "points": 50, "reason": "顾客忘带会员卡",
                        "reference": receipt_no }),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(field(&body), ("reference", code));
    }
    let points_now = counter.balances(&member).await["points"].clone();
    assert_eq!(points_now, before + 25, "refusals wrote nothing");
}

/// A ¥100 gift card pays for tea with a cash top-up of the rest; a wrong PIN at the till
/// is counted on the card; a return puts the card's share back on the card.
async fn gift_card_story(counter: &Counter<'_>, tea: &str) {
    let server = counter.server;
    let hq = server.store_id("HQ").await;
    let (status, created) = counter
        .post_as_admin(
            "/api/v1/giftcards/batches",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": hq, "count": 1, "face_value_fen": 10_000 }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    // Guesses at a card's PIN sent side by side: at most five are compared.
    let (status, spare) = counter
        .post_as_admin(
            "/api/v1/giftcards/batches",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": hq, "count": 1, "face_value_fen": 10_000 }),
        )
        .await;
    assert_eq!(status, 201, "{spare}");
    let spare_no = spare["cards"][0]["card_no"]
        .as_str()
        .expect("card")
        .to_owned();
    let spare_pin = spare["cards"][0]["pin"].as_str().expect("pin").to_owned();
    let guesses = (0..12).map(|guess| {
        let mut pin = format!("{:06}", 200_000 + guess);
        if pin == spare_pin {
            pin = "999999".to_owned();
        }
        counter.post(
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store,
                    "lines": [{ "item_id": tea, "quantity": 1 }],
                    "payments": [{ "method": "gift_card", "amount_fen": 1_250, "card_no": spare_no, "pin": pin }] }),
        )
    });
    let answers = futures_util::future::join_all(guesses).await;
    let compared = answers.iter().filter(|(status, _)| *status == 422).count();
    let locked = answers.iter().filter(|(status, _)| *status == 423).count();
    assert!(compared <= 5, "{compared} guesses were compared");
    assert_eq!(compared + locked, 12, "{answers:?}");

    let card_no = created["cards"][0]["card_no"]
        .as_str()
        .expect("card")
        .to_owned();
    let pin = created["cards"][0]["pin"].as_str().expect("pin").to_owned();
    let wrong = if pin == "000000" { "000001" } else { "000000" };
    let card_balance = || async {
        sqlx::query_scalar::<_, i64>("SELECT balance FROM accounts WHERE id = $1")
            .bind(format!("giftcard:{card_no}:principal"))
            .fetch_one(&server.db.pool)
            .await
            .expect("card account")
    };
    let sale = |pin: &str, card_fen: i64| {
        json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store,
                "lines": [{ "item_id": tea, "quantity": 10 }],
                "payments": [{ "method": "gift_card", "amount_fen": card_fen, "card_no": card_no, "pin": pin },
                             { "method": "cash", "amount_fen": 12_500 - card_fen }] })
    };

    let (status, body) = counter.post("/api/v1/sales", sale(wrong, 10_000)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "wrong_pin");
    let failures: i64 = sqlx::query_scalar("SELECT failed_pins FROM giftcards WHERE card_no = $1")
        .bind(&card_no)
        .fetch_one(&server.db.pool)
        .await
        .expect("card");
    assert_eq!(
        failures, 1,
        "the wrong PIN was counted though the sale was refused"
    );
    assert_eq!(card_balance().await, 10_000);
    let (status, body) = counter.post("/api/v1/sales", sale(&pin, 10_001)).await;
    assert!(status == 400 || status == 422, "{status} {body}");
    assert_eq!(card_balance().await, 10_000, "an over-spend takes nothing");

    let mut twice = sale(&pin, 5_000);
    twice["payments"][1] = twice["payments"][0].clone();
    twice["payments"][1]["amount_fen"] = json!(5_000);
    twice["payments"]
        .as_array_mut()
        .expect("payments")
        .push(json!({ "method": "cash", "amount_fen": 2_500 }));
    let (status, body) = counter.post("/api/v1/sales", twice).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field(&body), ("payments[1].card_no", "duplicate"));
    let (status, receipt) = counter.post("/api/v1/sales", sale(&pin, 10_000)).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(card_balance().await, 0);
    assert!(
        !receipt.to_string().contains(&pin),
        "the PIN is not sent back"
    );
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sales WHERE receipt_json LIKE $1")
        .bind(format!("%{pin}%"))
        .fetch_one(&server.db.pool)
        .await
        .expect("sales");
    assert_eq!(kept, 0, "the PIN is not stored with the sale");

    // Returning 5 of the 10 teas gives back half of each payment: ¥50 onto the card.
    let sale_id = receipt["id"].as_str().expect("id");
    let (status, returned) = counter
        .post_as_admin(
            &format!("/api/v1/sales/{sale_id}/returns"),
            json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 5 }] }),
        )
        .await;
    assert_eq!(status, 201, "{returned}");
    let refunds = returned["refunds"].as_array().expect("refunds");
    let to_card = refunds
        .iter()
        .find(|refund| refund["method"] == "gift_card")
        .expect("a gift card refund");
    assert_eq!(to_card["card_no"], card_no.as_str());
    assert_eq!(to_card["amount_fen"], 5_000);
    assert_eq!(card_balance().await, 5_000);
    // The return screen finds the sale by its receipt number, with what is back already.
    let receipt_no = receipt["receipt_no"].as_str().expect("receipt_no");
    let (status, found) = call(
        counter
            .client
            .get(
                counter
                    .server
                    .url(&format!("/api/v1/sales/by-receipt/{receipt_no}")),
            )
            .bearer_auth(&counter.admin),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["sale"]["id"], sale_id);
    assert_eq!(found["returned"], json!([5]));
    let (status, _) = call(
        counter
            .client
            .get(
                counter
                    .server
                    .url("/api/v1/sales/by-receipt/NO-SUCH-RECEIPT"),
            )
            .bearer_auth(&counter.admin),
    )
    .await;
    assert_eq!(status, 404);
    // The rest comes back in full, exactly what the card paid.
    let (status, _) = counter
        .post_as_admin(
            &format!("/api/v1/sales/{sale_id}/returns"),
            json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 5 }] }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(card_balance().await, 10_000);

    // A card past its last day takes nothing back: its share is refunded in cash.
    let (status, receipt) = counter.post("/api/v1/sales", sale(&pin, 10_000)).await;
    assert_eq!(status, 201, "{receipt}");
    sqlx::query("UPDATE giftcards SET expires_on = '2020-01-01' WHERE card_no = $1")
        .bind(&card_no)
        .execute(&server.db.writer)
        .await
        .expect("expire the card");
    let sale_id = receipt["id"].as_str().expect("id");
    let (status, returned) = counter
        .post_as_admin(
            &format!("/api/v1/sales/{sale_id}/returns"),
            json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 10 }] }),
        )
        .await;
    assert_eq!(status, 201, "{returned}");
    let card_share = returned["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .find(|refund| refund["card_no"] == card_no.as_str())
        .expect("the card's share")
        .clone();
    assert_eq!(card_share["method"], "cash");
    assert_eq!(card_share["amount_fen"], 10_000);
    assert_eq!(
        card_balance().await,
        0,
        "nothing went onto the expired card"
    );
}

/// Points as payment after the points-payment rule has ended: refused, naming `points`
/// and saying no rule is in force, with nothing written.
async fn expired_rule_story(counter: &Counter<'_>, tea: &str) {
    let server = counter.server;
    let mut ended = rules(7);
    ended["points_payment_rules"][0]["valid_to"] = json!({ "year": 2025, "month": 12, "day": 31 });
    let (status, saved) = call(
        counter
            .client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&counter.admin)
            .json(&ended),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let member = server.member_id("13900139000").await;
    let before = counter.balances(&member).await;
    let sales_before = counter.count("SELECT COUNT(*) FROM sales").await;
    let (status, body) = counter
        .post(
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_id": member,
                    "lines": [{ "item_id": tea, "quantity": 2 }],
                    "payments": [{ "method": "points", "amount_fen": 500, "points": 500 },
                                 { "method": "cash", "amount_fen": 2_000 }] }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field(&body), ("points", "no_rule_in_force"));
    assert_eq!(
        counter.count("SELECT COUNT(*) FROM sales").await,
        sales_before
    );
    assert_eq!(counter.balances(&member).await, before);
}

/// With the rule "from stored value", points a returned sale earned that the member has
/// already spent are paid for from their stored value, and the refund is whole.
async fn spent_points_from_stored_value(counter: &Counter<'_>, tea: &str) {
    let server = counter.server;
    let mut policy = rules(7);
    policy["counter"]["spent_points_on_return"] = json!("from_stored_value");
    let (status, saved) = call(
        counter
            .client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&counter.admin)
            .json(&policy),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let member = server.member_id("13700137000").await;
    let (status, _) = counter
        .post(
            "/api/v1/topups",
            json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": counter.store,
                    "amount_fen": 10_000, "tender": "cash" }),
        )
        .await;
    assert_eq!(status, 201);
    let sale = |quantity: i64, payments: Value| {
        json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_id": member,
                "lines": [{ "item_id": tea, "quantity": quantity }], "payments": payments })
    };
    let (status, teas) = counter
        .post(
            "/api/v1/sales",
            sale(10, json!([{ "method": "cash", "amount_fen": 12_500 }])),
        )
        .await;
    assert_eq!(status, 201, "{teas}");
    assert_eq!(teas["points_earned"], 125);
    // 100 of them pay ¥1.00 of another tea; the ¥11.50 in cash earns 11.
    let (status, spent) = counter
        .post(
            "/api/v1/sales",
            sale(
                1,
                json!([{ "method": "points", "amount_fen": 100, "points": 100 },
                          { "method": "cash", "amount_fen": 1_150 }]),
            ),
        )
        .await;
    assert_eq!(status, 201, "{spent}");
    assert_eq!(spent["balances"]["points"], 36);
    let teas_id = teas["id"].as_str().expect("id");
    let (status, back) = counter
        .post_as_admin(
            &format!("/api/v1/sales/{teas_id}/returns"),
            json!({ "id": uuid::Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 10 }] }),
        )
        .await;
    assert_eq!(status, 201, "{back}");
    // 125 to take back, 36 held: the other 89 points (¥0.89) come from stored value.
    assert_eq!(back["points_reversed"], 125);
    assert_eq!(back["points_shortfall_fen"], 89);
    assert_eq!(back["points_shortfall_from_stored_value_fen"], 89);
    assert_eq!(
        back["refunds"],
        json!([{ "method": "cash", "amount_fen": 12_500, "points": 0, "kept_fen": 0 }])
    );
    assert_eq!(back["balances"]["points"], 0);
    assert_eq!(back["balances"]["principal_fen"], 10_000 - 89);
}

/// The till may name the member by what it scanned: their member number or mobile.
async fn member_by_card_story(counter: &Counter<'_>, tea: &str) {
    let server = counter.server;
    let member = server.member_id("13800138000").await;
    let member_no: String = sqlx::query_scalar("SELECT member_no FROM members WHERE id = $1")
        .bind(&member)
        .fetch_one(&server.db.pool)
        .await
        .expect("member_no");
    let sale = |card: &str, member_id: Option<&str>| {
        json!({ "id": uuid::Uuid::now_v7(), "store_id": counter.store, "member_card": card,
                "member_id": member_id,
                "lines": [{ "item_id": tea, "quantity": 1 }],
                "payments": [{ "method": "cash", "amount_fen": 1_250 }] })
    };
    for card in [member_no.as_str(), " 13800138000 "] {
        let (status, receipt) = counter.post("/api/v1/sales", sale(card, None)).await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["member_id"], member.as_str());
        assert_eq!(receipt["points_earned"], 12);
    }
    let (status, body) = counter.post("/api/v1/sales", sale("000000000", None)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field(&body), ("member_card", "unknown_card"));
    let other = server.member_id("13900139000").await;
    let (status, body) = counter
        .post("/api/v1/sales", sale(&member_no, Some(&other)))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field(&body), ("member_card", "member_mismatch"));
}
