//! Loading value onto a gift card by its number (充值到礼品卡): money paid in at a store
//! or HQ, by a tender as a top-up is, becomes the card's balance.

use super::{balance, named, node_in_scope};
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::ledger::commands::{self, CommandMeta};
use crate::ledger::{self, AccountKey, CommandOutcome, NewTransfer, PostingContext, TransferKind};
use crate::scope;
use crate::state::AppState;
use huiyuan_shared::giftcard::{
    mask_card_no, normalize_card_no, GiftCardLoadReceipt, GiftCardLoadRequest, CARD_BALANCE_FEN_MAX,
};
use huiyuan_shared::{FieldError, Money};
use serde_json::json;

/// Loads value onto a card. The same request again returns the first receipt and loads
/// nothing; the same id with other content is a conflict.
pub async fn load(
    state: &AppState,
    staff: StaffPrincipal,
    request: GiftCardLoadRequest,
) -> Result<(CommandOutcome, GiftCardLoadReceipt), AppError> {
    if request.amount_fen <= 0 || request.amount_fen > CARD_BALANCE_FEN_MAX {
        return Err(AppError::field(FieldError::new(
            "amount_fen",
            "out_of_range",
            format!("充值金额应大于0且不超过{}", Money(CARD_BALANCE_FEN_MAX)),
        )));
    }
    normalize_card_no("card_no", &request.card_no).map_err(AppError::field)?;
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    let meta = CommandMeta {
        id: request.id.to_string(),
        kind: "giftcard.load",
        store_id: Some(request.store_id.to_string()),
        staff_id: Some(staff.id.to_string()),
    };
    let job_request = request.clone();
    commands::execute(state, meta, &request, move |connection| {
        Box::pin(async move {
            let request = job_request;
            let now = now_ms();
            node_in_scope(connection, &staff, request.store_id).await?;
            let card = named(connection, "card_no", &request.card_no).await?;
            card.check_usable(now)?;
            let store = request.store_id.to_string();
            let context = PostingContext {
                command_id: request.id.to_string(),
                store_id: Some(store.clone()),
                staff_id: Some(staff.id.to_string()),
                device_id: None,
                occurred_at,
            };
            let transfer = NewTransfer {
                debit: AccountKey::store_tender(&store, request.tender.code()),
                credit: AccountKey::giftcard(&card.card_no),
                amount: request.amount_fen,
                kind: TransferKind::Topup,
                memo: None,
                points_expire_at: None,
            };
            ledger::post_transfers(connection, &context, &[transfer]).await?;
            // Checked after posting: the credit holds the account's row lock, so two
            // loads racing onto one card cannot both pass the check.
            let balance = balance(connection, &card.card_no).await?;
            if balance > CARD_BALANCE_FEN_MAX {
                return Err(AppError::field(FieldError::new(
                    "amount_fen",
                    "over_card_limit",
                    format!(
                        "充值后余额{}超过单张不记名卡限额{}",
                        Money(balance),
                        Money(CARD_BALANCE_FEN_MAX)
                    ),
                )));
            }
            let actor = Actor::staff(&staff);
            let mut event = AuditEvent::new(&actor, "giftcard.load", "giftcard");
            event.entity_id = Some(card.card_no.clone());
            event.store_id = Some(request.store_id);
            event.after = Some(json!({
                "load_id": request.id,
                "card": mask_card_no(&card.card_no),
                "amount_fen": request.amount_fen,
                "tender": request.tender.code(),
                "balance_fen": balance,
            }));
            audit::record(connection, event).await?;
            Ok(GiftCardLoadReceipt {
                id: request.id,
                card_no: card.card_no,
                amount_fen: request.amount_fen,
                balance_fen: balance,
                recorded_at: ms_to_rfc3339(now),
            })
        })
    })
    .await
}
