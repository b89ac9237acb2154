//! The ledger on SQLite and PostgreSQL: top-ups through the API, random sequences of
//! ledger commands — with points adjustments and supplements through the API and expiry
//! runs at injected instants — with replays and conflicting replays checked against a
//! model and the invariants, and 64 concurrent spends that must never overdraw.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::db::{ms_to_rfc3339, now_ms};
use huiyuan_server::error::AppError;
use huiyuan_server::ledger::commands::{self, CommandMeta};
use huiyuan_server::ledger::{
    self, expiry, AccountKey, CommandOutcome, NewTransfer, PostingContext, TransferKind,
};
use huiyuan_server::sale::{business_time, BUSINESS_UTC_OFFSET_MS};
use huiyuan_shared::rules::PointsExpiry;
use huiyuan_shared::value::MemberBalances;
use proptest::prelude::*;
use serde_json::{json, Value};

#[tokio::test]
async fn topup_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    topup_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn topup_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    topup_story(&server).await;
    server.stop().await;
}

/// A cashier tops up ¥100 twice with the same id (a retry) and once more; the member
/// holds ¥200, the retry changed nothing, the same id with another amount is refused, and
/// bad input is refused by field with nothing written.
async fn topup_story(server: &TestServer) {
    let cashier = server.token("cashier", "demo1234").await;
    let client = reqwest::Client::new();
    let store = server.store_id("S001").await;
    let member = server.member_id("13800138000").await;
    let topup = |id: uuid::Uuid, amount: i64| {
        client
            .post(server.url("/api/v1/topups"))
            .bearer_auth(&cashier)
            .json(&json!({ "id": id, "member_id": member, "store_id": store, "amount_fen": amount, "tender": "cash" }))
    };
    let first_id = uuid::Uuid::now_v7();
    let (status, first) = call(topup(first_id, 10_000)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["balances"]["principal_fen"], 10_000);
    let (status, replay) = call(topup(first_id, 10_000)).await;
    assert_eq!(status, 200, "a replay is answered, not carried out again");
    assert_eq!(replay, first, "the replay returns the first receipt");
    let (status, conflict) = call(topup(first_id, 20_000)).await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    let (status, second) = call(topup(uuid::Uuid::now_v7(), 10_000)).await;
    assert_eq!(status, 201);
    assert_eq!(second["balances"]["principal_fen"], 20_000);

    let transfers_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transfers")
        .fetch_one(&server.db.pool)
        .await
        .expect("count");
    for (amount, field) in [
        (0, "amount_fen"),
        (-100, "amount_fen"),
        (5_000_001, "amount_fen"),
    ] {
        let (status, body) = call(topup(uuid::Uuid::now_v7(), amount)).await;
        assert_eq!(status, 400, "amount {amount}");
        assert_eq!(body["details"]["fields"][0]["field"], field);
    }
    let (status, body) = call(
        client
            .post(server.url("/api/v1/topups"))
            .bearer_auth(&cashier)
            .json(&json!({ "id": uuid::Uuid::now_v7(), "member_id": uuid::Uuid::now_v7(), "store_id": store, "amount_fen": 100, "tender": "cash" })),
    )
    .await;
    assert_eq!(
        (status, &body["details"]["fields"][0]["field"]),
        (400, &json!("member_id"))
    );
    // The cashier of 上海南京路店 cannot top up at 杭州西湖店.
    let other_store = server.store_id("S002").await;
    let (status, _) = call(
        client
            .post(server.url("/api/v1/topups"))
            .bearer_auth(&cashier)
            .json(&json!({ "id": uuid::Uuid::now_v7(), "member_id": member, "store_id": other_store, "amount_fen": 100, "tender": "cash" })),
    )
    .await;
    assert_eq!(status, 403);
    let transfers_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transfers")
        .fetch_one(&server.db.pool)
        .await
        .expect("count");
    assert_eq!(
        transfers_before, transfers_after,
        "refused top-ups wrote nothing"
    );

    let phone = server.browser();
    let (status, _) = call(
        phone
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "13800138000", "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 200);
    let (_, me) = call(phone.get(server.url("/api/v1/member/me"))).await;
    assert_eq!(
        me["balance_fen"], 20_000,
        "the member sees the balance on their phone"
    );
    invariants::check(&server.db).await;
}

/// One ledger command of the random sequences.
#[derive(Clone, Debug)]
enum Op {
    Topup {
        member: usize,
        amount: i64,
    },
    SpendValue {
        member: usize,
        amount: i64,
    },
    Earn {
        member: usize,
        points: i64,
        days: i64,
    },
    SpendPoints {
        member: usize,
        points: i64,
    },
    /// 积分调整 through the API: signed, never 0.
    Adjust {
        member: usize,
        points: i64,
    },
    /// 积分补记 through the API.
    Supplement {
        member: usize,
        points: i64,
    },
    /// The expiry run as of `days` from now: two at once, then one more.
    Expire {
        days: i64,
    },
    /// Send command `index` again, unchanged.
    Replay {
        index: usize,
    },
    /// Send command `index`'s id again with other content.
    Conflict {
        index: usize,
    },
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 1..50_000i64).prop_map(|(member, amount)| Op::Topup { member, amount }),
        (0..3usize, 1..60_000i64).prop_map(|(member, amount)| Op::SpendValue { member, amount }),
        (0..3usize, 1..500i64, 1..400i64).prop_map(|(member, points, days)| Op::Earn {
            member,
            points,
            days
        }),
        (0..3usize, 1..600i64).prop_map(|(member, points)| Op::SpendPoints { member, points }),
        (0..3usize, prop_oneof![-700..0i64, 1..700i64])
            .prop_map(|(member, points)| Op::Adjust { member, points }),
        (0..3usize, 1..300i64).prop_map(|(member, points)| Op::Supplement { member, points }),
        (0..450i64).prop_map(|days| Op::Expire { days }),
        (0..40usize).prop_map(|index| Op::Replay { index }),
        (0..40usize).prop_map(|index| Op::Conflict { index }),
    ]
}

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// The expiry policy the random sequences run under: a month from the day earned.
const MONTH_POLICY: PointsExpiry = PointsExpiry::Rolling { months: 1 };

