//! HQ's level definitions: any number of levels, each name and tier used once, checked
//! field by field with every problem reported at once. Levels are never deleted, since
//! members' history names them; a level is retired by switching it off, which is refused
//! while any member holds it (move them first), so no member is ever left on a level
//! that no longer exists for the counter, the upgrade check or the term-end job.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::now_ms;
use crate::error::AppError;
use huiyuan_shared::level::{
    Level, LevelDraft, TermEnd, UpgradeMetric, UpgradeRule, LEVEL_IN_USE, STANDARD_LEVEL_ID,
};
use huiyuan_shared::{FieldError, ValidationErrors};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The columns [`from_row`] reads, for queries that select levels.
pub const LEVEL_COLUMNS: &str = "id, name, tier, discount_bp, points_multiplier_bp, term_months, \
     upgrade_metric, upgrade_threshold, upgrade_period_months, at_term_end, active";

/// A level from a row of [`LEVEL_COLUMNS`]; `members` is left at 0.
pub fn from_row(row: &AnyRow) -> Result<Level, AppError> {
    let metric: Option<String> = row.try_get("upgrade_metric")?;
    let upgrade = match metric {
        Some(code) => Some(UpgradeRule {
            metric: UpgradeMetric::from_code(&code)
                .ok_or_else(|| anyhow::anyhow!("upgrade metric {code}"))?,
            threshold: row
                .try_get::<Option<i64>, _>("upgrade_threshold")?
                .unwrap_or(0),
            period_months: row.try_get("upgrade_period_months")?,
        }),
        None => None,
    };
    let at_term_end: String = row.try_get("at_term_end")?;
    Ok(Level {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        tier: row.try_get("tier")?,
        discount_bp: row.try_get("discount_bp")?,
        points_multiplier_bp: row.try_get("points_multiplier_bp")?,
        term_months: row.try_get("term_months")?,
        upgrade,
        at_term_end: TermEnd::from_code(&at_term_end)
            .ok_or_else(|| anyhow::anyhow!("at_term_end {at_term_end}"))?,
        active: row.try_get::<i64, _>("active")? != 0,
        members: 0,
    })
}

/// Every level, lowest tier first.
pub async fn all(connection: &mut AnyConnection) -> Result<Vec<Level>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {LEVEL_COLUMNS} FROM member_levels ORDER BY tier"
    ))
    .fetch_all(&mut *connection)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Every level with how many members hold it, lowest tier first. Each count is one
/// probe of the `members_level` index.
pub async fn list(connection: &mut AnyConnection) -> Result<Vec<Level>, AppError> {
    let mut levels = all(connection).await?;
    for level in &mut levels {
        level.members = holders(connection, &level.id).await?;
    }
    Ok(levels)
}

async fn holders(connection: &mut AnyConnection, id: &str) -> Result<i64, AppError> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS held FROM members WHERE level_id = $1")
            .bind(id)
            .fetch_one(&mut *connection)
            .await?
            .try_get("held")?,
    )
}

/// One level, or `None`.
pub async fn find(connection: &mut AnyConnection, id: &str) -> Result<Option<Level>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {LEVEL_COLUMNS} FROM member_levels WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *connection)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Adds a level; returns it as stored.
pub async fn create(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    draft: &LevelDraft,
) -> Result<Level, AppError> {
    let id = draft
        .id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let mut errors = draft.check(false).err().unwrap_or_default();
    if find(connection, &id).await?.is_some() {
        errors.fields.push(FieldError::new(
            "id",
            "duplicate_id",
            "该代码已被其他级别使用",
        ));
    }
    check_unique(connection, draft, None, &mut errors).await?;
    errors.into_result().map_err(AppError::Invalid)?;
    let now = now_ms();
    let saved = sqlx::query(
        "INSERT INTO member_levels (id, name, tier, discount_bp, points_multiplier_bp, term_months, \
         upgrade_metric, upgrade_threshold, upgrade_period_months, at_term_end, active, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&id)
    .bind(draft.name.trim())
    .bind(draft.tier)
    .bind(draft.discount_bp)
    .bind(draft.points_multiplier_bp)
    .bind(draft.term_months)
    .bind(draft.upgrade.map(|rule| rule.metric.code()))
    .bind(draft.upgrade.map(|rule| rule.threshold))
    .bind(draft.upgrade.and_then(|rule| rule.period_months))
    .bind(draft.at_term_end.code())
    .bind(i64::from(draft.active))
    .bind(now)
    .execute(&mut *connection)
    .await;
    saved.map_err(raced)?;
    let level = find(connection, &id).await?.ok_or(AppError::NotFound)?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "level.create", "member_level");
    event.entity_id = Some(id);
    event.after = Some(json!(level));
    audit::record(connection, event).await?;
    Ok(level)
}

