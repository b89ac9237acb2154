//! Wire types of the tablet's sync with the server (SYS-12).
//!
//! The tablet keeps a cache of what the counter needs and an outbox of what it did.
//! *Pull* pages through changes in the order the server recorded them, from a cursor the
//! tablet keeps; a removed or no-longer-usable thing arrives as a tombstone. *Push* sends
//! a batch of outbox commands, each with the id the till made before the first attempt,
//! and gets one result per command, so a batch sent twice records nothing twice.

use crate::api::ApiError;
use crate::card::CardState;
use crate::catalogue::Item;
use crate::ids::MemberId;
use crate::level::Level;
use crate::redemption::RedemptionRequest;
use crate::rules::{MonthDay, RuleSet};
use crate::sale::{ReturnRequest, SaleRequest};
use crate::value::{MemberBalances, TopupRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Changes one pull page carries at most.
pub const PULL_LIMIT_MAX: u32 = 5_000;
/// Changes one pull page carries when the tablet names no limit.
pub const PULL_LIMIT_DEFAULT: u32 = 1_000;
/// Commands one push batch carries at most.
pub const PUSH_BATCH_MAX: usize = 100;
/// Rounds of the offline PIN verifier. A till checks a PIN in a few milliseconds; a
/// stolen cache costs a million times that to search all 6-digit PINs of one member.
pub const OFFLINE_PIN_ROUNDS: u32 = 2_000;

/// One page of changes since the tablet's cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullPage {
    pub changes: Vec<Change>,
    /// The cursor to ask from next time. Opaque to the tablet.
    pub next: String,
    /// Whether more changes wait beyond this page.
    pub more: bool,
    /// The salt the tablet hashes a typed phone number with to find a cached member.
    pub phone_salt: String,
    /// The server's clock when the page was read (ms since the epoch).
    pub server_time_ms: i64,
}

/// One changed thing. `None` in place of the record is a tombstone: the tablet drops it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "entity", rename_all = "snake_case")]
pub enum Change {
    Member {
        id: String,
        record: Option<CachedMember>,
    },
    Item {
        id: String,
        record: Option<Item>,
    },
    Level {
        id: String,
        record: Option<Level>,
    },
    /// The rules in force, whole: points, buy-X-get-Y, top-up plans, the counter policy
    /// with its offline limits.
    Rules {
        version: i64,
        record: RuleSet,
    },
}

/// A member as the counter needs them, and no more: the phone only masked, with a hash
/// of the full number to match one typed in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CachedMember {
    pub id: MemberId,
    pub member_no: String,
    pub name: String,
    /// `138****8000`.
    pub phone_masked: String,
    /// The last four digits, for the commonest lookup at a counter.
    pub phone_tail: String,
    /// [`phone_hash`] of the full number.
    pub phone_hash: String,
    pub cards: Vec<CachedCard>,
    pub level_id: String,
    pub birthday: Option<MonthDay>,
    /// Frozen members neither spend nor earn.
    pub frozen: bool,
    /// Balances as of the change that carried this record.
    pub balances: MemberBalances,
    /// Whether spending stored value or points needs the card PIN.
    pub pin_set: bool,
    /// What the till checks a PIN against when the network is down; absent when the
    /// member's PIN has not been checked online since it was set, and then stored value
    /// and points cannot be spent offline.
    pub offline_pin: Option<OfflinePin>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CachedCard {
    pub card_no: String,
    pub state: CardState,
}

/// A salted, iterated hash of the PIN ([`offline_pin_verifier`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfflinePin {
    pub salt: String,
    pub verifier: String,
}

impl OfflinePin {
    pub fn matches(&self, pin: &str) -> bool {
        offline_pin_verifier(&self.salt, pin) == self.verifier
    }
}

/// The hash a till compares a typed phone number's with: SHA-256 of the organisation's
/// salt and the number, hex.
pub fn phone_hash(salt: &str, phone: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"huiyuan-phone\0");
    hasher.update(salt.as_bytes());
    hasher.update(b"\0");
    hasher.update(phone.trim().as_bytes());
    hex(&hasher.finalize())
}

/// The offline PIN verifier: SHA-256 iterated [`OFFLINE_PIN_ROUNDS`] times over the
/// member's salt and the PIN, hex.
pub fn offline_pin_verifier(salt: &str, pin: &str) -> String {
    let mut digest: [u8; 32] = {
        let mut hasher = Sha256::new();
        hasher.update(b"huiyuan-offline-pin\0");
        hasher.update(salt.as_bytes());
        hasher.update(b"\0");
        hasher.update(pin.as_bytes());
        hasher.finalize().into()
    };
    for _ in 1..OFFLINE_PIN_ROUNDS {
        let mut hasher = Sha256::new();
        hasher.update(digest);
        hasher.update(salt.as_bytes());
        digest = hasher.finalize().into();
    }
    hex(&digest)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// A batch of outbox commands from one tablet, in the order the till made them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushBatch {
    /// The tablet, made once when its cache was first filled; offline limits per terminal
    /// and overdraft conflicts name it.
    pub device_id: Uuid,
    pub commands: Vec<OutboxCommand>,
}

