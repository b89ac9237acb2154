//! Session tokens: 32 random bytes given to the client once; only their SHA-256 is
//! stored, so the table cannot be used to log in.

use crate::db::now_ms;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{Any, Executor, Row};

/// A session without "remember me" lasts a working day.
pub const SESSION_SHORT_MS: i64 = 12 * 60 * 60 * 1_000;
/// A remembered session lasts thirty days.
pub const SESSION_REMEMBERED_MS: i64 = 30 * 24 * 60 * 60 * 1_000;
/// Header values longer than this are not tokens; they are refused unread.
pub const TOKEN_CHARS_MAX: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Staff,
    Member,
}

impl SubjectKind {
    pub fn code(self) -> &'static str {
        match self {
            SubjectKind::Staff => "staff",
            SubjectKind::Member => "member",
        }
    }
}

pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct NewSession<'a> {
    pub kind: SubjectKind,
    pub subject_id: &'a str,
    pub lifetime_ms: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Stores a new session and returns its token and expiry (ms).
pub async fn create<'e, E>(executor: E, new: NewSession<'_>) -> Result<(String, i64), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let token = new_token();
    let now = now_ms();
    let expires_at = now + new.lifetime_ms;
    sqlx::query(
        "INSERT INTO sessions (token_hash, subject_kind, subject_id, created_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash(&token))
    .bind(new.kind.code())
    .bind(new.subject_id)
    .bind(now)
    .bind(expires_at)
    .bind(new.ip)
    .bind(new.user_agent)
    .execute(executor)
    .await?;
    Ok((token, expires_at))
}

/// The subject of a live session, if the token names one.
pub async fn lookup<'e, E>(
    executor: E,
    token: &str,
) -> Result<Option<(SubjectKind, String)>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    if token.is_empty() || token.len() > TOKEN_CHARS_MAX {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT subject_kind, subject_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("subject_kind")?;
    let kind = if kind == "member" {
        SubjectKind::Member
    } else {
        SubjectKind::Staff
    };
    Ok(Some((kind, row.try_get("subject_id")?)))
}

pub async fn delete<'e, E>(executor: E, token: &str) -> Result<u64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}
