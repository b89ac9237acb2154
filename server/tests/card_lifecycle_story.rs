//! Member cards on SQLite and PostgreSQL, from HQ's stock to a closed card: HQ makes a
//! batch and hands part of it to a store, where the cashier issues cards from the store's
//! stock only; a lost card is refused until found, a reissued card's old number is
//! refused at once while the balances stay; a frozen card cannot spend and a frozen member
//! can neither spend nor earn; the member's QR code names them once and only within its
//! minute, also when two tills race for it; a card moves to another member; closing a
//! card refunds the principal and forfeits the bonus; merging a duplicate moves every
//! balance exactly, points lot by lot with their expiry, and is done once. The ledger's
//! invariants hold after each part.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::audit::{self, ChainCheck};
use serde_json::{json, Value};
use sqlx::Row;

#[tokio::test]
async fn card_lifecycle_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    card_lifecycle_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn card_lifecycle_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    card_lifecycle_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_full_batch_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    a_full_batch(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_full_batch_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    a_full_batch(&server).await;
    server.stop().await;
}

/// The largest batch, 10,000 cards, is made in one piece with distinct Luhn-checked
/// numbers, and all of it goes to a store in one hand-over; one card more is refused.
async fn a_full_batch(server: &TestServer) {
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let hq = server.store_id("HQ").await;
    let s002 = server.store_id("S002").await;
    let batch_id = uuid::Uuid::now_v7();
    let (status, batch) = call(
        client
            .post(server.url("/api/v1/card-batches"))
            .bearer_auth(&admin)
            .json(&json!({ "id": batch_id, "store_id": hq, "count": 10_000, "medium": "ic" })),
    )
    .await;
    assert_eq!(status, 201, "{batch}");
    let (status, too_many) = call(
        client
            .post(server.url("/api/v1/card-batches"))
            .bearer_auth(&admin)
            .json(&json!({ "id": uuid::Uuid::now_v7(), "store_id": hq, "count": 10_001, "medium": "ic" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(too_many["details"]["fields"][0]["field"], "count");
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT card_no FROM member_cards WHERE batch_id = $1")
            .bind(batch_id.to_string())
            .fetch_all(&server.db.pool)
            .await
            .expect("cards");
    let distinct: std::collections::HashSet<&String> = numbers.iter().collect();
    assert_eq!((numbers.len(), distinct.len()), (10_000, 10_000));
    assert!(numbers
        .iter()
        .all(|n| huiyuan_shared::card::normalize_card_no("card_no", n).is_ok()));
    let (status, handover) = call(
        client
            .post(server.url("/api/v1/card-handovers"))
            .bearer_auth(&admin)
            .json(
                &json!({ "id": uuid::Uuid::now_v7(), "from_store_id": hq, "to_store_id": s002,
                           "batch_id": batch_id, "count": 10_000 }),
            ),
    )
    .await;
    assert_eq!(status, 201, "{handover}");
    assert_eq!(handover["card_nos"].as_array().map(Vec::len), Some(10_000));
    let at_s002: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM member_cards WHERE batch_id = $1 AND location_id = $2 AND state = 'in_stock'",
    )
    .bind(batch_id.to_string())
    .bind(&s002)
    .fetch_one(&server.db.pool)
    .await
    .expect("count");
    assert_eq!(at_s002, 10_000);
}

/// Who is at work: HQ's admin, the region's manager and the S001 cashier.
struct Cast<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    admin: String,
    manager: String,
    cashier: String,
    hq: String,
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

    async fn lookup(&self, card: &str) -> (u16, Value) {
        let card = card.replace('+', "%2B");
        self.get(
            &self.cashier,
            &format!("/api/v1/members/by-card?card={card}"),
        )
        .await
    }

    /// A cash sale of ¥10 naming the member by what was scanned.
    async fn sale_by_card(&self, id: uuid::Uuid, card: &str) -> (u16, Value) {
        self.post(
            &self.cashier,
            "/api/v1/sales",
            json!({ "id": id, "store_id": self.s001, "member_card": card, "amount_fen": 1_000,
                    "payments": [{ "method": "cash", "amount_fen": 1_000 }] }),
        )
        .await
    }

    /// A sale of `amount` paid from the member's stored value.
    async fn spend_by_card(&self, card: &str, amount: i64) -> (u16, Value) {
        self.post(
            &self.cashier,
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": self.s001, "member_card": card,
                    "amount_fen": amount,
                    "payments": [{ "method": "stored_value", "amount_fen": amount }] }),
        )
        .await
    }

    async fn topup(&self, member: &str, amount_fen: i64) -> (u16, Value) {
        self.post(
            &self.cashier,
            "/api/v1/topups",
            json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": self.s001,
                    "amount_fen": amount_fen, "tender": "cash" }),
        )
        .await
    }

    async fn balances(&self, member: &str) -> Value {
        let (status, page) = self
            .get(&self.admin, &format!("/api/v1/members/{member}/ledger"))
            .await;
        assert_eq!(status, 200, "{page}");
        page["balances"].clone()
    }
}

