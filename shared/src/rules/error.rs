//! Errors of the rules engine. Each names the field it is about (`lines[2].quantity`,
//! `earn_rules[0].multipliers[1].factor`) so the screen can point at it, the way
//! [`FieldError`] does for forms.

use crate::validate::FieldError;
use serde::{Deserialize, Serialize};

/// What is wrong with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleErrorKind {
    #[error("must be greater than zero")]
    NotPositive,
    #[error("must not be negative")]
    Negative,
    #[error("must not be empty")]
    Empty,
    #[error("too many entries")]
    TooMany,
    #[error("too long")]
    TooLong,
    #[error("out of range")]
    OutOfRange,
    #[error("not a valid date or time")]
    InvalidDate,
    #[error("the result does not fit")]
    Overflow,
    #[error("an id is used twice")]
    Duplicate,
    #[error("does not match the quote or cart it belongs to")]
    Mismatch,
    #[error("below the minimum")]
    BelowMinimum,
    #[error("above the maximum")]
    AboveMaximum,
    #[error("not a whole number of 分")]
    NotWholeFen,
    #[error("no rule allows this now")]
    NoRuleInForce,
}

impl RuleErrorKind {
    /// A stable code for programs, the same text serde uses.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotPositive => "not_positive",
            Self::Negative => "negative",
            Self::Empty => "empty",
            Self::TooMany => "too_many",
            Self::TooLong => "too_long",
            Self::OutOfRange => "out_of_range",
            Self::InvalidDate => "invalid_date",
            Self::Overflow => "overflow",
            Self::Duplicate => "duplicate",
            Self::Mismatch => "mismatch",
            Self::BelowMinimum => "below_minimum",
            Self::AboveMaximum => "above_maximum",
            Self::NotWholeFen => "not_whole_fen",
            Self::NoRuleInForce => "no_rule_in_force",
        }
    }

    /// A message in Simplified Chinese for the person at the screen.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotPositive => "必须大于0",
            Self::Negative => "不能为负数",
            Self::Empty => "不能为空",
            Self::TooMany => "条目过多",
            Self::TooLong => "过长",
            Self::OutOfRange => "超出允许范围",
            Self::InvalidDate => "日期或时间无效",
            Self::Overflow => "金额或数量过大",
            Self::Duplicate => "编号重复",
            Self::Mismatch => "与订单不一致",
            Self::BelowMinimum => "低于最低限额",
            Self::AboveMaximum => "超过最高限额",
            Self::NotWholeFen => "须折合整分",
            Self::NoRuleInForce => "当前没有可用的规则（未启用、未到期或已过期）",
        }
    }
}

/// A field the engine refused, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{field}: {kind}")]
pub struct RuleError {
    pub field: String,
    pub kind: RuleErrorKind,
}

impl RuleError {
    pub fn new(field: impl Into<String>, kind: RuleErrorKind) -> Self {
        Self {
            field: field.into(),
            kind,
        }
    }

    pub fn overflow(field: impl Into<String>) -> Self {
        Self::new(field, RuleErrorKind::Overflow)
    }
}

impl From<RuleError> for FieldError {
    /// Lets the API answer with its usual `invalid_input` list of fields.
    fn from(error: RuleError) -> Self {
        FieldError::new(&error.field, error.kind.code(), error.kind.message())
    }
}

/// Checks that a list is within [`super::RULE_ENTRIES_MAX`].
pub(crate) fn check_entries<T>(field: &str, list: &[T]) -> Result<(), RuleError> {
    if list.len() > super::RULE_ENTRIES_MAX {
        return Err(RuleError::new(field, RuleErrorKind::TooMany));
    }
    Ok(())
}

/// Checks an id: present, of bounded length, no control characters.
pub(crate) fn check_id(field: &str, id: &str) -> Result<(), RuleError> {
    if id.trim().is_empty() {
        return Err(RuleError::new(field, RuleErrorKind::Empty));
    }
    if id.len() > super::ID_BYTES_MAX || id.chars().any(char::is_control) {
        return Err(RuleError::new(field, RuleErrorKind::TooLong));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine error becomes the API's field error with a stable code and a Chinese
    /// message, keeping the field path.
    #[test]
    fn rule_errors_become_field_errors() {
        let error = RuleError::new("lines[2].quantity", RuleErrorKind::NotPositive);
        assert_eq!(
            error.to_string(),
            "lines[2].quantity: must be greater than zero"
        );
        let field: FieldError = error.into();
        assert_eq!(field.field, "lines[2].quantity");
        assert_eq!(field.code, "not_positive");
        assert_eq!(field.message, "必须大于0");
        let json = serde_json::to_string(&RuleErrorKind::NotWholeFen).expect("serialises");
        assert_eq!(json, "\"not_whole_fen\"");
    }

    /// Ids must be present, short and printable.
    #[test]
    fn ids_are_checked() {
        assert!(check_id("id", "earn-1").is_ok());
        assert_eq!(
            check_id("id", " ").map_err(|e| e.kind),
            Err(RuleErrorKind::Empty)
        );
        let long = "x".repeat(crate::rules::ID_BYTES_MAX + 1);
        assert_eq!(
            check_id("id", &long).map_err(|e| e.kind),
            Err(RuleErrorKind::TooLong)
        );
        assert!(check_id("id", "a\nb").is_err());
    }
}
