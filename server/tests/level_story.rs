//! Membership levels on SQLite and PostgreSQL, end to end: HQ defines levels (bad fields
//! all named at once, names and tiers used once, the standard level kept the floor, a
//! held level not switched off); a member buys their way up, straight to the highest
//! level their spend reaches, and the sale after it is priced and earns at that level
//! (and a top-up bonus for that level is theirs);
//! the member is told by SMS and the history is kept; staff set a level and extend a
//! term with a reason, and a cashier may do neither; the term-end job, run twice at once
//! and then by `huiyuan levels run --as-of`, downgrades, renews a member who
//! requalified and drops one who did not, each term end once.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::db::{ms_to_rfc3339, now_ms};
use huiyuan_server::level::months::add_months;
use huiyuan_server::level::term_end;
use huiyuan_shared::level::TermEndRun;
use serde_json::{json, Value};
use sqlx::Row;

const DAY_MS: i64 = 86_400_000;

#[tokio::test]
async fn level_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    level_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn level_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    level_story(&server).await;
    server.stop().await;
}

/// The codes of a refusal's fields, in order.
fn refused_fields(body: &Value) -> Vec<(String, String)> {
    body["details"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("fields in {body}"))
        .iter()
        .map(|field| {
            (
                field["field"].as_str().expect("text").to_owned(),
                field["code"].as_str().expect("text").to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(field, code)| ((*field).to_owned(), (*code).to_owned()))
        .collect()
}

/// A wine at ¥100.00 with no member price, so a level's discount shows on it.
async fn stock_wine(server: &TestServer) -> String {
    sqlx::query(
        "INSERT INTO items (id, code, name, unit, retail_price_fen, member_price_fen, earns_points, created_at, updated_at) \
         VALUES ('item-wine', 'W001', '干红葡萄酒', '瓶', 10000, NULL, 1, $1, $1)",
    )
    .bind(now_ms())
    .execute(&server.db.writer)
    .await
    .expect("item");
    "item-wine".to_owned()
}

struct Story<'s> {
    server: &'s TestServer,
    client: reqwest::Client,
    admin: String,
    manager: String,
    cashier: String,
    store: String,
    wine: String,
}

impl Story<'_> {
    async fn sell(&self, member: &str, bottles: i64, cash_fen: i64) -> Value {
        let (status, receipt) = call(
            self.client
                .post(self.server.url("/api/v1/sales"))
                .bearer_auth(&self.cashier)
                .json(&json!({
                    "id": uuid::Uuid::now_v7(), "store_id": self.store, "member_id": member,
                    "lines": [{ "item_id": self.wine, "quantity": bottles }],
                    "payments": [{ "method": "cash", "amount_fen": cash_fen }]
                })),
        )
        .await;
        assert_eq!(status, 201, "{receipt}");
        receipt
    }

    async fn member(&self, id: &str) -> Value {
        let (status, member) = call(
            self.client
                .get(self.server.url(&format!("/api/v1/members/{id}")))
                .bearer_auth(&self.cashier),
        )
        .await;
        assert_eq!(status, 200, "{member}");
        member
    }

    /// The member's level, when they reached it and when its term ends, as stored.
    async fn standing(&self, id: &str) -> (String, Option<i64>, Option<i64>) {
        let row = sqlx::query(
            "SELECT level_id, level_since, level_expires_at FROM members WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.server.db.pool)
        .await
        .expect("member");
        (
            row.get("level_id"),
            row.get("level_since"),
            row.get("level_expires_at"),
        )
    }

    async fn history(&self, id: &str) -> Vec<(String, String, String)> {
        let (status, history) = call(
            self.client
                .get(
                    self.server
                        .url(&format!("/api/v1/members/{id}/level-history")),
                )
                .bearer_auth(&self.cashier),
        )
        .await;
        assert_eq!(status, 200, "{history}");
        history
            .as_array()
            .expect("entries")
            .iter()
            .map(|entry| {
                (
                    entry["reason"].as_str().expect("text").to_owned(),
                    entry["from_level"].as_str().unwrap_or_default().to_owned(),
                    entry["to_level"].as_str().expect("text").to_owned(),
                )
            })
            .collect()
    }

    async fn messages(&self, id: &str) -> Vec<(String, String)> {
        sqlx::query(
            "SELECT kind, body FROM notifications WHERE member_id = $1 AND kind LIKE 'level%' \
             ORDER BY created_at, id",
        )
        .bind(id)
        .fetch_all(&self.server.db.pool)
        .await
        .expect("notifications")
        .iter()
        .map(|row| (row.get("kind"), row.get("body")))
        .collect()
    }

    async fn enter_member(&self, name: &str, phone: &str) -> String {
        let (status, member) = call(
            self.client
                .post(self.server.url("/api/v1/members"))
                .bearer_auth(&self.cashier)
                .json(&json!({ "name": name, "phone": phone })),
        )
        .await;
        assert_eq!(status, 201, "{member}");
        member["id"].as_str().expect("text").to_owned()
    }

    /// `huiyuan levels run --as-of`, as an operator runs it; what it printed.
    async fn run_cli(&self, as_of: i64) -> String {
        let url = self.server.database_url.clone();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_huiyuan"))
                .args(["levels", "run", "--as-of", &ms_to_rfc3339(as_of)])
                .env("HUIYUAN_DATABASE_URL", url)
                .env("HUIYUAN_LOG", "warn")
                .output()
                .expect("run huiyuan")
        })
        .await
        .expect("join");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        text
    }
}

