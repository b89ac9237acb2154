//! The member's dynamic QR code (动态会员码, CARD-1): a token the server signs with
//! HMAC-SHA256 and the member's phone shows for a minute. It names the member, a random
//! nonce and the instant it lapses; the till hands it back as the member card. A code is
//! good once: its nonce goes into `member_qr_uses` inside the sale's transaction, whose
//! primary key lets only one of two uses at once succeed. The key is made once and kept in
//! `server_secrets`, so codes survive a restart and every server of a deployment accepts
//! the others' codes.
//!
//! The token is `HY` and upper-case hex, which a QR code holds in its compact alphanumeric
//! mode: 16 bytes nonce, 16 bytes member id, 8 bytes expiry (ms, big-endian), 16 bytes of
//! the HMAC (the first half: 128 bits are far past guessing within a minute).

use super::refusal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use hmac::{Hmac, Mac};
use huiyuan_shared::card::{error_code, MemberQr, QR_LIFETIME_SECONDS};
use huiyuan_shared::MemberId;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use sqlx::{AnyConnection, Row};

const TOKEN_PREFIX: &str = "HY";
const NONCE_BYTES: usize = 16;
const MAC_BYTES: usize = 16;
const PAYLOAD_BYTES: usize = NONCE_BYTES + 16 + 8;
const SECRET_NAME: &str = "member_qr_hmac";
const SECRET_BYTES: usize = 32;

/// A token whose signature has been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrToken {
    pub nonce: String,
    pub member_id: MemberId,
    pub expires_at: i64,
}

/// Whether scanned text has the shape of a member QR token (and so is nothing else).
pub fn looks_like(text: &str) -> bool {
    text.len() == TOKEN_PREFIX.len() + 2 * (PAYLOAD_BYTES + MAC_BYTES)
        && text.starts_with(TOKEN_PREFIX)
}

/// The signing key, made on first use. Two servers making it at once both insert with
/// `ON CONFLICT DO NOTHING` and then read the one that won.
async fn signing_key(connection: &mut AnyConnection) -> Result<Vec<u8>, AppError> {
    if let Some(key) = stored_key(connection).await? {
        return Ok(key);
    }
    let mut fresh = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut fresh);
    sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(SECRET_NAME)
    .bind(hex::encode(fresh))
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    stored_key(connection)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the QR key was not stored")))
}

/// The key as stored, if made yet. Only read: checking a code happens on the read pool,
/// where a write would queue behind SQLite's one writer.
async fn stored_key(connection: &mut AnyConnection) -> Result<Option<Vec<u8>>, AppError> {
    let stored: Option<String> = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(SECRET_NAME)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("value"))
        .transpose()?;
    stored
        .map(|text| hex::decode(text).map_err(|error| AppError::Internal(error.into())))
        .transpose()
}

fn mac(key: &[u8], payload: &[u8]) -> Result<Hmac<Sha256>, AppError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|error| AppError::Internal(anyhow::anyhow!("hmac key: {error}")))?;
    mac.update(payload);
    Ok(mac)
}

/// A fresh code for the member, good for [`QR_LIFETIME_SECONDS`]. Codes that lapsed are
/// forgotten here: once expired a code is refused for that reason alone.
pub async fn issue(
    connection: &mut AnyConnection,
    member_id: MemberId,
) -> Result<MemberQr, AppError> {
    issue_at(connection, member_id, now_ms()).await
}