/// The transfers of a basic command, for a member at store S001. Earned points lapse at
/// `expires_at`.
fn transfers(op: &Op, member: &str, store: &str, expires_at: i64) -> Vec<NewTransfer> {
    let transfer = |debit, credit, amount, kind, expire| NewTransfer {
        debit,
        credit,
        amount,
        kind,
        memo: None,
        points_expire_at: expire,
    };
    match *op {
        Op::Topup { amount, .. } => vec![transfer(
            AccountKey::store_tender(store, "cash"),
            AccountKey::member_principal(member),
            amount,
            TransferKind::Topup,
            None,
        )],
        Op::SpendValue { amount, .. } => vec![transfer(
            AccountKey::member_principal(member),
            AccountKey::store_sales(store),
            amount,
            TransferKind::Spend,
            None,
        )],
        Op::Earn { points, .. } => vec![transfer(
            AccountKey::store_points_issued(store),
            AccountKey::member_points(member),
            points,
            TransferKind::Earn,
            Some(expires_at),
        )],
        Op::SpendPoints { points, .. } => vec![transfer(
            AccountKey::member_points(member),
            AccountKey::store_points_redeemed(store),
            points,
            TransferKind::Redeem,
            None,
        )],
        _ => Vec::new(),
    }
}

/// Carries out a basic command through the idempotent command path and the writer.
async fn send(
    server: &TestServer,
    id: &str,
    op: &Op,
    member: &str,
    store: &str,
    expires_at: i64,
) -> Result<(CommandOutcome, MemberBalances), AppError> {
    let meta = CommandMeta {
        id: id.to_owned(),
        kind: "test",
        store_id: Some(store.to_owned()),
        staff_id: None,
    };
    let request = json!({ "op": format!("{op:?}"), "member": member });
    let (member, store, op, id) = (
        member.to_owned(),
        store.to_owned(),
        op.clone(),
        id.to_owned(),
    );
    commands::execute(&server.state, meta, &request, move |connection| {
        Box::pin(async move {
            let context = PostingContext {
                command_id: id,
                store_id: Some(store.clone()),
                ..PostingContext::default()
            };
            let transfers = transfers(&op, &member, &store, expires_at);
            ledger::post_transfers(connection, &context, &transfers).await?;
            Ok(ledger::member_balances(connection, &member).await?)
        })
    })
    .await
}

/// The API request of an adjustment or supplement; `other` gives the same id other
/// content.
fn adjustment_body(id: &str, op: &Op, member: &str, store: &str, other: bool) -> Value {
    let (kind, points) = match *op {
        Op::Adjust { points, .. } => ("adjust", points),
        Op::Supplement { points, .. } => ("supplement", points),
        _ => unreachable!("only adjustments go through the API"),
    };
    let reason = if other {
        "另一笔调整".to_owned()
    } else {
        format!("随机调整 {points}")
    };
    json!({ "id": id, "member_id": member, "store_id": store, "kind": kind,
            "points": points, "reason": reason, "reference": "S001-20250101-00001" })
}

