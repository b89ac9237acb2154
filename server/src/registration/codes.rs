//! SMS codes for self-registration: asked for by phone, limited per phone and per client
//! address, checked with a limit on tries, used once.
//!
//! A code is six random digits kept only as SHA-256 over a random salt and the code, as
//! gift card PINs are (`giftcard/pin.rs` says why a slow hash would not help six digits):
//! what protects a code is that it lives five minutes, dies after five tries, and that a
//! phone gets five codes an hour. Only a phone's latest code counts, so asking for more
//! codes does not give more guesses at once.

use crate::db::now_ms;
use crate::error::AppError;
use crate::notify;
use axum::http::StatusCode;
use huiyuan_shared::registration::{
    code_error, is_code_shaped, CodeSent, SMS_CODES_PER_IP_HOUR, SMS_CODES_PER_PHONE_HOUR,
    SMS_CODE_ATTEMPTS_MAX, SMS_CODE_DIGITS, SMS_CODE_RESEND_SECONDS, SMS_CODE_TTL_SECONDS,
};
use huiyuan_shared::FieldError;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

const HOUR_MS: i64 = 60 * 60 * 1_000;
const RESEND_MS: i64 = SMS_CODE_RESEND_SECONDS * 1_000;
const TTL_MS: i64 = SMS_CODE_TTL_SECONDS * 1_000;
/// What the codes of this module are for, as stored.
const PURPOSE: &str = "register";

