//! Anonymous gift cards (礼品卡, CARD-4). HQ makes cards in batches (`batches`); value is
//! put on a card at creation or later by its number (`loads`); whoever holds the card and
//! its PIN spends it at the counter. A card's money is the ledger account
//! `giftcard:<card_no>:principal`, which never goes below zero.
//!
//! Spending is part of a sale, so this module gives the sale what it needs inside the
//! sale's own transaction: [`spend`] checks the card and its PIN and answers the transfers
//! to post, [`give_back`] the transfers of a return. A wrong PIN must be counted even
//! though the sale that met it is rolled back: [`spend`] refuses with the code
//! `wrong_pin`, and the caller, once its transaction has ended, passes the error through
//! [`count_pin_failure`], which counts it in a transaction of its own (and locks the card
//! at the fifth) and answers the error to send.

pub mod batches;
pub mod loads;
pub mod numbers;
pub mod pin;

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::card_expiry;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::ledger::{AccountKey, NewTransfer, TransferKind};
use crate::state::AppState;
use axum::http::StatusCode;
use huiyuan_shared::api::error_code::INSUFFICIENT_BALANCE;
use huiyuan_shared::giftcard::{
    error_code, normalize_card_no, GiftCardEnquiry, GiftCardState, GiftCardView, PIN_FAILURES_MAX,
};
use huiyuan_shared::value::LedgerEntry;
use huiyuan_shared::{FieldError, Money, StoreId};
use pin::PinCheck;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Movements a card's or count card's history shows at most.
pub const HISTORY_ROWS_MAX: i64 = 200;

/// A card as stored.
#[derive(Clone, Debug)]
pub struct Card {
    pub card_no: String,
    pub batch_id: String,
    /// `active`, `frozen` or `closed`; expiry is worked out from `expires_on`.
    pub state: String,
    pub expires_on: Option<String>,
    pub failed_pins: i64,
    pub locked_until: Option<i64>,
    pub pin_salt: String,
    pub pin_hash: String,
}

impl Card {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Card {
            card_no: row.try_get("card_no")?,
            batch_id: row.try_get("batch_id")?,
            state: row.try_get("state")?,
            expires_on: row.try_get("expires_on")?,
            failed_pins: row.try_get("failed_pins")?,
            locked_until: row.try_get("locked_until")?,
            pin_salt: row.try_get("pin_salt")?,
            pin_hash: row.try_get("pin_hash")?,
        })
    }

    pub fn state_at(&self, now: i64) -> GiftCardState {
        state_at(&self.state, self.expires_on.as_deref(), now)
    }

    /// Refuses a card that cannot take or give value at `now`.
    pub fn check_usable(&self, now: i64) -> Result<(), AppError> {
        match self.state_at(now) {
            GiftCardState::Active => Ok(()),
            GiftCardState::Frozen => Err(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                error_code::CARD_FROZEN,
                "card_no",
                "该礼品卡已冻结，暂不能使用".to_owned(),
                json!({}),
            )),
            GiftCardState::Closed => Err(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                error_code::CARD_CLOSED,
                "card_no",
                "该礼品卡已注销".to_owned(),
                json!({}),
            )),
            GiftCardState::Expired => Err(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                error_code::CARD_EXPIRED,
                "card_no",
                format!(
                    "该礼品卡已过有效期（{}）",
                    self.expires_on.as_deref().unwrap_or_default()
                ),
                json!({ "expires_on": self.expires_on }),
            )),
        }
    }
}

/// The state staff see at `now` of a card stored as `stored`: closed stays closed;
/// otherwise a card past its last valid day is expired, whether frozen or not.
pub fn state_at(stored: &str, expires_on: Option<&str>, now: i64) -> GiftCardState {
    match stored {
        "closed" => GiftCardState::Closed,
        _ if card_expiry::is_past(expires_on, now) => GiftCardState::Expired,
        "frozen" => GiftCardState::Frozen,
        _ => GiftCardState::Active,
    }
}

