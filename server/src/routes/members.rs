//! Members at the counter and at HQ (MEM-1, MEM-6): entering, finding, reading and editing
//! members, changing a member number, archiving and restoring; and the member's own
//! profile on their phone.

use crate::access::{MemberAuth, StaffAuth};
use crate::auth::principal::parse_id;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::member::{self, record, search, MemberEditor};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::{mask_mobile, ApiError};
use huiyuan_shared::member::{
    FieldDef, MemberDraft, MemberPage, MemberPatch, MemberPurchase, MemberRecord, OwnProfile,
    SearchKind,
};
use huiyuan_shared::{FieldError, MemberId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Full phone, its last 4 digits, member or card number, or part of a name.
    pub q: String,
    /// `auto` (default), `phone`, `phone_tail`, `member_no`, `card_no` or `name`.
    pub kind: Option<SearchKind>,
    /// Zero-based page.
    pub page: Option<u32>,
    /// Results per page, 1–50 (default 20).
    pub limit: Option<u32>,
    /// Archived members too.
    pub include_archived: Option<bool>,
}

fn member_id(id: String) -> Result<MemberId, AppError> {
    parse_id(id).map_err(|_| AppError::NotFound)
}

/// Finds members, best match first.
#[utoipa::path(get, path = "/api/v1/members", tag = "members", operation_id = "search_members",
    params(SearchQuery),
    responses((status = 200, body = MemberPage), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn find(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<ApiJson<MemberPage>> {
    let mut connection = state.db.pool.acquire().await?;
    let page = search::search(
        &mut connection,
        &search::Search {
            term: query.q,
            kind: query.kind.unwrap_or_default(),
            page: query.page.unwrap_or(0),
            limit: query.limit.unwrap_or(20),
            include_archived: query.include_archived.unwrap_or(false),
        },
    )
    .await?;
    Ok(ApiJson(page))
}

/// Enters a member at the counter, at HQ or from the call centre. A phone number already
/// a member's is refused (`duplicate_phone`).
#[utoipa::path(post, path = "/api/v1/members", tag = "members", operation_id = "create_member",
    request_body = MemberDraft,
    responses((status = 201, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(draft): ApiJson<MemberDraft>,
) -> AppResult<(StatusCode, ApiJson<MemberRecord>)> {
    let mut tx = state.db.writer.begin().await?;
    let home =
        (staff.store.kind == huiyuan_shared::api::StoreKind::Store).then_some(staff.store.id);
    let new = record::check_draft(&mut tx, &draft, home).await?;
    if let Some(store) = new.store_id {
        crate::scope::counter_store(&mut tx, &staff, store).await?;
    }
    let actor = crate::audit::Actor::staff(&staff);
    let (id, _) = record::insert(&mut tx, &actor, &new).await?;
    // Entered by staff, the member is formal at once: their referrer earns now.
    crate::registration::referral::credit(&mut tx, &actor, id).await?;
    let created = record::existing(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// A member's record.
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", operation_id = "get_member",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = MemberRecord), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<ApiJson<MemberRecord>> {
    let id = member_id(id)?;
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(record::existing(&mut connection, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PurchasesQuery {
    /// Rows, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Only purchases recorded before this time (RFC 3339): the previous page's last.
    pub before: Option<String>,
}

/// The member's purchases, newest first, with what was returned of each.
#[utoipa::path(get, path = "/api/v1/members/{id}/purchases", tag = "members", operation_id = "member_purchases",
    params(("id" = String, Path, description = "member id"), PurchasesQuery),
    responses((status = 200, body = Vec<MemberPurchase>), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn purchases(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<PurchasesQuery>,
) -> AppResult<ApiJson<Vec<MemberPurchase>>> {
    let id = member_id(id)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::field(FieldError::new(
            "limit",
            "out_of_range",
            "每页条数应为1–200",
        )));
    }
    let before = crate::scope::occurred_at(query.before.as_deref()).map_err(|_| {
        AppError::field(FieldError::new(
            "before",
            "invalid_time",
            "时间格式应为 RFC 3339",
        ))
    })?;
    let mut connection = state.db.pool.acquire().await?;
    record::existing(&mut connection, id).await?;
    Ok(ApiJson(
        member::purchases::list(&mut connection, id, limit, before).await?,
    ))
}

/// Changes a member: name, phone, profile fields, classification. Staff may change every
/// field.
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members", operation_id = "update_member",
    params(("id" = String, Path, description = "member id")), request_body = MemberPatch,
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<MemberPatch>,
) -> AppResult<ApiJson<MemberRecord>> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    let after = record::patch(&mut tx, MemberEditor::Staff(&staff), id, &patch).await?;
    tx.commit().await?;
    Ok(ApiJson(after))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NumberChange {
    /// The new member number: digits with a valid check digit.
    pub member_no: String,
}

/// Gives a member a new member number (更改编号).
#[utoipa::path(put, path = "/api/v1/members/{id}/number", tag = "members", operation_id = "change_member_number",
    params(("id" = String, Path, description = "member id")), request_body = NumberChange,
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn change_number(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<NumberChange>,
) -> AppResult<ApiJson<MemberRecord>> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    let after = record::change_number(&mut tx, &staff, id, &change.member_no).await?;
    tx.commit().await?;
    Ok(ApiJson(after))
}

/// Moves a member to the archive (历史档案).
#[utoipa::path(post, path = "/api/v1/members/{id}/archive", tag = "members", operation_id = "archive_member",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn archive(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
) -> AppResult<ApiJson<MemberRecord>> {
    set_archived(state, staff, id, true).await
}

/// Restores an archived member.
#[utoipa::path(post, path = "/api/v1/members/{id}/restore", tag = "members", operation_id = "restore_member",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = MemberRecord), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn restore(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
) -> AppResult<ApiJson<MemberRecord>> {
    set_archived(state, staff, id, false).await
}

async fn set_archived(
    state: AppState,
    staff: crate::auth::StaffPrincipal,
    id: String,
    archived: bool,
) -> AppResult<ApiJson<MemberRecord>> {
    let id = member_id(id)?;
    let mut tx = state.db.writer.begin().await?;
    let after = record::set_archived(&mut tx, &staff, id, archived).await?;
    tx.commit().await?;
    Ok(ApiJson(after))
}

async fn own_profile(
    connection: &mut sqlx::AnyConnection,
    record: MemberRecord,
) -> Result<OwnProfile, AppError> {
    let fields = member::fields::list(connection)
        .await?
        .into_iter()
        .filter(|def| def.active)
        .collect::<Vec<FieldDef>>();
    Ok(OwnProfile {
        member_no: record.member_no,
        name: record.name,
        phone_masked: mask_mobile(&record.phone),
        referral_code: record.referral_code,
        profile: record.profile,
        fields,
    })
}

/// The member's own profile with the fields it has, general and protected.
#[utoipa::path(get, path = "/api/v1/member/profile", tag = "member self-service", operation_id = "own_profile",
    responses((status = 200, body = OwnProfile), (status = 401, body = ApiError)))]
