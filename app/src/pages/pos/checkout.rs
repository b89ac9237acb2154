//! Recording a sale from the counter: the request built from the cart and payments, the
//! checks the till makes itself when the network is down (PIN against the cached
//! verifier, balance, offline limits), and the outbox that carries it to the server.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::rules::{CounterPolicy, RuleSet};
use huiyuan_shared::sale::{Payment, PaymentMethod, SaleLineRequest, SaleRequest};
use huiyuan_shared::sync::{CachedMember, Command, OutboxCommand, PushStatus};
use huiyuan_shared::value::MemberBalances;
use huiyuan_shared::Money;
use leptos::prelude::*;
use uuid::Uuid;

use crate::cache::outbox::{self, OutboxEntry};
use crate::i18n::{I18n, Key};
use crate::pages::pos::counter::DraftLine;
use crate::sync::{Submitted, SyncStatus};

/// How the sale ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The server recorded it; its receipt.
    Recorded {
        receipt: serde_json::Value,
        flagged: bool,
    },
    /// Kept in the outbox, to be sent when the network is back.
    Queued,
    /// Sent, but no answer came, and the till could not let it stand offline (the
    /// reason): it stays in the outbox until the server answers for it.
    Unconfirmed(ApiError),
}

/// Wrong PINs typed offline for one member before the till stops asking.
pub const OFFLINE_PIN_TRIES: u32 = 5;
/// Where the till counts wrong PINs typed offline, by member: kept across reloads, so
/// reopening the counter does not buy more tries.
const PIN_FAILURES_KEY: &str = "huiyuan.offline_pin_failures";

pub fn offline_pin_failures(member_id: &str) -> u32 {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::get::<std::collections::BTreeMap<String, u32>>(PIN_FAILURES_KEY)
        .ok()
        .and_then(|all| all.get(member_id).copied())
        .unwrap_or(0)
}

pub fn set_offline_pin_failures(member_id: &str, failures: u32) {
    use gloo_storage::{LocalStorage, Storage};
    let mut all: std::collections::BTreeMap<String, u32> =
        LocalStorage::get(PIN_FAILURES_KEY).unwrap_or_default();
    if failures == 0 {
        all.remove(member_id);
    } else {
        all.insert(member_id.to_owned(), failures);
    }
    let _ = LocalStorage::set(PIN_FAILURES_KEY, &all);
}

pub struct SaleDraft<'a> {
    pub store_id: huiyuan_shared::StoreId,
    pub member: Option<&'a CachedMember>,
    pub lines: &'a [DraftLine],
    pub payments: Vec<Payment>,
    /// A member code (QR) shown for this sale.
    pub presented: Option<String>,
}

impl SaleDraft<'_> {
    pub fn request(&self) -> SaleRequest {
        SaleRequest {
            id: Uuid::now_v7(),
            store_id: self.store_id,
            member_id: self.member.map(|member| member.id),
            member_card: self.presented.clone(),
            lines: self
                .lines
                .iter()
                .map(|line| SaleLineRequest {
                    item_id: line.item.id.to_string(),
                    quantity: line.quantity,
                    manual_discount: line.manual_discount,
                })
                .collect(),
            amount_fen: None,
            payments: self.payments.clone(),
            pin: None,
            occurred_at: Some(now_rfc3339()),
        }
    }
}

/// What the cashier reads for a refusal: the server's own words where it gave them,
/// because they name the amount or the tries left; the translation otherwise.
pub fn message(i18n: I18n, error: &ApiError) -> String {
    if error.message.is_empty() || error.code == crate::i18n::NETWORK_ERROR {
        i18n.error(error)
    } else {
        error.message.clone()
    }
}

pub fn now_rfc3339() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

fn refusal(code: &str, message: String) -> ApiError {
    ApiError {
        code: code.to_owned(),
        message,
        details: serde_json::Value::Null,
    }
}

/// What the till checks itself before a sale that spends a member's value may stand
/// without the server. See [`member_spend_checks`].
pub async fn offline_checks(
    i18n: I18n,
    request: &SaleRequest,
    member: Option<&CachedMember>,
    pin: Option<&str>,
    available: Option<MemberBalances>,
    rules: Option<&RuleSet>,
) -> Result<(), ApiError> {
    let Some(member) = member.filter(|_| request.spends_member_value()) else {
        return Ok(());
    };
    let value = paid(request, PaymentMethod::StoredValue);
    let points = request
        .payments
        .iter()
        .filter_map(|payment| payment.points)
        .sum();
    member_spend_checks(i18n, member, pin, value, points, available, rules).await
}

