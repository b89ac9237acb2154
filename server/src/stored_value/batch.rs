//! Corporate batch top-up (批量充值, SV-4). HQ uploads a CSV or XLSX file: a member
//! (by phone or member number), an amount in 元 and an optional memo per row. Every row
//! is checked on its own, then against the other rows (a member twice in the file) and
//! the members on file; a dry run reports it all and writes nothing. The real run is
//! all or nothing: one bad row and nothing is credited. Each row is posted as a counter
//! top-up would be ([`super::topup::topup_posting`]), bonus plan included, and the whole
//! batch is one ledger command under the batch id, so sending it again credits nothing.

use super::topup::{topup_posting, TopupPosting};
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::now_ms;
use crate::error::AppError;
use crate::ledger::bulk::post_transfers_in_bulk;
use crate::ledger::PostingContext;
use crate::spreadsheet::{self, Table};
use huiyuan_shared::api::mask_mobile;
use huiyuan_shared::catalogue::ImportRowError;
use huiyuan_shared::rules::{LocalDate, RuleSet};
use huiyuan_shared::topup_batch::{
    normalize_topup_memo, parse_topup_amount, topup_batch_column, topup_batch_column_label,
    TopupBatchReport, TopupBatchRow,
};
use huiyuan_shared::validate::normalize_mobile;
use huiyuan_shared::value::Tender;
use huiyuan_shared::{FieldError, MemberId, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use uuid::Uuid;

/// Members looked up per query: one bound parameter each.
const MEMBERS_PER_LOOKUP: usize = 500;

/// One data row's cells, as typed. A column the file lacks is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRow {
    pub row: u32,
    pub phone: Option<String>,
    pub member_no: Option<String>,
    pub amount: String,
    pub memo: Option<String>,
}

/// The data rows of a batch file, and which member columns it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchFile {
    pub rows: Vec<BatchRow>,
    pub has_phone: bool,
}

fn file_error(field: &str, code: &str, message: impl Into<String>) -> ValidationErrors {
    ValidationErrors {
        fields: vec![FieldError::new(field, code, message)],
    }
}

/// Splits a table into header and data rows, skipping blank rows. A file without an
/// amount column, or without any member column, is refused as a whole.
pub fn batch_file(table: Table) -> Result<BatchFile, ValidationErrors> {
    let (header, rows) = spreadsheet::header_and_rows(table)?;
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    for (index, name) in header.iter().enumerate() {
        if let Some(field) = topup_batch_column(name) {
            columns.entry(field).or_insert(index);
        }
    }
    let mut missing = Vec::new();
    if !columns.contains_key("phone") && !columns.contains_key("member_no") {
        missing.push(FieldError::new(
            "phone",
            "missing_column",
            "缺少“手机号”或“会员号”列",
        ));
    }
    if !columns.contains_key("amount") {
        missing.push(FieldError::new("amount", "missing_column", "缺少“金额”列"));
    }
    if !missing.is_empty() {
        return Err(ValidationErrors { fields: missing });
    }
    let cell = |cells: &[String], field: &str| {
        columns
            .get(field)
            .map(|index| cells.get(*index).cloned().unwrap_or_default())
    };
    let rows: Vec<BatchRow> = rows
        .into_iter()
        .map(|(row, cells)| BatchRow {
            row,
            phone: cell(&cells, "phone"),
            member_no: cell(&cells, "member_no"),
            amount: cell(&cells, "amount").unwrap_or_default(),
            memo: cell(&cells, "memo"),
        })
        .collect();
    if rows.is_empty() {
        return Err(file_error("file", "empty", "文件中没有充值数据"));
    }
    Ok(BatchFile {
        rows,
        has_phone: columns.contains_key("phone"),
    })
}

/// A member as a batch row names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberOnFile {
    pub id: MemberId,
    pub member_no: String,
    pub phone: String,
    /// The member's level, which top-up bonus plans may be limited to.
    pub level_id: String,
}

