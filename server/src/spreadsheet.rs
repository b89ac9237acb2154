//! Reading the spreadsheets HQ uploads (catalogue import, batch top-ups, member import):
//! the first sheet of an XLSX file, or a CSV file, as numbered rows of text.

use calamine::{Data, Reader, Xlsx};
use huiyuan_shared::catalogue::ImportFormat;
use huiyuan_shared::{FieldError, ValidationErrors};

/// Rows of cells, each with its number as the spreadsheet shows it (the first is 1).
pub type Table = Vec<(u32, Vec<String>)>;

/// A problem with the file as a whole, reported on the field `file`.
pub fn file_error(code: &str, message: impl Into<String>) -> ValidationErrors {
    ValidationErrors {
        fields: vec![FieldError::new("file", code, message)],
    }
}

fn too_many_rows(rows_max: usize) -> ValidationErrors {
    file_error(
        "too_many_rows",
        format!("一次最多导入{rows_max}行，请分批导入"),
    )
}

/// Reads the first sheet of an XLSX file, or a CSV file, into rows of text; a file of
/// more than `rows_max` data rows is refused. Without a format, a file that starts like
/// a zip archive is taken as XLSX.
pub fn read_table(
    bytes: &[u8],
    format: Option<ImportFormat>,
    rows_max: usize,
) -> Result<Table, ValidationErrors> {
    if bytes.is_empty() {
        return Err(file_error("required", "请上传文件"));
    }
    let format = format.unwrap_or(if bytes.starts_with(b"PK\x03\x04") {
        ImportFormat::Xlsx
    } else {
        ImportFormat::Csv
    });
    match format {
        ImportFormat::Csv => read_csv(bytes, rows_max),
        ImportFormat::Xlsx => read_xlsx(bytes, rows_max),
    }
}

fn read_csv(bytes: &[u8], rows_max: usize) -> Result<Table, ValidationErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(file_error(
            "not_utf8",
            "CSV文件须为UTF-8编码：请在Excel中另存为“CSV UTF-8（逗号分隔）”",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut table = Table::new();
    // The reader skips blank lines, which a spreadsheet shows as rows, so rows are
    // numbered by line; line breaks inside quoted cells are not new rows and are taken
    // back off.
    let mut breaks_in_cells = 0;
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|error| {
            file_error(
                "unreadable",
                format!("第{}条记录无法读取：{error}", index + 1),
            )
        })?;
        if table.len() > rows_max {
            return Err(too_many_rows(rows_max));
        }
        // A record's position is where the reader began looking for it, before the
        // blank lines it skipped.
        let line = record.position().map_or(index as u64 + 1, |at| {
            let rest = bytes.get(at.byte() as usize..).unwrap_or_default();
            let blank_lines = rest
                .iter()
                .take_while(|byte| matches!(byte, b'\n' | b'\r'))
                .filter(|byte| **byte == b'\n')
                .count();
            at.line() + blank_lines as u64
        });
        let row = line.saturating_sub(breaks_in_cells) as u32;
        breaks_in_cells += record
            .iter()
            .map(|cell| cell.matches('\n').count() as u64)
            .sum::<u64>();
        table.push((row, record.iter().map(str::to_owned).collect()));
    }
    Ok(table)
}

fn read_xlsx(bytes: &[u8], rows_max: usize) -> Result<Table, ValidationErrors> {
    let unreadable = |_: calamine::XlsxError| file_error("unreadable", "无法读取XLSX文件");
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| file_error("empty", "文件中没有工作表"))?
        .map_err(unreadable)?;
    if range.get_size().0 > rows_max + 1 {
        return Err(too_many_rows(rows_max));
    }
    // The range starts at the first cell that has content; rows are numbered as Excel
    // shows them.
    let first_row = range.start().map_or(0, |(row, _)| row);
    Ok(range
        .rows()
        .enumerate()
        .map(|(index, cells)| {
            (
                first_row + index as u32 + 1,
                cells.iter().map(cell_text).collect(),
            )
        })
        .collect())
}

/// A cell as the text a person would have typed. Whole numbers lose Excel's `.0`, so a
/// barcode stored as a number reads as its digits; a date reads as `YYYY-MM-DD`.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Data::Float(number) => number.to_string(),
        Data::Bool(true) => "1".to_owned(),
        Data::Bool(false) => "0".to_owned(),
        Data::DateTime(date) if date.is_datetime() => {
            excel_date(date.as_f64()).unwrap_or_else(|| date.as_f64().to_string())
        }
        Data::DateTime(date) => date.as_f64().to_string(),
        Data::Error(error) => format!("#{error:?}"),
    }
}

/// An Excel serial date (days since 1899-12-30, as Excel counts from March 1900 on) as
/// `YYYY-MM-DD`, and the time of day when it has one.
fn excel_date(serial: f64) -> Option<String> {
    let epoch = time::macros::date!(1899 - 12 - 30);
    let days = serial.floor();
    let date = epoch.checked_add(time::Duration::days(days as i64))?;
    let day = format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    let minutes = ((serial - days) * 24.0 * 60.0).round() as i64;
    if minutes == 0 {
        return Some(day);
    }
    Some(format!("{day} {:02}:{:02}", minutes / 60, minutes % 60))
}

/// The header (the first row with content) and the data rows after it, blank rows left
/// out. An empty file is refused.
pub fn header_and_rows(table: Table) -> Result<(Vec<String>, Table), ValidationErrors> {
    let mut rows = table
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|cell| !cell.trim().is_empty()));
    let Some((_, header)) = rows.next() else {
        return Err(file_error("empty", "文件是空的"));
    };
    Ok((header, rows.collect()))
}

/// A real run refused for its bad rows: nothing is written, each row's error becomes a
/// field error naming its row, and the whole report goes beside them.
pub fn rows_refused(
    errors: &[huiyuan_shared::catalogue::ImportRowError],
    message: String,
    report: impl serde::Serialize,
) -> crate::error::AppError {
    let fields: Vec<FieldError> = errors
        .iter()
        .map(|error| {
            FieldError::new(
                &error.field,
                &error.code,
                format!("第{}行：{}", error.row, error.message),
            )
        })
        .collect();
    crate::error::AppError::Refused {
        status: axum::http::StatusCode::BAD_REQUEST,
        code: huiyuan_shared::api::error_code::INVALID_INPUT,
        message,
        details: serde_json::json!({ "fields": fields, "report": report }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_numbers_and_dates_read_as_typed() {
        assert_eq!(cell_text(&Data::Float(6901234567892.0)), "6901234567892");
        assert_eq!(cell_text(&Data::Float(12.5)), "12.5");
        assert_eq!(cell_text(&Data::Int(3)), "3");
        assert_eq!(excel_date(33_000.0).as_deref(), Some("1990-05-07"));
        assert_eq!(excel_date(45_000.5).as_deref(), Some("2023-03-15 12:00"));
    }

    #[test]
    fn a_file_over_the_row_limit_is_refused() {
        let text = "a\n1\n2\n3\n";
        assert_eq!(
            read_table(text.as_bytes(), None, 3).expect("3 rows").len(),
            4
        );
        assert_eq!(
            read_table(text.as_bytes(), None, 2)
                .expect_err("too many")
                .fields[0]
                .code,
            "too_many_rows"
        );
    }
}
