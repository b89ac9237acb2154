//! `/hq/member-settings`: the profile's fields (who may edit each, HQ's questionnaire
//! fields) and the classification lists (frequency, type, region).

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{
    ClassList, FieldAccess, FieldDef, FieldKind, MemberClass, MemberClassDraft,
};
use huiyuan_shared::{FieldError, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::form_field::FormField;
use crate::components::loading_view::LoadingView;
use crate::components::staff_guard::StaffGuard;
use crate::i18n::{use_i18n, I18n, Key};

#[component]
pub fn MemberSettingsPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::RulesEdit>
            <Settings />
        </StaffGuard>
    }
}

#[component]
fn Settings() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="hq-page">
            <div class="hq-page__header">
                <h1 class="hq-page__title">{move || i18n.t(Key::MemberSettings)}</h1>
            </div>
            <FieldsSection />
            <ClassesSection />
        </div>
    }
}

fn kind_key(kind: FieldKind) -> Key {
    match kind {
        FieldKind::Text => Key::KindText,
        FieldKind::Number => Key::KindNumber,
        FieldKind::Date => Key::KindDate,
        FieldKind::Choice => Key::KindChoice,
    }
}

fn list_key(list: ClassList) -> Key {
    match list {
        ClassList::Frequency => Key::ListFrequency,
        ClassList::Type => Key::ListType,
        ClassList::Region => Key::ListRegion,
    }
}

fn show_error(i18n: I18n, errors: &[FieldError], field: &str) -> Option<String> {
    errors
        .iter()
        .find(|error| error.field == field)
        .map(|error| i18n.field_error(&error.code, &error.message))
}

