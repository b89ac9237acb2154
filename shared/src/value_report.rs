//! The stored-value balance report (储值余额报表, SV-5): what members hold, and how stored
//! value came in and went out over a period, from the ledger.

use crate::ids::StoreId;
use serde::{Deserialize, Serialize};

/// Stored value members hold now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueHeld {
    /// Members holding any principal or bonus.
    pub members: i64,
    /// 本金 in 分.
    pub principal_fen: i64,
    /// 赠送金 in 分.
    pub bonus_fen: i64,
}

/// How stored value moved over the period, all amounts in 分 and positive except the
/// `other_*` nets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueMovements {
    /// Principal paid in by top-ups (single and batch).
    pub topup_principal_fen: i64,
    /// Bonus given with top-ups.
    pub topup_bonus_fen: i64,
    /// Principal spent at checkout.
    pub spent_principal_fen: i64,
    /// Bonus spent at checkout.
    pub spent_bonus_fen: i64,
    /// Principal put back by returns of goods paid with stored value.
    pub returned_principal_fen: i64,
    /// Bonus put back by returns.
    pub returned_bonus_fen: i64,
    /// Principal handed back to members by withdrawals.
    pub withdrawn_principal_fen: i64,
    /// Bonus taken back when principal was withdrawn.
    pub forfeited_bonus_fen: i64,
    /// Any other movement of principal (adjustments, …), credits minus debits.
    pub other_principal_fen: i64,
    /// Any other movement of bonus, credits minus debits.
    pub other_bonus_fen: i64,
    /// What the period added to members' principal: the sum of the above.
    pub net_principal_fen: i64,
    /// What the period added to members' bonus.
    pub net_bonus_fen: i64,
}

impl ValueMovements {
    /// Adds one ledger figure: `kind` of transfer, the member `account` (`principal` or
    /// `bonus`), and what it credited and debited the members' accounts. A figure of a
    /// kind without a slot of its own, or going against its slot's direction, counts in
    /// `other_*`, so the net always equals the change of the balances.
    pub fn add(&mut self, kind: &str, account: &str, credited: i64, debited: i64) {
        let principal = account == "principal";
        let slot = match (kind, principal) {
            ("topup", true) if debited == 0 => Some(&mut self.topup_principal_fen),
            ("bonus", false) if debited == 0 => Some(&mut self.topup_bonus_fen),
            ("refund", true) if debited == 0 => Some(&mut self.returned_principal_fen),
            ("refund", false) if debited == 0 => Some(&mut self.returned_bonus_fen),
            ("spend", true) if credited == 0 => Some(&mut self.spent_principal_fen),
            ("spend", false) if credited == 0 => Some(&mut self.spent_bonus_fen),
            ("withdraw", true) if credited == 0 => Some(&mut self.withdrawn_principal_fen),
            ("forfeit", false) if credited == 0 => Some(&mut self.forfeited_bonus_fen),
            _ => None,
        };
        match slot {
            Some(total) => *total += credited + debited,
            None if principal => self.other_principal_fen += credited - debited,
            None => self.other_bonus_fen += credited - debited,
        }
        self.net_principal_fen = self.topup_principal_fen + self.returned_principal_fen
            - self.spent_principal_fen
            - self.withdrawn_principal_fen
            + self.other_principal_fen;
        self.net_bonus_fen = self.topup_bonus_fen + self.returned_bonus_fen
            - self.spent_bonus_fen
            - self.forfeited_bonus_fen
            + self.other_bonus_fen;
    }
}

/// One store's line: what its members hold (by the store they joined at) and what moved
/// at the store over the period (by where it happened).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreValueLine {
    /// None for members without a home store and movements without a store.
    pub store_id: Option<StoreId>,
    pub store_code: Option<String>,
    pub store_name: Option<String>,
    pub held: ValueHeld,
    pub movements: ValueMovements,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredValueReport {
    /// First business day of the period (YYYY-MM-DD, Asia/Shanghai).
    pub from: String,
    /// Last business day of the period, inclusive.
    pub to: String,
    /// The organisation node the report covers.
    pub store_id: StoreId,
    /// Held now by members whose home store lies in the scope.
    pub held: ValueHeld,
    /// Movements at stores in the scope over the period.
    pub movements: ValueMovements,
    /// Per store, stores with nothing held and nothing moved left out.
    pub stores: Vec<StoreValueLine>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind lands in its slot and the net adds up: ¥100 top-up with ¥10 bonus, ¥30
    /// spent from principal and ¥3 from bonus, ¥20 withdrawn with ¥2 forfeited, a ¥5
    /// adjustment.
    #[test]
    fn movements_add_up() {
        let mut movements = ValueMovements::default();
        movements.add("topup", "principal", 10_000, 0);
        movements.add("bonus", "bonus", 1_000, 0);
        movements.add("spend", "principal", 0, 3_000);
        movements.add("spend", "bonus", 0, 300);
        movements.add("withdraw", "principal", 0, 2_000);
        movements.add("forfeit", "bonus", 0, 200);
        movements.add("adjust", "principal", 500, 0);
        assert_eq!(movements.net_principal_fen, 10_000 - 3_000 - 2_000 + 500);
        assert_eq!(movements.net_bonus_fen, 1_000 - 300 - 200);
        assert_eq!(movements.other_principal_fen, 500);
        // A movement against a slot's usual direction still keeps the net true.
        movements.add("topup", "principal", 0, 100);
        assert_eq!(movements.topup_principal_fen, 10_000);
        assert_eq!(
            movements.net_principal_fen,
            10_000 - 3_000 - 2_000 + 500 - 100
        );
    }
}
