//! The change feed a tablet pulls (SYS-12): one row per syncable thing in
//! `sync_changes`, its version moved forward by triggers whenever the thing changes, read
//! in (version, entity, id) order from an opaque cursor. A page is a handful of queries
//! whatever its size: the keys, then each kind of record joined over the page's range.
//!
//! Ordering under concurrency: on SQLite the one writer hands out versions in commit
//! order, so everything committed is readable. On PostgreSQL versions are transaction ids
//! and a page reads only versions below its snapshot's xmin, the oldest transaction still
//! running: nothing can commit below that line any more (migration 0015 says why).

use crate::db::{now_ms, DbKind};
use crate::error::AppError;
use huiyuan_shared::card::CardState;
use huiyuan_shared::rules::MonthDay;
use huiyuan_shared::sync::{
    phone_hash, CachedCard, CachedMember, Change, OfflinePin, PullPage, PULL_LIMIT_DEFAULT,
    PULL_LIMIT_MAX,
};
use huiyuan_shared::value::MemberBalances;
use huiyuan_shared::{FieldError, MemberId};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use std::fmt;

/// The secret row holding the organisation's phone-hash salt (made by migration 0015).
const PHONE_SALT_NAME: &str = "sync_phone_salt";

/// A position in the feed: after the change of this thing at this version. Written
/// `version:entity:id`, so a page may end inside one version (a transaction that changed
/// many things) and the next page goes on from there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub version: i64,
    pub entity: String,
    pub entity_id: String,
}

impl Cursor {
    /// Reads a cursor a page handed out; empty or absent is the start of the feed.
    pub fn parse(text: Option<&str>) -> Result<Self, AppError> {
        let text = text.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Ok(Cursor::default());
        }
        let bad = || AppError::field(FieldError::new("since", "invalid_cursor", "同步游标无效"));
        let mut parts = text.splitn(3, ':');
        let version = parts
            .next()
            .and_then(|part| part.parse::<i64>().ok())
            .filter(|version| *version >= 0)
            .ok_or_else(bad)?;
        let entity = parts.next().ok_or_else(bad)?;
        let entity_id = parts.next().ok_or_else(bad)?;
        Ok(Cursor {
            version,
            entity: entity.to_owned(),
            entity_id: entity_id.to_owned(),
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.version, self.entity, self.entity_id)
    }
}

/// The page size asked for, within 1..=[`PULL_LIMIT_MAX`].
pub fn page_limit(asked: Option<u32>) -> Result<u32, AppError> {
    match asked {
        None => Ok(PULL_LIMIT_DEFAULT),
        Some(limit) if (1..=PULL_LIMIT_MAX).contains(&limit) => Ok(limit),
        Some(_) => Err(AppError::field(FieldError::new(
            "limit",
            "out_of_range",
            "每页条数应在1到5000之间",
        ))),
    }
}

/// Rows strictly after `$1..$3` and up to `$4..$6` in feed order, written so the leading
/// `version` bounds are an index range on both engines.
///
/// Each query below names its kind as `s.entity || '' = …`: an expression no index
/// serves. Written plainly, SQLite without statistics prefers the primary key's
/// `entity = ?` prefix and walks every member for every page; the version range is the
/// page's few thousand rows.
const RANGE: &str = "s.version >= $1 AND s.version <= $4 \
     AND (s.version > $1 OR s.entity > $2 OR (s.entity = $2 AND s.entity_id > $3)) \
     AND (s.version < $4 OR s.entity < $5 OR (s.entity = $5 AND s.entity_id <= $6))";