fn member_of(op: &Op) -> usize {
    match *op {
        Op::Topup { member, .. }
        | Op::SpendValue { member, .. }
        | Op::Earn { member, .. }
        | Op::SpendPoints { member, .. }
        | Op::Adjust { member, .. }
        | Op::Supplement { member, .. } => member,
        Op::Expire { .. } | Op::Replay { .. } | Op::Conflict { .. } => 0,
    }
}

fn is_adjustment(op: &Op) -> bool {
    matches!(op, Op::Adjust { .. } | Op::Supplement { .. })
}

/// What one member should hold: principal, and points as lots in the order credited,
/// each with the instant it lapses and what remains of it.
#[derive(Clone, Debug, Default)]
struct Model {
    principal_fen: i64,
    lots: Vec<(i64, i64)>,
}

impl Model {
    fn points(&self) -> i64 {
        self.lots.iter().map(|(_, remaining)| remaining).sum()
    }

    fn balances(&self) -> MemberBalances {
        MemberBalances {
            points: self.points(),
            principal_fen: self.principal_fen,
            bonus_fen: 0,
        }
    }

    /// Spends points from the lot that lapses soonest, oldest first among equals; false
    /// when the member holds too few.
    fn spend_points(&mut self, points: i64) -> bool {
        if points > self.points() {
            return false;
        }
        let mut order: Vec<usize> = (0..self.lots.len()).collect();
        order.sort_by_key(|&index| (self.lots[index].0, index));
        let mut left = points;
        for index in order {
            let take = self.lots[index].1.min(left);
            self.lots[index].1 -= take;
            left -= take;
        }
        true
    }

    /// Lapses every lot due at `as_of` with points left: how many lots, how many points.
    fn expire(&mut self, as_of: i64) -> (u64, i64) {
        let mut lapsed = (0, 0);
        for (expires_at, remaining) in &mut self.lots {
            if *remaining > 0 && *expires_at <= as_of {
                lapsed.0 += 1;
                lapsed.1 += *remaining;
                *remaining = 0;
            }
        }
        lapsed
    }
}

/// Applies a basic command to the model; false when the real ledger must refuse it.
fn apply(model: &mut Model, op: &Op, expires_at: i64) -> bool {
    match *op {
        Op::Topup { amount, .. } => model.principal_fen += amount,
        Op::SpendValue { amount, .. } if amount <= model.principal_fen => {
            model.principal_fen -= amount
        }
        Op::Earn { points, .. } => model.lots.push((expires_at, points)),
        Op::SpendPoints { points, .. } => return model.spend_points(points),
        _ => return false,
    }
    true
}

/// Sends an adjustment or supplement and checks its answer against the model, which it
/// updates. `first` is the answer the id got before, if any. Returns the answer to keep.
async fn adjust_and_check(
    server: &TestServer,
    token: &str,
    body: &Value,
    op: &Op,
    model: &mut Model,
    first: Option<&Value>,
) -> Option<Value> {
    let before = now_ms();
    let (status, answer) = call(
        reqwest::Client::new()
            .post(server.url("/api/v1/points/adjustments"))
            .bearer_auth(token)
            .json(body),
    )
    .await;
    let after = now_ms();
    if let Some(first) = first {
        assert_eq!(
            (status, &answer),
            (200, first),
            "a replay answers the first receipt"
        );
        return Some(answer);
    }
    let points = answer["points"].as_i64();
    let (Op::Adjust { points: wanted, .. } | Op::Supplement { points: wanted, .. }) = *op else {
        unreachable!("only adjustments go through the API")
    };
    if wanted < 0 && !model.spend_points(-wanted) {
        assert_eq!(status, 400, "{op:?} takes more than is held: {answer}");
        assert_eq!(answer["details"]["fields"][0]["field"], "points");
        return None;
    }
    assert_eq!((status, points), (201, Some(wanted)), "{op:?}: {answer}");
    if wanted > 0 {
        let lapse =
            |at: i64| MONTH_POLICY.lapses_at_ms(business_time(at).date, BUSINESS_UTC_OFFSET_MS);
        let expires_at = [lapse(before), lapse(after)]
            .into_iter()
            .find(|at| answer["expires_at"] == json!(ms_to_rfc3339(*at)))
            .unwrap_or_else(|| panic!("{op:?} lapses by the policy: {answer}"));
        model.lots.push((expires_at, wanted));
    }
    let balances: MemberBalances =
        serde_json::from_value(answer["balances"].clone()).expect("balances");
    assert_eq!(balances, model.balances(), "after {op:?}");
    Some(answer)
}

