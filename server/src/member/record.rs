//! The member record: entering a member, reading it, editing it within what the editor
//! may change, changing the member number, archiving and restoring.

use super::{classes, fields, numbers};
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::principal::parse_id;
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use huiyuan_shared::member::{
    name_grams, Classification, MemberDraft, MemberPatch, MemberRecord, MemberStatus, Profile,
    DUPLICATE_PHONE,
};
use huiyuan_shared::validate::{normalize_mobile, normalize_name};
use huiyuan_shared::{FieldError, MemberId, StoreId};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Who is changing a member record: staff may change every field, the member only the
/// general ones.
#[derive(Clone, Copy, Debug)]
pub enum MemberEditor<'a> {
    Staff(&'a StaffPrincipal),
    Member(MemberId),
}

impl MemberEditor<'_> {
    fn actor(&self) -> Actor {
        match self {
            MemberEditor::Staff(staff) => Actor::staff(staff),
            MemberEditor::Member(id) => Actor::Member {
                id: id.to_string(),
                name: id.to_string(),
            },
        }
    }
}

/// A member about to be inserted, already checked.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub name: String,
    pub phone: String,
    pub store_id: Option<StoreId>,
    pub profile: Profile,
    pub classification: Classification,
    pub channel: String,
    pub status: MemberStatus,
    pub referred_by: Option<MemberId>,
    pub password_hash: Option<String>,
}

/// Checks a staff member's draft: name, phone, profile values, classification and the
/// referrer's code. Every problem is reported at once.
pub async fn check_draft(
    connection: &mut AnyConnection,
    draft: &MemberDraft,
    default_store: Option<StoreId>,
) -> Result<NewMember, AppError> {
    let mut errors = huiyuan_shared::ValidationErrors::default();
    let name = normalize_name("name", &draft.name).map_err(|e| errors.fields.push(e));
    let phone = normalize_mobile("phone", &draft.phone).map_err(|e| errors.fields.push(e));
    let channel = draft.channel.clone().unwrap_or_else(|| "store".to_owned());
    if !["store", "hq", "call_centre"].contains(&channel.as_str()) {
        errors.fields.push(FieldError::new(
            "channel",
            "invalid_channel",
            "登记渠道应为 store、hq 或 call_centre",
        ));
    }
    let defs = fields::list(connection).await?;
    let mut profile = Profile::new();
    if let Err(AppError::Invalid(invalid)) =
        fields::apply_changes(&defs, &mut profile, &draft.profile, false)
    {
        errors.fields.extend(invalid.fields);
    }
    if let Err(AppError::Invalid(invalid)) = fields::check_required(&defs, &profile) {
        errors.fields.extend(invalid.fields);
    }
    if let Err(AppError::Invalid(invalid)) = classes::check(connection, &draft.classification).await
    {
        errors.fields.extend(invalid.fields);
    }
    let referred_by = match draft.referral_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => match by_referral_code(connection, code).await? {
            Some(referrer) => Some(referrer),
            None => {
                errors.fields.push(FieldError::new(
                    "referral_code",
                    "unknown_referral_code",
                    "推荐码不存在",
                ));
                None
            }
        },
    };
    if let Ok(phone) = &phone {
        if phone_taken(connection, phone, None).await? {
            errors.fields.push(duplicate_phone());
        }
    }
    errors.into_result().map_err(AppError::Invalid)?;
    Ok(NewMember {
        name: name.unwrap_or_default(),
        phone: phone.unwrap_or_default(),
        store_id: draft.store_id.or(default_store),
        profile,
        classification: draft.classification.clone(),
        channel,
        status: MemberStatus::Active,
        referred_by,
        password_hash: None,
    })
}

fn duplicate_phone() -> FieldError {
    FieldError::new("phone", DUPLICATE_PHONE, "该手机号已是会员")
}

/// Whether another member (archived ones included) has this phone number.
pub async fn phone_taken(
    connection: &mut AnyConnection,
    phone: &str,
    except: Option<MemberId>,
) -> Result<bool, AppError> {
    let row = sqlx::query("SELECT id FROM members WHERE phone = $1")
        .bind(phone)
        .fetch_optional(&mut *connection)
        .await?;
    Ok(match row {
        Some(row) => except.map(|id| id.to_string()) != Some(row.try_get("id")?),
        None => false,
    })
}

