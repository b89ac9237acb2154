//! The product catalogue (GDS-1): categories, items and bulk import. Reading needs
//! `catalogue.view`, every change `catalogue.edit`; each change is audited in its own
//! transaction.

use crate::access::StaffAuth;
use crate::audit::Actor;
use crate::catalogue::import::{self, ImportOptions};
use crate::catalogue::items::ItemSearch;
use crate::catalogue::{categories, items, CatalogueResult};
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use huiyuan_shared::api::ApiError;
use huiyuan_shared::catalogue::{
    Category, CategoryId, CategoryInput, ImportFormat, ImportReport, Item, ItemId, ItemInput,
    ItemPage,
};
use serde::Deserialize;

/// 201 for a new row, 200 for a retried create that found it already made.
fn created_or_found<T: serde::Serialize>(value: T, created: bool) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, ApiJson(value)).into_response()
}

/// The category tree, flat: parents before children, siblings in sort order.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalogue", operation_id = "list_categories",
    responses((status = 200, body = Vec<Category>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list_categories(
    State(state): State<AppState>,
) -> CatalogueResult<ApiJson<Vec<Category>>> {
    let mut conn = state.db.pool.acquire().await.map_err(AppError::Database)?;
    Ok(ApiJson(categories::list(&mut conn).await?))
}

/// Creates a category. Retrying with the same id and content answers 200 with it; the
/// same id with other content is a conflict.
#[utoipa::path(post, path = "/api/v1/categories", tag = "catalogue", operation_id = "create_category",
    request_body = CategoryInput,
    responses((status = 201, body = Category), (status = 200, body = Category), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 409, body = ApiError)))]
pub async fn create_category(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(input): ApiJson<CategoryInput>,
) -> CatalogueResult<Response> {
    let mut tx = state.db.writer.begin().await.map_err(AppError::Database)?;
    let (category, created) = categories::create(&mut tx, &Actor::staff(&staff), &input).await?;
    tx.commit().await.map_err(AppError::Database)?;
    Ok(created_or_found(category, created))
}