/// A refusal naming the field at fault, with the code also at the top so a till can
/// react to it without reading the fields.
fn refusal(
    status: StatusCode,
    code: &'static str,
    field: &str,
    message: String,
    extra: Value,
) -> AppError {
    let mut details = json!({ "fields": [FieldError::new(field, code, message.clone())] });
    if let (Some(details), Value::Object(extra)) = (details.as_object_mut(), extra) {
        details.extend(extra);
    }
    AppError::Refused {
        status,
        code,
        message,
        details,
    }
}

fn locked(until: i64, now: i64) -> AppError {
    let minutes = (until - now + 59_999) / 60_000;
    refusal(
        StatusCode::LOCKED,
        error_code::CARD_LOCKED,
        "pin",
        format!("密码错误次数过多，该卡已锁定，请{minutes}分钟后再试"),
        json!({ "locked_until": ms_to_rfc3339(until) }),
    )
}

fn wrong_pin(card_no: &str, attempts_left: i64) -> AppError {
    let message = if attempts_left > 0 {
        format!("礼品卡密码错误，还可尝试{attempts_left}次")
    } else {
        "礼品卡密码错误次数过多，该卡将被锁定".to_owned()
    };
    refusal(
        StatusCode::UNPROCESSABLE_ENTITY,
        error_code::WRONG_PIN,
        "pin",
        message,
        json!({ "card_no": card_no, "attempts_left": attempts_left }),
    )
}

fn insufficient(card_no: &str, needed: i64, balance: i64) -> AppError {
    refusal(
        StatusCode::UNPROCESSABLE_ENTITY,
        INSUFFICIENT_BALANCE,
        "card_no",
        format!("礼品卡余额不足：余额{}", Money(balance)),
        json!({ "balance": "giftcard", "card_no": card_no, "needed": needed, "available": balance }),
    )
}

pub async fn find(
    connection: &mut AnyConnection,
    card_no: &str,
) -> Result<Option<Card>, sqlx::Error> {
    sqlx::query(
        "SELECT card_no, batch_id, state, expires_on, failed_pins, locked_until, pin_salt, pin_hash \
         FROM giftcards WHERE card_no = $1",
    )
    .bind(card_no)
    .fetch_optional(&mut *connection)
    .await?
    .map(|row| Card::from_row(&row))
    .transpose()
}

/// The card a request names: the number's digits are checked first, then it is looked up.
pub async fn named(
    connection: &mut AnyConnection,
    field: &str,
    text: &str,
) -> Result<Card, AppError> {
    let card_no = normalize_card_no(field, text).map_err(AppError::field)?;
    find(connection, &card_no)
        .await?
        .ok_or_else(|| AppError::field(FieldError::new(field, "unknown_card", "礼品卡不存在")))
}

/// The money on a card in 分; a card never loaded has no account yet and holds 0.
pub async fn balance(connection: &mut AnyConnection, card_no: &str) -> Result<i64, sqlx::Error> {
    let balance: Option<i64> = sqlx::query("SELECT balance FROM accounts WHERE id = $1")
        .bind(AccountKey::giftcard(card_no).id())
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("balance"))
        .transpose()?;
    Ok(balance.unwrap_or(0))
}

/// What paying with a card comes to: the transfers the sale posts with its own, and what
/// the card will hold afterwards.
#[derive(Clone, Debug)]
pub struct CardSpend {
    pub card_no: String,
    pub transfers: Vec<NewTransfer>,
    pub balance_after_fen: i64,
}