#[component]
fn FieldsSection() -> impl IntoView {
    let i18n = use_i18n();
    let fields = LocalResource::new(api::members::fields);
    let reload = Callback::new(move |()| fields.refetch());
    let table = move || {
        match fields.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Err(error)) => view! { <ErrorView error on_retry=reload /> }.into_any(),
        Some(Ok(defs)) => view! {
            <table class="table table--dense" data-testid="field-table">
                <thead>
                    <tr>
                        <th>{move || i18n.t(Key::FieldLabel)}</th>
                        <th>{move || i18n.t(Key::FieldCode)}</th>
                        <th>{move || i18n.t(Key::FieldKindLabel)}</th>
                        <th>{move || i18n.t(Key::FieldAccessLabel)}</th>
                        <th>{move || i18n.t(Key::FieldInUse)}</th>
                    </tr>
                </thead>
                <tbody>
                    {defs.into_iter().map(|def| view! { <FieldRow def on_saved=reload /> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
    }
    };
    view! {
        <section class="card card--flush">
            <h2 class="card__title">{move || i18n.t(Key::ProfileFields)}</h2>
            {table}
            <NewFieldForm on_saved=reload />
        </section>
    }
}

/// One field: its access and whether it is in use can be switched in place.
#[component]
fn FieldRow(def: FieldDef, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let failure = RwSignal::new(None::<ApiError>);
    let save = move |changed: FieldDef| {
        spawn_local(async move {
            match api::members::save_field(&changed).await {
                Ok(_) => on_saved.run(()),
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let toggle_access = {
        let def = def.clone();
        move |_| {
            let mut changed = def.clone();
            changed.access = match def.access {
                FieldAccess::General => FieldAccess::Protected,
                FieldAccess::Protected => FieldAccess::General,
            };
            save(changed);
        }
    };
    let toggle_active = {
        let def = def.clone();
        move |_| {
            let mut changed = def.clone();
            changed.active = !def.active;
            save(changed);
        }
    };
    let access = match def.access {
        FieldAccess::General => Key::AccessGeneral,
        FieldAccess::Protected => Key::AccessProtected,
    };
    let kind = kind_key(def.kind);
    let choices = (!def.choices.is_empty()).then(|| format!("（{}）", def.choices.join("、")));
    view! {
        <tr data-field-key=def.key.clone()>
            <td>
                {def.label.clone()}
                {def.builtin.then(|| view! { <span class="tag">{move || i18n.t(Key::Builtin)}</span> })}
            </td>
            <td class="mono">{def.key.clone()}</td>
            <td>{move || i18n.t(kind)}<span class="muted">{choices.clone()}</span></td>
            <td>
                <button class="btn btn--ghost" data-testid="field-access" on:click=toggle_access>
                    {move || i18n.t(access)}
                </button>
            </td>
            <td>
                <input type="checkbox" checked=def.active disabled=def.builtin on:change=toggle_active />
                {move || failure.get().map(|error| view! { <span class="field__error">{i18n.error(&error)}</span> })}
            </td>
        </tr>
    }
}

#[component]
fn NewFieldForm(on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let key = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let kind = RwSignal::new(FieldKind::Text);
    let choices = RwSignal::new(String::new());
    let protected = RwSignal::new(false);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<ApiError>);
    let error_of = move |field: &'static str| {
        Signal::derive(move || errors.with(|errors| show_error(i18n, errors, field)))
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        errors.set(Vec::new());
        failure.set(None);
        let def = FieldDef {
            key: key.get_untracked().trim().to_owned(),
            label: label.get_untracked(),
            kind: kind.get_untracked(),
            choices: choices
                .get_untracked()
                .split([',', '，', '、'])
                .map(|choice| choice.trim().to_owned())
                .filter(|choice| !choice.is_empty())
                .collect(),
            access: if protected.get_untracked() {
                FieldAccess::Protected
            } else {
                FieldAccess::General
            },
            builtin: false,
            required: false,
            position: 1000,
            active: true,
        };
        spawn_local(async move {
            match api::members::save_field(&def).await {
                Ok(_) => {
                    key.set(String::new());
                    label.set(String::new());
                    choices.set(String::new());
                    on_saved.run(());
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
    let kinds = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::Choice,
    ];
    view! {
        <form class="form-row" data-testid="new-field-form" on:submit=on_submit>
            <FormField label=Key::FieldCode error=error_of("key")>
                <input class="input" data-testid="new-field-key" maxlength="40" required placeholder="skin_type" bind:value=key />
            </FormField>
            <FormField label=Key::FieldLabel error=error_of("label")>
                <input class="input" data-testid="new-field-label" maxlength="20" required bind:value=label />
            </FormField>
            <label class="field">
                <span class="field__label">{move || i18n.t(Key::FieldKindLabel)}</span>
                <select class="input" data-testid="new-field-kind" on:change=move |event| {
                    let code = event_target_value(&event);
                    if let Some(chosen) = FieldKind::from_code(&code) {
                        kind.set(chosen);
                    }
                }>
                    {kinds.into_iter().map(|option| view! {
                        <option value=option.code() selected=move || kind.get() == option>{move || i18n.t(kind_key(option))}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || (kind.get() == FieldKind::Choice).then(|| view! {
                <FormField label=Key::FieldChoices error=error_of("choices")>
                    <input class="input" data-testid="new-field-choices" bind:value=choices />
                </FormField>
            })}
            <label class="checkbox">
                <input type="checkbox" bind:checked=protected />
                {move || i18n.t(Key::AccessProtected)}
            </label>
            <div class="form-row__actions">
                <button type="submit" class="btn btn--primary" data-testid="new-field-save">
                    {move || i18n.t(Key::AddField)}
                </button>
            </div>
            {move || failure.get().map(|error| view! { <ErrorView error /> })}
        </form>
    }
}

#[component]
fn ClassesSection() -> impl IntoView {
    let i18n = use_i18n();
    let classes = LocalResource::new(api::members::classes);
    let reload = Callback::new(move |()| classes.refetch());
    let lists = move || match classes.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Err(error)) => view! { <ErrorView error on_retry=reload /> }.into_any(),
        Some(Ok(all)) => ClassList::ALL
            .into_iter()
            .map(|list| {
                let entries: Vec<MemberClass> = all
                    .iter()
                    .filter(|class| class.list == list)
                    .cloned()
                    .collect();
                view! { <ClassListCard list entries on_saved=reload /> }
            })
            .collect_view()
            .into_any(),
    };
    view! {
        <section class="card">
            <h2 class="card__title">{move || i18n.t(Key::Classifications)}</h2>
            <div class="card-grid">{lists}</div>
        </section>
    }
}

#[component]
fn ClassListCard(
    list: ClassList,
    entries: Vec<MemberClass>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        let draft = MemberClassDraft {
            list,
            name: name.get_untracked(),
            position: 0,
        };
        spawn_local(async move {
            match api::members::create_class(&draft).await {
                Ok(_) => {
                    name.set(String::new());
                    on_saved.run(());
                }
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
    view! {
        <div class="class-list" data-list=list.code()>
            <h3>{move || i18n.t(list_key(list))}</h3>
            <ul>
                {entries.into_iter().map(|entry| view! {
                    <li class:muted=!entry.active>{entry.name}</li>
                }).collect_view()}
            </ul>
            <form class="toolbar" on:submit=on_submit>
                <input class="input" maxlength="20" required bind:value=name data-testid=format!("new-class-{}", list.code()) />
                <button type="submit" class="btn btn--secondary">{move || i18n.t(Key::AddClass)}</button>
            </form>
            {move || error.get().map(|message| view! { <span class="field__error" role="alert">{message}</span> })}
        </div>
    }
}
