//! Items: reading, searching, creating with client-made ids, updating, soft deleting, and
//! the lookup a sale uses for prices and flags.

use super::categories::{self, parse};
use super::{path_ids, unique_violation, CatalogueError, CatalogueResult};
use crate::audit::{self, Actor, AuditEvent};
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use huiyuan_shared::catalogue::{CategoryId, Item, ItemFields, ItemId, ItemPage, SEARCH_CHARS_MAX};
use huiyuan_shared::{FieldError, Money, ValidationErrors};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};
use std::collections::HashMap;

/// Items on one page when the caller does not say.
pub const ITEM_PAGE_ROWS_DEFAULT: i64 = 50;
/// The most items one page returns.
pub const ITEM_PAGE_ROWS_MAX: i64 = 200;
/// Ids one statement of the sale lookup binds; longer lists are read in chunks.
pub const SALE_ITEMS_MAX: usize = 500;

pub(crate) const ITEM_SELECT: &str = "SELECT i.id, i.code, i.barcode, i.name, i.category_id, \
     c.path AS category_path, i.unit, i.retail_price_fen, i.member_price_fen, i.points_price, \
     i.earns_points, i.image_url, i.active, i.version, i.created_at, i.updated_at, i.deleted_at \
     FROM items i LEFT JOIN categories c ON c.id = i.category_id";

/// A stored item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRow {
    pub id: ItemId,
    pub fields: ItemFields,
    pub category_path: Vec<CategoryId>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl ItemRow {
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let category: Option<String> = row.try_get("category_id")?;
        let category_path: Option<String> = row.try_get("category_path")?;
        let member_price: Option<i64> = row.try_get("member_price_fen")?;
        let earns_points: i64 = row.try_get("earns_points")?;
        let active: i64 = row.try_get("active")?;
        Ok(ItemRow {
            id: parse(row.try_get("id")?)?,
            fields: ItemFields {
                code: row.try_get("code")?,
                barcode: row.try_get("barcode")?,
                name: row.try_get("name")?,
                category_id: category.map(parse).transpose()?,
                unit: row.try_get("unit")?,
                retail_price: Money::from_fen(row.try_get("retail_price_fen")?),
                member_price: member_price.map(Money::from_fen),
                points_price: row.try_get("points_price")?,
                earns_points: earns_points == 1,
                image_url: row.try_get("image_url")?,
                active: active == 1,
            },
            category_path: category_path
                .as_deref()
                .map(path_ids)
                .transpose()?
                .unwrap_or_default(),
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            deleted_at: row.try_get("deleted_at")?,
        })
    }

    pub fn to_wire(&self) -> Item {
        let fields = &self.fields;
        Item {
            id: self.id,
            code: fields.code.clone(),
            barcode: fields.barcode.clone(),
            name: fields.name.clone(),
            category_id: fields.category_id,
            category_path: self.category_path.clone(),
            unit: fields.unit.clone(),
            retail_price_fen: fields.retail_price,
            member_price_fen: fields.member_price,
            points_price: fields.points_price,
            earns_points: fields.earns_points,
            image_url: fields.image_url.clone(),
            active: fields.active,
            version: self.version,
            created_at: ms_to_rfc3339(self.created_at),
            updated_at: ms_to_rfc3339(self.updated_at),
        }
    }
}