/// Takes `amount_fen` from a card as payment at `store_id`, inside the caller's
/// transaction, and answers the transfers (card → the store's takings) for the caller to
/// post. Refuses, naming `card_no` or `pin`: an unknown or mistyped number, a frozen,
/// closed or expired card, a card locked by wrong PINs, a wrong PIN (code `wrong_pin`:
/// the caller must pass the error through [`count_pin_failure`] after its transaction has
/// ended), and a balance that does not cover the amount. Nothing is written except that a
/// right PIN clears earlier failures; if the sale is rolled back that is lost too, which
/// only leaves the count where it was. Posting the transfers debits the card with a
/// conditional update, so two sales racing for the same balance cannot both take it.
pub async fn spend(
    connection: &mut AnyConnection,
    card_no: &str,
    pin: &str,
    amount_fen: i64,
    store_id: &str,
    now: i64,
) -> Result<CardSpend, AppError> {
    if amount_fen <= 0 {
        return Err(AppError::field(FieldError::new(
            "amount_fen",
            "not_positive",
            "金额须大于0",
        )));
    }
    let card = named(connection, "card_no", card_no).await?;
    card.check_usable(now)?;
    pin::check_format(pin)?;
    match pin::check(&card, pin, now) {
        PinCheck::Locked { until } => return Err(locked(until, now)),
        PinCheck::Wrong { attempts_left } => return Err(wrong_pin(&card.card_no, attempts_left)),
        PinCheck::Right => {
            if card.failed_pins > 0 || card.locked_until.is_some() {
                pin::clear_failures(connection, &card.card_no, now).await?;
            }
        }
    }
    let balance = balance(connection, &card.card_no).await?;
    if balance < amount_fen {
        return Err(insufficient(&card.card_no, amount_fen, balance));
    }
    Ok(CardSpend {
        transfers: vec![NewTransfer {
            debit: AccountKey::giftcard(&card.card_no),
            credit: AccountKey::store_sales(store_id),
            amount: amount_fen,
            kind: TransferKind::Spend,
            memo: None,
            points_expire_at: None,
        }],
        balance_after_fen: balance - amount_fen,
        card_no: card.card_no,
    })
}

/// Gives `amount_fen` back to a card when goods paid with it are returned at `store_id`:
/// the transfers (the store's takings → card) for the caller to post. No PIN is needed to
/// give value back. A frozen card takes it (the value is the card's, frozen or not); a
/// closed or expired card is refused, naming `card_no`, so the return can refund another
/// way instead of putting money where it can no longer be spent.
pub async fn give_back(
    connection: &mut AnyConnection,
    card_no: &str,
    amount_fen: i64,
    store_id: &str,
    now: i64,
) -> Result<Vec<NewTransfer>, AppError> {
    if amount_fen <= 0 {
        return Err(AppError::field(FieldError::new(
            "amount_fen",
            "not_positive",
            "金额须大于0",
        )));
    }
    let card = named(connection, "card_no", card_no).await?;
    if card.state_at(now) != GiftCardState::Frozen {
        card.check_usable(now)?;
    }
    Ok(vec![NewTransfer {
        debit: AccountKey::store_sales(store_id),
        credit: AccountKey::giftcard(&card.card_no),
        amount: amount_fen,
        kind: TransferKind::Refund,
        memo: None,
        points_expire_at: None,
    }])
}

