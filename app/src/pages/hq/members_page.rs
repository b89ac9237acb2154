//! `/hq/members`: find members by phone, its last four digits, member or card number, or
//! part of a name; enter a new one.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member::{MemberDraft, MemberStatus, MemberSummary, Profile};
use huiyuan_shared::{FieldError, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::form_field::FormField;
use crate::components::loading_view::LoadingView;
use crate::components::staff_guard::StaffGuard;
use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::MemberView>
            <MemberFinder />
        </StaffGuard>
    }
}

/// The result pages read so far for one search.
#[derive(Clone, Copy)]
struct Results {
    members: RwSignal<Vec<MemberSummary>>,
    page: RwSignal<u32>,
    more: RwSignal<bool>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    /// The term and archive switch the results were read with.
    query: RwSignal<Option<(String, bool)>>,
    /// Counts requests so that an answer to a superseded search is dropped.
    generation: StoredValue<u64>,
}

impl Results {
    fn new() -> Self {
        Results {
            members: RwSignal::new(Vec::new()),
            page: RwSignal::new(0),
            more: RwSignal::new(false),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            query: RwSignal::new(None),
            generation: StoredValue::new(0),
        }
    }

    fn start(self, term: String, include_archived: bool) {
        self.members.set(Vec::new());
        self.page.set(0);
        self.query.set(Some((term, include_archived)));
        self.fetch(0);
    }

    fn next(self) {
        self.fetch(self.page.get_untracked() + 1);
    }

    fn fetch(self, page: u32) {
        let Some((term, include_archived)) = self.query.get_untracked() else {
            return;
        };
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        self.loading.set(true);
        self.error.set(None);
        spawn_local(async move {
            let result = api::members::search(&term, page, include_archived).await;
            if self.generation.get_value() != generation {
                return;
            }
            match result {
                Ok(found) => {
                    self.members.update(|members| members.extend(found.members));
                    self.more.set(found.more);
                    self.page.set(page);
                }
                Err(error) => self.error.set(Some(error)),
            }
            self.loading.set(false);
        });
    }
}

#[component]
fn MemberFinder() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let results = Results::new();
    let term = RwSignal::new(String::new());
    let include_archived = RwSignal::new(false);
    let creating = RwSignal::new(false);

    let on_search = move |event: SubmitEvent| {
        event.prevent_default();
        let typed = term.get_untracked().trim().to_owned();
        if !typed.is_empty() {
            results.start(typed, include_archived.get_untracked());
        }
    };

    let footer = move || {
        if let Some(error) = results.error.get() {
            let retry = Callback::new(move |()| results.fetch(results.page.get_untracked()));
            return Some(view! { <ErrorView error on_retry=retry /> }.into_any());
        }
        if results.loading.get() {
            return Some(view! { <LoadingView /> }.into_any());
        }
        results.more.get().then(|| {
            view! {
                <button class="btn btn--secondary" data-testid="members-more" on:click=move |_| results.next()>
                    {move || i18n.t(Key::LoadMore)}
                </button>
            }
            .into_any()
        })
    };

    view! {
        <div class="hq-page">
            <div class="hq-page__header">
                <h1 class="hq-page__title">{move || i18n.t(Key::MembersTitle)}</h1>
                <form class="toolbar" on:submit=on_search role="search">
                    <label class="visually-hidden" for="member-search">{move || i18n.t(Key::Search)}</label>
                    <input
                        id="member-search"
                        class="input input--wide"
                        type="search"
                        data-testid="member-search"
                        maxlength="20"
                        autofocus
                        placeholder=move || i18n.t(Key::MemberSearchHq)
                        bind:value=term
                    />
                    <label class="checkbox">
                        <input type="checkbox" data-testid="include-archived" bind:checked=include_archived />
                        {move || i18n.t(Key::IncludeArchived)}
                    </label>
                    <button type="submit" class="btn btn--primary" data-testid="member-search-submit">
                        {move || i18n.t(Key::Search)}
                    </button>
                    {move || session.can(Permission::MemberRegister).then(|| view! {
                        <button
                            type="button"
                            class="btn btn--secondary"
                            data-testid="member-new"
                            on:click=move |_| creating.update(|open| *open = !*open)
                        >
                            {move || i18n.t(Key::NewMember)}
                        </button>
                    })}
                </form>
            </div>
            {move || creating.get().then(|| view! { <NewMemberForm on_done=Callback::new(move |()| creating.set(false)) /> })}
            <div class="card card--flush">
                <table class="table" data-testid="member-results">
                    <thead>
                        <tr>
                            <th>{move || i18n.t(Key::ColMemberNo)}</th>
                            <th>{move || i18n.t(Key::MemberName)}</th>
                            <th>{move || i18n.t(Key::ColPhone)}</th>
                            <th>{move || i18n.t(Key::ColLevel)}</th>
                            <th>{move || i18n.t(Key::ColStatus)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || results.members.get()
                            key=|member| member.id
                            children=move |member| view! { <MemberRow member /> }
                        />
                        {move || {
                            let empty = !results.loading.get() && results.error.with(Option::is_none)
                                && results.members.with(Vec::is_empty);
                            let message = if results.query.with(Option::is_some) { Key::NoData } else { Key::SearchPrompt };
                            empty.then(|| view! {
                                <tr>
                                    <td colspan="5" class="table__empty">{move || i18n.t(message)}</td>
                                </tr>
                            })
                        }}
                    </tbody>
                </table>
                <div class="table-footer">{footer}</div>
            </div>
        </div>
    }
}

