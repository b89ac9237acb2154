//! Bulk member import from CSV or XLSX.
//!
//! The file is read into rows and each row checked on its own (name, phone, member
//! number, store code, classification, profile fields), then against the other rows (a
//! phone or member number twice) and against the database (a phone already a member's, a
//! member number taken). A dry run reports all of it and writes nothing. A phone that is
//! already a member's is not an error: the row is counted as existing and creates
//! nothing, so importing the same file again creates nothing twice.
//!
//! The import itself runs in the background in chunks of [`CHUNK_ROWS`] members, each
//! chunk its own transaction, so the SQLite writer is never held for seconds and the
//! counter keeps registering members meanwhile. Each chunk checks its phones again
//! inside its transaction. If the server stops mid-import, the chunks committed stay,
//! the job is marked interrupted at the next start, and importing the file again
//! creates only the members still missing.

use super::numbers;
use super::record::phone_tail;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::principal::parse_id;
use crate::db::{ms_to_rfc3339, now_ms, Db};
use crate::error::AppError;
use crate::spreadsheet::{self, Table};
use huiyuan_shared::api::mask_mobile;
use huiyuan_shared::catalogue::ImportRowError;
use huiyuan_shared::member::{
    check_field_value, name_grams, ClassList, Classification, FieldDef, FieldKind, Profile,
};
use huiyuan_shared::member_import::{
    member_import_column, member_import_column_label, profile_column, tidy_date, ExistingMemberRow,
    MemberImportJob, MemberImportReport, MemberImportState, DUPLICATE_IN_FILE,
    MEMBER_IMPORT_REPORT_ROWS_MAX, MEMBER_IMPORT_ROWS_MAX,
};
use huiyuan_shared::validate::{normalize_mobile, normalize_name};
use huiyuan_shared::{FieldError, MemberId, StoreId, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use uuid::Uuid;

/// Members written per transaction.
pub const CHUNK_ROWS: usize = 500;
/// Members per INSERT: eleven parameters each (see `ledger/bulk.rs` on statement size).
const MEMBER_ROWS_PER_STATEMENT: usize = 100;
/// Name fragments per INSERT: two parameters each.
const GRAM_ROWS_PER_STATEMENT: usize = 250;
/// Keys looked up per query: one bound parameter each.
const KEYS_PER_LOOKUP: usize = 500;

/// What a column of the file fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// One of the fixed columns (`name`, `phone`, `member_no`, `store_code`, …).
    Fixed(&'static str),
    /// A profile field, by key.
    Profile(String),
}

/// A file's columns and data rows.
#[derive(Clone, Debug)]
pub struct ImportFile {
    pub columns: Vec<(usize, Column)>,
    pub rows: Vec<(u32, Vec<String>)>,
    /// Headers that fill nothing.
    pub ignored: Vec<String>,
}

impl ImportFile {
    fn cell<'r>(&self, cells: &'r [String], wanted: &Column) -> Option<&'r str> {
        self.columns
            .iter()
            .find(|(_, column)| column == wanted)
            .map(|(index, _)| cells.get(*index).map_or("", String::as_str))
    }

    fn fixed<'r>(&self, cells: &'r [String], field: &'static str) -> Option<&'r str> {
        self.cell(cells, &Column::Fixed(field))
            .map(str::trim)
            .filter(|text| !text.is_empty())
    }
}

/// Reads a member file: at most [`MEMBER_IMPORT_ROWS_MAX`] rows.
pub fn read_table(
    bytes: &[u8],
    format: Option<huiyuan_shared::catalogue::ImportFormat>,
) -> Result<Table, ValidationErrors> {
    spreadsheet::read_table(bytes, format, MEMBER_IMPORT_ROWS_MAX)
}