pub async fn get_own(
    State(state): State<AppState>,
    MemberAuth(member, _): MemberAuth,
) -> AppResult<ApiJson<OwnProfile>> {
    let mut connection = state.db.pool.acquire().await?;
    let record = record::existing(&mut connection, member.id).await?;
    Ok(ApiJson(own_profile(&mut connection, record).await?))
}

/// The member edits their own general fields. Naming a protected field, the name or the
/// phone is refused with `protected_field` and nothing changes.
#[utoipa::path(patch, path = "/api/v1/member/profile", tag = "member self-service", operation_id = "update_own_profile",
    request_body = MemberPatch,
    responses((status = 200, body = OwnProfile), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub async fn update_own(
    State(state): State<AppState>,
    MemberAuth(member, _): MemberAuth,
    ApiJson(patch): ApiJson<MemberPatch>,
) -> AppResult<ApiJson<OwnProfile>> {
    if patch.name.is_none() && patch.phone.is_none() && patch.profile.is_empty() {
        return Err(AppError::field(FieldError::required("profile")));
    }
    let mut tx = state.db.writer.begin().await?;
    let after = record::patch(&mut tx, MemberEditor::Member(member.id), member.id, &patch).await?;
    let own = own_profile(&mut tx, after).await?;
    tx.commit().await?;
    Ok(ApiJson(own))
}
