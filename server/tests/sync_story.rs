//! The tablet sync, on SQLite and PostgreSQL: a tablet pulls members, items, levels and
//! the rules page by page from a cursor, sees a changed item come again at the end and an
//! archived member as a tombstone; it pushes its outbox, and a batch sent twice records
//! nothing twice, while a bad command in the middle stops nothing else; two tablets
//! selling offline to one member overdraw her, both sales stand, and HQ settles the
//! conflict; and the ledger's invariants hold throughout.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_shared::sync::{phone_hash, OfflinePin};
use serde_json::{json, Value};
use uuid::Uuid;

#[tokio::test]
async fn sync_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    sync_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn sync_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    sync_story(&server).await;
    pull_waits_for_an_older_transaction(&server).await;
    server.stop().await;
}

fn rules() -> Value {
    json!({
        "version": 0,
        "earn_rules": [{ "id": "earn-base", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }],
        "points_payment_rules": [{ "id": "pay-points", "name": "积分抵现", "enabled": true,
            "points_per_yuan": 100, "max_share_bp": 5000, "min_points": 100 }],
        "counter": { "attach_member_days": 7, "pin_failures_max": 5, "pin_lock_minutes": 30,
            "offline_value_per_member_fen": 5_000, "offline_value_per_terminal_fen": 300_000,
            "offline_points_per_member": 1_000 }
    })
}

struct Till<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    admin: String,
    cashier: String,
    store: String,
}