/// One command of the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxCommand {
    /// Whether the till did this without the network. An offline sale that spends stored
    /// value carries no PIN: the till checked it against the cached verifier. Such a sale
    /// is recorded even when it overdraws, and the overdraft is flagged for HQ.
    #[serde(default)]
    pub offline: bool,
    #[serde(flatten)]
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    Sale {
        sale: SaleRequest,
    },
    Topup {
        topup: TopupRequest,
    },
    Return {
        sale_id: Uuid,
        request: ReturnRequest,
    },
    /// Gifts taken for points (积分兑换). Offline, like an offline sale: no PIN, within
    /// the per-member offline points limit, recorded even when it overdraws.
    Redeem {
        redemption: RedemptionRequest,
    },
}

impl Command {
    /// The id the till made for this command.
    pub fn id(&self) -> Uuid {
        match self {
            Command::Sale { sale } => sale.id,
            Command::Topup { topup } => topup.id,
            Command::Return { request, .. } => request.id,
            Command::Redeem { redemption } => redemption.id,
        }
    }
}

/// What became of each command, in the batch's order, and the balances of every member
/// the batch touched, read after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    pub balances: Vec<MemberBalanceNow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResult {
    pub id: Uuid,
    pub status: PushStatus,
    /// The receipt as the server recorded it (`created`, `exists`, `conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub receipt: Option<serde_json::Value>,
    /// Why it was refused (`rejected`), or what was flagged (`conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Recorded now.
    Created,
    /// Recorded before, by an earlier send of the same command: nothing changed.
    Exists,
    /// Recorded, and flagged for HQ: an offline sale or redemption overdrew the member.
    Conflict,
    /// Not recorded; `error` says why. The till shows it and drops the command.
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberBalanceNow {
    pub member_id: MemberId,
    pub balances: MemberBalances,
}

/// An offline sale or redemption that overdrew a member's stored value or points, for
/// HQ to settle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdraftConflict {
    pub id: String,
    /// The sale that overdrew; none when a redemption did.
    pub sale_id: Option<Uuid>,
    /// The redemption (积分兑换) that overdrew; none when a sale did.
    #[serde(default)]
    pub redemption_id: Option<Uuid>,
    /// The receipt number of the sale or redemption.
    pub receipt_no: String,
    pub member_id: MemberId,
    pub member_name: String,
    pub member_no: String,
    pub store_id: String,
    pub store_name: String,
    pub device_id: Uuid,
    /// How far below zero the sale took the member's stored value, in 分.
    pub shortfall_fen: i64,
    /// How far below zero it took the member's points.
    pub shortfall_points: i64,
    pub occurred_at: Option<String>,
    pub recorded_at: String,
    /// Set once a manager has settled it, with their note.
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

/// A manager's note on how an overdraft was settled (the member topped up, paid cash …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConflictResolution {
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_matches_its_pin_only() {
        let pin = OfflinePin {
            salt: "s1".into(),
            verifier: offline_pin_verifier("s1", "123456"),
        };
        assert!(pin.matches("123456"));
        assert!(!pin.matches("123457"));
        assert_ne!(pin.verifier, offline_pin_verifier("s2", "123456"));
        assert_eq!(pin.verifier.len(), 64);
    }

    #[test]
    fn the_phone_hash_ignores_surrounding_space_and_depends_on_the_salt() {
        assert_eq!(
            phone_hash("a", " 13800138000 "),
            phone_hash("a", "13800138000")
        );
        assert_ne!(
            phone_hash("a", "13800138000"),
            phone_hash("b", "13800138000")
        );
    }

    #[test]
    fn an_outbox_command_is_flat_on_the_wire() {
        let command = OutboxCommand {
            offline: true,
            command: Command::Return {
                sale_id: Uuid::nil(),
                request: ReturnRequest {
                    id: Uuid::nil(),
                    lines: vec![],
                },
            },
        };
        let text = serde_json::to_value(&command).unwrap_or_default();
        assert_eq!(text["kind"], "return");
        assert_eq!(text["offline"], true);
        let back: OutboxCommand = serde_json::from_value(text).unwrap_or(command.clone());
        assert_eq!(back, command);
    }
}