/// One page of changes after `since`, at most `limit` of them.
pub async fn pull(db: &crate::db::Db, since: &Cursor, limit: u32) -> Result<PullPage, AppError> {
    let mut tx = db.pool.begin().await?;
    // One snapshot for the whole page, so a record read by a later query of the page is
    // never older than the version its key was read at. (SQLite's read transaction is a
    // snapshot from its first read already.)
    if db.kind == DbKind::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let horizon = match db.kind {
        DbKind::Sqlite => i64::MAX,
        DbKind::Postgres => {
            let text: String =
                sqlx::query("SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS xmin")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("xmin")?;
            text.parse::<i64>()
                .map_err(|error| AppError::Internal(error.into()))?
        }
    };
    let phone_salt = phone_salt(&mut tx).await?;
    let keys = sqlx::query(
        "SELECT s.version, s.entity, s.entity_id FROM sync_changes s \
         WHERE s.version >= $1 AND s.version < $4 \
         AND (s.version > $1 OR s.entity > $2 OR (s.entity = $2 AND s.entity_id > $3)) \
         ORDER BY s.version, s.entity, s.entity_id LIMIT $5",
    )
    .bind(since.version)
    .bind(&since.entity)
    .bind(&since.entity_id)
    .bind(horizon)
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let mut keys = keys
        .iter()
        .map(|row| {
            Ok(Cursor {
                version: row.try_get("version")?,
                entity: row.try_get("entity")?,
                entity_id: row.try_get("entity_id")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let more = keys.len() > limit as usize;
    keys.truncate(limit as usize);
    let Some(last) = keys.last().cloned() else {
        return Ok(PullPage {
            changes: Vec::new(),
            next: since.to_string(),
            more: false,
            phone_salt,
            server_time_ms: now_ms(),
        });
    };
    let range = Range {
        after: since,
        through: &last,
    };
    let wants = |entity: &str| keys.iter().any(|key| key.entity == entity);
    let mut members = if wants("member") {
        members(&mut tx, &range, &phone_salt).await?
    } else {
        HashMap::new()
    };
    let mut items = if wants("item") {
        items(&mut tx, &range).await?
    } else {
        HashMap::new()
    };
    let mut levels = if wants("level") {
        levels(&mut tx, &range).await?
    } else {
        HashMap::new()
    };
    let rules = if wants("rules") {
        Some(crate::sale::current_rules(&mut tx).await?)
    } else {
        None
    };
    tx.commit().await?;
    let mut changes = Vec::with_capacity(keys.len());
    for key in keys {
        let id = key.entity_id;
        let change = match key.entity.as_str() {
            "member" => Change::Member {
                record: members.remove(&id).flatten(),
                id,
            },
            "item" => Change::Item {
                record: items.remove(&id).flatten(),
                id,
            },
            "level" => Change::Level {
                record: levels.remove(&id),
                id,
            },
            "rules" => {
                let record = rules.clone().unwrap_or_default();
                Change::Rules {
                    version: record.version,
                    record,
                }
            }
            other => {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "unknown sync entity {other}"
                )))
            }
        };
        changes.push(change);
    }
    Ok(PullPage {
        changes,
        next: last.to_string(),
        more,
        phone_salt,
        server_time_ms: now_ms(),
    })
}

/// The page's keys lie after `after` and up to `through`.
struct Range<'a> {
    after: &'a Cursor,
    through: &'a Cursor,
}

impl Range<'_> {
    fn bind<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        query
            .bind(self.after.version)
            .bind(self.after.entity.clone())
            .bind(self.after.entity_id.clone())
            .bind(self.through.version)
            .bind(self.through.entity.clone())
            .bind(self.through.entity_id.clone())
    }
}

async fn phone_salt(connection: &mut AnyConnection) -> Result<String, AppError> {
    let salt: Option<String> = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(PHONE_SALT_NAME)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("value"))
        .transpose()?;
    salt.ok_or_else(|| AppError::Internal(anyhow::anyhow!("the phone salt is missing")))
}