/// The members a file names, by phone and by member number.
#[derive(Clone, Debug, Default)]
pub struct MembersOnFile {
    pub by_phone: HashMap<String, MemberOnFile>,
    pub by_member_no: HashMap<String, MemberOnFile>,
}

/// Looks up every member the file names, a few hundred per query.
pub async fn members_on_file(
    connection: &mut AnyConnection,
    file: &BatchFile,
) -> Result<MembersOnFile, AppError> {
    let phones: Vec<String> = file
        .rows
        .iter()
        .filter_map(|row| row.phone.as_deref())
        .filter_map(|text| normalize_mobile("phone", text).ok())
        .collect();
    let numbers: Vec<String> = file
        .rows
        .iter()
        .filter_map(|row| row.member_no.as_deref())
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
        .collect();
    let mut found = MembersOnFile::default();
    for (column, keys) in [("phone", phones), ("member_no", numbers)] {
        for chunk in keys.chunks(MEMBERS_PER_LOOKUP) {
            let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT id, member_no, phone, level_id FROM members WHERE {column} IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for key in chunk {
                query = query.bind(key.clone());
            }
            for row in query.fetch_all(&mut *connection).await? {
                let id: String = row.try_get("id")?;
                let member = MemberOnFile {
                    id: id
                        .parse()
                        .map_err(|error: uuid::Error| AppError::Internal(error.into()))?,
                    member_no: row.try_get("member_no")?,
                    phone: row.try_get("phone")?,
                    level_id: row.try_get("level_id")?,
                };
                found.by_phone.insert(member.phone.clone(), member.clone());
                found.by_member_no.insert(member.member_no.clone(), member);
            }
        }
    }
    Ok(found)
}

/// What a batch is: where and how the money came in.
#[derive(Clone, Copy, Debug)]
pub struct BatchTerms {
    pub batch_id: Option<Uuid>,
    pub store_id: huiyuan_shared::StoreId,
    pub tender: Tender,
    pub dry_run: bool,
}

/// A checked batch: its report and, for the good rows, what each posts.
#[derive(Clone, Debug)]
pub struct BatchPlan {
    pub report: TopupBatchReport,
    pub postings: Vec<TopupPosting>,
}

fn row_error(row: u32, error: FieldError) -> ImportRowError {
    let label = topup_batch_column_label(&error.field);
    ImportRowError {
        row,
        message: format!("{label}：{}", error.message),
        field: error.field,
        code: error.code,
    }
}

/// Checks every row and works out what it would post. Pure: the members named in the
/// file and the rules are given.
pub fn plan(
    file: &BatchFile,
    members: &MembersOnFile,
    terms: BatchTerms,
    rules: &RuleSet,
    today: LocalDate,
) -> BatchPlan {
    let mut report = TopupBatchReport {
        batch_id: terms.batch_id,
        dry_run: terms.dry_run,
        committed: false,
        store_id: terms.store_id,
        tender: terms.tender,
        rows_read: file.rows.len() as u32,
        rows_valid: 0,
        principal_fen: 0,
        bonus_fen: 0,
        rows: Vec::with_capacity(file.rows.len()),
        errors: Vec::new(),
    };
    let mut postings = Vec::with_capacity(file.rows.len());
    let mut first_row_of: HashMap<MemberId, u32> = HashMap::new();
    for row in &file.rows {
        let mut errors = Vec::new();
        let member = find_member(row, members, file.has_phone).unwrap_or_else(|error| {
            errors.push(error);
            None
        });
        if let Some(member) = member {
            if let Some(first) = first_row_of.get(&member.id) {
                let field = if row.phone.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                    "phone"
                } else {
                    "member_no"
                };
                errors.push(FieldError::new(
                    field,
                    "duplicate_in_file",
                    format!("与第{first}行是同一会员"),
                ));
            } else {
                first_row_of.insert(member.id, row.row);
            }
        }
        let amount = parse_topup_amount("amount", &row.amount)
            .map_err(|error| errors.push(error))
            .ok();
        let memo = row
            .memo
            .as_deref()
            .map(|text| normalize_topup_memo("memo", text))
            .transpose()
            .map_err(|error| errors.push(error))
            .ok()
            .flatten()
            .flatten();
        let posting = match (member, amount) {
            (Some(member), Some(amount)) if errors.is_empty() => {
                match topup_posting(
                    &member.id.to_string(),
                    &member.level_id,
                    terms.store_id,
                    terms.tender,
                    amount,
                    memo.clone(),
                    rules,
                    today,
                ) {
                    Ok(posting) => Some(posting),
                    Err(error) => {
                        errors.push(FieldError::from(error));
                        None
                    }
                }
            }
            _ => None,
        };
        let ok = posting.is_some();
        report.rows.push(TopupBatchRow {
            row: row.row,
            member_id: member.map(|member| member.id),
            member_no: member.map(|member| member.member_no.clone()),
            phone_masked: member.map(|member| mask_mobile(&member.phone)),
            amount_fen: amount.map(|amount| amount.fen()),
            bonus_fen: posting.as_ref().map_or(0, TopupPosting::bonus_fen),
            bonus_plan_id: posting.as_ref().and_then(TopupPosting::bonus_plan_id),
            memo,
            ok,
        });
        report
            .errors
            .extend(errors.into_iter().map(|error| row_error(row.row, error)));
        if let (Some(posting), Some(amount)) = (posting, amount) {
            report.rows_valid += 1;
            report.principal_fen += amount.fen();
            report.bonus_fen += posting.bonus_fen();
            postings.push(posting);
        }
    }
    BatchPlan { report, postings }
}