/// The first field error of a refusal: (status, code, field, field code).
fn refusal(answer: &(u16, Value)) -> (u16, String, String, String) {
    let (status, body) = answer;
    let field = &body["details"]["fields"][0];
    (
        *status,
        body["code"].as_str().unwrap_or_default().to_owned(),
        field["field"].as_str().unwrap_or_default().to_owned(),
        field["code"].as_str().unwrap_or_default().to_owned(),
    )
}

fn refused(status: u16, field: &str, code: &str) -> (u16, String, String, String) {
    let top = if status == 400 { "invalid_input" } else { code };
    (status, top.to_owned(), field.to_owned(), code.to_owned())
}

async fn card_lifecycle_story(server: &TestServer) {
    let cast = Cast {
        server,
        client: reqwest::Client::new(),
        admin: server.token("admin", "demo1234").await,
        manager: server.token("manager", "demo1234").await,
        cashier: server.token("cashier", "demo1234").await,
        hq: server.store_id("HQ").await,
        s001: server.store_id("S001").await,
        s002: server.store_id("S002").await,
    };
    // Top-ups of ¥500 and more get ¥50 of bonus.
    let (status, saved) = call(
        cast.client
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&cast.admin)
            .json(&json!({ "version": 0,
                "topup_plans": [{ "id": "topup-500", "name": "充500送50", "enabled": true,
                    "tiers": [{ "threshold": 50_000, "bonus": { "type": "fixed", "amount": 5_000 } }] }] })),
    )
    .await;
    assert_eq!(status, 200, "{saved}");

    let stock = stock_flows_from_hq_to_a_store(&cast).await;
    invariants::check(&server.db).await;
    let cards = a_store_issues_only_its_own_stock(&cast, &stock).await;
    lost_and_reissued_cards_stop_working_at_once(&cast, &stock, &cards).await;
    invariants::check(&server.db).await;
    frozen_cards_and_members_are_refused(&cast, &cards).await;
    invariants::check(&server.db).await;
    the_qr_code_names_the_member_once_within_its_minute(&cast).await;
    invariants::check(&server.db).await;
    a_card_moves_to_another_member(&cast, &cards).await;
    closing_a_card_refunds_the_principal(&cast).await;
    invariants::check(&server.db).await;
    merging_moves_every_balance_exactly_once(&cast).await;
    invariants::check(&server.db).await;
    assert!(matches!(
        audit::verify(&server.db).await.expect("verify"),
        ChainCheck::Intact { .. }
    ));
}

/// What the stock part leaves for the others: the batch and the cards at S001.
struct Stock {
    at_s001: Vec<String>,
}

