//! `/hq/members/:id`: the member 360° view (MEM-5): profile, balances, purchases, the
//! points and stored-value history, and the sections later modules fill.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{
    ClassList, Classification, MemberClass, MemberPatch, MemberRecord, MemberStatus, Profile,
};
use huiyuan_shared::value::LedgerPage;
use huiyuan_shared::{FieldError, Money, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::components::profile_field::ProfileFieldInput;
use crate::components::staff_guard::StaffGuard;
use crate::format::local_time;
use crate::i18n::{use_i18n, Key};
use crate::pages::hq::members_page::status_badge;
use crate::session::use_session;

#[component]
pub fn MemberDetailPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::MemberView>
            <MemberDetail />
        </StaffGuard>
    }
}

#[component]
fn MemberDetail() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|params| params.get("id").unwrap_or_default());
    let record = LocalResource::new(move || {
        let id = id();
        async move { api::members::get(&id).await }
    });
    let body = move || match record.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Ok(member)) => {
            let on_change = Callback::new(move |()| record.refetch());
            view! { <MemberView member on_change /> }.into_any()
        }
        Some(Err(error)) => {
            let retry = Callback::new(move |()| record.refetch());
            view! { <ErrorView error on_retry=retry /> }.into_any()
        }
    };
    view! {
        <div class="hq-page" data-testid="member-detail">
            <A href="/hq/members" attr:class="back-link">{move || i18n.t(Key::BackToList)}</A>
            {body}
        </div>
    }
}

#[component]
fn MemberView(member: MemberRecord, on_change: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let (status, badge) = status_badge(member.status);
    let id = member.id.to_string();
    let action_error = RwSignal::new(None::<ApiError>);
    let archive_action = match member.status {
        MemberStatus::Active => Some((true, Key::Archive)),
        MemberStatus::Archived => Some((false, Key::Restore)),
        _ => None,
    };
    let archive_button = archive_action
        .filter(|_| session.can(Permission::MemberDelete))
        .map(|(archive, label)| {
            let id = id.clone();
            let act = move |_| {
                let id = id.clone();
                spawn_local(async move {
                    match api::members::set_archived(&id, archive).await {
                        Ok(_) => on_change.run(()),
                        Err(error) => action_error.set(Some(error)),
                    }
                });
            };
            view! {
                <button class="btn btn--secondary" data-testid="member-archive" on:click=act>
                    {move || i18n.t(label)}
                </button>
            }
        });
    let facts = vec![
        (Key::ColMemberNo, member.member_no.clone()),
        (Key::ColPhone, member.phone.clone()),
        (Key::ColLevel, member.level_name.clone()),
        (
            Key::LevelExpires,
            member
                .level_expires_at
                .as_deref()
                .map(local_time)
                .unwrap_or_else(|| "—".to_owned()),
        ),
        (
            Key::RegisteredVia,
            i18n.t(channel_key(&member.registered_via)).to_owned(),
        ),
        (Key::JoinedAt, local_time(&member.created_at)),
    ];
    let has_pin = if member.has_pin { Key::Yes } else { Key::No };
    view! {
        <div class="hq-page__header">
            <h1 class="hq-page__title" data-testid="member-name">
                {member.name.clone()}
                " "
                <span class=badge data-testid="member-status">{move || i18n.t(status)}</span>
                {member.frozen.then(|| view! { <span class="badge badge--danger">{move || i18n.t(Key::MemberFrozen)}</span> })}
            </h1>
            <div class="toolbar">
                {session.can(Permission::MemberEdit).then(|| view! { <NumberChanger id=id.clone() on_change /> })}
                {archive_button}
            </div>
        </div>
        {move || action_error.get().map(|error| view! { <ErrorView error /> })}
        <div class="member-360">
            <section class="card">
                <h2 class="card__title">{move || i18n.t(Key::MemberProfile)}</h2>
                <dl class="facts">
                    {facts.into_iter().map(|(label, value)| view! {
                        <dt>{move || i18n.t(label)}</dt>
                        <dd>{value}</dd>
                    }).collect_view()}
                    <dt>{move || i18n.t(Key::HasPin)}</dt>
                    <dd>{move || i18n.t(has_pin)}</dd>
                </dl>
                <ClassificationEditor id=id.clone() current=member.classification.clone() />
                <ProfileEditor id=id.clone() profile=member.profile.clone() />
            </section>
            <div class="member-360__side">
                <CardsSection id=id.clone() />
                <LedgerSections id=id.clone() />
                <PurchasesSection id=id.clone() />
                <LevelHistorySection id=id.clone() />
                <section class="card">
                    <h2 class="card__title">{move || i18n.t(Key::ActivityRecords)}</h2>
                    <p class="muted">{move || i18n.t(Key::SectionLater)}</p>
                </section>
                <section class="card">
                    <h2 class="card__title">{move || i18n.t(Key::CommunicationRecords)}</h2>
                    <p class="muted">{move || i18n.t(Key::SectionLater)}</p>
                </section>
            </div>
        </div>
    }
}