/// One item, live or deleted.
pub async fn find(conn: &mut AnyConnection, id: ItemId) -> Result<Option<ItemRow>, sqlx::Error> {
    let row = sqlx::query(&format!("{ITEM_SELECT} WHERE i.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(ItemRow::from_row).transpose()
}

/// One live item.
pub async fn find_live(
    conn: &mut AnyConnection,
    id: ItemId,
) -> Result<Option<ItemRow>, sqlx::Error> {
    Ok(find(conn, id).await?.filter(|row| row.deleted_at.is_none()))
}

/// Every live item, for the import to match rows against by code and barcode.
pub async fn live(conn: &mut AnyConnection) -> Result<Vec<ItemRow>, sqlx::Error> {
    let rows = sqlx::query(&format!("{ITEM_SELECT} WHERE i.deleted_at IS NULL"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ItemRow::from_row).collect()
}

/// What the item list may be filtered by.
#[derive(Clone, Debug, Default)]
pub struct ItemSearch {
    /// A fragment of the name or code, or the start of a barcode.
    pub text: Option<String>,
    /// The category and everything below it.
    pub category_id: Option<CategoryId>,
    pub barcode: Option<String>,
    pub active: Option<bool>,
    /// The code of the last item on the previous page.
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Live items, ordered by code, one page at a time.
pub async fn search(conn: &mut AnyConnection, search: ItemSearch) -> CatalogueResult<ItemPage> {
    let limit = search.limit.unwrap_or(ITEM_PAGE_ROWS_DEFAULT);
    if !(1..=ITEM_PAGE_ROWS_MAX).contains(&limit) {
        return Err(CatalogueError::field(
            "limit",
            "out_of_range",
            format!("每页条数应为1–{ITEM_PAGE_ROWS_MAX}"),
        ));
    }
    let text = search
        .text
        .map(|text| text.trim().to_lowercase())
        .filter(|text| !text.is_empty());
    for (field, value) in [
        ("q", &text),
        ("barcode", &search.barcode),
        ("after", &search.after),
    ] {
        if value
            .as_ref()
            .is_some_and(|text| text.chars().count() > SEARCH_CHARS_MAX)
        {
            return Err(CatalogueError::field(field, "too_long", "查询条件过长"));
        }
    }
    let category_path = match search.category_id {
        Some(id) => {
            let category = categories::find(conn, id)
                .await?
                .filter(|row| row.deleted_at.is_none())
                .ok_or_else(|| CatalogueError::field("category_id", "not_found", "分类不存在"))?;
            Some(format!("{}%", category.path))
        }
        None => None,
    };
    let fragment = text.as_ref().map(|text| format!("%{}%", escape_like(text)));
    let prefix = text.as_ref().map(|text| format!("{}%", escape_like(text)));
    let rows = sqlx::query(&format!(
        "{ITEM_SELECT} WHERE i.deleted_at IS NULL \
           AND ($1 IS NULL OR LOWER(i.name) LIKE $1 ESCAPE '\\' OR LOWER(i.code) LIKE $1 ESCAPE '\\' \
                OR i.barcode LIKE $2 ESCAPE '\\') \
           AND ($3 IS NULL OR c.path LIKE $3) \
           AND ($4 IS NULL OR i.barcode = $4) \
           AND ($5 IS NULL OR i.active = $5) \
           AND ($6 IS NULL OR i.code > $6) \
         ORDER BY i.code LIMIT $7"
    ))
    .bind(fragment)
    .bind(prefix)
    .bind(category_path)
    .bind(search.barcode.filter(|text| !text.is_empty()))
    .bind(search.active.map(i64::from))
    .bind(search.after.filter(|text| !text.is_empty()))
    .bind(limit + 1)
    .fetch_all(&mut *conn)
    .await?;
    let more = rows.len() as i64 > limit;
    let items = rows
        .iter()
        .take(limit as usize)
        .map(|row| ItemRow::from_row(row).map(|item| item.to_wire()))
        .collect::<Result<Vec<_>, _>>()?;
    let next_after = if more {
        items.last().map(|item| item.code.clone())
    } else {
        None
    };
    Ok(ItemPage { items, next_after })
}

/// Makes `%`, `_` and `\` in a search text match themselves (with `ESCAPE '\'`).
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Refuses a category that does not exist or was deleted.
async fn check_category(
    conn: &mut AnyConnection,
    category_id: Option<CategoryId>,
) -> CatalogueResult<()> {
    if let Some(id) = category_id {
        let live = categories::find(conn, id)
            .await?
            .is_some_and(|row| row.deleted_at.is_none());
        if !live {
            return Err(CatalogueError::field(
                "category_id",
                "not_found",
                "分类不存在",
            ));
        }
    }
    Ok(())
}

/// Refuses a code or barcode another live item already has, naming that item.
async fn check_unique(
    conn: &mut AnyConnection,
    fields: &ItemFields,
    except: ItemId,
) -> CatalogueResult<()> {
    let mut errors = ValidationErrors::default();
    let owner = |row: Option<AnyRow>| -> Result<Option<(String, String)>, sqlx::Error> {
        row.map(|row| Ok((row.try_get("code")?, row.try_get("name")?)))
            .transpose()
    };
    let by_code = sqlx::query(
        "SELECT code, name FROM items WHERE code = $1 AND deleted_at IS NULL AND id <> $2",
    )
    .bind(&fields.code)
    .bind(except.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((_, name)) = owner(by_code)? {
        errors.fields.push(FieldError::new(
            "code",
            "duplicate",
            format!("编码已被商品“{name}”使用"),
        ));
    }
    if let Some(barcode) = &fields.barcode {
        let by_barcode = sqlx::query(
            "SELECT code, name FROM items WHERE barcode = $1 AND deleted_at IS NULL AND id <> $2",
        )
        .bind(barcode)
        .bind(except.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((code, name)) = owner(by_barcode)? {
            errors.fields.push(FieldError::new(
                "barcode",
                "duplicate",
                format!("条码已被商品“{name}”（{code}）使用"),
            ));
        }
    }
    Ok(errors.into_result()?)
}

/// A unique index refused the write: another request took the code or barcode between
/// the check and the write.
fn unique_to_field(error: sqlx::Error) -> CatalogueError {
    match unique_violation(&error) {
        Some(detail) if detail.contains("barcode") => {
            CatalogueError::field("barcode", "duplicate", "条码已被其他商品使用")
        }
        Some(detail) if detail.contains("code") => {
            CatalogueError::field("code", "duplicate", "编码已被其他商品使用")
        }
        _ => error.into(),
    }
}

/// Inserts an item and audits it. Used by the API and the import.
pub async fn insert(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    id: ItemId,
    fields: &ItemFields,
) -> CatalogueResult<ItemRow> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO items (id, code, barcode, name, category_id, unit, retail_price_fen, \
         member_price_fen, points_price, earns_points, image_url, active, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13)",
    )
    .bind(id.to_string())
    .bind(&fields.code)
    .bind(&fields.barcode)
    .bind(&fields.name)
    .bind(fields.category_id.map(|id| id.to_string()))
    .bind(&fields.unit)
    .bind(fields.retail_price.fen())
    .bind(fields.member_price.map(Money::fen))
    .bind(fields.points_price)
    .bind(i64::from(fields.earns_points))
    .bind(&fields.image_url)
    .bind(i64::from(fields.active))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(unique_to_field)?;
    let row = find(tx, id).await?.ok_or(AppError::NotFound)?;
    let mut event = AuditEvent::new(actor, "catalogue.item_create", "item");
    event.entity_id = Some(id.to_string());
    event.after = Some(json!(row.to_wire()));
    audit::record(tx, event).await?;
    Ok(row)
}

/// Writes an item's new content and audits the change. Used by the API and the import.
pub async fn rewrite(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    current: &ItemRow,
    fields: &ItemFields,
) -> CatalogueResult<ItemRow> {
    let now = now_ms();
    sqlx::query(
        "UPDATE items SET code = $1, barcode = $2, name = $3, category_id = $4, unit = $5, \
         retail_price_fen = $6, member_price_fen = $7, points_price = $8, earns_points = $9, \
         image_url = $10, active = $11, updated_at = $12, version = $12 WHERE id = $13",
    )
    .bind(&fields.code)
    .bind(&fields.barcode)
    .bind(&fields.name)
    .bind(fields.category_id.map(|id| id.to_string()))
    .bind(&fields.unit)
    .bind(fields.retail_price.fen())
    .bind(fields.member_price.map(Money::fen))
    .bind(fields.points_price)
    .bind(i64::from(fields.earns_points))
    .bind(&fields.image_url)
    .bind(i64::from(fields.active))
    .bind(now)
    .bind(current.id.to_string())
    .execute(&mut **tx)
    .await
    .map_err(unique_to_field)?;
    let row = find(tx, current.id).await?.ok_or(AppError::NotFound)?;
    let mut event = AuditEvent::new(actor, "catalogue.item_update", "item");
    event.entity_id = Some(current.id.to_string());
    event.before = Some(json!(current.to_wire()));
    event.after = Some(json!(row.to_wire()));
    audit::record(tx, event).await?;
    Ok(row)
}

/// Creates an item. A retried request (same id, same content) answers the stored item
/// with `false`; the same id with other content is a conflict.
pub async fn create(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    id: Option<ItemId>,
    fields: &ItemFields,
) -> CatalogueResult<(Item, bool)> {
    if let Some(id) = id {
        if let Some(existing) = find(tx, id).await? {
            if existing.deleted_at.is_some() {
                return Err(CatalogueError::conflict(
                    "该编号的商品已删除",
                    json!({ "id": id, "reason": "deleted" }),
                ));
            }
            if existing.fields == *fields {
                return Ok((existing.to_wire(), false));
            }
            return Err(CatalogueError::conflict(
                "该编号已用于另一个内容不同的商品",
                json!({ "id": id, "reason": "different_content" }),
            ));
        }
    }
    let id = id.unwrap_or_default();
    check_category(tx, fields.category_id).await?;
    check_unique(tx, fields, id).await?;
    let row = insert(tx, actor, id, fields).await?;
    Ok((row.to_wire(), true))
}

/// Replaces a live item's content. Writing the content it already has changes nothing.
pub async fn update(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    id: ItemId,
    fields: &ItemFields,
) -> CatalogueResult<Item> {
    let current = find_live(tx, id).await?.ok_or(AppError::NotFound)?;
    if current.fields == *fields {
        return Ok(current.to_wire());
    }
    check_category(tx, fields.category_id).await?;
    check_unique(tx, fields, id).await?;
    Ok(rewrite(tx, actor, &current, fields).await?.to_wire())
}

/// Deletes (tombstones) an item. Deleting it again changes nothing; an id never seen is
/// not found.
pub async fn delete(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    id: ItemId,
) -> CatalogueResult<()> {
    let current = find(tx, id).await?.ok_or(AppError::NotFound)?;
    if current.deleted_at.is_some() {
        return Ok(());
    }
    let now = now_ms();
    sqlx::query("UPDATE items SET deleted_at = $1, updated_at = $1, version = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    let mut event = AuditEvent::new(actor, "catalogue.item_delete", "item");
    event.entity_id = Some(id.to_string());
    event.before = Some(json!(current.to_wire()));
    audit::record(tx, event).await?;
    Ok(())
}

/// What a sale needs to know of one item to price it and award points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleItem {
    pub id: ItemId,
    pub code: String,
    pub name: String,
    /// Category ids from the root down to the item's own (`CartLine::category_path`).
    pub category_path: Vec<CategoryId>,
    /// The shelf price of one unit.
    pub retail_price: Money,
    /// The member price of one unit (会员价), if any.
    pub member_price: Option<Money>,
    /// Points to take it as a gift, if it can be.
    pub points_price: Option<i64>,
    pub earns_points: bool,
    /// Inactive items are not offered at the counter.
    pub active: bool,
    /// Deleted items are still returned, so a sale rung up offline before the deletion
    /// can be recorded; the sale decides whether to accept them.
    pub deleted: bool,
    /// The row's version when read, to record which prices the sale used.
    pub version: i64,
}

/// Prices and flags of the given items, by id, read on the caller's connection (inside
/// the sale's transaction if it has one). Ids not in the catalogue are absent from the
/// map.
pub async fn items_for_sale(
    conn: &mut AnyConnection,
    ids: &[ItemId],
) -> Result<HashMap<ItemId, SaleItem>, sqlx::Error> {
    let mut wanted: Vec<String> = ids.iter().map(ItemId::to_string).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::with_capacity(wanted.len());
    // Binds one placeholder per id: `IN ($1, $2, …)` runs on both engines, where
    // PostgreSQL's `= ANY($1)` with an array would not run on SQLite. Chunks keep the
    // statement within both engines' limits on bound values.
    for chunk in wanted.chunks(SALE_ITEMS_MAX) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!("{ITEM_SELECT} WHERE i.id IN ({})", placeholders.join(", "));
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let item = ItemRow::from_row(&row)?;
            found.insert(
                item.id,
                SaleItem {
                    id: item.id,
                    code: item.fields.code,
                    name: item.fields.name,
                    category_path: item.category_path,
                    retail_price: item.fields.retail_price,
                    member_price: item.fields.member_price,
                    points_price: item.fields.points_price,
                    earns_points: item.fields.earns_points,
                    active: item.fields.active,
                    deleted: item.deleted_at.is_some(),
                    version: item.version,
                },
            );
        }
    }
    Ok(found)
}
