//! Gift cards and count cards on SQLite and PostgreSQL.
//!
//! Gift cards: HQ makes batches (numbers random, Luhn-checked and unique; PINs answered
//! once and stored hashed), value is loaded by card number, the counter enquires with the
//! PIN, and a payment goes through `giftcard::spend` inside the writer's transaction as a
//! sale's does; five wrong PINs lock the card until the lock ends, frozen and expired
//! cards are refused, an over-spend writes nothing, replays answer the first result and
//! reused ids are conflicts; HQ's reports add up.
//!
//! Count cards: a member buys visits, uses them down to zero, the next use is refused, an
//! expired card is refused. The ledger's invariants hold after each story.

mod common;

use axum::response::IntoResponse;
use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::audit::{self, Actor, ChainCheck};
use huiyuan_server::error::AppError;
use huiyuan_server::giftcard;
use huiyuan_server::ledger::writer::Job;
use huiyuan_server::ledger::{self, PostingContext};
use huiyuan_shared::check_digit;
use serde_json::{json, Value};
use std::collections::HashSet;
use uuid::Uuid;

#[tokio::test]
async fn giftcard_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    giftcard_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn giftcard_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    giftcard_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn countcard_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    countcard_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn countcard_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    countcard_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_batch_of_ten_thousand_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    a_batch_of_ten_thousand(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_batch_of_ten_thousand_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    a_batch_of_ten_thousand(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn bulk_posting_matches_one_by_one_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    bulk_posting_matches_one_by_one(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn bulk_posting_matches_one_by_one_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    bulk_posting_matches_one_by_one(&server).await;
    server.stop().await;
}

const MINUTE_MS: i64 = 60_000;

/// A transfer's id, debit, credit, asset, amount, kind, memo, store and occurred_at.
type TransferRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);

async fn count(server: &TestServer, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&server.db.pool)
        .await
        .expect("count")
}

async fn audited(server: &TestServer, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&server.db.pool)
        .await
        .expect("audit count")
}

/// The status and JSON body an error is answered with.
async fn answer(error: AppError) -> (u16, Value) {
    let response = error.into_response();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, serde_json::from_slice(&bytes).expect("json"))
}

/// Pays with a gift card as a sale does: `giftcard::spend` inside the writer's
/// transaction, the transfers it answers posted with the sale's own, and once the
/// transaction has ended a wrong PIN counted through `count_pin_failure`. Answers the
/// card's balance after the payment.
async fn pay(
    server: &TestServer,
    card_no: &str,
    pin: &str,
    amount_fen: i64,
    store: &str,
    now: i64,
) -> Result<i64, (u16, Value)> {
    let (card_no, pin, store) = (card_no.to_owned(), pin.to_owned(), store.to_owned());
    let sale_id = Uuid::now_v7().to_string();
    let job: Job = Box::new(move |connection| {
        Box::pin(async move {
            let spent =
                giftcard::spend(connection, &card_no, &pin, amount_fen, &store, now).await?;
            let context = PostingContext {
                command_id: sale_id,
                store_id: Some(store.clone()),
                ..PostingContext::default()
            };
            ledger::post_transfers(connection, &context, &spent.transfers).await?;
            Ok(json!(spent.balance_after_fen))
        })
    });
    match server.state.writer.run(job).await {
        Ok(balance) => Ok(balance.as_i64().expect("balance")),
        Err(error) => {
            let error = giftcard::count_pin_failure(&server.state, error, &Actor::System).await;
            Err(answer(error).await)
        }
    }
}

/// Gives value back to a card as a return does.
async fn give_back(server: &TestServer, card_no: &str, amount_fen: i64, store: &str) {
    let (card_no, store) = (card_no.to_owned(), store.to_owned());
    let return_id = Uuid::now_v7().to_string();
    let job: Job = Box::new(move |connection| {
        Box::pin(async move {
            let now = huiyuan_server::db::now_ms();
            let transfers =
                giftcard::give_back(connection, &card_no, amount_fen, &store, now).await?;
            let context = PostingContext {
                command_id: return_id,
                store_id: Some(store.clone()),
                ..PostingContext::default()
            };
            ledger::post_transfers(connection, &context, &transfers).await?;
            Ok(Value::Null)
        })
    });
    server.state.writer.run(job).await.expect("given back");
}

fn cards_of(created: &Value) -> Vec<(String, String)> {
    created["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|card| {
            (
                card["card_no"].as_str().expect("card_no").to_owned(),
                card["pin"].as_str().expect("pin").to_owned(),
            )
        })
        .collect()
}

fn other_pin(pin: &str) -> String {
    if pin == "000000" {
        "000001".to_owned()
    } else {
        "000000".to_owned()
    }
}