/// Gives the member a new member number (更改编号); the server checks the check digit.
#[component]
fn NumberChanger(id: String, on_change: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let number = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let id = id.clone();
        error.set(None);
        spawn_local(async move {
            match api::members::change_number(&id, number.get_untracked().trim()).await {
                Ok(_) => on_change.run(()),
                Err(failure) => {
                    let message = api::field_errors(&failure)
                        .first()
                        .map(|field| i18n.field_error(&field.code, &field.message))
                        .unwrap_or_else(|| i18n.error(&failure));
                    error.set(Some(message));
                }
            }
        });
    };
    move || {
        if !open.get() {
            return view! {
                <button class="btn btn--ghost" data-testid="member-number-open" on:click=move |_| open.set(true)>
                    {move || i18n.t(Key::ChangeNumber)}
                </button>
            }
            .into_any();
        }
        view! {
            <form class="toolbar" on:submit=submit.clone()>
                <input class="input" inputmode="numeric" maxlength="20" required data-testid="member-number"
                    placeholder=move || i18n.t(Key::ColMemberNo) bind:value=number />
                <button type="submit" class="btn btn--primary">{move || i18n.t(Key::Save)}</button>
                {move || error.get().map(|message| view! { <span class="field__error" role="alert">{message}</span> })}
            </form>
        }
        .into_any()
    }
}

