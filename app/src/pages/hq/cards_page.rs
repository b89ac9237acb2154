//! `/hq/cards`: find a member card by its number, see its state, member and location, and
//! act on it: report lost or found, freeze or unfreeze, reissue, close with a refund.

use huiyuan_shared::api::{ApiError, StoreKind, StoreNode};
use huiyuan_shared::card::{
    CardCloseRequest, CardMedium, CardReplaceRequest, CardState, MemberCardView,
};
use huiyuan_shared::value::Tender;
use huiyuan_shared::{Money, Permission, StoreId};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::api::cards::CardAction;
use crate::components::error_view::ErrorView;
use crate::components::staff_guard::StaffGuard;
use crate::format::local_time;
use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

#[component]
pub fn CardsPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::MemberView>
            <CardDesk />
        </StaffGuard>
    }
}

pub fn state_key(state: CardState) -> Key {
    match state {
        CardState::InStock => Key::CardStateInStock,
        CardState::Active => Key::CardStateActive,
        CardState::Lost => Key::CardStateLost,
        CardState::Frozen => Key::CardStateFrozen,
        CardState::Replaced => Key::CardStateReplaced,
        CardState::Closed => Key::CardStateClosed,
    }
}

pub fn state_badge(state: CardState) -> &'static str {
    match state {
        CardState::Active => "badge badge--success",
        CardState::Lost | CardState::Frozen => "badge badge--warn",
        CardState::Closed | CardState::Replaced => "badge badge--muted",
        CardState::InStock => "badge badge--kind-region",
    }
}

pub fn medium_key(medium: CardMedium) -> Key {
    match medium {
        CardMedium::Barcode => Key::MediumBarcode,
        CardMedium::Magnetic => Key::MediumMagnetic,
        CardMedium::Ic => Key::MediumIc,
        CardMedium::Virtual => Key::MediumVirtual,
    }
}

/// Stores where counter business (a refund, a stock card) can happen.
fn counter_stores(nodes: Vec<StoreNode>) -> Vec<StoreNode> {
    nodes
        .into_iter()
        .filter(|node| node.kind == StoreKind::Store)
        .collect()
}

#[component]
fn CardDesk() -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let card = RwSignal::new(None::<MemberCardView>);
    let error = RwSignal::new(None::<ApiError>);
    // Kept here, not in the panel: the panel is drawn anew for the card's new state.
    let desk = Desk {
        card,
        stores: LocalResource::new(|| async { api::stores().await.map(counter_stores) }),
        notice: RwSignal::new(None),
    };
    let on_find = move |event: SubmitEvent| {
        event.prevent_default();
        let number = query.get_untracked().trim().to_owned();
        if number.is_empty() {
            return;
        }
        error.set(None);
        desk.notice.set(None);
        spawn_local(async move {
            match api::cards::get(&number).await {
                Ok(found) => card.set(Some(found)),
                Err(failure) => {
                    card.set(None);
                    error.set(Some(failure));
                }
            }
        });
    };
    view! {
        <div class="hq-page">
            <h1 class="hq-page__title">{move || i18n.t(Key::NavCards)}</h1>
            <form class="toolbar" on:submit=on_find>
                <input
                    class="input mono"
                    inputmode="numeric"
                    data-testid="card-search"
                    placeholder=move || i18n.t(Key::CardSearchPlaceholder)
                    bind:value=query
                />
                <button class="btn btn--primary" type="submit" data-testid="card-search-submit">
                    {move || i18n.t(Key::Search)}
                </button>
            </form>
            {move || error.get().map(|error| view! { <ErrorView error /> })}
            {move || card.get().map(|shown| view! { <CardDetail shown desk /> })}
        </div>
    }
}

/// What the card panels share and keep across the card's changes.
#[derive(Clone, Copy)]
struct Desk {
    card: RwSignal<Option<MemberCardView>>,
    stores: LocalResource<Result<Vec<StoreNode>, ApiError>>,
    notice: RwSignal<Option<String>>,
}