async fn giftcard_story(server: &TestServer) {
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;
    let hq = server.store_id("HQ").await;
    let store = server.store_id("S001").await;
    let now = huiyuan_server::db::now_ms();
    let batches = server.url("/api/v1/giftcards/batches");

    // HQ makes fifty ¥100 cards printed for sale later; only HQ's card stock may.
    let batch_id = Uuid::now_v7();
    let request = json!({
        "id": batch_id, "store_id": hq, "count": 50, "face_value_fen": 10_000, "prefix": "8888"
    });
    let (status, _) = call(client.post(&batches).bearer_auth(&cashier).json(&request)).await;
    assert_eq!(status, 403, "a cashier cannot make cards");
    let (status, created) = call(client.post(&batches).bearer_auth(&admin).json(&request)).await;
    assert_eq!(status, 201, "{created}");
    let cards = cards_of(&created);
    assert_eq!(cards.len(), 50);
    let numbers: HashSet<&str> = cards.iter().map(|(number, _)| number.as_str()).collect();
    assert_eq!(numbers.len(), 50, "card numbers are unique");
    for (number, pin) in &cards {
        assert_eq!(number.len(), 16);
        assert!(number.starts_with("8888"), "{number}");
        assert!(check_digit::is_valid(number), "{number} has its Luhn digit");
        assert!(
            pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
            "{pin}"
        );
    }
    assert_eq!(created["batch"]["states"]["active"], 50);
    assert_eq!(created["batch"]["loaded_fen"], 500_000);
    assert_eq!(created["batch"]["outstanding_fen"], 500_000);

    // Only hashes are stored; the PINs are nowhere in the database.
    let (first_no, first_pin) = cards[0].clone();
    let stored: (String, String) =
        sqlx::query_as("SELECT pin_hash, pin_salt FROM giftcards WHERE card_no = $1")
            .bind(&first_no)
            .fetch_one(&server.db.pool)
            .await
            .expect("card row");
    assert_eq!(stored.0.len(), 64, "a SHA-256");
    assert_ne!(stored.0, first_pin);
    let answer_kept: String =
        sqlx::query_scalar("SELECT response_json FROM commands WHERE id = $1")
            .bind(batch_id.to_string())
            .fetch_one(&server.db.pool)
            .await
            .expect("command");
    assert!(
        !answer_kept.contains("\"pin\""),
        "the stored answer holds no PIN"
    );
    assert!(!answer_kept.contains(&first_no), "nor the card numbers");
    let audit_text: Vec<String> = sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'giftcard.batch_create'",
    )
    .fetch_all(&server.db.pool)
    .await
    .expect("audit");
    assert_eq!(audit_text.len(), 1);
    assert!(!audit_text[0].contains("\"pin\"") && !audit_text[0].contains(&first_no));

    // The answer was lost: the replay gets the batch but never the PINs again.
    let (status, replay) = call(client.post(&batches).bearer_auth(&admin).json(&request)).await;
    assert_eq!(status, 200, "{replay}");
    assert_eq!(replay["batch"]["id"], json!(batch_id));
    assert_eq!(replay["cards"], json!([]));
    let mut other = request.clone();
    other["count"] = json!(51);
    let (status, conflict) = call(client.post(&batches).bearer_auth(&admin).json(&other)).await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    assert_eq!(count(server, "giftcards").await, 50);

    // Bad batches are refused by field and make nothing.
    let transfers = count(server, "transfers").await;
    for (bad, field) in [
        (json!({ "count": 0 }), "count"),
        (json!({ "count": 10_001 }), "count"),
        (json!({ "face_value_fen": -1 }), "face_value_fen"),
        (json!({ "face_value_fen": 100_001 }), "face_value_fen"),
        (json!({ "face_value_fen": 0, "tender": "cash" }), "tender"),
        (json!({ "prefix": "12ab" }), "prefix"),
        (json!({ "prefix": "1234567" }), "prefix"),
        (json!({ "expires_on": "2001-01-01" }), "expires_on"),
        (json!({ "expires_on": "2099-02-30" }), "expires_on"),
        (json!({ "pin_lockout_minutes": 0 }), "pin_lockout_minutes"),
    ] {
        let mut body =
            json!({ "id": Uuid::now_v7(), "store_id": hq, "count": 5, "face_value_fen": 0 });
        for (key, value) in bad.as_object().expect("object") {
            body[key] = value.clone();
        }
        let (status, refused) = call(client.post(&batches).bearer_auth(&admin).json(&body)).await;
        assert_eq!(status, 400, "{field}: {refused}");
        assert_eq!(refused["details"]["fields"][0]["field"], field, "{refused}");
    }
    assert_eq!(count(server, "giftcard_batches").await, 1);
    assert_eq!(count(server, "transfers").await, transfers);

    // A second batch to be loaded later, valid to the end of 2099, locking for a minute.
    let later_id = Uuid::now_v7();
    let (status, later) = call(client.post(&batches).bearer_auth(&admin).json(&json!({
        "id": later_id, "store_id": hq, "count": 20, "face_value_fen": 0,
        "expires_on": "2099-12-31", "pin_lockout_minutes": 1
    })))
    .await;
    assert_eq!(status, 201, "{later}");
    let later_cards = cards_of(&later);
    assert_eq!(later["batch"]["loaded_fen"], 0);
    assert!(later_cards
        .iter()
        .all(|(number, _)| !numbers.contains(number.as_str())));

    // The counter loads ¥200 cash onto a card by its number.
    let (load_no, load_pin) = later_cards[0].clone();
    let loads = server.url("/api/v1/giftcards/loads");
    let load = json!({ "id": Uuid::now_v7(), "card_no": load_no, "store_id": store, "amount_fen": 20_000, "tender": "cash" });
    let (status, receipt) = call(client.post(&loads).bearer_auth(&cashier).json(&load)).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["balance_fen"], 20_000);
    let (status, again) = call(client.post(&loads).bearer_auth(&cashier).json(&load)).await;
    assert_eq!((status, &again), (200, &receipt), "a replay loads nothing");
    let mut changed = load.clone();
    changed["amount_fen"] = json!(30_000);
    let (status, conflict) = call(client.post(&loads).bearer_auth(&cashier).json(&changed)).await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    // Typing mistakes and unknown cards are named; nothing is written.
    let transfers = count(server, "transfers").await;
    let mut mistyped = load_no.clone().into_bytes();
    mistyped[5] = if mistyped[5] == b'9' {
        b'0'
    } else {
        mistyped[5] + 1
    };
    let mistyped = String::from_utf8(mistyped).expect("digits");
    let body = "888800000000000";
    let unknown = format!("{body}{}", check_digit::luhn(body).expect("digits"));
    for (card_no, amount, code) in [
        (mistyped.as_str(), 100, "invalid_check_digit"),
        ("12345", 100, "invalid_card_no"),
        (unknown.as_str(), 100, "unknown_card"),
        (load_no.as_str(), 0, "out_of_range"),
        (load_no.as_str(), 90_000, "over_card_limit"),
    ] {
        let (status, refused) = call(client.post(&loads).bearer_auth(&cashier).json(&json!({
            "id": Uuid::now_v7(), "card_no": card_no, "store_id": store, "amount_fen": amount, "tender": "cash"
        })))
        .await;
        assert_eq!(status, 400, "{code}: {refused}");
        assert_eq!(refused["details"]["fields"][0]["code"], code, "{refused}");
    }
    assert_eq!(
        count(server, "transfers").await,
        transfers,
        "refused loads moved nothing"
    );

    // Balance enquiry at the counter with the PIN; a wrong PIN counts, a right one resets.
    let enquiries = server.url("/api/v1/giftcards/enquiries");
    let (status, seen) = call(client.post(&enquiries).bearer_auth(&cashier).json(&json!({
        "card_no": first_no, "pin": first_pin
    })))
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        (seen["balance_fen"].as_i64(), seen["state"].as_str()),
        (Some(10_000), Some("active"))
    );
    assert_eq!(seen["entries"][0]["kind"], "topup");
    let (status, refused) = call(client.post(&enquiries).bearer_auth(&cashier).json(&json!({
        "card_no": first_no, "pin": other_pin(&first_pin)
    })))
    .await;
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("wrong_pin")),
        "{refused}"
    );
    assert_eq!(refused["details"]["fields"][0]["field"], "pin");
    assert_eq!(refused["details"]["attempts_left"], 4);
    let failed: i64 = sqlx::query_scalar("SELECT failed_pins FROM giftcards WHERE card_no = $1")
        .bind(&first_no)
        .fetch_one(&server.db.pool)
        .await
        .expect("failed pins");
    assert_eq!(failed, 1);
    let (status, _) = call(client.post(&enquiries).bearer_auth(&cashier).json(&json!({
        "card_no": first_no, "pin": first_pin
    })))
    .await;
    assert_eq!(status, 200);
    let failed: i64 = sqlx::query_scalar("SELECT failed_pins FROM giftcards WHERE card_no = $1")
        .bind(&first_no)
        .fetch_one(&server.db.pool)
        .await
        .expect("failed pins");
    assert_eq!(failed, 0, "a right PIN starts the count again");
    let (status, refused) = call(client.post(&enquiries).bearer_auth(&cashier).json(&json!({
        "card_no": first_no, "pin": "12a456"
    })))
    .await;
    assert_eq!(
        (status, &refused["details"]["fields"][0]["code"]),
        (400, &json!("invalid_pin"))
    );

    // Paying ¥30 with the card through the sale's function.
    assert_eq!(
        pay(server, &first_no, &first_pin, 3_000, &store, now).await,
        Ok(7_000)
    );
    // More than the card holds: refused, naming the card, and nothing written.
    let transfers = count(server, "transfers").await;
    let (status, refused) = pay(server, &first_no, &first_pin, 7_001, &store, now)
        .await
        .expect_err("over-spend");
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("insufficient_balance")),
        "{refused}"
    );
    assert_eq!(refused["details"]["fields"][0]["field"], "card_no");
    assert_eq!(refused["details"]["available"], 7_000);
    let (status, refused) = pay(server, &first_no, &first_pin, 0, &store, now)
        .await
        .expect_err("nothing to pay");
    assert_eq!(status, 400, "{refused}");
    assert_eq!(count(server, "transfers").await, transfers);

    // Five wrong PINs lock the card; the sixth try, with the right PIN, is refused until
    // the lock ends (30 minutes for this batch), then the right PIN pays again.
    let wrong = other_pin(&first_pin);
    for attempts_left in [4, 3, 2, 1] {
        let (status, refused) = pay(server, &first_no, &wrong, 100, &store, now)
            .await
            .expect_err("wrong PIN");
        assert_eq!(
            (status, &refused["code"]),
            (422, &json!("wrong_pin")),
            "{refused}"
        );
        assert_eq!(refused["details"]["attempts_left"], attempts_left);
    }
    let (status, refused) = pay(server, &first_no, &wrong, 100, &store, now)
        .await
        .expect_err("fifth wrong PIN");
    assert_eq!(
        (status, &refused["code"]),
        (423, &json!("card_locked")),
        "{refused}"
    );
    assert_eq!(refused["details"]["fields"][0]["field"], "pin");
    assert_eq!(
        audited(server, "giftcard.pin_failed").await,
        6,
        "one at the enquiry, five here"
    );
    let locked_at = huiyuan_server::db::now_ms();
    let (status, refused) = pay(server, &first_no, &first_pin, 100, &store, locked_at)
        .await
        .expect_err("locked");
    assert_eq!((status, &refused["code"]), (423, &json!("card_locked")));
    let (status, refused) = call(client.post(&enquiries).bearer_auth(&cashier).json(&json!({
        "card_no": first_no, "pin": first_pin
    })))
    .await;
    assert_eq!(
        (status, &refused["code"]),
        (423, &json!("card_locked")),
        "enquiries are locked too"
    );
    assert_eq!(
        pay(
            server,
            &first_no,
            &first_pin,
            100,
            &store,
            locked_at + 29 * MINUTE_MS
        )
        .await
        .map_err(|(status, _)| status),
        Err(423),
        "still locked after 29 minutes"
    );
    assert_eq!(
        pay(
            server,
            &first_no,
            &first_pin,
            100,
            &store,
            locked_at + 31 * MINUTE_MS
        )
        .await,
        Ok(6_900),
        "the lock has ended"
    );
    let failed: (i64, Option<i64>) =
        sqlx::query_as("SELECT failed_pins, locked_until FROM giftcards WHERE card_no = $1")
            .bind(&first_no)
            .fetch_one(&server.db.pool)
            .await
            .expect("lock");
    assert_eq!(failed, (0, None), "the right PIN cleared the lock");

    // A frozen card is refused at payment and load; enquiries still show it.
    let (second_no, second_pin) = cards[1].clone();
    let freeze = server.url(&format!("/api/v1/giftcards/{second_no}/freeze"));
    let (status, _) = call(client.post(&freeze).bearer_auth(&cashier).json(&json!({}))).await;
    assert_eq!(status, 403, "freezing needs card.freeze");
    let (status, frozen) = call(
        client
            .post(&freeze)
            .bearer_auth(&admin)
            .json(&json!({ "reason": "顾客挂失" })),
    )
    .await;
    assert_eq!(
        (status, frozen["state"].as_str()),
        (200, Some("frozen")),
        "{frozen}"
    );
    let (status, _) = call(client.post(&freeze).bearer_auth(&admin).json(&json!({}))).await;
    assert_eq!(status, 200, "freezing twice changes nothing");
    assert_eq!(audited(server, "giftcard.freeze").await, 1);
    let (status, refused) = pay(server, &second_no, &second_pin, 100, &store, now)
        .await
        .expect_err("frozen");
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("card_frozen")),
        "{refused}"
    );
    assert_eq!(refused["details"]["fields"][0]["field"], "card_no");
    let (status, refused) = call(client.post(&loads).bearer_auth(&cashier).json(&json!({
        "id": Uuid::now_v7(), "card_no": second_no, "store_id": store, "amount_fen": 100, "tender": "cash"
    })))
    .await;
    assert_eq!((status, &refused["code"]), (422, &json!("card_frozen")));
    let (status, seen) = call(client.post(&enquiries).bearer_auth(&cashier).json(&json!({
        "card_no": second_no, "pin": second_pin
    })))
    .await;
    assert_eq!((status, seen["state"].as_str()), (200, Some("frozen")));
    let unfreeze = server.url(&format!("/api/v1/giftcards/{second_no}/unfreeze"));
    let (status, _) = call(client.post(&unfreeze).bearer_auth(&admin).json(&json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        pay(server, &second_no, &second_pin, 2_500, &store, now).await,
        Ok(7_500)
    );

    // Past its last valid day a card is refused; until then it pays.
    let after_2099 = 4_102_444_800_000; // 2100-01-01T00:00:00Z, 08:00 in Shanghai
    assert_eq!(
        pay(server, &load_no, &load_pin, 5_000, &store, now).await,
        Ok(15_000)
    );
    let (status, refused) = pay(server, &load_no, &load_pin, 100, &store, after_2099)
        .await
        .expect_err("expired");
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("card_expired")),
        "{refused}"
    );
    assert_eq!(refused["details"]["fields"][0]["field"], "card_no");

    // A return gives ¥10 back to the card.
    give_back(server, &load_no, 1_000, &store).await;

    // Staff look a card up without its PIN; the cashier may not.
    let (status, card) = call(
        client
            .get(server.url(&format!("/api/v1/giftcards/{load_no}")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["balance_fen"], 16_000);
    let kinds: Vec<&str> = card["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["refund", "spend", "topup"], "newest first");
    assert_eq!(card["entries"][1]["amount"], -5_000);
    let (status, _) = call(
        client
            .get(server.url(&format!("/api/v1/giftcards/{load_no}")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 403);
    let (status, refused) = call(
        client
            .get(server.url("/api/v1/giftcards/12345"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(
        (status, &refused["details"]["fields"][0]["field"]),
        (400, &json!("card_no"))
    );

    // HQ's report: the first batch loaded ¥5,000, ¥30 + ¥1 + ¥25 spent; the second ¥200
    // loaded, ¥50 spent and ¥10 given back.
    let (status, report) = call(client.get(&batches).bearer_auth(&admin)).await;
    assert_eq!(status, 200, "{report}");
    let listed = report.as_array().expect("batches");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], json!(later_id), "newest first");
    let (status, first) = call(
        client
            .get(server.url(&format!("/api/v1/giftcards/batches/{batch_id}")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (
            first["loaded_fen"].as_i64(),
            first["spent_fen"].as_i64(),
            first["outstanding_fen"].as_i64()
        ),
        (Some(500_000), Some(5_600), Some(494_400))
    );
    assert_eq!(
        first["states"],
        json!({ "active": 50, "frozen": 0, "closed": 0, "expired": 0 })
    );
    let second = &listed[0];
    assert_eq!(
        (
            second["loaded_fen"].as_i64(),
            second["spent_fen"].as_i64(),
            second["outstanding_fen"].as_i64()
        ),
        (Some(20_000), Some(4_000), Some(16_000))
    );
    let freeze_later = server.url(&format!("/api/v1/giftcards/{}/freeze", later_cards[1].0));
    let (status, _) = call(
        client
            .post(&freeze_later)
            .bearer_auth(&admin)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, second) = call(
        client
            .get(server.url(&format!("/api/v1/giftcards/batches/{later_id}")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(
        second["states"],
        json!({ "active": 19, "frozen": 1, "closed": 0, "expired": 0 })
    );
    let (status, _) = call(
        client
            .get(server.url(&format!("/api/v1/giftcards/batches/{}", Uuid::now_v7())))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(client.get(&batches).bearer_auth(&cashier)).await;
    assert_eq!(status, 403);

    invariants::check(&server.db).await;
    assert!(matches!(
        audit::verify(&server.db).await.expect("verify"),
        ChainCheck::Intact { .. }
    ));
}

/// Ten thousand ¥50 cards in one batch: every number valid and distinct, every card
/// holding its face value, the issuing node's account balancing them all.
async fn a_batch_of_ten_thousand(server: &TestServer) {
    let admin = server.token("admin", "demo1234").await;
    let hq = server.store_id("HQ").await;
    let started = std::time::Instant::now();
    let (status, created) = call(
        reqwest::Client::new()
            .post(server.url("/api/v1/giftcards/batches"))
            .bearer_auth(&admin)
            .json(&json!({ "id": Uuid::now_v7(), "store_id": hq, "count": 10_000, "face_value_fen": 5_000 })),
    )
    .await;
    eprintln!(
        "{:?}: 10,000 cards with their value in {:?}",
        server.backend,
        started.elapsed()
    );
    assert_eq!(status, 201, "{created}");
    let cards = cards_of(&created);
    assert_eq!(cards.len(), 10_000);
    let numbers: HashSet<&str> = cards.iter().map(|(number, _)| number.as_str()).collect();
    assert_eq!(numbers.len(), 10_000);
    assert!(numbers.iter().all(|number| check_digit::is_valid(number)));
    assert_eq!(created["batch"]["outstanding_fen"], 50_000_000);
    let issued: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(format!("store:{hq}:giftcard_issued"))
        .fetch_one(&server.db.pool)
        .await
        .expect("issued");
    assert_eq!(issued, -50_000_000);
    invariants::check(&server.db).await;
}

async fn countcard_story(server: &TestServer) {
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;
    let store = server.store_id("S001").await;
    let other_store = server.store_id("S002").await;
    let member = server.member_id("13800138000").await;
    let now = huiyuan_server::db::now_ms();
    let today = huiyuan_server::card_expiry::business_day(now);
    let countcards = server.url("/api/v1/countcards");
    sqlx::query(
        "INSERT INTO items (id, code, name, unit, retail_price_fen, earns_points, created_at, updated_at) \
         VALUES ('item-haircut', 'H001', '理发', '次', 4000, 1, $1, $1)",
    )
    .bind(now)
    .execute(&server.db.writer)
    .await
    .expect("item");

    // 洗车10次 for ¥300 cash.
    let wash_id = Uuid::now_v7();
    let sale = json!({ "id": wash_id, "member_id": member, "store_id": store, "service_name": "洗车",
        "visits": 10, "price_fen": 30_000, "tender": "cash" });
    let (status, wash) = call(client.post(&countcards).bearer_auth(&cashier).json(&sale)).await;
    assert_eq!(status, 201, "{wash}");
    assert_eq!(
        (wash["visits_left"].as_i64(), wash["service_name"].as_str()),
        (Some(10), Some("洗车"))
    );
    let (status, again) = call(client.post(&countcards).bearer_auth(&cashier).json(&sale)).await;
    assert_eq!((status, &again), (200, &wash), "a replay sells nothing");
    let mut changed = sale.clone();
    changed["visits"] = json!(12);
    let (status, conflict) = call(
        client
            .post(&countcards)
            .bearer_auth(&cashier)
            .json(&changed),
    )
    .await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    let cash: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(format!("store:{store}:cash"))
        .fetch_one(&server.db.pool)
        .await
        .expect("cash");
    assert_eq!(cash, -30_000, "the money is in the store's takings");

    // 理发5次 from the catalogue item, valid until today.
    let haircut_id = Uuid::now_v7();
    let (status, haircut) = call(client.post(&countcards).bearer_auth(&cashier).json(&json!({
        "id": haircut_id, "member_id": member, "store_id": store, "item_id": "item-haircut",
        "visits": 5, "price_fen": 15_000, "tender": "wechat", "expires_on": today
    })))
    .await;
    assert_eq!(status, 201, "{haircut}");
    assert_eq!(
        (
            haircut["service_name"].as_str(),
            haircut["expired"].as_bool()
        ),
        (Some("理发"), Some(false))
    );

    // Bad sales name their field and write nothing.
    let transfers = count(server, "transfers").await;
    for (bad, field) in [
        (json!({ "visits": 0 }), "visits"),
        (json!({ "visits": 1_001 }), "visits"),
        (json!({ "price_fen": 0 }), "price_fen"),
        (json!({ "service_name": null }), "service_name"),
        (json!({ "service_name": "洗".repeat(41) }), "service_name"),
        (json!({ "expires_on": "2001-01-01" }), "expires_on"),
        (json!({ "item_id": "no-such-item" }), "item_id"),
        (json!({ "member_id": Uuid::now_v7() }), "member_id"),
    ] {
        let mut body = json!({ "id": Uuid::now_v7(), "member_id": member, "store_id": store, "service_name": "洗车",
            "visits": 10, "price_fen": 30_000, "tender": "cash" });
        for (key, value) in bad.as_object().expect("object") {
            body[key] = value.clone();
        }
        let (status, refused) =
            call(client.post(&countcards).bearer_auth(&cashier).json(&body)).await;
        assert_eq!(status, 400, "{field}: {refused}");
        assert_eq!(refused["details"]["fields"][0]["field"], field, "{refused}");
    }
    assert_eq!(count(server, "count_cards").await, 2);
    assert_eq!(count(server, "transfers").await, transfers);

    // One visit used; the replay uses nothing; the id reused for two visits conflicts.
    let uses = server.url(&format!("/api/v1/countcards/{wash_id}/uses"));
    let first_use = json!({ "id": Uuid::now_v7(), "store_id": store });
    let (status, used) = call(client.post(&uses).bearer_auth(&cashier).json(&first_use)).await;
    assert_eq!(status, 201, "{used}");
    assert_eq!(
        (used["visits"].as_i64(), used["visits_left"].as_i64()),
        (Some(1), Some(9))
    );
    let (status, again) = call(client.post(&uses).bearer_auth(&cashier).json(&first_use)).await;
    assert_eq!((status, &again), (200, &used));
    let mut twice = first_use.clone();
    twice["visits"] = json!(2);
    let (status, conflict) = call(client.post(&uses).bearer_auth(&cashier).json(&twice)).await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    // The same use id on another card is another command, and a conflict too.
    let (status, conflict) = call(
        client
            .post(server.url(&format!("/api/v1/countcards/{haircut_id}/uses")))
            .bearer_auth(&cashier)
            .json(&first_use),
    )
    .await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));

    // The cashier's scope is S001; HQ staff use the rest at S002, down to zero.
    let (status, _) = call(client.post(&uses).bearer_auth(&cashier).json(&json!({
        "id": Uuid::now_v7(), "store_id": other_store
    })))
    .await;
    assert_eq!(status, 403);
    let (status, used) = call(client.post(&uses).bearer_auth(&admin).json(&json!({
        "id": Uuid::now_v7(), "store_id": other_store, "visits": 9
    })))
    .await;
    assert_eq!(
        (status, used["visits_left"].as_i64()),
        (201, Some(0)),
        "{used}"
    );
    let transfers = count(server, "transfers").await;
    let (status, refused) = call(client.post(&uses).bearer_auth(&cashier).json(&json!({
        "id": Uuid::now_v7(), "store_id": store
    })))
    .await;
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("insufficient_balance")),
        "{refused}"
    );
    assert_eq!(refused["details"]["fields"][0]["field"], "visits");
    let (status, refused) = call(client.post(&uses).bearer_auth(&cashier).json(&json!({
        "id": Uuid::now_v7(), "store_id": store, "visits": 0
    })))
    .await;
    assert_eq!(
        (status, &refused["details"]["fields"][0]["field"]),
        (400, &json!("visits"))
    );
    let (status, _) = call(
        client
            .post(server.url(&format!("/api/v1/countcards/{}/uses", Uuid::now_v7())))
            .bearer_auth(&cashier)
            .json(&json!({ "id": Uuid::now_v7(), "store_id": store })),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        count(server, "transfers").await,
        transfers,
        "refused uses moved nothing"
    );

    // The haircut card works today; once its last day has passed it is refused.
    let haircut_uses = server.url(&format!("/api/v1/countcards/{haircut_id}/uses"));
    let (status, used) = call(
        client
            .post(&haircut_uses)
            .bearer_auth(&cashier)
            .json(&json!({
                "id": Uuid::now_v7(), "store_id": store
            })),
    )
    .await;
    assert_eq!(
        (status, used["visits_left"].as_i64()),
        (201, Some(4)),
        "{used}"
    );
    sqlx::query("UPDATE count_cards SET expires_on = '2001-01-01' WHERE id = $1")
        .bind(haircut_id.to_string())
        .execute(&server.db.writer)
        .await
        .expect("a day passes");
    let (status, refused) = call(
        client
            .post(&haircut_uses)
            .bearer_auth(&cashier)
            .json(&json!({
                "id": Uuid::now_v7(), "store_id": store
            })),
    )
    .await;
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("count_card_expired")),
        "{refused}"
    );

    // The member's cards with the visits left, newest first, and one card's history.
    let (status, listed) = call(
        client
            .get(server.url(&format!("/api/v1/members/{member}/countcards")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let summary: Vec<(Option<&str>, Option<i64>, Option<bool>)> = listed
        .as_array()
        .expect("cards")
        .iter()
        .map(|card| {
            (
                card["service_name"].as_str(),
                card["visits_left"].as_i64(),
                card["expired"].as_bool(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some("理发"), Some(4), Some(true)),
            (Some("洗车"), Some(0), Some(false))
        ]
    );
    let (status, detail) = call(
        client
            .get(server.url(&format!("/api/v1/countcards/{wash_id}")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    let movements: Vec<(Option<&str>, Option<i64>)> = detail["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| (entry["kind"].as_str(), entry["amount"].as_i64()))
        .collect();
    assert_eq!(
        movements,
        [
            (Some("spend"), Some(-9)),
            (Some("spend"), Some(-1)),
            (Some("topup"), Some(10))
        ]
    );
    let (status, _) = call(
        client
            .get(server.url(&format!("/api/v1/members/{}/countcards", Uuid::now_v7())))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 404);

    assert_eq!(audited(server, "countcard.sell").await, 2);
    assert_eq!(audited(server, "countcard.use").await, 3);
    invariants::check(&server.db).await;
    assert!(matches!(
        audit::verify(&server.db).await.expect("verify"),
        ChainCheck::Intact { .. }
    ));
}

/// The same transfers posted one by one and in bulk, each into its own set of accounts,
/// leave the same rows and balances; a list that debits an account with a floor is
/// posted one by one, so an overdraft is still refused.
async fn bulk_posting_matches_one_by_one(server: &TestServer) {
    use huiyuan_server::ledger::bulk::post_transfers_in_bulk;
    use huiyuan_server::ledger::{AccountKey, NewTransfer, TransferKind};
    fn transfers(side: &str) -> Vec<NewTransfer> {
        let issuer = AccountKey::store_giftcard_issued(&format!("{side}-hq"));
        let card = |n: u32| AccountKey::giftcard(&format!("{side}-card-{n}"));
        let mut list: Vec<NewTransfer> = (0..1_203)
            .map(|n| NewTransfer {
                debit: issuer.clone(),
                credit: card(n % 1_100),
                amount: i64::from(n % 7) + 1,
                kind: TransferKind::Topup,
                memo: (n % 3 == 0).then(|| format!("memo {n}")),
                points_expire_at: None,
            })
            .collect();
        list.push(NewTransfer {
            debit: card(5),
            credit: AccountKey::store_sales(&format!("{side}-store")),
            amount: 1,
            kind: TransferKind::Spend,
            memo: None,
            points_expire_at: None,
        });
        list
    }
    let run = |side: &'static str, bulk: bool, list: Vec<NewTransfer>| {
        let job: Job = Box::new(move |connection| {
            Box::pin(async move {
                let context = PostingContext {
                    command_id: format!("{side}-command"),
                    store_id: Some("store".to_owned()),
                    staff_id: None,
                    device_id: None,
                    occurred_at: Some(1_700_000_000_000),
                };
                let ids = if bulk {
                    post_transfers_in_bulk(connection, &context, &list).await?
                } else {
                    ledger::post_transfers(connection, &context, &list).await?
                };
                Ok(json!(ids.len()))
            })
        });
        server.state.writer.run(job)
    };
    // Without the card's spend the list cannot be refused and is written in bulk.
    let mut issue_only = transfers("bulk");
    issue_only.pop();
    assert_eq!(
        run("bulk", true, issue_only).await.expect("bulk"),
        json!(1_203)
    );
    let mut issue_only = transfers("single");
    issue_only.pop();
    assert_eq!(
        run("single", false, issue_only).await.expect("one by one"),
        json!(1_203)
    );
    let rows = |side: &'static str| async move {
        let rows: Vec<TransferRow> = sqlx::query_as(
            "SELECT id, debit_account_id, credit_account_id, asset, amount, kind, memo, store_id, occurred_at \
             FROM transfers WHERE command_id = $1 ORDER BY id",
        )
        .bind(format!("{side}-command"))
        .fetch_all(&server.db.pool)
        .await
        .expect("transfers");
        rows.into_iter()
            .map(|row| format!("{row:?}").replace(side, "SIDE"))
            .collect::<Vec<_>>()
    };
    let bulk_rows = rows("bulk").await;
    assert_eq!(bulk_rows.len(), 1_203);
    assert_eq!(bulk_rows, rows("single").await);
    let balances = |side: &'static str| async move {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, owner_kind, balance, floor FROM accounts WHERE id LIKE $1 ORDER BY id",
        )
        .bind(format!("%{side}-%"))
        .fetch_all(&server.db.pool)
        .await
        .expect("accounts");
        rows.into_iter()
            .map(|row| format!("{row:?}").replace(side, "SIDE"))
            .collect::<Vec<_>>()
    };
    let bulk_balances = balances("bulk").await;
    assert_eq!(bulk_balances.len(), 1_101);
    assert_eq!(bulk_balances, balances("single").await);

    // Debiting a card (floor 0) goes one by one: more than it holds is refused whole.
    let mut overdraw = transfers("over");
    let last = overdraw.len() - 1;
    overdraw[last].amount = 1_000;
    let transfers_before = count(server, "transfers").await;
    let refused = run("over", true, overdraw).await.expect_err("overdraft");
    let (status, body) = answer(refused).await;
    assert_eq!(
        (status, &body["code"]),
        (422, &json!("insufficient_balance"))
    );
    assert_eq!(count(server, "transfers").await, transfers_before);
    invariants::check(&server.db).await;
}
