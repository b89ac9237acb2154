//! `/hq/approvals`: registrants from the phone waiting for approval (待审核), oldest
//! first. Approving makes them formal members and pays their referrer; rejecting asks
//! for a reason, which they are sent by SMS.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::registration::PendingMember;
use huiyuan_shared::{MemberId, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::components::staff_guard::StaffGuard;
use crate::format::local_time;
use crate::i18n::{use_i18n, I18n, Key};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::MemberApprove>
            <ApprovalQueue />
        </StaffGuard>
    }
}

/// The queue as read so far, and what the manager is doing with it.
#[derive(Clone, Copy)]
struct Queue {
    rows: RwSignal<Vec<PendingMember>>,
    /// The next page to read, when there is one.
    next_page: RwSignal<Option<u32>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    /// The registrant whose approval or rejection is on its way.
    busy: RwSignal<Option<MemberId>>,
    /// The registrant whose rejection reason is being typed.
    rejecting: RwSignal<Option<MemberId>>,
    /// What the last action did, or why it was refused.
    notice: RwSignal<Option<String>>,
    action_error: RwSignal<Option<ApiError>>,
    /// Counts reads so that an answer to a superseded read is dropped.
    generation: StoredValue<u64>,
    i18n: I18n,
}

impl Queue {
    fn new(i18n: I18n) -> Self {
        Queue {
            rows: RwSignal::new(Vec::new()),
            next_page: RwSignal::new(None),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            busy: RwSignal::new(None),
            rejecting: RwSignal::new(None),
            notice: RwSignal::new(None),
            action_error: RwSignal::new(None),
            generation: StoredValue::new(0),
            i18n,
        }
    }

    /// Reads the queue from its start: after an approval the pages have shifted.
    fn reload(self) {
        self.rows.set(Vec::new());
        self.next_page.set(None);
        self.fetch(0);
    }

    fn more(self) {
        if let Some(page) = self.next_page.get_untracked() {
            self.fetch(page);
        }
    }

    fn fetch(self, page: u32) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        self.loading.set(true);
        self.error.set(None);
        spawn_local(async move {
            let result = api::registration::pending(page).await;
            if self.generation.get_value() != generation {
                return;
            }
            match result {
                Ok(found) => {
                    self.rows.update(|rows| rows.extend(found.members));
                    self.next_page.set(found.more.then_some(page + 1));
                }
                Err(error) => self.error.set(Some(error)),
            }
            self.loading.set(false);
        });
    }

    fn approve(self, row: PendingMember) {
        let i18n = self.i18n;
        self.begin(row.id);
        spawn_local(async move {
            match api::registration::approve(&row.id.to_string()).await {
                Ok(approval) => {
                    let mut text = i18n.t(Key::ApprovedMessage).replace("{name}", &row.name);
                    if approval.referral_points > 0 {
                        text.push_str(
                            &i18n
                                .t(Key::ReferralPaid)
                                .replace("{n}", &approval.referral_points.to_string()),
                        );
                    }
                    self.done(Ok(text));
                }
                Err(error) => self.done(Err(error)),
            }
        });
    }

    fn reject(self, row: PendingMember, reason: String) {
        let i18n = self.i18n;
        self.begin(row.id);
        spawn_local(async move {
            match api::registration::reject(&row.id.to_string(), &reason).await {
                Ok(()) => {
                    self.rejecting.set(None);
                    self.done(Ok(i18n
                        .t(Key::RejectedMessage)
                        .replace("{name}", &row.name)));
                }
                Err(error) => self.done(Err(error)),
            }
        });
    }

    fn begin(self, id: MemberId) {
        self.busy.set(Some(id));
        self.notice.set(None);
        self.action_error.set(None);
    }

    fn done(self, outcome: Result<String, ApiError>) {
        self.busy.set(None);
        match outcome {
            Ok(text) => {
                self.notice.set(Some(text));
                self.reload();
            }
            Err(error) => self.action_error.set(Some(error)),
        }
    }
}

