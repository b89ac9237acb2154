//! Bulk import of items from a CSV or XLSX file (GDS-1).
//!
//! The file is read into rows, each row checked on its own, then against the other rows
//! (a code or barcode twice in the file) and against the catalogue (a barcode another
//! item has). Rows are matched to items by code: a new code creates an item, a known one
//! updates it when its content differs, so importing the same file twice creates nothing
//! the second time. Categories are given as paths (食品/饮料/茶饮) and created as needed.
//!
//! A column that is missing from the file leaves that field of existing items as it is;
//! a blank cell in a present column clears it, except 单位 and 积分商品, which keep the
//! item's value (件 and 是 for a new item).

use super::categories::{self, CategoryRow};
use super::items::{self, ItemRow};
use super::{CatalogueError, CatalogueResult};
use crate::audit::{self, Actor, AuditEvent};
use crate::spreadsheet::{self, Table};
use huiyuan_shared::catalogue::{
    check_member_price, import_column, import_column_label, normalize_barcode, normalize_item_code,
    normalize_item_name, normalize_unit, parse_category_path, parse_points, parse_price_yuan,
    parse_yes_no, CategoryId, ImportFormat, ImportReport, ImportRowError, ItemFields, ItemId,
    IMPORT_COLUMNS_REQUIRED,
};
use huiyuan_shared::{FieldError, Money, ValidationErrors};
use serde_json::json;
use sqlx::{Any, AnyConnection, Transaction};
use std::collections::HashMap;

/// The largest import file accepted.
pub const IMPORT_BODY_BYTES_MAX: usize = 20 * 1024 * 1024;
/// The most data rows one import reads.
pub const IMPORT_ROWS_MAX: usize = 20_000;

/// Reads the first sheet of an XLSX file, or a CSV file, into rows of text, at most
/// [`IMPORT_ROWS_MAX`] data rows.
pub fn read_table(bytes: &[u8], format: Option<ImportFormat>) -> Result<Table, ValidationErrors> {
    spreadsheet::read_table(bytes, format, IMPORT_ROWS_MAX)
}

/// One data row: its number and its cells by field; fields whose column is missing are
/// absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    pub row: u32,
    pub cells: HashMap<&'static str, String>,
}

/// Splits a table into its header and data rows, skipping blank rows. A file without the
/// required columns is refused as a whole.
pub fn file_rows(table: Table) -> Result<Vec<FileRow>, ValidationErrors> {
    let (header, rows) = spreadsheet::header_and_rows(table)?;
    let mut columns: Vec<(usize, &'static str)> = Vec::new();
    for (index, name) in header.iter().enumerate() {
        if let Some(field) = import_column(name) {
            if !columns.iter().any(|(_, known)| *known == field) {
                columns.push((index, field));
            }
        }
    }
    let missing: Vec<FieldError> = IMPORT_COLUMNS_REQUIRED
        .iter()
        .filter(|field| !columns.iter().any(|(_, known)| known == *field))
        .map(|field| {
            FieldError::new(
                field,
                "missing_column",
                format!("缺少“{}”列", import_column_label(field)),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(ValidationErrors { fields: missing });
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| FileRow {
            row,
            cells: columns
                .iter()
                .map(|(index, field)| (*field, cells.get(*index).cloned().unwrap_or_default()))
                .collect(),
        })
        .collect())
}

/// A row's checked values. `None` in an outer `Option` means the column is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Draft {
    row: u32,
    code: String,
    name: String,
    barcode: Option<Option<String>>,
    category: Option<Vec<String>>,
    /// `None` keeps the item's unit.
    unit: Option<String>,
    retail_price: Money,
    member_price: Option<Option<Money>>,
    points_price: Option<Option<i64>>,
    /// `None` keeps the item's flag.
    earns_points: Option<bool>,
}

fn row_error(row: u32, error: FieldError) -> ImportRowError {
    let label = import_column_label(&error.field);
    ImportRowError {
        row,
        message: format!("{label}：{}", error.message),
        field: error.field,
        code: error.code,
    }
}

/// The value of a check that passed; a failed check's error joins the row's others.
fn keep<T>(errors: &mut Vec<ImportRowError>, row: u32, result: Result<T, FieldError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(row_error(row, error));
            None
        }
    }
}

