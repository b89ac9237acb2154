//! Batches of gift cards made at HQ (制卡), and what has become of each batch's value.

use super::numbers::new_card_no;
use super::{node_in_scope, pin};
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::card_expiry;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::{self, AccountKey, CommandOutcome, NewTransfer, PostingContext, TransferKind};
use crate::state::AppState;
use huiyuan_shared::giftcard::{
    GiftCardBatch, GiftCardBatchCreated, GiftCardBatchRequest, GiftCardState, GiftCardStateCounts,
    IssuedGiftCard, BATCH_CARDS_MAX, CARD_BALANCE_FEN_MAX, CARD_NO_PREFIX_DIGITS_MAX,
    PIN_LOCKOUT_MINUTES_DEFAULT, PIN_LOCKOUT_MINUTES_MAX,
};
use huiyuan_shared::{FieldError, Money, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// Cards written by one INSERT: four bound values each keeps a statement well under
/// SQLite's and PostgreSQL's limits on bound parameters.
const INSERT_ROWS_MAX: usize = 500;
/// Rounds of fresh numbers for cards whose number was already taken. With nine or more
/// random digits a collision is rare, and twenty rounds in a row impossible in practice.
const COLLISION_ROUNDS_MAX: usize = 20;
/// Batches a list answers at most, newest first.
pub const BATCH_LIST_MAX: i64 = 200;

/// What a valid request settles beyond its own fields.
#[derive(Clone, Debug)]
struct Settled {
    prefix: String,
    expires_on: Option<String>,
    pin_lockout_minutes: i64,
}

fn check(request: &GiftCardBatchRequest, now: i64) -> Result<Settled, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if !(1..=BATCH_CARDS_MAX).contains(&request.count) {
        errors.fields.push(FieldError::new(
            "count",
            "out_of_range",
            format!("每批制卡数量应为1–{BATCH_CARDS_MAX}张"),
        ));
    }
    if !(0..=CARD_BALANCE_FEN_MAX).contains(&request.face_value_fen) {
        errors.fields.push(FieldError::new(
            "face_value_fen",
            "out_of_range",
            format!("面值应为0（以后再充值）至{}", Money(CARD_BALANCE_FEN_MAX)),
        ));
    }
    if request.face_value_fen == 0 && request.tender.is_some() {
        errors.fields.push(FieldError::new(
            "tender",
            "unexpected",
            "面值为0时无需付款方式",
        ));
    }
    let prefix = request.prefix.clone().unwrap_or_default();
    if prefix.len() > CARD_NO_PREFIX_DIGITS_MAX || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        errors.fields.push(FieldError::new(
            "prefix",
            "invalid_prefix",
            format!("卡号前缀应为0–{CARD_NO_PREFIX_DIGITS_MAX}位数字"),
        ));
    }
    let pin_lockout_minutes = request
        .pin_lockout_minutes
        .unwrap_or(PIN_LOCKOUT_MINUTES_DEFAULT);
    if !(1..=PIN_LOCKOUT_MINUTES_MAX).contains(&pin_lockout_minutes) {
        errors.fields.push(FieldError::new(
            "pin_lockout_minutes",
            "out_of_range",
            format!("锁定时间应为1–{PIN_LOCKOUT_MINUTES_MAX}分钟"),
        ));
    }
    let expires_on = match card_expiry::parse("expires_on", request.expires_on.as_deref(), now) {
        Ok(day) => day,
        Err(error) => {
            errors.fields.push(error);
            None
        }
    };
    errors.into_result()?;
    Ok(Settled {
        prefix,
        expires_on,
        pin_lockout_minutes,
    })
}

