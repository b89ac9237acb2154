//! Corporate batch top-up (批量充值, SV-4): HQ uploads a CSV or XLSX file of members and
//! amounts, checks it with a dry run, then credits every row at once or none of them.
//! The column names and the checks of one row's cells live here, beside the wire types.

use crate::catalogue::ImportRowError;
use crate::ids::{MemberId, StoreId};
use crate::money::{Money, MoneyError};
use crate::validate::FieldError;
use crate::value::Tender;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most one row may credit: ¥100,000.00, twice what one counter top-up may add.
pub const TOPUP_BATCH_ROW_FEN_MAX: i64 = 10_000_000;
/// The longest memo of a row, in characters.
pub const TOPUP_BATCH_MEMO_CHARS_MAX: usize = 60;

/// The columns a batch file may have: the field name and the headers accepted for it
/// (Chinese first, as the template shows it). A file needs 金额 and at least one of
/// 手机号 and 会员号.
pub const TOPUP_BATCH_COLUMNS: &[(&str, &[&str])] = &[
    ("phone", &["手机号", "手机", "手机号码", "phone", "mobile"]),
    (
        "member_no",
        &["会员号", "会员编号", "会员卡号", "卡号", "member_no"],
    ),
    (
        "amount",
        &["金额", "充值金额", "金额（元）", "金额(元)", "amount"],
    ),
    ("memo", &["备注", "memo"]),
];

/// The field a header names, ignoring case and surrounding spaces.
pub fn topup_batch_column(header: &str) -> Option<&'static str> {
    let header = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    TOPUP_BATCH_COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|name| *name == header))
        .map(|(field, _)| *field)
}

/// The Chinese header of a field, for messages.
pub fn topup_batch_column_label(field: &str) -> &'static str {
    TOPUP_BATCH_COLUMNS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, headers)| headers[0])
        .unwrap_or("")
}

/// An amount in 元 as typed in the file: a number with at most two decimals, above zero
/// and at most [`TOPUP_BATCH_ROW_FEN_MAX`].
pub fn parse_topup_amount(field: &str, text: &str) -> Result<Money, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::required(field));
    }
    let amount = text.parse::<Money>().map_err(|error| match error {
        MoneyError::NotANumber => FieldError::new(field, "not_a_number", "金额应为数字，如 500.00"),
        MoneyError::TooPrecise => FieldError::new(field, "too_precise", "金额最多两位小数"),
        MoneyError::OutOfRange => FieldError::new(field, "above_maximum", row_cap_message()),
    })?;
    if amount.fen() <= 0 {
        return Err(FieldError::new(field, "not_positive", "充值金额应大于0"));
    }
    if amount.fen() > TOPUP_BATCH_ROW_FEN_MAX {
        return Err(FieldError::new(field, "above_maximum", row_cap_message()));
    }
    Ok(amount)
}

fn row_cap_message() -> String {
    format!(
        "每行充值不能超过{}",
        Money::from_fen(TOPUP_BATCH_ROW_FEN_MAX)
    )
}

/// A row's memo: optional, at most [`TOPUP_BATCH_MEMO_CHARS_MAX`] characters.
pub fn normalize_topup_memo(field: &str, text: &str) -> Result<Option<String>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > TOPUP_BATCH_MEMO_CHARS_MAX {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("不能超过{TOPUP_BATCH_MEMO_CHARS_MAX}个字"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_characters", "含有无效字符"));
    }
    Ok(Some(text.to_owned()))
}

/// One data row as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupBatchRow {
    /// The row as the spreadsheet shows it: the header is row 1.
    pub row: u32,
    /// The member found, if any.
    pub member_id: Option<MemberId>,
    pub member_no: Option<String>,
    /// The member's phone with the middle digits hidden.
    pub phone_masked: Option<String>,
    /// Principal to credit, in 分, when the amount could be read.
    pub amount_fen: Option<i64>,
    /// 赠送金 the bonus plan in force adds, in 分.
    pub bonus_fen: i64,
    pub bonus_plan_id: Option<String>,
    pub memo: Option<String>,
    /// Whether the row has no error.
    pub ok: bool,
}

/// What a batch did, or would do on a dry run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupBatchReport {
    pub batch_id: Option<Uuid>,
    pub dry_run: bool,
    /// Whether anything was credited. False on a dry run and on a refused batch.
    pub committed: bool,
    pub store_id: StoreId,
    pub tender: Tender,
    /// Data rows in the file, blank rows not counted.
    pub rows_read: u32,
    /// Rows without any error.
    pub rows_valid: u32,
    /// Principal of the good rows, in 分.
    pub principal_fen: i64,
    /// Bonus of the good rows, in 分.
    pub bonus_fen: i64,
    pub rows: Vec<TopupBatchRow>,
    /// Every problem, by row and field.
    pub errors: Vec<ImportRowError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_yuan_with_at_most_two_decimals() {
        assert_eq!(parse_topup_amount("amount", "500"), Ok(Money(50_000)));
        assert_eq!(parse_topup_amount("amount", " 0.01 "), Ok(Money(1)));
        let code = |text: &str| parse_topup_amount("amount", text).map_err(|e| e.code);
        assert_eq!(code(""), Err("required".to_owned()));
        assert_eq!(code("abc"), Err("not_a_number".to_owned()));
        assert_eq!(code("1.234"), Err("too_precise".to_owned()));
        assert_eq!(code("0"), Err("not_positive".to_owned()));
        assert_eq!(code("-5"), Err("not_positive".to_owned()));
        assert_eq!(code("100000.01"), Err("above_maximum".to_owned()));
        assert_eq!(code("1e30"), Err("not_a_number".to_owned()));
        assert_eq!(code("99999999999999"), Err("above_maximum".to_owned()));
        assert_eq!(
            parse_topup_amount("amount", "100000.01").map_err(|e| e.message),
            Err("每行充值不能超过¥100,000.00".to_owned())
        );
    }

    #[test]
    fn headers_are_recognised_in_chinese_and_english() {
        assert_eq!(topup_batch_column(" 手机号 "), Some("phone"));
        assert_eq!(topup_batch_column("\u{feff}Phone"), Some("phone"));
        assert_eq!(topup_batch_column("会员卡号"), Some("member_no"));
        assert_eq!(topup_batch_column("金额（元）"), Some("amount"));
        assert_eq!(topup_batch_column("单位"), None);
        assert_eq!(topup_batch_column_label("amount"), "金额");
    }

    #[test]
    fn memos_are_optional_and_bounded() {
        assert_eq!(normalize_topup_memo("memo", "  "), Ok(None));
        assert_eq!(
            normalize_topup_memo("memo", " 三月福利 "),
            Ok(Some("三月福利".to_owned()))
        );
        let long = "字".repeat(TOPUP_BATCH_MEMO_CHARS_MAX + 1);
        assert!(normalize_topup_memo("memo", &long).is_err());
    }
}
