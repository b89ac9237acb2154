//! `/hq/audit`: the audit log, newest first, filtered by action and read a page at a time.

use huiyuan_shared::api::{ApiError, AuditEntry};
use huiyuan_shared::Permission;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::components::staff_guard::StaffGuard;
use crate::format::local_time;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::AuditView>
            <AuditLog />
        </StaffGuard>
    }
}

/// The pages read so far for one filter.
#[derive(Clone, Copy)]
struct AuditLogState {
    entries: RwSignal<Vec<AuditEntry>>,
    next_before: RwSignal<Option<i64>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    /// The filter the entries shown were read with.
    action: RwSignal<String>,
    /// Counts requests so that an answer to a superseded request is dropped.
    generation: StoredValue<u64>,
}

impl AuditLogState {
    fn new() -> Self {
        AuditLogState {
            entries: RwSignal::new(Vec::new()),
            next_before: RwSignal::new(None),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            action: RwSignal::new(String::new()),
            generation: StoredValue::new(0),
        }
    }

    /// Reads the first page for `action`, replacing what is shown.
    fn start(self, action: String) {
        self.entries.set(Vec::new());
        self.next_before.set(None);
        self.action.set(action);
        self.fetch(None);
    }

    /// Reads the page after the last one shown.
    fn more(self) {
        if let Some(before) = self.next_before.get_untracked() {
            self.fetch(Some(before));
        }
    }

    fn fetch(self, before: Option<i64>) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        self.loading.set(true);
        self.error.set(None);
        let action = self.action.get_untracked();
        spawn_local(async move {
            let result = api::audit(&action, before).await;
            if self.generation.get_value() != generation {
                return;
            }
            match result {
                Ok(page) => {
                    self.entries.update(|entries| entries.extend(page.entries));
                    self.next_before.set(page.next_before);
                }
                Err(error) => self.error.set(Some(error)),
            }
            self.loading.set(false);
        });
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let i18n = use_i18n();
    let log = AuditLogState::new();
    let filter = RwSignal::new(String::new());
    log.start(String::new());

    let on_filter = move |event: SubmitEvent| {
        event.prevent_default();
        log.start(filter.get_untracked().trim().to_owned());
    };

    let footer = move || {
        if let Some(error) = log.error.get() {
            let retry = Callback::new(move |()| {
                if log.entries.with_untracked(Vec::is_empty) {
                    log.start(log.action.get_untracked());
                } else {
                    log.more();
                }
            });
            return view! { <ErrorView error on_retry=retry /> }.into_any();
        }
        if log.loading.get() {
            return view! { <LoadingView /> }.into_any();
        }
        if log.next_before.get().is_some() {
            return view! {
                <button
                    class="btn btn--secondary"
                    data-testid="audit-load-more"
                    on:click=move |_| log.more()
                >
                    {move || i18n.t(Key::LoadMore)}
                </button>
            }
            .into_any();
        }
        view! { <span class="muted" data-testid="audit-end">{move || i18n.t(Key::NoMore)}</span> }
            .into_any()
    };

    view! {
        <div class="hq-page">
            <div class="hq-page__header">
                <h1 class="hq-page__title">{move || i18n.t(Key::NavAudit)}</h1>
                <form class="toolbar" on:submit=on_filter role="search">
                    <label class="visually-hidden" for="audit-action">
                        {move || i18n.t(Key::ActionFilter)}
                    </label>
                    <input
                        id="audit-action"
                        class="input"
                        type="search"
                        data-testid="audit-filter"
                        maxlength="64"
                        placeholder=move || i18n.t(Key::ActionFilterPlaceholder)
                        bind:value=filter
                    />
                    <button type="submit" class="btn btn--primary" data-testid="audit-filter-submit">
                        {move || i18n.t(Key::Search)}
                    </button>
                </form>
            </div>
            <div class="card card--flush">
                <table class="table table--dense" data-testid="audit-table">
                    <thead>
                        <tr>
                            <th class="nowrap">{move || i18n.t(Key::ColTime)}</th>
                            <th>{move || i18n.t(Key::ColActor)}</th>
                            <th>{move || i18n.t(Key::ColAction)}</th>
                            <th>{move || i18n.t(Key::ColEntity)}</th>
                            <th>{move || i18n.t(Key::ColIp)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || log.entries.get()
                            key=|entry| entry.seq
                            children=move |entry| view! { <AuditRow entry /> }
                        />
                        {move || {
                            (!log.loading.get() && log.error.with(Option::is_none)
                                && log.entries.with(Vec::is_empty))
                                .then(|| view! {
                                    <tr>
                                        <td colspan="5" class="table__empty">
                                            {move || i18n.t(Key::NoData)}
                                        </td>
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

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let i18n = use_i18n();
    let is_system = entry.actor_kind == "system";
    let actor = entry.actor_name.clone();
    let actor = move || match (&actor, is_system) {
        (Some(name), _) => name.clone(),
        (None, true) => i18n.t(Key::ActorSystem).to_owned(),
        (None, false) => "—".to_owned(),
    };
    let entity = match &entry.entity_id {
        Some(id) => format!("{} · {id}", entry.entity),
        None => entry.entity.clone(),
    };
    let entity_title = entity.clone();
    let at = local_time(&entry.at);
    view! {
        <tr data-seq=entry.seq.to_string()>
            <td class="nowrap num" title=entry.at>{at}</td>
            <td>{actor}</td>
            <td class="mono">{entry.action}</td>
            <td class="mono ellipsis" title=entity_title>{entity}</td>
            <td class="mono">{entry.ip.unwrap_or_else(|| "—".to_owned())}</td>
        </tr>
    }
}
