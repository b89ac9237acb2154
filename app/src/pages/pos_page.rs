//! `/pos`: the counter, laid out for a 1024×768 tablet held at the till. The member panel
//! sits on the left and the cart on the right; the actions run along the bottom. Every
//! screen reads the tablet's cache and writes the outbox, so the counter keeps selling
//! when the network drops.

use std::time::Duration;

use huiyuan_shared::{Money, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::cache::{meta, outbox};
use crate::components::brand_mark::BrandMark;
use crate::components::lang_switch::LangSwitch;
use crate::components::logout_button::LogoutButton;
use crate::components::staff_guard::StaffGuard;
use crate::components::sync_chip::SyncChip;
use crate::format::clock_now;
use crate::i18n::{use_document_title, use_i18n, Key};
use crate::pages::pos::cart_panel::{self, CartPanel};
use crate::pages::pos::counter::{Counter, View};
use crate::pages::pos::held_sales::{self, HeldSalesView};
use crate::pages::pos::member_panel::{self, MemberPanel};
use crate::pages::pos::payment_dialog::PaymentDialog;
use crate::pages::pos::receipt::{ReceiptDialog, ReceiptState};
use crate::pages::pos::redeem_view::RedeemView;
use crate::pages::pos::returns_view::ReturnsView;
use crate::pages::pos::scanner;
use crate::pages::pos::shift_view::ShiftView;
use crate::pages::pos::topup_view::TopupView;
use crate::session::use_session;
use crate::sync::SyncStatus;

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
    let i18n = use_i18n();
    let session = use_session();
    let store_id = session
        .staff()
        .map(|staff| staff.store.id)
        .unwrap_or_default();
    let sync = SyncStatus::provide();
    let counter = Counter::new(store_id);
    provide_context(counter);
    let receipt = ReceiptState::new();

    // The rules and the unsent commands are read again whenever the cache changes.
    Effect::new(move |_| {
        sync.revision.track();
        sync.unsent.track();
        spawn_local(async move {
            if let Ok(Some(rules)) = meta::rules().await {
                counter.rules.set(Some(rules));
            }
            if let Ok(entries) = outbox::pending().await {
                counter.pending.set(entries);
            }
            // The chosen member's balances as the last push or pull left them.
            if let Some(member) = counter.member.get_untracked() {
                if let Ok(Some(fresh)) = crate::cache::lookup::member(&member.id.to_string()).await
                {
                    if fresh != member {
                        counter.member.set(Some(fresh));
                    }
                }
            }
        });
    });

    // A scan from anywhere: an item's barcode first, then a member's card or number.
    scanner::listen(move |code| {
        // Nothing changes the sale while it is being paid for.
        if counter.paying.get_untracked() {
            return;
        }
        let unknown = i18n.t(Key::PosUnknownItem).to_owned();
        spawn_local(async move {
            if let Ok(Some(item)) = crate::cache::lookup::item_by_barcode(&code).await {
                counter.notice.set(None);
                counter.add_item(item);
                counter.view.set(View::Sale);
                return;
            }
            match member_panel::find_and_choose(counter, &code).await {
                Ok(found) if found.len() == 1 => counter.notice.set(None),
                Err(reason) if reason.starts_with("card:") => {
                    counter.error(i18n.t(Key::PosCardRefused).replace("{card}", &code));
                }
                _ => cart_panel::add_by_code(counter, &code, unknown).await,
            }
        });
    });

    view! {
        <div class="pos-shell" data-testid="pos-shell">
            <PosTopBar />
            <Notice />
            <FirstSync />
            <main class="pos-counter">
                <MemberPanel />
                {move || match counter.view.get() {
                    View::Sale => view! { <CartPanel /> }.into_any(),
                    View::Topup => view! { <TopupView /> }.into_any(),
                    View::Held => view! { <HeldSalesView /> }.into_any(),
                    View::Returns => view! { <ReturnsView /> }.into_any(),
                    View::Redeem => view! { <RedeemView /> }.into_any(),
                    View::Shift => view! { <ShiftView /> }.into_any(),
                }}
            </main>
            <ActionBar />
            {move || counter.paying.get().then(|| view! { <PaymentDialog receipt /> })}
            <ReceiptDialog state=receipt />
            <Rejected />
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
            <SyncChip />
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

/// The counter's last message: an error in red, a confirmation in green.
#[component]
fn Notice() -> impl IntoView {
    let counter = crate::pages::pos::counter::use_counter();
    move || {
        counter.notice.get().map(|notice| {
            view! {
                <div
                    class="pos-notice"
                    class:pos-notice--error=notice.error
                    role=if notice.error { "alert" } else { "status" }
                    data-testid="pos-notice"
                >
                    <span>{notice.text}</span>
                    <button type="button" class="btn btn--ghost" aria-label="×"
                        on:click=move |_| counter.notice.set(None)>"×"</button>
                </div>
            }
        })
    }
}

/// Until the cache has been filled once, the counter says how far the first sync is.
#[component]
fn FirstSync() -> impl IntoView {
    let i18n = use_i18n();
    let sync = crate::sync::use_sync();
    move || {
        (!sync.filled.get()).then(|| {
            view! {
                <div class="pos-notice" role="status" data-testid="first-sync">
                    {move || i18n.t(Key::SyncFirst).replace("{n}", &sync.pulled.get().to_string())}
                </div>
            }
        })
    }
}

/// Commands the server refused, for the cashier to read and let go.
#[component]
fn Rejected() -> impl IntoView {
    let i18n = use_i18n();
    let sync = crate::sync::use_sync();
    move || {
        let rejected = sync.rejected.get();
        (!rejected.is_empty()).then(|| {
            view! {
                <aside class="pos-rejected" role="alert" data-testid="sync-rejected">
                    <h3>{move || i18n.t(Key::SyncRejectedTitle)}</h3>
                    <ul>
                        {rejected.into_iter().map(|entry| {
                            let id = entry.id.clone();
                            let reason = entry.rejected.map(|error| error.message).unwrap_or_default();
                            view! {
                                <li>
                                    // The till's own number, as printed on an offline receipt.
                                    <span class="num">{format!("L-{}", &entry.id[entry.id.len().saturating_sub(12)..])}</span>
                                    " " <span>{reason}</span>
                                    <button type="button" class="btn btn--ghost" on:click=move |_| {
                                        let id = id.clone();
                                        spawn_local(async move { let _ = sync.dismiss(&id).await; });
                                    }>{move || i18n.t(Key::Dismiss)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </aside>
            }
        })
    }
}

#[component]
fn ActionBar() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let counter = crate::pages::pos::counter::use_counter();
    let has_cart = move || !counter.lines.with(Vec::is_empty);
    let due = move || {
        counter
            .quote()
            .and_then(Result::ok)
            .map(|quote| quote.totals.amount_due)
            .unwrap_or(Money::ZERO)
            .to_string()
    };
    let tab = move |view: View, key: Key, testid: &'static str| {
        let active = view.clone();
        view! {
            <button
                type="button"
                class="btn btn--secondary btn--pos"
                class:btn--active=move || counter.view.get() == active
                data-testid=testid
                on:click=move |_| counter.view.set(view.clone())
            >
                {move || i18n.t(key)}
            </button>
        }
    };
    view! {
        <footer class="pos-actions">
            {tab(View::Sale, Key::PosSale, "pos-tab-sale")}
            {tab(View::Topup, Key::Topup, "pos-tab-topup")}
            {tab(View::Redeem, Key::Redeem, "pos-tab-redeem")}
            {tab(View::Held, Key::RecallOrder, "pos-recall")}
            {move || session.can(Permission::PosReturn).then(|| tab(View::Returns, Key::Returns, "pos-tab-returns"))}
            {move || session.can(Permission::PosShiftClose).then(|| tab(View::Shift, Key::Shift, "pos-tab-shift"))}
            <button class="btn btn--secondary btn--pos" data-testid="pos-void"
                disabled=move || !has_cart() on:click=move |_| counter.clear()>
                {move || i18n.t(Key::VoidOrder)}
            </button>
            <button class="btn btn--secondary btn--pos" data-testid="pos-hold"
                disabled=move || !has_cart()
                on:click=move |_| held_sales::hold(counter, move || counter.info(i18n.t(Key::HeldDone)))>
                {move || i18n.t(Key::HoldOrder)}
            </button>
            <button
                class="btn btn--primary btn--pos btn--checkout"
                data-testid="pos-checkout"
                disabled=move || !has_cart() || counter.quote().is_some_and(|quote| quote.is_err())
                on:click=move |_| counter.paying.set(true)
            >
                <span>{move || i18n.t(Key::Checkout)}</span>
                <span class="num">{due}</span>
            </button>
        </footer>
    }
}
