//! Categories: a tree of any depth (up to `CATEGORY_DEPTH_MAX`), each row carrying the
//! materialised path of ids from the root down to itself, so "this category and
//! everything below it" is one `LIKE 'path%'`.

use super::{path_ids, CatalogueError, CatalogueResult};
use crate::audit::{self, Actor, AuditEvent};
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use huiyuan_shared::catalogue::{
    check_client_id, normalize_category_name, Category, CategoryId, CategoryInput,
    CATEGORY_DEPTH_MAX,
};
use huiyuan_shared::{FieldError, ValidationErrors};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};
use std::collections::HashMap;

/// Sort orders beyond this are refused; they are for arranging a shelf, not counting.
pub const SORT_ORDER_ABS_MAX: i64 = 1_000_000;

const CATEGORY_COLUMNS: &str =
    "id, parent_id, name, path, sort_order, updated_at, version, deleted_at";

/// A stored category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryRow {
    pub id: CategoryId,
    pub parent_id: Option<CategoryId>,
    pub name: String,
    /// `/root/…/own/`.
    pub path: String,
    pub sort_order: i64,
    pub updated_at: i64,
    pub version: i64,
    pub deleted_at: Option<i64>,
}

impl CategoryRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let parent: Option<String> = row.try_get("parent_id")?;
        Ok(CategoryRow {
            id: parse(row.try_get("id")?)?,
            parent_id: parent.map(parse).transpose()?,
            name: row.try_get("name")?,
            path: row.try_get("path")?,
            sort_order: row.try_get("sort_order")?,
            updated_at: row.try_get("updated_at")?,
            version: row.try_get("version")?,
            deleted_at: row.try_get("deleted_at")?,
        })
    }

    /// Levels from the root: a root category has depth 1.
    pub fn depth(&self) -> usize {
        self.path.matches('/').count().saturating_sub(1)
    }

    pub fn to_wire(&self) -> Result<Category, sqlx::Error> {
        Ok(Category {
            id: self.id,
            parent_id: self.parent_id,
            name: self.name.clone(),
            path: path_ids(&self.path)?,
            sort_order: self.sort_order,
            version: self.version,
            updated_at: ms_to_rfc3339(self.updated_at),
        })
    }
}

pub(crate) fn parse<T: std::str::FromStr<Err = uuid::Error>>(
    text: String,
) -> Result<T, sqlx::Error> {
    text.parse()
        .map_err(|error: uuid::Error| sqlx::Error::Decode(Box::new(error)))
}

/// Every live category.
pub async fn live(conn: &mut AnyConnection) -> Result<Vec<CategoryRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM categories WHERE deleted_at IS NULL"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(CategoryRow::from_row).collect()
}

/// The whole tree, flat: parents before their children, siblings by sort order, then
/// name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Category>, sqlx::Error> {
    let rows = live(conn).await?;
    tree_order(rows).iter().map(CategoryRow::to_wire).collect()
}

/// Orders categories depth first. A row whose parent is missing cannot happen (deleting
/// a category with children is refused) and would be left out.
fn tree_order(rows: Vec<CategoryRow>) -> Vec<CategoryRow> {
    let mut children: HashMap<Option<CategoryId>, Vec<CategoryRow>> = HashMap::new();
    for row in rows {
        children.entry(row.parent_id).or_default().push(row);
    }
    for siblings in children.values_mut() {
        siblings.sort_by(|a, b| (a.sort_order, &a.name, a.id).cmp(&(b.sort_order, &b.name, b.id)));
        // Popped from the end below, so reverse to visit in order.
        siblings.reverse();
    }
    let mut ordered = Vec::new();
    let mut stack: Vec<CategoryRow> = children.remove(&None).unwrap_or_default();
    while let Some(row) = stack.pop() {
        if let Some(below) = children.remove(&Some(row.id)) {
            stack.extend(below);
        }
        ordered.push(row);
    }
    ordered
}

/// One category, live or deleted.
pub async fn find(
    conn: &mut AnyConnection,
    id: CategoryId,
) -> Result<Option<CategoryRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM categories WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(CategoryRow::from_row).transpose()
}

async fn find_live(
    conn: &mut AnyConnection,
    id: CategoryId,
) -> Result<Option<CategoryRow>, sqlx::Error> {
    Ok(find(conn, id).await?.filter(|row| row.deleted_at.is_none()))
}

/// The checked name and sort order of an input.
fn validate(input: &CategoryInput) -> Result<String, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if let Some(id) = input.id {
        errors.check(check_client_id("id", id.0));
    }
    let name = normalize_category_name("name", &input.name);
    if let Err(error) = &name {
        errors.fields.push(error.clone());
    }
    if input.sort_order.abs() > SORT_ORDER_ABS_MAX {
        errors.fields.push(FieldError::new(
            "sort_order",
            "out_of_range",
            format!("排序号应在±{SORT_ORDER_ABS_MAX}之内"),
        ));
    }
    errors.into_result()?;
    name.map_err(|error| ValidationErrors {
        fields: vec![error],
    })
}

