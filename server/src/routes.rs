//! The API's routes, each with the access it requires.

pub mod audit_log;
pub mod health;
pub mod member_auth;
pub mod staff;
pub mod staff_auth;
pub mod stores;
pub mod topups;

use crate::access::{Access, ApiRoutes};
use huiyuan_shared::Permission;

/// Every API route. Paths are the full paths, as the OpenAPI document lists them.
pub fn api_routes() -> ApiRoutes {
    ApiRoutes::new()
        .get("/api/v1/health", Access::Public, health::health)
        .post("/api/v1/auth/login", Access::Public, staff_auth::login)
        .post("/api/v1/auth/logout", Access::Staff, staff_auth::logout)
        .get("/api/v1/auth/me", Access::Staff, staff_auth::me)
        .post(
            "/api/v1/member/auth/login",
            Access::Public,
            member_auth::login,
        )
        .post(
            "/api/v1/member/auth/logout",
            Access::Member,
            member_auth::logout,
        )
        .get("/api/v1/member/me", Access::Member, member_auth::me)
        .get(
            "/api/v1/stores",
            Access::Permission(Permission::HqUse),
            stores::list,
        )
        .get(
            "/api/v1/staff",
            Access::Permission(Permission::StaffView),
            staff::list,
        )
        .get(
            "/api/v1/audit",
            Access::Permission(Permission::AuditView),
            audit_log::list,
        )
        .post(
            "/api/v1/topups",
            Access::Permission(Permission::ValueTopUp),
            topups::create,
        )
}