/// HQ makes a batch of 20; bad batches name every bad field; the cashier may not make
/// one; 5 cards go to S001 in the batch's order and 2 to S002; a card not at the source
/// and more cards than are left are refused whole; the counts follow.
async fn stock_flows_from_hq_to_a_store(cast: &Cast<'_>) -> Stock {
    let batch_id = uuid::Uuid::now_v7();
    let request = json!({ "id": batch_id, "store_id": cast.hq, "count": 20,
                          "medium": "barcode", "prefix": "88" });
    let (status, batch) = cast
        .post(&cast.admin, "/api/v1/card-batches", request.clone())
        .await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!(batch["count"], 20);
    let first = batch["first_card_no"]
        .as_str()
        .expect("first card")
        .to_owned();
    assert!(first.starts_with("88") && first.len() == 12);
    assert!(huiyuan_shared::check_digit::is_valid(&first));
    let (status, again) = cast
        .post(&cast.admin, "/api/v1/card-batches", request)
        .await;
    assert_eq!(
        (status, &again),
        (200, &batch),
        "a replay answers the same batch"
    );

    let (status, bad) = cast
        .post(
            &cast.admin,
            "/api/v1/card-batches",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": cast.hq, "count": 0,
                    "medium": "virtual", "prefix": "12345" }),
        )
        .await;
    assert_eq!(status, 400);
    let mut fields: Vec<&str> = bad["details"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|field| field["field"].as_str().expect("field"))
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["count", "medium", "prefix"]);
    let (status, _) = cast
        .post(
            &cast.cashier,
            "/api/v1/card-batches",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": cast.hq, "count": 1, "medium": "ic" }),
        )
        .await;
    assert_eq!(status, 403, "stock is HQ's to make");

    let to_s001 = json!({ "id": uuid::Uuid::now_v7(), "from_store_id": cast.hq,
                          "to_store_id": cast.s001, "batch_id": batch_id, "count": 5 });
    let (status, handover) = cast
        .post(&cast.admin, "/api/v1/card-handovers", to_s001.clone())
        .await;
    assert_eq!(status, 201, "{handover}");
    let (status, again) = cast
        .post(&cast.admin, "/api/v1/card-handovers", to_s001)
        .await;
    assert_eq!(
        (status, &again),
        (200, &handover),
        "a replay moves nothing more"
    );
    let at_s001: Vec<String> = serde_json::from_value(handover["card_nos"].clone()).expect("cards");
    assert_eq!(at_s001.len(), 5);
    assert_eq!(at_s001[0], first, "the batch's order");
    let (status, to_s002) = cast
        .post(
            &cast.admin,
            "/api/v1/card-handovers",
            json!({ "id": uuid::Uuid::now_v7(), "from_store_id": cast.hq, "to_store_id": cast.s002,
                    "batch_id": batch_id, "count": 2 }),
        )
        .await;
    assert_eq!(status, 201, "{to_s002}");
    // A card already at S001 cannot leave HQ again; too many cards are refused whole.
    let answer = cast
        .post(
            &cast.admin,
            "/api/v1/card-handovers",
            json!({ "id": uuid::Uuid::now_v7(), "from_store_id": cast.hq, "to_store_id": cast.s002,
                    "card_nos": [at_s001[1]] }),
        )
        .await;
    assert_eq!(
        refusal(&answer),
        refused(400, "card_nos[0]", "card_not_here")
    );
    let answer = cast
        .post(
            &cast.admin,
            "/api/v1/card-handovers",
            json!({ "id": uuid::Uuid::now_v7(), "from_store_id": cast.hq, "to_store_id": cast.s002,
                    "batch_id": batch_id, "count": 14 }),
        )
        .await;
    assert_eq!(refusal(&answer), refused(422, "count", "not_enough_stock"));
    assert_eq!(answer.1["details"]["available"], 13);

    let (status, summary) = cast.get(&cast.admin, "/api/v1/card-stock").await;
    assert_eq!(status, 200, "{summary}");
    let held = |store: &str| -> i64 {
        summary["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|row| row["location_id"] == store && row["state"] == "in_stock")
            .map(|row| row["cards"].as_i64().expect("cards"))
            .sum()
    };
    assert_eq!(
        (held(&cast.hq), held(&cast.s001), held(&cast.s002)),
        (13, 5, 2)
    );
    assert_eq!(summary["batches"][0]["id"], batch_id.to_string());
    let (status, card) = cast
        .get(&cast.cashier, &format!("/api/v1/cards/{}", at_s001[0]))
        .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(
        (&card["state"], &card["location_name"]),
        (&json!("in_stock"), &json!("上海南京路店"))
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('card.batch_create', 'card.handover')",
    )
    .fetch_one(&cast.server.db.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 3);
    let answer = cast.sale_by_card(uuid::Uuid::now_v7(), &at_s001[4]).await;
    assert_eq!(
        refusal(&answer),
        refused(422, "member_card", "card_in_stock"),
        "a stock card names no one"
    );
    Stock { at_s001 }
}

/// The members' cards the later parts use.
struct Cards {
    zhang: String,
    zhang_id: String,
    li_virtual: String,
    li_id: String,
}

