//! Count cards (计次卡, SV-6): a member buys a number of visits of one service (洗车10次,
//! 理发5次) at a price. The visits are the ledger account `countcard:<id>:visits`, credited
//! from the selling store's `visits_issued`; each use moves visits to the store where they
//! are used, and the account's floor of 0 keeps it from going below zero. The money is
//! taken by a tender as a top-up is and held by the store as `countcard_sold`, what it owes
//! in services until the visits are used.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::card_expiry;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::giftcard::account_entries;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::{
    self, AccountKey, CommandOutcome, LedgerError, NewTransfer, PostingContext, TransferKind,
};
use crate::scope;
use crate::state::AppState;
use axum::http::StatusCode;
use huiyuan_shared::api::error_code::INSUFFICIENT_BALANCE;
use huiyuan_shared::countcard::{
    CountCard, CountCardDetail, CountCardRequest, CountCardUseReceipt, CountCardUseRequest,
    COUNT_CARD_EXPIRED, COUNT_CARD_VISITS_MAX, SERVICE_NAME_CHARS_MAX,
};
use huiyuan_shared::value::TOPUP_FEN_MAX;
use huiyuan_shared::{FieldError, MemberId, Money, StoreId, ValidationErrors};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

const CARD_COLUMNS: &str = "c.id, c.member_id, c.store_id, c.item_id, c.service_name, c.visits, \
     c.price_fen, c.expires_on, c.created_at, COALESCE(a.balance, 0) AS visits_left";
/// A count card's visits account, joined by owner so the accounts index serves it.
const CARD_FROM: &str = "FROM count_cards c \
     LEFT JOIN accounts a ON a.owner_kind = 'countcard' AND a.owner_id = c.id";

fn card_from_row(row: &AnyRow, now: i64) -> Result<CountCard, AppError> {
    let uuid = |text: String| {
        text.parse::<Uuid>()
            .map_err(|error| AppError::Internal(error.into()))
    };
    let expires_on: Option<String> = row.try_get("expires_on")?;
    Ok(CountCard {
        id: uuid(row.try_get("id")?)?,
        member_id: MemberId(uuid(row.try_get("member_id")?)?),
        store_id: StoreId(uuid(row.try_get("store_id")?)?),
        item_id: row.try_get("item_id")?,
        service_name: row.try_get("service_name")?,
        visits_bought: row.try_get("visits")?,
        visits_left: row.try_get("visits_left")?,
        price_fen: row.try_get("price_fen")?,
        expired: card_expiry::is_past(expires_on.as_deref(), now),
        expires_on,
        created_at: ms_to_rfc3339(row.try_get("created_at")?),
    })
}

async fn find(
    connection: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<Option<CountCard>, AppError> {
    sqlx::query(&format!(
        "SELECT {CARD_COLUMNS} {CARD_FROM} WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *connection)
    .await?
    .map(|row| card_from_row(&row, now))
    .transpose()
}

/// A member's count cards, newest first, with the visits left on each.
pub async fn for_member(
    connection: &mut AnyConnection,
    member_id: &str,
    now: i64,
) -> Result<Vec<CountCard>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {CARD_COLUMNS} {CARD_FROM} WHERE c.member_id = $1 ORDER BY c.created_at DESC, c.id DESC"
    ))
    .bind(member_id)
    .fetch_all(&mut *connection)
    .await?;
    rows.iter().map(|row| card_from_row(row, now)).collect()
}