/// Runs expiry as of `as_of` twice at once and once more, and checks what lapsed and
/// what every member holds against the models.
async fn expire_and_check(
    server: &TestServer,
    as_of: i64,
    members: &[String],
    models: &mut [Model],
) {
    let state = &server.state;
    let (one, two) = tokio::join!(
        expiry::expire_due(&state.db, &state.writer, as_of),
        expiry::expire_due(&state.db, &state.writer, as_of),
    );
    let (one, two) = (one.expect("expiry run"), two.expect("expiry run"));
    let expected = models
        .iter_mut()
        .map(|model| model.expire(as_of))
        .fold((0, 0), |total, lapsed| {
            (total.0 + lapsed.0, total.1 + lapsed.1)
        });
    assert_eq!(
        (one.lots + two.lots, one.points + two.points),
        expected,
        "two runs at once lapse each due lot once: {one:?} {two:?}"
    );
    let again = expiry::expire_due(&state.db, &state.writer, as_of)
        .await
        .expect("expiry run");
    assert_eq!(again, expiry::ExpiryRun::default(), "nothing lapses twice");
    let mut connection = server.db.pool.acquire().await.expect("connection");
    for (member, model) in members.iter().zip(models.iter()) {
        let balances = ledger::member_balances(&mut connection, member)
            .await
            .expect("balances");
        assert_eq!(balances, model.balances(), "after expiry as of {as_of}");
    }
}

async fn random_sequence(server: &TestServer, ops: &[Op]) {
    let store = server.store_id("S001").await;
    let mut members = Vec::new();
    for phone in ["13800138000", "13900139000", "13700137000"] {
        members.push(server.member_id(phone).await);
    }
    let admin = server.token("admin", "demo1234").await;
    let (status, rules) = call(
        reqwest::Client::new()
            .put(server.url("/api/v1/rules"))
            .bearer_auth(&admin)
            .json(&json!({ "version": 0, "points_expiry": { "type": "rolling", "months": 1 } })),
    )
    .await;
    assert_eq!(status, 200, "{rules}");
    let mut models = vec![Model::default(); members.len()];
    // Every command sent so far: its id, the command, and what it answered.
    let mut sent: Vec<(String, Op, Option<Value>)> = Vec::new();
    for op in ops {
        match op {
            Op::Replay { index } | Op::Conflict { index }
                if sent.is_empty() || *index >= sent.len() =>
            {
                continue
            }
            Op::Expire { days } => {
                let as_of = now_ms() + days * DAY_MS;
                expire_and_check(server, as_of, &members, &mut models).await;
            }
            Op::Replay { index } if is_adjustment(&sent[*index].1) => {
                let (id, original, first) = sent[*index].clone();
                let who = member_of(&original);
                let body = adjustment_body(&id, &original, &members[who], &store, false);
                let answer = adjust_and_check(
                    server,
                    &admin,
                    &body,
                    &original,
                    &mut models[who],
                    first.as_ref(),
                )
                .await;
                sent[*index].2 = answer;
            }
            Op::Conflict { index } if is_adjustment(&sent[*index].1) => {
                let (id, original, first) = sent[*index].clone();
                let body =
                    adjustment_body(&id, &original, &members[member_of(&original)], &store, true);
                if first.is_some() {
                    let (status, answer) = call(
                        reqwest::Client::new()
                            .post(server.url("/api/v1/points/adjustments"))
                            .bearer_auth(&admin)
                            .json(&body),
                    )
                    .await;
                    assert_eq!((status, &answer["code"]), (409, &json!("conflict")));
                }
            }
            Op::Replay { index } => {
                let (id, original, first) = sent[*index].clone();
                let member = &members[member_of(&original)];
                let result = send(server, &id, &original, member, &store, 0).await;
                match (first, result) {
                    (Some(first), Ok((outcome, balances))) => {
                        assert_eq!(
                            outcome,
                            CommandOutcome::Exists,
                            "a replay is not carried out again"
                        );
                        assert_eq!(json!(balances), first, "a replay returns the first answer");
                    }
                    // A refused command left nothing behind; its replay is judged afresh.
                    (None, Ok((CommandOutcome::Created, balances))) => {
                        let who = member_of(&original);
                        assert!(
                            apply(&mut models[who], &original, 0),
                            "the model refuses what the ledger took"
                        );
                        assert_eq!(balances, models[who].balances());
                        sent[*index].2 = Some(json!(balances));
                    }
                    (None, Err(_)) => {}
                    (first, result) => {
                        panic!("replay of {original:?}: first {first:?}, now {result:?}")
                    }
                }
            }
            Op::Conflict { index } => {
                let (id, original, first) = sent[*index].clone();
                let other = match original {
                    Op::Topup { member, amount } => Op::Topup {
                        member,
                        amount: amount + 1,
                    },
                    Op::SpendValue { member, amount } => Op::SpendValue {
                        member,
                        amount: amount + 1,
                    },
                    Op::Earn {
                        member,
                        points,
                        days,
                    } => Op::Earn {
                        member,
                        points: points + 1,
                        days,
                    },
                    Op::SpendPoints { member, points } => Op::SpendPoints {
                        member,
                        points: points + 1,
                    },
                    _ => continue,
                };
                if first.is_some() {
                    let result =
                        send(server, &id, &other, &members[member_of(&other)], &store, 0).await;
                    assert!(
                        matches!(result, Err(AppError::IdConflict)),
                        "same id, other content: {result:?}"
                    );
                }
            }
            adjustment if is_adjustment(adjustment) => {
                let who = member_of(adjustment);
                let id = uuid::Uuid::now_v7().to_string();
                let body = adjustment_body(&id, adjustment, &members[who], &store, false);
                let answer =
                    adjust_and_check(server, &admin, &body, adjustment, &mut models[who], None)
                        .await;
                sent.push((id, adjustment.clone(), answer));
            }
            basic => {
                let index = member_of(basic);
                let id = uuid::Uuid::now_v7().to_string();
                let expires_at = match basic {
                    Op::Earn { days, .. } => now_ms() + days * DAY_MS,
                    _ => 0,
                };
                let result = send(server, &id, basic, &members[index], &store, expires_at).await;
                let expected = apply(&mut models[index], basic, expires_at);
                match result {
                    Ok((CommandOutcome::Created, balances)) => {
                        assert!(expected, "{basic:?} should have been refused");
                        assert_eq!(balances, models[index].balances(), "after {basic:?}");
                        sent.push((id, basic.clone(), Some(json!(balances))));
                    }
                    Err(error) => {
                        assert!(!expected, "{basic:?} refused: {error}");
                        sent.push((id, basic.clone(), None));
                    }
                    Ok((CommandOutcome::Exists, _)) => panic!("a new id was taken as a replay"),
                }
            }
        }
    }
    invariants::check(&server.db).await;
}

