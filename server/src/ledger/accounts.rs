//! Accounts are named by owner and purpose, and their ids are derived from that name, so
//! posting to an account never needs a lookup first: it is created by its first posting.

use serde::{Deserialize, Serialize};

/// What an account counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Asset {
    /// Whole points.
    Points,
    /// Money in 分.
    Cny,
    /// Prepaid service visits of a count card.
    Visits,
}

impl Asset {
    pub fn code(self) -> &'static str {
        match self {
            Asset::Points => "points",
            Asset::Cny => "CNY",
            Asset::Visits => "visits",
        }
    }

    pub const ALL: [Asset; 3] = [Asset::Points, Asset::Cny, Asset::Visits];
}

/// One account: who owns it and what for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountKey {
    pub owner_kind: &'static str,
    pub owner_id: String,
    pub code: &'static str,
    pub asset: Asset,
}

impl AccountKey {
    /// The derived primary key, e.g. `member:0192…:points`.
    pub fn id(&self) -> String {
        format!("{}:{}:{}", self.owner_kind, self.owner_id, self.code)
    }

    /// Accounts that hold a member's or card holder's value may never go below zero;
    /// counterpart accounts have no floor.
    pub fn floor(&self) -> Option<i64> {
        matches!(self.owner_kind, "member" | "giftcard" | "countcard").then_some(0)
    }

    fn member(member_id: &str, code: &'static str, asset: Asset) -> Self {
        Self {
            owner_kind: "member",
            owner_id: member_id.to_owned(),
            code,
            asset,
        }
    }

    fn store(store_id: &str, code: &'static str, asset: Asset) -> Self {
        Self {
            owner_kind: "store",
            owner_id: store_id.to_owned(),
            code,
            asset,
        }
    }

    pub fn member_points(member_id: &str) -> Self {
        Self::member(member_id, "points", Asset::Points)
    }

    pub fn member_principal(member_id: &str) -> Self {
        Self::member(member_id, "principal", Asset::Cny)
    }

    pub fn member_bonus(member_id: &str) -> Self {
        Self::member(member_id, "bonus", Asset::Cny)
    }

    /// Points the store has given out (the counterpart of members' points).
    pub fn store_points_issued(store_id: &str) -> Self {
        Self::store(store_id, "points_issued", Asset::Points)
    }

    /// Points members have spent at the store.
    pub fn store_points_redeemed(store_id: &str) -> Self {
        Self::store(store_id, "points_redeemed", Asset::Points)
    }

    /// Points that lapsed unspent.
    pub fn store_points_breakage(store_id: &str) -> Self {
        Self::store(store_id, "points_breakage", Asset::Points)
    }

    /// Points taken from members by staff adjustments (积分调整) at the store.
    pub fn store_points_adjusted(store_id: &str) -> Self {
        Self::store(store_id, "points_adjusted", Asset::Points)
    }

    /// Money received at the store, by tender: `cash`, `bank_card`, ….
    pub fn store_tender(store_id: &str, tender: &'static str) -> Self {
        Self::store(store_id, tender, Asset::Cny)
    }

    /// The store's takings from sales, whatever paid for them.
    pub fn store_sales(store_id: &str) -> Self {
        Self::store(store_id, "sales", Asset::Cny)
    }

    /// Bonus value the store gave with top-ups (the counterpart of members' bonus).
    pub fn store_bonus_issued(store_id: &str) -> Self {
        Self::store(store_id, "bonus_issued", Asset::Cny)
    }

    /// The money value of points accepted as payment, funded by the store.
    pub fn store_points_funding(store_id: &str) -> Self {
        Self::store(store_id, "points_funding", Asset::Cny)
    }

    /// The money on an anonymous gift card, owned by whoever holds the card and its PIN.
    pub fn giftcard(card_no: &str) -> Self {
        Self {
            owner_kind: "giftcard",
            owner_id: card_no.to_owned(),
            code: "principal",
            asset: Asset::Cny,
        }
    }

    /// Value a node put on gift cards before anyone paid for them (cards printed with a
    /// face value for sale later): what the node is owed for its unsold cards.
    pub fn store_giftcard_issued(store_id: &str) -> Self {
        Self::store(store_id, "giftcard_issued", Asset::Cny)
    }

    /// The visits left on a count card.
    pub fn countcard_visits(count_card_id: &str) -> Self {
        Self {
            owner_kind: "countcard",
            owner_id: count_card_id.to_owned(),
            code: "visits",
            asset: Asset::Visits,
        }
    }

    /// Money taken for count cards, owed as services until the visits are used.
    pub fn store_countcard_sold(store_id: &str) -> Self {
        Self::store(store_id, "countcard_sold", Asset::Cny)
    }

    /// Visits the store sold on count cards (the counterpart of the cards' visits).
    pub fn store_visits_issued(store_id: &str) -> Self {
        Self::store(store_id, "visits_issued", Asset::Visits)
    }

    /// Visits used at the store.
    pub fn store_visits_used(store_id: &str) -> Self {
        Self::store(store_id, "visits_used", Asset::Visits)
    }
}