/// Checks a PIN typed for a card before the payment or enquiry it belongs to, in a
/// transaction of its own that commits whatever the outcome. The attempt is counted
/// before the PIN is compared, and only while fewer than the limit are counted, so
/// guesses sent side by side cannot outrun the lock; a right PIN starts the count again.
pub async fn attempt_pin(
    state: &AppState,
    card_no: &str,
    pin: &str,
    actor: &Actor,
    now: i64,
) -> Result<(), AppError> {
    pin::check_format(pin)?;
    let mut tx = state.db.writer.begin().await?;
    let card = named(&mut tx, "card_no", card_no).await?;
    if let Some(until) = card.locked_until.filter(|until| *until > now) {
        return Err(locked(until, now));
    }
    let claimed = sqlx::query(
        "UPDATE giftcards SET failed_pins = failed_pins + 1, updated_at = $2 \
         WHERE card_no = $1 AND failed_pins < $3 AND (locked_until IS NULL OR locked_until <= $2) \
         RETURNING failed_pins",
    )
    .bind(&card.card_no)
    .bind(now)
    .bind(PIN_FAILURES_MAX)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(claimed) = claimed else {
        tx.commit().await?;
        // The limit's worth of attempts is already under way; one of them will lock.
        return Err(locked(now + 60_000, now));
    };
    let failed: i64 = claimed.try_get("failed_pins")?;
    match pin::check(&card, pin, now) {
        PinCheck::Right => {
            pin::clear_failures(&mut tx, &card.card_no, now).await?;
            tx.commit().await?;
            Ok(())
        }
        PinCheck::Locked { until } => {
            tx.commit().await?;
            Err(locked(until, now))
        }
        PinCheck::Wrong { .. } => {
            let failure = pin::settle_failure(&mut tx, &card, failed, actor, now).await?;
            tx.commit().await?;
            Err(match failure.locked_until {
                Some(until) => locked(until, now),
                None => wrong_pin(&card.card_no, (PIN_FAILURES_MAX - failed).max(0)),
            })
        }
    }
}

/// Whether a refusal says the card is closed or past its last day, so value given back
/// must go another way.
pub fn cannot_take_value(error: &AppError) -> bool {
    matches!(error, AppError::Refused { code, .. }
        if *code == error_code::CARD_CLOSED || *code == error_code::CARD_EXPIRED)
}