/// The member whose referral code this is, if a formal member.
pub async fn by_referral_code(
    connection: &mut AnyConnection,
    code: &str,
) -> Result<Option<MemberId>, AppError> {
    let row = sqlx::query("SELECT id FROM members WHERE referral_code = $1 AND status = 'active'")
        .bind(code.trim())
        .fetch_optional(&mut *connection)
        .await?;
    Ok(match row {
        Some(row) => Some(parse_id(row.try_get("id")?)?),
        None => None,
    })
}

/// Inserts a checked member with the next member number, its name fragments and an
/// audit event. The member's own member number is their referral code.
pub async fn insert(
    connection: &mut AnyConnection,
    actor: &Actor,
    new: &NewMember,
) -> Result<(MemberId, String), AppError> {
    let id = MemberId::new();
    let member_no = numbers::next_member_no(connection).await?;
    let now = now_ms();
    let approved_at = (new.status == MemberStatus::Active).then_some(now);
    let profile = serde_json::to_string(&new.profile).map_err(anyhow::Error::from)?;
    let inserted = sqlx::query(
        "INSERT INTO members (id, member_no, name, phone, password_hash, level_name, store_id, \
         created_at, updated_at, status, level_id, level_since, profile, frequency_class, \
         type_class, region_class, phone_tail, registered_via, referral_code, referred_by, \
         approved_at) \
         VALUES ($1, $2, $3, $4, $5, (SELECT name FROM member_levels WHERE id = 'standard'), $6, \
         $7, $7, $8, 'standard', $7, $9, $10, $11, $12, $13, $14, $2, $15, $16)",
    )
    .bind(id.to_string())
    .bind(&member_no)
    .bind(&new.name)
    .bind(&new.phone)
    .bind(new.password_hash.clone())
    .bind(new.store_id.map(|id| id.to_string()))
    .bind(now)
    .bind(new.status.code())
    .bind(profile)
    .bind(new.classification.frequency.clone())
    .bind(new.classification.r#type.clone())
    .bind(new.classification.region.clone())
    .bind(phone_tail(&new.phone))
    .bind(&new.channel)
    .bind(new.referred_by.map(|id| id.to_string()))
    .bind(approved_at)
    .execute(&mut *connection)
    .await;
    if let Err(error) = inserted {
        return Err(match crate::catalogue::unique_violation(&error) {
            Some(what) if what.contains("phone") => AppError::field(duplicate_phone()),
            _ => error.into(),
        });
    }
    index_name(connection, &id, &new.name).await?;
    let mut event = AuditEvent::new(actor, "member.create", "member");
    event.entity_id = Some(id.to_string());
    event.store_id = new.store_id;
    event.after = Some(json!({
        "member_no": member_no, "name": new.name, "channel": new.channel,
        "status": new.status.code(),
    }));
    audit::record(connection, event).await?;
    Ok((id, member_no))
}

/// The last four digits of a phone number, which the counter most often types.
pub fn phone_tail(phone: &str) -> String {
    let start = phone.len().saturating_sub(4);
    phone.get(start..).unwrap_or_default().to_owned()
}

/// Replaces the member's name fragments.
pub async fn index_name(
    connection: &mut AnyConnection,
    id: &MemberId,
    name: &str,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM member_name_grams WHERE member_id = $1")
        .bind(id.to_string())
        .execute(&mut *connection)
        .await?;
    let grams = name_grams(name);
    if grams.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO member_name_grams (gram, member_id) VALUES ");
    for index in 0..grams.len() {
        if index > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${})", index * 2 + 1, index * 2 + 2));
    }
    let mut query = sqlx::query(&sql);
    for gram in &grams {
        query = query.bind(gram.clone()).bind(id.to_string());
    }
    query.execute(&mut *connection).await?;
    Ok(())
}

