//! The counter's member panel: one box for a scanned card, a phone number or its last
//! four digits, a member number or part of a name, answered from the tablet's cache so
//! it works without the network; then the member with their level, points, balance and
//! any warning.

use huiyuan_shared::card::CardState;
use huiyuan_shared::sync::CachedMember;
use huiyuan_shared::Money;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::cache::lookup;
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::counter::{use_counter, Counter};

/// Picks a member for the sale: their level comes from the cache too.
pub fn choose(counter: Counter, member: CachedMember) {
    let level_id = member.level_id.clone();
    counter.presented.set(None);
    counter.member.set(Some(member));
    counter.level.set(None);
    spawn_local(async move {
        if let Ok(level) = lookup::level(&level_id).await {
            counter.level.set(level);
        }
    });
}

/// Looks a term up and, when exactly one member answers, picks them. What the cache does
/// not know — a member code (QR), which only the server can check — is asked of the
/// server when it can be reached; a member code then goes with the sale, which uses it up.
pub async fn find_and_choose(counter: Counter, term: &str) -> Result<Vec<CachedMember>, String> {
    let mut found = lookup::find_members(term)
        .await
        .map_err(|error| error.to_string())?;
    let mut presented = None;
    if found.is_empty() && term.trim().len() > 12 {
        match api::cards::by_card(term.trim()).await {
            Ok(lookup) => {
                if let Ok(Some(member)) = lookup::member(&lookup.member.id.to_string()).await {
                    found = vec![member];
                    presented = (lookup.via == "qr").then(|| term.trim().to_owned());
                }
            }
            Err(error) if error.code != crate::i18n::NETWORK_ERROR => return Err(error.message),
            Err(_) => {}
        }
    }
    if let [member] = found.as_slice() {
        // A card number names one card: a lost or replaced one is refused here, as the
        // server would refuse it.
        if let Some(card) = member.cards.iter().find(|card| card.card_no == term.trim()) {
            if card.state != CardState::Active {
                return Err(format!("card:{}", card.state.code()));
            }
        }
        choose(counter, member.clone());
        counter.presented.set(presented);
    }
    Ok(found)
}

#[component]
pub fn MemberPanel() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let term = RwSignal::new(String::new());
    let matches = RwSignal::new(None::<Vec<CachedMember>>);

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let text = term.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        spawn_local(async move {
            match find_and_choose(counter, &text).await {
                Ok(found) if found.len() == 1 => {
                    matches.set(None);
                    term.set(String::new());
                }
                Ok(found) if found.is_empty() => {
                    matches.set(Some(found));
                    counter.error(i18n.t(Key::PosUnknownMember).replace("{term}", &text));
                }
                Ok(found) => matches.set(Some(found)),
                Err(code) if code.starts_with("card:") => {
                    counter.error(i18n.t(Key::PosCardRefused).replace("{card}", &text));
                }
                Err(error) => counter.error(error),
            }
        });
    };

    view! {
        <section class="pos-panel pos-member" aria-labelledby="pos-member-title">
            <h2 id="pos-member-title" class="pos-panel__title">
                {move || i18n.t(Key::MemberPanel)}
            </h2>
            <form class="pos-member__search" role="search" on:submit=on_submit>
                <input
                    class="input input--large"
                    type="search"
                    enterkeyhint="search"
                    data-testid="member-search"
                    placeholder=move || i18n.t(Key::MemberSearchPlaceholder)
                    bind:value=term
                />
            </form>
            {move || matches.get().filter(|found| found.len() > 1).map(|found| view! {
                <ul class="pos-lookup__results" data-testid="member-lookup-results">
                    {found.into_iter().map(|member| {
                        let chosen = member.clone();
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="pos-lookup__row"
                                    data-testid="member-lookup-row"
                                    on:click=move |_| {
                                        choose(counter, chosen.clone());
                                        matches.set(None);
                                    }
                                >
                                    <span class="avatar" aria-hidden="true">{initial(&member.name)}</span>
                                    <span class="pos-lookup__who">
                                        <strong>{member.name.clone()}</strong>
                                        <span class="pos-lookup__facts muted">
                                            <span class="num">{member.phone_masked.clone()}</span>
                                            <span class="num">{member.member_no.clone()}</span>
                                        </span>
                                    </span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <CurrentMember />
        </section>
    }
}

fn initial(name: &str) -> String {
    name.chars().next().map(String::from).unwrap_or_default()
}

#[component]
fn CurrentMember() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    move || match counter.member.get() {
        None => view! {
            <div class="pos-member__current" data-testid="pos-member-current">
                <span class="avatar avatar--empty" aria-hidden="true">"客"</span>
                <span>{move || i18n.t(Key::WalkInCustomer)}</span>
            </div>
        }
        .into_any(),
        Some(member) => {
            let level_name = move || {
                counter
                    .level
                    .get()
                    .map(|level| level.name)
                    .unwrap_or_default()
            };
            let available = move || counter.available().unwrap_or_default();
            view! {
                <div
                    class="pos-member__current pos-member__current--chosen"
                    data-testid="pos-member-current"
                >
                    <span class="avatar" aria-hidden="true">{initial(&member.name)}</span>
                    <span class="pos-lookup__who">
                        <strong data-testid="pos-member-name">{member.name.clone()}</strong>
                        <span class="muted num">{member.phone_masked.clone()}</span>
                        <span class="muted num">
                            {member.member_no.clone()} " · "
                            <span data-testid="pos-member-level">{level_name}</span>
                        </span>
                    </span>
                    <button
                        type="button"
                        class="btn btn--ghost"
                        data-testid="pos-member-clear"
                        on:click=move |_| {
                            counter.member.set(None);
                            counter.level.set(None);
                            counter.presented.set(None);
                        }
                    >
                        {move || i18n.t(Key::ClearMember)}
                    </button>
                </div>
                <dl class="pos-member__balances">
                    <div>
                        <dt>{move || i18n.t(Key::Points)}</dt>
                        <dd class="num" data-testid="pos-member-points">{move || available().points}</dd>
                    </div>
                    <div>
                        <dt>{move || i18n.t(Key::StoredValue)}</dt>
                        <dd class="num" data-testid="pos-member-value">
                            {move || Money(available().value_fen()).to_string()}
                        </dd>
                    </div>
                </dl>
                {member.frozen.then(|| view! {
                    <p class="alert alert--danger" role="alert" data-testid="member-frozen">
                        {move || i18n.t(Key::MemberFrozenWarning)}
                    </p>
                })}
                {(member.pin_set && member.offline_pin.is_none()).then(|| view! {
                    <p class="hint">{move || i18n.t(Key::PosPinOnlineOnly)}</p>
                })}
            }
            .into_any()
        }
    }
}
