//! Merging a duplicate member into another (合并会员, MEM-6): everything the duplicate
//! holds moves to the survivor by ledger transfers, as one idempotent command
//! `merge:<duplicate id>`: principal and bonus as they are, points lot by lot so each keeps
//! its expiry. The duplicate's live cards (active, lost, frozen) and count cards move too;
//! the duplicate becomes `merged`, points at the survivor and is archived, and its history
//! (transfers, sales, audit) stays readable under its own id.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::ledger::post::post_transfers_from_lots;
use crate::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::member::record;
use huiyuan_shared::card::{error_code, MemberMergeReceipt, MemberMergeRequest};
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::{FieldError, MemberId, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// The command id of merging this duplicate: a duplicate is merged once, into one member.
pub fn command_id(duplicate: MemberId) -> String {
    format!("merge:{duplicate}")
}

const MEMO: &str = "合并会员";

/// Checks both members before anything moves; every problem is reported at once.
async fn check(
    connection: &mut AnyConnection,
    request: &MemberMergeRequest,
) -> Result<(), AppError> {
    let mut errors = ValidationErrors::default();
    if request.survivor_id == request.duplicate_id {
        errors.fields.push(FieldError::new(
            "duplicate_id",
            "same_member",
            "不能把会员合并到自己",
        ));
    }
    for (field, id, survivor) in [
        ("survivor_id", request.survivor_id, true),
        ("duplicate_id", request.duplicate_id, false),
    ] {
        match record::load(connection, id).await? {
            None => errors
                .fields
                .push(FieldError::new(field, "unknown_member", "会员不存在")),
            Some(member) if member.status == MemberStatus::Merged => errors.fields.push(
                FieldError::new(field, error_code::MEMBER_MERGED, "该会员已合并到另一会员"),
            ),
            // Merging would move a frozen member's value where it can be spent.
            Some(member) if member.frozen => errors.fields.push(FieldError::new(
                field,
                error_code::MEMBER_FROZEN,
                "该会员已冻结，解冻后才能合并",
            )),
            Some(member) if survivor && member.status == MemberStatus::Archived => {
                errors.fields.push(FieldError::new(
                    field,
                    error_code::MEMBER_ARCHIVED,
                    "保留的会员已归档，请先恢复",
                ))
            }
            Some(_) => {}
        }
    }
    errors.into_result().map_err(AppError::Invalid)
}

/// Carries out a merge inside the writer's transaction.
pub async fn merge(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    request: &MemberMergeRequest,
    reason: String,
) -> Result<MemberMergeReceipt, AppError> {
    let duplicate = request.duplicate_id.to_string();
    let survivor = request.survivor_id.to_string();
    // Both member rows are locked, always in the same order, before they are checked: two
    // merges at once (A into B while B goes into C, or A into B and B into A) then run one
    // after the other and the second sees what the first did.
    let mut both = [duplicate.clone(), survivor.clone()];
    both.sort();
    for id in &both {
        sqlx::query("UPDATE members SET updated_at = updated_at WHERE id = $1")
            .bind(id)
            .execute(&mut *connection)
            .await?;
    }
    check(connection, request).await?;
    // Lock the duplicate's accounts first: a sale spending them at this moment waits, so
    // what moves is exactly what they hold.
    sqlx::query(
        "UPDATE accounts SET balance = balance WHERE owner_kind = 'member' AND owner_id = $1",
    )
    .bind(&duplicate)
    .execute(&mut *connection)
    .await?;
    let moved = ledger::member_balances(connection, &duplicate).await?;
    let mut transfers: Vec<(NewTransfer, Option<String>)> = Vec::new();
    let mut push = |debit, credit, amount: i64, lot: Option<(String, i64)>| {
        if amount > 0 {
            let (lot, expires) = lot.unzip();
            transfers.push((
                NewTransfer {
                    debit,
                    credit,
                    amount,
                    kind: TransferKind::Transfer,
                    memo: Some(MEMO.to_owned()),
                    points_expire_at: expires,
                },
                lot,
            ));
        }
    };
    push(
        AccountKey::member_principal(&duplicate),
        AccountKey::member_principal(&survivor),
        moved.principal_fen,
        None,
    );
    push(
        AccountKey::member_bonus(&duplicate),
        AccountKey::member_bonus(&survivor),
        moved.bonus_fen,
        None,
    );
    let lots = sqlx::query(
        "SELECT id, remaining, expires_at FROM points_lots WHERE account_id = $1 AND remaining > 0 \
         ORDER BY expires_at, id",
    )
    .bind(AccountKey::member_points(&duplicate).id())
    .fetch_all(&mut *connection)
    .await?;
    let lots_moved = lots.len() as i64;
    for lot in lots {
        push(
            AccountKey::member_points(&duplicate),
            AccountKey::member_points(&survivor),
            lot.try_get("remaining")?,
            Some((lot.try_get("id")?, lot.try_get("expires_at")?)),
        );
    }
    // No store: a lot moved here lapses, if unspent, to the survivor's home store.
    let context = PostingContext {
        command_id: command_id(request.duplicate_id),
        store_id: None,
        staff_id: Some(staff.id.to_string()),
        device_id: None,
        occurred_at: None,
    };
    post_transfers_from_lots(connection, &context, &transfers).await?;

    let now = now_ms();
    let cards = sqlx::query(
        "UPDATE member_cards SET member_id = $2, updated_at = $3 \
         WHERE member_id = $1 AND state IN ('active', 'lost', 'frozen') RETURNING card_no",
    )
    .bind(&duplicate)
    .bind(&survivor)
    .bind(now)
    .fetch_all(&mut *connection)
    .await?
    .iter()
    .map(|row| row.try_get("card_no"))
    .collect::<Result<Vec<String>, _>>()?;
    let count_cards = sqlx::query("UPDATE count_cards SET member_id = $2 WHERE member_id = $1")
        .bind(&duplicate)
        .bind(&survivor)
        .execute(&mut *connection)
        .await?
        .rows_affected() as i64;
    sqlx::query(
        "UPDATE members SET status = 'merged', merged_into = $2, archived_at = $3, updated_at = $3 \
         WHERE id = $1 AND status <> 'merged'",
    )
    .bind(&duplicate)
    .bind(&survivor)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    // The duplicate's phone may belong to someone else by now: its sessions end here.
    sqlx::query("DELETE FROM sessions WHERE subject_kind = 'member' AND subject_id = $1")
        .bind(&duplicate)
        .execute(&mut *connection)
        .await?;
    let balances = ledger::member_balances(connection, &survivor).await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "member.merge", "member");
    event.entity_id = Some(duplicate.clone());
    event.before = Some(json!({ "balances": moved }));
    event.after = Some(json!({
        "merged_into": survivor, "reason": reason, "moved": moved, "points_lots": lots_moved,
        "cards": cards, "count_cards": count_cards, "survivor_balances": balances,
    }));
    audit::record(connection, event).await?;
    Ok(MemberMergeReceipt {
        survivor_id: request.survivor_id,
        duplicate_id: request.duplicate_id,
        moved,
        points_lots_moved: lots_moved,
        cards_moved: cards,
        count_cards_moved: count_cards,
        balances,
        recorded_at: ms_to_rfc3339(now),
    })
}