/// The badge a member's standing shows.
pub fn status_badge(status: MemberStatus) -> (Key, &'static str) {
    match status {
        MemberStatus::Active => (Key::MemberActive, "badge badge--success"),
        MemberStatus::Pending => (Key::StatusPending, "badge badge--warn"),
        MemberStatus::Archived => (Key::StatusArchived, "badge badge--muted"),
        MemberStatus::Merged => (Key::StatusMerged, "badge badge--muted"),
    }
}

#[component]
fn MemberRow(member: MemberSummary) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let (status, badge) = status_badge(member.status);
    let href = format!("/hq/members/{}", member.id);
    let open = move |_| navigate(&href, Default::default());
    let member_no = member.member_no.clone();
    view! {
        <tr class="table__row--link" data-member-no=member_no on:click=open>
            <td class="mono">{member.member_no}</td>
            <td>{member.name}</td>
            <td class="mono">{member.phone_masked}</td>
            <td>{member.level_name}</td>
            <td>
                <span class=badge>{move || i18n.t(status)}</span>
                {member.frozen.then(|| view! { <span class="badge badge--danger">{move || i18n.t(Key::MemberFrozen)}</span> })}
            </td>
        </tr>
    }
}

/// Staff enter a member with name and phone; the rest of the profile is filled in on the
/// member's page.
#[component]
fn NewMemberForm(on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let error_of = move |field: &'static str| {
        Signal::derive(move || {
            errors.with(|errors| {
                errors
                    .iter()
                    .find(|error| error.field == field)
                    .map(|error| i18n.field_error(&error.code, &error.message))
            })
        })
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        errors.set(Vec::new());
        failure.set(None);
        let draft = MemberDraft {
            name: name.get_untracked(),
            phone: phone.get_untracked(),
            store_id: None,
            profile: Profile::new(),
            classification: Default::default(),
            channel: Some("hq".to_owned()),
            referral_code: None,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::members::create(&draft).await {
                Ok(created) => {
                    on_done.run(());
                    navigate(&format!("/hq/members/{}", created.id), Default::default());
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
    view! {
        <form class="card form-row" data-testid="new-member-form" on:submit=on_submit>
            <FormField label=Key::MemberName error=error_of("name")>
                <input class="input" data-testid="new-member-name" maxlength="40" required bind:value=name />
            </FormField>
            <FormField label=Key::ColPhone error=error_of("phone")>
                <input class="input" data-testid="new-member-phone" inputmode="tel" maxlength="20" required bind:value=phone />
            </FormField>
            <div class="form-row__actions">
                <button type="submit" class="btn btn--primary" data-testid="new-member-save" disabled=move || busy.get()>
                    {move || i18n.t(if busy.get() { Key::Saving } else { Key::Save })}
                </button>
                <button type="button" class="btn btn--ghost" on:click=move |_| on_done.run(())>
                    {move || i18n.t(Key::Cancel)}
                </button>
            </div>
            {move || failure.get().map(|error| view! { <ErrorView error /> })}
        </form>
    }
}
