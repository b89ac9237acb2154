//! A member card's life (CARD-2): issued (办卡) from stock or as a virtual number, reissued
//! (补卡) or replaced (换卡) by a new card while the old one stops working at once, reported
//! lost and found (挂失/取消挂失), frozen and unfrozen (冻结/解冻), transferred to another
//! member (转卡), closed (退卡) with the member's principal refunded. Each change is audited
//! and refuses a card in the wrong state with that state's code.

use super::{find, lock, named_for_change, numbers, refusal, state_refusal, view, Card};
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::now_ms;
use crate::error::AppError;
use crate::giftcard::node_in_scope;
use crate::ledger;
use crate::member::record;
use crate::stored_value::withdrawal::{self, CheckedWithdrawal};
use huiyuan_shared::card::{
    error_code, CardCloseReceipt, CardCloseRequest, CardIssueRequest, CardKind, CardReplaceRequest,
    CardReplaced, CardState, CardTransferRequest, MemberCardView, VIRTUAL_CARD_PREFIX,
};
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::value::Tender;
use huiyuan_shared::withdrawal::WithdrawalRequest;
use huiyuan_shared::{FieldError, MemberId, StoreId};
use serde_json::json;
use sqlx::AnyConnection;

/// Rounds of fresh numbers for a virtual card whose number was taken; with eleven random
/// digits a second round is already rare.
const NUMBER_ROUNDS_MAX: usize = 20;

/// The member a card is issued or transferred to must exist and be able to hold a card.
async fn holder(connection: &mut AnyConnection, member_id: MemberId) -> Result<(), AppError> {
    let member = record::load(connection, member_id).await?.ok_or_else(|| {
        AppError::field(FieldError::new("member_id", "unknown_member", "会员不存在"))
    })?;
    match member.status {
        MemberStatus::Merged => Err(refusal(
            "member_id",
            error_code::MEMBER_MERGED,
            "该会员已合并到另一会员",
        )),
        MemberStatus::Archived => Err(refusal(
            "member_id",
            error_code::MEMBER_ARCHIVED,
            "该会员已归档",
        )),
        MemberStatus::Active | MemberStatus::Pending => Ok(()),
    }
}

/// Takes a stock card held at `store_id` for `member`: it must be in stock and kept at
/// that store. Answers the card number.
async fn take_from_stock(
    connection: &mut AnyConnection,
    text: &str,
    member: MemberId,
    store_id: StoreId,
    now: i64,
) -> Result<String, AppError> {
    let card = named_for_change(connection, "card_no", text).await?;
    lock(connection, &card.card_no).await?;
    if card.state != CardState::InStock {
        return Err(refusal(
            "card_no",
            "card_not_in_stock",
            "该卡已发出，不能再用来办卡",
        ));
    }
    if card.location_id != Some(store_id) {
        return Err(refusal(
            "card_no",
            error_code::CARD_NOT_HERE,
            "该卡不在本店库存中",
        ));
    }
    let taken = sqlx::query(
        "UPDATE member_cards SET member_id = $2, state = 'active', store_id = $3, location_id = $3, \
         issued_at = $4, updated_at = $4 WHERE card_no = $1 AND state = 'in_stock'",
    )
    .bind(&card.card_no)
    .bind(member.to_string())
    .bind(store_id.to_string())
    .bind(now)
    .execute(&mut *connection)
    .await?;
    if taken.rows_affected() != 1 {
        return Err(refusal(
            "card_no",
            "card_not_in_stock",
            "该卡已发出，不能再用来办卡",
        ));
    }
    Ok(card.card_no)
}

/// Makes a new virtual card for `member`, issued at `store_id`.
async fn new_virtual(
    connection: &mut AnyConnection,
    member: MemberId,
    store_id: StoreId,
    kind: CardKind,
    now: i64,
) -> Result<String, AppError> {
    for _ in 0..NUMBER_ROUNDS_MAX {
        let card_no = numbers::new_card_no(VIRTUAL_CARD_PREFIX);
        let inserted = sqlx::query(
            "INSERT INTO member_cards (card_no, member_id, medium, state, store_id, location_id, \
             issued_at, created_at, updated_at, kind) \
             VALUES ($1, $2, 'virtual', 'active', $3, $3, $4, $4, $4, $5) \
             ON CONFLICT (card_no) DO NOTHING RETURNING card_no",
        )
        .bind(&card_no)
        .bind(member.to_string())
        .bind(store_id.to_string())
        .bind(now)
        .bind(kind.code())
        .fetch_optional(&mut *connection)
        .await?;
        if inserted.is_some() {
            return Ok(card_no);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free virtual card number after {NUMBER_ROUNDS_MAX} rounds"
    )))
}

