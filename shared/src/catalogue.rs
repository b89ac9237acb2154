//! The product catalogue (GDS-1): categories of any depth, items with retail, member and
//! points prices, barcodes and the "earns points" flag, and the bulk import's report.
//! Wire types and the pure validation both the counter and the server run.

use crate::money::{Money, MoneyError};
use crate::validate::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use uuid::Uuid;

/// The longest item name accepted, in characters.
pub const ITEM_NAME_CHARS_MAX: usize = 60;
/// The longest category name accepted, in characters.
pub const CATEGORY_NAME_CHARS_MAX: usize = 30;
/// Categories nest at most this deep; the same limit as the rules engine's category paths.
pub const CATEGORY_DEPTH_MAX: usize = 16;
/// The longest item code (编码/货号) accepted, in characters.
pub const ITEM_CODE_CHARS_MAX: usize = 32;
/// The longest unit (件, 瓶, 千克…) accepted, in characters.
pub const UNIT_CHARS_MAX: usize = 8;
/// The unit an item gets when none is given.
pub const UNIT_DEFAULT: &str = "件";
/// The longest image address accepted, in bytes.
pub const IMAGE_URL_BYTES_MAX: usize = 512;
/// The highest price one item may carry: ¥9,999,999.99. Anything above is a typing slip.
pub const ITEM_PRICE_FEN_MAX: i64 = 999_999_999;
/// The most points one gift may cost.
pub const POINTS_PRICE_MAX: i64 = 100_000_000;
/// The longest search text accepted, in characters.
pub const SEARCH_CHARS_MAX: usize = 64;

crate::ids::id_type!(
    /// A category of goods.
    CategoryId
);
crate::ids::id_type!(
    /// An item of the catalogue: something sold, or given for points.
    ItemId
);

/// One category. The list endpoint returns the whole tree flat, parents before their
/// children and siblings in `sort_order`, then name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub id: CategoryId,
    pub parent_id: Option<CategoryId>,
    pub name: String,
    /// Ids from the root down to this category itself.
    pub path: Vec<CategoryId>,
    pub sort_order: i64,
    /// Rises with every change; the tablet sync asks for rows above the last it saw.
    pub version: i64,
    pub updated_at: String,
}

/// A category to create (`POST`) or its new state (`PUT`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryInput {
    /// A UUIDv7 made by the client, so a retried create is recognised. Made by the server
    /// when absent; ignored by `PUT` unless it differs from the path's id.
    #[serde(default)]
    pub id: Option<CategoryId>,
    #[serde(default)]
    pub parent_id: Option<CategoryId>,
    pub name: String,
    #[serde(default)]
    pub sort_order: i64,
}

/// One item of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub id: ItemId,
    pub code: String,
    pub barcode: Option<String>,
    pub name: String,
    pub category_id: Option<CategoryId>,
    /// Ids from the root category down to the item's own, for rules on parent categories.
    pub category_path: Vec<CategoryId>,
    pub unit: String,
    /// The shelf price of one unit, in 分.
    pub retail_price_fen: Money,
    /// The member price of one unit (会员价), in 分.
    pub member_price_fen: Option<Money>,
    /// Points a member pays to take the item as a gift.
    pub points_price: Option<i64>,
    /// Whether buying it earns points (积分商品).
    pub earns_points: bool,
    pub image_url: Option<String>,
    /// Inactive items stay in the catalogue but are not offered at the counter.
    pub active: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// An item to create (`POST`) or its new state (`PUT`). Prices are whole 分.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemInput {
    /// A UUIDv7 made by the client, so a retried create is recognised: the same id with
    /// the same content answers the item, with other content a conflict.
    #[serde(default)]
    pub id: Option<ItemId>,
    pub code: String,
    #[serde(default)]
    pub barcode: Option<String>,
    pub name: String,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// `件` when absent.
    #[serde(default)]
    pub unit: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub retail_price_fen: serde_json::Number,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub member_price_fen: Option<serde_json::Number>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub points_price: Option<serde_json::Number>,
    #[serde(default = "yes")]
    pub earns_points: bool,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The value of a check that passed; a failed check's error joins the others.
fn keep<T>(errors: &mut ValidationErrors, result: Result<T, FieldError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            errors.fields.push(error);
            None
        }
    }
}