/// The member a row names. Both columns filled must name the same member.
fn find_member<'m>(
    row: &BatchRow,
    members: &'m MembersOnFile,
    has_phone: bool,
) -> Result<Option<&'m MemberOnFile>, FieldError> {
    let phone = row
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let number = row
        .member_no
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let unknown = |field: &str| FieldError::new(field, "unknown_member", "会员不存在");
    let by_phone = match phone {
        Some(text) => {
            let phone = normalize_mobile("phone", text)?;
            Some(
                members
                    .by_phone
                    .get(&phone)
                    .ok_or_else(|| unknown("phone"))?,
            )
        }
        None => None,
    };
    let by_number = match number {
        Some(number) => Some(
            members
                .by_member_no
                .get(number)
                .ok_or_else(|| unknown("member_no"))?,
        ),
        None => None,
    };
    match (by_phone, by_number) {
        (Some(a), Some(b)) if a.id != b.id => Err(FieldError::new(
            "member_no",
            "mismatch",
            "手机号与会员号不是同一会员",
        )),
        (Some(member), _) | (None, Some(member)) => Ok(Some(member)),
        (None, None) => Err(FieldError::new(
            if has_phone { "phone" } else { "member_no" },
            "required",
            "请填写手机号或会员号",
        )),
    }
}

/// A real run with bad rows: nothing is credited, and the report says why.
pub fn refused(report: TopupBatchReport) -> AppError {
    let bad_rows = report.rows_read - report.rows_valid;
    crate::spreadsheet::rows_refused(
        &report.errors,
        format!("有{bad_rows}行有误，未充值任何会员"),
        &report,
    )
}

