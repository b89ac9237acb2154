//! The API's routes, each with the access it requires.

pub mod audit_log;
pub mod catalogue;
pub mod countcards;
pub mod giftcards;
pub mod health;
pub mod member_auth;
pub mod member_imports;
pub mod member_ledger;
pub mod member_pin;
pub mod member_settings;
pub mod members;
pub mod points_adjustments;
pub mod sales;
pub mod staff;
pub mod staff_auth;
pub mod stores;
pub mod topup_batches;
pub mod topups;
pub mod value_report;
pub mod withdrawals;

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
        .get(
            "/api/v1/members/{id}/ledger",
            Access::Permission(Permission::MemberView),
            member_ledger::list,
        )
        .post(
            "/api/v1/sales",
            Access::Permission(Permission::SaleCreate),
            sales::create,
        )
        .post(
            "/api/v1/sales/{id}/member",
            Access::Permission(Permission::SaleCreate),
            sales::attach_member,
        )
        .get(
            "/api/v1/members/{id}/pin",
            Access::Permission(Permission::MemberView),
            member_pin::status,
        )
        .put(
            "/api/v1/members/{id}/pin",
            Access::Permission(Permission::MemberView),
            member_pin::set_by_staff,
        )
        .get(
            "/api/v1/members",
            Access::Permission(Permission::MemberView),
            members::find,
        )
        .post(
            "/api/v1/members",
            Access::Permission(Permission::MemberRegister),
            members::create,
        )
        .get(
            "/api/v1/members/export",
            Access::Permission(Permission::MemberExport),
            member_imports::export_members,
        )
        .post_with_body_limit(
            "/api/v1/member-imports",
            Access::Permission(Permission::MemberImport),
            member_imports::MEMBER_FILE_BYTES_MAX,
            member_imports::create,
        )
        .get(
            "/api/v1/member-imports/{id}",
            Access::Permission(Permission::MemberImport),
            member_imports::get,
        )
        .get(
            "/api/v1/members/{id}",
            Access::Permission(Permission::MemberView),
            members::get,
        )
        .patch(
            "/api/v1/members/{id}",
            Access::Permission(Permission::MemberEdit),
            members::update,
        )
        .put(
            "/api/v1/members/{id}/number",
            Access::Permission(Permission::MemberEdit),
            members::change_number,
        )
        .post(
            "/api/v1/members/{id}/archive",
            Access::Permission(Permission::MemberDelete),
            members::archive,
        )
        .post(
            "/api/v1/members/{id}/restore",
            Access::Permission(Permission::MemberDelete),
            members::restore,
        )
        .get("/api/v1/member/profile", Access::Member, members::get_own)
        .patch(
            "/api/v1/member/profile",
            Access::Member,
            members::update_own,
        )
        .get(
            "/api/v1/member-fields",
            Access::Permission(Permission::MemberView),
            member_settings::list_fields,
        )
        .put(
            "/api/v1/member-fields/{key}",
            Access::Permission(Permission::HqUse),
            member_settings::save_field,
        )
        .get(
            "/api/v1/member-classes",
            Access::Permission(Permission::MemberView),
            member_settings::list_classes,
        )
        .post(
            "/api/v1/member-classes",
            Access::Permission(Permission::HqUse),
            member_settings::create_class,
        )
        .put(
            "/api/v1/member-classes/{id}",
            Access::Permission(Permission::HqUse),
            member_settings::switch_class,
        )
        .put("/api/v1/member/pin", Access::Member, member_pin::set_own)
        .post(
            "/api/v1/sales/{id}/returns",
            Access::Permission(Permission::PosReturn),
            sales::create_return,
        )
        .get(
            "/api/v1/rules",
            Access::Permission(Permission::CatalogueView),
            sales::get_rules,
        )
        .put(
            "/api/v1/rules",
            Access::Permission(Permission::RulesEdit),
            sales::put_rules,
        )
        .get(
            "/api/v1/categories",
            Access::Permission(Permission::CatalogueView),
            catalogue::list_categories,
        )
        .post(
            "/api/v1/categories",
            Access::Permission(Permission::CatalogueEdit),
            catalogue::create_category,
        )
        .put(
            "/api/v1/categories/{id}",
            Access::Permission(Permission::CatalogueEdit),
            catalogue::update_category,
        )
        .delete(
            "/api/v1/categories/{id}",
            Access::Permission(Permission::CatalogueEdit),
            catalogue::delete_category,
        )
        .get(
            "/api/v1/items",
            Access::Permission(Permission::CatalogueView),
            catalogue::list_items,
        )
        .post(
            "/api/v1/items",
            Access::Permission(Permission::CatalogueEdit),
            catalogue::create_item,
        )
        .post_with_body_limit(
            "/api/v1/items/import",
            Access::Permission(Permission::CatalogueEdit),
            crate::catalogue::import::IMPORT_BODY_BYTES_MAX,
            catalogue::import_items,
        )
        .get(
            "/api/v1/items/{id}",
            Access::Permission(Permission::CatalogueView),
            catalogue::get_item,
        )
        .put(
            "/api/v1/items/{id}",
            Access::Permission(Permission::CatalogueEdit),
            catalogue::update_item,
        )
        .delete(
            "/api/v1/items/{id}",
            Access::Permission(Permission::CatalogueEdit),
            catalogue::delete_item,
        )
        .post(
            "/api/v1/giftcards/batches",
            Access::Permission(Permission::CardStock),
            giftcards::create_batch,
        )
        .get(
            "/api/v1/giftcards/batches",
            Access::Permission(Permission::CardStock),
            giftcards::list_batches,
        )
        .get(
            "/api/v1/giftcards/batches/{id}",
            Access::Permission(Permission::CardStock),
            giftcards::get_batch,
        )
        .post(
            "/api/v1/giftcards/loads",
            Access::Permission(Permission::ValueTopUp),
            giftcards::load,
        )
        .post(
            "/api/v1/giftcards/enquiries",
            Access::Permission(Permission::PosUse),
            giftcards::enquire,
        )
        .get(
            "/api/v1/giftcards/{card_no}",
            Access::Permission(Permission::CardStock),
            giftcards::get_card,
        )
        .post(
            "/api/v1/giftcards/{card_no}/freeze",
            Access::Permission(Permission::CardFreeze),
            giftcards::freeze,
        )
        .post(
            "/api/v1/giftcards/{card_no}/unfreeze",
            Access::Permission(Permission::CardFreeze),
            giftcards::unfreeze,
        )
        .post(
            "/api/v1/countcards",
            Access::Permission(Permission::ValueTopUp),
            countcards::sell,
        )
        .get(
            "/api/v1/countcards/{id}",
            Access::Permission(Permission::MemberView),
            countcards::get,
        )
        .post(
            "/api/v1/countcards/{id}/uses",
            Access::Permission(Permission::SaleCreate),
            countcards::use_visits,
        )
        .get(
            "/api/v1/members/{id}/countcards",
            Access::Permission(Permission::MemberView),
            countcards::for_member,
        )
        .post(
            "/api/v1/points/adjustments",
            Access::Permission(Permission::PointsAdjust),
            points_adjustments::create,
        )
        .post(
            "/api/v1/value/withdrawals",
            Access::Permission(Permission::ValueRefund),
            withdrawals::create,
        )
        .post_with_body_limit(
            "/api/v1/topups/batches",
            Access::Permission(Permission::ValueTopUp),
            crate::catalogue::import::IMPORT_BODY_BYTES_MAX,
            topup_batches::create,
        )
        .get(
            "/api/v1/reports/stored-value",
            Access::Permission(Permission::ReportView),
            value_report::stored_value,
        )
}