#[component]
fn CardDetail(shown: MemberCardView, desk: Desk) -> impl IntoView {
    let i18n = use_i18n();
    let state = shown.state;
    let member = match (&shown.member_name, &shown.member_no) {
        (Some(name), Some(number)) => format!("{name} · {number}"),
        _ => "—".to_owned(),
    };
    let medium = medium_key(shown.medium);
    let issued = shown
        .issued_at
        .as_deref()
        .map(local_time)
        .unwrap_or_default();
    view! {
        <div class="card-columns">
            <section class="card">
                <h2 class="card__title mono" data-testid="card-no">{shown.card_no.clone()}</h2>
                <dl class="facts">
                    <dt>{move || i18n.t(Key::CardState)}</dt>
                    <dd>
                        <span class=state_badge(state) data-testid="card-state">
                            {move || i18n.t(state_key(state))}
                        </span>
                    </dd>
                    <dt>{move || i18n.t(Key::CardMember)}</dt>
                    <dd data-testid="card-member">{member}</dd>
                    <dt>{move || i18n.t(Key::CardMedium)}</dt>
                    <dd>{move || i18n.t(medium)}</dd>
                    <dt>{move || i18n.t(Key::CardLocation)}</dt>
                    <dd>{shown.location_name.clone().unwrap_or_default()}</dd>
                    <dt>{move || i18n.t(Key::CardIssuedAt)}</dt>
                    <dd>{issued}</dd>
                    {shown.replaced_by.clone().map(|successor| view! {
                        <dt>{move || i18n.t(Key::CardReplacedBy)}</dt>
                        <dd class="mono" data-testid="card-replaced-by">{successor}</dd>
                    })}
                </dl>
            </section>
            <CardActions shown desk />
        </div>
    }
}

