//! Member card PINs (消费密码, CARD-3). A member who has a PIN must give it to spend stored
//! value or points; earning and cash sales need none. Only an argon2id hash is kept.
//! Wrong PINs in a row are counted and, at the rules' limit, lock spending for the rules'
//! time; a right PIN resets the count.
//!
//! The check runs before the sale reaches the ledger writer, and its count is written on
//! its own: a failure must be counted even though the sale it belonged to is refused and
//! writes nothing, and argon2 must not hold the writer that every till shares.

use crate::audit::{self, Actor, AuditEvent};
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::sale;
use crate::state::AppState;
use axum::http::StatusCode;
use huiyuan_shared::api::error_code;
use huiyuan_shared::rules::CounterPolicy;
use huiyuan_shared::sale::{check_new_pin, PinChange, PinStatus};
use huiyuan_shared::sync::offline_pin_verifier;
use huiyuan_shared::FieldError;
use serde_json::json;
use sqlx::Row;

/// Random bytes of an offline verifier's salt.
const OFFLINE_SALT_BYTES: usize = 16;

/// A fresh salt and the offline verifier of a PIN (`shared::sync`), for the member row.
/// Each is made anew whenever the plain PIN is at hand, so a verifier copied off one
/// tablet stops matching the next one the member's tills receive.
struct OfflinePinRow {
    salt: String,
    verifier: String,
}

impl OfflinePinRow {
    fn new(pin: &str) -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; OFFLINE_SALT_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let salt = hex::encode(bytes);
        let verifier = offline_pin_verifier(&salt, pin);
        Self { salt, verifier }
    }
}

struct StoredPin {
    hash: Option<String>,
    locked_until: Option<i64>,
}

async fn stored(state: &AppState, member_id: &str) -> Result<StoredPin, AppError> {
    let row = sqlx::query("SELECT pin_hash, pin_locked_until FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(StoredPin {
        hash: row.try_get("pin_hash")?,
        locked_until: row.try_get("pin_locked_until")?,
    })
}

async fn stored_until(state: &AppState, member_id: &str) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query("SELECT pin_locked_until FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_one(&state.db.writer)
            .await?
            .try_get("pin_locked_until")?,
    )
}

async fn policy(state: &AppState) -> Result<CounterPolicy, AppError> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(sale::current_rules(&mut connection).await?.counter)
}

fn locked(until: i64) -> AppError {
    AppError::Refused {
        status: StatusCode::LOCKED,
        code: error_code::PIN_LOCKED,
        message: format!(
            "消费密码错误次数过多，已锁定至{}",
            sale::business_clock(until)
        ),
        details: json!({
            "fields": [FieldError::new("pin", "pin_locked", "消费密码已锁定")],
            "locked_until": ms_to_rfc3339(until),
        }),
    }
}

/// What the member's PIN state is, for the counter and the member's phone.
pub async fn status(state: &AppState, member_id: &str) -> Result<PinStatus, AppError> {
    let pin = stored(state, member_id).await?;
    Ok(PinStatus {
        is_set: pin.hash.is_some(),
        locked_until: pin
            .locked_until
            .filter(|until| *until > now_ms())
            .map(ms_to_rfc3339),
    })
}

/// Lets a spend of the member's value through when they have no PIN or gave the right
/// one; otherwise counts the failure and refuses, naming `pin`.
pub async fn check_for_spending(
    state: &AppState,
    member_id: &str,
    pin: Option<&str>,
) -> Result<(), AppError> {
    let stored = match stored(state, member_id).await {
        Err(AppError::NotFound) => {
            // The sale itself reports an unknown member, naming its field.
            return Ok(());
        }
        other => other?,
    };
    let Some(hash) = stored.hash else {
        return Ok(());
    };
    let now = now_ms();
    if let Some(until) = stored.locked_until.filter(|until| *until > now) {
        return Err(locked(until));
    }
    let Some(pin) = pin.filter(|pin| !pin.is_empty()) else {
        return Err(AppError::field(FieldError::new(
            "pin",
            "pin_required",
            "请输入会员消费密码",
        )));
    };
    // The attempt is counted before the PIN is compared, and only while fewer than the
    // limit are counted: guesses sent side by side cannot outrun the lock.
    let policy = policy(state).await?;
    let max = i64::from(policy.pin_failures_max);
    let claimed = sqlx::query(
        "UPDATE members SET pin_failures = pin_failures + 1 \
         WHERE id = $1 AND pin_failures < $2 AND (pin_locked_until IS NULL OR pin_locked_until <= $3) \
         RETURNING pin_failures",
    )
    .bind(member_id)
    .bind(max)
    .bind(now)
    .fetch_optional(&state.db.writer)
    .await?;
    let Some(claimed) = claimed else {
        // Locked meanwhile, or the limit's worth of attempts already under way.
        let until = stored_until(state, member_id)
            .await?
            .filter(|until| *until > now)
            .unwrap_or(now + policy.pin_lock_ms());
        return Err(locked(until));
    };
    let failures: i64 = claimed.try_get("pin_failures")?;
    if crate::auth::password::verify(pin.to_owned(), Some(hash)).await? {
        // The plain PIN is at hand: a fresh offline verifier goes out with the member, so
        // a member whose PIN predates the sync can spend offline after one online sale.
        let offline = OfflinePinRow::new(pin);
        sqlx::query(
            "UPDATE members SET pin_failures = 0, offline_pin_salt = $1, offline_pin_verifier = $2 \
             WHERE id = $3",
        )
        .bind(offline.salt)
        .bind(offline.verifier)
        .bind(member_id)
        .execute(&state.db.writer)
        .await?;
        return Ok(());
    }
    if failures >= max {
        let until = now + policy.pin_lock_ms();
        sqlx::query("UPDATE members SET pin_failures = 0, pin_locked_until = $1 WHERE id = $2")
            .bind(until)
            .bind(member_id)
            .execute(&state.db.writer)
            .await?;
        return Err(locked(until));
    }
    let left = max - failures;
    Err(AppError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: error_code::WRONG_PIN,
        message: format!("消费密码错误，还可尝试{left}次"),
        details: json!({
            "fields": [FieldError::new("pin", "wrong_pin", "消费密码错误")],
            "attempts_left": left,
        }),
    })
}