/// Splits a table into its columns and data rows. A file without 姓名 and 手机 columns,
/// or without any data row, is refused as a whole.
pub fn import_file(table: Table, defs: &[FieldDef]) -> Result<ImportFile, ValidationErrors> {
    let (header, rows) = spreadsheet::header_and_rows(table)?;
    let active = || {
        defs.iter()
            .filter(|def| def.active)
            .map(|def| (def.key.as_str(), def.label.as_str()))
    };
    let mut columns: Vec<(usize, Column)> = Vec::new();
    let mut ignored = Vec::new();
    for (index, name) in header.iter().enumerate() {
        let column = member_import_column(name)
            .map(Column::Fixed)
            .or_else(|| profile_column(name, active()).map(|key| Column::Profile(key.to_owned())));
        match column {
            Some(column) if !columns.iter().any(|(_, known)| *known == column) => {
                columns.push((index, column));
            }
            Some(_) => ignored.push(name.trim().to_owned()),
            None if !name.trim().is_empty() => ignored.push(name.trim().to_owned()),
            None => {}
        }
    }
    let missing: Vec<FieldError> = ["name", "phone"]
        .into_iter()
        .filter(|field| !columns.iter().any(|(_, c)| *c == Column::Fixed(field)))
        .map(|field| {
            FieldError::new(
                field,
                "missing_column",
                format!("缺少“{}”列", member_import_column_label(field)),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(ValidationErrors { fields: missing });
    }
    if rows.is_empty() {
        return Err(spreadsheet::file_error("empty", "文件中没有会员数据"));
    }
    Ok(ImportFile {
        columns,
        rows,
        ignored,
    })
}

/// A store as an import names it, by code.
#[derive(Clone, Debug)]
pub struct KnownStore {
    pub id: StoreId,
    pub kind: String,
    pub path: String,
}

/// What the database holds that a file is checked against.
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub defs: Vec<FieldDef>,
    pub stores: HashMap<String, KnownStore>,
    /// Active classification entries by list and name.
    pub classes: HashMap<(&'static str, String), String>,
    /// The file's phones that are members' already, with the member's number.
    pub phones: HashMap<String, String>,
    /// The file's member numbers that a member or a card has.
    pub numbers_taken: HashSet<String>,
}

/// Values of `column` in `keys` that exist, a few hundred per query.
async fn existing_keys(
    connection: &mut AnyConnection,
    table: &str,
    column: &str,
    also: &str,
    keys: &[String],
) -> Result<Vec<(String, String)>, AppError> {
    let mut found = Vec::new();
    for chunk in keys.chunks(KEYS_PER_LOOKUP) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {column} AS k, {also} AS v FROM {table} WHERE {column} IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = query.bind(key.as_str());
        }
        for row in query.fetch_all(&mut *connection).await? {
            found.push((row.try_get("k")?, row.try_get("v")?));
        }
    }
    Ok(found)
}

/// Reads the field definitions, stores, classification lists, and which of the file's
/// phones and member numbers are taken.
pub async fn load_known(
    connection: &mut AnyConnection,
    defs: Vec<FieldDef>,
    file: &ImportFile,
) -> Result<Known, AppError> {
    let mut known = Known {
        defs,
        ..Known::default()
    };
    for row in sqlx::query("SELECT id, code, kind, path FROM stores")
        .fetch_all(&mut *connection)
        .await?
    {
        known.stores.insert(
            row.try_get("code")?,
            KnownStore {
                id: parse_id(row.try_get("id")?)?,
                kind: row.try_get("kind")?,
                path: row.try_get("path")?,
            },
        );
    }
    for class in super::classes::list(connection).await? {
        if class.active {
            known
                .classes
                .insert((class.list.code(), class.name), class.id);
        }
    }
    let phones: Vec<String> = file
        .rows
        .iter()
        .filter_map(|(_, cells)| file.fixed(cells, "phone"))
        .filter_map(|text| normalize_mobile("phone", text).ok())
        .collect();
    known.phones = existing_keys(connection, "members", "phone", "member_no", &phones)
        .await?
        .into_iter()
        .collect();
    let numbers: Vec<String> = file
        .rows
        .iter()
        .filter_map(|(_, cells)| file.fixed(cells, "member_no"))
        .map(str::to_owned)
        .collect();
    for (table, column) in [("members", "member_no"), ("member_cards", "card_no")] {
        for (number, _) in existing_keys(connection, table, column, column, &numbers).await? {
            known.numbers_taken.insert(number);
        }
    }
    Ok(known)
}