/// Checks each cell of a row on its own.
fn check_row(file_row: &FileRow) -> Result<Draft, Vec<ImportRowError>> {
    let mut errors = Vec::new();
    let row = file_row.row;
    let cell = |field: &str| file_row.cells.get(field).map(String::as_str);
    let code = keep(
        &mut errors,
        row,
        normalize_item_code("code", cell("code").unwrap_or_default()),
    );
    let name = keep(
        &mut errors,
        row,
        normalize_item_name("name", cell("name").unwrap_or_default()),
    );
    let retail = keep(
        &mut errors,
        row,
        parse_price_yuan("retail_price", cell("retail_price").unwrap_or_default())
            .and_then(|price| price.ok_or_else(|| FieldError::required("retail_price"))),
    );
    let barcode = keep(
        &mut errors,
        row,
        cell("barcode")
            .map(|text| normalize_barcode("barcode", text))
            .transpose(),
    );
    let category = keep(
        &mut errors,
        row,
        cell("category")
            .map(|text| parse_category_path("category", text))
            .transpose(),
    );
    let unit = keep(
        &mut errors,
        row,
        cell("unit")
            .filter(|text| !text.trim().is_empty())
            .map(|text| normalize_unit("unit", text))
            .transpose(),
    );
    let member = keep(
        &mut errors,
        row,
        cell("member_price")
            .map(|text| parse_price_yuan("member_price", text))
            .transpose(),
    );
    let points = keep(
        &mut errors,
        row,
        cell("points_price")
            .map(|text| parse_points("points_price", text))
            .transpose(),
    );
    let earns = keep(
        &mut errors,
        row,
        cell("earns_points")
            .map(|text| parse_yes_no("earns_points", text))
            .transpose(),
    );
    match (
        code, name, retail, barcode, category, unit, member, points, earns,
    ) {
        (
            Some(code),
            Some(name),
            Some(retail_price),
            Some(barcode),
            Some(category),
            Some(unit),
            Some(member_price),
            Some(points_price),
            Some(earns_points),
        ) if errors.is_empty() => Ok(Draft {
            row,
            code,
            name,
            barcode,
            category,
            unit,
            retail_price,
            member_price,
            points_price,
            earns_points: earns_points.flatten(),
        }),
        _ => Err(errors),
    }
}

/// What the catalogue holds that an import is matched against.
#[derive(Clone, Debug, Default)]
pub struct Existing {
    pub categories: Vec<CategoryRow>,
    pub items: Vec<ItemRow>,
}

/// Reads the live catalogue; inside the import's transaction for a real import.
pub async fn load_existing(conn: &mut AnyConnection) -> Result<Existing, sqlx::Error> {
    Ok(Existing {
        categories: categories::live(conn).await?,
        items: items::live(conn).await?,
    })
}

/// A category the import creates, parents before children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCategory {
    pub id: CategoryId,
    pub parent_id: Option<CategoryId>,
    pub name: String,
}

/// What an import would write, and its report.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub report: ImportReport,
    pub new_categories: Vec<NewCategory>,
    pub creates: Vec<(ItemId, ItemFields)>,
    pub updates: Vec<(ItemRow, ItemFields)>,
}

