//! Input validation whose errors name the field, so the screen can point at it and the
//! API can answer `{code: "invalid_input", details: {fields: [...]}}`.

use serde::{Deserialize, Serialize};

/// The longest personal name accepted, in characters.
pub const NAME_CHARS_MAX: usize = 40;
/// The longest e-mail address accepted, in bytes (RFC 5321).
pub const EMAIL_BYTES_MAX: usize = 254;
/// The longest username accepted, in characters.
pub const USERNAME_CHARS_MAX: usize = 32;
/// The longest password accepted, in bytes; argon2 work is bounded by it.
pub const PASSWORD_BYTES_MAX: usize = 128;
/// The shortest password accepted for a new or changed password.
pub const PASSWORD_CHARS_MIN: usize = 8;

/// One field that failed validation: which field, a stable code, and a message in
/// Simplified Chinese for the person at the screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn required(field: &str) -> Self {
        Self::new(field, "required", "必填")
    }
}

/// Collects every field error of one input, so a form shows all its problems at once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationErrors {
    pub fields: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn check(&mut self, result: Result<(), FieldError>) {
        if let Err(error) = result {
            self.fields.push(error);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// A mainland China mobile number: 11 digits starting with 1 and a second digit 3–9.
/// Spaces, dashes and a leading +86 are accepted and removed.
pub fn normalize_mobile(field: &str, text: &str) -> Result<String, FieldError> {
    let mut digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    if digits.is_empty() {
        return Err(FieldError::required(field));
    }
    if let Some(rest) = digits.strip_prefix("+86") {
        digits = rest.to_owned();
    } else if digits.len() == 13 && digits.starts_with("86") {
        digits = digits[2..].to_owned();
    }
    let bytes = digits.as_bytes();
    let valid = bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1]);
    if valid {
        Ok(digits)
    } else {
        Err(FieldError::new(
            field,
            "invalid_mobile",
            "手机号应为11位数字，以1开头",
        ))
    }
}

/// A person's name: 1–40 characters after trimming, no control characters. Chinese,
/// Latin and minority names with a middle dot (·) are all accepted.
pub fn normalize_name(field: &str, text: &str) -> Result<String, FieldError> {
    let name = text.trim();
    if name.is_empty() {
        return Err(FieldError::required(field));
    }
    if name.chars().count() > NAME_CHARS_MAX {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("不能超过{NAME_CHARS_MAX}个字"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_characters", "含有无效字符"));
    }
    Ok(name.to_owned())
}

/// An e-mail address of a plausible shape: one `@`, a non-empty local part and a domain
/// with a dot. Delivery is what proves an address; this only catches typing mistakes.
pub fn normalize_email(field: &str, text: &str) -> Result<String, FieldError> {
    let email = text.trim();
    if email.is_empty() {
        return Err(FieldError::required(field));
    }
    let invalid = || FieldError::new(field, "invalid_email", "邮箱格式不正确");
    if email.len() > EMAIL_BYTES_MAX || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || !domain_ok {
        return Err(invalid());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// A staff username: 2–32 of ASCII letters, digits, `.`, `_`, `-`; compared lower-case.
pub fn normalize_username(field: &str, text: &str) -> Result<String, FieldError> {
    let name = text.trim().to_lowercase();
    if name.is_empty() {
        return Err(FieldError::required(field));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.len() < 2 || name.len() > USERNAME_CHARS_MAX || !name.chars().all(allowed) {
        return Err(FieldError::new(
            field,
            "invalid_username",
            "用户名为2–32位字母、数字或 . _ -",
        ));
    }
    Ok(name)
}

/// A password given at login: present and of bounded size (it is hashed, never parsed).
pub fn check_password_input(field: &str, text: &str) -> Result<(), FieldError> {
    if text.is_empty() {
        return Err(FieldError::required(field));
    }
    if text.len() > PASSWORD_BYTES_MAX {
        return Err(FieldError::new(field, "too_long", "密码过长"));
    }
    Ok(())
}

/// A new password: at least 8 characters, with a letter and a digit.
pub fn check_new_password(field: &str, text: &str) -> Result<(), FieldError> {
    check_password_input(field, text)?;
    let long_enough = text.chars().count() >= PASSWORD_CHARS_MIN;
    let has_letter = text.chars().any(char::is_alphabetic);
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    if long_enough && has_letter && has_digit {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "weak_password",
            format!("密码至少{PASSWORD_CHARS_MIN}位，且包含字母和数字"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_normalised_or_refused_by_field() {
        assert_eq!(
            normalize_mobile("phone", "138 0013 8000").as_deref(),
            Ok("13800138000")
        );
        assert_eq!(
            normalize_mobile("phone", "+8613800138000").as_deref(),
            Ok("13800138000")
        );
        assert_eq!(
            normalize_mobile("phone", "8613800138000").as_deref(),
            Ok("13800138000")
        );
        let error = normalize_mobile("phone", "12800138000").expect_err("second digit 2");
        assert_eq!(
            (error.field.as_str(), error.code.as_str()),
            ("phone", "invalid_mobile")
        );
        assert!(normalize_mobile("phone", "1380013800").is_err());
        assert!(normalize_mobile("phone", "1380013800a").is_err());
        assert_eq!(
            normalize_mobile("phone", " ").expect_err("empty").code,
            "required"
        );
    }

    #[test]
    fn names_accept_chinese_and_refuse_control_characters() {
        assert_eq!(normalize_name("name", " 张三丰 ").as_deref(), Ok("张三丰"));
        assert_eq!(
            normalize_name("name", "阿依古丽·买买提").as_deref(),
            Ok("阿依古丽·买买提")
        );
        assert_eq!(
            normalize_name("name", "").expect_err("empty").code,
            "required"
        );
        assert_eq!(
            normalize_name("name", "a\u{0}b").expect_err("nul").code,
            "invalid_characters"
        );
        let long = "张".repeat(NAME_CHARS_MAX + 1);
        assert_eq!(
            normalize_name("name", &long).expect_err("long").code,
            "too_long"
        );
    }

    #[test]
    fn emails_of_plausible_shape() {
        assert_eq!(
            normalize_email("email", "Li@Example.COM").as_deref(),
            Ok("Li@example.com")
        );
        for bad in [
            "li",
            "li@",
            "@example.com",
            "li@example",
            "li@@example.com",
            "l i@example.com",
            "li@.com",
        ] {
            assert!(
                normalize_email("email", bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn usernames_and_passwords() {
        assert_eq!(
            normalize_username("username", " Admin ").as_deref(),
            Ok("admin")
        );
        assert!(normalize_username("username", "a").is_err());
        assert!(normalize_username("username", "张三").is_err());
        assert!(check_new_password("password", "demo1234").is_ok());
        assert_eq!(
            check_new_password("password", "12345678")
                .expect_err("no letter")
                .code,
            "weak_password"
        );
        assert_eq!(
            check_password_input("password", "")
                .expect_err("empty")
                .code,
            "required"
        );
    }
}
