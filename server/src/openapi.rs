//! The OpenAPI document served at `/api/openapi.json`, generated from the handlers'
//! annotations so it cannot drift from the code unnoticed (a test compares it with the
//! routes the server declares).

use crate::routes;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Huiyuan API", description = "会员、积分与储值系统的接口。金额以分为单位的整数表示。"),
    paths(
        routes::health::health,
        routes::staff_auth::login,
        routes::staff_auth::logout,
        routes::staff_auth::me,
        routes::member_auth::login,
        routes::member_auth::logout,
        routes::member_auth::me,
        routes::stores::list,
        routes::staff::list,
        routes::audit_log::list,
        routes::catalogue::list_categories,
        routes::catalogue::create_category,
        routes::catalogue::update_category,
        routes::catalogue::delete_category,
        routes::catalogue::list_items,
        routes::catalogue::get_item,
        routes::catalogue::create_item,
        routes::catalogue::update_item,
        routes::catalogue::delete_item,
        routes::catalogue::import_items,
        routes::topups::create,
        routes::sales::create,
        routes::sales::create_return,
        routes::sales::by_receipt,
        routes::sales::attach_member,
        routes::member_pin::status,
        routes::member_pin::set_by_staff,
        routes::member_pin::set_own,
        routes::member_ledger::list,
        routes::sales::get_rules,
        routes::sales::put_rules,
        routes::giftcards::create_batch,
        routes::giftcards::list_batches,
        routes::giftcards::get_batch,
        routes::giftcards::load,
        routes::giftcards::enquire,
        routes::giftcards::get_card,
        routes::giftcards::freeze,
        routes::giftcards::unfreeze,
        routes::countcards::sell,
        routes::countcards::get,
        routes::countcards::use_visits,
        routes::countcards::for_member,
        routes::points_adjustments::create,
        routes::redemptions::create,
        routes::withdrawals::create,
        routes::topup_batches::create,
        routes::value_report::stored_value,
        routes::members::find,
        routes::members::create,
        routes::members::get,
        routes::members::purchases,
        routes::members::update,
        routes::members::change_number,
        routes::members::archive,
        routes::members::restore,
        routes::members::get_own,
        routes::members::update_own,
        routes::member_settings::list_fields,
        routes::member_settings::save_field,
        routes::member_settings::list_classes,
        routes::member_settings::create_class,
        routes::member_settings::switch_class,
        routes::levels::list,
        routes::levels::create,
        routes::levels::update,
        routes::levels::assign,
        routes::levels::extend,
        routes::levels::history,
        routes::registration::request_code,
        routes::registration::register,
        routes::registration::pending,
        routes::registration::approve,
        routes::registration::reject,
        routes::registration::get_settings,
        routes::registration::put_settings,
        routes::cards::get,
        routes::cards::issue,
        routes::cards::reissue,
        routes::cards::replace_card,
        routes::cards::report_lost,
        routes::cards::found,
        routes::cards::freeze,
        routes::cards::unfreeze,
        routes::cards::transfer,
        routes::cards::close,
        routes::cards::of_member,
        routes::cards::by_card,
        routes::cards::freeze_member,
        routes::cards::unfreeze_member,
        routes::cards::merge_members,
        routes::card_stock::create_batch,
        routes::card_stock::hand_over,
        routes::card_stock::summary,
        routes::cards::member_qr,
        routes::member_imports::create,
        routes::member_imports::get,
        routes::member_imports::export_members,
        routes::sync::pull,
        routes::sync::push,
        routes::sync::conflicts,
        routes::sync::resolve,
        routes::shifts::open,
        routes::shifts::current,
        routes::shifts::get,
        routes::shifts::close,
        routes::shifts::takings,
    ),
    components(schemas(huiyuan_shared::FieldError, huiyuan_shared::ValidationErrors)),
    modifiers(&SecuritySchemes),
    security(("session_cookie" = []), ("bearer" = []))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                huiyuan_shared::api::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
