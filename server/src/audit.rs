//! The audit log (SYS-3): every mutation, login and failed login writes one row in the
//! same transaction as the change it records. Rows are hash-chained: each hash covers the
//! row's content and the previous hash, so an edited or deleted row shows.

use crate::db::Db;
use huiyuan_shared::StoreId;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// Who did it.
#[derive(Clone, Debug)]
pub enum Actor {
    Staff {
        id: String,
        name: String,
    },
    Member {
        id: String,
        name: String,
    },
    /// A command run on the server itself (migrations, demo data, create-admin).
    System,
    /// Someone not yet known, e.g. a failed login for an unknown username.
    Anonymous,
}

impl Actor {
    /// The staff member as the audit log names them.
    pub fn staff(staff: &crate::auth::StaffPrincipal) -> Self {
        Actor::Staff {
            id: staff.id.to_string(),
            name: staff.username.clone(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Actor::Staff { .. } => "staff",
            Actor::Member { .. } => "member",
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    fn id_and_name(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Actor::Staff { id, name } | Actor::Member { id, name } => {
                (Some(id.as_str()), Some(name.as_str()))
            }
            Actor::System | Actor::Anonymous => (None, None),
        }
    }
}

/// One audited event.
#[derive(Clone, Debug)]
pub struct AuditEvent<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<String>,
    pub store_id: Option<StoreId>,
    pub ip: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> AuditEvent<'a> {
    pub fn new(actor: &'a Actor, action: &'a str, entity: &'a str) -> Self {
        Self {
            actor,
            action,
            entity,
            entity_id: None,
            store_id: None,
            ip: None,
            before: None,
            after: None,
        }
    }
}

/// The stored fields of a row, in the order the hash covers them.
struct ChainFields<'a> {
    seq: i64,
    at: i64,
    actor_kind: &'a str,
    actor_id: Option<&'a str>,
    actor_name: Option<&'a str>,
    action: &'a str,
    entity: &'a str,
    entity_id: Option<&'a str>,
    store_id: Option<&'a str>,
    ip: Option<&'a str>,
    before_json: Option<&'a str>,
    after_json: Option<&'a str>,
}

impl ChainFields<'_> {
    /// SHA-256 over the previous hash and every field, each length-prefixed so that no
    /// two different rows can produce the same input.
    fn hash(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        let mut put = |value: Option<&str>| match value {
            Some(text) => {
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update(u64::MAX.to_be_bytes()),
        };
        put(Some(prev_hash));
        put(Some(&self.seq.to_string()));
        put(Some(&self.at.to_string()));
        put(Some(self.actor_kind));
        put(self.actor_id);
        put(self.actor_name);
        put(Some(self.action));
        put(Some(self.entity));
        put(self.entity_id);
        put(self.store_id);
        put(self.ip);
        put(self.before_json);
        put(self.after_json);
        hex::encode(hasher.finalize())
    }
}

/// Appends an event to the chain inside the caller's transaction.
pub async fn record(tx: &mut AnyConnection, event: AuditEvent<'_>) -> Result<i64, sqlx::Error> {
    // Taking the head row's write lock first orders concurrent writers of the chain.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;
    let (actor_id, actor_name) = event.actor.id_and_name();
    let store_id = event.store_id.map(|id| id.to_string());
    let before_json = event.before.as_ref().map(Value::to_string);
    let after_json = event.after.as_ref().map(Value::to_string);
    let fields = ChainFields {
        seq,
        at: crate::db::now_ms(),
        actor_kind: event.actor.kind(),
        actor_id,
        actor_name,
        action: event.action,
        entity: event.entity,
        entity_id: event.entity_id.as_deref(),
        store_id: store_id.as_deref(),
        ip: event.ip.as_deref(),
        before_json: before_json.as_deref(),
        after_json: after_json.as_deref(),
    };
    let hash = fields.hash(&prev_hash);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_kind, actor_id, actor_name, action, entity, entity_id, \
         store_id, ip, before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(fields.seq)
    .bind(fields.at)
    .bind(fields.actor_kind)
    .bind(fields.actor_id)
    .bind(fields.actor_name)
    .bind(fields.action)
    .bind(fields.entity)
    .bind(fields.entity_id)
    .bind(fields.store_id)
    .bind(fields.ip)
    .bind(fields.before_json)
    .bind(fields.after_json)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    Ok(seq)
}

/// The outcome of checking the whole chain.
#[derive(Debug, PartialEq, Eq)]
pub enum ChainCheck {
    Intact { rows: i64 },
    Broken { seq: i64, reason: String },
}

/// Rows read per round trip while verifying.
const VERIFY_PAGE_ROWS: i64 = 1_000;

/// Recomputes every hash from the first row and compares it with the stored one and with
/// the head.
pub async fn verify(db: &Db) -> Result<ChainCheck, sqlx::Error> {
    let mut prev_hash = "0".repeat(64);
    let mut expected_seq = 1_i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, at, actor_kind, actor_id, actor_name, action, entity, entity_id, store_id, \
             ip, before_json, after_json, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
        )
        .bind(expected_seq)
        .bind(VERIFY_PAGE_ROWS)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            if seq != expected_seq {
                return Ok(ChainCheck::Broken {
                    seq: expected_seq,
                    reason: format!("row {expected_seq} is missing"),
                });
            }
            let text = |name: &str| row.try_get::<Option<String>, _>(name);
            let (actor_id, actor_name, entity_id) =
                (text("actor_id")?, text("actor_name")?, text("entity_id")?);
            let (store_id, ip) = (text("store_id")?, text("ip")?);
            let (before_json, after_json) = (text("before_json")?, text("after_json")?);
            let actor_kind: String = row.try_get("actor_kind")?;
            let action: String = row.try_get("action")?;
            let entity: String = row.try_get("entity")?;
            let fields = ChainFields {
                seq,
                at: row.try_get("at")?,
                actor_kind: &actor_kind,
                actor_id: actor_id.as_deref(),
                actor_name: actor_name.as_deref(),
                action: &action,
                entity: &entity,
                entity_id: entity_id.as_deref(),
                store_id: store_id.as_deref(),
                ip: ip.as_deref(),
                before_json: before_json.as_deref(),
                after_json: after_json.as_deref(),
            };
            let stored_prev: String = row.try_get("prev_hash")?;
            let stored_hash: String = row.try_get("hash")?;
            if stored_prev != prev_hash {
                return Ok(ChainCheck::Broken {
                    seq,
                    reason: "previous hash does not match the row before".to_owned(),
                });
            }
            if fields.hash(&prev_hash) != stored_hash {
                return Ok(ChainCheck::Broken {
                    seq,
                    reason: "content does not match its hash".to_owned(),
                });
            }
            prev_hash = stored_hash;
            expected_seq += 1;
        }
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    if head_seq != expected_seq - 1 || head_hash != prev_hash {
        return Ok(ChainCheck::Broken {
            seq: head_seq,
            reason: "the last rows were removed".to_owned(),
        });
    }
    Ok(ChainCheck::Intact {
        rows: expected_seq - 1,
    })
}