fn audit_event<'a>(actor: &'a Actor, action: &'a str, card: &Card) -> AuditEvent<'a> {
    let mut event = AuditEvent::new(actor, action, "member_card");
    event.entity_id = Some(card.card_no.clone());
    event.store_id = card.store_id.or(card.location_id);
    event
}

/// 办卡: binds a stock card held at the store, or a new virtual card, to a member.
pub async fn issue(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    request: &CardIssueRequest,
) -> Result<MemberCardView, AppError> {
    node_in_scope(connection, staff, request.store_id).await?;
    holder(connection, request.member_id).await?;
    let now = now_ms();
    let card_no = match request.card_no.as_deref() {
        Some(text) => {
            take_from_stock(connection, text, request.member_id, request.store_id, now).await?
        }
        None => {
            let kind = request.kind.unwrap_or_default();
            new_virtual(connection, request.member_id, request.store_id, kind, now).await?
        }
    };
    let card = find(connection, &card_no)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = Actor::staff(staff);
    let mut event = audit_event(&actor, "card.issue", &card);
    event.after = Some(json!({
        "member_id": request.member_id, "medium": card.medium.code(), "kind": card.kind.code(),
        "store_id": request.store_id,
    }));
    audit::record(connection, event).await?;
    view(connection, &card_no).await
}

/// Whether a new card takes a lost card's place (补卡) or a worn one's (换卡); the effect is
/// the same, the audit trail says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replacement {
    Reissue,
    Replace,
}

/// 补卡 / 换卡: a new card (from the store's stock, or virtual) takes the old card's place.
/// The old card is `replaced` and stops identifying the member at once; balances stay,
/// since they are the member's.
pub async fn replace(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    old_card_no: &str,
    request: &CardReplaceRequest,
    how: Replacement,
) -> Result<CardReplaced, AppError> {
    node_in_scope(connection, staff, request.store_id).await?;
    let old = named_for_change(connection, "card_no", old_card_no).await?;
    lock(connection, &old.card_no).await?;
    if !matches!(old.state, CardState::Active | CardState::Lost) {
        return Err(state_refusal("card_no", &old).unwrap_or(AppError::NotFound));
    }
    let member = old.member_id.ok_or(AppError::NotFound)?;
    let now = now_ms();
    let new_no = match request.card_no.as_deref() {
        Some(text) => take_from_stock(connection, text, member, request.store_id, now).await?,
        None => new_virtual(connection, member, request.store_id, old.kind, now).await?,
    };
    sqlx::query(
        "UPDATE member_cards SET state = 'replaced', replaced_by = $2, updated_at = $3 \
         WHERE card_no = $1",
    )
    .bind(&old.card_no)
    .bind(&new_no)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    let action = match how {
        Replacement::Reissue => "card.reissue",
        Replacement::Replace => "card.replace",
    };
    let actor = Actor::staff(staff);
    let mut event = audit_event(&actor, action, &old);
    event.before = Some(json!({ "state": old.state.code(), "member_id": member }));
    event.after = Some(json!({
        "state": CardState::Replaced.code(), "replaced_by": new_no, "reason": request.reason,
        "store_id": request.store_id,
    }));
    audit::record(connection, event).await?;
    Ok(CardReplaced {
        old: view(connection, &old.card_no).await?,
        new: view(connection, &new_no).await?,
    })
}

/// A change of a card's state that needs no new card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateChange {
    /// 挂失: active → lost.
    ReportLost,
    /// 取消挂失: lost → active.
    Found,
    /// 冻结: active → frozen.
    Freeze,
    /// 解冻: frozen → active.
    Unfreeze,
}

impl StateChange {
    fn path(self) -> (CardState, CardState, &'static str) {
        match self {
            StateChange::ReportLost => (CardState::Active, CardState::Lost, "card.report_lost"),
            StateChange::Found => (CardState::Lost, CardState::Active, "card.found"),
            StateChange::Freeze => (CardState::Active, CardState::Frozen, "card.freeze"),
            StateChange::Unfreeze => (CardState::Frozen, CardState::Active, "card.unfreeze"),
        }
    }
}

