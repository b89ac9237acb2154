//! Wire types of count cards (计次卡, SV-6): a member buys a number of visits of one
//! service at a price, and each visit uses one up.

use crate::ids::{MemberId, StoreId};
use crate::value::{LedgerEntry, Tender};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Visits one count card may hold at most.
pub const COUNT_CARD_VISITS_MAX: i64 = 1_000;
/// The longest service name, in characters.
pub const SERVICE_NAME_CHARS_MAX: usize = 40;
/// Stable error code: the count card's last valid day has passed.
pub const COUNT_CARD_EXPIRED: &str = "count_card_expired";

/// A count card sold to a member. `id` is made by the client and becomes the card's id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountCardRequest {
    pub id: Uuid,
    pub member_id: MemberId,
    pub store_id: StoreId,
    /// The catalogue item the visits are of; its name is the service name unless one is
    /// given.
    #[serde(default)]
    pub item_id: Option<String>,
    /// e.g. 洗车, 理发; required without `item_id`.
    #[serde(default)]
    pub service_name: Option<String>,
    /// Visits bought, 1–1,000.
    pub visits: i64,
    /// What the member pays, in 分.
    pub price_fen: i64,
    pub tender: Tender,
    /// Last day a visit can be used (inclusive, business date), `YYYY-MM-DD`.
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub occurred_at: Option<String>,
}

/// A member's count card and the visits left on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountCard {
    pub id: Uuid,
    pub member_id: MemberId,
    pub store_id: StoreId,
    pub item_id: Option<String>,
    pub service_name: String,
    pub visits_bought: i64,
    pub visits_left: i64,
    pub price_fen: i64,
    pub expires_on: Option<String>,
    /// True once the last valid day has passed: no visit can be used.
    pub expired: bool,
    pub created_at: String,
}

/// A count card with its movements, newest first (`account` is `visits`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountCardDetail {
    pub card: CountCard,
    pub entries: Vec<LedgerEntry>,
}

fn one_visit() -> i64 {
    1
}

/// Visits used at a store. `id` is made by the client, so a retry never uses twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountCardUseRequest {
    pub id: Uuid,
    pub store_id: StoreId,
    /// Visits used, 1 when absent.
    #[serde(default = "one_visit")]
    pub visits: i64,
    #[serde(default)]
    pub occurred_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountCardUseReceipt {
    pub id: Uuid,
    pub count_card_id: Uuid,
    pub visits: i64,
    pub visits_left: i64,
    pub recorded_at: String,
}