/// Makes a code for `phone`, stores its hash and queues the SMS, in the caller's
/// transaction, unless the phone or the client address has asked too often (429).
pub async fn issue(
    connection: &mut AnyConnection,
    phone: &str,
    ip: &str,
) -> Result<CodeSent, AppError> {
    // Phone before address, always: two requests that share either take the locks in the
    // same order and so never wait on each other in a circle.
    touch(connection, &format!("phone:{phone}")).await?;
    touch(connection, &format!("ip:{ip}")).await?;
    let now = now_ms();
    let by_phone = sqlx::query(
        "SELECT created_at FROM sms_codes WHERE phone = $1 AND created_at > $2 \
         ORDER BY created_at",
    )
    .bind(phone)
    .bind(now - HOUR_MS)
    .fetch_all(&mut *connection)
    .await?
    .iter()
    .map(|row| row.try_get::<i64, _>("created_at"))
    .collect::<Result<Vec<_>, _>>()?;
    if let Some(latest) = by_phone.last() {
        if latest + RESEND_MS > now {
            return Err(rate_limited("phone", latest + RESEND_MS - now));
        }
    }
    if by_phone.len() as i64 >= SMS_CODES_PER_PHONE_HOUR {
        let oldest = by_phone[by_phone.len() - SMS_CODES_PER_PHONE_HOUR as usize];
        return Err(rate_limited("phone", oldest + HOUR_MS - now));
    }
    let by_ip = sqlx::query(
        "SELECT created_at FROM sms_codes WHERE ip = $1 AND created_at > $2 \
         ORDER BY created_at DESC LIMIT $3",
    )
    .bind(ip)
    .bind(now - HOUR_MS)
    .bind(SMS_CODES_PER_IP_HOUR)
    .fetch_all(&mut *connection)
    .await?;
    if by_ip.len() as i64 >= SMS_CODES_PER_IP_HOUR {
        let oldest: i64 = by_ip[by_ip.len() - 1].try_get("created_at")?;
        return Err(rate_limited("ip", oldest + HOUR_MS - now));
    }

    let code = format!(
        "{:0width$}",
        OsRng.gen_range(0..1_000_000u32),
        width = SMS_CODE_DIGITS
    );
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = hex::encode(salt);
    sqlx::query(
        "INSERT INTO sms_codes (id, phone, purpose, salt, code_hash, ip, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(phone)
    .bind(PURPOSE)
    .bind(&salt)
    .bind(hash(&salt, &code))
    .bind(ip)
    .bind(now)
    .bind(now + TTL_MS)
    .execute(&mut *connection)
    .await?;
    notify::enqueue(
        connection,
        notify::Message {
            recipient: phone,
            member_id: None,
            kind: "register_code",
            body: format!(
                "您的会员注册验证码为 {code}，{} 分钟内有效。请勿告诉他人。",
                SMS_CODE_TTL_SECONDS / 60
            ),
        },
    )
    .await?;
    Ok(CodeSent {
        expires_in_seconds: SMS_CODE_TTL_SECONDS,
        resend_after_seconds: SMS_CODE_RESEND_SECONDS,
    })
}

/// Takes the lock of a sender's row, creating it on first use.
async fn touch(connection: &mut AnyConnection, sender: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sms_code_senders (sender, touched_at) VALUES ($1, $2) \
         ON CONFLICT (sender) DO UPDATE SET touched_at = excluded.touched_at",
    )
    .bind(sender)
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

fn rate_limited(scope: &'static str, wait_ms: i64) -> AppError {
    let seconds = (wait_ms.max(0) + 999) / 1_000;
    let message = match scope {
        "phone" => format!("该手机号获取验证码过于频繁，请{seconds}秒后再试"),
        _ => format!("获取验证码过于频繁，请{seconds}秒后再试"),
    };
    AppError::Refused {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: huiyuan_shared::api::error_code::RATE_LIMITED,
        message,
        details: json!({ "scope": scope, "retry_after_seconds": seconds }),
    }
}

fn hash(salt: &str, code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(code.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}

fn code_refused(code: &str, message: impl Into<String>) -> AppError {
    AppError::field(FieldError::new("code", code, message))
}

/// Refuses a code that is not six digits; such a typing slip is not counted as a try.
pub fn check_shape(code: &str) -> Result<(), FieldError> {
    if is_code_shaped(code) {
        Ok(())
    } else {
        Err(FieldError::new(
            "code",
            code_error::INVALID,
            format!("验证码应为{SMS_CODE_DIGITS}位数字"),
        ))
    }
}

/// Checks `code` against the phone's latest code and returns that code's id. The try is
/// counted before the comparison, in this transaction, which the caller commits whatever
/// the answer: a wrong code must stay counted although the registration is refused, and
/// counting first keeps parallel guesses within the limit.
pub async fn verify(
    connection: &mut AnyConnection,
    phone: &str,
    code: &str,
) -> Result<Result<String, AppError>, AppError> {
    let latest = sqlx::query(
        "SELECT id, expires_at, used_at FROM sms_codes WHERE phone = $1 AND purpose = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(phone)
    .bind(PURPOSE)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(latest) = latest else {
        return Ok(Err(code_refused(code_error::MISSING, "请先获取短信验证码")));
    };
    let id: String = latest.try_get("id")?;
    if latest.try_get::<Option<i64>, _>("used_at")?.is_some() {
        return Ok(Err(code_refused(
            code_error::USED,
            "验证码已使用，请重新获取",
        )));
    }
    if latest.try_get::<i64, _>("expires_at")? <= now_ms() {
        return Ok(Err(code_refused(
            code_error::EXPIRED,
            "验证码已过期，请重新获取",
        )));
    }
    let counted = sqlx::query(
        "UPDATE sms_codes SET attempts = attempts + 1 \
         WHERE id = $1 AND attempts < $2 AND used_at IS NULL \
         RETURNING attempts, salt, code_hash",
    )
    .bind(&id)
    .bind(SMS_CODE_ATTEMPTS_MAX)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(counted) = counted else {
        return Ok(Err(tries_exceeded()));
    };
    let attempts: i64 = counted.try_get("attempts")?;
    let salt: String = counted.try_get("salt")?;
    let stored: String = counted.try_get("code_hash")?;
    if same(&hash(&salt, code), &stored) {
        return Ok(Ok(id));
    }
    let left = SMS_CODE_ATTEMPTS_MAX - attempts;
    if left <= 0 {
        return Ok(Err(tries_exceeded()));
    }
    Ok(Err(code_refused(
        code_error::WRONG,
        format!("验证码不正确，还可再试{left}次"),
    )))
}

fn tries_exceeded() -> AppError {
    code_refused(
        code_error::TRIES_EXCEEDED,
        "验证码错误次数过多，已失效，请重新获取",
    )
}

/// Marks a verified code used, in the registration's transaction; a code used meanwhile
/// by a concurrent registration is refused.
pub async fn consume(connection: &mut AnyConnection, id: &str) -> Result<(), AppError> {
    let used = sqlx::query("UPDATE sms_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
        .bind(id)
        .bind(now_ms())
        .execute(&mut *connection)
        .await?;
    if used.rows_affected() == 1 {
        Ok(())
    } else {
        Err(code_refused(code_error::USED, "验证码已使用，请重新获取"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_depends_on_salt_and_code() {
        assert_eq!(hash("s", "123456"), hash("s", "123456"));
        assert_ne!(hash("s", "123456"), hash("t", "123456"));
        assert_ne!(hash("s", "123456"), hash("s", "123457"));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }

    #[test]
    fn a_refusal_tells_when_to_try_again_in_whole_seconds() {
        let AppError::Refused {
            status, details, ..
        } = rate_limited("ip", 1_001)
        else {
            panic!("a refusal");
        };
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(details["retry_after_seconds"], 2);
        assert_eq!(details["scope"], "ip");
    }
}
