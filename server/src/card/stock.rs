//! Card stock (卡库存, CARD-5): HQ makes batches of plastic cards, which start `in_stock`
//! where they were made; hands them on to stores (by batch and count in the batch's order,
//! or by list); staff at a store issue the cards held there. Every card's state and
//! location is known, and counted by batch, location and state.

use super::numbers::new_card_no;
use super::refusal;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::principal::parse_id;
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::giftcard::node_in_scope;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::CommandOutcome;
use crate::state::AppState;
use huiyuan_shared::card::{
    check_prefix, normalize_card_no, CardBatch, CardBatchRequest, CardHandover,
    CardHandoverRequest, CardKind, CardMedium, CardState, CardStockRow, CardStockSummary,
    HANDOVER_CARDS_MAX, STOCK_BATCH_CARDS_MAX,
};
use huiyuan_shared::{FieldError, StoreId, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::HashSet;
use std::fmt::Write as _;

/// Cards written by one INSERT: five bound values each stays well under both engines'
/// limits on bound parameters.
const INSERT_ROWS_MAX: usize = 500;
/// Rounds of fresh numbers for cards whose number was already taken.
const COLLISION_ROUNDS_MAX: usize = 20;
/// Batches a summary lists at most, newest first.
pub const BATCH_LIST_MAX: i64 = 200;

fn check_batch(request: &CardBatchRequest) -> Result<String, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if !(1..=STOCK_BATCH_CARDS_MAX).contains(&request.count) {
        errors.fields.push(FieldError::new(
            "count",
            "out_of_range",
            format!("每批制卡数量应为1–{STOCK_BATCH_CARDS_MAX}张"),
        ));
    }
    if request.medium == CardMedium::Virtual {
        errors.fields.push(FieldError::new(
            "medium",
            "virtual_not_stocked",
            "虚拟卡无需制卡，办卡时直接生成",
        ));
    }
    let prefix = check_prefix("prefix", request.prefix.as_deref().unwrap_or_default())
        .map_err(|error| errors.fields.push(error))
        .unwrap_or_default();
    errors.into_result()?;
    Ok(prefix)
}

/// Makes a batch of stock cards at a node within the caller's scope. The same request
/// again answers the batch (200); the same id with other content is a conflict.
pub async fn create_batch(
    state: &AppState,
    staff: StaffPrincipal,
    request: CardBatchRequest,
) -> Result<(CommandOutcome, CardBatch), AppError> {
    let prefix = check_batch(&request)?;
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "card.batch",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job = request.clone();
    commands::execute(state, meta, &request, move |connection| {
        Box::pin(async move {
            let request = job;
            node_in_scope(connection, &staff, request.store_id).await?;
            let now = now_ms();
            let batch_id = request.id.to_string();
            let kind = request.kind.unwrap_or_default();
            sqlx::query(
                "INSERT INTO card_batches (id, store_id, medium, kind, prefix, card_count, staff_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&batch_id)
            .bind(request.store_id.to_string())
            .bind(request.medium.code())
            .bind(kind.code())
            .bind(&prefix)
            .bind(request.count)
            .bind(staff.id.to_string())
            .bind(now)
            .execute(&mut *connection)
            .await?;
            insert_cards(connection, &request, kind, &prefix, now).await?;
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, "card.batch_create", "card_batch");
            event.entity_id = Some(batch_id.clone());
            event.store_id = Some(request.store_id);
            event.after = Some(json!({
                "count": request.count, "medium": request.medium.code(), "kind": kind.code(),
                "prefix": prefix,
            }));
            audit::record(connection, event).await?;
            batch(connection, &batch_id).await?.ok_or(AppError::NotFound)
        })
    })
    .await
}