/// Who is importing: members without a store code join `home_store`; a store code must
/// lie within `scope_path`.
#[derive(Clone, Debug)]
pub struct Importer {
    pub home_store: Option<StoreId>,
    pub scope_path: String,
}

/// A checked member ready to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportMember {
    pub row: u32,
    pub name: String,
    pub phone: String,
    /// The number the file gives; the next from the counter when `None`.
    pub member_no: Option<String>,
    pub store_id: Option<StoreId>,
    pub profile: Profile,
    pub classification: Classification,
}

/// A file's report and the members it would create.
#[derive(Clone, Debug, Default)]
pub struct ImportPlan {
    pub report: MemberImportReport,
    pub members: Vec<ImportMember>,
}

fn row_error(defs: &[FieldDef], row: u32, error: FieldError) -> ImportRowError {
    let label = match error.field.strip_prefix("profile.") {
        Some(key) => defs
            .iter()
            .find(|def| def.key == key)
            .map_or(key, |def| def.label.as_str()),
        None => member_import_column_label(&error.field),
    };
    ImportRowError {
        row,
        message: format!("{label}：{}", error.message),
        field: error.field,
        code: error.code,
    }
}

/// Checks every row and works out what importing them would do. Pure: what the database
/// holds is given.
pub fn plan(file: &ImportFile, known: &Known, importer: &Importer, dry_run: bool) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let report = &mut plan.report;
    report.dry_run = dry_run;
    report.rows_read = file.rows.len() as u32;
    report.ignored_columns = file.ignored.clone();
    let mut phone_rows: HashMap<String, u32> = HashMap::new();
    let mut number_rows: HashMap<String, u32> = HashMap::new();
    for (row, cells) in &file.rows {
        let row = *row;
        let mut errors: Vec<FieldError> = Vec::new();
        let name = normalize_name("name", file.fixed(cells, "name").unwrap_or_default())
            .map_err(|e| errors.push(e))
            .ok();
        let phone = normalize_mobile("phone", file.fixed(cells, "phone").unwrap_or_default())
            .map_err(|e| errors.push(e))
            .ok();
        if let Some(phone) = &phone {
            match phone_rows.get(phone) {
                Some(first) => errors.push(FieldError::new(
                    "phone",
                    DUPLICATE_IN_FILE,
                    format!("与第{first}行手机号重复"),
                )),
                None => {
                    phone_rows.insert(phone.clone(), row);
                }
            }
        }
        let member_no = match file.fixed(cells, "member_no") {
            None => None,
            Some(text) => match numbers::check_member_no("member_no", text) {
                Ok(number) => {
                    if let Some(first) = number_rows.get(&number) {
                        errors.push(FieldError::new(
                            "member_no",
                            DUPLICATE_IN_FILE,
                            format!("与第{first}行会员编号重复"),
                        ));
                    } else {
                        number_rows.insert(number.clone(), row);
                    }
                    Some(number)
                }
                Err(error) => {
                    errors.push(error);
                    None
                }
            },
        };
        let store_id = match file.fixed(cells, "store_code") {
            None => importer.home_store,
            Some(code) => match known.stores.get(code) {
                None => {
                    errors.push(FieldError::new(
                        "store_code",
                        "unknown_store",
                        format!("没有编码为{code}的门店"),
                    ));
                    None
                }
                Some(store) if store.kind != huiyuan_shared::api::StoreKind::Store.code() => {
                    errors.push(FieldError::new(
                        "store_code",
                        "not_a_store",
                        "请填写具体门店的编码",
                    ));
                    None
                }
                Some(store) if !store.path.starts_with(&importer.scope_path) => {
                    errors.push(FieldError::new(
                        "store_code",
                        "out_of_scope",
                        "该门店不在您的管辖范围内",
                    ));
                    None
                }
                Some(store) => Some(store.id),
            },
        };
        let mut classification = Classification::default();
        for list in ClassList::ALL {
            let Some(name) = file.fixed(cells, list.code()) else {
                continue;
            };
            match known.classes.get(&(list.code(), name.to_owned())) {
                Some(id) => {
                    let slot = match list {
                        ClassList::Frequency => &mut classification.frequency,
                        ClassList::Type => &mut classification.r#type,
                        ClassList::Region => &mut classification.region,
                    };
                    *slot = Some(id.clone());
                }
                None => errors.push(FieldError::new(
                    list.code(),
                    "unknown_class",
                    format!("没有“{name}”这个分类"),
                )),
            }
        }
        let mut profile = Profile::new();
        // In the file's column order, then the required fields it has no column for.
        let in_file = file.columns.iter().filter_map(|(_, column)| match column {
            Column::Profile(key) => known.defs.iter().find(|def| &def.key == key),
            Column::Fixed(_) => None,
        });
        let not_in_file = known.defs.iter().filter(|def| {
            def.active
                && def.required
                && !file
                    .columns
                    .iter()
                    .any(|(_, column)| *column == Column::Profile(def.key.clone()))
        });
        for def in in_file.chain(not_in_file) {
            let value = file
                .cell(cells, &Column::Profile(def.key.clone()))
                .unwrap_or_default();
            let value = match def.kind {
                FieldKind::Date => tidy_date(value),
                _ => value.to_owned(),
            };
            match check_field_value(def, &value) {
                Ok(value) if value.is_empty() => {}
                Ok(value) => {
                    profile.insert(def.key.clone(), value);
                }
                Err(error) => errors.push(error),
            }
        }
        let existing = phone.as_ref().and_then(|phone| known.phones.get(phone));
        if existing.is_none() {
            if let Some(number) = member_no
                .as_ref()
                .filter(|n| known.numbers_taken.contains(*n))
            {
                errors.push(FieldError::new(
                    "member_no",
                    "member_no_taken",
                    format!("会员编号{number}已被使用"),
                ));
            }
        }
        if !errors.is_empty() {
            report.errors_total += errors.len() as u32;
            for error in errors {
                if report.errors.len() < MEMBER_IMPORT_REPORT_ROWS_MAX {
                    report.errors.push(row_error(&known.defs, row, error));
                }
            }
            continue;
        }
        let (Some(name), Some(phone)) = (name, phone) else {
            continue;
        };
        report.rows_valid += 1;
        if let Some(member_no) = existing {
            report.existing += 1;
            if report.existing_rows.len() < MEMBER_IMPORT_REPORT_ROWS_MAX {
                report.existing_rows.push(ExistingMemberRow {
                    row,
                    name,
                    phone_masked: mask_mobile(&phone),
                    member_no: member_no.clone(),
                });
            }
            continue;
        }
        report.to_create += 1;
        plan.members.push(ImportMember {
            row,
            name,
            phone,
            member_no,
            store_id,
            profile,
            classification,
        });
    }
    plan
}