/// The page's members by id: `None` for one who is not active (pending, archived,
/// merged) or no longer exists, which the tablet drops.
async fn members(
    connection: &mut AnyConnection,
    range: &Range<'_>,
    phone_salt: &str,
) -> Result<HashMap<String, Option<CachedMember>>, AppError> {
    // A member's balances are three of their accounts, found by the id the ledger derives
    // from owner and purpose: three primary-key probes, no grouping.
    let sql = format!(
        "SELECT s.entity_id, m.id, m.member_no, m.name, m.phone, m.phone_tail, m.level_id, \
         m.profile, m.frozen_at, m.status, m.pin_hash, m.offline_pin_salt, m.offline_pin_verifier, \
         (SELECT a.balance FROM accounts a WHERE a.id = 'member:' || m.id || ':points') AS points, \
         (SELECT a.balance FROM accounts a WHERE a.id = 'member:' || m.id || ':principal') AS principal, \
         (SELECT a.balance FROM accounts a WHERE a.id = 'member:' || m.id || ':bonus') AS bonus \
         FROM sync_changes s LEFT JOIN members m ON m.id = s.entity_id \
         WHERE s.entity || '' = 'member' AND {RANGE}"
    );
    let rows = range
        .bind(sqlx::query(&sql))
        .fetch_all(&mut *connection)
        .await?;
    let mut cards = cards(connection, range).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let key: String = row.try_get("entity_id")?;
        let status: Option<String> = row.try_get("status")?;
        if status.as_deref() != Some("active") {
            found.insert(key, None);
            continue;
        }
        let id: String = row.try_get("id")?;
        let phone: String = row.try_get("phone")?;
        let profile: String = row.try_get("profile")?;
        let offline_salt: Option<String> = row.try_get("offline_pin_salt")?;
        let offline_verifier: Option<String> = row.try_get("offline_pin_verifier")?;
        let member = CachedMember {
            id: id
                .parse::<MemberId>()
                .map_err(|error| AppError::Internal(error.into()))?,
            member_no: row.try_get("member_no")?,
            name: row.try_get("name")?,
            phone_masked: huiyuan_shared::api::mask_mobile(&phone),
            phone_tail: row.try_get("phone_tail")?,
            phone_hash: phone_hash(phone_salt, &phone),
            cards: cards.remove(&id).unwrap_or_default(),
            level_id: row.try_get("level_id")?,
            birthday: birthday(&profile),
            frozen: row.try_get::<Option<i64>, _>("frozen_at")?.is_some(),
            balances: MemberBalances {
                points: row.try_get::<Option<i64>, _>("points")?.unwrap_or(0),
                principal_fen: row.try_get::<Option<i64>, _>("principal")?.unwrap_or(0),
                bonus_fen: row.try_get::<Option<i64>, _>("bonus")?.unwrap_or(0),
            },
            pin_set: row.try_get::<Option<String>, _>("pin_hash")?.is_some(),
            offline_pin: offline_salt
                .zip(offline_verifier)
                .map(|(salt, verifier)| OfflinePin { salt, verifier }),
        };
        found.insert(key, Some(member));
    }
    Ok(found)
}

/// The cards of the page's members, by member id. Cards still in stock belong to no one
/// and never appear.
async fn cards(
    connection: &mut AnyConnection,
    range: &Range<'_>,
) -> Result<HashMap<String, Vec<CachedCard>>, AppError> {
    // `CROSS JOIN` keeps the page's keys the outer loop on SQLite (PostgreSQL plans it
    // as any join), so the cards are found by member, not every card read for a page.
    let sql = format!(
        "SELECT c.member_id, c.card_no, c.state FROM sync_changes s \
         CROSS JOIN member_cards c WHERE c.member_id = s.entity_id \
         AND s.entity || '' = 'member' AND {RANGE} ORDER BY c.member_id, c.card_no"
    );
    let rows = range
        .bind(sqlx::query(&sql))
        .fetch_all(&mut *connection)
        .await?;
    let mut cards: HashMap<String, Vec<CachedCard>> = HashMap::new();
    for row in rows {
        let state: String = row.try_get("state")?;
        let Some(state) = CardState::from_code(&state) else {
            return Err(AppError::Internal(anyhow::anyhow!("card state {state}")));
        };
        cards
            .entry(row.try_get("member_id")?)
            .or_default()
            .push(CachedCard {
                card_no: row.try_get("card_no")?,
                state,
            });
    }
    Ok(cards)
}

