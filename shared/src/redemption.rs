//! Wire types of gift redemption with points (积分兑换礼品, PTS-5): the member takes
//! items that carry a points price (`catalogue::Item::points_price`) and pays for them
//! with points only. What the till sends and the receipt it gets back; the server looks
//! the prices up itself and records its own result.

use crate::ids::{MemberId, StoreId};
use crate::validate::{FieldError, ValidationErrors};
use crate::value::MemberBalances;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Lines one redemption may carry at most.
pub const REDEMPTION_LINES_MAX: usize = 50;
/// The most of one gift a line may take.
pub const REDEMPTION_QUANTITY_MAX: i64 = 999;

/// One gift and how many of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionLine {
    pub item_id: String,
    pub quantity: i64,
}

/// A redemption at the counter. `id` is made by the till before the first attempt, so a
/// retry after a lost answer is recognised and never takes the points twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionRequest {
    pub id: Uuid,
    pub member_id: MemberId,
    pub store_id: StoreId,
    pub lines: Vec<RedemptionLine>,
    /// The member's card PIN (消费密码), needed when the member has one. Never stored,
    /// and left out of the command's fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// When the till made the redemption, if earlier than now (offline counter).
    #[serde(default)]
    pub occurred_at: Option<String>,
}

impl RedemptionRequest {
    /// The redemption without its PIN: what is fingerprinted and kept.
    pub fn without_pin(&self) -> RedemptionRequest {
        RedemptionRequest {
            pin: None,
            ..self.clone()
        }
    }

    /// Checks the shape of the request before the catalogue is read: at least one line,
    /// not too many, each quantity within 1–999 and naming an item. Every bad field is
    /// named.
    pub fn check(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if self.lines.is_empty() {
            errors
                .fields
                .push(FieldError::new("lines", "required", "请选择兑换的礼品"));
        }
        if self.lines.len() > REDEMPTION_LINES_MAX {
            errors.fields.push(FieldError::new(
                "lines",
                "too_many",
                format!("一次最多兑换{REDEMPTION_LINES_MAX}种礼品"),
            ));
        }
        for (index, line) in self.lines.iter().enumerate() {
            if line.item_id.trim().is_empty() {
                errors
                    .fields
                    .push(FieldError::required(&format!("lines[{index}].item_id")));
            }
            if !(1..=REDEMPTION_QUANTITY_MAX).contains(&line.quantity) {
                errors.fields.push(FieldError::new(
                    &format!("lines[{index}].quantity"),
                    "out_of_range",
                    format!("数量应为1–{REDEMPTION_QUANTITY_MAX}"),
                ));
            }
        }
        errors.into_result()
    }
}

/// One gift on the receipt, at the points price it was taken at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionReceiptLine {
    pub item_id: String,
    pub name: String,
    pub quantity: i64,
    pub points_each: i64,
    /// `points_each × quantity`.
    pub points: i64,
}

/// What a redemption recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionReceipt {
    pub id: Uuid,
    /// Numbered in the store's day with its sales (`S001-20261122-00043`).
    pub receipt_no: String,
    pub member_id: MemberId,
    pub store_id: StoreId,
    pub lines: Vec<RedemptionReceiptLine>,
    /// Points taken in all.
    pub points: i64,
    /// The member's balances after the redemption.
    pub balances: MemberBalances,
    pub recorded_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(lines: Vec<RedemptionLine>) -> RedemptionRequest {
        RedemptionRequest {
            id: Uuid::nil(),
            member_id: MemberId(Uuid::nil()),
            store_id: StoreId(Uuid::nil()),
            lines,
            pin: Some("123456".into()),
            occurred_at: None,
        }
    }

    fn fields(request: &RedemptionRequest) -> Vec<String> {
        request
            .check()
            .err()
            .map(|errors| errors.fields.into_iter().map(|f| f.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_shape_is_checked_field_by_field() {
        assert_eq!(fields(&request(vec![])), ["lines"]);
        let line = |item: &str, quantity| RedemptionLine {
            item_id: item.into(),
            quantity,
        };
        assert!(request(vec![line("a", 1), line("b", 999)]).check().is_ok());
        assert_eq!(
            fields(&request(vec![line("a", 0), line("", 1), line("c", 1_000)])),
            ["lines[0].quantity", "lines[1].item_id", "lines[2].quantity"]
        );
        let many = (0..=REDEMPTION_LINES_MAX).map(|_| line("a", 1)).collect();
        assert_eq!(fields(&request(many)), ["lines"]);
    }

    #[test]
    fn the_pin_is_no_part_of_the_fingerprint() {
        let with = request(vec![]);
        let without = with.without_pin();
        assert_eq!(without.pin, None);
        let text = serde_json::to_value(&without).unwrap_or_default();
        assert!(text.get("pin").is_none());
    }
}