/// A code as [`issue`] makes it at `now`; stories make lapsed codes with an earlier `now`.
pub async fn issue_at(
    connection: &mut AnyConnection,
    member_id: MemberId,
    now: i64,
) -> Result<MemberQr, AppError> {
    let key = signing_key(connection).await?;
    let expires_at = now + QR_LIFETIME_SECONDS * 1_000;
    let mut payload = Vec::with_capacity(PAYLOAD_BYTES + MAC_BYTES);
    let mut nonce = [0u8; NONCE_BYTES];
    OsRng.fill_bytes(&mut nonce);
    payload.extend_from_slice(&nonce);
    payload.extend_from_slice(member_id.0.as_bytes());
    payload.extend_from_slice(&expires_at.to_be_bytes());
    let tag = mac(&key, &payload)?.finalize().into_bytes();
    payload.extend_from_slice(&tag[..MAC_BYTES]);
    sqlx::query("DELETE FROM member_qr_uses WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *connection)
        .await?;
    Ok(MemberQr {
        token: format!("{TOKEN_PREFIX}{}", hex::encode_upper(payload)),
        expires_at: ms_to_rfc3339(expires_at),
        lifetime_seconds: QR_LIFETIME_SECONDS,
    })
}

fn invalid(field: &str) -> AppError {
    refusal(
        field,
        error_code::QR_INVALID,
        "会员码无效，请在手机上刷新后重试",
    )
}

/// Checks a token's signature and reads it. Expiry and use are checked by the caller,
/// which knows whether it is a new command.
pub async fn verify(
    connection: &mut AnyConnection,
    field: &str,
    text: &str,
) -> Result<QrToken, AppError> {
    let bytes = text
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|hex_text| hex::decode(hex_text).ok())
        .filter(|bytes| bytes.len() == PAYLOAD_BYTES + MAC_BYTES)
        .ok_or_else(|| invalid(field))?;
    let (payload, tag) = bytes.split_at(PAYLOAD_BYTES);
    // No key yet: no code was ever made, so this one was not made here.
    let key = stored_key(connection)
        .await?
        .ok_or_else(|| invalid(field))?;
    // A constant-time comparison: how far a forged tag matches must not show in timing.
    mac(&key, payload)?
        .verify_truncated_left(tag)
        .map_err(|_| invalid(field))?;
    let (nonce, rest) = payload.split_at(NONCE_BYTES);
    let (member, expiry) = rest.split_at(16);
    let member = uuid::Uuid::from_slice(member).map_err(|_| invalid(field))?;
    let expiry: [u8; 8] = expiry.try_into().map_err(|_| invalid(field))?;
    Ok(QrToken {
        nonce: hex::encode(nonce),
        member_id: MemberId(member),
        expires_at: i64::from_be_bytes(expiry),
    })
}

fn expired(field: &str) -> AppError {
    refusal(
        field,
        error_code::QR_EXPIRED,
        "会员码已过期，请在手机上刷新",
    )
}

fn used(field: &str) -> AppError {
    refusal(field, error_code::QR_USED, "会员码已使用过，请在手机上刷新")
}

/// The command that used a code, if one has.
async fn used_by(
    connection: &mut AnyConnection,
    token: &QrToken,
) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query("SELECT command_id FROM member_qr_uses WHERE nonce = $1")
            .bind(&token.nonce)
            .fetch_optional(&mut *connection)
            .await?
            .map(|row| row.try_get("command_id"))
            .transpose()?,
    )
}

/// Whether a code can still be used, without using it. The command that used it (a
/// sale sent again after a lost answer) may present it again, even after it lapsed.
pub async fn check_usable(
    connection: &mut AnyConnection,
    field: &str,
    token: &QrToken,
    command_id: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    match used_by(connection, token).await? {
        Some(user) if command_id == Some(user.as_str()) => Ok(()),
        Some(_) => Err(used(field)),
        None if now > token.expires_at => Err(expired(field)),
        None => Ok(()),
    }
}

/// Uses a code for `command_id`, inside that command's transaction: refused when it has
/// lapsed or another command used it. Of two commands using one code at once, the second
/// waits on the first's row and then finds it.
pub async fn consume(
    connection: &mut AnyConnection,
    field: &str,
    token: &QrToken,
    command_id: &str,
    now: i64,
) -> Result<(), AppError> {
    if now > token.expires_at {
        return Err(expired(field));
    }
    let inserted = sqlx::query(
        "INSERT INTO member_qr_uses (nonce, member_id, command_id, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (nonce) DO NOTHING",
    )
    .bind(&token.nonce)
    .bind(token.member_id.to_string())
    .bind(command_id)
    .bind(token.expires_at)
    .bind(now)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(());
    }
    match used_by(connection, token).await? {
        Some(user) if user == command_id => Ok(()),
        _ => Err(used(field)),
    }
}
