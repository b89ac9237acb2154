//! `/hq/member-import`: the member import wizard — choose a CSV or XLSX file, read the
//! dry run's report (bad rows by row, field and reason; rows already members), confirm,
//! follow the import's progress to its summary — and the export of every member.

use std::time::Duration;

use huiyuan_shared::api::ApiError;
use huiyuan_shared::member_import::{MemberImportJob, MemberImportReport, MemberImportState};
use huiyuan_shared::Permission;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::File;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::staff_guard::StaffGuard;
use crate::i18n::{use_i18n, Key};
use crate::session::use_session;

/// How often a running import is asked for its progress.
const POLL_EVERY: Duration = Duration::from_millis(500);

#[component]
pub fn MemberImportPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::MemberImport>
            <MemberImportWizard />
        </StaffGuard>
    }
}

/// Where the wizard stands.
#[derive(Clone)]
enum Step {
    Choose,
    Checking,
    Checked(MemberImportReport),
    Running(MemberImportJob),
    Finished(MemberImportJob),
}

#[component]
fn MemberImportWizard() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let file_input = NodeRef::<Input>::new();
    let step = RwSignal::new(Step::Choose);
    let error = RwSignal::new(None::<ApiError>);
    let file_name = RwSignal::new(String::new());

    let chosen_file = move || -> Option<File> { file_input.get_untracked()?.files()?.get(0) };

    let on_change = move |_| {
        file_name.set(chosen_file().map(|file| file.name()).unwrap_or_default());
        step.set(Step::Choose);
        error.set(None);
    };

    let check = move |_| {
        let Some(file) = chosen_file() else { return };
        step.set(Step::Checking);
        error.set(None);
        spawn_local(async move {
            match api::member_imports::dry_run(&file).await {
                Ok(report) => step.set(Step::Checked(report)),
                Err(failure) => {
                    step.set(Step::Choose);
                    error.set(Some(failure));
                }
            }
        });
    };

    let confirm = Callback::new(move |()| {
        let Some(file) = chosen_file() else { return };
        error.set(None);
        spawn_local(async move {
            match api::member_imports::start(&file).await {
                Ok(job) => {
                    let id = job.id.to_string();
                    step.set(Step::Running(job));
                    follow(id, step, error);
                }
                Err(failure) => error.set(Some(failure)),
            }
        });
    });

    let can_export = move || session.can(Permission::MemberExport);
    let export_href = format!("{}?status=active", api::member_imports::export_url());

    let body = move || match step.get() {
        Step::Choose => ().into_any(),
        Step::Checking => view! {
            <p class="muted" data-testid="import-checking">{move || i18n.t(Key::ImportChecking)}</p>
        }
        .into_any(),
        Step::Checked(report) => view! { <ReportView report on_confirm=confirm /> }.into_any(),
        Step::Running(job) => view! { <ProgressView job /> }.into_any(),
        Step::Finished(job) => view! { <SummaryView job /> }.into_any(),
    };
    let busy = move || matches!(step.get(), Step::Checking | Step::Running(_));

    view! {
        <div class="hq-page">
            <div class="hq-page__header">
                <h1 class="hq-page__title">{move || i18n.t(Key::NavMemberImport)}</h1>
                {move || can_export().then(|| view! {
                    <a class="btn btn--secondary" href=export_href.clone() download="members.xlsx"
                        data-testid="member-export">
                        {move || i18n.t(Key::ExportMembers)}
                    </a>
                })}
            </div>
            <section class="card import-step">
                <h2 class="card__title">{move || i18n.t(Key::ImportChooseFile)}</h2>
                <p class="hint">{move || i18n.t(Key::ImportColumnsHint)}</p>
                <div class="toolbar">
                    <label class="btn btn--secondary import-file">
                        <input
                            class="visually-hidden"
                            type="file"
                            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            node_ref=file_input
                            data-testid="import-file"
                            on:change=on_change
                        />
                        {move || i18n.t(Key::ImportPickFile)}
                    </label>
                    <span class="mono ellipsis" data-testid="import-file-name">{move || file_name.get()}</span>
                    <button
                        type="button"
                        class="btn btn--primary"
                        data-testid="import-check"
                        disabled=move || file_name.with(String::is_empty) || busy()
                        on:click=check
                    >
                        {move || i18n.t(Key::ImportCheck)}
                    </button>
                </div>
                {move || error.get().map(|error| view! { <ErrorView error /> })}
            </section>
            {body}
        </div>
    }
}

/// Asks for the job's progress until it ends.
fn follow(id: String, step: RwSignal<Step>, error: RwSignal<Option<ApiError>>) {
    set_timeout(
        move || {
            spawn_local(async move {
                match api::member_imports::job(&id).await {
                    Ok(job) if job.state == MemberImportState::Running => {
                        step.set(Step::Running(job));
                        follow(id, step, error);
                    }
                    Ok(job) => step.set(Step::Finished(job)),
                    // A lost answer is asked again; the job goes on on the server.
                    Err(failure) => {
                        error.set(Some(failure));
                        follow(id, step, error);
                    }
                }
            });
        },
        POLL_EVERY,
    );
}

/// The label and reason of a row's problem: the server's message reads `标签：原因`.
fn split_message(message: &str) -> (String, String) {
    match message.split_once('：') {
        Some((label, reason)) => (label.to_owned(), reason.to_owned()),
        None => (String::new(), message.to_owned()),
    }
}

