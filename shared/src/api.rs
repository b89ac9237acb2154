//! Wire types of the HTTP API under `/api/v1`, used by the server to answer and by the
//! client to ask. Amounts are integers in 分; timestamps are RFC 3339 strings in UTC.

use crate::ids::{MemberId, StaffId, StoreId};
use crate::permission::Permission;
use serde::{Deserialize, Serialize};

/// Path prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";
/// Name of the session cookie set for browsers.
pub const SESSION_COOKIE: &str = "huiyuan_session";

/// The one error shape every API failure has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable machine-readable code, e.g. `invalid_credentials`.
    pub code: String,
    /// A message for the person at the screen, in Simplified Chinese.
    pub message: String,
    /// More about the failure, e.g. `{"fields": [...]}` for validation errors.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// Stable error codes the client reacts to.
pub mod error_code {
    pub const INVALID_INPUT: &str = "invalid_input";
    pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
    pub const ACCOUNT_LOCKED: &str = "account_locked";
    pub const ACCOUNT_DISABLED: &str = "account_disabled";
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    pub const CONFLICT: &str = "conflict";
    pub const INSUFFICIENT_BALANCE: &str = "insufficient_balance";
    /// A wrong card PIN (member or gift card); `details.attempts_left` more are allowed
    /// before the lock.
    pub const WRONG_PIN: &str = "wrong_pin";
    /// Too many wrong card PINs: spending is locked for a while.
    pub const PIN_LOCKED: &str = "pin_locked";
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const INTERNAL: &str = "internal";
    /// Too many requests of one kind (SMS codes per phone or per address); `details`
    /// name the `scope` and `retry_after_seconds`.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// A registrant waiting for approval cannot log in yet.
    pub const MEMBER_PENDING: &str = "member_pending";
    /// An offline sale spent more stored value or points than the rules' per-member
    /// offline limit; `details.fields` names the payment, `details.limit` the limit.
    pub const OFFLINE_LIMIT_EXCEEDED: &str = "offline_limit_exceeded";
    /// An offline sale was recorded although it overdrew the member (a sync push result
    /// of status `conflict`); `details` hold the shortfalls and the conflict's id.
    pub const OFFLINE_OVERDRAFT: &str = "offline_overdraft";
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// Keep the session for 30 days instead of 12 hours.
    #[serde(default)]
    pub remember: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// Opaque bearer token for devices and integrations; browsers use the cookie.
    pub token: String,
    pub expires_at: String,
    pub staff: StaffMe,
}

/// The kind of a node in the organisation tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Hq,
    Region,
    Store,
}

impl StoreKind {
    pub fn code(self) -> &'static str {
        match self {
            StoreKind::Hq => "hq",
            StoreKind::Region => "region",
            StoreKind::Store => "store",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "hq" => Some(StoreKind::Hq),
            "region" => Some(StoreKind::Region),
            "store" => Some(StoreKind::Store),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreRef {
    pub id: StoreId,
    pub code: String,
    pub name: String,
    pub kind: StoreKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleRef {
    pub code: String,
    pub name: String,
}

/// The logged-in staff member as the client needs to know them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffMe {
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub role: RoleRef,
    /// The store node the account is scoped to: it acts there and below.
    pub store: StoreRef,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub permissions: Vec<Permission>,
}

impl StaffMe {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// A node of the organisation tree with its parent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreNode {
    pub id: StoreId,
    pub parent_id: Option<StoreId>,
    pub code: String,
    pub name: String,
    pub kind: StoreKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffSummary {
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub role: RoleRef,
    pub store: StoreRef,
    /// Set when the person has left; they can no longer log in.
    pub left_at: Option<String>,
    /// Set while the account is locked after failed logins.
    pub locked_until: Option<String>,
}

/// One row of the audit log (SYS-3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    /// `staff`, `member` or `system`.
    pub actor_kind: String,
    pub actor_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub store_id: Option<StoreId>,
    pub ip: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub before: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberLoginRequest {
    pub phone: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberLoginResponse {
    pub token: String,
    pub expires_at: String,
    pub member: MemberMe,
}

/// The logged-in member as their phone shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberMe {
    pub id: MemberId,
    pub member_no: String,
    pub name: String,
    /// The phone number with its middle digits hidden, e.g. `138****8000`.
    pub phone_masked: String,
    pub level_name: String,
    pub points: i64,
    /// Stored value in 分, principal and bonus together.
    pub balance_fen: i64,
}

/// Hides the middle four digits of an 11-digit mobile number.
pub fn mask_mobile(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire format of an error is a contract with every client; changing it must be
    /// deliberate.
    #[test]
    fn error_wire_format_is_stable() {
        let error = ApiError {
            code: error_code::INVALID_INPUT.into(),
            message: "输入有误".into(),
            details: serde_json::json!({"fields": [{"field": "username", "code": "required", "message": "必填"}]}),
        };
        let text = serde_json::to_string(&error).expect("serialises");
        assert_eq!(
            text,
            r#"{"code":"invalid_input","message":"输入有误","details":{"fields":[{"code":"required","field":"username","message":"必填"}]}}"#
        );
    }

    #[test]
    fn masks_mobile_numbers() {
        assert_eq!(mask_mobile("13800138000"), "138****8000");
        assert_eq!(mask_mobile("123"), "****");
    }
}
