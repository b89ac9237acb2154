//! Gift card PINs (消费密码) and their lockout.
//!
//! A PIN is six random digits, answered once when the card is made and kept only as
//! SHA-256 over a random per-card salt and the PIN. A slow password hash (argon2) would
//! not make these PINs safe: six digits are a million candidates, which even argon2 at
//! 50 ms each searches in hours, and argon2 would cost eight minutes of CPU to make a batch
//! of 10,000 cards and 50 ms on every gift-card payment at the counter. What protects a
//! card is the online lockout: five wrong PINs in a row lock its spending, so guessing
//! through the API gets five tries per lockout period. The salt keeps one precomputed
//! table from serving every card; anyone who can read the database can move value
//! without any PIN, so the hash is not the line of defence there.

use super::Card;
use crate::audit::{self, Actor, AuditEvent};
use crate::error::AppError;
use huiyuan_shared::giftcard::PIN_FAILURES_MAX;
use huiyuan_shared::sale::PIN_DIGITS;
use huiyuan_shared::FieldError;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// Bytes of random salt per card.
const SALT_BYTES: usize = 16;

/// A new PIN with its salt and hash, as stored.
pub struct NewPin {
    pub pin: String,
    pub salt: String,
    pub hash: String,
}

pub fn new_pin() -> NewPin {
    let pin = format!(
        "{:0width$}",
        OsRng.gen_range(0..1_000_000u32),
        width = PIN_DIGITS
    );
    let mut salt = [0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    let salt = hex::encode(salt);
    let hash = hash(&salt, &pin);
    NewPin { pin, salt, hash }
}

fn hash(salt: &str, pin: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(pin.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compares without stopping at the first difference, so the time taken does not tell
/// how much of a guess was right.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}

/// A PIN as typed must be six digits; anything else is an input mistake, not a guess,
/// and is not counted against the card.
pub fn check_format(pin: &str) -> Result<(), AppError> {
    if pin.len() == PIN_DIGITS && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::field(FieldError::new(
            "pin",
            "invalid_pin",
            format!("密码应为{PIN_DIGITS}位数字"),
        )))
    }
}

/// What a PIN attempt on a card comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinCheck {
    Right,
    /// Wrong; `attempts_left` more wrong PINs are allowed before the lock (0: this one
    /// locks the card once it is counted).
    Wrong {
        attempts_left: i64,
    },
    /// Locked by earlier wrong PINs until this instant; the PIN was not even compared.
    Locked {
        until: i64,
    },
}

pub fn check(card: &Card, pin: &str, now: i64) -> PinCheck {
    if let Some(until) = card.locked_until.filter(|until| *until > now) {
        return PinCheck::Locked { until };
    }
    if same(&hash(&card.pin_salt, pin), &card.pin_hash) {
        PinCheck::Right
    } else {
        PinCheck::Wrong {
            attempts_left: (PIN_FAILURES_MAX - card.failed_pins - 1).max(0),
        }
    }
}

/// After a right PIN: the count of wrong ones starts again and an ended lock is cleared.
pub async fn clear_failures(
    connection: &mut AnyConnection,
    card_no: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE giftcards SET failed_pins = 0, locked_until = NULL, updated_at = $2 \
         WHERE card_no = $1 AND (failed_pins > 0 OR locked_until IS NOT NULL)",
    )
    .bind(card_no)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A counted wrong PIN: how many in a row now, and the lock if this one set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub failed_pins: i64,
    pub locked_until: Option<i64>,
}

/// After a wrong PIN already counted (`failed` in a row, this one included): locks the
/// card at the limit and records the failure, in the caller's transaction.
pub async fn settle_failure(
    connection: &mut AnyConnection,
    card: &Card,
    failed: i64,
    actor: &Actor,
    now: i64,
) -> Result<Failure, AppError> {
    let mut locked_until = None;
    if failed >= PIN_FAILURES_MAX {
        let minutes: i64 =
            sqlx::query("SELECT pin_lockout_minutes FROM giftcard_batches WHERE id = $1")
                .bind(&card.batch_id)
                .fetch_one(&mut *connection)
                .await?
                .try_get("pin_lockout_minutes")?;
        let until = now + minutes * 60_000;
        sqlx::query("UPDATE giftcards SET failed_pins = 0, locked_until = $2 WHERE card_no = $1")
            .bind(&card.card_no)
            .bind(until)
            .execute(&mut *connection)
            .await?;
        locked_until = Some(until);
    }
    let mut event = AuditEvent::new(actor, "giftcard.pin_failed", "giftcard");
    event.entity_id = Some(card.card_no.clone());
    event.after = Some(json!({
        "failed_pins": failed,
        "locked_until": locked_until.map(crate::db::ms_to_rfc3339),
    }));
    audit::record(connection, event).await?;
    Ok(Failure {
        failed_pins: failed,
        locked_until,
    })
}