#[component]
fn ReportView(report: MemberImportReport, on_confirm: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let bad_rows = report.rows_read - report.rows_valid;
    let to_create = report.to_create;
    let more_errors = report.errors_total as usize > report.errors.len();
    let more_existing = report.existing as usize > report.existing_rows.len();
    let errors = report.errors.clone();
    let existing = report.existing_rows.clone();
    let ignored = report.ignored_columns.join("、");
    let has_errors = !errors.is_empty();
    let has_existing = !existing.is_empty();
    view! {
        <section class="card import-step" data-testid="import-report">
            <h2 class="card__title">{move || i18n.t(Key::ImportReport)}</h2>
            <dl class="facts import-facts">
                <dt>{move || i18n.t(Key::ImportRowsRead)}</dt>
                <dd class="num" data-testid="import-rows-read">{report.rows_read}</dd>
                <dt>{move || i18n.t(Key::ImportToCreate)}</dt>
                <dd class="num" data-testid="import-to-create">{to_create}</dd>
                <dt>{move || i18n.t(Key::ImportExisting)}</dt>
                <dd class="num" data-testid="import-existing-count">{report.existing}</dd>
                <dt>{move || i18n.t(Key::ImportBadRows)}</dt>
                <dd class="num" class:text-danger={bad_rows > 0} data-testid="import-bad-rows">{bad_rows}</dd>
            </dl>
            {(!ignored.is_empty()).then(|| view! {
                <p class="hint">{move || i18n.t(Key::ImportIgnoredColumns)}" "{ignored.clone()}</p>
            })}
            {has_errors.then(|| view! {
                <h3 class="import-step__subtitle">{move || i18n.t(Key::ImportBadRowsTitle)}</h3>
                <table class="table table--dense" data-testid="import-errors">
                    <thead>
                        <tr>
                            <th class="nowrap">{move || i18n.t(Key::ColRow)}</th>
                            <th>{move || i18n.t(Key::ColField)}</th>
                            <th>{move || i18n.t(Key::ColReason)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {errors.into_iter().map(|error| {
                            let (label, reason) = split_message(&error.message);
                            view! {
                                <tr data-row=error.row.to_string() data-field=error.field.clone()
                                    data-code=error.code.clone()>
                                    <td class="num">{error.row}</td>
                                    <td>{label}</td>
                                    <td>{reason}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {more_errors.then(|| view! { <p class="hint">{move || i18n.t(Key::ImportListCut)}</p> })}
            })}
            {has_existing.then(|| view! {
                <h3 class="import-step__subtitle">{move || i18n.t(Key::ImportExistingTitle)}</h3>
                <table class="table table--dense" data-testid="import-existing">
                    <thead>
                        <tr>
                            <th class="nowrap">{move || i18n.t(Key::ColRow)}</th>
                            <th>{move || i18n.t(Key::ColName)}</th>
                            <th>{move || i18n.t(Key::Phone)}</th>
                            <th>{move || i18n.t(Key::MemberNo)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {existing.into_iter().map(|row| view! {
                            <tr data-row=row.row.to_string()>
                                <td class="num">{row.row}</td>
                                <td>{row.name}</td>
                                <td class="mono">{row.phone_masked}</td>
                                <td class="mono">{row.member_no}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {more_existing.then(|| view! { <p class="hint">{move || i18n.t(Key::ImportListCut)}</p> })}
            })}
            <div class="toolbar import-step__actions">
                <button
                    type="button"
                    class="btn btn--primary"
                    data-testid="import-confirm"
                    disabled=to_create == 0
                    on:click=move |_| on_confirm.run(())
                >
                    {move || i18n.t(Key::ImportConfirm).replace("{n}", &to_create.to_string())}
                </button>
                {(bad_rows > 0).then(|| view! {
                    <span class="hint">
                        {move || i18n.t(Key::ImportSkipsBadRows).replace("{n}", &bad_rows.to_string())}
                    </span>
                })}
                {(to_create == 0).then(|| view! {
                    <span class="hint">{move || i18n.t(Key::ImportNothingNew)}</span>
                })}
            </div>
        </section>
    }
}

#[component]
fn ProgressView(job: MemberImportJob) -> impl IntoView {
    let i18n = use_i18n();
    let total = job.rows_total.max(1);
    let percent = u64::from(job.rows_done) * 100 / u64::from(total);
    view! {
        <section class="card import-step" data-testid="import-progress">
            <h2 class="card__title">{move || i18n.t(Key::ImportRunning)}</h2>
            <progress class="import-progress" max=total.to_string() value=job.rows_done.to_string()></progress>
            <p class="num">{format!("{} / {} ({percent}%)", job.rows_done, job.rows_total)}</p>
        </section>
    }
}

#[component]
fn SummaryView(job: MemberImportJob) -> impl IntoView {
    let i18n = use_i18n();
    let done = job.state == MemberImportState::Done;
    let state_key = match job.state {
        MemberImportState::Done => Key::ImportDone,
        MemberImportState::Running => Key::ImportRunning,
        MemberImportState::Failed | MemberImportState::Interrupted => Key::ImportStopped,
    };
    view! {
        <section class="card import-step" data-testid="import-summary">
            <h2 class="card__title">
                <span class="badge" class:badge--success=done class:badge--danger=!done>
                    {move || i18n.t(state_key)}
                </span>
            </h2>
            <dl class="facts import-facts">
                <dt>{move || i18n.t(Key::ImportCreated)}</dt>
                <dd class="num" data-testid="import-created">{job.created}</dd>
                <dt>{move || i18n.t(Key::ImportExisting)}</dt>
                <dd class="num">{job.existing}</dd>
                <dt>{move || i18n.t(Key::ImportSkipped)}</dt>
                <dd class="num">{job.skipped}</dd>
            </dl>
            {job.error.map(|error| view! { <p class="alert alert--danger">{error}</p> })}
        </section>
    }
}
