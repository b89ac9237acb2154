//! The ledger on SQLite and PostgreSQL: top-ups through the API, random sequences of
//! ledger commands with replays and conflicting replays checked against a model and the
//! invariants, and 64 concurrent spends that must never overdraw.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use huiyuan_server::error::AppError;
use huiyuan_server::ledger::commands::{self, CommandMeta};
use huiyuan_server::ledger::{
    self, AccountKey, CommandOutcome, NewTransfer, PostingContext, TransferKind,
};
use huiyuan_shared::value::MemberBalances;
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;

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
        (0..40usize).prop_map(|index| Op::Replay { index }),
        (0..40usize).prop_map(|index| Op::Conflict { index }),
    ]
}

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// The transfers of a basic command, for a member at store S001.
fn transfers(op: &Op, member: &str, store: &str) -> Vec<NewTransfer> {
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
        Op::Earn { points, days, .. } => vec![transfer(
            AccountKey::store_points_issued(store),
            AccountKey::member_points(member),
            points,
            TransferKind::Earn,
            Some(huiyuan_server::db::now_ms() + days * DAY_MS),
        )],
        Op::SpendPoints { points, .. } => vec![transfer(
            AccountKey::member_points(member),
            AccountKey::store_points_redeemed(store),
            points,
            TransferKind::Redeem,
            None,
        )],
        Op::Replay { .. } | Op::Conflict { .. } => Vec::new(),
    }
}

/// Carries out a basic command through the idempotent command path and the writer.
async fn send(
    server: &TestServer,
    id: &str,
    op: &Op,
    member: &str,
    store: &str,
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
            ledger::post_transfers(connection, &context, &transfers(&op, &member, &store)).await?;
            Ok(ledger::member_balances(connection, &member).await?)
        })
    })
    .await
}

fn member_of(op: &Op) -> usize {
    match *op {
        Op::Topup { member, .. }
        | Op::SpendValue { member, .. }
        | Op::Earn { member, .. }
        | Op::SpendPoints { member, .. } => member,
        Op::Replay { .. } | Op::Conflict { .. } => 0,
    }
}

/// Applies a command to the model; false when the real ledger must refuse it.
fn apply(model: &mut MemberBalances, op: &Op) -> bool {
    match *op {
        Op::Topup { amount, .. } => model.principal_fen += amount,
        Op::SpendValue { amount, .. } if amount <= model.principal_fen => {
            model.principal_fen -= amount
        }
        Op::Earn { points, .. } => model.points += points,
        Op::SpendPoints { points, .. } if points <= model.points => model.points -= points,
        _ => return false,
    }
    true
}

async fn random_sequence(server: &TestServer, ops: &[Op]) {
    let store = server.store_id("S001").await;
    let mut members = Vec::new();
    for phone in ["13800138000", "13900139000", "13700137000"] {
        members.push(server.member_id(phone).await);
    }
    let mut models = vec![MemberBalances::default(); members.len()];
    // Every basic command sent so far: its id, the command, and what it answered.
    let mut sent: Vec<(String, Op, Option<MemberBalances>)> = Vec::new();
    let mut replies: HashMap<String, MemberBalances> = HashMap::new();
    for op in ops {
        match op {
            Op::Replay { index } | Op::Conflict { index }
                if sent.is_empty() || *index >= sent.len() =>
            {
                continue
            }
            Op::Replay { index } => {
                let (id, original, first) = sent[*index].clone();
                let member = &members[member_of(&original)];
                let result = send(server, &id, &original, member, &store).await;
                match (first, result) {
                    (Some(first), Ok((outcome, balances))) => {
                        assert_eq!(
                            outcome,
                            CommandOutcome::Exists,
                            "a replay is not carried out again"
                        );
                        assert_eq!(balances, first, "a replay returns the first answer");
                    }
                    // A refused command left nothing behind; its replay is judged afresh.
                    (None, Ok((CommandOutcome::Created, balances))) => {
                        let who = member_of(&original);
                        assert!(
                            apply(&mut models[who], &original),
                            "the model refuses what the ledger took"
                        );
                        assert_eq!(balances, models[who]);
                        sent[*index].2 = Some(balances);
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
                        send(server, &id, &other, &members[member_of(&other)], &store).await;
                    assert!(
                        matches!(result, Err(AppError::IdConflict)),
                        "same id, other content: {result:?}"
                    );
                }
            }
            basic => {
                let index = member_of(basic);
                let id = uuid::Uuid::now_v7().to_string();
                let result = send(server, &id, basic, &members[index], &store).await;
                let expected = apply(&mut models[index], basic);
                match result {
                    Ok((CommandOutcome::Created, balances)) => {
                        assert!(expected, "{basic:?} should have been refused");
                        assert_eq!(balances, models[index], "after {basic:?}");
                        replies.insert(id.clone(), balances);
                        sent.push((id, basic.clone(), Some(balances)));
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