/// The member's classification (MEM-3): one entry of each list HQ keeps, or none.
#[component]
fn ClassificationEditor(id: String, current: Classification) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let classes = LocalResource::new(api::members::classes);
    let chosen = RwSignal::new(current);
    let saved = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let can_edit = session.can(Permission::MemberEdit);
    let save = move |_| {
        let id = id.clone();
        saved.set(false);
        failure.set(None);
        spawn_local(async move {
            let patch = MemberPatch {
                classification: Some(chosen.get_untracked()),
                ..Default::default()
            };
            match api::members::update(&id, &patch).await {
                Ok(record) => {
                    chosen.set(record.classification);
                    saved.set(true);
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let selects = move || {
        let Some(Ok(all)) = classes.get() else {
            return None;
        };
        let lists = ClassList::ALL.into_iter().map(|list| {
            let options: Vec<MemberClass> = all
                .iter()
                .filter(|class| class.list == list && class.active)
                .cloned()
                .collect();
            let value = move || {
                chosen.with(|chosen| match list {
                    ClassList::Frequency => chosen.frequency.clone(),
                    ClassList::Type => chosen.r#type.clone(),
                    ClassList::Region => chosen.region.clone(),
                })
            };
            let set = move |event: leptos::ev::Event| {
                let picked = Some(event_target_value(&event)).filter(|id| !id.is_empty());
                chosen.update(|chosen| match list {
                    ClassList::Frequency => chosen.frequency = picked,
                    ClassList::Type => chosen.r#type = picked,
                    ClassList::Region => chosen.region = picked,
                });
            };
            let label = match list {
                ClassList::Frequency => Key::ListFrequency,
                ClassList::Type => Key::ListType,
                ClassList::Region => Key::ListRegion,
            };
            view! {
                <label class="field">
                    <span class="field__label">{move || i18n.t(label)}</span>
                    <select class="input" disabled=!can_edit data-class-list=list.code() on:change=set>
                        <option value="" selected=move || value().is_none()>"—"</option>
                        {options.into_iter().map(|option| {
                            let id = option.id.clone();
                            view! {
                                <option value=option.id.clone() selected=move || value().as_deref() == Some(id.as_str())>
                                    {option.name}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                </label>
            }
        }).collect_view();
        Some(view! { <div class="profile-grid profile-grid--three">{lists}</div> })
    };
    view! {
        {selects}
        {can_edit.then(|| view! {
            <div class="form-row__actions">
                <button class="btn btn--secondary" data-testid="classification-save" on:click=save.clone()>
                    {move || i18n.t(Key::SaveClassification)}
                </button>
                {move || saved.get().then(|| view! { <span class="muted">{move || i18n.t(Key::Saved)}</span> })}
            </div>
        })}
        {move || failure.get().map(|error| view! { <ErrorView error /> })}
    }
}

/// How a member came to be registered, by the server's channel code.
fn channel_key(channel: &str) -> Key {
    match channel {
        "hq" => Key::ChannelHq,
        "call_centre" => Key::ChannelCallCentre,
        "sms" => Key::ChannelSms,
        "import" => Key::ChannelImport,
        _ => Key::ChannelStore,
    }
}

/// The profile's fields as a form staff may edit: every active field, built-in and
/// questionnaire alike.
#[component]
fn ProfileEditor(id: String, profile: Profile) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let fields = LocalResource::new(api::members::fields);
    let values = RwSignal::new(profile.clone());
    // What the server holds, so a save sends only what changed since.
    let baseline = StoredValue::new(profile);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let can_edit = session.can(Permission::MemberEdit);
    let save = move |_| {
        let id = id.clone();
        // Only what changed is sent; a cleared field is sent as "".
        let mut changes = Profile::new();
        baseline.with_value(|original| {
            values.with_untracked(|values| {
                for (key, value) in values {
                    if original.get(key) != Some(value) {
                        changes.insert(key.clone(), value.clone());
                    }
                }
            })
        });
        errors.set(Vec::new());
        failure.set(None);
        saved.set(false);
        spawn_local(async move {
            let patch = MemberPatch {
                profile: changes,
                ..Default::default()
            };
            match api::members::update(&id, &patch).await {
                Ok(record) => {
                    baseline.set_value(record.profile.clone());
                    values.set(record.profile);
                    saved.set(true);
                }
                Err(error) => {
                    let fields = api::field_errors(&error);
                    if fields.is_empty() {
                        failure.set(Some(error));
                    } else {
                        errors.set(fields);
                    }
                }
            }
        });
    };
    let form = move || match fields.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Err(error)) => view! { <ErrorView error /> }.into_any(),
        Some(Ok(defs)) => {
            let rows = defs
                .into_iter()
                .filter(|def| def.active)
                .map(|def| view! { <ProfileFieldInput def values errors editable=can_edit /> })
                .collect_view();
            view! { <div class="profile-grid" data-testid="profile-form">{rows}</div> }.into_any()
        }
    };
    view! {
        {form}
        {can_edit.then(|| view! {
            <div class="form-row__actions">
                <button class="btn btn--primary" data-testid="profile-save" on:click=save.clone()>
                    {move || i18n.t(Key::Save)}
                </button>
                {move || saved.get().then(|| view! { <span class="muted" data-testid="profile-saved">{move || i18n.t(Key::Saved)}</span> })}
            </div>
        })}
        {move || failure.get().map(|error| view! { <ErrorView error /> })}
    }
}

/// Balances and the points and stored-value history.
#[component]
fn LedgerSections(id: String) -> impl IntoView {
    let ledger = LocalResource::new(move || {
        let id = id.clone();
        async move { api::members::ledger(&id).await }
    });
    move || match ledger.get() {
        None => view! { <section class="card"><LoadingView /></section> }.into_any(),
        Some(Err(error)) => {
            view! { <section class="card"><ErrorView error /></section> }.into_any()
        }
        Some(Ok(page)) => view! { <LedgerView page /> }.into_any(),
    }
}

#[component]
fn LedgerView(page: LedgerPage) -> impl IntoView {
    let i18n = use_i18n();
    let balances = page.balances;
    let figures = [
        (Key::Points, balances.points.to_string()),
        (
            Key::Principal,
            Money::from_fen(balances.principal_fen).to_string(),
        ),
        (Key::Bonus, Money::from_fen(balances.bonus_fen).to_string()),
    ];
    let empty = page.entries.is_empty();
    view! {
        <section class="card">
            <h2 class="card__title">{move || i18n.t(Key::Balances)}</h2>
            <div class="card-grid" data-testid="member-balances">
                {figures.into_iter().map(|(label, value)| view! {
                    <div class="stat-card">
                        <span class="muted">{move || i18n.t(label)}</span>
                        <span class="stat-card__big num">{value}</span>
                    </div>
                }).collect_view()}
            </div>
        </section>
        <section class="card card--flush">
            <h2 class="card__title">{move || i18n.t(Key::LedgerHistory)}</h2>
            <table class="table table--dense" data-testid="member-ledger">
                <thead>
                    <tr>
                        <th>{move || i18n.t(Key::ColTime)}</th>
                        <th>{move || i18n.t(Key::ColEntryKind)}</th>
                        <th>{move || i18n.t(Key::ColAccount)}</th>
                        <th class="num">{move || i18n.t(Key::ColAmount)}</th>
                    </tr>
                </thead>
                <tbody>
                    {page.entries.into_iter().map(|entry| {
                        let amount = if entry.account == "points" {
                            format!("{:+}", entry.amount)
                        } else {
                            let money = Money::from_fen(entry.amount.abs()).to_string();
                            if entry.amount < 0 { format!("-{money}") } else { format!("+{money}") }
                        };
                        view! {
                            <tr>
                                <td class="nowrap num">{local_time(&entry.recorded_at)}</td>
                                <td class="mono">{entry.kind}</td>
                                <td class="mono">{entry.account}</td>
                                <td class="num">{amount}</td>
                            </tr>
                        }
                    }).collect_view()}
                    {empty.then(|| view! { <tr><td colspan="4" class="table__empty">{move || i18n.t(Key::NoData)}</td></tr> })}
                </tbody>
            </table>
        </section>
    }
}

/// The member's cards with their state; a card is acted on from the cards page (卡务).
#[component]
fn CardsSection(id: String) -> impl IntoView {
    use crate::pages::hq::cards_page::{medium_key, state_badge, state_key};
    let i18n = use_i18n();
    let cards = LocalResource::new(move || {
        let id = id.clone();
        async move { api::cards::for_member(&id).await }
    });
    let rows = move || match cards.get() {
        None => view! { <tr><td colspan="3"><LoadingView /></td></tr> }.into_any(),
        Some(Err(error)) => view! { <tr><td colspan="3"><ErrorView error /></td></tr> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <tr><td colspan="3" class="table__empty">{move || i18n.t(Key::NoData)}</td></tr>
        }
        .into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|card| {
                let state = state_key(card.state);
                let medium = medium_key(card.medium);
                view! {
                    <tr>
                        <td class="mono">{card.card_no.clone()}</td>
                        <td>{move || i18n.t(medium)}</td>
                        <td><span class=state_badge(card.state)>{move || i18n.t(state)}</span></td>
                    </tr>
                }
            })
            .collect_view()
            .into_any(),
    };
    view! {
        <section class="card card--flush">
            <h2 class="card__title">{move || i18n.t(Key::NavCards)}</h2>
            <table class="table table--dense" data-testid="member-cards">
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// Every change of the member's level, newest first.
#[component]
fn LevelHistorySection(id: String) -> impl IntoView {
    let i18n = use_i18n();
    let history = LocalResource::new(move || {
        let id = id.clone();
        async move { api::levels::member_history(&id).await }
    });
    let rows = move || match history.get() {
        None => view! { <tr><td colspan="4"><LoadingView /></td></tr> }.into_any(),
        Some(Err(error)) => view! { <tr><td colspan="4"><ErrorView error /></td></tr> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <tr><td colspan="4" class="table__empty">{move || i18n.t(Key::NoData)}</td></tr>
        }
        .into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|entry| {
                let change = match &entry.from_level_name {
                    Some(from) => format!("{from} → {}", entry.to_level_name),
                    None => entry.to_level_name.clone(),
                };
                let ends = entry
                    .expires_at
                    .as_deref()
                    .map(local_time)
                    .unwrap_or_else(|| "—".to_owned());
                view! {
                    <tr>
                        <td class="nowrap num">{local_time(&entry.created_at)}</td>
                        <td>{change}</td>
                        <td class="mono">{entry.reason.code()}</td>
                        <td class="nowrap num">{ends}</td>
                    </tr>
                }
            })
            .collect_view()
            .into_any(),
    };
    view! {
        <section class="card card--flush">
            <h2 class="card__title">{move || i18n.t(Key::LevelHistory)}</h2>
            <table class="table table--dense" data-testid="member-level-history">
                <thead>
                    <tr>
                        <th>{move || i18n.t(Key::ColTime)}</th>
                        <th>{move || i18n.t(Key::ColLevel)}</th>
                        <th>{move || i18n.t(Key::ColEntryKind)}</th>
                        <th>{move || i18n.t(Key::LevelExpires)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn PurchasesSection(id: String) -> impl IntoView {
    let i18n = use_i18n();
    let purchases = LocalResource::new(move || {
        let id = id.clone();
        async move { api::members::purchases(&id).await }
    });
    let rows = move || {
        match purchases.get() {
        None => view! { <tr><td colspan="5"><LoadingView /></td></tr> }.into_any(),
        Some(Err(error)) => view! { <tr><td colspan="5"><ErrorView error /></td></tr> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <tr><td colspan="5" class="table__empty">{move || i18n.t(Key::NoData)}</td></tr>
        }
        .into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|purchase| view! {
                <tr>
                    <td class="nowrap num">{local_time(&purchase.recorded_at)}</td>
                    <td class="mono">{purchase.receipt_no}</td>
                    <td>{purchase.store_name}</td>
                    <td class="num">{Money::from_fen(purchase.amount_due_fen).to_string()}</td>
                    <td class="num">{purchase.points_earned}</td>
                    <td class="num">
                        {(purchase.returned_fen > 0).then(|| Money::from_fen(purchase.returned_fen).to_string())}
                    </td>
                </tr>
            })
            .collect_view()
            .into_any(),
    }
    };
    view! {
        <section class="card card--flush">
            <h2 class="card__title">{move || i18n.t(Key::Purchases)}</h2>
            <table class="table table--dense" data-testid="member-purchases">
                <thead>
                    <tr>
                        <th>{move || i18n.t(Key::ColTime)}</th>
                        <th>{move || i18n.t(Key::ColReceiptNo)}</th>
                        <th>{move || i18n.t(Key::ColStore)}</th>
                        <th class="num">{move || i18n.t(Key::ColAmount)}</th>
                        <th class="num">{move || i18n.t(Key::ColPointsEarned)}</th>
                        <th class="num">{move || i18n.t(Key::ColReturned)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