/// The cashier issues a card of S001's stock; a card kept at S002 and a card already
/// issued are refused; a virtual card gets a number starting with 9; the card names its
/// member at the till and in search.
async fn a_store_issues_only_its_own_stock(cast: &Cast<'_>, stock: &Stock) -> Cards {
    let zhang_id = cast.server.member_id("13800138000").await;
    let li_id = cast.server.member_id("13900139000").await;
    let (status, card) = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": zhang_id, "store_id": cast.s001, "card_no": stock.at_s001[0] }),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    assert_eq!(
        (&card["state"], &card["member_name"], &card["medium"]),
        (&json!("active"), &json!("张三丰"), &json!("barcode"))
    );
    let s002_card: String = sqlx::query_scalar(
        "SELECT card_no FROM member_cards WHERE location_id = $1 AND state = 'in_stock' LIMIT 1",
    )
    .bind(&cast.s002)
    .fetch_one(&cast.server.db.pool)
    .await
    .expect("a card at S002");
    let answer = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": zhang_id, "store_id": cast.s001, "card_no": s002_card }),
        )
        .await;
    assert_eq!(refusal(&answer), refused(422, "card_no", "card_not_here"));
    let (status, _) = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": zhang_id, "store_id": cast.s002, "card_no": s002_card }),
        )
        .await;
    assert_eq!(status, 403, "S002 lies outside the cashier's scope");
    let answer = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": li_id, "store_id": cast.s001, "card_no": stock.at_s001[0] }),
        )
        .await;
    assert_eq!(
        refusal(&answer),
        refused(422, "card_no", "card_not_in_stock")
    );
    let mut typo = stock.at_s001[1].clone().into_bytes();
    typo[5] = if typo[5] == b'9' { b'0' } else { typo[5] + 1 };
    let answer = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": li_id, "store_id": cast.s001,
                    "card_no": String::from_utf8(typo).expect("digits") }),
        )
        .await;
    assert_eq!(refusal(&answer), refused(400, "card_no", "bad_check_digit"));
    let (status, virtual_card) = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": li_id, "store_id": cast.s001 }),
        )
        .await;
    assert_eq!(status, 201, "{virtual_card}");
    let li_virtual = virtual_card["card_no"].as_str().expect("number").to_owned();
    assert!(li_virtual.starts_with('9') && li_virtual.len() == 12);
    assert_eq!(virtual_card["medium"], "virtual");

    let zhang = stock.at_s001[0].clone();
    let (status, sale) = cast.sale_by_card(uuid::Uuid::now_v7(), &zhang).await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["member_id"], zhang_id.as_str());
    let (status, found) = cast.lookup(&zhang).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (
            &found["via"],
            &found["member"]["name"],
            &found["card"]["state"]
        ),
        (&json!("card"), &json!("张三丰"), &json!("active"))
    );
    let (status, page) = cast
        .get(&cast.cashier, &format!("/api/v1/members?q={zhang}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["members"][0]["name"], "张三丰");
    Cards {
        zhang,
        zhang_id,
        li_virtual,
        li_id,
    }
}

/// A lost card is refused at the till and at the lookup until found; reissued, the old
/// number is refused at once (naming its successor), the new one works and the balances
/// are where they were; a replaced card cannot be found or reissued again.
async fn lost_and_reissued_cards_stop_working_at_once(
    cast: &Cast<'_>,
    stock: &Stock,
    cards: &Cards,
) {
    let (status, _) = cast.topup(&cards.zhang_id, 20_000).await;
    assert_eq!(status, 201);
    // A sale made with the card before it was lost, whose answer the till never got.
    let sold_before = uuid::Uuid::now_v7();
    let (status, first) = cast.sale_by_card(sold_before, &cards.zhang).await;
    assert_eq!(status, 201, "{first}");
    let (status, lost) = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/cards/{}/lost", cards.zhang),
            json!({ "reason": "顾客电话挂失" }),
        )
        .await;
    assert_eq!(status, 403, "the cashier may not report cards lost: {lost}");
    let (status, lost) = cast
        .post(
            &cast.manager,
            &format!("/api/v1/cards/{}/lost", cards.zhang),
            json!({ "reason": "顾客电话挂失" }),
        )
        .await;
    assert_eq!((status, &lost["state"]), (200, &json!("lost")), "{lost}");
    let answer = cast.sale_by_card(uuid::Uuid::now_v7(), &cards.zhang).await;
    assert_eq!(refusal(&answer), refused(422, "member_card", "card_lost"));
    // Resent now, that sale gets its receipt again, not a refusal that would have the
    // cashier ring it up twice.
    let (status, again) = cast.sale_by_card(sold_before, &cards.zhang).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["receipt_no"], first["receipt_no"]);
    assert_eq!(
        refusal(&cast.lookup(&cards.zhang).await),
        refused(422, "card", "card_lost")
    );
    let (status, found) = cast
        .post(
            &cast.manager,
            &format!("/api/v1/cards/{}/found", cards.zhang),
            json!({}),
        )
        .await;
    assert_eq!((status, &found["state"]), (200, &json!("active")));
    let (status, _) = cast.sale_by_card(uuid::Uuid::now_v7(), &cards.zhang).await;
    assert_eq!(status, 201, "found again, the card sells");

    let before = cast.balances(&cards.zhang_id).await;
    let (status, _) = cast
        .post(
            &cast.manager,
            &format!("/api/v1/cards/{}/lost", cards.zhang),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, reissued) = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/cards/{}/reissue", cards.zhang),
            json!({ "store_id": cast.s001, "card_no": stock.at_s001[1], "reason": "遗失补卡" }),
        )
        .await;
    assert_eq!(status, 200, "{reissued}");
    assert_eq!(reissued["old"]["state"], "replaced");
    assert_eq!(reissued["old"]["replaced_by"], stock.at_s001[1].as_str());
    assert_eq!(reissued["new"]["state"], "active");
    assert_eq!(reissued["new"]["member_id"], cards.zhang_id.as_str());
    let answer = cast.spend_by_card(&cards.zhang, 1_000).await;
    assert_eq!(
        refusal(&answer),
        refused(422, "member_card", "card_replaced")
    );
    assert_eq!(
        answer.1["details"]["replaced_by"],
        stock.at_s001[1].as_str()
    );
    assert_eq!(
        cast.balances(&cards.zhang_id).await,
        before,
        "balances stay"
    );
    let (status, spent) = cast.spend_by_card(&stock.at_s001[1], 1_000).await;
    assert_eq!(status, 201, "{spent}");
    assert_eq!(spent["member_id"], cards.zhang_id.as_str());
    let answer = cast
        .post(
            &cast.manager,
            &format!("/api/v1/cards/{}/found", cards.zhang),
            json!({}),
        )
        .await;
    assert_eq!(refusal(&answer), refused(422, "card_no", "card_replaced"));
    let answer = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/cards/{}/reissue", cards.zhang),
            json!({ "store_id": cast.s001 }),
        )
        .await;
    assert_eq!(refusal(&answer), refused(422, "card_no", "card_replaced"));
    // 换卡: the worn plastic card becomes a virtual one.
    let (status, replaced) = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/cards/{}/replace", stock.at_s001[1]),
            json!({ "store_id": cast.s001, "reason": "卡面磨损" }),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["new"]["medium"], "virtual");
    let (status, held) = cast
        .get(
            &cast.cashier,
            &format!("/api/v1/members/{}/cards", cards.zhang_id),
        )
        .await;
    assert_eq!(status, 200);
    let mut states: Vec<&str> = held
        .as_array()
        .expect("cards")
        .iter()
        .map(|card| card["state"].as_str().expect("state"))
        .collect();
    states.sort_unstable();
    assert_eq!(states, ["active", "replaced", "replaced"]);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity = 'member_card' ORDER BY seq",
    )
    .fetch_all(&cast.server.db.pool)
    .await
    .unwrap_or_default();
    for action in [
        "card.issue",
        "card.report_lost",
        "card.found",
        "card.reissue",
        "card.replace",
    ] {
        assert!(
            audited.iter().any(|a| a == action),
            "{action} in {audited:?}"
        );
    }
}

