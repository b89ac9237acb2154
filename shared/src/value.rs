//! Wire types of stored value (储值) and balances: top-ups and what a member holds.

use crate::ids::{MemberId, StoreId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most one top-up may add: ¥50,000.00. Larger sums are corporate batch top-ups.
pub const TOPUP_FEN_MAX: i64 = 5_000_000;

/// How a customer paid money in, or how it is handed back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tender {
    Cash,
    BankCard,
    Wechat,
    Alipay,
    /// 对公转账: a company pays by bank transfer, as for corporate batch top-ups.
    BankTransfer,
}

impl Tender {
    pub fn code(self) -> &'static str {
        match self {
            Tender::Cash => "cash",
            Tender::BankCard => "bank_card",
            Tender::Wechat => "wechat",
            Tender::Alipay => "alipay",
            Tender::BankTransfer => "bank_transfer",
        }
    }
}

/// What a member holds, as the ledger has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberBalances {
    pub points: i64,
    /// 本金 in 分.
    pub principal_fen: i64,
    /// 赠送金 in 分.
    pub bonus_fen: i64,
}

impl MemberBalances {
    /// Stored value the member can spend: principal and bonus together.
    pub fn value_fen(&self) -> i64 {
        self.principal_fen + self.bonus_fen
    }
}

/// A top-up (充值) at a store. `id` is made by the client before the first attempt, so a
/// retry is recognised and never credits twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupRequest {
    pub id: Uuid,
    pub member_id: MemberId,
    pub store_id: StoreId,
    /// Money paid in, in 分; becomes principal.
    pub amount_fen: i64,
    pub tender: Tender,
    /// When the cashier took the money, if it was earlier than now (offline counter).
    #[serde(default)]
    pub occurred_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupReceipt {
    pub id: Uuid,
    pub member_id: MemberId,
    pub amount_fen: i64,
    /// 赠送金 credited by the bonus plan, in 分.
    pub bonus_fen: i64,
    /// The bonus plan that applied, if any.
    pub bonus_plan_id: Option<String>,
    pub balances: MemberBalances,
    pub recorded_at: String,
}

/// One movement on a member's accounts, as the member's history shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    pub transfer_id: String,
    /// The sale, top-up or other command it belongs to.
    pub command_id: String,
    /// `earn`, `redeem`, `topup`, `bonus`, `spend`, `refund`, `withdraw`, `forfeit`,
    /// `expire`, `adjust`, ….
    pub kind: String,
    /// `points`, `principal` or `bonus`.
    pub account: String,
    /// Signed: positive when it added to the member's balance.
    pub amount: i64,
    pub store_id: Option<String>,
    pub memo: Option<String>,
    pub recorded_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    pub balances: MemberBalances,
    pub entries: Vec<LedgerEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<String>,
}