/// Lets an offline spend of the member's value through (sync push): the till checked
/// the PIN against the verifier it had cached, so a member with a PIN must have one.
/// Without a verifier the till could not have checked, and the spend is refused like a
/// sale without its PIN.
pub async fn check_offline_verifier(state: &AppState, member_id: &str) -> Result<(), AppError> {
    let row = sqlx::query("SELECT pin_hash, offline_pin_verifier FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        // The sale itself reports an unknown member, naming its field.
        return Ok(());
    };
    let pin_set = row.try_get::<Option<String>, _>("pin_hash")?.is_some();
    let verifier = row
        .try_get::<Option<String>, _>("offline_pin_verifier")?
        .is_some();
    if pin_set && !verifier {
        return Err(AppError::field(FieldError::new(
            "pin",
            "pin_required",
            "该会员的消费密码未在线验证过，离线不能使用储值或积分",
        )));
    }
    Ok(())
}

/// Who is changing a PIN, which decides whether the old one is needed.
pub enum Changer {
    /// The member, or staff without the right to reset: the old PIN must be given.
    KnowsOldPin,
    /// Staff with `member.edit` may set a PIN without the old one (the member forgot it).
    MayReset,
}

/// Sets or changes the PIN, clearing any lock, and records who did it.
pub async fn change(
    state: &AppState,
    member_id: &str,
    request: &PinChange,
    changer: Changer,
    actor: &Actor,
) -> Result<PinStatus, AppError> {
    check_new_pin("new_pin", &request.new_pin).map_err(AppError::field)?;
    let action = match (stored(state, member_id).await?.hash, changer) {
        (None, _) => "member.pin_set",
        (Some(_), Changer::MayReset) => "member.pin_reset",
        (Some(_), Changer::KnowsOldPin) => {
            // The old PIN is checked, and counted, like a PIN at the counter.
            if request.old_pin.as_deref().is_none_or(str::is_empty) {
                return Err(AppError::field(FieldError::new(
                    "old_pin",
                    "pin_required",
                    "请输入原消费密码",
                )));
            }
            check_for_spending(state, member_id, request.old_pin.as_deref())
                .await
                .map_err(|error| rename_pin_field(error, "old_pin"))?;
            "member.pin_change"
        }
    };
    let hash = crate::auth::password::hash(request.new_pin.clone()).await?;
    let offline = OfflinePinRow::new(&request.new_pin);
    let mut tx = state.db.writer.begin().await?;
    sqlx::query(
        "UPDATE members SET pin_hash = $1, pin_failures = 0, pin_locked_until = NULL, updated_at = $2, \
         offline_pin_salt = $3, offline_pin_verifier = $4 WHERE id = $5",
    )
    .bind(hash)
    .bind(now_ms())
    .bind(offline.salt)
    .bind(offline.verifier)
    .bind(member_id)
    .execute(&mut *tx)
    .await?;
    let mut event = AuditEvent::new(actor, action, "member");
    event.entity_id = Some(member_id.to_owned());
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(PinStatus {
        is_set: true,
        locked_until: None,
    })
}

/// The PIN errors name `pin`; when the old PIN of a change was wrong they name `old_pin`.
fn rename_pin_field(error: AppError, field: &str) -> AppError {
    match error {
        AppError::Refused {
            status,
            code,
            message,
            mut details,
        } => {
            if let Some(fields) = details.get_mut("fields").and_then(|f| f.as_array_mut()) {
                for entry in fields {
                    entry["field"] = json!(field);
                }
            }
            AppError::Refused {
                status,
                code,
                message,
                details,
            }
        }
        AppError::Invalid(mut errors) => {
            for entry in &mut errors.fields {
                entry.field = field.to_owned();
            }
            AppError::Invalid(errors)
        }
        other => other,
    }
}