/// An item's checked content: what is stored, and what two requests with the same id are
/// compared by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemFields {
    pub code: String,
    pub barcode: Option<String>,
    pub name: String,
    pub category_id: Option<CategoryId>,
    pub unit: String,
    pub retail_price: Money,
    pub member_price: Option<Money>,
    pub points_price: Option<i64>,
    pub earns_points: bool,
    pub image_url: Option<String>,
    pub active: bool,
}

impl ItemInput {
    /// Checks every field and names each that is wrong.
    pub fn validate(&self) -> Result<ItemFields, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let id = self.id.map(|id| check_client_id("id", id.0));
        let code = keep(&mut errors, normalize_item_code("code", &self.code));
        let barcode = keep(
            &mut errors,
            normalize_barcode("barcode", self.barcode.as_deref().unwrap_or_default()),
        );
        let name = keep(&mut errors, normalize_item_name("name", &self.name));
        let unit = keep(
            &mut errors,
            normalize_unit("unit", self.unit.as_deref().unwrap_or_default()),
        );
        let retail = keep(
            &mut errors,
            check_price_fen("retail_price_fen", &self.retail_price_fen),
        );
        let member = keep(
            &mut errors,
            self.member_price_fen
                .as_ref()
                .map(|fen| check_price_fen("member_price_fen", fen))
                .transpose(),
        );
        let points = keep(
            &mut errors,
            self.points_price
                .as_ref()
                .map(|points| check_points_number("points_price", points))
                .transpose(),
        );
        let image_url = keep(
            &mut errors,
            normalize_image_url("image_url", self.image_url.as_deref().unwrap_or_default()),
        );
        if let Some(Err(error)) = id {
            errors.fields.push(error);
        }
        if let (Some(retail), Some(Some(member))) = (retail, member) {
            errors.check(check_member_price("member_price_fen", retail, member));
        }
        errors.clone().into_result()?;
        match (code, barcode, name, unit, retail, member, points, image_url) {
            (
                Some(code),
                Some(barcode),
                Some(name),
                Some(unit),
                Some(retail_price),
                Some(member_price),
                Some(points_price),
                Some(image_url),
            ) => Ok(ItemFields {
                code,
                barcode,
                name,
                category_id: self.category_id,
                unit,
                retail_price,
                member_price,
                points_price,
                earns_points: self.earns_points,
                image_url,
                active: self.active,
            }),
            _ => Err(errors),
        }
    }
}

/// One page of items, ordered by code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemPage {
    pub items: Vec<Item>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<String>,
}

/// The file format of an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    Csv,
    Xlsx,
}

/// What an import did, or would do on a dry run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub dry_run: bool,
    /// Whether anything was written. False on a dry run and on a refused import.
    pub committed: bool,
    /// Data rows in the file, blank rows not counted.
    pub rows_read: u32,
    /// Rows without any error.
    pub rows_valid: u32,
    /// Items created (or that would be, on a dry run).
    pub created: u32,
    /// Existing items, matched by code, whose content changed.
    pub updated: u32,
    /// Existing items the file repeats exactly.
    pub unchanged: u32,
    /// Rows skipped because of errors (only with `skip_invalid=true`).
    pub skipped: u32,
    pub categories_created: u32,
    pub errors: Vec<ImportRowError>,
}

/// One problem in one row of an import file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRowError {
    /// The row as the spreadsheet shows it: the header is row 1.
    pub row: u32,
    /// The column's field name, e.g. `retail_price`.
    pub field: String,
    pub code: String,
    /// What is wrong, in Simplified Chinese.
    pub message: String,
}

/// The columns an import file may have: the field name, and the headers accepted for it
/// (Chinese first, the way the template shows it).
pub const IMPORT_COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["编码", "商品编码", "货号", "code"]),
    ("barcode", &["条码", "条形码", "barcode"]),
    ("name", &["名称", "商品名称", "品名", "name"]),
    ("category", &["分类", "类别", "category"]),
    ("unit", &["单位", "unit"]),
    ("retail_price", &["零售价", "售价", "retail_price"]),
    ("member_price", &["会员价", "member_price"]),
    ("points_price", &["积分价", "兑换积分", "points_price"]),
    ("earns_points", &["积分商品", "是否积分", "earns_points"]),
];