/// A frozen card cannot spend until unfrozen; a frozen member can neither top up, nor
/// spend, nor earn, by card or by id, and the lookup says so.
async fn frozen_cards_and_members_are_refused(cast: &Cast<'_>, cards: &Cards) {
    let (status, _) = cast.topup(&cards.li_id, 10_000).await;
    assert_eq!(status, 201);
    let (status, frozen) = cast
        .post(
            &cast.manager,
            &format!("/api/v1/cards/{}/freeze", cards.li_virtual),
            json!({ "reason": "疑似盗刷" }),
        )
        .await;
    assert_eq!((status, &frozen["state"]), (200, &json!("frozen")));
    let answer = cast.spend_by_card(&cards.li_virtual, 2_000).await;
    assert_eq!(refusal(&answer), refused(422, "member_card", "card_frozen"));
    let answer = cast
        .post(
            &cast.manager,
            &format!("/api/v1/cards/{}/lost", cards.li_virtual),
            json!({}),
        )
        .await;
    assert_eq!(refusal(&answer), refused(422, "card_no", "card_frozen"));
    let (status, _) = cast
        .post(
            &cast.manager,
            &format!("/api/v1/cards/{}/unfreeze", cards.li_virtual),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, spent) = cast.spend_by_card(&cards.li_virtual, 2_000).await;
    assert_eq!(status, 201, "{spent}");

    let wang = cast.server.member_id("13700137000").await;
    let (status, _) = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/members/{wang}/freeze"),
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "freezing members takes card.freeze");
    // Visits bought before the freeze cannot be used while it lasts.
    let (status, count_card) = cast
        .post(
            &cast.cashier,
            "/api/v1/countcards",
            json!({ "id": uuid::Uuid::now_v7(), "member_id": wang, "store_id": cast.s001,
                    "service_name": "洗车", "visits": 3, "price_fen": 6_000, "tender": "cash" }),
        )
        .await;
    assert_eq!(status, 201, "{count_card}");
    let count_card_id = count_card["id"].as_str().expect("count card id").to_owned();
    let (status, member) = cast
        .post(
            &cast.manager,
            &format!("/api/v1/members/{wang}/freeze"),
            json!({ "reason": "会员申请冻结" }),
        )
        .await;
    assert_eq!((status, &member["frozen"]), (200, &json!(true)), "{member}");
    let answer = cast.topup(&wang, 10_000).await;
    assert_eq!(refusal(&answer), refused(422, "member_id", "member_frozen"));
    let answer = cast
        .post(
            &cast.cashier,
            "/api/v1/sales",
            json!({ "id": uuid::Uuid::now_v7(), "store_id": cast.s001, "member_id": wang,
                    "amount_fen": 5_000, "payments": [{ "method": "cash", "amount_fen": 5_000 }] }),
        )
        .await;
    assert_eq!(
        refusal(&answer),
        refused(422, "member_id", "member_frozen"),
        "a frozen member earns nothing"
    );
    let answer = cast.sale_by_card(uuid::Uuid::now_v7(), "13700137000").await;
    assert_eq!(
        refusal(&answer),
        refused(422, "member_card", "member_frozen")
    );
    assert_eq!(
        refusal(&cast.lookup("13700137000").await),
        refused(422, "card", "member_frozen")
    );
    let answer = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/countcards/{count_card_id}/uses"),
            json!({ "id": uuid::Uuid::now_v7(), "store_id": cast.s001 }),
        )
        .await;
    assert_eq!(
        refusal(&answer),
        refused(422, "count_card_id", "member_frozen"),
        "a frozen member uses no visits"
    );
    let (status, member) = cast
        .post(
            &cast.manager,
            &format!("/api/v1/members/{wang}/unfreeze"),
            json!({}),
        )
        .await;
    assert_eq!((status, &member["frozen"]), (200, &json!(false)));
    let (status, _) = cast.topup(&wang, 10_000).await;
    assert_eq!(status, 201, "unfrozen, the member tops up again");
}

