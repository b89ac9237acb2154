//! Member numbers: a sequence from `number_counters` with a Luhn check digit, so a
//! mistyped digit at the counter is caught before any lookup.

use sqlx::{AnyConnection, Row};

/// The next member number, taken inside the caller's transaction so a rolled-back
/// registration gives its number back.
pub async fn next_member_no(connection: &mut AnyConnection) -> Result<String, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE number_counters SET value = value + 1 WHERE name = 'member_no' RETURNING value",
    )
    .fetch_one(&mut *connection)
    .await?;
    let sequence: i64 = row.try_get("value")?;
    Ok(member_number(sequence as u64))
}

/// A member number: eight digits of sequence and a Luhn check digit.
pub fn member_number(sequence: u64) -> String {
    let body = format!("{sequence:08}");
    format!(
        "{body}{}",
        huiyuan_shared::check_digit::luhn(&body).unwrap_or(0)
    )
}

/// Checks a member number typed by staff: digits with a valid check digit.
pub fn check_member_no(field: &str, text: &str) -> Result<String, huiyuan_shared::FieldError> {
    let text = text.trim();
    if text.len() < 6 || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(huiyuan_shared::FieldError::new(
            field,
            "invalid_member_no",
            "会员编号应为 6–20 位数字",
        ));
    }
    if !huiyuan_shared::check_digit::is_valid(text) {
        return Err(huiyuan_shared::FieldError::new(
            field,
            "bad_check_digit",
            "会员编号校验位不对，请核对",
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_numbers_carry_a_check_digit() {
        let number = member_number(18);
        assert_eq!(number.len(), 9);
        assert!(check_member_no("member_no", &number).is_ok());
        let mut typo = number.into_bytes();
        typo[3] = if typo[3] == b'9' { b'8' } else { typo[3] + 1 };
        let typo = String::from_utf8(typo).expect("digits");
        assert_eq!(
            check_member_no("member_no", &typo)
                .expect_err("a typo")
                .code,
            "bad_check_digit"
        );
    }
}
