//! `/hq/staff`: the staff accounts the logged-in person may see.

use huiyuan_shared::api::StaffSummary;
use huiyuan_shared::Permission;
use leptos::prelude::*;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::components::staff_guard::StaffGuard;
use crate::format::is_future;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn StaffPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::StaffView>
            <StaffList />
        </StaffGuard>
    }
}

#[component]
fn StaffList() -> impl IntoView {
    let i18n = use_i18n();
    let staff = LocalResource::new(api::staff_list);
    let body = move || match staff.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Ok(rows)) => view! { <StaffTable rows /> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| staff.refetch());
            view! { <ErrorView error on_retry=retry /> }.into_any()
        }
    };
    view! {
        <div class="hq-page">
            <h1 class="hq-page__title">{move || i18n.t(Key::NavStaff)}</h1>
            <div class="card card--flush">{body}</div>
        </div>
    }
}

#[component]
fn StaffTable(rows: Vec<StaffSummary>) -> impl IntoView {
    let i18n = use_i18n();
    let empty = rows.is_empty();
    view! {
        <table class="table" data-testid="staff-table">
            <thead>
                <tr>
                    <th>{move || i18n.t(Key::ColUsername)}</th>
                    <th>{move || i18n.t(Key::ColName)}</th>
                    <th>{move || i18n.t(Key::ColRole)}</th>
                    <th>{move || i18n.t(Key::ColStore)}</th>
                    <th>{move || i18n.t(Key::ColStatus)}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <StaffRow row /> }).collect_view()}
                {empty.then(|| view! {
                    <tr>
                        <td colspan="5" class="table__empty">{move || i18n.t(Key::NoData)}</td>
                    </tr>
                })}
            </tbody>
        </table>
    }
}

#[component]
fn StaffRow(row: StaffSummary) -> impl IntoView {
    let i18n = use_i18n();
    let status = staff_status(&row);
    let badge = match status {
        Key::StatusActive => "badge badge--success",
        Key::StatusLocked => "badge badge--warn",
        _ => "badge badge--muted",
    };
    let username = row.username.clone();
    view! {
        <tr data-username=username>
            <td class="mono">{row.username}</td>
            <td>{row.display_name}</td>
            <td>{row.role.name}</td>
            <td>{row.store.name}</td>
            <td>
                <span class=badge data-testid="staff-status">{move || i18n.t(status)}</span>
            </td>
        </tr>
    }
}

/// Having left outranks being locked: a leaver cannot log in whatever the lock says.
fn staff_status(row: &StaffSummary) -> Key {
    if row.left_at.is_some() {
        Key::StatusLeft
    } else if row.locked_until.as_deref().is_some_and(is_future) {
        Key::StatusLocked
    } else {
        Key::StatusActive
    }
}