#[component]
fn ApprovalQueue() -> impl IntoView {
    let i18n = use_i18n();
    let queue = Queue::new(i18n);
    queue.reload();

    let footer = move || {
        if let Some(error) = queue.error.get() {
            let retry = Callback::new(move |()| queue.reload());
            return Some(view! { <ErrorView error on_retry=retry /> }.into_any());
        }
        if queue.loading.get() {
            return Some(view! { <LoadingView /> }.into_any());
        }
        queue.next_page.get().map(|_| {
            view! {
                <div class="table-footer">
                    <button class="btn btn--secondary" on:click=move |_| queue.more()>
                        {move || i18n.t(Key::LoadMore)}
                    </button>
                </div>
            }
            .into_any()
        })
    };
    let empty = move || {
        queue.rows.with(Vec::is_empty) && !queue.loading.get() && queue.error.with(Option::is_none)
    };

    view! {
        <div class="hq-page">
            <div class="hq-page__header">
                <h1 class="hq-page__title">{move || i18n.t(Key::NavApprovals)}</h1>
            </div>
            <p class="hint">{move || i18n.t(Key::ApprovalsHint)}</p>
            {move || {
                queue
                    .notice
                    .get()
                    .map(|text| {
                        view! {
                            <div class="alert alert--success" role="status" data-testid="approval-notice">
                                {text}
                            </div>
                        }
                    })
            }}
            {move || {
                queue
                    .action_error
                    .get()
                    .map(|error| {
                        let fields = api::field_errors(&error);
                        let text = match fields.first() {
                            Some(field) => i18n.field_error(&field.code, &field.message),
                            None => i18n.error(&error),
                        };
                        view! {
                            <div class="alert alert--danger" role="alert" data-testid="approval-error">
                                {text}
                            </div>
                        }
                    })
            }}
            <div class="card card--flush">
                <table class="table" data-testid="approval-table">
                    <thead>
                        <tr>
                            <th>{move || i18n.t(Key::ColName)}</th>
                            <th>{move || i18n.t(Key::Phone)}</th>
                            <th>{move || i18n.t(Key::ColChannel)}</th>
                            <th>{move || i18n.t(Key::ColReferrer)}</th>
                            <th>{move || i18n.t(Key::ColRegisteredAt)}</th>
                            <th class="table__actions">{move || i18n.t(Key::ColActions)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || queue.rows.get()
                            key=|row| row.id
                            children=move |row| view! { <PendingRow row queue /> }
                        />
                        {move || {
                            empty()
                                .then(|| {
                                    view! {
                                        <tr>
                                            <td colspan="6" class="table__empty" data-testid="approval-empty">
                                                {move || i18n.t(Key::NoPending)}
                                            </td>
                                        </tr>
                                    }
                                })
                        }}
                    </tbody>
                </table>
                {footer}
            </div>
        </div>
    }
}

#[component]
fn PendingRow(row: PendingMember, queue: Queue) -> impl IntoView {
    let i18n = use_i18n();
    let id = row.id;
    let busy = move || queue.busy.get().is_some();
    let rejecting = move || queue.rejecting.get() == Some(id);
    let reason = RwSignal::new(String::new());
    let channel = row.channel.clone();
    let channel_text = move || {
        if channel == "sms" {
            i18n.t(Key::ChannelSms).to_owned()
        } else {
            channel.clone()
        }
    };
    let referrer = row
        .referrer
        .as_ref()
        .map(|referrer| format!("{} · {}", referrer.name, referrer.member_no))
        .unwrap_or_else(|| "—".to_owned());
    let to_approve = row.clone();
    let to_reject = row.clone();
    let on_reject = move |event: SubmitEvent| {
        event.prevent_default();
        queue.reject(to_reject.clone(), reason.get_untracked());
    };
    view! {
        <tr data-testid="approval-row" data-member-no=row.member_no.clone()>
            <td>
                <strong>{row.name.clone()}</strong>
                <div class="muted mono">{row.member_no.clone()}</div>
            </td>
            <td class="num">{row.phone_masked.clone()}</td>
            <td>
                <span class="badge badge--muted">{channel_text}</span>
            </td>
            <td>{referrer}</td>
            <td class="nowrap">{local_time(&row.registered_at)}</td>
            <td class="table__actions">
                {move || {
                    if rejecting() {
                        let on_reject = on_reject.clone();
                        view! {
                            <form class="reject-form" on:submit=on_reject>
                                <input
                                    class="input"
                                    type="text"
                                    maxlength="200"
                                    aria-label=move || i18n.t(Key::RejectReason)
                                    placeholder=move || i18n.t(Key::RejectReasonPlaceholder)
                                    data-testid="reject-reason"
                                    bind:value=reason
                                />
                                <button
                                    type="submit"
                                    class="btn btn--danger"
                                    data-testid="reject-confirm"
                                    disabled=busy
                                >
                                    {move || i18n.t(Key::ConfirmReject)}
                                </button>
                                <button
                                    type="button"
                                    class="btn btn--ghost"
                                    on:click=move |_| queue.rejecting.set(None)
                                >
                                    {move || i18n.t(Key::Cancel)}
                                </button>
                            </form>
                        }
                        .into_any()
                    } else {
                        let to_approve = to_approve.clone();
                        view! {
                            <div class="row-actions">
                                <button
                                    type="button"
                                    class="btn btn--primary"
                                    data-testid="approve"
                                    disabled=busy
                                    on:click=move |_| queue.approve(to_approve.clone())
                                >
                                    {move || i18n.t(Key::Approve)}
                                </button>
                                <button
                                    type="button"
                                    class="btn btn--secondary"
                                    data-testid="reject"
                                    disabled=busy
                                    on:click=move |_| {
                                        queue.action_error.set(None);
                                        queue.rejecting.set(Some(id));
                                    }
                                >
                                    {move || i18n.t(Key::Reject)}
                                </button>
                            </div>
                        }
                        .into_any()
                    }
                }}
            </td>
        </tr>
    }
}