/// The member's phone gets a signed code; the lookup shows the member without using it;
/// a sale uses it, the same sale sent again is answered as before, any other use is
/// refused; a lapsed, altered or raced code is refused; a refused sale leaves it usable.
async fn the_qr_code_names_the_member_once_within_its_minute(cast: &Cast<'_>) {
    let (status, login) = call(
        cast.client
            .post(cast.server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "13800138000", "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let member_token = login["token"].as_str().expect("token").to_owned();
    let fresh_code = || async {
        let (status, code) = cast
            .post(&member_token, "/api/v1/member/qr", json!({}))
            .await;
        assert_eq!(status, 200, "{code}");
        assert_eq!(code["lifetime_seconds"], 60);
        code["token"].as_str().expect("token").to_owned()
    };
    let (status, _) = cast
        .post(&cast.cashier, "/api/v1/member/qr", json!({}))
        .await;
    assert_eq!(status, 401, "a staff session is not a member's");
    let zhang_id = cast.server.member_id("13800138000").await;

    let code = fresh_code().await;
    assert!(code.starts_with("HY"));
    let (status, found) = cast.lookup(&code).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (&found["via"], &found["member"]["id"]),
        (&json!("qr"), &json!(zhang_id))
    );
    let sale_id = uuid::Uuid::now_v7();
    let (status, sale) = cast.sale_by_card(sale_id, &code).await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["member_id"], zhang_id.as_str());
    let (status, again) = cast.sale_by_card(sale_id, &code).await;
    assert_eq!(
        (status, &again["receipt_no"]),
        (200, &sale["receipt_no"]),
        "a replay"
    );
    let answer = cast.sale_by_card(uuid::Uuid::now_v7(), &code).await;
    assert_eq!(refusal(&answer), refused(422, "member_card", "qr_used"));
    assert_eq!(
        refusal(&cast.lookup(&code).await),
        refused(422, "card", "qr_used")
    );

    // Altered: one hex digit of the member id changed.
    let mut altered = code.clone().into_bytes();
    altered[40] = if altered[40] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).expect("ascii");
    let answer = cast.sale_by_card(uuid::Uuid::now_v7(), &altered).await;
    assert_eq!(refusal(&answer), refused(422, "member_card", "qr_invalid"));

    // Made two minutes ago: lapsed a minute ago.
    let lapsed = {
        let mut connection = cast.server.db.pool.acquire().await.expect("connection");
        let member = zhang_id.parse().expect("member id");
        let now = huiyuan_server::db::now_ms();
        huiyuan_server::card::qr::issue_at(&mut connection, member, now - 120_000)
            .await
            .expect("a lapsed code")
            .token
    };
    let answer = cast.sale_by_card(uuid::Uuid::now_v7(), &lapsed).await;
    assert_eq!(refusal(&answer), refused(422, "member_card", "qr_expired"));
    assert_eq!(
        refusal(&cast.lookup(&lapsed).await),
        refused(422, "card", "qr_expired")
    );

    // A sale refused for another reason leaves the code usable.
    let code = fresh_code().await;
    let answer = cast.spend_by_card(&code, 10_000_000).await;
    assert_eq!(answer.0, 422, "{}", answer.1);
    assert_eq!(answer.1["code"], "insufficient_balance");
    let (status, _) = cast.sale_by_card(uuid::Uuid::now_v7(), &code).await;
    assert_eq!(status, 201);

    // Two tills scan the same code at once: one sale gets it.
    let code = fresh_code().await;
    let (first, second) = tokio::join!(
        cast.sale_by_card(uuid::Uuid::now_v7(), &code),
        cast.sale_by_card(uuid::Uuid::now_v7(), &code)
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 422], "{} / {}", first.1, second.1);
    let loser = if first.0 == 422 { &first } else { &second };
    assert_eq!(refusal(loser), refused(422, "member_card", "qr_used"));
    let secrets: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM server_secrets WHERE name = 'member_qr_hmac'")
            .fetch_one(&cast.server.db.pool)
            .await
            .expect("secrets");
    assert_eq!(secrets, 1, "one key, made once");
}