/// A real import of a file with bad rows, not asked to skip them: nothing is written,
/// and the report says why.
pub fn refused(report: MemberImportReport) -> AppError {
    let bad_rows = report.rows_read - report.rows_valid;
    crate::spreadsheet::rows_refused(
        &report.errors,
        format!("有{bad_rows}行有误，未导入任何会员"),
        &report,
    )
}

/// What writing one chunk did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkOutcome {
    /// The member numbers created, in the chunk's order.
    pub created: Vec<String>,
    /// Rows whose phone had become a member's since the file was checked.
    pub existing: u32,
    /// Rows whose given member number had been taken since.
    pub skipped: u32,
}

/// Writes members as [`super::record::insert`] would (the same columns, the next member
/// numbers, the same name fragments), many rows per statement, inside the caller's
/// transaction. Phones already members' are left out; no audit event is written (the
/// caller writes one for the chunk).
pub async fn insert_members(
    connection: &mut AnyConnection,
    members: &[ImportMember],
) -> Result<ChunkOutcome, AppError> {
    // A prepared statement's generic plan may have been fixed while `members` was nearly
    // empty (a sequential scan) and outlive the first chunks of a big import; planning
    // this chunk's statements with their values keeps the phone check on its index
    // (without it, 200,000 members in, a PostgreSQL import fell to 900 rows a second).
    if connection.backend_name() == "PostgreSQL" {
        sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
            .execute(&mut *connection)
            .await?;
    }
    let mut outcome = ChunkOutcome::default();
    let phones: Vec<String> = members.iter().map(|m| m.phone.clone()).collect();
    let phones_taken: HashSet<String> =
        existing_keys(connection, "members", "phone", "phone", &phones)
            .await?
            .into_iter()
            .map(|(phone, _)| phone)
            .collect();
    let given: Vec<String> = members.iter().filter_map(|m| m.member_no.clone()).collect();
    let mut numbers_taken = HashSet::new();
    if !given.is_empty() {
        for (table, column) in [("members", "member_no"), ("member_cards", "card_no")] {
            for (number, _) in existing_keys(connection, table, column, column, &given).await? {
                numbers_taken.insert(number);
            }
        }
    }
    let mut writing: Vec<&ImportMember> = Vec::with_capacity(members.len());
    for member in members {
        if phones_taken.contains(&member.phone) {
            outcome.existing += 1;
        } else if member
            .member_no
            .as_ref()
            .is_some_and(|n| numbers_taken.contains(n))
        {
            outcome.skipped += 1;
        } else {
            writing.push(member);
        }
    }
    if writing.is_empty() {
        return Ok(outcome);
    }
    // Given numbers of the counter's own shape move the counter past them, so it never
    // hands one out again.
    let highest_given = writing
        .iter()
        .filter_map(|m| m.member_no.as_deref())
        .filter(|n| n.len() == 9)
        .filter_map(|n| n[..8].parse::<i64>().ok())
        .max();
    if let Some(highest) = highest_given {
        sqlx::query(
            "UPDATE number_counters SET value = $1 WHERE name = 'member_no' AND value < $1",
        )
        .bind(highest)
        .execute(&mut *connection)
        .await?;
    }
    let wanted = writing.iter().filter(|m| m.member_no.is_none()).count() as i64;
    let mut next_sequence = 0;
    if wanted > 0 {
        let row = sqlx::query(
            "UPDATE number_counters SET value = value + $1 WHERE name = 'member_no' RETURNING value",
        )
        .bind(wanted)
        .fetch_one(&mut *connection)
        .await?;
        next_sequence = row.try_get::<i64, _>("value")? - wanted + 1;
    }
    let level_name: String =
        sqlx::query_scalar("SELECT name FROM member_levels WHERE id = 'standard'")
            .fetch_one(&mut *connection)
            .await?;
    let now = now_ms();
    let mut rows: Vec<(String, String, &ImportMember, String)> = Vec::with_capacity(writing.len());
    for member in writing {
        let member_no = match &member.member_no {
            Some(number) => number.clone(),
            None => {
                next_sequence += 1;
                numbers::member_number((next_sequence - 1) as u64)
            }
        };
        let profile = serde_json::to_string(&member.profile).map_err(anyhow::Error::from)?;
        rows.push((MemberId::new().to_string(), member_no, member, profile));
    }
    let mut inserted: HashSet<String> = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(MEMBER_ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO members (id, member_no, name, phone, level_name, store_id, created_at, \
             updated_at, status, level_id, level_since, profile, frequency_class, type_class, \
             region_class, phone_tail, registered_via, referral_code, approved_at) VALUES ",
        );
        for index in 0..chunk.len() {
            let p = 3 + index * 10;
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(
                sql,
                "{separator}(${p}, ${}, ${}, ${}, $2, ${}, $1, $1, 'active', 'standard', $1, ${}, \
                 ${}, ${}, ${}, ${}, 'import', ${}, $1)",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 9,
                p + 1,
            );
        }
        // A phone registered at a counter between the check above and this statement
        // (PostgreSQL) is skipped rather than failing the chunk.
        sql.push_str(" ON CONFLICT DO NOTHING RETURNING id");
        let mut query = sqlx::query(&sql).bind(now).bind(&level_name);
        for (id, member_no, member, profile) in chunk {
            query = query
                .bind(id.as_str())
                .bind(member_no.as_str())
                .bind(member.name.as_str())
                .bind(member.phone.as_str())
                .bind(member.store_id.map(|id| id.to_string()))
                .bind(profile.as_str())
                .bind(member.classification.frequency.as_deref())
                .bind(member.classification.r#type.as_deref())
                .bind(member.classification.region.as_deref())
                .bind(phone_tail(&member.phone));
        }
        for row in query.fetch_all(&mut *connection).await? {
            inserted.insert(row.try_get("id")?);
        }
    }
    let mut grams: Vec<(String, &str)> = Vec::new();
    for (id, member_no, member, _) in &rows {
        if inserted.contains(id) {
            outcome.created.push(member_no.clone());
            grams.extend(
                name_grams(&member.name)
                    .into_iter()
                    .map(|g| (g, id.as_str())),
            );
        } else {
            outcome.existing += 1;
        }
    }
    for chunk in grams.chunks(GRAM_ROWS_PER_STATEMENT) {
        let mut sql = String::from("INSERT INTO member_name_grams (gram, member_id) VALUES ");
        for index in 0..chunk.len() {
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(sql, "{separator}(${}, ${})", index * 2 + 1, index * 2 + 2);
        }
        let mut query = sqlx::query(&sql);
        for (gram, id) in chunk {
            query = query.bind(gram.as_str()).bind(*id);
        }
        query.execute(&mut *connection).await?;
    }
    Ok(outcome)
}