/// Changes a level. The standard level keeps tier 0, no term and no rule, and stays on;
/// a level members hold cannot be switched off. Members keep the term they have: a new
/// term length applies from the next term on.
pub async fn update(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    id: &str,
    draft: &LevelDraft,
) -> Result<Level, AppError> {
    let before = find(connection, id).await?.ok_or(AppError::NotFound)?;
    let standard = id == STANDARD_LEVEL_ID;
    let draft = LevelDraft {
        id: None,
        ..draft.clone()
    };
    let mut errors = draft.check(standard).err().unwrap_or_default();
    check_unique(connection, &draft, Some(id), &mut errors).await?;
    let refused = errors.fields.iter().any(|error| error.field == "active");
    if before.active && !draft.active && !refused {
        let held = holders(connection, id).await?;
        if held > 0 {
            errors.fields.push(FieldError::new(
                "active",
                LEVEL_IN_USE,
                format!("有{held}位会员处于该级别，请先调整他们的级别再停用"),
            ));
        }
    }
    errors.into_result().map_err(AppError::Invalid)?;
    let saved = sqlx::query(
        "UPDATE member_levels SET name = $2, tier = $3, discount_bp = $4, points_multiplier_bp = $5, \
         term_months = $6, upgrade_metric = $7, upgrade_threshold = $8, upgrade_period_months = $9, \
         at_term_end = $10, active = $11, updated_at = $12 WHERE id = $1",
    )
    .bind(id)
    .bind(draft.name.trim())
    .bind(draft.tier)
    .bind(draft.discount_bp)
    .bind(draft.points_multiplier_bp)
    .bind(draft.term_months)
    .bind(draft.upgrade.map(|rule| rule.metric.code()))
    .bind(draft.upgrade.map(|rule| rule.threshold))
    .bind(draft.upgrade.and_then(|rule| rule.period_months))
    .bind(draft.at_term_end.code())
    .bind(i64::from(draft.active))
    .bind(now_ms())
    .execute(&mut *connection)
    .await;
    saved.map_err(raced)?;
    let after = find(connection, id).await?.ok_or(AppError::NotFound)?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "level.update", "member_level");
    event.entity_id = Some(id.to_owned());
    event.before = Some(json!(before));
    event.after = Some(json!(after));
    audit::record(connection, event).await?;
    Ok(after)
}

/// Names and tiers are each one level's; `except` is the level being changed. A field
/// already refused for its form is not looked up as well.
async fn check_unique(
    connection: &mut AnyConnection,
    draft: &LevelDraft,
    except: Option<&str>,
    errors: &mut ValidationErrors,
) -> Result<(), AppError> {
    let except = except.unwrap_or_default();
    let refused = |errors: &ValidationErrors, field: &str| {
        errors.fields.iter().any(|error| error.field == field)
    };
    if refused(errors, "name") && refused(errors, "tier") {
        return Ok(());
    }
    let name_taken = sqlx::query("SELECT id FROM member_levels WHERE name = $1 AND id <> $2")
        .bind(draft.name.trim())
        .bind(except)
        .fetch_optional(&mut *connection)
        .await?;
    if name_taken.is_some() && !refused(errors, "name") {
        errors
            .fields
            .push(FieldError::new("name", "duplicate_name", "已有同名级别"));
    }
    let tier_taken = sqlx::query("SELECT name FROM member_levels WHERE tier = $1 AND id <> $2")
        .bind(draft.tier)
        .bind(except)
        .fetch_optional(&mut *connection)
        .await?;
    if let Some(row) = tier_taken.filter(|_| !refused(errors, "tier")) {
        let holder: String = row.try_get("name")?;
        errors.fields.push(FieldError::new(
            "tier",
            "duplicate_tier",
            format!("等级{}已属于“{holder}”", draft.tier),
        ));
    }
    Ok(())
}

/// A level saved at the same moment with the same name or tier loses to the unique
/// indexes; it is told so as if it had been checked.
fn raced(error: sqlx::Error) -> AppError {
    match crate::catalogue::unique_violation(&error) {
        Some(what) if what.contains("tier") => AppError::field(FieldError::new(
            "tier",
            "duplicate_tier",
            "该等级已被其他级别使用",
        )),
        Some(what) if what.contains("name") => {
            AppError::field(FieldError::new("name", "duplicate_name", "已有同名级别"))
        }
        Some(_) => AppError::field(FieldError::new(
            "id",
            "duplicate_id",
            "该代码已被其他级别使用",
        )),
        None => error.into(),
    }
}

/// A member's level as it stands: the level, when its term ends, and the member's status.
#[derive(Clone, Debug)]
pub struct Held {
    pub level: Level,
    pub expires_at: Option<i64>,
    pub status: String,
}

/// The level the member holds, or `None` for an unknown member.
pub async fn held(
    connection: &mut AnyConnection,
    member_id: &str,
) -> Result<Option<Held>, AppError> {
    let row = sqlx::query(
        "SELECT m.level_expires_at, m.status, l.id, l.name, l.tier, l.discount_bp, \
         l.points_multiplier_bp, l.term_months, l.upgrade_metric, l.upgrade_threshold, \
         l.upgrade_period_months, l.at_term_end, l.active \
         FROM members m JOIN member_levels l ON l.id = m.level_id WHERE m.id = $1",
    )
    .bind(member_id)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Held {
        level: from_row(&row)?,
        expires_at: row.try_get("level_expires_at")?,
        status: row.try_get("status")?,
    }))
}
