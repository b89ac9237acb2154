//! Checking a login's password with lockout: five wrong passwords in a row lock the
//! account for fifteen minutes. Staff and members follow the same rule.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::password;
use crate::db::{ms_to_rfc3339, now_ms, Db};
use crate::error::AppError;
use crate::extract::ClientInfo;
use serde_json::json;
use sqlx::Row;

/// Wrong passwords in a row that lock an account.
pub const FAILED_LOGINS_MAX: i64 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1_000;

/// Which accounts a login is for.
#[derive(Clone, Copy, Debug)]
pub enum AccountTable {
    Staff,
    Members,
}

impl AccountTable {
    /// Table and the column a person types to log in. Both are fixed names, never input.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            AccountTable::Staff => ("staff", "username", "staff"),
            AccountTable::Members => ("members", "phone", "member"),
        }
    }
}

/// An account whose password matched.
#[derive(Debug)]
pub struct Verified {
    pub id: String,
    /// Set when the staff member has left (members never have it).
    pub left: bool,
}

/// Checks `password` for the account whose login column equals `login`. A failure is
/// counted and audited in one transaction before the error is returned.
pub async fn verify_login(
    db: &Db,
    table: AccountTable,
    login: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Verified, AppError> {
    let (table_name, login_column, entity) = table.names();
    let left_column = match table {
        AccountTable::Staff => "left_at",
        AccountTable::Members => "NULL AS left_at",
    };
    let row = sqlx::query(&format!(
        "SELECT id, password_hash, locked_until, {left_column} FROM {table_name} WHERE {login_column} = $1"
    ))
    .bind(login)
    .fetch_optional(&db.pool)
    .await?;
    let account = match &row {
        Some(row) => Some((
            row.try_get::<String, _>("id")?,
            row.try_get::<Option<String>, _>("password_hash")?,
            row.try_get::<Option<i64>, _>("locked_until")?,
            row.try_get::<Option<i64>, _>("left_at")?,
        )),
        None => None,
    };
    let now = now_ms();
    if let Some((id, _, Some(until), _)) = &account {
        if *until > now {
            record_failure(db, entity, Some(id), login, "locked", client).await?;
            return Err(AppError::Locked {
                until: ms_to_rfc3339(*until),
            });
        }
    }
    let stored = account.as_ref().and_then(|(_, hash, _, _)| hash.clone());
    let matches = password::verify(password.to_owned(), stored).await?;
    match account {
        Some((id, _, _, left_at)) if matches => Ok(Verified {
            id,
            left: left_at.is_some(),
        }),
        Some((id, ..)) => {
            let mut tx = db.writer.begin().await?;
            let failed: i64 = sqlx::query(&format!(
                "UPDATE {table_name} SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins"
            ))
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("failed_logins")?;
            let locked_until = (failed >= FAILED_LOGINS_MAX).then_some(now + LOCKOUT_MS);
            if let Some(until) = locked_until {
                sqlx::query(&format!(
                    "UPDATE {table_name} SET failed_logins = 0, locked_until = $1 WHERE id = $2"
                ))
                .bind(until)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            }
            let reason = if locked_until.is_some() {
                "locked_now"
            } else {
                "wrong_password"
            };
            audit_failure(&mut tx, entity, Some(&id), login, reason, failed, client).await?;
            tx.commit().await?;
            match locked_until {
                Some(until) => Err(AppError::Locked {
                    until: ms_to_rfc3339(until),
                }),
                None => Err(AppError::InvalidCredentials),
            }
        }
        None => {
            record_failure(db, entity, None, login, "unknown_account", client).await?;
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Clears the failure count after a good password, in the caller's transaction.
pub async fn clear_failures(
    tx: &mut sqlx::AnyConnection,
    table: AccountTable,
    id: &str,
) -> Result<(), sqlx::Error> {
    let (table_name, _, _) = table.names();
    sqlx::query(&format!(
        "UPDATE {table_name} SET failed_logins = 0, locked_until = NULL WHERE id = $1"
    ))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn record_failure(
    db: &Db,
    entity: &str,
    id: Option<&str>,
    login: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let mut tx = db.writer.begin().await?;
    audit_failure(&mut tx, entity, id, login, reason, 0, client).await?;
    tx.commit().await?;
    Ok(())
}

async fn audit_failure(
    tx: &mut sqlx::AnyConnection,
    entity: &str,
    id: Option<&str>,
    login: &str,
    reason: &str,
    failed_logins: i64,
    client: &ClientInfo,
) -> Result<(), sqlx::Error> {
    let mut event = AuditEvent::new(&Actor::Anonymous, "auth.login_failed", entity);
    event.entity_id = id.map(str::to_owned);
    event.ip = client.ip.clone();
    event.after = Some(json!({ "login": login, "reason": reason, "failed_logins": failed_logins }));
    audit::record(tx, event).await?;
    Ok(())
}