/// Columns an import file must have.
pub const IMPORT_COLUMNS_REQUIRED: &[&str] = &["code", "name", "retail_price"];

/// The field a header names, ignoring case and surrounding spaces; `None` for a column the
/// import does not read.
pub fn import_column(header: &str) -> Option<&'static str> {
    let header = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    IMPORT_COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|name| *name == header))
        .map(|(field, _)| *field)
}

/// The Chinese header of an import field, for messages.
pub fn import_column_label(field: &str) -> &'static str {
    IMPORT_COLUMNS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, headers)| headers[0])
        .unwrap_or("")
}

/// A client-made id must be a UUIDv7, so ids stay time-ordered.
pub fn check_client_id(field: &str, id: Uuid) -> Result<(), FieldError> {
    if id.get_version_num() == 7 {
        Ok(())
    } else {
        Err(FieldError::new(field, "invalid_id", "编号须为UUIDv7"))
    }
}

/// Text a person typed: trimmed, present, of bounded length and without control characters.
fn normalize_text(field: &str, text: &str, chars_max: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::required(field));
    }
    if text.chars().count() > chars_max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("不能超过{chars_max}个字"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_characters", "含有无效字符"));
    }
    Ok(text.to_owned())
}

/// An item's name: 1–60 characters.
pub fn normalize_item_name(field: &str, text: &str) -> Result<String, FieldError> {
    normalize_text(field, text, ITEM_NAME_CHARS_MAX)
}

/// A category's name: 1–30 characters and no `/`, which separates the levels of a path
/// in an import file.
pub fn normalize_category_name(field: &str, text: &str) -> Result<String, FieldError> {
    let name = normalize_text(field, text, CATEGORY_NAME_CHARS_MAX)?;
    if name.contains(['/', '／']) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "分类名称不能含有“/”",
        ));
    }
    Ok(name)
}

/// An item code: 1–32 of ASCII letters, digits, `-`, `_` and `.`.
pub fn normalize_item_code(field: &str, text: &str) -> Result<String, FieldError> {
    let code = text.trim();
    if code.is_empty() {
        return Err(FieldError::required(field));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if code.len() > ITEM_CODE_CHARS_MAX || !code.chars().all(allowed) {
        return Err(FieldError::new(
            field,
            "invalid_code",
            format!("编码为1–{ITEM_CODE_CHARS_MAX}位字母、数字或 - _ ."),
        ));
    }
    Ok(code.to_owned())
}

/// A unit of sale: `件` when blank, else up to 8 characters.
pub fn normalize_unit(field: &str, text: &str) -> Result<String, FieldError> {
    if text.trim().is_empty() {
        return Ok(UNIT_DEFAULT.to_owned());
    }
    normalize_text(field, text, UNIT_CHARS_MAX)
}

/// An image address: blank for none, else an http(s) URL or a path on this server.
pub fn normalize_image_url(field: &str, text: &str) -> Result<Option<String>, FieldError> {
    let url = text.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let shaped =
        (url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if url.len() > IMAGE_URL_BYTES_MAX || !shaped {
        return Err(FieldError::new(
            field,
            "invalid_url",
            "图片地址应以 https:// 或 / 开头",
        ));
    }
    Ok(Some(url.to_owned()))
}

/// The GS1 check digit of a barcode's digits without its last: weights 3 and 1
/// alternate from the rightmost digit leftwards.
pub fn gs1_check_digit(body: &str) -> Option<u32> {
    let mut sum = 0;
    for (index, c) in body.chars().rev().enumerate() {
        let digit = c.to_digit(10)?;
        sum += if index % 2 == 0 { digit * 3 } else { digit };
    }
    Some((10 - sum % 10) % 10)
}

/// A barcode: blank for none, else a GS1 number of 8 (EAN-8), 12 (UPC-A), 13 (EAN-13) or
/// 14 (ITF-14) digits whose last digit is its check digit. Spaces are removed.
pub fn normalize_barcode(field: &str, text: &str) -> Result<Option<String>, FieldError> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return Ok(None);
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) || ![8, 12, 13, 14].contains(&digits.len()) {
        return Err(FieldError::new(
            field,
            "invalid_barcode",
            "条码应为8、12、13或14位数字（EAN-8、UPC、EAN-13、ITF-14）",
        ));
    }
    let (body, last) = digits.split_at(digits.len() - 1);
    let expected = gs1_check_digit(body);
    if expected.is_none() || last.parse::<u32>().ok() != expected {
        let expected = expected.unwrap_or_default();
        return Err(FieldError::new(
            field,
            "barcode_check_digit",
            format!("条码校验位错误：最后一位应为{expected}，请核对条码"),
        ));
    }
    Ok(Some(digits))
}

