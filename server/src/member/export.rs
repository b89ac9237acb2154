//! Member export to XLSX: one row per member with their profile fields. The headers are
//! the ones the import reads, so an exported file can be edited and imported again.

use crate::error::AppError;
use huiyuan_shared::member::{ClassList, MemberStatus, Profile};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Members read per query, in member-number order.
const PAGE_ROWS: i64 = 2_000;
/// The most members one file holds (Excel's sheet has 1,048,576 rows).
pub const EXPORT_ROWS_MAX: u32 = 1_000_000;

/// The fixed columns, before the profile fields.
const FIXED_HEADERS: [&str; 10] = [
    "会员编号",
    "姓名",
    "手机",
    "状态",
    "等级",
    "门店编码",
    "频率",
    "类型",
    "地区",
    "登记时间",
];

fn status_label(status: &str) -> &str {
    match MemberStatus::from_code(status) {
        Some(MemberStatus::Pending) => "待审核",
        Some(MemberStatus::Active) => "正式会员",
        Some(MemberStatus::Archived) => "已归档",
        Some(MemberStatus::Merged) => "已合并",
        None => status,
    }
}

/// A stored instant as the business time of day it was (UTC+8), `YYYY-MM-DD HH:MM`.
fn business_minute(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// The workbook of members, with `status` only when given, and how many rows it holds.
pub async fn export(
    connection: &mut AnyConnection,
    status: Option<MemberStatus>,
) -> Result<(Vec<u8>, u32), AppError> {
    let defs: Vec<_> = super::fields::list(connection)
        .await?
        .into_iter()
        .filter(|def| def.active)
        .collect();
    let mut stores: HashMap<String, String> = HashMap::new();
    for row in sqlx::query("SELECT id, code FROM stores")
        .fetch_all(&mut *connection)
        .await?
    {
        stores.insert(row.try_get("id")?, row.try_get("code")?);
    }
    let classes: HashMap<String, String> = super::classes::list(connection)
        .await?
        .into_iter()
        .map(|class| (class.id, class.name))
        .collect();
    let mut levels: HashMap<String, String> = HashMap::new();
    for row in sqlx::query("SELECT id, name FROM member_levels")
        .fetch_all(&mut *connection)
        .await?
    {
        levels.insert(row.try_get("id")?, row.try_get("name")?);
    }

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let xlsx = |error: XlsxError| AppError::Internal(error.into());
    sheet.set_name("会员").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let headers: Vec<&str> = FIXED_HEADERS
        .iter()
        .copied()
        .chain(defs.iter().map(|def| def.label.as_str()))
        .collect();
    for (column, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, column as u16, *header, &bold)
            .map_err(xlsx)?;
    }
    sheet.set_column_width(0, 12).map_err(xlsx)?;
    sheet.set_column_width(2, 14).map_err(xlsx)?;
    sheet.set_column_width(9, 17).map_err(xlsx)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;

    let filter = if status.is_some() {
        " AND status = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT member_no, name, phone, status, level_id, store_id, profile, frequency_class, \
         type_class, region_class, created_at FROM members WHERE member_no > $1{filter} \
         ORDER BY member_no LIMIT $2"
    );
    let mut after = String::new();
    let mut written: u32 = 0;
    'pages: loop {
        let mut query = sqlx::query(&sql).bind(after.as_str()).bind(PAGE_ROWS);
        if let Some(status) = status {
            query = query.bind(status.code());
        }
        let rows = query.fetch_all(&mut *connection).await?;
        let last_page = (rows.len() as i64) < PAGE_ROWS;
        for row in &rows {
            if written >= EXPORT_ROWS_MAX {
                break 'pages;
            }
            let line = written + 1;
            let member_no: String = row.try_get("member_no")?;
            let status: String = row.try_get("status")?;
            let level: String = row.try_get("level_id")?;
            let store: Option<String> = row.try_get("store_id")?;
            let profile: String = row.try_get("profile")?;
            let profile: Profile = serde_json::from_str(&profile).map_err(anyhow::Error::from)?;
            let class = |column: &str| -> Result<String, AppError> {
                let id: Option<String> = row.try_get(column)?;
                Ok(id
                    .and_then(|id| classes.get(&id).cloned())
                    .unwrap_or_default())
            };
            let mut cells: Vec<String> = vec![
                member_no.clone(),
                row.try_get("name")?,
                row.try_get("phone")?,
                status_label(&status).to_owned(),
                levels.get(&level).cloned().unwrap_or(level),
                store
                    .and_then(|id| stores.get(&id).cloned())
                    .unwrap_or_default(),
            ];
            for list in ClassList::ALL {
                cells.push(class(&format!("{}_class", list.code()))?);
            }
            cells.push(business_minute(row.try_get("created_at")?));
            cells.extend(
                defs.iter()
                    .map(|def| profile.get(&def.key).cloned().unwrap_or_default()),
            );
            for (column, text) in cells.iter().enumerate() {
                // Numbers stay text, so member numbers keep their leading zeros and
                // phones do not turn into 1.38E+10.
                if !text.is_empty() {
                    sheet
                        .write_string(line, column as u16, text)
                        .map_err(xlsx)?;
                }
            }
            written += 1;
            after = member_no;
        }
        if last_page {
            break;
        }
    }
    let bytes = tokio::task::spawn_blocking(move || workbook.save_to_buffer())
        .await
        .map_err(|error| AppError::Internal(error.into()))?
        .map_err(xlsx)?;
    Ok((bytes, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_business_time() {
        // 2024-01-01 00:30 in Shanghai is 2023-12-31 16:30 UTC.
        assert_eq!(business_minute(1_704_040_200_000), "2024-01-01 00:30");
    }
}