/// Writes the batch's cards, `in_stock` at the batch's node. A number already taken is
/// not inserted (`ON CONFLICT DO NOTHING`), is missing from what `RETURNING` answers, and
/// its card gets a fresh number in the next round.
async fn insert_cards(
    connection: &mut AnyConnection,
    request: &CardBatchRequest,
    kind: CardKind,
    prefix: &str,
    now: i64,
) -> Result<(), AppError> {
    let count = usize::try_from(request.count).unwrap_or(0);
    let mut waiting: Vec<usize> = (0..count).collect();
    let mut drawn = HashSet::with_capacity(count);
    for _ in 0..COLLISION_ROUNDS_MAX {
        if waiting.is_empty() {
            return Ok(());
        }
        let mut taken_elsewhere = Vec::new();
        for chunk in waiting.chunks(INSERT_ROWS_MAX) {
            let rows: Vec<(usize, String)> = chunk
                .iter()
                .map(|&seq| loop {
                    let number = new_card_no(prefix);
                    if drawn.insert(number.clone()) {
                        break (seq, number);
                    }
                })
                .collect();
            let mut sql = String::from(
                "INSERT INTO member_cards (card_no, medium, kind, state, batch_id, seq, location_id, \
                 created_at, updated_at) VALUES ",
            );
            for index in 0..rows.len() {
                let first = 6 + index * 2;
                let separator = if index == 0 { "" } else { ", " };
                let _ = write!(
                    sql,
                    "{separator}(${first}, $1, $2, 'in_stock', $3, ${}, $4, $5, $5)",
                    first + 1
                );
            }
            sql.push_str(" ON CONFLICT (card_no) DO NOTHING RETURNING card_no");
            let mut query = sqlx::query(&sql)
                .bind(request.medium.code())
                .bind(kind.code())
                .bind(request.id.to_string())
                .bind(request.store_id.to_string())
                .bind(now);
            // `$5` is bound above; positions start at 6.
            for (seq, card_no) in &rows {
                query = query.bind(card_no.as_str()).bind(*seq as i64);
            }
            let inserted = query
                .fetch_all(&mut *connection)
                .await?
                .iter()
                .map(|row| row.try_get::<String, _>("card_no"))
                .collect::<Result<HashSet<_>, _>>()?;
            taken_elsewhere.extend(
                rows.into_iter()
                    .filter(|(_, card_no)| !inserted.contains(card_no))
                    .map(|(seq, _)| seq),
            );
        }
        waiting = taken_elsewhere;
    }
    if waiting.is_empty() {
        return Ok(());
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free card numbers for {} cards after {COLLISION_ROUNDS_MAX} rounds",
        waiting.len()
    )))
}

/// A batch with its first and last card numbers.
pub async fn batch(
    connection: &mut AnyConnection,
    batch_id: &str,
) -> Result<Option<CardBatch>, AppError> {
    let Some(row) = sqlx::query(
        "SELECT id, store_id, medium, kind, prefix, card_count, created_at FROM card_batches WHERE id = $1",
    )
    .bind(batch_id)
    .fetch_optional(&mut *connection)
    .await?
    else {
        return Ok(None);
    };
    let ends = sqlx::query(
        "SELECT (SELECT card_no FROM member_cards WHERE batch_id = $1 ORDER BY seq LIMIT 1) AS first_no, \
         (SELECT card_no FROM member_cards WHERE batch_id = $1 ORDER BY seq DESC LIMIT 1) AS last_no",
    )
    .bind(batch_id)
    .fetch_one(&mut *connection)
    .await?;
    let medium: String = row.try_get("medium")?;
    let kind: String = row.try_get("kind")?;
    Ok(Some(CardBatch {
        id: parse_id(row.try_get("id")?)?,
        store_id: parse_id(row.try_get("store_id")?)?,
        medium: CardMedium::from_code(&medium)
            .ok_or_else(|| anyhow::anyhow!("card medium {medium}"))?,
        kind: CardKind::from_code(&kind).ok_or_else(|| anyhow::anyhow!("card kind {kind}"))?,
        prefix: row.try_get("prefix")?,
        count: row.try_get("card_count")?,
        first_card_no: ends.try_get("first_no")?,
        last_card_no: ends.try_get("last_no")?,
        created_at: ms_to_rfc3339(row.try_get("created_at")?),
    }))
}

fn check_handover(request: &CardHandoverRequest) -> Result<Vec<String>, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if request.from_store_id == request.to_store_id {
        errors.fields.push(FieldError::new(
            "to_store_id",
            "same_store",
            "调出与调入不能是同一机构",
        ));
    }
    let mut card_nos = Vec::with_capacity(request.card_nos.len());
    match (request.batch_id, request.count, request.card_nos.is_empty()) {
        (Some(_), Some(count), true) if (1..=HANDOVER_CARDS_MAX).contains(&count) => {}
        (Some(_), Some(_), true) => errors.fields.push(FieldError::new(
            "count",
            "out_of_range",
            format!("每次调拨应为1–{HANDOVER_CARDS_MAX}张"),
        )),
        (None, None, false) if request.card_nos.len() as i64 <= HANDOVER_CARDS_MAX => {
            for (index, text) in request.card_nos.iter().enumerate() {
                match normalize_card_no(&format!("card_nos[{index}]"), text) {
                    Ok(card_no) => card_nos.push(card_no),
                    Err(error) => errors.fields.push(error),
                }
            }
        }
        (None, None, false) => errors.fields.push(FieldError::new(
            "card_nos",
            "too_many",
            format!("每次调拨最多{HANDOVER_CARDS_MAX}张"),
        )),
        _ => errors.fields.push(FieldError::new(
            "card_nos",
            "required",
            "请给出批次和张数，或卡号清单（二选一）",
        )),
    }
    errors.into_result()?;
    Ok(card_nos)
}

