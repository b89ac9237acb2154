//! Wire types of stored-value withdrawal (储值退款/现金提取, SV-3): principal is handed
//! back to the member, the bonus that came with it is forfeited by the rules'
//! withdrawal policy.

use crate::ids::{MemberId, StoreId};
use crate::validate::FieldError;
use crate::value::{MemberBalances, Tender};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest reason or memo accepted, in characters.
pub const NOTE_CHARS_MAX: usize = 200;

/// A withdrawal at a store. `id` is made by the client before the first attempt, so a
/// retry is recognised and never pays out twice. Give either `amount_fen` or `all`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalRequest {
    pub id: Uuid,
    pub member_id: MemberId,
    pub store_id: StoreId,
    /// Principal (本金) to hand back, in 分.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// Empty the stored value: all principal is handed back and all bonus forfeited.
    #[serde(default)]
    pub all: bool,
    /// How the money goes back to the member.
    pub tender: Tender,
    /// Why, for the audit trail (e.g. 会员退卡, 搬离本市).
    pub reason: String,
    /// When the cashier handed the money over, if earlier than now (offline counter).
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// The member's card PIN, when they have one (CARD-3). Never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalReceipt {
    pub id: Uuid,
    pub member_id: MemberId,
    pub store_id: StoreId,
    /// Principal handed back, in 分.
    pub principal_paid_fen: i64,
    /// Bonus (赠送金) the store took back, in 分; never paid out.
    pub bonus_forfeited_fen: i64,
    pub tender: Tender,
    pub reason: String,
    /// Balances before the withdrawal.
    pub balances_before: MemberBalances,
    /// Balances after it.
    pub balances: MemberBalances,
    pub recorded_at: String,
}

/// A free-text note a person typed (a reason, a memo): trimmed, present, at most
/// [`NOTE_CHARS_MAX`] characters, no control characters.
pub fn normalize_note(field: &str, text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::required(field));
    }
    if text.chars().count() > NOTE_CHARS_MAX {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("不能超过{NOTE_CHARS_MAX}个字"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_characters", "含有无效字符"));
    }
    Ok(text.to_owned())
}

/// How much principal a request asks for: an amount, or everything. Exactly one must be
/// given.
pub fn requested_amount(request: &WithdrawalRequest) -> Result<Option<i64>, FieldError> {
    match (request.amount_fen, request.all) {
        (Some(_), true) => Err(FieldError::new(
            "amount_fen",
            "conflicting",
            "全额退款时不要填写金额",
        )),
        (None, false) => Err(FieldError::new(
            "amount_fen",
            "required",
            "请填写退款金额，或选择全额退款",
        )),
        (Some(fen), false) if fen <= 0 => Err(FieldError::new(
            "amount_fen",
            "not_positive",
            "退款金额应大于0",
        )),
        (amount, _) => Ok(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(amount_fen: Option<i64>, all: bool) -> WithdrawalRequest {
        WithdrawalRequest {
            id: Uuid::now_v7(),
            member_id: MemberId::new(),
            store_id: StoreId::new(),
            amount_fen,
            all,
            tender: Tender::Cash,
            reason: "退卡".to_owned(),
            occurred_at: None,
            pin: None,
        }
    }

    #[test]
    fn an_amount_or_all_but_not_both() {
        assert_eq!(requested_amount(&request(Some(100), false)), Ok(Some(100)));
        assert_eq!(requested_amount(&request(None, true)), Ok(None));
        let code = |r| requested_amount(&r).map_err(|e| (e.field, e.code));
        let error = |code: &str| Err(("amount_fen".to_owned(), code.to_owned()));
        assert_eq!(code(request(None, false)), error("required"));
        assert_eq!(code(request(Some(1), true)), error("conflicting"));
        assert_eq!(code(request(Some(0), false)), error("not_positive"));
        assert_eq!(code(request(Some(-5), false)), error("not_positive"));
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(normalize_note("reason", "  退卡 ").as_deref(), Ok("退卡"));
        assert_eq!(
            normalize_note("reason", " ").map_err(|e| e.code),
            Err("required".to_owned())
        );
        let long = "字".repeat(NOTE_CHARS_MAX + 1);
        assert_eq!(
            normalize_note("reason", &long).map_err(|e| e.code),
            Err("too_long".to_owned())
        );
        assert!(normalize_note("reason", "a\u{0}b").is_err());
    }
}