/// Renames, reorders or moves a category (with everything below it).
#[utoipa::path(put, path = "/api/v1/categories/{id}", tag = "catalogue", operation_id = "update_category",
    params(("id" = String, Path, description = "The category's id")), request_body = CategoryInput,
    responses((status = 200, body = Category), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn update_category(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CategoryInput>,
) -> CatalogueResult<ApiJson<Category>> {
    let id: CategoryId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = state.db.writer.begin().await.map_err(AppError::Database)?;
    let category = categories::update(&mut tx, &Actor::staff(&staff), id, &input).await?;
    tx.commit().await.map_err(AppError::Database)?;
    Ok(ApiJson(category))
}

/// Deletes an empty category; one with items or subcategories is refused (409).
#[utoipa::path(delete, path = "/api/v1/categories/{id}", tag = "catalogue", operation_id = "delete_category",
    params(("id" = String, Path, description = "The category's id")),
    responses((status = 204), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn delete_category(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
) -> CatalogueResult<StatusCode> {
    let id: CategoryId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = state.db.writer.begin().await.map_err(AppError::Database)?;
    categories::delete(&mut tx, &Actor::staff(&staff), id).await?;
    tx.commit().await.map_err(AppError::Database)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ItemQuery {
    /// A fragment of the name or code, or the start of a barcode.
    pub q: Option<String>,
    /// Only items in this category or any below it.
    pub category_id: Option<CategoryId>,
    /// Only the item with exactly this barcode.
    pub barcode: Option<String>,
    /// Only active (`true`) or inactive (`false`) items.
    pub active: Option<bool>,
    /// Items per page, 1–200 (default 50).
    pub limit: Option<i64>,
    /// The previous page's `next_after`.
    pub after: Option<String>,
}

/// Live items, ordered by code, one page at a time.
#[utoipa::path(get, path = "/api/v1/items", tag = "catalogue", operation_id = "list_items", params(ItemQuery),
    responses((status = 200, body = ItemPage), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn list_items(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ItemQuery>,
) -> CatalogueResult<ApiJson<ItemPage>> {
    let mut conn = state.db.pool.acquire().await.map_err(AppError::Database)?;
    let search = ItemSearch {
        text: query.q,
        category_id: query.category_id,
        barcode: query.barcode,
        active: query.active,
        after: query.after,
        limit: query.limit,
    };
    Ok(ApiJson(items::search(&mut conn, search).await?))
}

/// One live item.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "catalogue", operation_id = "get_item",
    params(("id" = String, Path, description = "The item's id")),
    responses((status = 200, body = Item), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn get_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> CatalogueResult<ApiJson<Item>> {
    let id: ItemId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await.map_err(AppError::Database)?;
    let item = items::find_live(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ApiJson(item.to_wire()))
}

/// Creates an item. Retrying with the same id and content answers 200 with the item;
/// the same id with other content is a conflict (409).
#[utoipa::path(post, path = "/api/v1/items", tag = "catalogue", operation_id = "create_item",
    request_body = ItemInput,
    responses((status = 201, body = Item), (status = 200, body = Item), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 409, body = ApiError)))]
pub async fn create_item(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(input): ApiJson<ItemInput>,
) -> CatalogueResult<Response> {
    let fields = input.validate()?;
    let mut tx = state.db.writer.begin().await.map_err(AppError::Database)?;
    let (item, created) = items::create(&mut tx, &Actor::staff(&staff), input.id, &fields).await?;
    tx.commit().await.map_err(AppError::Database)?;
    Ok(created_or_found(item, created))
}

/// Replaces an item's content.
#[utoipa::path(put, path = "/api/v1/items/{id}", tag = "catalogue", operation_id = "update_item",
    params(("id" = String, Path, description = "The item's id")), request_body = ItemInput,
    responses((status = 200, body = Item), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn update_item(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ItemInput>,
) -> CatalogueResult<ApiJson<Item>> {
    let id: ItemId = id.parse().map_err(|_| AppError::NotFound)?;
    let fields = input.validate()?;
    if input.id.is_some_and(|body_id| body_id != id) {
        return Err(crate::catalogue::CatalogueError::field(
            "id",
            "mismatch",
            "请求内容的编号与地址中的不一致",
        ));
    }
    let mut tx = state.db.writer.begin().await.map_err(AppError::Database)?;
    let item = items::update(&mut tx, &Actor::staff(&staff), id, &fields).await?;
    tx.commit().await.map_err(AppError::Database)?;
    Ok(ApiJson(item))
}

/// Deletes an item. It stays in the database, so past sales still name it.
#[utoipa::path(delete, path = "/api/v1/items/{id}", tag = "catalogue", operation_id = "delete_item",
    params(("id" = String, Path, description = "The item's id")),
    responses((status = 204), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn delete_item(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
) -> CatalogueResult<StatusCode> {
    let id: ItemId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = state.db.writer.begin().await.map_err(AppError::Database)?;
    items::delete(&mut tx, &Actor::staff(&staff), id).await?;
    tx.commit().await.map_err(AppError::Database)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Check the file and report what would happen, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// `csv` or `xlsx`; guessed from the content when absent.
    pub format: Option<ImportFormat>,
    /// Import the good rows even when some are bad. Without it, one bad row means
    /// nothing is written.
    #[serde(default)]
    pub skip_invalid: bool,
}

/// Imports items from a CSV or XLSX file sent as the request body (at most 20 MiB).
/// Columns: 编码, 条码, 名称, 分类 (a path such as 食品/饮料/茶饮), 单位, 零售价 and 会员价
/// (元, at most two decimals), 积分价, 积分商品 (是/否); English names work too. Rows are
/// matched to items by code, so importing a file twice creates nothing new.
#[utoipa::path(post, path = "/api/v1/items/import", tag = "catalogue", operation_id = "import_items",
    params(ImportQuery),
    request_body(description = "The file itself", content(("text/csv"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = ImportReport), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 413, body = ApiError)))]
pub async fn import_items(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> CatalogueResult<ApiJson<ImportReport>> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::MalformedBody(rejection.body_text()),
    })?;
    let options = ImportOptions {
        dry_run: query.dry_run,
        skip_invalid: query.skip_invalid,
    };
    // Reading and checking the file is pure CPU work of up to 20 MiB: keep it off the
    // threads that serve other requests.
    let format = query.format;
    let rows = tokio::task::spawn_blocking(move || {
        import::read_table(&body, format).and_then(import::file_rows)
    })
    .await
    .map_err(|error| AppError::Internal(error.into()))??;
    if options.dry_run {
        let mut conn = state.db.pool.acquire().await.map_err(AppError::Database)?;
        let existing = import::load_existing(&mut conn).await?;
        let plan = import::settle(import::plan(&rows, &existing), options)?;
        return Ok(ApiJson(plan.report));
    }
    let mut tx = state.db.writer.begin().await.map_err(AppError::Database)?;
    let existing = import::load_existing(&mut tx).await?;
    let plan = import::settle(import::plan(&rows, &existing), options)?;
    import::apply(&mut tx, &Actor::staff(&staff), &existing, &plan).await?;
    tx.commit().await.map_err(AppError::Database)?;
    Ok(ApiJson(plan.report))
}
