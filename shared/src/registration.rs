//! Wire types of self-registration with an SMS code (MEM-2), the approval queue and the
//! registration settings HQ keeps in the rule set.

use crate::api::MemberLoginResponse;
use crate::ids::MemberId;
use crate::member::{MemberRecord, MemberStatus, Profile};
use serde::{Deserialize, Serialize};

/// Digits of an SMS code.
pub const SMS_CODE_DIGITS: usize = 6;
/// How long an SMS code can be used, in seconds.
pub const SMS_CODE_TTL_SECONDS: i64 = 5 * 60;
/// Tries one code allows; a code guessed wrong this often is dead.
pub const SMS_CODE_ATTEMPTS_MAX: i64 = 5;
/// Seconds before the same phone may ask for another code.
pub const SMS_CODE_RESEND_SECONDS: i64 = 60;
/// Codes one phone may ask for within an hour.
pub const SMS_CODES_PER_PHONE_HOUR: i64 = 5;
/// Codes one client address may ask for within an hour, whatever the phones.
pub const SMS_CODES_PER_IP_HOUR: i64 = 20;
/// The longest reason a rejection may give, in characters.
pub const REJECT_REASON_CHARS_MAX: usize = 200;
/// Pending registrants one page of the approval queue holds at most.
pub const PENDING_PAGE_MAX: u32 = 100;

/// Stable field-error codes of the SMS code, all on the field `code`.
pub mod code_error {
    /// Not six digits: a typing mistake, not counted as a try.
    pub const INVALID: &str = "invalid_code";
    /// No code was asked for this phone.
    pub const MISSING: &str = "sms_code_missing";
    /// Wrong; `details` of the message say how many tries are left.
    pub const WRONG: &str = "sms_code_wrong";
    /// Guessed wrong too often: the code is dead, a new one must be asked for.
    pub const TRIES_EXCEEDED: &str = "sms_code_tries_exceeded";
    /// Older than five minutes.
    pub const EXPIRED: &str = "sms_code_expired";
    /// Already used for a registration.
    pub const USED: &str = "sms_code_used";
}

/// Asks for an SMS code to register with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeRequest {
    pub phone: String,
}

/// A code is on its way. The answer is the same whether or not the phone is a member's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// Seconds the code stays valid.
    pub expires_in_seconds: i64,
    /// Seconds before another code may be asked for this phone.
    pub resend_after_seconds: i64,
}

/// A registration from the member's phone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    pub phone: String,
    /// The six digits the SMS brought.
    pub code: String,
    pub name: String,
    pub password: String,
    /// The referrer's referral code (their member number).
    #[serde(default)]
    pub referral_code: Option<String>,
    /// General profile fields only, as the member edits them later.
    #[serde(default)]
    pub profile: Profile,
}

/// A registration accepted: pending approval, or formal and logged in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registered {
    pub status: MemberStatus,
    pub member_no: String,
    /// The new member's session when they are formal at once (no approval needed).
    pub login: Option<MemberLoginResponse>,
}

/// The member who referred a registrant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Referrer {
    pub id: MemberId,
    pub member_no: String,
    pub name: String,
}

/// One registrant waiting for approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingMember {
    pub id: MemberId,
    pub member_no: String,
    pub name: String,
    pub phone_masked: String,
    /// How they registered: `sms` from the phone.
    pub channel: String,
    pub referrer: Option<Referrer>,
    /// When they registered (RFC 3339).
    pub registered_at: String,
}

/// One page of the approval queue, oldest registrant first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingPage {
    pub members: Vec<PendingMember>,
    /// Whether another page follows.
    pub more: bool,
}

/// A registrant approved: the record as it now stands and the referral points paid by
/// this approval (0 when there were none, or when an earlier approval paid them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub member: MemberRecord,
    pub referral_points: i64,
}

/// Why a registrant is turned away; sent to them by SMS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectRequest {
    pub reason: String,
}

/// The reason as stored: trimmed, 1–200 characters.
pub fn check_reject_reason(reason: &str) -> Result<String, crate::FieldError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(crate::FieldError::required("reason"));
    }
    if reason.chars().count() > REJECT_REASON_CHARS_MAX {
        return Err(crate::FieldError::new(
            "reason",
            "too_long",
            format!("不能超过{REJECT_REASON_CHARS_MAX}个字"),
        ));
    }
    Ok(reason.to_owned())
}

/// A code as typed must be six digits; anything else is a typing mistake.
pub fn is_code_shaped(code: &str) -> bool {
    code.len() == SMS_CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_trimmed_and_bounded() {
        assert_eq!(
            check_reject_reason("  资料不全 ").as_deref(),
            Ok("资料不全")
        );
        assert_eq!(
            check_reject_reason("  ").expect_err("empty").code,
            "required"
        );
        let long = "字".repeat(REJECT_REASON_CHARS_MAX + 1);
        assert_eq!(
            check_reject_reason(&long).expect_err("too long").code,
            "too_long"
        );
    }

    #[test]
    fn codes_are_six_digits() {
        assert!(is_code_shaped("012345"));
        assert!(!is_code_shaped("12345"));
        assert!(!is_code_shaped("12345a"));
        assert!(!is_code_shaped("１２３４５６"));
    }
}