/// Counts a wrong PIN and locks the card at the fifth, in the caller's transaction, which
/// must be one that commits even though the attempt was refused. A card already locked
/// (by a concurrent attempt) is not counted again.
pub async fn count_failure(
    connection: &mut AnyConnection,
    card_no: &str,
    actor: &Actor,
    now: i64,
) -> Result<Failure, AppError> {
    let counted = sqlx::query(
        "UPDATE giftcards SET failed_pins = failed_pins + 1, updated_at = $2 \
         WHERE card_no = $1 AND (locked_until IS NULL OR locked_until <= $2) \
         RETURNING failed_pins, batch_id",
    )
    .bind(card_no)
    .bind(now)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(counted) = counted else {
        let until: Option<i64> =
            sqlx::query("SELECT locked_until FROM giftcards WHERE card_no = $1")
                .bind(card_no)
                .fetch_optional(&mut *connection)
                .await?
                .map(|row| row.try_get("locked_until"))
                .transpose()?
                .flatten();
        return Ok(Failure {
            failed_pins: PIN_FAILURES_MAX,
            locked_until: until,
        });
    };
    let failed_pins: i64 = counted.try_get("failed_pins")?;
    let batch_id: String = counted.try_get("batch_id")?;
    let mut locked_until = None;
    if failed_pins >= PIN_FAILURES_MAX {
        let minutes: i64 =
            sqlx::query("SELECT pin_lockout_minutes FROM giftcard_batches WHERE id = $1")
                .bind(&batch_id)
                .fetch_one(&mut *connection)
                .await?
                .try_get("pin_lockout_minutes")?;
        let until = now + minutes * 60_000;
        sqlx::query("UPDATE giftcards SET failed_pins = 0, locked_until = $2 WHERE card_no = $1")
            .bind(card_no)
            .bind(until)
            .execute(&mut *connection)
            .await?;
        locked_until = Some(until);
    }
    let mut event = AuditEvent::new(actor, "giftcard.pin_failed", "giftcard");
    event.entity_id = Some(card_no.to_owned());
    event.after = Some(json!({
        "failed_pins": failed_pins,
        "locked_until": locked_until.map(crate::db::ms_to_rfc3339),
    }));
    audit::record(connection, event).await?;
    Ok(Failure {
        failed_pins,
        locked_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(pin: &NewPin, failed_pins: i64, locked_until: Option<i64>) -> Card {
        Card {
            card_no: "6200001234567890".to_owned(),
            batch_id: String::new(),
            state: "active".to_owned(),
            expires_on: None,
            failed_pins,
            locked_until,
            pin_salt: pin.salt.clone(),
            pin_hash: pin.hash.clone(),
        }
    }

    #[test]
    fn pins_are_six_digits_stored_salted() {
        let first = new_pin();
        let second = new_pin();
        assert_eq!(first.pin.len(), PIN_DIGITS);
        assert!(check_format(&first.pin).is_ok());
        assert_eq!(first.hash.len(), 64, "a SHA-256, not the PIN");
        assert_ne!(first.salt, second.salt);
        assert_ne!(hash(&first.salt, "123456"), hash(&second.salt, "123456"));
        assert!(check_format("12345").is_err());
        assert!(check_format("12345a").is_err());
    }

    #[test]
    fn the_lock_holds_until_it_ends() {
        let pin = new_pin();
        let wrong = if pin.pin == "000000" {
            "000001"
        } else {
            "000000"
        };
        assert_eq!(check(&card(&pin, 0, None), &pin.pin, 10), PinCheck::Right);
        assert_eq!(
            check(&card(&pin, 3, None), wrong, 10),
            PinCheck::Wrong { attempts_left: 1 }
        );
        assert_eq!(
            check(&card(&pin, 0, Some(100)), &pin.pin, 99),
            PinCheck::Locked { until: 100 }
        );
        assert_eq!(
            check(&card(&pin, 0, Some(100)), &pin.pin, 100),
            PinCheck::Right
        );
    }
}
