//! The notification outbox: messages to members (SMS codes, level changes) are written in
//! the same transaction as what caused them, so a rolled-back change sends nothing and a
//! crash after commit loses nothing. Delivery runs afterwards. The only provider here is
//! the development one, which writes each message to the log; a real SMS gateway plugs in
//! at `deliver`.

use crate::db::{now_ms, Db};
use huiyuan_shared::MemberId;
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// Messages delivered per run at most.
const DELIVERY_BATCH: i64 = 100;

/// A message to queue.
#[derive(Clone, Debug)]
pub struct Message<'a> {
    /// The phone number it goes to.
    pub recipient: &'a str,
    pub member_id: Option<MemberId>,
    /// What it is about, e.g. `register_code`, `level_up`.
    pub kind: &'a str,
    pub body: String,
}

/// Queues an SMS inside the caller's transaction; returns its id.
pub async fn enqueue(
    connection: &mut AnyConnection,
    message: Message<'_>,
) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO notifications (id, channel, recipient, member_id, kind, body, created_at) \
         VALUES ($1, 'sms', $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(message.recipient)
    .bind(message.member_id.map(|id| id.to_string()))
    .bind(message.kind)
    .bind(&message.body)
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(id)
}

/// Delivers what is waiting, oldest first, and marks each sent; returns how many.
pub async fn deliver_pending(db: &Db) -> Result<usize, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, recipient, kind, body FROM notifications WHERE sent_at IS NULL \
         ORDER BY created_at LIMIT $1",
    )
    .bind(DELIVERY_BATCH)
    .fetch_all(&db.pool)
    .await?;
    for row in &rows {
        let id: String = row.try_get("id")?;
        let recipient: String = row.try_get("recipient")?;
        let kind: String = row.try_get("kind")?;
        let body: String = row.try_get("body")?;
        deliver(&recipient, &kind, &body);
        // A verification code is worth nothing once sent and must not sit in the outbox
        // in clear text; other messages are kept as the member's communication record.
        sqlx::query(
            "UPDATE notifications SET sent_at = $2, \
             body = CASE WHEN kind = 'register_code' THEN '' ELSE body END WHERE id = $1",
        )
        .bind(&id)
        .bind(now_ms())
        .execute(&db.writer)
        .await?;
    }
    Ok(rows.len())
}

/// The development provider: the message goes to the server's log, where a developer
/// reads the code they were sent. The number is masked: a log is read by more people than
/// should see members' phone numbers.
fn deliver(recipient: &str, kind: &str, body: &str) {
    let to = huiyuan_shared::api::mask_mobile(recipient);
    tracing::info!(to, kind, body, "sms");
}

/// Delivers queued messages every `every` until the server stops.
pub async fn run_periodically(db: Db, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = deliver_pending(&db).await {
            tracing::warn!(%error, "notification delivery failed");
        }
    }
}