async fn level_story(server: &TestServer) {
    let story = Story {
        server,
        client: reqwest::Client::new(),
        admin: server.token("admin", "demo1234").await,
        manager: server.token("manager", "demo1234").await,
        cashier: server.token("cashier", "demo1234").await,
        store: server.store_id("S001").await,
        wine: stock_wine(server).await,
    };
    define_levels(&story).await;
    let rules = json!({
        "version": 0,
        "earn_rules": [{ "id": "earn-base", "name": "消费积分", "enabled": true, "points_per_yuan": "1" }],
        "topup_plans": [{ "id": "gold-topup", "name": "金卡充100送10", "enabled": true,
            "levels": ["gold"],
            "tiers": [{ "threshold": 10_000, "bonus": { "type": "fixed", "amount": 1_000 } }] }],
    });
    let (status, body) = call(
        story
            .client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&story.admin)
            .json(&rules),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (buyer, requalifier) = buy_up(&story).await;
    // A top-up bonus for gold members goes to the gold member only.
    for (member, bonus) in [(&buyer, 1_000), (&requalifier, 0)] {
        let (status, receipt) = call(
            story
                .client
                .post(server.url("/api/v1/topups"))
                .bearer_auth(&story.cashier)
                .json(&json!({ "id": uuid::Uuid::now_v7(), "member_id": member,
                    "store_id": story.store, "amount_fen": 10_000, "tender": "cash" })),
        )
        .await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["bonus_fen"], bonus, "{receipt}");
    }
    let by_hand = change_by_hand(&story).await;
    end_terms(&story, &buyer, &requalifier, &by_hand).await;
    invariants::check(&server.db).await;
}

