//! HQ's classification lists (MEM-3): frequency, type and region.

use crate::db::now_ms;
use crate::error::AppError;
use huiyuan_shared::member::{ClassList, Classification, MemberClass, MemberClassDraft};
use huiyuan_shared::FieldError;
use sqlx::{AnyConnection, Row};

/// Every entry of every list, in display order.
pub async fn list(connection: &mut AnyConnection) -> Result<Vec<MemberClass>, AppError> {
    let rows = sqlx::query(
        "SELECT id, list, name, position, active FROM member_classes ORDER BY list, position, name",
    )
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| {
            let list: String = row.try_get("list")?;
            Ok(MemberClass {
                id: row.try_get("id")?,
                list: ClassList::from_code(&list)
                    .ok_or_else(|| anyhow::anyhow!("class list {list}"))?,
                name: row.try_get("name")?,
                position: row.try_get("position")?,
                active: row.try_get::<i64, _>("active")? != 0,
            })
        })
        .collect()
}

/// Adds an entry to a list; a name already on the list is refused.
pub async fn create(
    connection: &mut AnyConnection,
    draft: &MemberClassDraft,
) -> Result<MemberClass, AppError> {
    let name = draft.name.trim();
    if name.is_empty() || name.chars().count() > 20 {
        return Err(AppError::field(FieldError::new(
            "name",
            "invalid_name",
            "名称应为 1–20 个字",
        )));
    }
    let taken = sqlx::query("SELECT id FROM member_classes WHERE list = $1 AND name = $2")
        .bind(draft.list.code())
        .bind(name)
        .fetch_optional(&mut *connection)
        .await?;
    if taken.is_some() {
        return Err(AppError::field(FieldError::new(
            "name",
            "duplicate_name",
            "该分类下已有同名项",
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO member_classes (id, list, name, position, active, created_at) \
         VALUES ($1, $2, $3, $4, 1, $5)",
    )
    .bind(&id)
    .bind(draft.list.code())
    .bind(name)
    .bind(draft.position)
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(MemberClass {
        id,
        list: draft.list,
        name: name.to_owned(),
        position: draft.position,
        active: true,
    })
}

/// Turns an entry off (members keep it; it is no longer offered) or on again.
pub async fn set_active(
    connection: &mut AnyConnection,
    id: &str,
    active: bool,
) -> Result<(), AppError> {
    let done = sqlx::query("UPDATE member_classes SET active = $2 WHERE id = $1")
        .bind(id)
        .bind(i64::from(active))
        .execute(&mut *connection)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Checks that each id names an active entry of its own list.
pub async fn check(
    connection: &mut AnyConnection,
    classification: &Classification,
) -> Result<(), AppError> {
    let mut errors = huiyuan_shared::ValidationErrors::default();
    let parts = [
        (ClassList::Frequency, &classification.frequency),
        (ClassList::Type, &classification.r#type),
        (ClassList::Region, &classification.region),
    ];
    for (list, id) in parts {
        let Some(id) = id else { continue };
        let found =
            sqlx::query("SELECT id FROM member_classes WHERE id = $1 AND list = $2 AND active = 1")
                .bind(id)
                .bind(list.code())
                .fetch_optional(&mut *connection)
                .await?;
        if found.is_none() {
            errors.fields.push(FieldError::new(
                &format!("classification.{}", list.code()),
                "unknown_class",
                "没有这个分类",
            ));
        }
    }
    errors.into_result().map_err(AppError::Invalid)
}