/// The live parent an input names, refused by field when it does not exist.
async fn parent_of(
    conn: &mut AnyConnection,
    parent_id: Option<CategoryId>,
) -> CatalogueResult<Option<CategoryRow>> {
    let Some(parent_id) = parent_id else {
        return Ok(None);
    };
    match find_live(conn, parent_id).await? {
        Some(parent) => Ok(Some(parent)),
        None => Err(CatalogueError::field(
            "parent_id",
            "not_found",
            "上级分类不存在",
        )),
    }
}

/// Refuses a name a live sibling already has.
async fn check_sibling_name(
    conn: &mut AnyConnection,
    parent_id: Option<CategoryId>,
    name: &str,
    except: Option<CategoryId>,
) -> CatalogueResult<()> {
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM categories WHERE deleted_at IS NULL \
         AND COALESCE(parent_id, '') = $1 AND name = $2 AND id <> $3",
    )
    .bind(parent_id.map(|id| id.to_string()).unwrap_or_default())
    .bind(name)
    .bind(except.map(|id| id.to_string()).unwrap_or_default())
    .fetch_one(&mut *conn)
    .await?;
    if taken > 0 {
        return Err(CatalogueError::field(
            "name",
            "duplicate",
            "同一级下已有同名分类",
        ));
    }
    Ok(())
}

fn too_deep() -> CatalogueError {
    CatalogueError::field(
        "parent_id",
        "too_deep",
        format!("分类最多{CATEGORY_DEPTH_MAX}级"),
    )
}

/// Inserts a category below `parent` and audits it. Used by the API and the import.
pub async fn insert(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    id: CategoryId,
    parent: Option<&CategoryRow>,
    name: &str,
    sort_order: i64,
) -> Result<CategoryRow, sqlx::Error> {
    let now = now_ms();
    let path = format!("{}{id}/", parent.map_or("/", |parent| parent.path.as_str()));
    let row = CategoryRow {
        id,
        parent_id: parent.map(|parent| parent.id),
        name: name.to_owned(),
        path,
        sort_order,
        updated_at: now,
        version: now,
        deleted_at: None,
    };
    sqlx::query(
        "INSERT INTO categories (id, parent_id, name, path, sort_order, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6)",
    )
    .bind(row.id.to_string())
    .bind(row.parent_id.map(|id| id.to_string()))
    .bind(&row.name)
    .bind(&row.path)
    .bind(row.sort_order)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let mut event = AuditEvent::new(actor, "catalogue.category_create", "category");
    event.entity_id = Some(row.id.to_string());
    event.after = Some(json!(row.to_wire()?));
    audit::record(tx, event).await?;
    Ok(row)
}

/// Creates a category. A retried request (same id, same content) answers the stored
/// category with `false`; the same id with other content is a conflict.
pub async fn create(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    input: &CategoryInput,
) -> CatalogueResult<(Category, bool)> {
    let name = validate(input)?;
    if let Some(id) = input.id {
        if let Some(existing) = find(tx, id).await? {
            let same = existing.deleted_at.is_none()
                && existing.parent_id == input.parent_id
                && existing.name == name
                && existing.sort_order == input.sort_order;
            if same {
                return Ok((existing.to_wire()?, false));
            }
            return Err(CatalogueError::conflict(
                "该编号已用于另一个内容不同的分类",
                json!({ "id": id }),
            ));
        }
    }
    let parent = parent_of(tx, input.parent_id).await?;
    if parent.as_ref().map_or(0, CategoryRow::depth) >= CATEGORY_DEPTH_MAX {
        return Err(too_deep());
    }
    check_sibling_name(tx, input.parent_id, &name, None).await?;
    let id = input.id.unwrap_or_default();
    let row = insert(tx, actor, id, parent.as_ref(), &name, input.sort_order).await?;
    Ok((row.to_wire()?, true))
}