/// One count card with its history.
pub async fn detail(
    connection: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<Option<CountCardDetail>, AppError> {
    let Some(card) = find(connection, id, now).await? else {
        return Ok(None);
    };
    let entries = account_entries(connection, &AccountKey::countcard_visits(id)).await?;
    Ok(Some(CountCardDetail { card, entries }))
}

fn check_sale(request: &CountCardRequest, now: i64) -> Result<Option<String>, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if !(1..=COUNT_CARD_VISITS_MAX).contains(&request.visits) {
        errors.fields.push(FieldError::new(
            "visits",
            "out_of_range",
            format!("次数应为1–{COUNT_CARD_VISITS_MAX}次"),
        ));
    }
    if request.price_fen <= 0 || request.price_fen > TOPUP_FEN_MAX {
        errors.fields.push(FieldError::new(
            "price_fen",
            "out_of_range",
            format!("售价应大于0且不超过{}", Money(TOPUP_FEN_MAX)),
        ));
    }
    match request.service_name.as_deref().map(str::trim) {
        Some(name) if name.chars().count() > SERVICE_NAME_CHARS_MAX => {
            errors.fields.push(FieldError::new(
                "service_name",
                "too_long",
                format!("服务名称最多{SERVICE_NAME_CHARS_MAX}个字"),
            ))
        }
        Some(name) if !name.is_empty() => {}
        _ if request.item_id.is_none() => errors.fields.push(FieldError::new(
            "service_name",
            "required",
            "请填写服务名称或选择商品",
        )),
        _ => {}
    }
    let expires_on = match card_expiry::parse("expires_on", request.expires_on.as_deref(), now) {
        Ok(day) => day,
        Err(error) => {
            errors.fields.push(error);
            None
        }
    };
    errors.into_result()?;
    Ok(expires_on)
}

/// Sells a count card. The request's id becomes the card's id; the same request again
/// returns the first answer and sells nothing; other content under the id is a conflict.
pub async fn sell(
    state: &AppState,
    staff: StaffPrincipal,
    request: CountCardRequest,
) -> Result<(CommandOutcome, CountCard), AppError> {
    let expires_on = check_sale(&request, now_ms())?;
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "countcard.sell",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job_request = request.clone();
    commands::execute(state, meta, &request, move |connection| {
        Box::pin(async move {
            let request = job_request;
            let now = now_ms();
            scope::counter_store(connection, &staff, request.store_id).await?;
            crate::card::standing::check(connection, &request.member_id.to_string(), "member_id")
                .await?;
            let item_name = match &request.item_id {
                Some(item_id) => Some(live_item_name(connection, item_id).await?),
                None => None,
            };
            let service_name = request
                .service_name
                .as_deref()
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .or(item_name)
                .unwrap_or_default();
            let id = request.id.to_string();
            let store = request.store_id.to_string();
            sqlx::query(
                "INSERT INTO count_cards (id, member_id, store_id, item_id, service_name, visits, price_fen, \
                 tender, expires_on, staff_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&id)
            .bind(request.member_id.to_string())
            .bind(&store)
            .bind(request.item_id.as_deref())
            .bind(&service_name)
            .bind(request.visits)
            .bind(request.price_fen)
            .bind(request.tender.code())
            .bind(expires_on.as_deref())
            .bind(staff.id.to_string())
            .bind(now)
            .execute(&mut *connection)
            .await?;
            let context = PostingContext {
                command_id: id.clone(),
                store_id: Some(store.clone()),
                staff_id: Some(staff.id.to_string()),
                device_id: None,
                occurred_at,
            };
            let transfers = [
                NewTransfer {
                    debit: AccountKey::store_visits_issued(&store),
                    credit: AccountKey::countcard_visits(&id),
                    amount: request.visits,
                    kind: TransferKind::Topup,
                    memo: Some(service_name.clone()),
                    points_expire_at: None,
                },
                NewTransfer {
                    debit: AccountKey::store_tender(&store, request.tender.code()),
                    credit: AccountKey::store_countcard_sold(&store),
                    amount: request.price_fen,
                    kind: TransferKind::Topup,
                    memo: Some(service_name.clone()),
                    points_expire_at: None,
                },
            ];
            ledger::post_transfers(connection, &context, &transfers).await?;
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, "countcard.sell", "count_card");
            event.entity_id = Some(id.clone());
            event.store_id = Some(request.store_id);
            event.after = Some(json!({
                "member_id": request.member_id,
                "service_name": service_name,
                "item_id": request.item_id,
                "visits": request.visits,
                "price_fen": request.price_fen,
                "tender": request.tender.code(),
                "expires_on": expires_on,
            }));
            audit::record(connection, event).await?;
            find(connection, &id, now).await?.ok_or(AppError::NotFound)
        })
    })
    .await
}

async fn live_item_name(connection: &mut AnyConnection, item_id: &str) -> Result<String, AppError> {
    sqlx::query("SELECT name FROM items WHERE id = $1 AND deleted_at IS NULL AND active = 1")
        .bind(item_id)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("name"))
        .transpose()?
        .ok_or_else(|| {
            AppError::field(FieldError::new(
                "item_id",
                "unknown_item",
                "商品不存在或已停售",
            ))
        })
}