/// Makes a batch: the cards with random numbers and PINs and, with a face value, the
/// value on each. The PINs are in the first answer only (201); a replay of the request
/// answers the batch without them (200), because only their hashes are kept.
pub async fn create(
    state: &AppState,
    staff: StaffPrincipal,
    request: GiftCardBatchRequest,
) -> Result<(CommandOutcome, GiftCardBatchCreated), AppError> {
    let settled = check(&request, now_ms())?;
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "giftcard.batch",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    // The stored answer of a command is what a replay gets, so the PINs leave the job
    // through this slot and are never stored.
    let issued: Arc<Mutex<Vec<IssuedGiftCard>>> = Arc::default();
    let slot = issued.clone();
    let job_request = request.clone();
    let (outcome, mut created) = commands::execute(state, meta, &request, move |connection| {
        Box::pin(async move {
            let request = job_request;
            let now = now_ms();
            node_in_scope(connection, &staff, request.store_id).await?;
            let batch_id = request.id.to_string();
            let store = request.store_id.to_string();
            sqlx::query(
                "INSERT INTO giftcard_batches (id, store_id, prefix, card_count, face_value_fen, tender, \
                 expires_on, pin_lockout_minutes, staff_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&batch_id)
            .bind(&store)
            .bind(&settled.prefix)
            .bind(request.count)
            .bind(request.face_value_fen)
            .bind(request.tender.map(|tender| tender.code()))
            .bind(settled.expires_on.as_deref())
            .bind(settled.pin_lockout_minutes)
            .bind(staff.id.to_string())
            .bind(now)
            .execute(&mut *connection)
            .await?;
            let cards = issue_cards(connection, &batch_id, &settled, request.count, now).await?;
            if request.face_value_fen > 0 {
                let counterpart = match request.tender {
                    Some(tender) => AccountKey::store_tender(&store, tender.code()),
                    None => AccountKey::store_giftcard_issued(&store),
                };
                let transfers: Vec<NewTransfer> = cards
                    .iter()
                    .map(|card| NewTransfer {
                        debit: counterpart.clone(),
                        credit: AccountKey::giftcard(&card.card_no),
                        amount: request.face_value_fen,
                        kind: TransferKind::Topup,
                        memo: None,
                        points_expire_at: None,
                    })
                    .collect();
                let context = PostingContext {
                    command_id: batch_id.clone(),
                    store_id: Some(store.clone()),
                    staff_id: Some(staff.id.to_string()),
                    device_id: None,
                    occurred_at: None,
                };
                // One transfer per card, written many rows per statement.
                ledger::bulk::post_transfers_in_bulk(connection, &context, &transfers).await?;
            }
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, "giftcard.batch_create", "giftcard_batch");
            event.entity_id = Some(batch_id.clone());
            event.store_id = Some(request.store_id);
            event.after = Some(json!({
                "count": request.count,
                "face_value_fen": request.face_value_fen,
                "total_value_fen": request.count * request.face_value_fen,
                "tender": request.tender.map(|tender| tender.code()),
                "prefix": settled.prefix,
                "expires_on": settled.expires_on,
                "pin_lockout_minutes": settled.pin_lockout_minutes,
            }));
            audit::record(connection, event).await?;
            let batch = summary(connection, &batch_id, now)
                .await?
                .ok_or(AppError::NotFound)?;
            *slot
                .lock()
                .map_err(|_| AppError::Internal(anyhow::anyhow!("the card slot was poisoned")))? =
                cards;
            Ok(GiftCardBatchCreated {
                batch,
                cards: Vec::new(),
            })
        })
    })
    .await?;
    if outcome == CommandOutcome::Created {
        created.cards = std::mem::take(
            &mut *issued
                .lock()
                .map_err(|_| AppError::Internal(anyhow::anyhow!("the card slot was poisoned")))?,
        );
    }
    Ok((outcome, created))
}