/// Starts importing a checked file: records the job and hands the members to a
/// background task. Rows already members' count as done from the start.
pub async fn start(
    db: &Db,
    actor: Actor,
    staff_id: String,
    file_name: &str,
    file_sha256: &str,
    plan: ImportPlan,
) -> Result<MemberImportJob, AppError> {
    let id = Uuid::now_v7();
    let now = now_ms();
    let report = &plan.report;
    let skipped = report.rows_read - report.rows_valid;
    let report_json = serde_json::to_string(report).map_err(anyhow::Error::from)?;
    let mut tx = db.writer.begin().await?;
    sqlx::query(
        "INSERT INTO member_imports (id, file_name, file_sha256, staff_id, state, rows_total, \
         rows_done, created, existing, skipped, report, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'running', $5, $6, 0, $6, $7, $8, $9, $9)",
    )
    .bind(id.to_string())
    .bind(file_name)
    .bind(file_sha256)
    .bind(&staff_id)
    .bind(i64::from(report.rows_valid))
    .bind(i64::from(report.existing))
    .bind(i64::from(skipped))
    .bind(&report_json)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut event = AuditEvent::new(&actor, "member.import_start", "member_import");
    event.entity_id = Some(id.to_string());
    event.after = Some(json!({
        "file_name": file_name, "file_sha256": file_sha256, "rows_read": report.rows_read,
        "to_create": report.to_create, "existing": report.existing, "skipped": skipped,
    }));
    audit::record(&mut tx, event).await?;
    let job = load_job(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    tokio::spawn(run(db.clone(), actor, id, plan.members));
    Ok(job)
}

/// Writes the members chunk by chunk, recording progress with each chunk, and marks the
/// job done, or failed with the error that stopped it.
async fn run(db: Db, actor: Actor, id: Uuid, members: Vec<ImportMember>) {
    let mut result = Ok(());
    for chunk in members.chunks(CHUNK_ROWS) {
        result = write_chunk(&db, &actor, id, chunk).await;
        if result.is_err() {
            break;
        }
    }
    let (state, error) = match result {
        Ok(()) => (MemberImportState::Done, None),
        Err(error) => {
            tracing::error!(job = %id, %error, "member import failed");
            (MemberImportState::Failed, Some(error.to_string()))
        }
    };
    let now = now_ms();
    let finished = sqlx::query(
        "UPDATE member_imports SET state = $2, error = $3, updated_at = $4, finished_at = $4 \
         WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(state.code())
    .bind(error)
    .bind(now)
    .execute(&db.writer)
    .await;
    if let Err(error) = finished {
        tracing::error!(job = %id, %error, "could not record the end of a member import");
    }
}

async fn write_chunk(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    chunk: &[ImportMember],
) -> Result<(), AppError> {
    let mut tx = db.writer.begin().await?;
    let outcome = insert_members(&mut tx, chunk).await?;
    let mut event = AuditEvent::new(actor, "member.import", "member_import");
    event.entity_id = Some(id.to_string());
    event.after = Some(json!({
        "created": outcome.created, "existing": outcome.existing, "skipped": outcome.skipped,
    }));
    audit::record(&mut tx, event).await?;
    sqlx::query(
        "UPDATE member_imports SET rows_done = rows_done + $2, created = created + $3, \
         existing = existing + $4, skipped = skipped + $5, updated_at = $6 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(chunk.len() as i64)
    .bind(outcome.created.len() as i64)
    .bind(i64::from(outcome.existing))
    .bind(i64::from(outcome.skipped))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An import job and its progress, or `None`.
pub async fn load_job(
    connection: &mut AnyConnection,
    id: Uuid,
) -> Result<Option<MemberImportJob>, AppError> {
    let row = sqlx::query(
        "SELECT id, file_name, state, rows_total, rows_done, created, existing, skipped, report, \
         error, created_at, finished_at FROM member_imports WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let state: String = row.try_get("state")?;
    let report: String = row.try_get("report")?;
    let count = |column: &str| -> Result<u32, AppError> {
        Ok(u32::try_from(row.try_get::<i64, _>(column)?).unwrap_or(u32::MAX))
    };
    Ok(Some(MemberImportJob {
        id,
        file_name: row.try_get("file_name")?,
        state: MemberImportState::from_code(&state)
            .ok_or_else(|| anyhow::anyhow!("member import state {state}"))?,
        rows_total: count("rows_total")?,
        rows_done: count("rows_done")?,
        created: count("created")?,
        existing: count("existing")?,
        skipped: count("skipped")?,
        report: serde_json::from_str(&report).map_err(anyhow::Error::from)?,
        error: row.try_get("error")?,
        created_at: ms_to_rfc3339(row.try_get("created_at")?),
        finished_at: row
            .try_get::<Option<i64>, _>("finished_at")?
            .map(ms_to_rfc3339),
    }))
}

/// Marks the jobs a stopped server left running as interrupted; run once at start,
/// before anything could start a new one.
pub async fn mark_interrupted(db: &Db) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE member_imports SET state = 'interrupted', updated_at = $1, finished_at = $1 \
         WHERE state = 'running'",
    )
    .bind(now)
    .execute(&db.writer)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use huiyuan_shared::catalogue::ImportFormat;
    use huiyuan_shared::member::FieldAccess;

    fn defs() -> Vec<FieldDef> {
        let def = |key: &str, label: &str, kind: FieldKind, choices: &[&str]| FieldDef {
            key: key.into(),
            label: label.into(),
            kind,
            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
            access: FieldAccess::General,
            builtin: true,
            required: false,
            position: 0,
            active: true,
        };
        vec![
            def("gender", "性别", FieldKind::Choice, &["男", "女"]),
            def("birth_date", "生日", FieldKind::Date, &[]),
        ]
    }

    fn known() -> Known {
        let mut known = Known {
            defs: defs(),
            ..Known::default()
        };
        let store = StoreId::new();
        known.stores.insert(
            "S001".into(),
            KnownStore {
                id: store,
                kind: "store".into(),
                path: "/HQ/S001/".into(),
            },
        );
        known.stores.insert(
            "R1".into(),
            KnownStore {
                id: StoreId::new(),
                kind: "region".into(),
                path: "/HQ/R1/".into(),
            },
        );
        known
            .classes
            .insert(("region", "浦东".into()), "class-1".into());
        known
            .phones
            .insert("13800138000".into(), "000000018".into());
        known
    }

    fn hq() -> Importer {
        Importer {
            home_store: None,
            scope_path: "/HQ/".into(),
        }
    }

    fn csv_plan(text: &str) -> ImportPlan {
        let table = read_table(text.as_bytes(), Some(ImportFormat::Csv)).expect("csv");
        let file = import_file(table, &defs()).expect("header");
        plan(&file, &known(), &hq(), true)
    }

    /// Every bad cell is reported by row (the header is row 1) and field; a phone that is
    /// a member's already is counted as existing, not as an error.
    #[test]
    fn bad_rows_duplicates_and_existing_members_are_reported() {
        let plan = csv_plan(
            "姓名,手机,性别,生日,门店编码,地区,爱好\n\
             张三丰,186 1234 5678,男,1990/5/1,S001,浦东,太极\n\
             ,12345,x,1990-02-30,S999,浦西,\n\
             张无忌,18612345678,,,R1,,\n\
             \n\
             周芷若,13800138000,女,,,,\n",
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
                (3, "name", "required"),
                (3, "phone", "invalid_mobile"),
                (3, "store_code", "unknown_store"),
                (3, "region", "unknown_class"),
                (3, "profile.gender", "not_a_choice"),
                (3, "profile.birth_date", "invalid_date"),
                (4, "phone", DUPLICATE_IN_FILE),
                (4, "store_code", "not_a_store"),
            ]
        );
        assert_eq!(plan.report.errors[6].message, "手机：与第2行手机号重复");
        assert_eq!(
            plan.report.errors[5].message.split('：').next(),
            Some("生日")
        );
        assert_eq!(
            (
                plan.report.rows_read,
                plan.report.rows_valid,
                plan.report.to_create
            ),
            (4, 2, 1)
        );
        assert_eq!(plan.report.existing, 1);
        assert_eq!(plan.report.existing_rows[0].row, 6);
        assert_eq!(plan.report.existing_rows[0].member_no, "000000018");
        assert_eq!(plan.report.ignored_columns, ["爱好"]);
        let member = &plan.members[0];
        assert_eq!(member.phone, "18612345678");
        assert_eq!(member.profile["birth_date"], "1990-05-01");
        assert_eq!(member.classification.region.as_deref(), Some("class-1"));
        assert!(member.store_id.is_some());
    }

    #[test]
    fn member_numbers_must_carry_their_check_digit_and_be_free() {
        let good = numbers::member_number(500);
        let taken = numbers::member_number(18);
        let mut known = known();
        known.numbers_taken.insert(taken.clone());
        let table = read_table(
            format!(
                "name,phone,member_no\n甲,13900000001,{good}\n乙,13900000002,{good}\n\
                 丙,13900000003,123456789\n丁,13900000004,{taken}\n"
            )
            .as_bytes(),
            None,
        )
        .expect("csv");
        let file = import_file(table, &defs()).expect("header");
        let plan = plan(&file, &known, &hq(), true);
        let codes: Vec<(u32, &str)> = plan
            .report
            .errors
            .iter()
            .map(|e| (e.row, e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                (3, DUPLICATE_IN_FILE),
                (4, "bad_check_digit"),
                (5, "member_no_taken")
            ]
        );
        assert_eq!(plan.members[0].member_no.as_deref(), Some(good.as_str()));
    }

    #[test]
    fn a_file_needs_name_and_phone_columns() {
        let table = read_table("性别,门店编码\n男,S001\n".as_bytes(), None).expect("csv");
        let errors = import_file(table, &defs()).expect_err("no name or phone");
        let fields: Vec<&str> = errors.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "phone"]);
        let table = read_table("姓名,手机\n".as_bytes(), None).expect("csv");
        assert_eq!(
            import_file(table, &defs()).expect_err("no rows").fields[0].code,
            "empty"
        );
    }
}
