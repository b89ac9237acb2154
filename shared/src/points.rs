//! Wire types of manual points work (PTS-4): adjustments (积分调整), a staff correction
//! either way, and supplements (积分补记), points for a past purchase the member did not
//! show their card for. Both carry a reason, need the `points.adjust` permission and are
//! audited.

use crate::ids::{MemberId, StoreId};
use crate::validate::{FieldError, ValidationErrors};
use crate::value::MemberBalances;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most points one adjustment or supplement may move, either way.
pub const POINTS_ADJUSTMENT_MAX: i64 = 1_000_000;
/// The shortest reason accepted, in characters after trimming.
pub const ADJUSTMENT_REASON_CHARS_MIN: usize = 2;
/// The longest reason accepted, in characters after trimming.
pub const ADJUSTMENT_REASON_CHARS_MAX: usize = 200;
/// The longest reference (receipt number) accepted, in characters after trimming.
pub const ADJUSTMENT_REFERENCE_CHARS_MAX: usize = 64;

/// Which manual points operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// 积分调整: a correction by staff, adding or taking away points.
    Adjust,
    /// 积分补记: points for a past purchase; positive, with the paper receipt's number.
    Supplement,
}

impl AdjustmentKind {
    /// The code the ledger's history and the audit log show.
    pub fn code(self) -> &'static str {
        match self {
            AdjustmentKind::Adjust => "adjust",
            AdjustmentKind::Supplement => "supplement",
        }
    }
}

/// A manual adjustment or supplement. `id` is made by the client before the first
/// attempt, so a retry is recognised and never applied twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsAdjustmentRequest {
    pub id: Uuid,
    pub member_id: MemberId,
    /// The store the adjustment is booked at; it must lie within the staff's scope.
    pub store_id: StoreId,
    pub kind: AdjustmentKind,
    /// Signed for `adjust` (never 0), positive for `supplement`.
    pub points: i64,
    /// Why, 2–200 characters; shown in the member's history.
    pub reason: String,
    /// For `supplement`, required: the receipt or slip of the purchase.
    #[serde(default)]
    pub reference: Option<String>,
    /// For `supplement`: when the purchase happened (RFC 3339); the points' expiry counts
    /// from that day.
    #[serde(default)]
    pub occurred_at: Option<String>,
}

/// What an adjustment or supplement changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsAdjustmentReceipt {
    pub id: Uuid,
    pub member_id: MemberId,
    pub store_id: StoreId,
    pub kind: AdjustmentKind,
    pub points: i64,
    /// The reason as recorded (trimmed).
    pub reason: String,
    pub reference: Option<String>,
    /// When credited points lapse (RFC 3339); none for points taken away.
    pub expires_at: Option<String>,
    pub balances: MemberBalances,
    pub recorded_at: String,
}

/// The request's text fields as recorded: the reason and reference trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedAdjustment {
    pub reason: String,
    pub reference: Option<String>,
}

pub(crate) fn chars_between(
    field: &str,
    text: &str,
    min: usize,
    max: usize,
    what: &str,
) -> Result<String, FieldError> {
    let text = text.trim();
    let count = text.chars().count();
    if count == 0 {
        return Err(FieldError::required(field));
    }
    if count < min || count > max {
        return Err(FieldError::new(
            field,
            "length",
            format!("{what}应为{min}–{max}个字"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            format!("{what}含有无效字符"),
        ));
    }
    Ok(text.to_owned())
}

impl PointsAdjustmentRequest {
    /// Checks every field that needs no database and names each that is wrong.
    pub fn check(&self) -> Result<CheckedAdjustment, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        match self.kind {
            AdjustmentKind::Adjust if self.points == 0 => {
                errors
                    .fields
                    .push(FieldError::new("points", "zero", "调整积分不能为0"))
            }
            AdjustmentKind::Supplement if self.points <= 0 => {
                errors
                    .fields
                    .push(FieldError::new("points", "not_positive", "补记积分须大于0"))
            }
            _ if self.points.abs() > POINTS_ADJUSTMENT_MAX => errors.fields.push(FieldError::new(
                "points",
                "out_of_range",
                format!("单次调整不能超过{POINTS_ADJUSTMENT_MAX}积分"),
            )),
            _ => {}
        }
        let reason = chars_between(
            "reason",
            &self.reason,
            ADJUSTMENT_REASON_CHARS_MIN,
            ADJUSTMENT_REASON_CHARS_MAX,
            "原因",
        );
        let reference = match (self.kind, self.reference.as_deref().map(str::trim)) {
            (AdjustmentKind::Supplement, None | Some("")) => Err(FieldError::new(
                "reference",
                "required",
                "补记须填写原消费单号",
            )),
            (_, None | Some("")) => Ok(None),
            (_, Some(text)) => {
                chars_between("reference", text, 1, ADJUSTMENT_REFERENCE_CHARS_MAX, "单号")
                    .map(Some)
            }
        };
        let reason = reason.map_err(|error| errors.fields.push(error)).ok();
        let reference = reference.map_err(|error| errors.fields.push(error)).ok();
        match (reason, reference) {
            (Some(reason), Some(reference)) if errors.is_empty() => {
                Ok(CheckedAdjustment { reason, reference })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: AdjustmentKind, points: i64, reason: &str) -> PointsAdjustmentRequest {
        PointsAdjustmentRequest {
            id: Uuid::nil(),
            member_id: MemberId(Uuid::nil()),
            store_id: StoreId(Uuid::nil()),
            kind,
            points,
            reason: reason.to_owned(),
            reference: None,
            occurred_at: None,
        }
    }

    fn fields(result: Result<CheckedAdjustment, ValidationErrors>) -> Vec<String> {
        result
            .err()
            .map(|errors| errors.fields.into_iter().map(|f| f.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn adjustments_are_signed_and_never_zero() {
        let checked = request(AdjustmentKind::Adjust, -50, "  录入错误  ")
            .check()
            .expect("valid");
        assert_eq!(checked.reason, "录入错误", "the reason is trimmed");
        assert_eq!(
            fields(request(AdjustmentKind::Adjust, 0, "录入错误").check()),
            ["points"]
        );
        assert_eq!(
            fields(request(AdjustmentKind::Adjust, -1_000_001, "录入错误").check()),
            ["points"]
        );
    }

    #[test]
    fn supplements_are_positive_and_name_the_receipt() {
        let mut supplement = request(AdjustmentKind::Supplement, -5, "忘带卡");
        assert_eq!(fields(supplement.check()), ["points", "reference"]);
        supplement.points = 30;
        supplement.reference = Some(" S001-20250101-00007 ".to_owned());
        assert_eq!(
            supplement.check().expect("valid").reference.as_deref(),
            Some("S001-20250101-00007")
        );
    }

    #[test]
    fn reasons_are_two_to_two_hundred_characters() {
        for (reason, ok) in [
            ("", false),
            (" 错 ", false),
            ("错账", true),
            (&"积".repeat(200), true),
            (&"积".repeat(201), false),
            ("坏\u{0}字", false),
        ] {
            let result = request(AdjustmentKind::Adjust, 10, reason).check();
            assert_eq!(result.is_ok(), ok, "{reason:?}");
            if !ok {
                assert_eq!(fields(result), ["reason"]);
            }
        }
    }
}