/// Writes `count` cards with fresh numbers and PINs, in the order answered. A number that
/// is already taken (by an earlier batch, or by a concurrent one on PostgreSQL) is not
/// inserted (`ON CONFLICT DO NOTHING`), is missing from what `RETURNING` answers, and its
/// card gets a fresh number in the next round.
async fn issue_cards(
    connection: &mut AnyConnection,
    batch_id: &str,
    settled: &Settled,
    count: i64,
    now: i64,
) -> Result<Vec<IssuedGiftCard>, AppError> {
    let count = usize::try_from(count).unwrap_or(0);
    let mut issued: Vec<Option<IssuedGiftCard>> = vec![None; count];
    let mut waiting: Vec<usize> = (0..count).collect();
    let mut drawn = HashSet::with_capacity(count);
    for _ in 0..COLLISION_ROUNDS_MAX {
        if waiting.is_empty() {
            break;
        }
        let mut taken_elsewhere = Vec::new();
        for chunk in waiting.chunks(INSERT_ROWS_MAX) {
            let mut rows = Vec::with_capacity(chunk.len());
            for &seq in chunk {
                let card_no = loop {
                    let number = new_card_no(&settled.prefix);
                    if drawn.insert(number.clone()) {
                        break number;
                    }
                };
                rows.push((seq, card_no, pin::new_pin()));
            }
            let mut sql = String::from(
                "INSERT INTO giftcards (card_no, batch_id, seq, pin_salt, pin_hash, state, expires_on, \
                 failed_pins, created_at, updated_at) VALUES ",
            );
            for index in 0..rows.len() {
                let first = 4 + index * 4;
                let separator = if index == 0 { "" } else { ", " };
                let _ = write!(
                    sql,
                    "{separator}(${first}, $1, ${}, ${}, ${}, 'active', $2, 0, $3, $3)",
                    first + 1,
                    first + 2,
                    first + 3
                );
            }
            sql.push_str(" ON CONFLICT (card_no) DO NOTHING RETURNING card_no");
            let mut query = sqlx::query(&sql)
                .bind(batch_id)
                .bind(settled.expires_on.as_deref())
                .bind(now);
            for (seq, card_no, pin) in &rows {
                query = query
                    .bind(card_no.as_str())
                    .bind(*seq as i64)
                    .bind(pin.salt.as_str())
                    .bind(pin.hash.as_str());
            }
            let inserted = query
                .fetch_all(&mut *connection)
                .await?
                .iter()
                .map(|row| row.try_get::<String, _>("card_no"))
                .collect::<Result<HashSet<_>, _>>()?;
            for (seq, card_no, pin) in rows {
                if inserted.contains(&card_no) {
                    issued[seq] = Some(IssuedGiftCard {
                        card_no,
                        pin: pin.pin,
                    });
                } else {
                    taken_elsewhere.push(seq);
                }
            }
        }
        waiting = taken_elsewhere;
    }
    if !waiting.is_empty() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "no free card numbers for {} cards after {COLLISION_ROUNDS_MAX} rounds",
            waiting.len()
        )));
    }
    Ok(issued.into_iter().flatten().collect())
}