fn run_property(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op_strategy(), 1..40))| {
        runtime.block_on(async {
            let Some(server) = start(backend).await else { return };
            random_sequence(&server, &ops).await;
            server.stop().await;
        });
    });
}

#[test]
fn random_ledger_sequences_keep_the_invariants_on_sqlite() {
    run_property(Backend::Sqlite);
}

#[test]
fn random_ledger_sequences_keep_the_invariants_on_postgres() {
    run_property(Backend::Postgres);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_spends_never_overdraw_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    concurrent_spends(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_spends_never_overdraw_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    concurrent_spends(&server).await;
    server.stop().await;
}

/// ¥300 on the card and 64 tills spending ¥10 at once: exactly 30 succeed, the rest are
/// refused for want of balance, and the balance ends at exactly zero.
async fn concurrent_spends(server: &TestServer) {
    let store = server.store_id("S001").await;
    let member = server.member_id("13800138000").await;
    let topup = Op::Topup {
        member: 0,
        amount: 30_000,
    };
    send(
        server,
        &uuid::Uuid::now_v7().to_string(),
        &topup,
        &member,
        &store,
        0,
    )
    .await
    .expect("top-up");
    let spend = Op::SpendValue {
        member: 0,
        amount: 1_000,
    };
    let attempts = (0..64).map(|_| {
        let (member, store, spend) = (member.clone(), store.clone(), spend.clone());
        async move {
            send(
                server,
                &uuid::Uuid::now_v7().to_string(),
                &spend,
                &member,
                &store,
                0,
            )
            .await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let succeeded = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!(succeeded, 30);
    for result in &results {
        if let Err(error) = result {
            assert!(
                matches!(
                    error,
                    AppError::Refused {
                        code: "insufficient_balance",
                        ..
                    }
                ),
                "{error}"
            );
        }
    }
    let mut connection = server.db.pool.acquire().await.expect("connection");
    let balances = ledger::member_balances(&mut connection, &member)
        .await
        .expect("balances");
    assert_eq!(balances.principal_fen, 0);
    drop(connection);
    invariants::check(&server.db).await;
}
