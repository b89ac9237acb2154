//! Gift redemption with points (积分兑换礼品), on SQLite and PostgreSQL: a member with two
//! points lots redeems two gifts at the counter and the lot that lapses first is spent
//! first; the same redemption again is answered with its receipt, other content under
//! its id is a conflict; a wrong PIN, a gift without a points price, too few points and a
//! frozen member are refused with nothing written. Through sync push: an offline
//! redemption is recorded once however often it is sent, one over the offline limit is
//! refused, and two tablets redeeming offline overdraw the member, both stand and HQ sees
//! the conflict; the ledger's invariants hold throughout.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::db::now_ms;
use huiyuan_server::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use serde_json::{json, Value};
use uuid::Uuid;

#[tokio::test]
async fn redemption_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    redemption_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn redemption_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    redemption_story(&server).await;
    server.stop().await;
}

const DAY_MS: i64 = 86_400_000;

struct Counter<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    admin: String,
    cashier: String,
    store: String,
}

impl Counter<'_> {
    async fn send(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        call(
            self.client
                .request(method, self.server.url(path))
                .bearer_auth(token)
                .json(body),
        )
        .await
    }

    async fn redeem(&self, body: &Value) -> (u16, Value) {
        self.send(
            &self.cashier,
            reqwest::Method::POST,
            "/api/v1/redemptions",
            body,
        )
        .await
    }

    async fn push(&self, batch: &Value) -> Value {
        let (status, answer) = self
            .send(
                &self.cashier,
                reqwest::Method::POST,
                "/api/v1/sync/push",
                batch,
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    async fn points(&self, member: &str) -> i64 {
        let (status, page) = call(
            self.client
                .get(self.server.url(&format!("/api/v1/members/{member}/ledger")))
                .bearer_auth(&self.admin),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        page["balances"]["points"].as_i64().expect("points")
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.server.db.pool)
            .await
            .expect("count")
    }

    async fn redemptions(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM redemptions").await
    }

    async fn create_item(&self, code: &str, name: &str, points_price: Option<i64>) -> String {
        let (status, item) = self
            .send(
                &self.admin,
                reqwest::Method::POST,
                "/api/v1/items",
                &json!({ "code": code, "name": name, "retail_price_fen": 5_000, "earns_points": false,
                         "active": true, "points_price": points_price }),
            )
            .await;
        assert_eq!(status, 201, "{item}");
        item["id"].as_str().expect("item id").to_owned()
    }

    async fn set_pin(&self, member: &str, pin: &str) {
        let (status, body) = self
            .send(
                &self.admin,
                reqwest::Method::PUT,
                &format!("/api/v1/members/{member}/pin"),
                &json!({ "new_pin": pin }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Credits the member a lot of points that lapses `days` from now.
    async fn give_points(&self, member: &str, points: i64, days: i64) {
        let mut tx = self.server.db.writer.begin().await.expect("begin");
        ledger::post_transfers(
            &mut tx,
            &PostingContext {
                command_id: format!("seed-{}", Uuid::now_v7()),
                store_id: Some(self.store.clone()),
                ..PostingContext::default()
            },
            &[NewTransfer {
                debit: AccountKey::store_points_issued(&self.store),
                credit: AccountKey::member_points(member),
                amount: points,
                kind: TransferKind::Earn,
                memo: None,
                points_expire_at: Some(now_ms() + days * DAY_MS),
            }],
        )
        .await
        .expect("seed points");
        tx.commit().await.expect("commit");
    }

    /// What is left of the member's lots, the lot that lapses first first.
    async fn lots(&self, member: &str) -> Vec<i64> {
        sqlx::query_scalar(
            "SELECT remaining FROM points_lots WHERE account_id = $1 ORDER BY expires_at",
        )
        .bind(AccountKey::member_points(member).id())
        .fetch_all(&self.server.db.pool)
        .await
        .expect("lots")
    }
}

fn rules() -> Value {
    json!({
        "version": 0,
        "earn_rules": [{ "id": "earn-base", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }],
        "counter": { "attach_member_days": 7, "pin_failures_max": 5, "pin_lock_minutes": 30,
            "offline_value_per_member_fen": 5_000, "offline_value_per_terminal_fen": 300_000,
            "offline_points_per_member": 300 }
    })
}

fn field_of(body: &Value) -> (&str, &str) {
    let field = &body["details"]["fields"][0];
    (
        field["field"].as_str().unwrap_or_default(),
        field["code"].as_str().unwrap_or_default(),
    )
}

fn statuses(answer: &Value) -> Vec<&str> {
    answer["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|result| result["status"].as_str().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

async fn redemption_story(server: &TestServer) {
    let counter = Counter {
        server,
        client: reqwest::Client::new(),
        admin: server.token("admin", "demo1234").await,
        cashier: server.token("cashier", "demo1234").await,
        store: server.store_id("S001").await,
    };
    let (status, saved) = counter
        .send(
            &counter.admin,
            reqwest::Method::PUT,
            "/api/v1/rules",
            &rules(),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let kettle = counter.create_item("G001", "电热水壶", Some(120)).await;
    let towel = counter.create_item("G002", "毛巾", Some(50)).await;
    let tea = counter.create_item("T001", "茉莉花茶", None).await;
    online_story(&counter, &kettle, &towel, &tea).await;
    offline_story(&counter, &kettle).await;
    invariants::check(&server.db).await;
}

async fn online_story(counter: &Counter<'_>, kettle: &str, towel: &str, tea: &str) {
    let server = counter.server;
    let member = server.member_id("13800138000").await;
    // The later lot is credited first: the order of spending is by expiry, not by age.
    counter.give_points(&member, 300, 300).await;
    counter.give_points(&member, 200, 100).await;
    counter.set_pin(&member, "731946").await;
    assert_eq!(counter.points(&member).await, 500);

    let id = Uuid::now_v7();
    let request = json!({ "id": id, "member_id": member, "store_id": counter.store,
        "lines": [{ "item_id": kettle, "quantity": 2 }, { "item_id": towel, "quantity": 1 }],
        "pin": "731946" });

    // A wrong PIN is refused and nothing is written; so is a missing one.
    let mut wrong = request.clone();
    wrong["pin"] = json!("000000");
    let (status, body) = counter.redeem(&wrong).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "wrong_pin");
    let mut missing = request.clone();
    missing["pin"] = Value::Null;
    let (status, body) = counter.redeem(&missing).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), ("pin", "pin_required"));
    assert_eq!(counter.redemptions().await, 0);
    assert_eq!(counter.points(&member).await, 500);

    // Two gifts: 2 × 120 + 50 points, the lot that lapses in 100 days emptied first.
    let (status, receipt) = counter.redeem(&request).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["points"], 290);
    assert_eq!(receipt["balances"]["points"], 210);
    assert_eq!(receipt["member_id"], member);
    assert_eq!(receipt["lines"][0]["name"], "电热水壶");
    assert_eq!(receipt["lines"][0]["points_each"], 120);
    assert_eq!(receipt["lines"][0]["points"], 240);
    assert_eq!(receipt["lines"][1]["points"], 50);
    assert!(receipt["receipt_no"]
        .as_str()
        .is_some_and(|no| no.starts_with("S001-")));
    assert_eq!(counter.points(&member).await, 210);
    assert_eq!(counter.lots(&member).await, [0, 210]);
    let redeemed: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(AccountKey::store_points_redeemed(&counter.store).id())
        .fetch_one(&server.db.pool)
        .await
        .expect("store account");
    assert_eq!(redeemed, 290, "the points went where points payments go");
    assert_eq!(
        counter
            .count("SELECT COUNT(*) FROM redemption_lines WHERE points > 0")
            .await,
        2
    );
    assert_eq!(
        counter
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'redemption.create'")
            .await,
        1
    );

    // Sent again (the PIN need not come again): the same receipt, nothing taken twice.
    let (status, again) = counter.redeem(&missing).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, receipt);
    assert_eq!(counter.points(&member).await, 210);
    // Other content under the same id is a conflict.
    let mut other = request.clone();
    other["lines"][1]["quantity"] = json!(2);
    let (status, body) = counter.redeem(&other).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "conflict");

    // An item without a points price is no gift; a bad quantity and no lines are named.
    let (status, body) = counter
        .redeem(
            &json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": counter.store,
            "lines": [{ "item_id": tea, "quantity": 1 }], "pin": "731946" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), ("lines[0].item_id", "not_redeemable"));
    let (status, body) = counter
        .redeem(
            &json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": counter.store,
            "lines": [{ "item_id": towel, "quantity": 1_000 }], "pin": "731946" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), ("lines[0].quantity", "out_of_range"));
    let (status, body) = counter
        .redeem(
            &json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": counter.store,
            "lines": [], "pin": "731946" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), ("lines", "required"));

    // Two kettles are 240 points; 210 do not suffice online.
    let (status, body) = counter
        .redeem(
            &json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": counter.store,
            "lines": [{ "item_id": kettle, "quantity": 2 }], "pin": "731946" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "insufficient_balance");
    assert_eq!(body["details"]["balance"], "points");
    assert_eq!(counter.redemptions().await, 1);
    assert_eq!(counter.points(&member).await, 210);

    // A frozen member redeems nothing.
    let frozen = server.member_id("13700137000").await;
    counter.give_points(&frozen, 500, 100).await;
    let (status, body) = counter
        .send(
            &counter.admin,
            reqwest::Method::POST,
            &format!("/api/v1/members/{frozen}/freeze"),
            &json!({ "reason": "会员申请冻结" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = counter
        .redeem(
            &json!({ "id": Uuid::now_v7(), "member_id": frozen, "store_id": counter.store,
            "lines": [{ "item_id": towel, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(field_of(&body), ("member_id", "member_frozen"));
    assert_eq!(counter.points(&frozen).await, 500);
    assert_eq!(counter.redemptions().await, 1);
}

fn offline_redemption(counter: &Counter<'_>, member: &str, item: &str, quantity: i64) -> Value {
    json!({ "kind": "redeem", "offline": true, "redemption": { "id": Uuid::now_v7(),
        "member_id": member, "store_id": counter.store,
        "lines": [{ "item_id": item, "quantity": quantity }],
        "occurred_at": "2026-01-01T10:00:00Z" } })
}

async fn offline_story(counter: &Counter<'_>, kettle: &str) {
    let server = counter.server;
    let member = server.member_id("13900139000").await;
    counter.give_points(&member, 400, 200).await;
    // Setting the PIN gives the member the verifier a till checks offline.
    counter.set_pin(&member, "582047").await;
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    // Recorded once, however often it is sent.
    let batch = json!({ "device_id": first, "commands": [offline_redemption(counter, &member, kettle, 2)] });
    let answer = counter.push(&batch).await;
    assert_eq!(statuses(&answer), ["created"], "{answer}");
    assert_eq!(answer["results"][0]["receipt"]["points"], 240);
    assert_eq!(answer["balances"][0]["member_id"], member);
    assert_eq!(answer["balances"][0]["balances"]["points"], 160);
    let again = counter.push(&batch).await;
    assert_eq!(statuses(&again), ["exists"], "{again}");
    assert_eq!(
        again["results"][0]["receipt"],
        answer["results"][0]["receipt"]
    );
    assert_eq!(counter.points(&member).await, 160);
    let device: Option<String> =
        sqlx::query_scalar("SELECT device_id FROM redemptions WHERE id = $1")
            .bind(batch["commands"][0]["redemption"]["id"].as_str())
            .fetch_one(&server.db.pool)
            .await
            .expect("redemption");
    assert_eq!(device, Some(first.to_string()));

    // Three kettles are 360 points, over the 300 a member may redeem offline.
    let answer = counter
        .push(&json!({ "device_id": first,
            "commands": [offline_redemption(counter, &member, kettle, 3)] }))
        .await;
    assert_eq!(statuses(&answer), ["rejected"], "{answer}");
    let error = &answer["results"][0]["error"];
    assert_eq!(error["code"], "offline_limit_exceeded");
    assert_eq!(field_of(error), ("lines", "offline_limit_exceeded"));

    // Two tablets each redeem a kettle offline from the 160 points both last saw: both
    // stand, the second 80 points short, flagged for HQ.
    let answer = counter
        .push(&json!({ "device_id": first,
            "commands": [offline_redemption(counter, &member, kettle, 1)] }))
        .await;
    assert_eq!(statuses(&answer), ["created"], "{answer}");
    let overdrawing = offline_redemption(counter, &member, kettle, 1);
    let answer = counter
        .push(&json!({ "device_id": second, "commands": [overdrawing.clone()] }))
        .await;
    assert_eq!(statuses(&answer), ["conflict"], "{answer}");
    let result = &answer["results"][0];
    assert_eq!(result["error"]["code"], "offline_overdraft");
    assert_eq!(result["error"]["details"]["shortfall_points"], 80);
    assert_eq!(result["receipt"]["balances"]["points"], -80);
    assert_eq!(counter.points(&member).await, -80);
    let again = counter
        .push(&json!({ "device_id": second, "commands": [overdrawing.clone()] }))
        .await;
    assert_eq!(statuses(&again), ["exists"], "{again}");
    assert_eq!(counter.points(&member).await, -80);

    let (status, open) = call(
        counter
            .client
            .get(server.url("/api/v1/sync/conflicts?open=true"))
            .bearer_auth(&counter.admin),
    )
    .await;
    assert_eq!(status, 200, "{open}");
    let open = open.as_array().cloned().unwrap_or_default();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["redemption_id"], overdrawing["redemption"]["id"]);
    assert_eq!(open[0]["sale_id"], Value::Null);
    assert_eq!(open[0]["receipt_no"], result["receipt"]["receipt_no"]);
    assert_eq!(open[0]["member_id"], member);
    assert_eq!(open[0]["device_id"], second.to_string());
    assert_eq!(open[0]["shortfall_points"], 80);
    assert_eq!(open[0]["shortfall_fen"], 0);
    assert!(open[0]["occurred_at"]
        .as_str()
        .is_some_and(|at| at.starts_with("2026-01-01")));

    // Online nothing more can be redeemed.
    let (status, body) = counter
        .redeem(
            &json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": counter.store,
            "lines": [{ "item_id": kettle, "quantity": 1 }], "pin": "582047" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "insufficient_balance");
}