/// Reports a card lost or found, freezes or unfreezes it. Doing what is already done
/// changes nothing and records nothing; any other state is refused with its code.
pub async fn change_state(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    card_no: &str,
    change: StateChange,
    reason: Option<String>,
) -> Result<MemberCardView, AppError> {
    let card = named_for_change(connection, "card_no", card_no).await?;
    lock(connection, &card.card_no).await?;
    let (from, to, action) = change.path();
    if card.state == to {
        return view(connection, &card.card_no).await;
    }
    if card.state != from {
        // Every state but `active` has its own refusal; a card that must be lost or frozen
        // first and is active is told so.
        return Err(state_refusal("card_no", &card).unwrap_or_else(|| {
            refusal(
                "card_no",
                error_code::WRONG_STATE,
                format!("该卡不是{}状态", from.refusal_message()),
            )
        }));
    }
    sqlx::query("UPDATE member_cards SET state = $2, updated_at = $3 WHERE card_no = $1")
        .bind(&card.card_no)
        .bind(to.code())
        .bind(now_ms())
        .execute(&mut *connection)
        .await?;
    let actor = Actor::staff(staff);
    let mut event = audit_event(&actor, action, &card);
    event.before = Some(json!({ "state": from.code() }));
    event.after = Some(json!({ "state": to.code(), "reason": reason }));
    audit::record(connection, event).await?;
    view(connection, &card.card_no).await
}

/// 转卡: the card identifies another member from now on. Only an active card moves;
/// balances stay with each member.
pub async fn transfer(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    card_no: &str,
    request: &CardTransferRequest,
) -> Result<MemberCardView, AppError> {
    let card = named_for_change(connection, "card_no", card_no).await?;
    lock(connection, &card.card_no).await?;
    let from = card.check_active("card_no")?;
    holder(connection, request.member_id).await?;
    if from == request.member_id {
        return view(connection, &card.card_no).await;
    }
    sqlx::query("UPDATE member_cards SET member_id = $2, updated_at = $3 WHERE card_no = $1")
        .bind(&card.card_no)
        .bind(request.member_id.to_string())
        .bind(now_ms())
        .execute(&mut *connection)
        .await?;
    let actor = Actor::staff(staff);
    let mut event = audit_event(&actor, "card.transfer", &card);
    event.before = Some(json!({ "member_id": from }));
    event.after = Some(json!({ "member_id": request.member_id, "reason": request.reason }));
    audit::record(connection, event).await?;
    view(connection, &card.card_no).await
}

/// 退卡: closes an active or lost card. With `refund`, the member's principal is handed
/// back and the bonus forfeited by the rules' withdrawal policy, in the same command (the
/// withdrawal's transfers carry the close's id). Runs inside the writer's transaction.
pub async fn close(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    card_no: &str,
    request: &CardCloseRequest,
    reason: String,
) -> Result<CardCloseReceipt, AppError> {
    let card = named_for_change(connection, "card_no", card_no).await?;
    lock(connection, &card.card_no).await?;
    if !matches!(card.state, CardState::Active | CardState::Lost) {
        return Err(state_refusal("card_no", &card).unwrap_or(AppError::NotFound));
    }
    let member = card.member_id.ok_or(AppError::NotFound)?;
    let withdrawal = match (request.refund, request.tender) {
        (false, _) => {
            node_in_scope(connection, staff, request.store_id).await?;
            None
        }
        (true, tender) => {
            let balances = ledger::member_balances(connection, &member.to_string()).await?;
            if balances.value_fen() > 0 {
                let checked = CheckedWithdrawal {
                    request: WithdrawalRequest {
                        id: request.id,
                        member_id: member,
                        store_id: request.store_id,
                        amount_fen: None,
                        all: true,
                        tender: tender.unwrap_or(Tender::Cash),
                        reason: reason.clone(),
                        occurred_at: None,
                        pin: None,
                    },
                    amount_fen: None,
                    reason: reason.clone(),
                    occurred_at: None,
                };
                Some(withdrawal::withdraw(connection, staff, checked).await?)
            } else {
                crate::scope::counter_store(connection, staff, request.store_id).await?;
                None
            }
        }
    };
    sqlx::query("UPDATE member_cards SET state = 'closed', updated_at = $2 WHERE card_no = $1")
        .bind(&card.card_no)
        .bind(now_ms())
        .execute(&mut *connection)
        .await?;
    let actor = Actor::staff(staff);
    let mut event = audit_event(&actor, "card.close", &card);
    event.before = Some(json!({ "state": card.state.code(), "member_id": member }));
    event.after = Some(json!({
        "state": CardState::Closed.code(), "reason": reason, "close_id": request.id,
        "principal_paid_fen": withdrawal.as_ref().map(|w| w.principal_paid_fen),
        "bonus_forfeited_fen": withdrawal.as_ref().map(|w| w.bonus_forfeited_fen),
    }));
    audit::record(connection, event).await?;
    Ok(CardCloseReceipt {
        id: request.id,
        card: view(connection, &card.card_no).await?,
        withdrawal,
    })
}
