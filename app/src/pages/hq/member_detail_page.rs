//! `/hq/members/:id`: the member 360° view (MEM-5): profile, balances, purchases, the
//! points and stored-value history, and the sections later modules fill.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{
    FieldDef, FieldKind, MemberPatch, MemberRecord, MemberStatus, Profile,
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
            <div class="toolbar">{archive_button}</div>
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
                <ProfileEditor id=id.clone() profile=member.profile.clone() />
            </section>
            <div class="member-360__side">
                <LedgerSections id=id.clone() />
                <PurchasesSection id=id.clone() />
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
                .map(|def| view! { <ProfileInput def values errors can_edit /> })
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

#[component]
fn ProfileInput(
    def: FieldDef,
    values: RwSignal<Profile>,
    errors: RwSignal<Vec<FieldError>>,
    can_edit: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let key = def.key.clone();
    let field_name = format!("profile.{}", def.key);
    let error = Signal::derive(move || {
        errors.with(|errors| {
            errors
                .iter()
                .find(|error| error.field == field_name)
                .map(|error| i18n.field_error(&error.code, &error.message))
        })
    });
    let value = {
        let key = key.clone();
        move || values.with(|values| values.get(&key).cloned().unwrap_or_default())
    };
    let set = {
        let key = key.clone();
        move |text: String| {
            values.update(|values| {
                values.insert(key.clone(), text);
            })
        }
    };
    let input = match def.kind {
        FieldKind::Choice => {
            let set = set.clone();
            let options = def.choices.clone();
            let current = value.clone();
            view! {
                <select class="input" disabled=!can_edit data-field=key.clone()
                    on:change=move |event| set(event_target_value(&event))>
                    <option value="" selected=move || current().is_empty()>"—"</option>
                    {options.into_iter().map(|choice| {
                        let current = value.clone();
                        let is_current = {
                            let choice = choice.clone();
                            move || current() == choice
                        };
                        view! { <option value=choice.clone() selected=is_current>{choice.clone()}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        kind => {
            let input_type = match kind {
                FieldKind::Date => "date",
                FieldKind::Number => "number",
                _ => "text",
            };
            view! {
                <input class="input" type=input_type maxlength="200" disabled=!can_edit data-field=key.clone()
                    prop:value=value on:input=move |event| set(event_target_value(&event)) />
            }
            .into_any()
        }
    };
    let protected = def.access == huiyuan_shared::member::FieldAccess::Protected;
    view! {
        <label class="field" class:field--invalid=move || error.with(Option::is_some)>
            <span class="field__label">
                {def.label.clone()}
                {protected.then(|| view! { <span class="tag">{move || i18n.t(Key::AccessProtected)}</span> })}
            </span>
            {input}
            {move || error.get().map(|message| view! { <span class="field__error" role="alert">{message}</span> })}
        </label>
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