/// 转卡: the virtual card now names 欧阳娜娜; the balances stay with each member.
async fn a_card_moves_to_another_member(cast: &Cast<'_>, cards: &Cards) {
    let ouyang = cast.server.member_id("13600136000").await;
    let li_before = cast.balances(&cards.li_id).await;
    let (status, moved) = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/cards/{}/transfer", cards.li_virtual),
            json!({ "member_id": ouyang, "reason": "转给家人" }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["member_name"], "欧阳娜娜");
    let (status, found) = cast.lookup(&cards.li_virtual).await;
    assert_eq!((status, &found["member"]["id"]), (200, &json!(ouyang)));
    assert_eq!(cast.balances(&cards.li_id).await, li_before);
    let answer = cast
        .post(
            &cast.cashier,
            &format!("/api/v1/cards/{}/transfer", cards.li_virtual),
            json!({ "member_id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_eq!(
        refusal(&answer),
        refused(400, "member_id", "unknown_member")
    );
}

/// The cash in S001's till. The store's account mirrors what members hold with the
/// opposite sign, so money taken in makes its balance negative.
async fn till(cast: &Cast<'_>) -> i64 {
    -sqlx::query("SELECT balance FROM accounts WHERE id = $1")
        .bind(format!("store:{}:cash", cast.s001))
        .fetch_one(&cast.server.db.pool)
        .await
        .expect("cash")
        .try_get::<i64, _>("balance")
        .expect("balance")
}

/// 退卡 with a refund: the whole principal goes back in cash and the bonus is forfeited,
/// in one command that a replay answers again without paying twice; the card is closed
/// and refused at the till; the cashier may not close cards.
async fn closing_a_card_refunds_the_principal(cast: &Cast<'_>) {
    let member = cast.server.member_id("15000150000").await;
    let (status, card) = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": member, "store_id": cast.s001 }),
        )
        .await;
    assert_eq!(status, 201);
    let card_no = card["card_no"].as_str().expect("card").to_owned();
    let (status, topup) = cast.topup(&member, 60_000).await;
    assert_eq!((status, &topup["bonus_fen"]), (201, &json!(5_000)));
    let (status, spent) = cast.spend_by_card(&card_no, 13_000).await;
    assert_eq!(status, 201, "{spent}");
    let before = cast.balances(&member).await;
    let principal = before["principal_fen"].as_i64().expect("principal");
    let bonus = before["bonus_fen"].as_i64().expect("bonus");
    assert_eq!(principal + bonus, 65_000 - 13_000);
    let till_before = till(cast).await;

    let close = json!({ "id": uuid::Uuid::now_v7(), "store_id": cast.s001, "refund": true,
                        "tender": "cash", "reason": "会员退卡" });
    let path = format!("/api/v1/cards/{card_no}/close");
    let (status, _) = cast.post(&cast.cashier, &path, close.clone()).await;
    assert_eq!(status, 403, "closing takes card.close");
    let answer = cast
        .post(
            &cast.manager,
            &path,
            json!({ "id": uuid::Uuid::now_v7(), "store_id": cast.s001,
                                             "refund": true, "reason": " " }),
        )
        .await;
    assert_eq!(answer.0, 400);
    assert_eq!(
        answer.1["details"]["fields"].as_array().map(Vec::len),
        Some(2)
    );
    let (status, receipt) = cast.post(&cast.manager, &path, close.clone()).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["card"]["state"], "closed");
    assert_eq!(receipt["withdrawal"]["principal_paid_fen"], principal);
    assert_eq!(receipt["withdrawal"]["bonus_forfeited_fen"], bonus);
    assert_eq!(
        cast.balances(&member).await,
        json!({ "points": 0, "principal_fen": 0, "bonus_fen": 0 })
    );
    assert_eq!(till(cast).await, till_before - principal);
    let (status, again) = cast.post(&cast.manager, &path, close).await;
    assert_eq!(
        (status, &again),
        (200, &receipt),
        "a replay pays nothing more"
    );
    assert_eq!(till(cast).await, till_before - principal);
    let answer = cast.sale_by_card(uuid::Uuid::now_v7(), &card_no).await;
    assert_eq!(refusal(&answer), refused(422, "member_card", "card_closed"));
    let answer = cast
        .post(
            &cast.manager,
            &path,
            json!({ "id": uuid::Uuid::now_v7(), "store_id": cast.s001, "reason": "再退一次" }),
        )
        .await;
    assert_eq!(refusal(&answer), refused(422, "card_no", "card_closed"));
}