impl Till<'_> {
    async fn get(&self, path: &str) -> (u16, Value) {
        call(
            self.client
                .get(self.server.url(path))
                .bearer_auth(&self.admin),
        )
        .await
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        call(
            self.client
                .request(method, self.server.url(path))
                .bearer_auth(&self.admin)
                .json(&body),
        )
        .await
    }

    async fn pull(&self, since: &str, limit: u32) -> Value {
        let (status, page) = call(
            self.client
                .get(self.server.url("/api/v1/sync/pull"))
                .query(&[("since", since), ("limit", &limit.to_string())])
                .bearer_auth(&self.cashier),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        page
    }

    /// Every change from `since` to the end, in pages of `limit`, and the last cursor.
    async fn pull_all(&self, since: &str, limit: u32) -> (Vec<Value>, String) {
        let mut changes = Vec::new();
        let mut cursor = since.to_owned();
        loop {
            let page = self.pull(&cursor, limit).await;
            let got = page["changes"].as_array().cloned().unwrap_or_default();
            assert!(
                got.len() <= limit as usize,
                "a page holds at most its limit"
            );
            changes.extend(got);
            cursor = page["next"].as_str().expect("next").to_owned();
            if page["more"] != true {
                return (changes, cursor);
            }
        }
    }

    async fn push(&self, token: &str, batch: &Value) -> Value {
        let (status, answer) = call(
            self.client
                .post(self.server.url("/api/v1/sync/push"))
                .bearer_auth(token)
                .json(batch),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    async fn balances(&self, member: &str) -> Value {
        let (status, page) = self.get(&format!("/api/v1/members/{member}/ledger")).await;
        assert_eq!(status, 200, "{page}");
        page["balances"].clone()
    }
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|result| result["status"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn find<'a>(changes: &'a [Value], entity: &str, id: &str) -> Option<&'a Value> {
    changes
        .iter()
        .rev()
        .find(|change| change["entity"] == entity && change["id"] == id)
}

async fn sync_story(server: &TestServer) {
    let till = Till {
        server,
        client: reqwest::Client::new(),
        admin: server.token("admin", "demo1234").await,
        cashier: server.token("cashier", "demo1234").await,
        store: server.store_id("S001").await,
    };
    let (status, saved) = till
        .send(reqwest::Method::PUT, "/api/v1/rules", rules())
        .await;
    assert_eq!(status, 200, "{saved}");
    let tea = create_item(&till, "T001", "茉莉花茶", 1_250).await;
    let cake = create_item(&till, "C001", "月饼", 3_000).await;
    let cursor = pull_story(&till, &tea, &cake).await;
    push_story(&till, &tea).await;
    overdraft_story(&till, &cursor).await;
    invariants::check(&server.db).await;
}

async fn create_item(till: &Till<'_>, code: &str, name: &str, price: i64) -> String {
    let (status, item) = till
        .send(
            reqwest::Method::POST,
            "/api/v1/items",
            json!({ "code": code, "name": name, "retail_price_fen": price, "earns_points": true, "active": true }),
        )
        .await;
    assert_eq!(status, 201, "{item}");
    item["id"].as_str().expect("item id").to_owned()
}

/// Pages follow each other without gaps or repeats; a change moves its thing to the end;
/// an archived member is a tombstone; the phone is hashed with the organisation's salt.
async fn pull_story(till: &Till<'_>, tea: &str, cake: &str) -> String {
    let server = till.server;
    // Bad cursors and limits are refused, naming the parameter.
    for query in ["since=abc", "limit=0", "limit=5001"] {
        let (status, body) = call(
            till.client
                .get(server.url(&format!("/api/v1/sync/pull?{query}")))
                .bearer_auth(&till.cashier),
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
        let field = body["details"]["fields"][0]["field"].as_str();
        assert!(matches!(field, Some("since" | "limit")), "{body}");
    }
    let first = till.pull("", 2).await;
    assert_eq!(first["changes"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["more"], true);
    let (changes, end) = till.pull_all("", 2).await;
    let (whole, whole_end) = till.pull_all("", 5_000).await;
    assert_eq!(changes, whole, "small pages add up to one large one");
    assert_eq!(end, whole_end);
    // Five demo members, two items, the standard level and the rules.
    assert_eq!(
        changes.iter().filter(|c| c["entity"] == "member").count(),
        5
    );
    assert!(find(&changes, "item", tea).is_some());
    assert!(find(&changes, "level", "standard").is_some());
    let rules = changes
        .iter()
        .find(|c| c["entity"] == "rules")
        .expect("the rules");
    assert_eq!(
        rules["record"]["counter"]["offline_value_per_member_fen"],
        5_000
    );

    let salt = first["phone_salt"].as_str().expect("salt").to_owned();
    assert!(salt.len() >= 16);
    let member = server.member_id("13800138000").await;
    let record = &find(&changes, "member", &member).expect("member")["record"];
    assert_eq!(record["phone_masked"], "138****8000");
    assert_eq!(record["phone_tail"], "8000");
    assert_eq!(record["phone_hash"], phone_hash(&salt, "13800138000"));
    assert!(record.get("phone").is_none(), "the full phone never leaves");
    assert_eq!(record["level_id"], "standard");
    assert_eq!(record["frozen"], false);
    assert_eq!(record["pin_set"], false);
    assert_eq!(record["offline_pin"], Value::Null);

    // Nothing new: an empty page that keeps the cursor.
    let idle = till.pull(&end, 100).await;
    assert_eq!(idle["changes"], json!([]));
    assert_eq!(idle["more"], false);
    assert_eq!(idle["next"], end.as_str());

    // The tea's price changes and the cake is withdrawn: both come again, the tea with
    // its new price, the cake as a tombstone.
    let (status, body) = till
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/items/{tea}"),
            json!({ "code": "T001", "name": "茉莉花茶", "retail_price_fen": 1_500, "earns_points": true, "active": true }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = till
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/items/{cake}"),
            json!({}),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let (changed, after_items) = till.pull_all(&end, 100).await;
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(changed[0]["id"], tea);
    assert_eq!(changed[0]["record"]["retail_price_fen"], 1_500);
    assert_eq!(changed[1]["id"], cake);
    assert_eq!(changed[1]["record"], Value::Null);

    // An archived member goes out as a tombstone.
    let archived = server.member_id("15000150000").await;
    let (status, body) = till
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/members/{archived}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // New rules are one change carrying the whole set.
    let mut newer = rules_json_with_limit(8_000);
    newer["version"] = json!(0);
    let (status, saved) = till
        .send(reqwest::Method::PUT, "/api/v1/rules", newer)
        .await;
    assert_eq!(status, 200, "{saved}");
    let (changed, end) = till.pull_all(&after_items, 100).await;
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(changed[0]["entity"], "member");
    assert_eq!(changed[0]["id"], archived);
    assert_eq!(changed[0]["record"], Value::Null);
    assert_eq!(changed[1]["entity"], "rules");
    assert_eq!(changed[1]["version"], saved["version"]);
    assert_eq!(
        changed[1]["record"]["counter"]["offline_value_per_member_fen"],
        8_000
    );
    end
}

fn rules_json_with_limit(limit: i64) -> Value {
    let mut rules = rules();
    rules["counter"]["offline_value_per_member_fen"] = json!(limit);
    rules
}

/// A batch of a top-up, a sale and a return is recorded once however often it is sent;
/// a bad command in the middle is rejected alone; an id reused for other content is
/// rejected as the REST call would be.
async fn push_story(till: &Till<'_>, tea: &str) {
    let server = till.server;
    let member = server.member_id("13800138000").await;
    let device = Uuid::now_v7();
    let sale_id = Uuid::now_v7();
    let topup = json!({ "kind": "topup", "topup": { "id": Uuid::now_v7(), "member_id": member,
        "store_id": till.store, "amount_fen": 10_000, "tender": "cash" } });
    let sale = json!({ "kind": "sale", "sale": { "id": sale_id, "store_id": till.store,
        "member_id": member, "lines": [{ "item_id": tea, "quantity": 2 }],
        "payments": [{ "method": "stored_value", "amount_fen": 3_000 }] } });
    let give_back = json!({ "kind": "return", "sale_id": sale_id,
        "request": { "id": Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 1 }] } });
    let batch = json!({ "device_id": device, "commands": [topup, sale, give_back] });
    let answer = till.push(&till.admin, &batch).await;
    assert_eq!(
        statuses(&answer),
        ["created", "created", "created"],
        "{answer}"
    );
    assert_eq!(answer["results"][1]["receipt"]["id"], sale_id.to_string());
    assert_eq!(answer["balances"][0]["member_id"], member);
    let after = till.balances(&member).await;
    // ¥100 in, ¥30 spent, ¥15 back.
    assert_eq!(after["principal_fen"], 8_500, "{after}");
    assert_eq!(answer["balances"][0]["balances"], after);

    let again = till.push(&till.admin, &batch).await;
    assert_eq!(statuses(&again), ["exists", "exists", "exists"], "{again}");
    assert_eq!(till.balances(&member).await, after, "nothing doubled");
    assert_eq!(
        again["results"][1]["receipt"],
        answer["results"][1]["receipt"]
    );

    // A cashier may sell but not take returns: that one command is refused.
    let cashier_batch = json!({ "device_id": device, "commands": [
        { "kind": "return", "sale_id": sale_id,
          "request": { "id": Uuid::now_v7(), "lines": [{ "line": 0, "quantity": 1 }] } },
        { "kind": "sale", "sale": { "id": Uuid::now_v7(), "store_id": till.store,
          "lines": [{ "item_id": tea, "quantity": 1 }],
          "payments": [{ "method": "cash", "amount_fen": 2_000 }] } } ] });
    let answer = till.push(&till.cashier, &cashier_batch).await;
    assert_eq!(statuses(&answer), ["rejected", "created"], "{answer}");
    assert_eq!(answer["results"][0]["error"]["code"], "forbidden");

    // An unknown item rejects its sale alone; the same top-up id with another amount is
    // a conflict, as on `POST /api/v1/topups`.
    let reused = json!({ "kind": "topup", "topup": { "id": batch["commands"][0]["topup"]["id"],
        "member_id": member, "store_id": till.store, "amount_fen": 20_000, "tender": "cash" } });
    let mixed = json!({ "device_id": device, "commands": [
        { "kind": "sale", "sale": { "id": Uuid::now_v7(), "store_id": till.store, "member_id": member,
          "lines": [{ "item_id": Uuid::now_v7(), "quantity": 1 }],
          "payments": [{ "method": "cash", "amount_fen": 1_000 }] } },
        { "kind": "topup", "topup": { "id": Uuid::now_v7(), "member_id": member,
          "store_id": till.store, "amount_fen": 1_000, "tender": "cash" } },
        reused ] });
    let answer = till.push(&till.admin, &mixed).await;
    assert_eq!(
        statuses(&answer),
        ["rejected", "created", "rejected"],
        "{answer}"
    );
    assert_eq!(
        answer["results"][0]["error"]["details"]["fields"][0]["code"],
        "unknown_item"
    );
    assert_eq!(answer["results"][2]["error"]["code"], "conflict");
    assert_eq!(till.balances(&member).await["principal_fen"], 9_500);

    // Too many commands in one batch are refused whole, naming the field.
    let many: Vec<Value> = (0..101)
        .map(|_| {
            json!({ "kind": "topup", "topup": { "id": Uuid::now_v7(), "member_id": member,
            "store_id": till.store, "amount_fen": 100, "tender": "cash" } })
        })
        .collect();
    let (status, body) = call(
        till.client
            .post(server.url("/api/v1/sync/push"))
            .bearer_auth(&till.admin)
            .json(&json!({ "device_id": device, "commands": many })),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["details"]["fields"][0]["field"], "commands");
}

fn offline_sale(till: &Till<'_>, member: &str, amount_fen: i64) -> Value {
    json!({ "kind": "sale", "offline": true, "sale": { "id": Uuid::now_v7(), "store_id": till.store,
        "member_id": member, "amount_fen": amount_fen,
        "payments": [{ "method": "stored_value", "amount_fen": amount_fen }],
        "occurred_at": "2026-01-01T10:00:00Z" } })
}

/// Two tablets sell offline to one member, each within the limit, together more than she
/// holds: both sales stand, her stored value is below zero by exactly the shortfall, and
/// HQ sees and settles one conflict. Over the limit, or without a verifier to have
/// checked the PIN against, an offline sale is refused.
async fn overdraft_story(till: &Till<'_>, cursor: &str) {
    let server = till.server;
    let member = server.member_id("13900139000").await;
    let (status, body) = till
        .send(
            reqwest::Method::POST,
            "/api/v1/topups",
            json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": till.store,
                    "amount_fen": 3_000, "tender": "cash" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = till
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/members/{member}/pin"),
            json!({ "new_pin": "409172" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The tablet gets a verifier that matches the PIN and nothing else.
    let (changes, _) = till.pull_all(cursor, 100).await;
    let record = &find(&changes, "member", &member).expect("member changed")["record"];
    assert_eq!(record["pin_set"], true);
    assert_eq!(record["balances"]["principal_fen"], 3_000);
    let offline: OfflinePin =
        serde_json::from_value(record["offline_pin"].clone()).expect("a verifier");
    assert!(offline.matches("409172"));
    assert!(!offline.matches("409173"));

    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let answer = till
        .push(
            &till.cashier,
            &json!({ "device_id": first, "commands": [offline_sale(till, &member, 2_000)] }),
        )
        .await;
    assert_eq!(statuses(&answer), ["created"], "{answer}");
    let answer = till
        .push(
            &till.cashier,
            &json!({ "device_id": second, "commands": [offline_sale(till, &member, 2_000)] }),
        )
        .await;
    assert_eq!(statuses(&answer), ["conflict"], "{answer}");
    let result = &answer["results"][0];
    assert_eq!(result["error"]["code"], "offline_overdraft");
    assert_eq!(result["error"]["details"]["shortfall_fen"], 1_000);
    assert!(result["receipt"]["receipt_no"].is_string());
    assert_eq!(answer["balances"][0]["balances"]["principal_fen"], -1_000);
    assert_eq!(till.balances(&member).await["principal_fen"], -1_000);
    // Sent again, the overdrawing sale is simply there.
    let again = till
        .push(
            &till.cashier,
            &json!({ "device_id": second, "commands": [{ "kind": "sale", "offline": true,
                "sale": answer_sale(&answer) }] }),
        )
        .await;
    assert_eq!(statuses(&again), ["exists"], "{again}");
    assert_eq!(till.balances(&member).await["principal_fen"], -1_000);
    // Online, nothing more can be spent.
    let (status, body) = call(
        till.client
            .post(server.url("/api/v1/sales"))
            .bearer_auth(&till.cashier)
            .json(
                &json!({ "id": Uuid::now_v7(), "store_id": till.store, "member_id": member,
                "amount_fen": 100, "payments": [{ "method": "stored_value", "amount_fen": 100 }],
                "pin": "409172" }),
            ),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "insufficient_balance");

    let (status, open) = till.get("/api/v1/sync/conflicts?open=true").await;
    assert_eq!(status, 200, "{open}");
    let open = open.as_array().cloned().unwrap_or_default();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["member_id"], member);
    assert_eq!(open[0]["device_id"], second.to_string());
    assert_eq!(open[0]["shortfall_fen"], 1_000);
    assert_eq!(open[0]["shortfall_points"], 0);
    assert_eq!(open[0]["member_name"], "李小龙");
    assert!(open[0]["occurred_at"]
        .as_str()
        .is_some_and(|at| at.starts_with("2026-01-01")));
    let id = open[0]["id"].as_str().expect("conflict id");
    let resolve = format!("/api/v1/sync/conflicts/{id}/resolve");
    let (status, body) = call(
        till.client
            .post(server.url(&resolve))
            .bearer_auth(&till.cashier)
            .json(&json!({ "note": "会员已现金补足" })),
    )
    .await;
    assert_eq!(status, 403, "a cashier does not settle: {body}");
    let (status, body) = till
        .send(reqwest::Method::POST, &resolve, json!({ "note": "x" }))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["details"]["fields"][0]["field"], "note");
    let (status, settled) = till
        .send(
            reqwest::Method::POST,
            &resolve,
            json!({ "note": "会员已现金补足" }),
        )
        .await;
    assert_eq!(status, 200, "{settled}");
    assert_eq!(settled["resolution"], "会员已现金补足");
    assert!(settled["resolved_at"].is_string());
    let (status, _) = till
        .send(
            reqwest::Method::POST,
            &resolve,
            json!({ "note": "再次处理" }),
        )
        .await;
    assert_eq!(status, 409);
    let (_, open) = till.get("/api/v1/sync/conflicts?open=true").await;
    assert_eq!(open, json!([]));
    let (_, all) = till.get("/api/v1/sync/conflicts").await;
    assert_eq!(all.as_array().map(Vec::len), Some(1));

    // Over the per-member offline limit (¥80 since the rules changed): refused, naming
    // the payment.
    let answer = till
        .push(
            &till.cashier,
            &json!({ "device_id": first, "commands": [offline_sale(till, &member, 8_001)] }),
        )
        .await;
    assert_eq!(statuses(&answer), ["rejected"], "{answer}");
    let error = &answer["results"][0]["error"];
    assert_eq!(error["code"], "offline_limit_exceeded");
    assert_eq!(
        error["details"]["fields"][0]["field"],
        "payments[0].amount_fen"
    );

    // A member whose PIN has no verifier yet (set before the sync existed) cannot spend
    // offline; one online sale with the PIN makes the verifier.
    let other = server.member_id("13800138000").await;
    let (status, body) = till
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/members/{other}/pin"),
            json!({ "new_pin": "582047" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    sqlx::query(
        "UPDATE members SET offline_pin_salt = NULL, offline_pin_verifier = NULL WHERE id = $1",
    )
    .bind(&other)
    .execute(&server.db.writer)
    .await
    .expect("forget the verifier");
    let answer = till
        .push(
            &till.cashier,
            &json!({ "device_id": first, "commands": [offline_sale(till, &other, 500)] }),
        )
        .await;
    assert_eq!(statuses(&answer), ["rejected"], "{answer}");
    let error = &answer["results"][0]["error"];
    assert_eq!(error["details"]["fields"][0]["field"], "pin");
    assert_eq!(error["details"]["fields"][0]["code"], "pin_required");
    let (status, body) = call(
        till.client
            .post(server.url("/api/v1/sales"))
            .bearer_auth(&till.cashier)
            .json(
                &json!({ "id": Uuid::now_v7(), "store_id": till.store, "member_id": other,
                "amount_fen": 100, "payments": [{ "method": "stored_value", "amount_fen": 100 }],
                "pin": "582047" }),
            ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let verifier: Option<String> =
        sqlx::query_scalar("SELECT offline_pin_verifier FROM members WHERE id = $1")
            .bind(&other)
            .fetch_one(&server.db.pool)
            .await
            .expect("verifier");
    assert!(verifier.is_some());
    let answer = till
        .push(
            &till.cashier,
            &json!({ "device_id": first, "commands": [offline_sale(till, &other, 500)] }),
        )
        .await;
    assert_eq!(statuses(&answer), ["created"], "{answer}");
    points_overdraft(till).await;
}

/// Points overdrawn offline are a debt: the balance goes below zero by the shortfall (less
/// what the sale itself earned, which pays the debt first) and no lot holds a point until
/// the debt is paid.
async fn points_overdraft(till: &Till<'_>) {
    let member = till.server.member_id("13700137000").await;
    let (status, body) = till
        .send(
            reqwest::Method::POST,
            "/api/v1/points/adjustments",
            json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": till.store,
                "kind": "adjust", "points": 300, "reason": "开业赠送积分" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let sale = |points: i64| {
        json!({ "kind": "sale", "offline": true, "sale": { "id": Uuid::now_v7(),
            "store_id": till.store, "member_id": member, "amount_fen": 1_000,
            "payments": [{ "method": "points", "amount_fen": points, "points": points },
                         { "method": "cash", "amount_fen": 1_000 - points }] } })
    };
    let answer = till
        .push(
            &till.cashier,
            &json!({ "device_id": Uuid::now_v7(), "commands": [sale(200), sale(200)] }),
        )
        .await;
    assert_eq!(statuses(&answer), ["created", "conflict"], "{answer}");
    let error = &answer["results"][1]["error"];
    assert_eq!(error["details"]["shortfall_points"], 92);
    assert_eq!(error["details"]["shortfall_fen"], 0);
    // 300 - 200 + 8 earned = 108, then 108 - 200 (92 short) + 8 earned.
    assert_eq!(till.balances(&member).await["points"], -84);
    let lots: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots WHERE account_id = $1",
    )
    .bind(format!("member:{member}:points"))
    .fetch_one(&till.server.db.pool)
    .await
    .expect("lots");
    assert_eq!(lots, 0);
    // Points given later pay the debt first; only the rest becomes a lot.
    let (status, body) = till
        .send(
            reqwest::Method::POST,
            "/api/v1/points/adjustments",
            json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": till.store,
                "kind": "adjust", "points": 100, "reason": "补足透支积分" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(till.balances(&member).await["points"], 16);
    invariants::check(&till.server.db).await;
}

/// The sale a push answered, as the till would send it again.
fn answer_sale(answer: &Value) -> Value {
    let receipt = &answer["results"][0]["receipt"];
    json!({ "id": receipt["id"], "store_id": receipt["store_id"], "member_id": receipt["member_id"],
        "amount_fen": 2_000, "payments": [{ "method": "stored_value", "amount_fen": 2_000 }],
        "occurred_at": "2026-01-01T10:00:00Z" })
}

/// On PostgreSQL a transaction that took its version first may commit last. A pull made
/// while it is open must not pass its version: it answers nothing new until the older
/// transaction has committed, and then both changes in order.
async fn pull_waits_for_an_older_transaction(server: &TestServer) {
    let till = Till {
        server,
        client: reqwest::Client::new(),
        admin: server.token("admin", "demo1234").await,
        cashier: server.token("cashier", "demo1234").await,
        store: server.store_id("S001").await,
    };
    let older_item = create_item(&till, "P001", "普洱", 5_000).await;
    let newer_item = create_item(&till, "P002", "龙井", 6_000).await;
    let (_, end) = till.pull_all("", 5_000).await;
    let mut older = server.db.writer.begin().await.expect("older");
    sqlx::query("UPDATE items SET name = '普洱茶' WHERE id = $1")
        .bind(&older_item)
        .execute(&mut *older)
        .await
        .expect("older write");
    let mut newer = server.db.writer.begin().await.expect("newer");
    sqlx::query("UPDATE items SET name = '龙井茶' WHERE id = $1")
        .bind(&newer_item)
        .execute(&mut *newer)
        .await
        .expect("newer write");
    newer.commit().await.expect("newer commit");
    let waiting = till.pull(&end, 100).await;
    assert_eq!(waiting["changes"], json!([]), "the newer change waits");
    assert_eq!(waiting["next"], end.as_str());
    older.commit().await.expect("older commit");
    let (changes, _) = till.pull_all(&end, 100).await;
    let ids: Vec<&str> = changes.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, [older_item.as_str(), newer_item.as_str()]);
    assert_eq!(changes[0]["record"]["name"], "普洱茶");
    assert_eq!(changes[1]["record"]["name"], "龙井茶");
}

/// The first fill of a tablet: 100,000 members with balances and a card each, pulled in
/// pages of 5,000. Run on demand (`--ignored`); it prints the time the pages took.
#[tokio::test]
#[ignore]
async fn initial_pull_of_many_members() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(server) = start(backend).await else {
            continue;
        };
        let count = 100_000;
        let (pad, uuid) = match backend {
            Backend::Sqlite => ("substr('00000000' || i, -8, 8)", ""),
            Backend::Postgres => ("right('00000000' || i, 8)", ""),
        };
        let id = format!("({pad} || '-0000-7000-8000-000000000000{uuid}')");
        let inserts = [
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
                 INSERT INTO members (id, member_no, name, phone, level_name, created_at, updated_at, phone_tail, profile) \
                 SELECT {id}, 'B' || {pad}, '会员' || i, '139' || {pad}, '普通会员', 0, 0, substr({pad}, 5, 4), \
                 '{{\"birth_date\":\"1990-05-01\"}}' FROM n"
            ),
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
                 INSERT INTO accounts (id, owner_kind, owner_id, code, asset, balance, floor, created_at) \
                 SELECT 'member:' || {id} || ':principal', 'member', {id}, 'principal', 'CNY', 0, 0, 0 FROM n"
            ),
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
                 INSERT INTO member_cards (card_no, member_id, medium, state, created_at, updated_at) \
                 SELECT 'C' || {pad}, {id}, 'virtual', 'active', 0, 0 FROM n"
            ),
        ];
        for sql in &inserts {
            sqlx::query(sql)
                .execute(&server.db.writer)
                .await
                .expect("bulk insert");
        }
        let till = Till {
            server: &server,
            client: reqwest::Client::new(),
            admin: server.token("admin", "demo1234").await,
            cashier: server.token("cashier", "demo1234").await,
            store: server.store_id("S001").await,
        };
        // The server's part alone: reading the pages, without HTTP or JSON.
        let started = std::time::Instant::now();
        let mut cursor = huiyuan_server::sync::feed::Cursor::default();
        let mut read = 0;
        loop {
            let page = huiyuan_server::sync::feed::pull(&server.db, &cursor, 5_000)
                .await
                .expect("page");
            read += page.changes.len();
            cursor = huiyuan_server::sync::feed::Cursor::parse(Some(&page.next)).expect("next");
            if !page.more {
                break;
            }
        }
        println!(
            "{backend:?}: {read} changes read in {} ms",
            started.elapsed().as_millis()
        );
        let started = std::time::Instant::now();
        let (changes, _) = till.pull_all("", 5_000).await;
        let took = started.elapsed();
        let members = changes.iter().filter(|c| c["entity"] == "member").count();
        println!(
            "{backend:?}: {members} members over HTTP in {} ms",
            took.as_millis()
        );
        assert!(members >= count);
        server.stop().await;
    }
}