/// A batch with its cards counted by state and its value: loaded, spent (less what
/// returns gave back) and still on the cards.
pub async fn summary(
    connection: &mut AnyConnection,
    batch_id: &str,
    now: i64,
) -> Result<Option<GiftCardBatch>, AppError> {
    let Some(row) = sqlx::query(
        "SELECT id, store_id, prefix, card_count, face_value_fen, expires_on, pin_lockout_minutes, created_at \
         FROM giftcard_batches WHERE id = $1",
    )
    .bind(batch_id)
    .fetch_optional(&mut *connection)
    .await?
    else {
        return Ok(None);
    };
    let mut states = GiftCardStateCounts::default();
    let groups = sqlx::query(
        "SELECT state, expires_on, COUNT(*) AS cards FROM giftcards WHERE batch_id = $1 \
         GROUP BY state, expires_on",
    )
    .bind(batch_id)
    .fetch_all(&mut *connection)
    .await?;
    for group in groups {
        let stored: String = group.try_get("state")?;
        let expires_on: Option<String> = group.try_get("expires_on")?;
        let cards: i64 = group.try_get("cards")?;
        match super::state_at(&stored, expires_on.as_deref(), now) {
            GiftCardState::Active => states.active += cards,
            GiftCardState::Frozen => states.frozen += cards,
            GiftCardState::Closed => states.closed += cards,
            GiftCardState::Expired => states.expired += cards,
        }
    }
    // PostgreSQL sums BIGINT as NUMERIC, which the Any driver cannot read: cast back.
    let credits = sqlx::query(
        "SELECT t.kind, CAST(SUM(t.amount) AS BIGINT) AS total FROM giftcards g \
         JOIN accounts a ON a.owner_kind = 'giftcard' AND a.owner_id = g.card_no \
         JOIN transfers t ON t.credit_account_id = a.id \
         WHERE g.batch_id = $1 GROUP BY t.kind",
    )
    .bind(batch_id)
    .fetch_all(&mut *connection)
    .await?;
    let (mut loaded, mut given_back) = (0, 0);
    for credit in credits {
        let kind: String = credit.try_get("kind")?;
        let total: i64 = credit.try_get("total")?;
        match kind.as_str() {
            "topup" => loaded += total,
            "refund" => given_back += total,
            _ => {}
        }
    }
    let debited: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(t.amount), 0) AS BIGINT) AS total FROM giftcards g \
         JOIN accounts a ON a.owner_kind = 'giftcard' AND a.owner_id = g.card_no \
         JOIN transfers t ON t.debit_account_id = a.id WHERE g.batch_id = $1",
    )
    .bind(batch_id)
    .fetch_one(&mut *connection)
    .await?
    .try_get("total")?;
    let outstanding: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(a.balance), 0) AS BIGINT) AS total FROM giftcards g \
         JOIN accounts a ON a.owner_kind = 'giftcard' AND a.owner_id = g.card_no \
         WHERE g.batch_id = $1",
    )
    .bind(batch_id)
    .fetch_one(&mut *connection)
    .await?
    .try_get("total")?;
    let parse = |text: String| {
        text.parse()
            .map_err(|error: uuid::Error| AppError::Internal(error.into()))
    };
    Ok(Some(GiftCardBatch {
        id: parse(row.try_get("id")?)?,
        store_id: huiyuan_shared::StoreId(parse(row.try_get("store_id")?)?),
        prefix: row.try_get("prefix")?,
        count: row.try_get("card_count")?,
        face_value_fen: row.try_get("face_value_fen")?,
        expires_on: row.try_get("expires_on")?,
        pin_lockout_minutes: row.try_get("pin_lockout_minutes")?,
        states,
        loaded_fen: loaded,
        spent_fen: debited - given_back,
        outstanding_fen: outstanding,
        created_at: ms_to_rfc3339(row.try_get("created_at")?),
    }))
}

/// The batches issued within the caller's scope, newest first.
pub async fn list(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    now: i64,
) -> Result<Vec<GiftCardBatch>, AppError> {
    let rows = sqlx::query(
        "SELECT b.id FROM giftcard_batches b JOIN stores s ON s.id = b.store_id \
         WHERE s.path LIKE $1 ORDER BY b.created_at DESC, b.id DESC LIMIT $2",
    )
    .bind(format!("{}%", staff.store_path))
    .bind(BATCH_LIST_MAX)
    .fetch_all(&mut *connection)
    .await?;
    let mut batches = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id")?;
        if let Some(batch) = summary(connection, &id, now).await? {
            batches.push(batch);
        }
    }
    Ok(batches)
}

/// Refuses a batch outside the caller's scope: its cards are the issuing node's to
/// look after.
pub async fn check_scope(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    batch_id: &str,
) -> Result<(), AppError> {
    let path: Option<String> = sqlx::query(
        "SELECT s.path FROM giftcard_batches b JOIN stores s ON s.id = b.store_id WHERE b.id = $1",
    )
    .bind(batch_id)
    .fetch_optional(&mut *connection)
    .await?
    .map(|row| row.try_get("path"))
    .transpose()?;
    match path {
        None => Err(AppError::NotFound),
        Some(path) if !staff.covers(&path) => Err(AppError::OutOfScope),
        Some(_) => Ok(()),
    }
}

/// One batch, if it lies within the caller's scope.
pub async fn get(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    batch_id: &str,
    now: i64,
) -> Result<GiftCardBatch, AppError> {
    check_scope(connection, staff, batch_id).await?;
    summary(connection, batch_id, now)
        .await?
        .ok_or(AppError::NotFound)
}
