//! HQ's settings for the member record: profile fields (built-in and questionnaire) and
//! the classification lists.

use crate::access::StaffAuth;
use crate::audit::{self, Actor, AuditEvent};
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::member::{classes, fields};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{FieldDef, MemberClass, MemberClassDraft};
use serde::Deserialize;
use serde_json::json;

/// Every profile field, in display order.
#[utoipa::path(get, path = "/api/v1/member-fields", tag = "member settings", operation_id = "list_member_fields",
    responses((status = 200, body = Vec<FieldDef>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list_fields(State(state): State<AppState>) -> AppResult<ApiJson<Vec<FieldDef>>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(fields::list(&mut connection).await?))
}

/// Adds a questionnaire field or changes a field's label, choices, access, order or
/// whether it is in use.
#[utoipa::path(put, path = "/api/v1/member-fields/{key}", tag = "member settings", operation_id = "save_member_field",
    params(("key" = String, Path, description = "field key")), request_body = FieldDef,
    responses((status = 200, body = FieldDef), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn save_field(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(key): Path<String>,
    ApiJson(mut def): ApiJson<FieldDef>,
) -> AppResult<ApiJson<FieldDef>> {
    def.key = key;
    let mut tx = state.db.writer.begin().await?;
    let saved = fields::save(&mut tx, &def).await?;
    let actor = Actor::staff(&staff);
    let mut event = AuditEvent::new(&actor, "member_field.save", "member_field");
    event.entity_id = Some(saved.key.clone());
    event.after = Some(json!(saved));
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(ApiJson(saved))
}

/// Every entry of the classification lists.
#[utoipa::path(get, path = "/api/v1/member-classes", tag = "member settings", operation_id = "list_member_classes",
    responses((status = 200, body = Vec<MemberClass>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list_classes(State(state): State<AppState>) -> AppResult<ApiJson<Vec<MemberClass>>> {
    let mut connection = state.db.pool.acquire().await?;
    Ok(ApiJson(classes::list(&mut connection).await?))
}

/// Adds an entry to the frequency, type or region list.
#[utoipa::path(post, path = "/api/v1/member-classes", tag = "member settings", operation_id = "create_member_class",
    request_body = MemberClassDraft,
    responses((status = 201, body = MemberClass), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn create_class(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    ApiJson(draft): ApiJson<MemberClassDraft>,
) -> AppResult<(StatusCode, ApiJson<MemberClass>)> {
    let mut tx = state.db.writer.begin().await?;
    let class = classes::create(&mut tx, &draft).await?;
    let actor = Actor::staff(&staff);
    let mut event = AuditEvent::new(&actor, "member_class.create", "member_class");
    event.entity_id = Some(class.id.clone());
    event.after = Some(json!(class));
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(class)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClassSwitch {
    /// False stops offering the entry; members who have it keep it.
    pub active: bool,
}

/// Turns a classification entry off or on.
#[utoipa::path(put, path = "/api/v1/member-classes/{id}", tag = "member settings", operation_id = "switch_member_class",
    params(("id" = String, Path, description = "entry id")), request_body = ClassSwitch,
    responses((status = 204), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn switch_class(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(switch): ApiJson<ClassSwitch>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.writer.begin().await?;
    classes::set_active(&mut tx, &id, switch.active).await?;
    let actor = Actor::staff(&staff);
    let mut event = AuditEvent::new(&actor, "member_class.switch", "member_class");
    event.entity_id = Some(id);
    event.after = Some(json!({ "active": switch.active }));
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
