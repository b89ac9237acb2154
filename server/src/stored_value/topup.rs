//! The transfers of one top-up (充值, SV-1): the money paid in becomes the member's
//! principal (本金), and the bonus plan in force that gives the most adds 赠送金, kept
//! apart. A counter top-up posts one of these; a batch top-up posts one per row.

use crate::ledger::{AccountKey, NewTransfer, TransferKind};
use huiyuan_shared::rules::{topup_bonus, LocalDate, RuleError, RuleSet, TopupBonusChoice};
use huiyuan_shared::value::Tender;
use huiyuan_shared::{Money, StoreId};

/// What one top-up posts, and the bonus plan that applied.
#[derive(Clone, Debug)]
pub struct TopupPosting {
    pub transfers: Vec<NewTransfer>,
    pub bonus: Option<TopupBonusChoice>,
}

impl TopupPosting {
    pub fn bonus_fen(&self) -> i64 {
        self.bonus.as_ref().map_or(0, |choice| choice.bonus.fen())
    }

    pub fn bonus_plan_id(&self) -> Option<String> {
        self.bonus.as_ref().map(|choice| choice.plan_id.clone())
    }
}

/// The transfers of a top-up of `amount` for `member` at `store`: the store's tender
/// account pays the member's principal, and the store's `bonus_issued` pays the bonus.
/// `memo` goes on the principal transfer; the bonus transfer names its plan. Plans for
/// some levels only are matched by the member's `level_id`.
#[allow(clippy::too_many_arguments)]
pub fn topup_posting(
    member: &str,
    level_id: &str,
    store: StoreId,
    tender: Tender,
    amount: Money,
    memo: Option<String>,
    rules: &RuleSet,
    today: LocalDate,
) -> Result<TopupPosting, RuleError> {
    let bonus = topup_bonus(amount, store, Some(level_id), &rules.topup_plans, today)?;
    let store = store.to_string();
    let mut transfers = vec![NewTransfer {
        debit: AccountKey::store_tender(&store, tender.code()),
        credit: AccountKey::member_principal(member),
        amount: amount.fen(),
        kind: TransferKind::Topup,
        memo,
        points_expire_at: None,
    }];
    if let Some(choice) = bonus.as_ref().filter(|choice| choice.bonus.fen() > 0) {
        transfers.push(NewTransfer {
            debit: AccountKey::store_bonus_issued(&store),
            credit: AccountKey::member_bonus(member),
            amount: choice.bonus.fen(),
            kind: TransferKind::Bonus,
            memo: Some(choice.plan_id.clone()),
            points_expire_at: None,
        });
    }
    Ok(TopupPosting { transfers, bonus })
}