/// The card whose wrong PIN refused a command, if that is why it was refused.
pub fn wrong_pin_card(error: &AppError) -> Option<String> {
    match error {
        AppError::Refused { code, details, .. } if *code == error_code::WRONG_PIN => details
            .get("card_no")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// Given the error a command ended with, after its transaction has ended: when it was a
/// wrong gift-card PIN, counts it (locking the card at the fifth in a row) in a
/// transaction of its own and answers the error to send, with the attempts left or the
/// lock; any other error is answered unchanged.
pub async fn count_pin_failure(state: &AppState, error: AppError, actor: &Actor) -> AppError {
    let Some(card_no) = wrong_pin_card(&error) else {
        return error;
    };
    match record_wrong_pin(state, &card_no, actor.clone(), now_ms()).await {
        Ok(answer) | Err(answer) => answer,
    }
}

/// Counts one wrong PIN for a card through the writer and answers the error to send.
pub async fn record_wrong_pin(
    state: &AppState,
    card_no: &str,
    actor: Actor,
    now: i64,
) -> Result<AppError, AppError> {
    let job_card = card_no.to_owned();
    let value = state
        .writer
        .run(Box::new(move |connection: &mut AnyConnection| {
            Box::pin(async move {
                let failure = pin::count_failure(connection, &job_card, &actor, now).await?;
                serde_json::to_value(failure).map_err(|error| AppError::Internal(error.into()))
            })
        }))
        .await?;
    let failure: pin::Failure =
        serde_json::from_value(value).map_err(|error| AppError::Internal(error.into()))?;
    Ok(match failure.locked_until {
        Some(until) if until > now => locked(until, now),
        _ => wrong_pin(card_no, (PIN_FAILURES_MAX - failure.failed_pins).max(0)),
    })
}

/// The movements on a ledger account, newest first, as a history shows them.
pub(crate) async fn account_entries(
    connection: &mut AnyConnection,
    account: &AccountKey,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    let id = account.id();
    let rows = sqlx::query(
        "SELECT id, command_id, kind, credit_account_id, amount, store_id, memo, recorded_at \
         FROM transfers WHERE debit_account_id = $1 OR credit_account_id = $1 \
         ORDER BY recorded_at DESC, id DESC LIMIT $2",
    )
    .bind(&id)
    .bind(HISTORY_ROWS_MAX)
    .fetch_all(&mut *connection)
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let credit: String = row.try_get("credit_account_id")?;
        let amount: i64 = row.try_get("amount")?;
        entries.push(LedgerEntry {
            transfer_id: row.try_get("id")?,
            command_id: row.try_get("command_id")?,
            kind: row.try_get("kind")?,
            account: account.code.to_owned(),
            amount: if credit == id { amount } else { -amount },
            store_id: row.try_get("store_id")?,
            memo: row.try_get("memo")?,
            recorded_at: ms_to_rfc3339(row.try_get("recorded_at")?),
        });
    }
    Ok(entries)
}

/// A card with its balance and history.
pub async fn view(
    connection: &mut AnyConnection,
    card: &Card,
    now: i64,
) -> Result<GiftCardView, AppError> {
    Ok(GiftCardView {
        card_no: card.card_no.clone(),
        batch_id: card
            .batch_id
            .parse()
            .map_err(|error: uuid::Error| AppError::Internal(error.into()))?,
        state: card.state_at(now),
        balance_fen: balance(connection, &card.card_no).await?,
        expires_on: card.expires_on.clone(),
        locked_until: card
            .locked_until
            .filter(|until| *until > now)
            .map(ms_to_rfc3339),
        entries: account_entries(connection, &AccountKey::giftcard(&card.card_no)).await?,
    })
}

/// A balance enquiry with the card's PIN. A wrong PIN counts towards the lock exactly as
/// at a payment, or the enquiry would be a way to guess PINs without limit.
pub async fn enquire(
    state: &AppState,
    actor: Actor,
    enquiry: &GiftCardEnquiry,
    now: i64,
) -> Result<GiftCardView, AppError> {
    attempt_pin(state, &enquiry.card_no, &enquiry.pin, &actor, now).await?;
    let mut connection = state.db.pool.acquire().await?;
    let card = named(&mut connection, "card_no", &enquiry.card_no).await?;
    view(&mut connection, &card, now).await
}

/// Freezes (挂失/冻结) or unfreezes a card. Doing what is already done changes nothing
/// and records nothing; a closed card can be neither.
pub async fn set_frozen(
    state: &AppState,
    staff: &StaffPrincipal,
    card_no: &str,
    frozen: bool,
    reason: Option<String>,
) -> Result<GiftCardView, AppError> {
    let now = now_ms();
    let mut tx = state.db.writer.begin().await?;
    let card = named(&mut tx, "card_no", card_no).await?;
    batches::check_scope(&mut tx, staff, &card.batch_id).await?;
    if card.state == "closed" {
        card.check_usable(now)?;
    }
    let (from, to) = if frozen {
        ("active", "frozen")
    } else {
        ("frozen", "active")
    };
    let changed = sqlx::query(
        "UPDATE giftcards SET state = $3, updated_at = $4 WHERE card_no = $1 AND state = $2",
    )
    .bind(&card.card_no)
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        let actor = Actor::staff(staff);
        let action = if frozen {
            "giftcard.freeze"
        } else {
            "giftcard.unfreeze"
        };
        let mut event = AuditEvent::new(&actor, action, "giftcard");
        event.entity_id = Some(card.card_no.clone());
        event.before = Some(json!({ "state": from }));
        event.after = Some(json!({ "state": to, "reason": reason }));
        audit::record(&mut tx, event).await?;
    }
    let card = find(&mut tx, &card.card_no)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = view(&mut tx, &card, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// The node a batch or load is booked to must exist and lie within the caller's scope;
/// unlike a counter operation it may be HQ or a region.
pub(crate) async fn node_in_scope(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    store_id: StoreId,
) -> Result<(), AppError> {
    let path: Option<String> = sqlx::query("SELECT path FROM stores WHERE id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("path"))
        .transpose()?;
    match path {
        None => Err(AppError::field(FieldError::new(
            "store_id",
            "unknown_store",
            "门店不存在",
        ))),
        Some(path) if !staff.covers(&path) => Err(AppError::OutOfScope),
        Some(_) => Ok(()),
    }
}
