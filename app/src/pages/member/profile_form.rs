//! 我的资料 on the member's phone (MEM-7): the fields the member may change themselves are
//! editable; protected ones are shown but only staff change them.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{FieldAccess, FieldDef, MemberPatch, OwnProfile, Profile};
use huiyuan_shared::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::components::profile_field::ProfileFieldInput;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn OwnProfileForm(on_back: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let loaded = LocalResource::new(api::members::own_profile);
    let body = move || match loaded.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Err(error)) => view! { <ErrorView error /> }.into_any(),
        Some(Ok(own)) => view! { <ProfileEditor own /> }.into_any(),
    };
    view! {
        <section class="card m-profile" data-testid="m-profile">
            <h1 class="m-qr__title">{move || i18n.t(Key::MyProfile)}</h1>
            {body}
            <button class="btn btn--secondary btn--large btn--block" data-testid="m-profile-back"
                on:click=move |_| on_back.run(())>
                {move || i18n.t(Key::Back)}
            </button>
        </section>
    }
}

#[component]
fn ProfileEditor(own: OwnProfile) -> impl IntoView {
    let i18n = use_i18n();
    let values = RwSignal::new(own.profile.clone());
    // What the server holds, so a save sends only what the member changed.
    let baseline = StoredValue::new(own.profile.clone());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let general: Vec<FieldDef> = own
        .fields
        .iter()
        .filter(|def| def.access == FieldAccess::General)
        .cloned()
        .collect();
    let protected: Vec<FieldDef> = own
        .fields
        .iter()
        .filter(|def| def.access == FieldAccess::Protected && own.profile.contains_key(&def.key))
        .cloned()
        .collect();
    let save = move |_| {
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
        if changes.is_empty() {
            saved.set(true);
            return;
        }
        busy.set(true);
        saved.set(false);
        errors.set(Vec::new());
        failure.set(None);
        spawn_local(async move {
            let patch = MemberPatch {
                profile: changes,
                ..Default::default()
            };
            match api::members::update_own_profile(&patch).await {
                Ok(own) => {
                    baseline.set_value(own.profile.clone());
                    values.set(own.profile);
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
            busy.set(false);
        });
    };
    let read_only = protected
        .into_iter()
        .map(|def| {
            let value = own.profile.get(&def.key).cloned().unwrap_or_default();
            view! {
                <div class="m-profile__fixed">
                    <span class="muted">{def.label}</span>
                    <span>{value}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <p class="muted">{own.name.clone()} " · " {own.phone_masked.clone()}</p>
        <div class="m-profile__fields">
            {general.into_iter().map(|def| view! { <ProfileFieldInput def values errors large=true /> }).collect_view()}
        </div>
        {read_only}
        <p class="hint">{move || i18n.t(Key::ProtectedHint)}</p>
        <button class="btn btn--primary btn--large btn--block" data-testid="m-profile-save"
            disabled=move || busy.get() on:click=save>
            {move || i18n.t(if busy.get() { Key::Saving } else { Key::Save })}
        </button>
        {move || saved.get().then(|| view! { <p class="muted" data-testid="m-profile-saved">{move || i18n.t(Key::Saved)}</p> })}
        {move || failure.get().map(|error| view! { <ErrorView error /> })}
    }
}
