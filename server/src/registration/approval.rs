//! HQ's approval queue (待审核): registrants from the phone wait here when the rules ask
//! for approval. Approving makes them formal members, pays their referrer and welcomes
//! them by SMS; rejecting turns them away by SMS and frees their phone number.

use super::referral;
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::principal::parse_id;
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::member::record;
use crate::notify;
use huiyuan_shared::api::mask_mobile;
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::registration::{
    check_reject_reason, Approval, PendingMember, PendingPage, Referrer, PENDING_PAGE_MAX,
};
use huiyuan_shared::{FieldError, MemberId};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// One page of registrants waiting, oldest first: whoever has waited longest is seen first.
pub async fn pending(
    connection: &mut AnyConnection,
    page: u32,
    limit: u32,
) -> Result<PendingPage, AppError> {
    if !(1..=PENDING_PAGE_MAX).contains(&limit) {
        return Err(AppError::field(FieldError::new(
            "limit",
            "out_of_range",
            format!("每页条数应为 1–{PENDING_PAGE_MAX}"),
        )));
    }
    let rows = sqlx::query(
        "SELECT m.id, m.member_no, m.name, m.phone, m.registered_via, m.created_at, \
         r.id AS referrer_id, r.member_no AS referrer_no, r.name AS referrer_name \
         FROM members m LEFT JOIN members r ON r.id = m.referred_by \
         WHERE m.status = 'pending' ORDER BY m.created_at, m.id LIMIT $1 OFFSET $2",
    )
    .bind(i64::from(limit) + 1)
    .bind(i64::from(page) * i64::from(limit))
    .fetch_all(&mut *connection)
    .await?;
    let more = rows.len() > limit as usize;
    let mut members = Vec::with_capacity(rows.len());
    for row in rows.into_iter().take(limit as usize) {
        let phone: String = row.try_get("phone")?;
        let referrer = match row.try_get::<Option<String>, _>("referrer_id")? {
            Some(id) => Some(Referrer {
                id: parse_id(id)?,
                member_no: row.try_get("referrer_no")?,
                name: row.try_get("referrer_name")?,
            }),
            None => None,
        };
        members.push(PendingMember {
            id: parse_id(row.try_get("id")?)?,
            member_no: row.try_get("member_no")?,
            name: row.try_get("name")?,
            phone_masked: mask_mobile(&phone),
            channel: row.try_get("registered_via")?,
            referrer,
            registered_at: ms_to_rfc3339(row.try_get("created_at")?),
        });
    }
    Ok(PendingPage { members, more })
}

fn not_pending() -> AppError {
    AppError::field(FieldError::new(
        "status",
        "wrong_status",
        "只有待审核的会员可以审核",
    ))
}

/// Makes a registrant a formal member. The status moves only from `pending`, by one
/// conditional update, so of two approvals at once one does the work and the other finds
/// it done and answers the record as it stands; the referral credit's own command id
/// guards the points as well.
pub async fn approve(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    id: MemberId,
) -> Result<Approval, AppError> {
    let now = now_ms();
    let updated = sqlx::query(
        "UPDATE members SET status = 'active', approved_at = $2, updated_at = $2 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id.to_string())
    .bind(now)
    .execute(&mut *connection)
    .await?;
    if updated.rows_affected() == 0 {
        let member = record::existing(connection, id).await?;
        return match member.status {
            MemberStatus::Active => Ok(Approval {
                member,
                referral_points: 0,
            }),
            _ => Err(not_pending()),
        };
    }
    let actor = Actor::staff(staff);
    let referral_points = referral::credit(connection, &actor, id).await?;
    let member = record::existing(connection, id).await?;
    notify::enqueue(
        connection,
        notify::Message {
            recipient: &member.phone,
            member_id: Some(id),
            kind: "welcome",
            body: welcome_text(&member.name, &member.member_no),
        },
    )
    .await?;
    let mut event = AuditEvent::new(&actor, "member.approve", "member");
    event.entity_id = Some(id.to_string());
    event.store_id = member.store_id;
    event.before = Some(json!({ "status": "pending" }));
    event.after = Some(json!({ "status": "active", "referral_points": referral_points }));
    audit::record(connection, event).await?;
    Ok(Approval {
        member,
        referral_points,
    })
}

/// The SMS a new formal member gets.
pub fn welcome_text(name: &str, member_no: &str) -> String {
    format!("{name}，欢迎成为我们的会员！您的会员号为 {member_no}，可用手机号登录会员中心。")
}

/// Turns a registrant away. The row is deleted rather than kept with a status: the phone
/// number is unique among members, and a registrant turned away (a typo in the name, a
/// missing detail) must be able to register again with it. What they entered stays in the
/// audit log. Someone who already has ledger history, sales or cards is not a bare
/// registration and is refused (`has_history`); archiving is the way for them.
pub async fn reject(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    id: MemberId,
    reason: &str,
) -> Result<(), AppError> {
    let reason = check_reject_reason(reason).map_err(AppError::field)?;
    let member = record::existing(connection, id).await?;
    if member.status != MemberStatus::Pending {
        return Err(not_pending());
    }
    let history: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM accounts WHERE owner_kind = 'member' AND owner_id = $1) \
         + (SELECT COUNT(*) FROM sales WHERE member_id = $1) \
         + (SELECT COUNT(*) FROM count_cards WHERE member_id = $1) \
         + (SELECT COUNT(*) FROM member_cards WHERE member_id = $1) \
         + (SELECT COUNT(*) FROM members WHERE referred_by = $1 OR merged_into = $1) AS n",
    )
    .bind(id.to_string())
    .fetch_one(&mut *connection)
    .await?
    .try_get("n")?;
    if history > 0 {
        return Err(AppError::field(FieldError::new(
            "member_id",
            "has_history",
            "该会员已有交易或卡记录，不能驳回，请改为归档",
        )));
    }
    let member_id = id.to_string();
    for statement in [
        "DELETE FROM member_name_grams WHERE member_id = $1",
        "DELETE FROM member_level_history WHERE member_id = $1",
        // Messages already queued to them stay in the outbox, no longer tied to a member.
        "UPDATE notifications SET member_id = NULL WHERE member_id = $1",
        "DELETE FROM sessions WHERE subject_kind = 'member' AND subject_id = $1",
    ] {
        sqlx::query(statement)
            .bind(&member_id)
            .execute(&mut *connection)
            .await?;
    }
    // Only while still pending: an approval that got in first wins.
    let deleted = sqlx::query("DELETE FROM members WHERE id = $1 AND status = 'pending'")
        .bind(&member_id)
        .execute(&mut *connection)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(not_pending());
    }
    notify::enqueue(
        connection,
        notify::Message {
            recipient: &member.phone,
            member_id: None,
            kind: "registration_rejected",
            body: format!("您的会员注册未通过审核：{reason}。您可以修改后重新注册。"),
        },
    )
    .await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "member.reject", "member");
    event.entity_id = Some(member_id);
    event.store_id = member.store_id;
    event.before = Some(json!({
        "member_no": member.member_no,
        "name": member.name,
        "phone": mask_mobile(&member.phone),
        "channel": member.registered_via,
        "referred_by": member.referred_by,
        "registered_at": member.created_at,
    }));
    event.after = Some(json!({ "reason": reason }));
    audit::record(connection, event).await?;
    Ok(())
}
