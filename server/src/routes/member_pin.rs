//! Member card PINs (消费密码): whether one is set, and setting or changing it — by the
//! member on their phone, or by staff at the counter.

use crate::access::{MemberAuth, StaffAuth};
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::pin::{self, Changer};
use crate::state::AppState;
use axum::extract::{Path, State};
use huiyuan_shared::api::ApiError;
use huiyuan_shared::sale::{PinChange, PinStatus};
use huiyuan_shared::Permission;

fn member_id(id: &str) -> AppResult<String> {
    let id: huiyuan_shared::MemberId = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(id.to_string())
}

/// Whether the member has a PIN, and until when it is locked after wrong PINs.
#[utoipa::path(get, path = "/api/v1/members/{id}/pin", tag = "members", operation_id = "member_pin_status",
    params(("id" = String, Path, description = "member id")),
    responses((status = 200, body = PinStatus), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<ApiJson<PinStatus>> {
    Ok(ApiJson(pin::status(&state, &member_id(&id)?).await?))
}

/// Sets or changes a member's PIN at the counter. With the old PIN any cashier may do
/// it; without it (the member forgot) it needs `member.edit`.
#[utoipa::path(put, path = "/api/v1/members/{id}/pin", tag = "members", operation_id = "set_member_pin",
    params(("id" = String, Path, description = "member id")), request_body = PinChange,
    responses((status = 200, body = PinStatus), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 423, body = ApiError)))]
pub async fn set_by_staff(
    State(state): State<AppState>,
    StaffAuth(staff, _): StaffAuth,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PinChange>,
) -> AppResult<ApiJson<PinStatus>> {
    let changer = if request.old_pin.is_some() {
        Changer::KnowsOldPin
    } else if staff.can(Permission::MemberEdit) {
        Changer::MayReset
    } else {
        return Err(AppError::Forbidden(Permission::MemberEdit));
    };
    let actor = Actor::staff(&staff);
    let id = member_id(&id)?;
    Ok(ApiJson(
        pin::change(&state, &id, &request, changer, &actor).await?,
    ))
}

/// The member sets or changes their own PIN; changing it needs the old one.
#[utoipa::path(put, path = "/api/v1/member/pin", tag = "member", operation_id = "set_own_pin",
    request_body = PinChange,
    responses((status = 200, body = PinStatus), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 423, body = ApiError)))]
pub async fn set_own(
    State(state): State<AppState>,
    MemberAuth(member, _): MemberAuth,
    ApiJson(request): ApiJson<PinChange>,
) -> AppResult<ApiJson<PinStatus>> {
    let actor = Actor::Member {
        id: member.id.to_string(),
        name: member.name.clone(),
    };
    Ok(ApiJson(
        pin::change(
            &state,
            &member.id.to_string(),
            &request,
            Changer::KnowsOldPin,
            &actor,
        )
        .await?,
    ))
}