/// Merging 王菲 (the duplicate) into 李小龙: principal, bonus and each points lot move
/// with its expiry, exactly; the duplicate's card and phone now find the survivor; the
/// duplicate is archived as merged with its history readable; the merge is done once, and
/// its refusals name their fields.
async fn merging_moves_every_balance_exactly_once(cast: &Cast<'_>) {
    let duplicate = cast.server.member_id("13700137000").await;
    let survivor = cast.server.member_id("13900139000").await;
    let (status, _) = cast.topup(&duplicate, 50_000).await;
    assert_eq!(status, 201);
    let adjust = |kind: &str, points: i64, occurred: Option<&str>| {
        let mut body = json!({ "id": uuid::Uuid::now_v7(), "member_id": duplicate,
                               "store_id": cast.s001, "kind": kind, "points": points,
                               "reason": "开业活动补记" });
        if let Some(occurred) = occurred {
            body["reference"] = json!("S001-20260101-00001");
            body["occurred_at"] = json!(occurred);
        }
        body
    };
    for body in [
        adjust("adjust", 120, None),
        adjust("supplement", 80, Some("2026-06-01T10:00:00+08:00")),
    ] {
        let (status, answer) = cast
            .post(&cast.admin, "/api/v1/points/adjustments", body)
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, card) = cast
        .post(
            &cast.cashier,
            "/api/v1/cards",
            json!({ "member_id": duplicate, "store_id": cast.s001 }),
        )
        .await;
    assert_eq!(status, 201);
    let duplicate_card = card["card_no"].as_str().expect("card").to_owned();
    let lots = |member: String| async move {
        let mut lots: Vec<(i64, i64)> = sqlx::query(
            "SELECT remaining, expires_at FROM points_lots WHERE account_id = $1 AND remaining > 0",
        )
        .bind(format!("member:{member}:points"))
        .fetch_all(&cast.server.db.pool)
        .await
        .expect("lots")
        .iter()
        .map(|row| (row.get("remaining"), row.get("expires_at")))
        .collect();
        lots.sort_unstable();
        lots
    };
    let duplicate_lots = lots(duplicate.clone()).await;
    assert_eq!(duplicate_lots.len(), 2);
    assert_ne!(duplicate_lots[0].1, duplicate_lots[1].1, "two expiries");
    let survivor_lots = lots(survivor.clone()).await;
    let moved = cast.balances(&duplicate).await;
    let kept = cast.balances(&survivor).await;
    assert_eq!(
        moved,
        json!({ "points": 200, "principal_fen": 60_000, "bonus_fen": 5_000 })
    );

    let request =
        json!({ "survivor_id": survivor, "duplicate_id": duplicate, "reason": "同一人重复登记" });
    let (status, _) = cast
        .post(&cast.cashier, "/api/v1/members/merges", request.clone())
        .await;
    assert_eq!(status, 403, "merging takes member.merge");
    let (status, receipt) = cast
        .post(&cast.admin, "/api/v1/members/merges", request.clone())
        .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["moved"], moved);
    assert_eq!(receipt["points_lots_moved"], 2);
    assert_eq!(receipt["cards_moved"], json!([duplicate_card]));
    let sum = |key: &str| kept[key].as_i64().unwrap_or(0) + moved[key].as_i64().unwrap_or(0);
    let expected = json!({ "points": sum("points"), "principal_fen": sum("principal_fen"),
                           "bonus_fen": sum("bonus_fen") });
    assert_eq!(receipt["balances"], expected);
    assert_eq!(cast.balances(&survivor).await, expected);
    assert_eq!(
        cast.balances(&duplicate).await,
        json!({ "points": 0, "principal_fen": 0, "bonus_fen": 0 })
    );
    let mut after = survivor_lots.clone();
    after.extend(duplicate_lots.iter().copied());
    after.sort_unstable();
    assert_eq!(
        lots(survivor.clone()).await,
        after,
        "every lot keeps its expiry"
    );

    let (status, record) = cast
        .get(&cast.admin, &format!("/api/v1/members/{duplicate}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(record["status"], "merged");
    assert_eq!(record["merged_into"], survivor.as_str());
    assert!(record["archived_at"].is_string());
    let (status, history) = cast
        .get(&cast.admin, &format!("/api/v1/members/{duplicate}/ledger"))
        .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["kind"].as_str().expect("kind"))
        .collect();
    assert!(
        kinds.contains(&"topup") && kinds.contains(&"transfer"),
        "{kinds:?}"
    );
    let (status, found) = cast.lookup(&duplicate_card).await;
    assert_eq!((status, &found["member"]["id"]), (200, &json!(survivor)));
    let (status, found) = cast.lookup("13700137000").await;
    assert_eq!(
        (status, &found["member"]["id"]),
        (200, &json!(survivor)),
        "the duplicate's phone finds the survivor"
    );

    let (status, again) = cast
        .post(&cast.admin, "/api/v1/members/merges", request)
        .await;
    assert_eq!(
        (status, &again),
        (200, &receipt),
        "a replay moves nothing more"
    );
    let other = cast.server.member_id("13600136000").await;
    let (status, conflict) = cast
        .post(
            &cast.admin,
            "/api/v1/members/merges",
            json!({ "survivor_id": other, "duplicate_id": duplicate, "reason": "再合并一次" }),
        )
        .await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    let answer = cast
        .post(
            &cast.admin,
            "/api/v1/members/merges",
            json!({ "survivor_id": duplicate, "duplicate_id": other, "reason": "反向合并" }),
        )
        .await;
    assert_eq!(
        refusal(&answer),
        refused(400, "survivor_id", "member_merged")
    );
    let answer = cast
        .post(
            &cast.admin,
            "/api/v1/members/merges",
            json!({ "survivor_id": other, "duplicate_id": other, "reason": "自己合并自己" }),
        )
        .await;
    assert_eq!(
        refusal(&answer),
        refused(400, "duplicate_id", "same_member")
    );
    let answer = cast.topup(&duplicate, 1_000).await;
    assert_eq!(refusal(&answer), refused(422, "member_id", "member_merged"));
}
