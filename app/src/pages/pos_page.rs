//! `/pos`: the counter, laid out for a 1024×768 tablet held at the till. The member panel
//! sits on the left and the cart on the right; payment buttons run along the bottom.

use std::time::Duration;

use huiyuan_shared::{Money, Permission};
use leptos::prelude::*;

use crate::components::brand_mark::BrandMark;
use crate::components::lang_switch::LangSwitch;
use crate::components::logout_button::LogoutButton;
use crate::components::net_status_chip::NetStatusChip;
use crate::components::staff_guard::StaffGuard;
use crate::format::clock_now;
use crate::i18n::{use_document_title, use_i18n, Key};
use crate::pages::pos::member_lookup::MemberLookup;
use crate::session::use_session;

/// How often the clock in the top bar is refreshed.
const CLOCK_REFRESH_MS: u64 = 10_000;

#[component]
pub fn PosPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::PosUse>
            <PosShell />
        </StaffGuard>
    }
}

#[component]
fn PosShell() -> impl IntoView {
    use_document_title(Key::PosTitle);
    view! {
        <div class="pos-shell" data-testid="pos-shell">
            <PosTopBar />
            <main class="pos-counter">
                <MemberPanel />
                <CartPanel />
            </main>
            <ActionBar />
        </div>
    }
}

#[component]
fn PosTopBar() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let clock = RwSignal::new(clock_now());
    if let Ok(handle) = set_interval_with_handle(
        move || clock.set(clock_now()),
        Duration::from_millis(CLOCK_REFRESH_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    let store_name = move || session.staff().map(|staff| staff.store.name);
    let staff_name = move || session.staff().map(|staff| staff.display_name);
    view! {
        <header class="pos-topbar">
            <div class="pos-topbar__brand">
                <BrandMark />
                <span class="pos-topbar__product">{move || i18n.t(Key::PosTitle)}</span>
            </div>
            <div class="pos-topbar__store" data-testid="store-name">
                {store_name}
            </div>
            <div class="pos-topbar__spacer"></div>
            <NetStatusChip />
            <span class="pos-topbar__clock">{move || clock.get()}</span>
            <div class="pos-topbar__staff">
                <span class="muted">{move || i18n.t(Key::Cashier)}</span>
                <strong data-testid="staff-name">{staff_name}</strong>
            </div>
            <LangSwitch />
            <LogoutButton />
        </header>
    }
}

#[component]
fn MemberPanel() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="pos-panel pos-member" aria-labelledby="pos-member-title">
            <h2 id="pos-member-title" class="pos-panel__title">
                {move || i18n.t(Key::MemberPanel)}
            </h2>
            <MemberLookup />
        </section>
    }
}

#[component]
fn CartPanel() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="pos-panel pos-cart" aria-labelledby="pos-cart-title">
            <h2 id="pos-cart-title" class="pos-panel__title">
                {move || i18n.t(Key::Cart)}
            </h2>
            <div class="pos-cart__lines pos-cart__lines--empty" data-testid="cart-empty">
                <div class="pos-cart__empty-icon" aria-hidden="true">
                    <svg viewBox="0 0 24 24" width="56" height="56">
                        <path
                            d="M3 4h2l2.4 10.2a2 2 0 0 0 2 1.6h7.7a2 2 0 0 0 2-1.5L21 8H6.2"
                            fill="none"
                            stroke="currentColor"
                            stroke-width="1.5"
                            stroke-linecap="round"
                            stroke-linejoin="round"
                        />
                        <circle cx="10" cy="19.5" r="1.5" fill="currentColor" />
                        <circle cx="17" cy="19.5" r="1.5" fill="currentColor" />
                    </svg>
                </div>
                <p class="pos-cart__empty-title">{move || i18n.t(Key::CartEmpty)}</p>
                <p class="hint">{move || i18n.t(Key::CartEmptyHint)}</p>
            </div>
            <dl class="pos-totals" data-testid="cart-totals">
                <div class="pos-totals__row">
                    <dt>{move || i18n.t(Key::ItemCount)}</dt>
                    <dd class="num">"0"</dd>
                </div>
                <div class="pos-totals__row">
                    <dt>{move || i18n.t(Key::Subtotal)}</dt>
                    <dd class="num">{Money::ZERO.to_string()}</dd>
                </div>
                <div class="pos-totals__row">
                    <dt>{move || i18n.t(Key::Discount)}</dt>
                    <dd class="num">{Money::ZERO.to_string()}</dd>
                </div>
                <div class="pos-totals__row pos-totals__row--due">
                    <dt>{move || i18n.t(Key::AmountDue)}</dt>
                    <dd class="num" data-testid="amount-due">
                        {Money::ZERO.to_string()}
                    </dd>
                </div>
            </dl>
        </section>
    }
}

#[component]
fn ActionBar() -> impl IntoView {
    let i18n = use_i18n();
    // Every action needs a sale in progress; none exists until items can be scanned.
    let has_cart = false;
    view! {
        <footer class="pos-actions">
            <button class="btn btn--secondary btn--pos" data-testid="pos-void" disabled=!has_cart>
                {move || i18n.t(Key::VoidOrder)}
            </button>
            <button class="btn btn--secondary btn--pos" data-testid="pos-hold" disabled=!has_cart>
                {move || i18n.t(Key::HoldOrder)}
            </button>
            <button class="btn btn--secondary btn--pos" data-testid="pos-recall" disabled=!has_cart>
                {move || i18n.t(Key::RecallOrder)}
            </button>
            <button
                class="btn btn--primary btn--pos btn--checkout"
                data-testid="pos-checkout"
                disabled=!has_cart
            >
                <span>{move || i18n.t(Key::Checkout)}</span>
                <span class="num">{Money::ZERO.to_string()}</span>
            </button>
        </footer>
    }
}
