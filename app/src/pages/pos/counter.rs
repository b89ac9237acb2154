//! The sale being rung up at the counter: the member, the lines, and the quote the
//! shared rules engine makes of them on the tablet, network or not. The server prices the
//! sale again with the same engine when it records it.

use huiyuan_shared::catalogue::Item;
use huiyuan_shared::level::Level;
use huiyuan_shared::rules::{
    self, Cart, CartLine, LocalDate, LocalDateTime, ManualDiscount, MemberContext, Quote, RuleSet,
};
use huiyuan_shared::sync::CachedMember;
use huiyuan_shared::value::MemberBalances;
use huiyuan_shared::{Money, StoreId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cache::outbox::OutboxEntry;

/// The business clock's offset from UTC: the organisation's time zone, Asia/Shanghai.
pub const BUSINESS_UTC_OFFSET_MS: i64 = 8 * 60 * 60 * 1_000;

/// One line of the cart as the cashier built it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftLine {
    pub item: Item,
    pub quantity: i64,
    #[serde(default)]
    pub manual_discount: Option<ManualDiscount>,
}

/// A message over the counter: what went wrong, or what just happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

/// Which screen the counter shows.
#[derive(Clone, Debug, PartialEq)]
pub enum View {
    Sale,
    Topup,
    Returns,
    Redeem,
    Held,
    Shift,
}

/// The counter's state, shared by its panels as context.
#[derive(Clone, Copy)]
pub struct Counter {
    pub store_id: StoreId,
    pub member: RwSignal<Option<CachedMember>>,
    pub level: RwSignal<Option<Level>>,
    pub lines: RwSignal<Vec<DraftLine>>,
    pub rules: RwSignal<Option<RuleSet>>,
    pub notice: RwSignal<Option<Notice>>,
    pub view: RwSignal<View>,
    /// Commands still in the outbox, to take from a member's balances what the server
    /// does not know of yet.
    pub pending: RwSignal<Vec<OutboxEntry>>,
    pub paying: RwSignal<bool>,
    /// The member code (QR) the member showed, sent with the sale that uses it up.
    pub presented: RwSignal<Option<String>>,
}

impl Counter {
    pub fn new(store_id: StoreId) -> Counter {
        Counter {
            store_id,
            member: RwSignal::new(None),
            level: RwSignal::new(None),
            lines: RwSignal::new(Vec::new()),
            rules: RwSignal::new(None),
            notice: RwSignal::new(None),
            view: RwSignal::new(View::Sale),
            pending: RwSignal::new(Vec::new()),
            paying: RwSignal::new(false),
            presented: RwSignal::new(None),
        }
    }

    pub fn error(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            error: true,
            text: text.into(),
        }));
    }

    pub fn info(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            error: false,
            text: text.into(),
        }));
    }

    /// Adds one unit of an item, onto its line when the cart already has one.
    pub fn add_item(&self, item: Item) {
        self.lines.update(|lines| {
            match lines
                .iter_mut()
                .find(|line| line.item.id == item.id && line.manual_discount.is_none())
            {
                Some(line) => line.quantity += 1,
                None => lines.push(DraftLine {
                    item,
                    quantity: 1,
                    manual_discount: None,
                }),
            }
        });
    }

    pub fn clear(&self) {
        self.lines.set(Vec::new());
        self.presented.set(None);
        self.member.set(None);
        self.level.set(None);
    }

    /// What the member can spend now: their balances as last synced, less what this
    /// tablet has spent since and not yet sent.
    pub fn available(&self) -> Option<MemberBalances> {
        let member = self.member.get()?;
        let id = member.id.to_string();
        let mut balances = member.balances;
        for entry in self.pending.get().iter() {
            if let Some((spender, value, points)) = entry.member_spend() {
                if spender == id {
                    take_value(&mut balances, value);
                    balances.points -= points;
                }
            }
        }
        Some(balances)
    }

    /// The quote for the cart now, or why it cannot be made.
    pub fn quote(&self) -> Option<Result<Quote, String>> {
        let lines = self.lines.get();
        if lines.is_empty() {
            return None;
        }
        let rules = self.rules.get().unwrap_or_default();
        let cart = Cart {
            store_id: self.store_id,
            lines: lines.iter().map(cart_line).collect(),
        };
        let context = self.member_context();
        Some(
            rules::price(&cart, context.as_ref(), &rules, business_now())
                .map_err(|error| format!("{}: {}", error.field, error.kind.message())),
        )
    }

    /// Points the sale would earn if paid in cash: what the counter shows while the cart
    /// is built. The receipt has the server's figure for the payments actually taken.
    pub fn points_estimate(&self, quote: &Quote) -> Option<i64> {
        let context = self.member_context()?;
        let rules = self.rules.get().unwrap_or_default();
        let cart = Cart {
            store_id: self.store_id,
            lines: self.lines.get().iter().map(cart_line).collect(),
        };
        let paid = rules::PaidBreakdown {
            points: Money::ZERO,
            stored_value_bonus: Money::ZERO,
            gift_card: Money::ZERO,
            other: quote.totals.amount_due,
        };
        rules::points_to_earn(quote, &paid, Some(&context), &rules, &cart, business_now())
            .ok()
            .map(|earned| earned.points)
    }

    pub fn member_context(&self) -> Option<MemberContext> {
        let member = self.member.get()?;
        let level = self.level.get();
        Some(MemberContext {
            level_id: member.level_id.clone(),
            level_name: level
                .as_ref()
                .map(|level| level.name.clone())
                .unwrap_or_default(),
            level_discount_bp: level
                .as_ref()
                .map(|level| u32::try_from(level.discount_bp).unwrap_or(10_000))
                .unwrap_or(10_000),
            level_points_multiplier_bp: level
                .as_ref()
                .map(|level| u32::try_from(level.points_multiplier_bp).unwrap_or(10_000))
                .unwrap_or(10_000),
            birthday: member.birthday,
            member_prices: true,
        })
    }
}

/// Takes spent stored value from principal and bonus in proportion, as the server does.
fn take_value(balances: &mut MemberBalances, value: i64) {
    let total = balances.value_fen();
    if value <= 0 {
        return;
    }
    if total <= 0 {
        balances.principal_fen -= value;
        return;
    }
    let from_bonus = rules::split_proportionally(
        Money(value),
        &[Money(balances.principal_fen), Money(balances.bonus_fen)],
    )
    .map(|parts| parts[1].fen())
    .unwrap_or(0);
    balances.bonus_fen -= from_bonus;
    balances.principal_fen -= value - from_bonus;
}

pub fn cart_line(line: &DraftLine) -> CartLine {
    CartLine {
        item_id: line.item.id.to_string(),
        category_path: line
            .item
            .category_path
            .iter()
            .map(ToString::to_string)
            .collect(),
        quantity: line.quantity,
        unit_price: line.item.retail_price_fen,
        member_price: line.item.member_price_fen,
        earns_points: line.item.earns_points,
        manual_discount: line.manual_discount,
    }
}

/// Now on the business clock.
pub fn business_now() -> LocalDateTime {
    let local = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        js_sys::Date::now() + BUSINESS_UTC_OFFSET_MS as f64,
    ));
    LocalDateTime {
        date: LocalDate {
            year: local.get_utc_full_year() as i32,
            month: (local.get_utc_month() + 1) as u8,
            day: local.get_utc_date() as u8,
        },
        minute_of_day: (local.get_utc_hours() * 60 + local.get_utc_minutes()) as u16,
    }
}

pub fn use_counter() -> Counter {
    expect_context::<Counter>()
}