/// What a use's id stands for: the card from the path and the body.
#[derive(Serialize)]
struct UseCommand<'a> {
    count_card_id: Uuid,
    #[serde(flatten)]
    request: &'a CountCardUseRequest,
}

fn too_few_visits(left: i64, wanted: i64) -> AppError {
    let message = format!("剩余次数不足：还剩{left}次");
    AppError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: INSUFFICIENT_BALANCE,
        message: message.clone(),
        details: json!({
            "fields": [FieldError::new("visits", "insufficient_visits", message)],
            "balance": "visits",
            "needed": wanted,
            "available": left,
        }),
    }
}

/// Uses visits of a count card at a store. Refused when the card's last valid day has
/// passed at `now` or it holds fewer visits than asked; the same request again answers
/// the first receipt and uses nothing.
pub async fn use_visits(
    state: &AppState,
    staff: StaffPrincipal,
    count_card_id: Uuid,
    request: CountCardUseRequest,
    now: i64,
) -> Result<(CommandOutcome, CountCardUseReceipt), AppError> {
    if !(1..=COUNT_CARD_VISITS_MAX).contains(&request.visits) {
        return Err(AppError::field(FieldError::new(
            "visits",
            "out_of_range",
            format!("次数应为1–{COUNT_CARD_VISITS_MAX}次"),
        )));
    }
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "countcard.use",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let command = UseCommand {
        count_card_id,
        request: &request,
    };
    let job_request = request.clone();
    commands::execute(state, meta, &command, move |connection| {
        Box::pin(async move {
            let request = job_request;
            scope::counter_store(connection, &staff, request.store_id).await?;
            let id = count_card_id.to_string();
            let card = find(connection, &id, now)
                .await?
                .ok_or(AppError::NotFound)?;
            if card.expired {
                let message = format!(
                    "该计次卡已过有效期（{}）",
                    card.expires_on.as_deref().unwrap_or_default()
                );
                return Err(AppError::Refused {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: COUNT_CARD_EXPIRED,
                    message: message.clone(),
                    details: json!({
                        "fields": [FieldError::new("count_card_id", COUNT_CARD_EXPIRED, message)],
                        "expires_on": card.expires_on,
                    }),
                });
            }
            // A frozen, archived or merged member uses no visits, as they spend nothing.
            crate::card::standing::check(connection, &card.member_id.to_string(), "count_card_id")
                .await?;
            if card.visits_left < request.visits {
                return Err(too_few_visits(card.visits_left, request.visits));
            }
            let store = request.store_id.to_string();
            let context = PostingContext {
                command_id: request.id.to_string(),
                store_id: Some(store.clone()),
                staff_id: Some(staff.id.to_string()),
                device_id: None,
                occurred_at,
            };
            let transfer = NewTransfer {
                debit: AccountKey::countcard_visits(&id),
                credit: AccountKey::store_visits_used(&store),
                amount: request.visits,
                kind: TransferKind::Spend,
                memo: Some(card.service_name.clone()),
                points_expire_at: None,
            };
            // The check above read the balance; the conditional debit is what holds when
            // two uses race for the last visit.
            ledger::post_transfers(connection, &context, &[transfer])
                .await
                .map_err(|error| match error {
                    LedgerError::Insufficient { .. } => {
                        too_few_visits(card.visits_left, request.visits)
                    }
                    other => other.into(),
                })?;
            let visits_left: i64 = sqlx::query("SELECT balance FROM accounts WHERE id = $1")
                .bind(AccountKey::countcard_visits(&id).id())
                .fetch_one(&mut *connection)
                .await?
                .try_get("balance")?;
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, "countcard.use", "count_card");
            event.entity_id = Some(id);
            event.store_id = Some(request.store_id);
            event.after = Some(json!({
                "use_id": request.id,
                "visits": request.visits,
                "visits_left": visits_left,
            }));
            audit::record(connection, event).await?;
            Ok(CountCardUseReceipt {
                id: request.id,
                count_card_id,
                visits: request.visits,
                visits_left,
                recorded_at: ms_to_rfc3339(now_ms()),
            })
        })
    })
    .await
}