/// Posts a checked batch inside the caller's transaction: every row's transfers as one
/// command under the batch id, the batch's record, and one audit event.
pub async fn post(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    batch_id: Uuid,
    file_sha256: &str,
    plan: BatchPlan,
) -> Result<TopupBatchReport, AppError> {
    let mut report = plan.report;
    if !report.errors.is_empty() {
        return Err(refused(report));
    }
    let store = report.store_id.to_string();
    let transfers: Vec<_> = plan
        .postings
        .into_iter()
        .flat_map(|posting| posting.transfers)
        .collect();
    let context = PostingContext {
        command_id: batch_id.to_string(),
        store_id: Some(store.clone()),
        staff_id: Some(staff.id.to_string()),
        device_id: None,
        occurred_at: None,
    };
    post_transfers_in_bulk(connection, &context, &transfers).await?;
    sqlx::query(
        "INSERT INTO topup_batches (id, store_id, staff_id, tender, file_sha256, rows_credited, \
         principal_fen, bonus_fen, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(batch_id.to_string())
    .bind(&store)
    .bind(staff.id.to_string())
    .bind(report.tender.code())
    .bind(file_sha256)
    .bind(i64::from(report.rows_valid))
    .bind(report.principal_fen)
    .bind(report.bonus_fen)
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "value.topup_batch", "topup_batch");
    event.entity_id = Some(batch_id.to_string());
    event.store_id = Some(report.store_id);
    event.after = Some(json!({
        "rows": report.rows_valid,
        "principal_fen": report.principal_fen,
        "bonus_fen": report.bonus_fen,
        "tender": report.tender.code(),
        "file_sha256": file_sha256,
    }));
    audit::record(connection, event).await?;
    report.committed = true;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::import::read_table;
    use huiyuan_shared::catalogue::ImportFormat;
    use huiyuan_shared::StoreId;

    fn file(text: &str) -> BatchFile {
        batch_file(read_table(text.as_bytes(), Some(ImportFormat::Csv)).expect("csv"))
            .expect("header")
    }

    fn members() -> MembersOnFile {
        let mut found = MembersOnFile::default();
        for (phone, number) in [("13800138000", "000000018"), ("13900139000", "000000026")] {
            let member = MemberOnFile {
                id: MemberId::new(),
                member_no: number.to_owned(),
                phone: phone.to_owned(),
                level_id: huiyuan_shared::level::STANDARD_LEVEL_ID.to_owned(),
            };
            found.by_phone.insert(phone.to_owned(), member.clone());
            found.by_member_no.insert(number.to_owned(), member);
        }
        found
    }

    fn terms() -> BatchTerms {
        BatchTerms {
            batch_id: None,
            store_id: StoreId::new(),
            tender: Tender::BankTransfer,
            dry_run: true,
        }
    }

    /// Every bad cell is reported by row (the header is row 1) and field; good rows are
    /// totalled.
    #[test]
    fn bad_rows_are_reported_by_row_and_field() {
        let file = file(
            "手机号,会员号,金额,备注\n\
             138 0013 8000,,500,三月福利\n\
             13700000000,,100,\n\
             ,000000026,1.234,\n\
             \n\
             13800138000,,20,\n\
             ,,10,\n\
             13900139000,000000018,10,\n\
             12345,,abc,\n",
        );
        let plan = plan(
            &file,
            &members(),
            terms(),
            &RuleSet::default(),
            LocalDate::new(2025, 6, 1).expect("date"),
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
                (3, "phone", "unknown_member"),
                (4, "amount", "too_precise"),
                (6, "phone", "duplicate_in_file"),
                (7, "phone", "required"),
                (8, "member_no", "mismatch"),
                (9, "phone", "invalid_mobile"),
                (9, "amount", "not_a_number"),
            ]
        );
        assert_eq!(plan.report.errors[2].message, "手机号：与第2行是同一会员");
        assert_eq!((plan.report.rows_read, plan.report.rows_valid), (7, 1));
        assert_eq!(plan.report.principal_fen, 50_000);
        let first = &plan.report.rows[0];
        assert_eq!(first.phone_masked.as_deref(), Some("138****8000"));
        assert_eq!(first.memo.as_deref(), Some("三月福利"));
        assert!(first.ok);
        assert_eq!(plan.postings.len(), 1);
    }

    #[test]
    fn a_file_needs_a_member_column_and_an_amount_column() {
        let table = read_table("姓名,备注\n张三,x\n".as_bytes(), None).expect("csv");
        let errors = batch_file(table).expect_err("no columns");
        let fields: Vec<&str> = errors.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["phone", "amount"]);
        let table = read_table("手机号,金额\n".as_bytes(), None).expect("csv");
        assert_eq!(
            batch_file(table).expect_err("no rows").fields[0].code,
            "empty"
        );
    }
}