/// The member's birthday from their profile's `birth_date` (`YYYY-MM-DD`), for birthday
/// points at the counter.
fn birthday(profile: &str) -> Option<MonthDay> {
    let profile: serde_json::Value = serde_json::from_str(profile).ok()?;
    let date = profile.get("birth_date")?.as_str()?;
    let mut parts = date.split('-').skip(1);
    let month = parts.next()?.parse::<u8>().ok()?;
    let day = parts.next()?.parse::<u8>().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(MonthDay { month, day })
}

/// The page's items by id: a deleted item is `None`; an item taken off sale comes with
/// `active: false`, so a till that scans it can say why it does not sell.
async fn items(
    connection: &mut AnyConnection,
    range: &Range<'_>,
) -> Result<HashMap<String, Option<huiyuan_shared::catalogue::Item>>, AppError> {
    let sql = format!(
        "{} JOIN sync_changes s ON s.entity_id = i.id WHERE s.entity || '' = 'item' AND {RANGE}",
        crate::catalogue::items::ITEM_SELECT
    );
    let rows = range
        .bind(sqlx::query(&sql))
        .fetch_all(&mut *connection)
        .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let item = crate::catalogue::items::ItemRow::from_row(&row)?;
        let record = item.deleted_at.is_none().then(|| item.to_wire());
        found.insert(item.id.to_string(), record);
    }
    Ok(found)
}

/// The page's levels by id. Levels are never deleted; one switched off comes with
/// `active: false`.
async fn levels(
    connection: &mut AnyConnection,
    range: &Range<'_>,
) -> Result<HashMap<String, huiyuan_shared::level::Level>, AppError> {
    let sql = format!(
        "SELECT {} FROM sync_changes s JOIN member_levels l ON l.id = s.entity_id \
         WHERE s.entity || '' = 'level' AND {RANGE}",
        crate::level::definitions::LEVEL_COLUMNS
            .split(", ")
            .map(|column| format!("l.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = range
        .bind(sqlx::query(&sql))
        .fetch_all(&mut *connection)
        .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let level = crate::level::definitions::from_row(&row)?;
        found.insert(level.id.clone(), level);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_writes_and_ids_may_hold_colons() {
        let cursor = Cursor {
            version: 42,
            entity: "item".into(),
            entity_id: "a:b".into(),
        };
        assert_eq!(
            Cursor::parse(Some(&cursor.to_string())).ok(),
            Some(cursor.clone())
        );
        assert_eq!(Cursor::parse(None).ok(), Some(Cursor::default()));
        assert_eq!(Cursor::parse(Some(" ")).ok(), Some(Cursor::default()));
        assert!(Cursor::parse(Some("x:member:1")).is_err());
        assert!(Cursor::parse(Some("-1:member:1")).is_err());
        assert!(Cursor::parse(Some("7:member")).is_err());
    }

    #[test]
    fn a_birthday_comes_from_the_profile_date() {
        assert_eq!(
            birthday(r#"{"birth_date":"1990-05-01"}"#),
            Some(MonthDay { month: 5, day: 1 })
        );
        assert_eq!(birthday("{}"), None);
        assert_eq!(birthday(r#"{"birth_date":"1990-13-01"}"#), None);
    }

    #[test]
    fn a_page_size_is_within_its_bounds() {
        assert_eq!(page_limit(None).ok(), Some(PULL_LIMIT_DEFAULT));
        assert_eq!(page_limit(Some(5_000)).ok(), Some(5_000));
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(5_001)).is_err());
    }
}