/// Works out what importing these rows would do. Pure: nothing is read or written.
pub fn plan(rows: &[FileRow], existing: &Existing) -> Plan {
    let mut plan = Plan::default();
    plan.report.rows_read = rows.len() as u32;
    let by_code: HashMap<&str, &ItemRow> = existing
        .items
        .iter()
        .map(|item| (item.fields.code.as_str(), item))
        .collect();
    let barcode_owner: HashMap<&str, &ItemRow> = existing
        .items
        .iter()
        .filter_map(|item| item.fields.barcode.as_deref().map(|code| (code, item)))
        .collect();
    let mut category_ids: HashMap<(Option<CategoryId>, String), CategoryId> = existing
        .categories
        .iter()
        .map(|row| ((row.parent_id, row.name.clone()), row.id))
        .collect();
    let mut code_rows: HashMap<String, u32> = HashMap::new();
    let mut barcode_rows: HashMap<String, u32> = HashMap::new();

    for file_row in rows {
        let draft = match check_row(file_row) {
            Ok(draft) => draft,
            Err(errors) => {
                plan.report.errors.extend(errors);
                continue;
            }
        };
        let current = by_code.get(draft.code.as_str()).copied();
        let mut fields = merge(&draft, current);
        let mut errors = Vec::new();
        if let Some(member) = fields.member_price {
            if let Err(error) = check_member_price("member_price", fields.retail_price, member) {
                errors.push(row_error(draft.row, error));
            }
        }
        if let Some(first) = code_rows.get(&draft.code) {
            errors.push(row_error(
                draft.row,
                FieldError::new(
                    "code",
                    "duplicate_in_file",
                    format!("编码与第{first}行重复"),
                ),
            ));
        } else {
            code_rows.insert(draft.code.clone(), draft.row);
        }
        if let Some(barcode) = &fields.barcode {
            if let Some(first) = barcode_rows.get(barcode) {
                errors.push(row_error(
                    draft.row,
                    FieldError::new(
                        "barcode",
                        "duplicate_in_file",
                        format!("条码与第{first}行重复"),
                    ),
                ));
            } else {
                barcode_rows.insert(barcode.clone(), draft.row);
            }
            if let Some(owner) = barcode_owner.get(barcode.as_str()) {
                if owner.fields.code != draft.code {
                    errors.push(row_error(
                        draft.row,
                        FieldError::new(
                            "barcode",
                            "duplicate",
                            format!(
                                "条码已被商品“{}”（{}）使用",
                                owner.fields.name, owner.fields.code
                            ),
                        ),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            plan.report.errors.extend(errors);
            continue;
        }
        plan.report.rows_valid += 1;
        if let Some(path) = &draft.category {
            fields.category_id =
                resolve_category(path, &mut category_ids, &mut plan.new_categories);
        }
        match current {
            None => {
                plan.report.created += 1;
                plan.creates.push((ItemId::new(), fields));
            }
            Some(current) if current.fields == fields => plan.report.unchanged += 1,
            Some(current) => {
                plan.report.updated += 1;
                plan.updates.push((current.clone(), fields));
            }
        }
    }
    plan.report.categories_created = plan.new_categories.len() as u32;
    plan
}

/// A row's values over the item's current ones (or the defaults of a new item).
fn merge(draft: &Draft, current: Option<&ItemRow>) -> ItemFields {
    let base = current.map(|item| item.fields.clone());
    ItemFields {
        code: draft.code.clone(),
        barcode: draft
            .barcode
            .clone()
            .unwrap_or_else(|| base.as_ref().and_then(|fields| fields.barcode.clone())),
        name: draft.name.clone(),
        category_id: base.as_ref().and_then(|fields| fields.category_id),
        unit: draft
            .unit
            .clone()
            .or_else(|| base.as_ref().map(|fields| fields.unit.clone()))
            .unwrap_or_else(|| huiyuan_shared::catalogue::UNIT_DEFAULT.to_owned()),
        retail_price: draft.retail_price,
        member_price: draft
            .member_price
            .unwrap_or_else(|| base.as_ref().and_then(|fields| fields.member_price)),
        points_price: draft
            .points_price
            .unwrap_or_else(|| base.as_ref().and_then(|fields| fields.points_price)),
        earns_points: draft
            .earns_points
            .or_else(|| base.as_ref().map(|fields| fields.earns_points))
            .unwrap_or(true),
        image_url: base.as_ref().and_then(|fields| fields.image_url.clone()),
        active: base.as_ref().is_none_or(|fields| fields.active),
    }
}

/// The id of the category a path names, planning the levels that do not exist yet. An
/// empty path means no category.
fn resolve_category(
    path: &[String],
    known: &mut HashMap<(Option<CategoryId>, String), CategoryId>,
    created: &mut Vec<NewCategory>,
) -> Option<CategoryId> {
    let mut parent = None;
    for name in path {
        let key = (parent, name.clone());
        let id = match known.get(&key) {
            Some(id) => *id,
            None => {
                let id = CategoryId::new();
                created.push(NewCategory {
                    id,
                    parent_id: parent,
                    name: name.clone(),
                });
                known.insert(key, id);
                id
            }
        };
        parent = Some(id);
    }
    parent
}

/// Writes a plan inside the caller's transaction: new categories, then new items, then
/// changed items, each audited, and one row summing the import up.
pub async fn apply(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    existing: &Existing,
    plan: &Plan,
) -> CatalogueResult<()> {
    let mut known: HashMap<CategoryId, CategoryRow> = existing
        .categories
        .iter()
        .map(|row| (row.id, row.clone()))
        .collect();
    for new in &plan.new_categories {
        let parent = new.parent_id.and_then(|id| known.get(&id)).cloned();
        let row = categories::insert(tx, actor, new.id, parent.as_ref(), &new.name, 0).await?;
        known.insert(row.id, row);
    }
    for (id, fields) in &plan.creates {
        items::insert(tx, actor, *id, fields).await?;
    }
    for (current, fields) in &plan.updates {
        items::rewrite(tx, actor, current, fields).await?;
    }
    let mut event = AuditEvent::new(actor, "catalogue.import", "item");
    event.after = Some(json!({
        "rows_read": plan.report.rows_read,
        "rows_valid": plan.report.rows_valid,
        "created": plan.report.created,
        "updated": plan.report.updated,
        "unchanged": plan.report.unchanged,
        "categories_created": plan.report.categories_created,
        "skipped_rows": plan.report.errors.iter().map(|error| error.row).collect::<std::collections::BTreeSet<_>>(),
    }));
    audit::record(tx, event).await?;
    Ok(())
}

/// How an import is to be run.
#[derive(Clone, Copy, Debug)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub skip_invalid: bool,
}

/// Decides what a plan's report says was done, or refuses the import.
pub fn settle(mut plan: Plan, options: ImportOptions) -> CatalogueResult<Plan> {
    plan.report.dry_run = options.dry_run;
    let bad_rows = plan.report.rows_read - plan.report.rows_valid;
    if !options.dry_run && bad_rows > 0 && !options.skip_invalid {
        return Err(CatalogueError::ImportRefused(Box::new(plan.report)));
    }
    if options.skip_invalid {
        plan.report.skipped = bad_rows;
    }
    plan.report.committed = !options.dry_run;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_plan(text: &str, existing: &Existing) -> Plan {
        let table = read_table(text.as_bytes(), Some(ImportFormat::Csv)).expect("readable");
        plan(&file_rows(table).expect("header"), existing)
    }

    /// Row numbers count the header as row 1, blank rows included, as a spreadsheet does.
    #[test]
    fn bad_cells_are_reported_by_row_and_field() {
        let plan = csv_plan(
            "编码,名称,零售价,条码,分类\n\
             A1,绿茶,3.50,6901234567892,饮料/茶\n\
             \n\
             A2,,abc,6901234567891,\n\
             A1,红茶,-1,,\n",
            &Existing::default(),
        );
        let found: Vec<(u32, &str, &str)> = plan
            .report
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (4, "name", "required"),
                (4, "retail_price", "not_a_number"),
                (4, "barcode", "barcode_check_digit"),
                (5, "retail_price", "negative"),
            ]
        );
        assert_eq!((plan.report.rows_read, plan.report.rows_valid), (3, 1));
        assert_eq!(plan.new_categories.len(), 2);
        assert_eq!(
            plan.report.errors[1].message,
            "零售价：金额应为数字，如 12.50"
        );
    }

    #[test]
    fn codes_and_barcodes_repeated_in_the_file_are_reported_on_the_later_row() {
        let plan = csv_plan(
            "code,name,retail_price,barcode\n\
             A1,绿茶,3.5,6901234567892\n\
             A1,红茶,4,\n\
             A3,乌龙,4,6901234567892\n",
            &Existing::default(),
        );
        let found: Vec<(u32, &str, &str)> = plan
            .report
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (3, "code", "duplicate_in_file"),
                (4, "barcode", "duplicate_in_file")
            ]
        );
        assert_eq!(plan.report.errors[0].message, "编码：编码与第2行重复");
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused_as_a_whole() {
        let table = read_table("名称,单位\n茶,瓶\n".as_bytes(), None).expect("readable");
        let errors = file_rows(table).expect_err("no code or price");
        let fields: Vec<&str> = errors.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["code", "retail_price"]);
        assert_eq!(
            read_table(b"\xff\xfe", Some(ImportFormat::Csv))
                .expect_err("not UTF-8")
                .fields[0]
                .code,
            "not_utf8"
        );
        assert_eq!(
            read_table(b"PK\x03\x04junk", None)
                .expect_err("broken zip")
                .fields[0]
                .code,
            "unreadable"
        );
    }
}