/// Hands stock cards from one node to another, both within the caller's scope: `count`
/// cards of a batch held at the source in the batch's order, or the cards listed, each of
/// which must be in stock at the source. All or nothing; the same request again answers
/// the first hand-over (200).
pub async fn hand_over(
    state: &AppState,
    staff: StaffPrincipal,
    request: CardHandoverRequest,
) -> Result<(CommandOutcome, CardHandover), AppError> {
    let listed = check_handover(&request)?;
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "card.handover",
        store_id: Some(request.to_store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job = request.clone();
    commands::execute(state, meta, &request, move |connection| {
        Box::pin(async move {
            let request = job;
            node_in_scope(connection, &staff, request.from_store_id).await?;
            node_in_scope(connection, &staff, request.to_store_id)
                .await
                .map_err(|error| rename_store_field(error, "to_store_id"))?;
            let from = request.from_store_id.to_string();
            let card_nos = match (request.batch_id, request.count) {
                (Some(batch), Some(count)) => {
                    from_batch(connection, &batch.to_string(), &from, count).await?
                }
                _ => check_listed(connection, &listed, &from).await?,
            };
            let now = now_ms();
            move_cards(connection, &card_nos, &from, &request.to_store_id.to_string(), now)
                .await?;
            sqlx::query(
                "INSERT INTO card_handovers (id, from_store_id, to_store_id, batch_id, card_count, staff_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(request.id.to_string())
            .bind(&from)
            .bind(request.to_store_id.to_string())
            .bind(request.batch_id.map(|id| id.to_string()))
            .bind(card_nos.len() as i64)
            .bind(staff.id.to_string())
            .bind(now)
            .execute(&mut *connection)
            .await?;
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, "card.handover", "card_handover");
            event.entity_id = Some(request.id.to_string());
            event.store_id = Some(request.to_store_id);
            event.after = Some(json!({
                "from_store_id": request.from_store_id, "to_store_id": request.to_store_id,
                "batch_id": request.batch_id, "cards": card_nos.len(),
                "first_card_no": card_nos.first(), "last_card_no": card_nos.last(),
            }));
            audit::record(connection, event).await?;
            Ok(CardHandover {
                id: request.id,
                from_store_id: request.from_store_id,
                to_store_id: request.to_store_id,
                card_nos,
                recorded_at: ms_to_rfc3339(now),
            })
        })
    })
    .await
}

fn rename_store_field(error: AppError, field: &str) -> AppError {
    match error {
        AppError::Invalid(mut errors) => {
            for error in &mut errors.fields {
                error.field = field.to_owned();
            }
            AppError::Invalid(errors)
        }
        other => other,
    }
}

/// The first `count` cards of a batch in stock at `from`, in the batch's order; fewer is
/// refused, naming how many there are.
async fn from_batch(
    connection: &mut AnyConnection,
    batch_id: &str,
    from: &str,
    count: i64,
) -> Result<Vec<String>, AppError> {
    let rows = sqlx::query(
        "SELECT card_no FROM member_cards WHERE batch_id = $1 AND location_id = $2 \
         AND state = 'in_stock' ORDER BY seq LIMIT $3",
    )
    .bind(batch_id)
    .bind(from)
    .bind(count)
    .fetch_all(&mut *connection)
    .await?;
    if (rows.len() as i64) < count {
        return Err(super::with_details(
            refusal(
                "count",
                "not_enough_stock",
                format!("该批次在调出机构只有{}张库存卡", rows.len()),
            ),
            json!({ "available": rows.len() }),
        ));
    }
    Ok(rows
        .iter()
        .map(|row| row.try_get("card_no"))
        .collect::<Result<_, _>>()?)
}

/// Each listed card must be in stock at `from`; every one that is not is named at once.
async fn check_listed(
    connection: &mut AnyConnection,
    card_nos: &[String],
    from: &str,
) -> Result<Vec<String>, AppError> {
    let mut errors = ValidationErrors::default();
    let mut seen = HashSet::with_capacity(card_nos.len());
    for (index, card_no) in card_nos.iter().enumerate() {
        let field = format!("card_nos[{index}]");
        if !seen.insert(card_no.as_str()) {
            errors
                .fields
                .push(FieldError::new(&field, "duplicate", "卡号重复"));
            continue;
        }
        let row = sqlx::query("SELECT state, location_id FROM member_cards WHERE card_no = $1")
            .bind(card_no)
            .fetch_optional(&mut *connection)
            .await?;
        let Some(row) = row else {
            errors
                .fields
                .push(FieldError::new(&field, "unknown_card", "会员卡不存在"));
            continue;
        };
        let state: String = row.try_get("state")?;
        let location: Option<String> = row.try_get("location_id")?;
        if state != CardState::InStock.code() {
            errors.fields.push(FieldError::new(
                &field,
                "card_not_in_stock",
                "该卡已发出，不能调拨",
            ));
        } else if location.as_deref() != Some(from) {
            errors.fields.push(FieldError::new(
                &field,
                huiyuan_shared::card::error_code::CARD_NOT_HERE,
                "该卡不在调出机构",
            ));
        }
    }
    errors.into_result()?;
    Ok(card_nos.to_vec())
}

/// Moves the cards, conditionally: a card that left `from` or stock meanwhile is not
/// moved, and the whole hand-over is refused.
async fn move_cards(
    connection: &mut AnyConnection,
    card_nos: &[String],
    from: &str,
    to: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut moved = 0;
    for chunk in card_nos.chunks(INSERT_ROWS_MAX) {
        let mut sql = String::from(
            "UPDATE member_cards SET location_id = $1, updated_at = $2 \
             WHERE location_id = $3 AND state = 'in_stock' AND card_no IN (",
        );
        for index in 0..chunk.len() {
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(sql, "{separator}${}", index + 4);
        }
        sql.push(')');
        let mut query = sqlx::query(&sql).bind(to).bind(now).bind(from);
        for card_no in chunk {
            query = query.bind(card_no.as_str());
        }
        moved += query.execute(&mut *connection).await?.rows_affected();
    }
    if moved != card_nos.len() as u64 {
        return Err(refusal(
            "card_nos",
            "card_not_in_stock",
            "部分卡已不在调出机构库存中，请重试",
        ));
    }
    Ok(())
}

/// Cards counted by batch, location and state within the caller's scope, and the batches
/// made there, newest first.
pub async fn summary(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
) -> Result<CardStockSummary, AppError> {
    let scope = format!("{}%", staff.store_path);
    let rows = sqlx::query(
        "SELECT c.batch_id, c.location_id, s.name AS location_name, c.state, COUNT(*) AS cards \
         FROM member_cards c JOIN stores s ON s.id = c.location_id \
         WHERE s.path LIKE $1 GROUP BY c.batch_id, c.location_id, s.name, c.state \
         ORDER BY s.name, c.state",
    )
    .bind(&scope)
    .fetch_all(&mut *connection)
    .await?;
    let mut counted = Vec::with_capacity(rows.len());
    for row in rows {
        let state: String = row.try_get("state")?;
        let batch_id: Option<String> = row.try_get("batch_id")?;
        let location_id: Option<String> = row.try_get("location_id")?;
        counted.push(CardStockRow {
            batch_id: batch_id.map(parse_id).transpose()?,
            location_id: location_id.map(parse_id::<StoreId>).transpose()?,
            location_name: row.try_get("location_name")?,
            state: CardState::from_code(&state)
                .ok_or_else(|| anyhow::anyhow!("card state {state}"))?,
            cards: row.try_get("cards")?,
        });
    }
    let ids = sqlx::query(
        "SELECT b.id FROM card_batches b JOIN stores s ON s.id = b.store_id \
         WHERE s.path LIKE $1 ORDER BY b.created_at DESC, b.id DESC LIMIT $2",
    )
    .bind(&scope)
    .bind(BATCH_LIST_MAX)
    .fetch_all(&mut *connection)
    .await?;
    let mut batches = Vec::with_capacity(ids.len());
    for row in ids {
        let id: String = row.try_get("id")?;
        if let Some(found) = batch(connection, &id).await? {
            batches.push(found);
        }
    }
    Ok(CardStockSummary {
        batches,
        rows: counted,
    })
}
