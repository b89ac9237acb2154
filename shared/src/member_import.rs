//! Bulk member import and export (MEM-1, issue item 3): the columns an import file may
//! have, the dry run's report and the progress of an import running in the background.

use crate::catalogue::ImportRowError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most data rows one import file may hold.
pub const MEMBER_IMPORT_ROWS_MAX: usize = 100_000;
/// Rows of each list a report carries at most; the counts are always complete.
pub const MEMBER_IMPORT_REPORT_ROWS_MAX: usize = 1_000;
/// Stable error code: a row names a phone an earlier row of the same file has.
pub const DUPLICATE_IN_FILE: &str = "duplicate_in_file";

/// The fixed columns an import file may have: the field name and the headers accepted
/// for it (Chinese first, as the export writes them). Any other header naming a profile
/// field by its key or label (性别, 生日, a questionnaire field…) fills that field.
pub const MEMBER_IMPORT_COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["姓名", "会员姓名", "name"]),
    ("phone", &["手机", "手机号", "手机号码", "phone", "mobile"]),
    (
        "member_no",
        &["会员编号", "会员号", "member_no", "member no"],
    ),
    (
        "store_code",
        &["门店编码", "门店代码", "store_code", "store code"],
    ),
    ("frequency", &["频率", "频率分类", "frequency"]),
    ("type", &["类型", "类型分类", "type"]),
    ("region", &["地区", "地区分类", "region"]),
];

/// Other names people give profile fields' columns: the header and the field's key.
pub const PROFILE_COLUMN_ALIASES: &[(&str, &str)] = &[
    ("sex", "gender"),
    ("birthday", "birth_date"),
    ("出生日期", "birth_date"),
];

fn header_key(header: &str) -> String {
    header.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// The fixed field a header names, ignoring case and surrounding spaces.
pub fn member_import_column(header: &str) -> Option<&'static str> {
    let header = header_key(header);
    MEMBER_IMPORT_COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|name| *name == header))
        .map(|(field, _)| *field)
}

/// The profile field a header names: its key, its label or an alias.
pub fn profile_column<'d>(
    header: &str,
    fields: impl IntoIterator<Item = (&'d str, &'d str)>,
) -> Option<&'d str> {
    let header = header_key(header);
    let alias = PROFILE_COLUMN_ALIASES
        .iter()
        .find(|(name, _)| *name == header)
        .map(|(_, key)| *key);
    fields
        .into_iter()
        .find(|(key, label)| {
            header == *key || header == label.to_lowercase() || alias == Some(*key)
        })
        .map(|(key, _)| key)
}

/// The Chinese header of a fixed field, for messages; a profile field's own label is
/// used for it.
pub fn member_import_column_label(field: &str) -> &'static str {
    MEMBER_IMPORT_COLUMNS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, headers)| headers[0])
        .unwrap_or("")
}

/// A date as people type it in a spreadsheet (`1990-5-1`, `1990/05/01`, `1990.5.1`,
/// `1990年5月1日`) as `YYYY-MM-DD`; anything else is returned as it was, for the field's
/// own check to refuse.
pub fn tidy_date(text: &str) -> String {
    let trimmed = text.trim();
    let parts: Vec<&str> = trimmed
        .trim_end_matches('日')
        .split(['-', '/', '.', '年', '月'])
        .collect();
    match parts.as_slice() {
        [year, month, day]
            if year.len() == 4
                && (1..=2).contains(&month.len())
                && (1..=2).contains(&day.len())
                && [year, month, day]
                    .iter()
                    .all(|part| part.bytes().all(|b| b.is_ascii_digit())) =>
        {
            format!("{year}-{month:0>2}-{day:0>2}")
        }
        _ => trimmed.to_owned(),
    }
}

/// A row whose phone is already a member's: not an error, the row is counted as
/// existing and creates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExistingMemberRow {
    /// The row as the spreadsheet shows it: the header is row 1.
    pub row: u32,
    /// The name in the file.
    pub name: String,
    /// The phone with its middle digits hidden.
    pub phone_masked: String,
    /// The member number of the member who has that phone.
    pub member_no: String,
}

/// What an import would do (a dry run) or was asked to do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberImportReport {
    pub dry_run: bool,
    /// Data rows in the file, blank rows not counted.
    pub rows_read: u32,
    /// Rows without any error (new members and existing ones).
    pub rows_valid: u32,
    /// Rows that would create a member.
    pub to_create: u32,
    /// Rows whose phone is already a member's.
    pub existing: u32,
    /// Every problem, by row and field (the first [`MEMBER_IMPORT_REPORT_ROWS_MAX`]).
    pub errors: Vec<ImportRowError>,
    /// How many problems there are in all.
    pub errors_total: u32,
    /// The rows whose phone is already a member's (the first
    /// [`MEMBER_IMPORT_REPORT_ROWS_MAX`]).
    pub existing_rows: Vec<ExistingMemberRow>,
    /// Columns of the file that fill nothing (neither a fixed column nor a profile field).
    pub ignored_columns: Vec<String>,
}

/// Where an import job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberImportState {
    /// Chunks are being written.
    Running,
    /// Every row was written.
    Done,
    /// A chunk failed; what was written before it stays. Importing the file again
    /// finishes the job, since phones already members are skipped.
    Failed,
    /// The server stopped while the job ran; as with `failed`, import the file again.
    Interrupted,
}

impl MemberImportState {
    pub fn code(self) -> &'static str {
        match self {
            MemberImportState::Running => "running",
            MemberImportState::Done => "done",
            MemberImportState::Failed => "failed",
            MemberImportState::Interrupted => "interrupted",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            MemberImportState::Running,
            MemberImportState::Done,
            MemberImportState::Failed,
            MemberImportState::Interrupted,
        ]
        .into_iter()
        .find(|state| state.code() == code)
    }
}

/// An import running in the background, and its progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberImportJob {
    pub id: Uuid,
    pub file_name: String,
    pub state: MemberImportState,
    /// Good rows to write.
    pub rows_total: u32,
    /// Good rows written or found existing so far.
    pub rows_done: u32,
    /// Members created so far.
    pub created: u32,
    /// Rows whose phone was already a member's when their chunk was written.
    pub existing: u32,
    /// Bad rows left out (the import was asked to skip them).
    pub skipped: u32,
    /// The check of the file made when the import started.
    pub report: MemberImportReport,
    /// Why the job failed, if it did.
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_in_chinese_and_english() {
        assert_eq!(member_import_column(" 姓名 "), Some("name"));
        assert_eq!(member_import_column("\u{feff}Phone"), Some("phone"));
        assert_eq!(member_import_column("门店编码"), Some("store_code"));
        assert_eq!(member_import_column("性别"), None);
        let fields = [("gender", "性别"), ("birth_date", "生日"), ("skin", "肤质")];
        assert_eq!(profile_column("性别", fields), Some("gender"));
        assert_eq!(profile_column("Birthday", fields), Some("birth_date"));
        assert_eq!(profile_column("SKIN", fields), Some("skin"));
        assert_eq!(profile_column("爱好", fields), None);
    }

    #[test]
    fn dates_are_tidied_as_people_type_them() {
        assert_eq!(tidy_date("1990/5/1"), "1990-05-01");
        assert_eq!(tidy_date(" 1990.05.01 "), "1990-05-01");
        assert_eq!(tidy_date("1990年5月1日"), "1990-05-01");
        assert_eq!(tidy_date("1990-05-01"), "1990-05-01");
        assert_eq!(tidy_date("5/1/1990"), "5/1/1990");
        assert_eq!(tidy_date("昨天"), "昨天");
    }
}