/// A price in whole 分 from JSON: an integer from 0 to ¥9,999,999.99.
pub fn check_price_fen(field: &str, fen: &serde_json::Number) -> Result<Money, FieldError> {
    let Some(fen) = fen.as_i64() else {
        return Err(if fen.as_f64().is_some_and(|value| value < 0.0) {
            negative(field)
        } else {
            FieldError::new(field, "not_integer", "金额须为以分为单位的整数")
        });
    };
    check_price(field, Money::from_fen(fen))
}

fn negative(field: &str) -> FieldError {
    FieldError::new(field, "negative", "金额不能为负数")
}

fn check_price(field: &str, price: Money) -> Result<Money, FieldError> {
    if price.fen() < 0 {
        return Err(negative(field));
    }
    if price.fen() > ITEM_PRICE_FEN_MAX {
        return Err(FieldError::new(
            field,
            "out_of_range",
            format!("金额过大：不能超过{}", Money::from_fen(ITEM_PRICE_FEN_MAX)),
        ));
    }
    Ok(price)
}

/// A price in 元 as a person types it: blank for none, else at most two decimals, not
/// negative and not absurdly large.
pub fn parse_price_yuan(field: &str, text: &str) -> Result<Option<Money>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let price = Money::from_str(text).map_err(|error| match error {
        MoneyError::NotANumber => FieldError::new(field, "not_a_number", "金额应为数字，如 12.50"),
        MoneyError::TooPrecise => FieldError::new(field, "too_precise", "金额最多两位小数"),
        MoneyError::OutOfRange => FieldError::new(
            field,
            "out_of_range",
            format!("金额过大：不能超过{}", Money::from_fen(ITEM_PRICE_FEN_MAX)),
        ),
    })?;
    check_price(field, price).map(Some)
}

/// The member price may not exceed the shelf price.
pub fn check_member_price(field: &str, retail: Money, member: Money) -> Result<(), FieldError> {
    if member > retail {
        return Err(FieldError::new(
            field,
            "above_retail_price",
            "会员价不能高于零售价",
        ));
    }
    Ok(())
}

fn check_points(field: &str, points: i64) -> Result<i64, FieldError> {
    if !(1..=POINTS_PRICE_MAX).contains(&points) {
        return Err(FieldError::new(
            field,
            "out_of_range",
            format!("积分价应为1–{POINTS_PRICE_MAX}的整数"),
        ));
    }
    Ok(points)
}

/// A points price from JSON: a whole number of points, at least 1.
pub fn check_points_number(field: &str, points: &serde_json::Number) -> Result<i64, FieldError> {
    match points.as_i64() {
        Some(points) => check_points(field, points),
        None => Err(FieldError::new(field, "not_integer", "积分价须为整数")),
    }
}

/// A points price as typed: blank for none, else a whole number of points.
pub fn parse_points(field: &str, text: &str) -> Result<Option<i64>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let points = text
        .parse::<i64>()
        .map_err(|_| FieldError::new(field, "not_integer", "积分价须为整数"))?;
    check_points(field, points).map(Some)
}

/// A yes/no cell: 是/否, yes/no, y/n, true/false, 1/0; blank for "not said".
pub fn parse_yes_no(field: &str, text: &str) -> Result<Option<bool>, FieldError> {
    match text.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "是" | "yes" | "y" | "true" | "1" | "√" => Ok(Some(true)),
        "否" | "no" | "n" | "false" | "0" | "×" => Ok(Some(false)),
        _ => Err(FieldError::new(field, "invalid_yes_no", "应填“是”或“否”")),
    }
}