/// The member's record, or `None`.
pub async fn load(
    connection: &mut AnyConnection,
    id: MemberId,
) -> Result<Option<MemberRecord>, AppError> {
    let row = sqlx::query(
        "SELECT m.id, m.member_no, m.name, m.phone, m.status, m.level_id, l.name AS level_name, \
         m.level_expires_at, m.store_id, m.profile, m.frequency_class, m.type_class, \
         m.region_class, m.registered_via, m.referral_code, m.referred_by, m.frozen_at, \
         m.pin_hash, m.created_at, m.approved_at, m.archived_at, m.merged_into \
         FROM members m JOIN member_levels l ON l.id = m.level_id WHERE m.id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let status: String = row.try_get("status")?;
    let profile: String = row.try_get("profile")?;
    let optional_id = |column: &str| -> Result<Option<MemberId>, AppError> {
        let value: Option<String> = row.try_get(column)?;
        Ok(match value {
            Some(value) => Some(parse_id(value)?),
            None => None,
        })
    };
    let store_id: Option<String> = row.try_get("store_id")?;
    Ok(Some(MemberRecord {
        id,
        member_no: row.try_get("member_no")?,
        name: row.try_get("name")?,
        phone: row.try_get("phone")?,
        status: MemberStatus::from_code(&status)
            .ok_or_else(|| anyhow::anyhow!("member status {status}"))?,
        level_id: row.try_get("level_id")?,
        level_name: row.try_get("level_name")?,
        level_expires_at: row
            .try_get::<Option<i64>, _>("level_expires_at")?
            .map(ms_to_rfc3339),
        store_id: match store_id {
            Some(store) => Some(parse_id(store)?),
            None => None,
        },
        profile: serde_json::from_str(&profile).map_err(anyhow::Error::from)?,
        classification: Classification {
            frequency: row.try_get("frequency_class")?,
            r#type: row.try_get("type_class")?,
            region: row.try_get("region_class")?,
        },
        registered_via: row.try_get("registered_via")?,
        referral_code: row.try_get("referral_code")?,
        referred_by: optional_id("referred_by")?,
        frozen: row.try_get::<Option<i64>, _>("frozen_at")?.is_some(),
        has_pin: row.try_get::<Option<String>, _>("pin_hash")?.is_some(),
        created_at: ms_to_rfc3339(row.try_get("created_at")?),
        approved_at: row
            .try_get::<Option<i64>, _>("approved_at")?
            .map(ms_to_rfc3339),
        archived_at: row
            .try_get::<Option<i64>, _>("archived_at")?
            .map(ms_to_rfc3339),
        merged_into: optional_id("merged_into")?,
    }))
}

/// Loads a member that must exist (404 otherwise).
pub async fn existing(
    connection: &mut AnyConnection,
    id: MemberId,
) -> Result<MemberRecord, AppError> {
    load(connection, id).await?.ok_or(AppError::NotFound)
}

/// Applies a change: staff may change anything, a member only general profile fields (a
/// protected field, the name, phone or classification is refused and nothing is
/// written). Returns the record as it now stands.
pub async fn patch(
    connection: &mut AnyConnection,
    editor: MemberEditor<'_>,
    id: MemberId,
    patch: &MemberPatch,
) -> Result<MemberRecord, AppError> {
    let before = existing(connection, id).await?;
    if matches!(before.status, MemberStatus::Merged) {
        return Err(AppError::field(FieldError::new(
            "member_id",
            "member_merged",
            "该会员已合并到另一会员，请修改合并后的会员",
        )));
    }
    let by_member = matches!(editor, MemberEditor::Member(_));
    let mut errors = huiyuan_shared::ValidationErrors::default();
    if by_member {
        for (field, named) in [
            ("name", patch.name.is_some()),
            ("phone", patch.phone.is_some()),
            ("classification", patch.classification.is_some()),
        ] {
            if named {
                errors.fields.push(FieldError::new(
                    field,
                    huiyuan_shared::member::PROTECTED_FIELD,
                    "这一项只能由门店或总部修改",
                ));
            }
        }
    }
    let name = patch
        .name
        .as_deref()
        .map(|name| normalize_name("name", name))
        .transpose()
        .map_err(|e| errors.fields.push(e))
        .ok()
        .flatten();
    let phone = patch
        .phone
        .as_deref()
        .map(|phone| normalize_mobile("phone", phone))
        .transpose()
        .map_err(|e| errors.fields.push(e))
        .ok()
        .flatten();
    if let Some(phone) = &phone {
        if phone_taken(connection, phone, Some(id)).await? {
            errors.fields.push(duplicate_phone());
        }
    }
    let defs = fields::list(connection).await?;
    let mut profile = before.profile.clone();
    if let Err(AppError::Invalid(invalid)) =
        fields::apply_changes(&defs, &mut profile, &patch.profile, by_member)
    {
        errors.fields.extend(invalid.fields);
    }
    if let Some(classification) = &patch.classification {
        if let Err(AppError::Invalid(invalid)) = classes::check(connection, classification).await {
            errors.fields.extend(invalid.fields);
        }
    }
    errors.into_result().map_err(AppError::Invalid)?;

    let name = name.unwrap_or_else(|| before.name.clone());
    let phone = phone.unwrap_or_else(|| before.phone.clone());
    let classification = patch
        .classification
        .clone()
        .unwrap_or_else(|| before.classification.clone());
    let updated = sqlx::query(
        "UPDATE members SET name = $2, phone = $3, phone_tail = $4, profile = $5, \
         frequency_class = $6, type_class = $7, region_class = $8, updated_at = $9 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(&name)
    .bind(&phone)
    .bind(phone_tail(&phone))
    .bind(serde_json::to_string(&profile).map_err(anyhow::Error::from)?)
    .bind(classification.frequency.clone())
    .bind(classification.r#type.clone())
    .bind(classification.region.clone())
    .bind(now_ms())
    .execute(&mut *connection)
    .await;
    if let Err(error) = updated {
        return Err(match crate::catalogue::unique_violation(&error) {
            Some(what) if what.contains("phone") => AppError::field(duplicate_phone()),
            _ => error.into(),
        });
    }
    if name != before.name {
        index_name(connection, &id, &name).await?;
    }
    let after = existing(connection, id).await?;
    let actor = editor.actor();
    let mut event = AuditEvent::new(&actor, "member.update", "member");
    event.entity_id = Some(id.to_string());
    event.store_id = before.store_id;
    event.before = Some(audit_view(&before));
    event.after = Some(audit_view(&after));
    audit::record(connection, event).await?;
    Ok(after)
}

/// What the audit log keeps of a record: the phone only masked.
fn audit_view(record: &MemberRecord) -> serde_json::Value {
    json!({
        "name": record.name,
        "phone": huiyuan_shared::api::mask_mobile(&record.phone),
        "member_no": record.member_no,
        "status": record.status.code(),
        "profile": record.profile,
        "classification": record.classification,
    })
}

/// Gives the member a new member number (更改编号): digits with a valid check digit, not
/// anyone else's. The old number stops finding the member at once.
pub async fn change_number(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    id: MemberId,
    member_no: &str,
) -> Result<MemberRecord, AppError> {
    let member_no = numbers::check_member_no("member_no", member_no).map_err(AppError::field)?;
    let before = existing(connection, id).await?;
    if before.member_no == member_no {
        return Ok(before);
    }
    // Nor anyone's phone: the till reads an 11-digit number as either.
    let taken = sqlx::query("SELECT id FROM members WHERE member_no = $1 OR phone = $1")
        .bind(&member_no)
        .fetch_optional(&mut *connection)
        .await?;
    let card_taken = sqlx::query("SELECT card_no FROM member_cards WHERE card_no = $1")
        .bind(&member_no)
        .fetch_optional(&mut *connection)
        .await?;
    if taken.is_some() || card_taken.is_some() {
        return Err(AppError::field(FieldError::new(
            "member_no",
            "member_no_taken",
            "该编号已被使用",
        )));
    }
    sqlx::query("UPDATE members SET member_no = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(&member_no)
        .bind(now_ms())
        .execute(&mut *connection)
        .await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "member.change_number", "member");
    event.entity_id = Some(id.to_string());
    event.store_id = before.store_id;
    event.before = Some(json!({ "member_no": before.member_no }));
    event.after = Some(json!({ "member_no": member_no }));
    audit::record(connection, event).await?;
    existing(connection, id).await
}

/// Moves a formal member to the archive (历史档案) or restores one. An archived member is
/// not found by the counter's search and cannot buy until restored.
pub async fn set_archived(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    id: MemberId,
    archived: bool,
) -> Result<MemberRecord, AppError> {
    let before = existing(connection, id).await?;
    let (from, to) = if archived {
        (MemberStatus::Active, MemberStatus::Archived)
    } else {
        (MemberStatus::Archived, MemberStatus::Active)
    };
    if before.status == to {
        return Ok(before);
    }
    if before.status != from {
        return Err(AppError::field(FieldError::new(
            "status",
            "wrong_status",
            if archived {
                "只有正式会员可以归档"
            } else {
                "只有已归档的会员可以恢复"
            },
        )));
    }
    let now = now_ms();
    sqlx::query("UPDATE members SET status = $2, archived_at = $3, updated_at = $4 WHERE id = $1")
        .bind(id.to_string())
        .bind(to.code())
        .bind(archived.then_some(now))
        .bind(now)
        .execute(&mut *connection)
        .await?;
    let actor = Actor::staff(staff);
    let action = if archived {
        "member.archive"
    } else {
        "member.restore"
    };
    let mut event = AuditEvent::new(&actor, action, "member");
    event.entity_id = Some(id.to_string());
    event.store_id = before.store_id;
    audit::record(connection, event).await?;
    existing(connection, id).await
}