/// The actions a card in its state allows, with what they need: a reason, the store where
/// it happens, a new card number, how a refund is paid.
#[component]
fn CardActions(shown: MemberCardView, desk: Desk) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let Desk {
        card,
        stores,
        notice,
    } = desk;
    let store = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let new_card = RwSignal::new(String::new());
    let refund = RwSignal::new(true);
    let tender = RwSignal::new("cash".to_owned());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let card_no = shown.card_no.clone();
    let state = shown.state;

    let finish = move |result: Result<(MemberCardView, Option<String>), ApiError>| {
        pending.set(false);
        match result {
            Ok((updated, message)) => {
                card.set(Some(updated));
                notice.set(Some(
                    message.unwrap_or_else(|| i18n.t(Key::ActionDone).to_owned()),
                ));
            }
            Err(failure) => error.set(Some(failure)),
        }
    };
    let begin = move || {
        if pending.get_untracked() {
            return false;
        }
        pending.set(true);
        error.set(None);
        notice.set(None);
        true
    };
    let reason_text = move || {
        let text = reason.get_untracked().trim().to_owned();
        (!text.is_empty()).then_some(text)
    };
    let chosen_store = move || -> Option<StoreId> { store.get_untracked().parse().ok() };

    let change = {
        let card_no = card_no.clone();
        move |action: CardAction| {
            if !begin() {
                return;
            }
            let card_no = card_no.clone();
            let why = reason_text();
            spawn_local(async move {
                let result = api::cards::change_state(&card_no, action, why).await;
                finish(result.map(|updated| (updated, None)));
            });
        }
    };
    let reissue = {
        let card_no = card_no.clone();
        move || {
            let Some(store_id) = chosen_store() else {
                return;
            };
            if !begin() {
                return;
            }
            let card_no = card_no.clone();
            let number = new_card.get_untracked().trim().to_owned();
            let request = CardReplaceRequest {
                store_id,
                card_no: (!number.is_empty()).then_some(number),
                reason: reason_text(),
            };
            spawn_local(async move {
                let result = api::cards::reissue(&card_no, &request).await;
                finish(result.map(|replaced| (replaced.old, Some(replaced.new.card_no))));
            });
        }
    };
    let close = {
        let card_no = card_no.clone();
        move || {
            let Some(store_id) = chosen_store() else {
                return;
            };
            if !begin() {
                return;
            }
            let card_no = card_no.clone();
            let request = CardCloseRequest {
                id: uuid::Uuid::now_v7(),
                store_id,
                refund: refund.get_untracked(),
                tender: refund
                    .get_untracked()
                    .then(|| tender_of(&tender.get_untracked())),
                reason: reason_text().unwrap_or_default(),
                pin: None,
            };
            spawn_local(async move {
                let result = api::cards::close(&card_no, &request).await;
                finish(result.map(|receipt| {
                    let paid = receipt.withdrawal.map(|withdrawal| {
                        format!(
                            "{} {}",
                            i18n.t(Key::PrincipalRefunded),
                            Money::from_fen(withdrawal.principal_paid_fen)
                        )
                    });
                    (receipt.card, paid)
                }));
            });
        }
    };

    let can_freeze = session.can(Permission::CardFreeze);
    let can_issue = session.can(Permission::CardIssue);
    let can_close = session.can(Permission::CardClose);
    let lost_or_active = matches!(state, CardState::Active | CardState::Lost);
    let button = move |label: Key, testid: &'static str, shown: bool, run: Callback<()>| {
        shown.then(|| {
            view! {
                <button
                    class="btn btn--secondary"
                    data-testid=testid
                    disabled=move || pending.get()
                    on:click=move |_| run.run(())
                >
                    {move || i18n.t(label)}
                </button>
            }
        })
    };
    let act = |action: CardAction| {
        let change = change.clone();
        Callback::new(move |()| change(action))
    };
    let store_options = move || {
        stores.get().and_then(Result::ok).map(|nodes| {
            if store.with_untracked(String::is_empty) {
                if let Some(first) = nodes.first() {
                    store.set(first.id.to_string());
                }
            }
            nodes
                .into_iter()
                .map(|node| view! { <option value=node.id.to_string()>{node.name}</option> })
                .collect_view()
        })
    };

    view! {
        <section class="card card-actions" data-testid="card-actions">
            <h2 class="card__title">{move || i18n.t(Key::CardActions)}</h2>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::Reason)}</span>
                <input class="input" data-testid="card-reason" bind:value=reason />
            </label>
            <div class="button-row">
                {button(Key::ActReportLost, "act-lost", can_freeze && state == CardState::Active, act(CardAction::ReportLost))}
                {button(Key::ActFound, "act-found", can_freeze && state == CardState::Lost, act(CardAction::Found))}
                {button(Key::ActFreeze, "act-freeze", can_freeze && state == CardState::Active, act(CardAction::Freeze))}
                {button(Key::ActUnfreeze, "act-unfreeze", can_freeze && state == CardState::Frozen, act(CardAction::Unfreeze))}
            </div>
            {(lost_or_active && (can_issue || can_close)).then(|| view! {
                <label class="field">
                    <span class="field__label">{move || i18n.t(Key::AtStore)}</span>
                    <select class="input" data-testid="card-store" bind:value=store>
                        {store_options}
                    </select>
                </label>
            })}
            {(lost_or_active && can_issue).then(|| {
                let reissue = reissue.clone();
                view! {
                    <div class="inline-form">
                        <label class="field">
                            <span class="field__label">{move || i18n.t(Key::NewCardNo)}</span>
                            <input class="input mono" inputmode="numeric" data-testid="card-new-no" bind:value=new_card />
                        </label>
                        <button
                            class="btn btn--secondary"
                            data-testid="act-reissue"
                            disabled=move || pending.get()
                            on:click=move |_| reissue()
                        >
                            {move || i18n.t(Key::ActReissue)}
                        </button>
                    </div>
                }
            })}
            {(lost_or_active && can_close).then(|| {
                let close = close.clone();
                view! {
                    <div class="inline-form">
                        <label class="checkbox">
                            <input type="checkbox" data-testid="card-refund" bind:checked=refund />
                            <span>{move || i18n.t(Key::RefundPrincipal)}</span>
                        </label>
                        <label class="field">
                        <span class="field__label">{move || i18n.t(Key::Tender)}</span>
                        <select class="input" data-testid="card-tender" bind:value=tender disabled=move || !refund.get()>
                            <option value="cash">{move || i18n.t(Key::TenderCash)}</option>
                            <option value="bank_card">{move || i18n.t(Key::TenderBankCard)}</option>
                            <option value="wechat">{move || i18n.t(Key::TenderWechat)}</option>
                            <option value="alipay">{move || i18n.t(Key::TenderAlipay)}</option>
                        </select>
                        </label>
                        <button
                            class="btn btn--danger"
                            data-testid="act-close"
                            disabled=move || pending.get()
                            on:click=move |_| close()
                        >
                            {move || i18n.t(Key::ActClose)}
                        </button>
                    </div>
                }
            })}
            {move || notice.get().map(|text| view! {
                <div class="alert alert--success" role="status" data-testid="card-notice">{text}</div>
            })}
            {move || error.get().map(|error| view! { <ErrorView error /> })}
        </section>
    }
}

fn tender_of(code: &str) -> Tender {
    match code {
        "bank_card" => Tender::BankCard,
        "wechat" => Tender::Wechat,
        "alipay" => Tender::Alipay,
        _ => Tender::Cash,
    }
}
