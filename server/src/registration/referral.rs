//! Referral points: when a referred member becomes formal, the member who referred them
//! earns the points the rule set names, posted through the ledger as one command,
//! `referral:<referred member id>`. The command row is claimed first (`ON CONFLICT DO
//! NOTHING`), so whichever path makes the member formal — approval, staff entry, a
//! registration that needs no approval — and however often or at once it runs, the
//! referrer is paid once.

use crate::audit::{self, Actor, AuditEvent};
use crate::db::now_ms;
use crate::error::AppError;
use crate::ledger::commands::request_hash;
use crate::ledger::{self, expiry, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::sale;
use huiyuan_shared::MemberId;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// The command kind referral credits are stored under.
const COMMAND_KIND: &str = "referral";

/// The command id of the referral credit for a referred member.
pub fn command_id(member_id: MemberId) -> String {
    format!("referral:{member_id}")
}

/// Pays the referrer of `member_id` if they have one and the rules name points, inside
/// the caller's transaction; returns the points paid now (0 when none were due or an
/// earlier call paid them).
pub async fn credit(
    connection: &mut AnyConnection,
    actor: &Actor,
    member_id: MemberId,
) -> Result<i64, AppError> {
    let row = sqlx::query(
        "SELECT m.member_no, m.referred_by, r.status AS referrer_status, \
         r.frozen_at AS referrer_frozen_at, r.store_id AS referrer_store \
         FROM members m LEFT JOIN members r ON r.id = m.referred_by WHERE m.id = $1",
    )
    .bind(member_id.to_string())
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(AppError::NotFound)?;
    let Some(referrer) = row.try_get::<Option<String>, _>("referred_by")? else {
        return Ok(0);
    };
    // A referrer who has since been archived, merged away or frozen earns nothing: a
    // frozen member neither spends nor earns, and the others no longer hold an account
    // that should grow.
    let referrer_status: Option<String> = row.try_get("referrer_status")?;
    let frozen = row
        .try_get::<Option<i64>, _>("referrer_frozen_at")?
        .is_some();
    if referrer_status.as_deref() != Some("active") || frozen {
        return Ok(0);
    }
    let rules = sale::current_rules(connection).await?;
    let points = rules.registration.referral_points;
    if points <= 0 {
        return Ok(0);
    }
    let member_no: String = row.try_get("member_no")?;
    let store = match row.try_get::<Option<String>, _>("referrer_store")? {
        Some(store) => store,
        None => head_office(connection).await?,
    };
    let command = command_id(member_id);
    let now = now_ms();
    let response = json!({ "referrer": referrer, "points": points });
    let claimed = sqlx::query(
        "INSERT INTO commands (id, kind, request_hash, response_json, store_id, staff_id, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&command)
    .bind(COMMAND_KIND)
    .bind(request_hash(&json!({ "member_id": member_id })))
    .bind(response.to_string())
    .bind(&store)
    .bind(staff_id(actor))
    .bind(now)
    .execute(&mut *connection)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(0);
    }
    let context = PostingContext {
        command_id: command.clone(),
        store_id: Some(store.clone()),
        staff_id: staff_id(actor),
        device_id: None,
        occurred_at: None,
    };
    let transfer = NewTransfer {
        debit: AccountKey::store_points_issued(&store),
        credit: AccountKey::member_points(&referrer),
        amount: points,
        kind: TransferKind::Referral,
        memo: Some(format!("推荐新会员 {member_no}")),
        points_expire_at: expiry::lot_expires_at(&rules, now),
    };
    ledger::post_transfers(connection, &context, &[transfer])
        .await
        .map_err(AppError::from)?;
    let mut event = AuditEvent::new(actor, "points.referral", "member");
    event.entity_id = Some(referrer);
    event.after = Some(json!({
        "command_id": command, "points": points, "referred_member_no": member_no,
    }));
    audit::record(connection, event).await?;
    Ok(points)
}

fn staff_id(actor: &Actor) -> Option<String> {
    match actor {
        Actor::Staff { id, .. } => Some(id.clone()),
        _ => None,
    }
}

/// The head office, whose points account pays referrers without a home store.
async fn head_office(connection: &mut AnyConnection) -> Result<String, AppError> {
    let row = sqlx::query("SELECT id FROM stores WHERE kind = 'hq' ORDER BY created_at LIMIT 1")
        .fetch_one(&mut *connection)
        .await?;
    Ok(row.try_get("id")?)
}