/// Renames, reorders or moves a category; moving carries its whole subtree along.
pub async fn update(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    id: CategoryId,
    input: &CategoryInput,
) -> CatalogueResult<Category> {
    let name = validate(input)?;
    if input.id.is_some_and(|body_id| body_id != id) {
        return Err(CatalogueError::field(
            "id",
            "mismatch",
            "请求内容的编号与地址中的不一致",
        ));
    }
    let current = find_live(tx, id).await?.ok_or(AppError::NotFound)?;
    let parent = parent_of(tx, input.parent_id).await?;
    if let Some(parent) = &parent {
        if parent.path.starts_with(&current.path) {
            return Err(CatalogueError::field(
                "parent_id",
                "cycle",
                "不能把分类移到它自己或它的下级分类之下",
            ));
        }
    }
    check_sibling_name(tx, input.parent_id, &name, Some(id)).await?;
    let unchanged = current.parent_id == input.parent_id
        && current.name == name
        && current.sort_order == input.sort_order;
    if unchanged {
        return Ok(current.to_wire()?);
    }
    let now = now_ms();
    let new_path = format!(
        "{}{id}/",
        parent.as_ref().map_or("/", |parent| parent.path.as_str())
    );
    if new_path != current.path {
        let deepest: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(LENGTH(path) - LENGTH(REPLACE(path, '/', ''))), 0) \
             FROM categories WHERE path LIKE $1",
        )
        .bind(format!("{}%", current.path))
        .fetch_one(&mut **tx)
        .await?;
        let below = (deepest as usize).saturating_sub(1) - current.depth();
        let new_depth = parent.as_ref().map_or(0, CategoryRow::depth) + 1;
        if new_depth + below > CATEGORY_DEPTH_MAX {
            return Err(too_deep());
        }
        // Every descendant's path starts with the old path; swap that prefix. Ids are
        // ASCII, so character and byte positions agree on both engines.
        sqlx::query(
            "UPDATE categories SET path = $1 || substr(path, CAST($2 AS INTEGER)), \
             updated_at = $3, version = $3 WHERE path LIKE $4 AND id <> $5",
        )
        .bind(&new_path)
        .bind(current.path.len() as i64 + 1)
        .bind(now)
        .bind(format!("{}%", current.path))
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "UPDATE categories SET parent_id = $1, name = $2, path = $3, sort_order = $4, \
         updated_at = $5, version = $5 WHERE id = $6",
    )
    .bind(input.parent_id.map(|id| id.to_string()))
    .bind(&name)
    .bind(&new_path)
    .bind(input.sort_order)
    .bind(now)
    .bind(id.to_string())
    .execute(&mut **tx)
    .await?;
    let updated = find(tx, id).await?.ok_or(AppError::NotFound)?;
    let mut event = AuditEvent::new(actor, "catalogue.category_update", "category");
    event.entity_id = Some(id.to_string());
    event.before = Some(json!(current.to_wire()?));
    event.after = Some(json!(updated.to_wire()?));
    audit::record(tx, event).await?;
    Ok(updated.to_wire()?)
}

/// Deletes (tombstones) an empty category. One that still holds live items or
/// subcategories is refused, saying how many.
pub async fn delete(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    id: CategoryId,
) -> CatalogueResult<()> {
    let current = find_live(tx, id).await?.ok_or(AppError::NotFound)?;
    let items: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM items WHERE category_id = $1 AND deleted_at IS NULL",
    )
    .bind(id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let children: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM categories WHERE parent_id = $1 AND deleted_at IS NULL",
    )
    .bind(id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    if items > 0 || children > 0 {
        let message = match (items, children) {
            (0, _) => format!("该分类下还有{children}个子分类，请先删除或移走"),
            (_, 0) => format!("该分类下还有{items}个商品，请先删除或移走"),
            _ => format!("该分类下还有{items}个商品和{children}个子分类，请先删除或移走"),
        };
        return Err(CatalogueError::conflict(
            message,
            json!({ "reason": "not_empty", "items": items, "children": children }),
        ));
    }
    let now = now_ms();
    sqlx::query(
        "UPDATE categories SET deleted_at = $1, updated_at = $1, version = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(&mut **tx)
    .await?;
    let mut event = AuditEvent::new(actor, "catalogue.category_delete", "category");
    event.entity_id = Some(id.to_string());
    event.before = Some(json!(current.to_wire()?));
    audit::record(tx, event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        id: CategoryId,
        parent: Option<&CategoryRow>,
        name: &str,
        sort_order: i64,
    ) -> CategoryRow {
        CategoryRow {
            id,
            parent_id: parent.map(|p| p.id),
            name: name.to_owned(),
            path: format!("{}{id}/", parent.map_or("/", |p| p.path.as_str())),
            sort_order,
            updated_at: 0,
            version: 0,
            deleted_at: None,
        }
    }

    /// Parents come before children, and siblings follow their sort order.
    #[test]
    fn the_tree_is_listed_depth_first_in_sort_order() {
        let food = row(CategoryId::new(), None, "食品", 2);
        let tools = row(CategoryId::new(), None, "五金", 1);
        let drinks = row(CategoryId::new(), Some(&food), "饮料", 0);
        let tea = row(CategoryId::new(), Some(&drinks), "茶饮", 0);
        let snacks = row(CategoryId::new(), Some(&food), "零食", 5);
        assert_eq!(tea.depth(), 3);
        let ordered = tree_order(vec![
            tea.clone(),
            snacks.clone(),
            food.clone(),
            drinks.clone(),
            tools.clone(),
        ]);
        let names: Vec<&str> = ordered.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["五金", "食品", "饮料", "茶饮", "零食"]);
    }
}
