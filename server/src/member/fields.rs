//! The profile's field definitions (MEM-1): the built-in fields and HQ's questionnaire
//! fields, each general (the member may edit it) or protected (staff only).

use crate::db::now_ms;
use crate::error::AppError;
use huiyuan_shared::member::{
    check_field_value, FieldAccess, FieldDef, FieldKind, Profile, PROTECTED_FIELD,
};
use huiyuan_shared::FieldError;
use sqlx::{AnyConnection, Row};

/// Custom fields HQ may define at most.
pub const CUSTOM_FIELDS_MAX: i64 = 100;
/// Choices a `choice` field may offer at most.
pub const CHOICES_MAX: usize = 50;

/// Every field definition, active or not, in display order.
pub async fn list(connection: &mut AnyConnection) -> Result<Vec<FieldDef>, AppError> {
    let rows = sqlx::query(
        "SELECT key, label, kind, choices, access, builtin, required, position, active \
         FROM member_fields ORDER BY position, key",
    )
    .fetch_all(&mut *connection)
    .await?;
    rows.iter().map(field_of_row).collect()
}

fn field_of_row(row: &sqlx::any::AnyRow) -> Result<FieldDef, AppError> {
    let choices: Option<String> = row.try_get("choices")?;
    let kind: String = row.try_get("kind")?;
    let access: String = row.try_get("access")?;
    Ok(FieldDef {
        key: row.try_get("key")?,
        label: row.try_get("label")?,
        kind: FieldKind::from_code(&kind).ok_or_else(|| anyhow::anyhow!("field kind {kind}"))?,
        choices: match choices {
            Some(text) => serde_json::from_str(&text).map_err(anyhow::Error::from)?,
            None => Vec::new(),
        },
        access: FieldAccess::from_code(&access)
            .ok_or_else(|| anyhow::anyhow!("field access {access}"))?,
        builtin: row.try_get::<i64, _>("builtin")? != 0,
        required: row.try_get::<i64, _>("required")? != 0,
        position: row.try_get("position")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

/// Merges `changes` into `current`, checking each value against its definition. A member
/// (`by_member`) may change only general fields; naming a protected one refuses the whole
/// change, so nothing is half-written. Unknown and inactive keys are refused by name.
pub fn apply_changes(
    defs: &[FieldDef],
    current: &mut Profile,
    changes: &Profile,
    by_member: bool,
) -> Result<(), AppError> {
    let mut errors = huiyuan_shared::ValidationErrors::default();
    for (key, value) in changes {
        let Some(def) = defs.iter().find(|def| &def.key == key && def.active) else {
            errors.fields.push(FieldError::new(
                &format!("profile.{key}"),
                "unknown_field",
                "没有这个资料项",
            ));
            continue;
        };
        if by_member && def.access == FieldAccess::Protected {
            errors.fields.push(FieldError::new(
                &format!("profile.{key}"),
                PROTECTED_FIELD,
                format!("{}只能由门店或总部修改", def.label),
            ));
            continue;
        }
        match check_field_value(def, value) {
            Ok(value) if value.is_empty() => {
                current.remove(key);
            }
            Ok(value) => {
                current.insert(key.clone(), value);
            }
            Err(error) => errors.fields.push(error),
        }
    }
    errors.into_result().map_err(AppError::Invalid)
}

/// Checks that every required active field has a value.
pub fn check_required(defs: &[FieldDef], profile: &Profile) -> Result<(), AppError> {
    let mut errors = huiyuan_shared::ValidationErrors::default();
    for def in defs.iter().filter(|def| def.active && def.required) {
        if profile.get(&def.key).is_none_or(|value| value.is_empty()) {
            errors
                .fields
                .push(FieldError::required(&format!("profile.{}", def.key)));
        }
    }
    errors.into_result().map_err(AppError::Invalid)
}

/// Adds a questionnaire field or changes one (built-in fields keep their key and kind).
pub async fn save(connection: &mut AnyConnection, def: &FieldDef) -> Result<FieldDef, AppError> {
    let mut errors = huiyuan_shared::ValidationErrors::default();
    let key_ok = def.key.len() <= 40
        && def.key.starts_with(|c: char| c.is_ascii_lowercase())
        && def
            .key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        errors.fields.push(FieldError::new(
            "key",
            "invalid_key",
            "字段代码应为小写字母开头的字母、数字或下划线，最多 40 个",
        ));
    }
    let label = def.label.trim();
    if label.is_empty() || label.chars().count() > 20 {
        errors.fields.push(FieldError::new(
            "label",
            "invalid_label",
            "名称应为 1–20 个字",
        ));
    }
    let choices: Vec<String> = def
        .choices
        .iter()
        .map(|choice| choice.trim().to_owned())
        .filter(|choice| !choice.is_empty())
        .collect();
    if def.kind == FieldKind::Choice && (choices.is_empty() || choices.len() > CHOICES_MAX) {
        errors.fields.push(FieldError::new(
            "choices",
            "invalid_choices",
            format!("选项应有 1–{CHOICES_MAX} 个"),
        ));
    }
    errors.into_result().map_err(AppError::Invalid)?;
    let choices_json = (def.kind == FieldKind::Choice)
        .then(|| serde_json::to_string(&choices))
        .transpose()
        .map_err(anyhow::Error::from)?;

    let existing = sqlx::query("SELECT kind, builtin FROM member_fields WHERE key = $1")
        .bind(&def.key)
        .fetch_optional(&mut *connection)
        .await?;
    match existing {
        Some(row) => {
            let builtin = row.try_get::<i64, _>("builtin")? != 0;
            let kind: String = row.try_get("kind")?;
            if kind != def.kind.code() {
                return Err(AppError::field(FieldError::new(
                    "kind",
                    "kind_fixed",
                    "已有资料项不能改类型，请新建一项",
                )));
            }
            if builtin && !def.active {
                return Err(AppError::field(FieldError::new(
                    "active",
                    "builtin_field",
                    "系统资料项不能停用",
                )));
            }
            sqlx::query(
                "UPDATE member_fields SET label = $2, choices = $3, access = $4, required = $5, \
                 position = $6, active = $7 WHERE key = $1",
            )
            .bind(&def.key)
            .bind(label)
            .bind(choices_json)
            .bind(def.access.code())
            .bind(i64::from(def.required))
            .bind(def.position)
            .bind(i64::from(def.active))
            .execute(&mut *connection)
            .await?;
        }
        None => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM member_fields WHERE builtin = 0")
                .fetch_one(&mut *connection)
                .await?;
            if row.try_get::<i64, _>("n")? >= CUSTOM_FIELDS_MAX {
                return Err(AppError::field(FieldError::new(
                    "key",
                    "too_many_fields",
                    format!("自订资料项最多 {CUSTOM_FIELDS_MAX} 个"),
                )));
            }
            sqlx::query(
                "INSERT INTO member_fields (key, label, kind, choices, access, builtin, required, \
                 position, active, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9)",
            )
            .bind(&def.key)
            .bind(label)
            .bind(def.kind.code())
            .bind(choices_json)
            .bind(def.access.code())
            .bind(i64::from(def.required))
            .bind(def.position)
            .bind(i64::from(def.active))
            .bind(now_ms())
            .execute(&mut *connection)
            .await?;
        }
    }
    let row = sqlx::query(
        "SELECT key, label, kind, choices, access, builtin, required, position, active \
         FROM member_fields WHERE key = $1",
    )
    .bind(&def.key)
    .fetch_one(&mut *connection)
    .await?;
    field_of_row(&row)
}