/// Splits an import's category path (食品/饮料/茶饮) into checked names.
pub fn parse_category_path(field: &str, text: &str) -> Result<Vec<String>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let names = text
        .split(['/', '／'])
        .map(|name| normalize_category_name(field, name))
        .collect::<Result<Vec<_>, _>>()?;
    if names.len() > CATEGORY_DEPTH_MAX {
        return Err(FieldError::new(
            field,
            "too_deep",
            format!("分类最多{CATEGORY_DEPTH_MAX}级"),
        ));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barcodes_need_a_gs1_length_and_check_digit() {
        // EAN-13, EAN-8, UPC-A and ITF-14 with correct check digits.
        for good in [
            "6901234567892",
            "96385074",
            "036000291452",
            "10012345678902",
        ] {
            assert_eq!(
                normalize_barcode("barcode", good).ok().flatten().as_deref(),
                Some(good),
                "{good}"
            );
        }
        assert_eq!(normalize_barcode("barcode", " "), Ok(None));
        let wrong = normalize_barcode("barcode", "6901234567891").expect_err("check digit");
        assert_eq!(wrong.code, "barcode_check_digit");
        assert!(wrong.message.contains('2'), "{}", wrong.message);
        for bad in ["123", "69012345678a2", "1234567890"] {
            assert_eq!(
                normalize_barcode("barcode", bad).expect_err(bad).code,
                "invalid_barcode"
            );
        }
    }

    #[test]
    fn typed_prices_refuse_negatives_fractions_of_a_fen_and_absurd_sizes() {
        assert_eq!(parse_price_yuan("p", "12.5"), Ok(Some(Money(1250))));
        assert_eq!(parse_price_yuan("p", ""), Ok(None));
        for (text, code) in [
            ("-1", "negative"),
            ("1.234", "too_precise"),
            ("abc", "not_a_number"),
            ("10000000", "out_of_range"),
            ("1e9", "not_a_number"),
        ] {
            assert_eq!(parse_price_yuan("p", text).expect_err(text).code, code);
        }
        assert_eq!(
            check_price_fen("p", &serde_json::Number::from(-5))
                .expect_err("negative")
                .code,
            "negative"
        );
        let fraction = serde_json::Number::from_f64(12.5).expect("finite");
        assert_eq!(
            check_price_fen("p", &fraction).expect_err("fraction").code,
            "not_integer"
        );
    }

    #[test]
    fn yes_no_cells_and_category_paths() {
        assert_eq!(parse_yes_no("f", "是"), Ok(Some(true)));
        assert_eq!(parse_yes_no("f", "No"), Ok(Some(false)));
        assert_eq!(parse_yes_no("f", ""), Ok(None));
        assert!(parse_yes_no("f", "maybe").is_err());
        assert_eq!(
            parse_category_path("c", "食品 / 饮料／茶饮"),
            Ok(vec![
                "食品".to_owned(),
                "饮料".to_owned(),
                "茶饮".to_owned()
            ])
        );
        assert_eq!(
            parse_category_path("c", "食品//茶饮")
                .expect_err("empty level")
                .code,
            "required"
        );
    }

    #[test]
    fn headers_in_chinese_or_english_name_the_same_column() {
        assert_eq!(import_column("零售价"), Some("retail_price"));
        assert_eq!(import_column(" Retail_Price "), Some("retail_price"));
        assert_eq!(import_column("\u{feff}编码"), Some("code"));
        assert_eq!(import_column("备注"), None);
        assert_eq!(import_column_label("barcode"), "条码");
    }

    #[test]
    fn an_item_input_names_every_wrong_field() {
        let input = ItemInput {
            id: None,
            code: "A 1".to_owned(),
            barcode: Some("6901234567891".to_owned()),
            name: String::new(),
            category_id: None,
            unit: None,
            retail_price_fen: serde_json::Number::from(-1),
            member_price_fen: None,
            points_price: Some(serde_json::Number::from(0)),
            earns_points: true,
            image_url: Some("ftp://x".to_owned()),
            active: true,
        };
        let errors = input.validate().expect_err("all wrong");
        let fields: Vec<&str> = errors.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "code",
                "barcode",
                "name",
                "retail_price_fen",
                "points_price",
                "image_url"
            ]
        );
    }
}
