//! The counter's member lookup: one box for a full phone number, its last four digits, a
//! member number or part of a name (the server reads the term by its shape), the matches
//! with their level and any warning, and the member picked for the sale.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{MemberStatus, MemberSummary};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::i18n::{use_i18n, Key};

/// What the lookup shows below the box.
#[derive(Clone, Debug, PartialEq)]
enum Lookup {
    Idle,
    Searching,
    Found {
        members: Vec<MemberSummary>,
        more: bool,
    },
    Failed(ApiError),
}

#[component]
pub fn MemberLookup() -> impl IntoView {
    let i18n = use_i18n();
    let term = RwSignal::new(String::new());
    let lookup = RwSignal::new(Lookup::Idle);
    let selected = RwSignal::new(None::<MemberSummary>);
    // Counts searches so that the answer to a superseded one is dropped.
    let generation = StoredValue::new(0_u64);

    let search = move || {
        let text = term.get_untracked().trim().to_owned();
        if text.is_empty() {
            lookup.set(Lookup::Idle);
            return;
        }
        let current = generation.get_value() + 1;
        generation.set_value(current);
        lookup.set(Lookup::Searching);
        spawn_local(async move {
            let result = api::members::search(&text, 0, false).await;
            if generation.get_value() != current {
                return;
            }
            lookup.set(match result {
                Ok(page) => Lookup::Found {
                    members: page.members,
                    more: page.more,
                },
                Err(error) => Lookup::Failed(error),
            });
        });
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        search();
    };

    let results = move || match lookup.get() {
        Lookup::Idle => None,
        Lookup::Searching => Some(
            view! {
                <p class="pos-lookup__status muted" role="status">{move || i18n.t(Key::Loading)}</p>
            }
            .into_any(),
        ),
        Lookup::Failed(error) => {
            let retry = Callback::new(move |()| search());
            Some(view! { <ErrorView error on_retry=retry /> }.into_any())
        }
        Lookup::Found { members, .. } if members.is_empty() => Some(
            view! {
                <p class="pos-lookup__status muted" data-testid="member-lookup-none">
                    {move || i18n.t(Key::NoMemberFound)}
                </p>
            }
            .into_any(),
        ),
        Lookup::Found { members, more } => Some(
            view! {
                <ul class="pos-lookup__results" data-testid="member-lookup-results">
                    {members
                        .into_iter()
                        .map(|member| view! { <ResultRow member selected /> })
                        .collect_view()}
                </ul>
                {more.then(|| view! {
                    <p class="hint">{move || i18n.t(Key::SearchMore)}</p>
                })}
            }
            .into_any(),
        ),
    };

    view! {
        <form class="pos-member__search" role="search" on:submit=on_submit>
            <input
                class="input input--large"
                type="search"
                enterkeyhint="search"
                data-testid="member-search"
                placeholder=move || i18n.t(Key::MemberSearchPlaceholder)
                aria-describedby="pos-member-hint"
                bind:value=term
            />
            <p id="pos-member-hint" class="hint">
                {move || i18n.t(Key::MemberSearchHint)}
            </p>
        </form>
        <div class="pos-lookup" aria-live="polite">{results}</div>
        <CurrentMember selected />
    }
}

#[component]
fn ResultRow(member: MemberSummary, selected: RwSignal<Option<MemberSummary>>) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = member.clone();
    let initial = member
        .name
        .chars()
        .next()
        .map(String::from)
        .unwrap_or_default();
    let is_selected = {
        let id = member.id;
        move || selected.with(|current| current.as_ref().is_some_and(|m| m.id == id))
    };
    view! {
        <li>
            <button
                type="button"
                class="pos-lookup__row"
                class:pos-lookup__row--selected=is_selected
                data-testid="member-lookup-row"
                on:click=move |_| selected.set(Some(chosen.clone()))
            >
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="pos-lookup__who">
                    <span class="pos-lookup__name">
                        <strong>{member.name.clone()}</strong>
                        <span class="badge badge--kind-region">{member.level_name.clone()}</span>
                        {(member.status == MemberStatus::Pending).then(|| view! {
                            <span class="badge badge--warn">{move || i18n.t(Key::MemberStatusPending)}</span>
                        })}
                        {member.frozen.then(|| view! {
                            <span class="badge badge--danger" data-testid="member-frozen">
                                {move || i18n.t(Key::MemberFrozen)}
                            </span>
                        })}
                    </span>
                    <span class="pos-lookup__facts muted">
                        <span class="num">{member.phone_masked.clone()}</span>
                        <span class="num">{member.member_no.clone()}</span>
                    </span>
                </span>
            </button>
        </li>
    }
}

#[component]
fn CurrentMember(selected: RwSignal<Option<MemberSummary>>) -> impl IntoView {
    let i18n = use_i18n();
    move || match selected.get() {
        None => view! {
            <div class="pos-member__current" data-testid="pos-member-current">
                <span class="avatar avatar--empty" aria-hidden="true">"客"</span>
                <span>{move || i18n.t(Key::WalkInCustomer)}</span>
            </div>
        }
        .into_any(),
        Some(member) => {
            let initial = member
                .name
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default();
            view! {
                <div
                    class="pos-member__current pos-member__current--chosen"
                    data-testid="pos-member-current"
                >
                    <span class="avatar" aria-hidden="true">{initial}</span>
                    <span class="pos-lookup__who">
                        <span class="muted">{move || i18n.t(Key::CurrentMember)}</span>
                        <strong>{member.name.clone()}</strong>
                        <span class="muted num">
                            {format!("{} · {}", member.member_no, member.level_name)}
                        </span>
                        {member.frozen.then(|| view! {
                            <span class="alert alert--danger pos-lookup__warning" role="alert">
                                {move || i18n.t(Key::MemberFrozenWarning)}
                            </span>
                        })}
                    </span>
                    <button
                        type="button"
                        class="btn btn--ghost"
                        data-testid="pos-member-clear"
                        on:click=move |_| selected.set(None)
                    >
                        {move || i18n.t(Key::ClearMember)}
                    </button>
                </div>
            }
            .into_any()
        }
    }
}