async fn define_levels(story: &Story<'_>) {
    let server = story.server;
    let post = |token: &str, body: Value| {
        story
            .client
            .post(server.url("/api/v1/levels"))
            .bearer_auth(token)
            .json(&body)
    };
    // Every bad field is named at once, and nothing is written.
    let (status, bad) = call(post(
        &story.admin,
        json!({ "name": "", "tier": 0, "discount_bp": 500, "points_multiplier_bp": 10_000,
            "term_months": 0, "upgrade": { "metric": "spend", "threshold": 0 } }),
    ))
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(
        refused_fields(&bad),
        pairs(&[
            ("name", "required"),
            ("tier", "out_of_range"),
            ("discount_bp", "out_of_range"),
            ("term_months", "out_of_range"),
            ("upgrade.threshold", "out_of_range"),
        ])
    );
    // A cashier may read the levels but not define them.
    let (status, _) = call(post(
        &story.cashier,
        json!({ "name": "银卡", "tier": 1, "discount_bp": 9_500, "points_multiplier_bp": 12_000 }),
    ))
    .await;
    assert_eq!(status, 403);

    // Silver at ¥500 and gold at ¥1,000 within twelve months; each lasts a year. Gold
    // drops a level at term end; silver is requalified for.
    let (status, silver) = call(post(
        &story.admin,
        json!({ "id": "silver", "name": "银卡", "tier": 1, "discount_bp": 9_500,
            "points_multiplier_bp": 12_000, "term_months": 12,
            "upgrade": { "metric": "spend", "threshold": 50_000, "period_months": 12 },
            "at_term_end": "requalify" }),
    ))
    .await;
    assert_eq!(status, 201, "{silver}");
    assert_eq!(silver["members"], 0);
    let (status, gold) = call(post(
        &story.admin,
        json!({ "id": "gold", "name": "金卡", "tier": 2, "discount_bp": 9_000,
            "points_multiplier_bp": 15_000, "term_months": 12,
            "upgrade": { "metric": "spend", "threshold": 100_000, "period_months": 12 },
            "at_term_end": "downgrade" }),
    ))
    .await;
    assert_eq!(status, 201, "{gold}");
    // Diamond is given by staff only (no rule) and never reached by buying.
    let (status, diamond) = call(post(
        &story.admin,
        json!({ "id": "diamond", "name": "钻石卡", "tier": 3, "discount_bp": 8_000,
            "points_multiplier_bp": 20_000, "term_months": 12, "at_term_end": "renew" }),
    ))
    .await;
    assert_eq!(status, 201, "{diamond}");

    // A name and a tier already taken, and a code in use, are each refused.
    let (status, taken) = call(post(
        &story.admin,
        json!({ "id": "gold", "name": "金卡", "tier": 2, "discount_bp": 9_000,
            "points_multiplier_bp": 10_000 }),
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused_fields(&taken),
        pairs(&[
            ("id", "duplicate_id"),
            ("name", "duplicate_name"),
            ("tier", "duplicate_tier")
        ])
    );
    // The standard level takes no term or rule and stays on.
    let (status, standard) = call(
        story
            .client
            .put(server.url("/api/v1/levels/standard"))
            .bearer_auth(&story.admin)
            .json(
                &json!({ "name": "普通会员", "tier": 0, "discount_bp": 10_000,
                "points_multiplier_bp": 10_000, "term_months": 12, "active": false }),
            ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused_fields(&standard),
        pairs(&[
            ("term_months", "standard_no_term"),
            ("active", "standard_required")
        ])
    );
    // A level nobody holds can be switched off, and on again.
    let mut off = diamond.clone();
    off["active"] = json!(false);
    let (status, switched) = call(
        story
            .client
            .put(server.url("/api/v1/levels/diamond"))
            .bearer_auth(&story.admin)
            .json(&off),
    )
    .await;
    assert_eq!(
        (status, &switched["active"]),
        (200, &json!(false)),
        "{switched}"
    );

    let (status, levels) = call(
        story
            .client
            .get(server.url("/api/v1/levels"))
            .bearer_auth(&story.cashier),
    )
    .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = levels
        .as_array()
        .expect("levels")
        .iter()
        .map(|level| level["id"].as_str().expect("text"))
        .collect();
    assert_eq!(ids, ["standard", "silver", "gold", "diamond"]);
    assert_eq!(levels[0]["members"], 5, "the demo members start standard");
}

/// Two members buy: one straight past gold, one to silver. Returns their ids.
async fn buy_up(story: &Story<'_>) -> (String, String) {
    let server = story.server;
    let buyer = story.enter_member("李四", "13700137001").await;
    let requalifier = story.enter_member("王五", "13700137002").await;

    // ¥300 at the standard level: full price, ×1 points, no change.
    let first = story.sell(&buyer, 3, 30_000).await;
    assert_eq!(
        (&first["totals"]["amount_due"], &first["points_earned"]),
        (&json!(30_000), &json!(300))
    );
    assert_eq!(story.standing(&buyer).await.0, "standard");

    // ¥900 more takes the twelve-month spend to ¥1,200: past silver and gold at once, and
    // the member goes to gold, the highest. This sale itself was still priced at standard.
    let before = now_ms();
    let second = story.sell(&buyer, 9, 90_000).await;
    let after = now_ms();
    assert_eq!(
        (&second["totals"]["amount_due"], &second["points_earned"]),
        (&json!(90_000), &json!(900))
    );
    let (level, since, expires) = story.standing(&buyer).await;
    assert_eq!(level, "gold");
    let since = since.expect("since");
    assert!((before..=after).contains(&since));
    assert_eq!(expires, Some(add_months(since, 12)), "a year's term");
    let record = story.member(&buyer).await;
    assert_eq!(record["level_name"], "金卡");
    assert_eq!(
        record["level_expires_at"],
        json!(ms_to_rfc3339(add_months(since, 12)))
    );

    // The next sale gets gold's 9折 and ×1.5 points: ¥90 paid, 135 points.
    let third = story.sell(&buyer, 1, 9_000).await;
    assert_eq!(
        (&third["totals"]["amount_due"], &third["points_earned"]),
        (&json!(9_000), &json!(135))
    );
    assert_eq!(third["totals"]["discounts"]["level"], 1_000);
    assert_eq!(
        story.standing(&buyer).await.0,
        "gold",
        "no higher level to reach"
    );

    // The member was told once, with what gold gives; the history holds the upgrade.
    let messages = story.messages(&buyer).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "level_up");
    assert!(
        messages[0].1.contains("金卡") && messages[0].1.contains("9折"),
        "{}",
        messages[0].1
    );
    assert_eq!(
        story.history(&buyer).await,
        [("upgrade".into(), "standard".into(), "gold".into())]
    );

    // ¥600 reaches silver only.
    story.sell(&requalifier, 6, 60_000).await;
    assert_eq!(story.standing(&requalifier).await.0, "silver");

    // A level members hold cannot be switched off.
    let (status, gold) = call(
        story
            .client
            .get(server.url("/api/v1/levels"))
            .bearer_auth(&story.admin),
    )
    .await;
    assert_eq!(status, 200);
    let mut gold = gold[2].clone();
    assert_eq!((&gold["id"], &gold["members"]), (&json!("gold"), &json!(1)));
    gold["active"] = json!(false);
    let (status, in_use) = call(
        story
            .client
            .put(server.url("/api/v1/levels/gold"))
            .bearer_auth(&story.admin)
            .json(&gold),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused_fields(&in_use),
        pairs(&[("active", "level_in_use")])
    );
    (buyer, requalifier)
}

/// A manager gives a demo member gold by hand and extends it; refusals on the way.
/// Returns the member's id.
async fn change_by_hand(story: &Story<'_>) -> String {
    let server = story.server;
    let member = server.member_id("13800138000").await;
    let set = |token: &str, body: Value| {
        story
            .client
            .put(server.url(&format!("/api/v1/members/{member}/level")))
            .bearer_auth(token)
            .json(&body)
    };
    let extend = |token: &str, body: Value| {
        story
            .client
            .post(server.url(&format!("/api/v1/members/{member}/level/extensions")))
            .bearer_auth(token)
            .json(&body)
    };
    // A cashier may do neither.
    let (status, _) = call(set(
        &story.cashier,
        json!({ "level_id": "gold", "reason": "集团客户" }),
    ))
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(extend(
        &story.cashier,
        json!({ "months": 3, "reason": "老客户" }),
    ))
    .await;
    assert_eq!(status, 403);
    // A reason is needed, and a level that exists and is on.
    let (status, bad) = call(set(
        &story.manager,
        json!({ "level_id": "platinum", "reason": "" }),
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused_fields(&bad),
        pairs(&[("reason", "required"), ("level_id", "unknown_level")])
    );
    let (status, off) = call(set(
        &story.manager,
        json!({ "level_id": "diamond", "reason": "集团客户" }),
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused_fields(&off),
        pairs(&[("level_id", "inactive_level")])
    );
    // A standard member has no term to extend.
    let (status, none) = call(extend(
        &story.manager,
        json!({ "months": 3, "reason": "老客户" }),
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused_fields(&none), pairs(&[("months", "no_term")]));

    let before = now_ms();
    let (status, record) = call(set(
        &story.manager,
        json!({ "level_id": "gold", "reason": "集团客户" }),
    ))
    .await;
    let after = now_ms();
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["level_name"], "金卡");
    let (_, since, expires) = story.standing(&member).await;
    let since = since.expect("since");
    assert!((before..=after).contains(&since));
    assert_eq!(expires, Some(add_months(since, 12)));
    let (status, same) = call(set(
        &story.manager,
        json!({ "level_id": "gold", "reason": "集团客户" }),
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused_fields(&same), pairs(&[("level_id", "same_level")]));

    // 会员延期: three months on from the term's end.
    let (status, bad) = call(extend(
        &story.manager,
        json!({ "months": 0, "reason": "x" }),
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused_fields(&bad),
        pairs(&[("months", "out_of_range"), ("reason", "length")])
    );
    let (status, record) = call(extend(
        &story.manager,
        json!({ "months": 3, "reason": "老客户关怀" }),
    ))
    .await;
    assert_eq!(status, 200, "{record}");
    let (_, kept_since, extended) = story.standing(&member).await;
    assert_eq!(
        kept_since,
        Some(since),
        "an extension keeps the day gold was reached"
    );
    assert_eq!(extended, Some(add_months(add_months(since, 12), 3)));

    let (status, history) = call(
        story
            .client
            .get(server.url(&format!("/api/v1/members/{member}/level-history")))
            .bearer_auth(&story.cashier),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(history[0]["reason"], "extend");
    assert_eq!(history[0]["staff"], "manager");
    assert_eq!(history[0]["note"], "老客户关怀");
    assert_eq!(history[1]["reason"], "manual");
    assert_eq!(history[1]["to_level_name"], "金卡");
    assert_eq!(history[1]["note"], "集团客户");
    let kinds: Vec<String> = story
        .messages(&member)
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["level_up", "level_extend"]);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'member.level_change' AND entity_id = $1",
    )
    .bind(&member)
    .fetch_one(&server.db.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 2);

    // The member sees their level on their phone.
    let (status, login) = call(
        story
            .client
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "13800138000", "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["member"]["level_name"], "金卡");
    member
}

/// Term ends a year and two years on.
async fn end_terms(story: &Story<'_>, buyer: &str, requalifier: &str, by_hand: &str) {
    let state = &story.server.state;
    let gold_ends = story.standing(buyer).await.2.expect("gold term");
    let silver_ends = story.standing(requalifier).await.2.expect("silver term");
    // Thirteen months on, gold (bought) and silver have ended; the extended gold has not.
    let first = now_ms() + 400 * DAY_MS;
    let (one, other) = tokio::join!(
        term_end::run_due(&state.db, &state.writer, first),
        term_end::run_due(&state.db, &state.writer, first),
    );
    let (one, other) = (one.expect("run"), other.expect("run"));
    assert_eq!(
        TermEndRun {
            renewed: one.renewed + other.renewed,
            downgraded: one.downgraded + other.downgraded,
        },
        TermEndRun {
            renewed: 1,
            downgraded: 1
        },
        "two runs at once end each term once"
    );
    assert!(story
        .run_cli(first)
        .await
        .contains("0 renewed, 0 downgraded"));

    // Gold drops one level, to silver, for a term from gold's end.
    assert_eq!(
        story.standing(buyer).await,
        (
            "silver".to_owned(),
            Some(gold_ends),
            Some(add_months(gold_ends, 12))
        )
    );
    // Silver was requalified for: ¥600 within the year that ended with the term.
    assert_eq!(
        story.standing(requalifier).await,
        (
            "silver".to_owned(),
            story.standing(requalifier).await.1,
            Some(add_months(silver_ends, 12))
        )
    );
    assert_eq!(story.standing(by_hand).await.0, "gold");

    // Two years and a month on nobody bought again: both silvers drop to standard, and
    // the extended gold, ended too, drops to silver.
    let second = now_ms() + 770 * DAY_MS;
    let printed = story.run_cli(second).await;
    assert!(printed.contains("0 renewed, 3 downgraded"), "{printed}");
    assert_eq!(
        story.standing(buyer).await,
        ("standard".to_owned(), Some(add_months(gold_ends, 12)), None)
    );
    assert_eq!(story.standing(requalifier).await.0, "standard");
    assert_eq!(story.standing(by_hand).await.0, "silver");

    assert_eq!(
        story.history(buyer).await,
        [
            ("downgrade".into(), "silver".into(), "standard".into()),
            ("downgrade".into(), "gold".into(), "silver".into()),
            ("upgrade".into(), "standard".into(), "gold".into()),
        ]
    );
    assert_eq!(
        story.history(requalifier).await,
        [
            ("downgrade".into(), "silver".into(), "standard".into()),
            ("renew".into(), "silver".into(), "silver".into()),
            ("upgrade".into(), "standard".into(), "silver".into()),
        ]
    );
    let kinds: Vec<String> = story
        .messages(requalifier)
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["level_up", "level_renew", "level_down"]);
    let (_, body) = story.messages(buyer).await.pop().expect("message");
    assert!(body.contains("银卡会籍已到期，现为普通会员"), "{body}");
}