/// The server's checks on spending a member's stored value and points, made by the till
/// when the server cannot be asked: the member not frozen, the PIN right by the cached
/// verifier (wrong tries counted, see [`offline_pin_failures`]), the balance as far as
/// the tablet knows it, and HQ's offline limits, counted over what the outbox holds
/// unsent. A command checked here is not in the outbox as an offline one yet.
pub async fn member_spend_checks(
    i18n: I18n,
    member: &CachedMember,
    pin: Option<&str>,
    value_fen: i64,
    points: i64,
    available: Option<MemberBalances>,
    rules: Option<&RuleSet>,
) -> Result<(), ApiError> {
    if member.frozen {
        return Err(refusal(
            "member_frozen",
            i18n.t(Key::ErrMemberFrozen).to_owned(),
        ));
    }
    if member.pin_set {
        let Some(verifier) = &member.offline_pin else {
            return Err(refusal(
                "pin_offline_unknown",
                i18n.t(Key::PosPinOnlineOnly).to_owned(),
            ));
        };
        let key = member.id.to_string();
        let failures = offline_pin_failures(&key);
        if failures >= OFFLINE_PIN_TRIES {
            return Err(refusal(
                "pin_locked",
                i18n.t(Key::PosPinLockedOffline).to_owned(),
            ));
        }
        if !verifier.matches(pin.unwrap_or_default()) {
            set_offline_pin_failures(&key, failures + 1);
            return Err(refusal("pin_wrong", i18n.t(Key::PosPinWrong).to_owned()));
        }
        set_offline_pin_failures(&key, 0);
    }
    let available = available.unwrap_or_default();
    if value_fen > available.value_fen() {
        return Err(refusal(
            "insufficient_balance",
            i18n.t(Key::PosNotEnoughValue)
                .replace("{balance}", &Money(available.value_fen()).to_string()),
        ));
    }
    if points > available.points {
        return Err(refusal(
            "insufficient_points",
            i18n.t(Key::PosNotEnoughPoints)
                .replace("{points}", &available.points.to_string()),
        ));
    }
    // Until the rules have been pulled once the till does not know HQ's limits.
    let Some(rules) = rules else {
        return Err(refusal(
            "offline_limit_exceeded",
            i18n.t(Key::PosOfflineLimit).to_owned(),
        ));
    };
    let limits: &CounterPolicy = &rules.counter;
    let entries = outbox::pending().await.unwrap_or_default();
    let spent = outbox::offline_spend(&entries, Some(&member.id.to_string()));
    if spent.member_value_fen + value_fen > limits.offline_value_per_member_fen
        || spent.terminal_value_fen + value_fen > limits.offline_value_per_terminal_fen
        || spent.member_points + points > limits.offline_points_per_member
    {
        return Err(refusal(
            "offline_limit_exceeded",
            i18n.t(Key::PosOfflineLimit).to_owned(),
        ));
    }
    Ok(())
}

pub fn paid(request: &SaleRequest, method: PaymentMethod) -> i64 {
    request
        .payments
        .iter()
        .filter(|payment| payment.method == method)
        .map(|payment| payment.amount_fen)
        .sum()
}

/// Records the sale: straight to the server when it answers, into the outbox when not.
/// `offline_check` runs the till's own checks when the sale must stand without the
/// server.
pub async fn record(
    sync: SyncStatus,
    request: SaleRequest,
    pin: Option<String>,
    offline_check: impl AsyncFnOnce() -> Result<(), ApiError>,
) -> Result<Outcome, ApiError> {
    let online = sync.reachable.get_untracked()
        && web_sys::window().is_none_or(|window| window.navigator().on_line());
    let command = OutboxCommand {
        offline: !online,
        command: Command::Sale { sale: request },
    };
    let entry = OutboxEntry::new(command, js_sys::Date::now() as i64);
    match sync.submit(entry, pin, offline_check).await? {
        Submitted::Recorded(result) => Ok(Outcome::Recorded {
            receipt: result.receipt.unwrap_or_default(),
            flagged: result.status == PushStatus::Conflict,
        }),
        Submitted::Rejected(error) => Err(error),
        Submitted::Queued => Ok(Outcome::Queued),
        Submitted::Unconfirmed(reason) => Ok(Outcome::Unconfirmed(reason)),
    }
}
