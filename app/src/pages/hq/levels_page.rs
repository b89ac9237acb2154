//! `/hq/levels`: membership levels (MEM-4) with their benefits, term, upgrade rule and
//! what happens at term end. HQ adds and edits them; the form runs the same checks as
//! the server before sending and shows every bad field beside its input.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::level::{
    discount_label, multiplier_label, Level, LevelDraft, TermEnd, UpgradeMetric, UpgradeRule,
    STANDARD_LEVEL_ID,
};
use huiyuan_shared::{FieldError, Money, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::form_field::FormField;
use crate::components::loading_view::LoadingView;
use crate::components::staff_guard::StaffGuard;
use crate::i18n::{use_i18n, I18n, Key};
use crate::session::use_session;

/// Numbers typed into the form are refused beyond this size before any arithmetic.
const TYPED_NUMBER_MAX: f64 = 1e12;

#[component]
pub fn LevelsPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::MemberView>
            <LevelsBoard />
        </StaffGuard>
    }
}

#[component]
fn LevelsBoard() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let levels = LocalResource::new(api::levels::list);
    let form = LevelForm::new();
    let can_edit = move || session.can(Permission::RulesEdit);
    let saved = Callback::new(move |()| levels.refetch());
    let body = move || match levels.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Ok(rows)) => view! { <LevelsTable rows form can_edit=can_edit() /> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| levels.refetch());
            view! { <ErrorView error on_retry=retry /> }.into_any()
        }
    };
    view! {
        <div class="hq-page">
            <div class="hq-page__header">
                <div>
                    <h1 class="hq-page__title">{move || i18n.t(Key::NavLevels)}</h1>
                    <p class="hint">{move || i18n.t(Key::LevelsHint)}</p>
                </div>
                {move || {
                    (can_edit() && !form.open.get())
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="btn btn--primary"
                                    data-testid="add-level"
                                    on:click=move |_| form.open_new()
                                >
                                    {move || i18n.t(Key::AddLevel)}
                                </button>
                            }
                        })
                }}
            </div>
            {move || form.open.get().then(|| view! { <LevelFormCard form saved /> })}
            <div class="card card--flush">{body}</div>
        </div>
    }
}

/// The form's inputs as typed, and what the last attempt to save it answered.
#[derive(Clone, Copy)]
struct LevelForm {
    open: RwSignal<bool>,
    /// The level being changed; `None` for a new one.
    editing: RwSignal<Option<String>>,
    code: RwSignal<String>,
    name: RwSignal<String>,
    tier: RwSignal<String>,
    discount_percent: RwSignal<String>,
    multiplier: RwSignal<String>,
    term_months: RwSignal<String>,
    /// An [`UpgradeMetric`] code, or empty for none.
    metric: RwSignal<String>,
    threshold: RwSignal<String>,
    period_months: RwSignal<String>,
    at_term_end: RwSignal<String>,
    active: RwSignal<bool>,
    fields: RwSignal<Vec<FieldError>>,
    error: RwSignal<Option<ApiError>>,
    pending: RwSignal<bool>,
}

impl LevelForm {
    fn new() -> Self {
        LevelForm {
            open: RwSignal::new(false),
            editing: RwSignal::new(None),
            code: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            tier: RwSignal::new(String::new()),
            discount_percent: RwSignal::new(String::new()),
            multiplier: RwSignal::new(String::new()),
            term_months: RwSignal::new(String::new()),
            metric: RwSignal::new(String::new()),
            threshold: RwSignal::new(String::new()),
            period_months: RwSignal::new(String::new()),
            at_term_end: RwSignal::new(String::new()),
            active: RwSignal::new(true),
            fields: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            pending: RwSignal::new(false),
        }
    }

    /// An empty form for a new level: no discount, ×1, a year's term, requalified for.
    fn open_new(self) {
        self.editing.set(None);
        self.code.set(String::new());
        self.name.set(String::new());
        self.tier.set(String::new());
        self.discount_percent.set("100".to_owned());
        self.multiplier.set("1".to_owned());
        self.term_months.set("12".to_owned());
        self.metric.set(UpgradeMetric::Spend.code().to_owned());
        self.threshold.set(String::new());
        self.period_months.set("12".to_owned());
        self.at_term_end.set(TermEnd::Requalify.code().to_owned());
        self.active.set(true);
        self.clear_errors();
        self.open.set(true);
    }

    fn open_edit(self, level: &Level) {
        self.editing.set(Some(level.id.clone()));
        self.code.set(level.id.clone());
        self.name.set(level.name.clone());
        self.tier.set(level.tier.to_string());
        self.discount_percent
            .set(scaled_text(level.discount_bp, 100));
        self.multiplier
            .set(multiplier_label(level.points_multiplier_bp));
        self.term_months
            .set(level.term_months.map(|m| m.to_string()).unwrap_or_default());
        let rule = level.upgrade;
        self.metric
            .set(rule.map(|r| r.metric.code().to_owned()).unwrap_or_default());
        self.threshold.set(match rule {
            Some(rule) if rule.metric == UpgradeMetric::Spend => scaled_text(rule.threshold, 100),
            Some(rule) => rule.threshold.to_string(),
            None => String::new(),
        });
        self.period_months.set(
            rule.and_then(|r| r.period_months)
                .map(|m| m.to_string())
                .unwrap_or_default(),
        );
        self.at_term_end.set(level.at_term_end.code().to_owned());
        self.active.set(level.active);
        self.clear_errors();
        self.open.set(true);
    }

    fn clear_errors(self) {
        self.fields.set(Vec::new());
        self.error.set(None);
    }

    fn is_standard(self) -> bool {
        self.editing
            .with(|id| id.as_deref() == Some(STANDARD_LEVEL_ID))
    }

    fn metric_value(self) -> Option<UpgradeMetric> {
        self.metric.with(|code| UpgradeMetric::from_code(code))
    }

    /// The draft the inputs describe, or every field that is wrong: first what does not
    /// read as a number, then the shared checks on the rest.
    fn draft(self) -> Result<LevelDraft, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut read = |result: Result<i64, FieldError>| {
            result.unwrap_or_else(|error| {
                problems.push(error);
                0
            })
        };
        let tier = read(whole("tier", &self.tier.get_untracked()));
        let discount_bp = read(scaled(
            "discount_bp",
            &self.discount_percent.get_untracked(),
            100,
        ));
        let points_multiplier_bp = read(scaled(
            "points_multiplier_bp",
            &self.multiplier.get_untracked(),
            10_000,
        ));
        let term_months = optional(&self.term_months.get_untracked())
            .map(|text| read(whole("term_months", text)));
        let upgrade = self.metric_value().map(|metric| {
            let text = self.threshold.get_untracked();
            let threshold = match metric {
                UpgradeMetric::Spend => read(scaled("upgrade.threshold", &text, 100)),
                _ => read(whole("upgrade.threshold", &text)),
            };
            let period = self.period_months.get_untracked();
            UpgradeRule {
                metric,
                threshold,
                period_months: optional(&period)
                    .map(|text| read(whole("upgrade.period_months", text))),
            }
        });
        let editing = self.editing.get_untracked();
        let code = self.code.get_untracked();
        let draft = LevelDraft {
            id: match &editing {
                Some(id) => Some(id.clone()),
                None => optional(&code).map(str::to_owned),
            },
            name: self.name.get_untracked().trim().to_owned(),
            tier,
            discount_bp,
            points_multiplier_bp,
            term_months,
            upgrade,
            at_term_end: self
                .at_term_end
                .with_untracked(|code| TermEnd::from_code(code))
                .unwrap_or_default(),
            active: self.active.get_untracked(),
        };
        if let Err(checked) = draft.check(self.is_standard()) {
            let unread: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
            problems.extend(
                checked
                    .fields
                    .into_iter()
                    .filter(|error| !unread.contains(&error.field)),
            );
        }
        if problems.is_empty() {
            Ok(draft)
        } else {
            Err(problems)
        }
    }
}

/// Trimmed text, or `None` when blank.
fn optional(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

fn not_a_number(field: &str) -> FieldError {
    FieldError::new(field, "not_a_number", "请输入数字")
}

/// A whole number as typed.
fn whole(field: &str, text: &str) -> Result<i64, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::required(field));
    }
    text.parse().map_err(|_| not_a_number(field))
}

/// A decimal as typed, times `scale` and rounded: `95` % is 9500 basis points, `1.5`
/// times is 15000, `1000.5` 元 is 100050 分.
fn scaled(field: &str, text: &str, scale: i64) -> Result<i64, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::required(field));
    }
    let value: f64 = text.parse().map_err(|_| not_a_number(field))?;
    if !value.is_finite() || value.abs() > TYPED_NUMBER_MAX {
        return Err(not_a_number(field));
    }
    Ok((value * scale as f64).round() as i64)
}

/// A stored whole number shown divided by `scale`: 9500 at 100 is `95`, 100050 is
/// `1000.5`.
fn scaled_text(value: i64, scale: i64) -> String {
    let whole = value / scale;
    let rest = (value % scale).abs();
    if rest == 0 {
        return whole.to_string();
    }
    let digits = scale.to_string().len() - 1;
    let fraction = format!("{rest:0digits$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[component]
fn LevelFormCard(form: LevelForm, saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if form.pending.get_untracked() {
            return;
        }
        form.clear_errors();
        let draft = match form.draft() {
            Ok(draft) => draft,
            Err(problems) => {
                form.fields.set(problems);
                return;
            }
        };
        form.pending.set(true);
        let editing = form.editing.get_untracked();
        spawn_local(async move {
            let result = match &editing {
                Some(id) => api::levels::update(id, &draft).await,
                None => api::levels::create(&draft).await,
            };
            form.pending.set(false);
            match result {
                Ok(_) => {
                    form.open.set(false);
                    saved.run(());
                }
                Err(failure) => {
                    form.fields.set(api::field_errors(&failure));
                    form.error.set(Some(failure));
                }
            }
        });
    };
    let message = move |name: &'static str| {
        Signal::derive(move || {
            form.fields.with(|fields| {
                let found: Vec<String> = fields
                    .iter()
                    .filter(|field| field.field == name)
                    .map(|field| i18n.field_error(&field.code, &field.message))
                    .collect();
                (!found.is_empty()).then(|| found.join("；"))
            })
        })
    };
    let standard = move || form.is_standard();
    let new_level = move || form.editing.with(Option::is_none);
    let title = move || {
        if new_level() {
            i18n.t(Key::AddLevel)
        } else {
            i18n.t(Key::EditLevel)
        }
    };
    let discount_preview = move || {
        scaled("discount_bp", &form.discount_percent.get(), 100)
            .ok()
            .map(|bp| discount_text(i18n, bp))
    };
    let threshold_label = move || match form.metric_value() {
        Some(UpgradeMetric::Points) => Key::FieldThresholdPoints,
        Some(UpgradeMetric::Visits) => Key::FieldThresholdVisits,
        _ => Key::FieldThresholdYuan,
    };
    let has_rule = move || form.metric_value().is_some();
    view! {
        <form class="card level-form" on:submit=on_submit novalidate=true data-testid="level-form">
            <h2 class="level-form__title">{title}</h2>
            {move || {
                form.error
                    .get()
                    .map(|failure| {
                        view! {
                            <div class="alert alert--danger" role="alert" data-testid="level-error">
                                {i18n.error(&failure)}
                            </div>
                        }
                    })
            }}
            <div class="form-grid">
                {move || {
                    new_level()
                        .then(|| {
                            view! {
                                <FormField label=Key::FieldLevelCode error=message("id")>
                                    <input class="input mono" data-testid="level-code" autocapitalize="off"
                                        spellcheck="false" bind:value=form.code />
                                </FormField>
                            }
                        })
                }}
                <FormField label=Key::FieldLevelName error=message("name")>
                    <input class="input" data-testid="level-name" bind:value=form.name />
                </FormField>
                <FormField label=Key::FieldTier error=message("tier")>
                    <input class="input" inputmode="numeric" data-testid="level-tier"
                        disabled=standard bind:value=form.tier />
                </FormField>
                <FormField label=Key::FieldDiscountPercent error=message("discount_bp")>
                    <div class="input-with-note">
                        <input class="input" inputmode="decimal" data-testid="level-discount"
                            bind:value=form.discount_percent />
                        <span class="muted" data-testid="level-discount-preview">{discount_preview}</span>
                    </div>
                </FormField>
                <FormField label=Key::FieldMultiplier error=message("points_multiplier_bp")>
                    <input class="input" inputmode="decimal" data-testid="level-multiplier"
                        bind:value=form.multiplier />
                </FormField>
                <FormField label=Key::FieldTermMonths error=message("term_months")>
                    <input class="input" inputmode="numeric" data-testid="level-term"
                        disabled=standard bind:value=form.term_months />
                </FormField>
                <FormField label=Key::FieldAtTermEnd error=message("at_term_end")>
                    <select class="input" data-testid="level-term-end" disabled=standard
                        on:change=move |event| form.at_term_end.set(event_target_value(&event))>
                        {[
                            (TermEnd::Requalify, Key::TermEndRequalify),
                            (TermEnd::Renew, Key::TermEndRenew),
                            (TermEnd::Downgrade, Key::TermEndDowngrade),
                        ]
                            .into_iter()
                            .map(|(end, label)| {
                                view! {
                                    <option value=end.code()
                                        selected=move || form.at_term_end.with(|code| code == end.code())>
                                        {move || i18n.t(label)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </FormField>
                <FormField label=Key::FieldUpgradeMetric error=message("upgrade")>
                    <select class="input" data-testid="level-metric" disabled=standard
                        on:change=move |event| form.metric.set(event_target_value(&event))>
                        {[
                            ("", Key::MetricNone),
                            (UpgradeMetric::Spend.code(), Key::MetricSpend),
                            (UpgradeMetric::Points.code(), Key::MetricPoints),
                            (UpgradeMetric::Visits.code(), Key::MetricVisits),
                        ]
                            .into_iter()
                            .map(|(code, label)| {
                                view! {
                                    <option value=code selected=move || form.metric.with(|m| m == code)>
                                        {move || i18n.t(label)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </FormField>
                {move || {
                    has_rule()
                        .then(|| {
                            view! {
                                <FormField label=threshold_label() error=message("upgrade.threshold")>
                                    <input class="input" inputmode="decimal" data-testid="level-threshold"
                                        bind:value=form.threshold />
                                </FormField>
                                <FormField label=Key::FieldPeriodMonths error=message("upgrade.period_months")>
                                    <input class="input" inputmode="numeric" data-testid="level-period"
                                        bind:value=form.period_months />
                                </FormField>
                            }
                        })
                }}
            </div>
            <div class="level-form__footer">
                <label class="checkbox" class:field--invalid=move || message("active").with(Option::is_some)>
                    <input type="checkbox" data-testid="level-active" disabled=standard
                        bind:checked=form.active />
                    <span>{move || i18n.t(Key::LevelActive)}</span>
                    {move || message("active").get().map(|text| view! { <span class="field__error" role="alert">{text}</span> })}
                </label>
                <div class="form-actions">
                    <button type="button" class="btn btn--ghost" data-testid="level-cancel"
                        on:click=move |_| form.open.set(false)>
                        {move || i18n.t(Key::Cancel)}
                    </button>
                    <button type="submit" class="btn btn--primary" data-testid="level-save"
                        disabled=move || form.pending.get()
                        aria-busy=move || form.pending.get().to_string()>
                        {move || if form.pending.get() { i18n.t(Key::Saving) } else { i18n.t(Key::Save) }}
                    </button>
                </div>
            </div>
        </form>
    }
}

#[component]
fn LevelsTable(rows: Vec<Level>, form: LevelForm, can_edit: bool) -> impl IntoView {
    let i18n = use_i18n();
    let empty = rows.is_empty();
    view! {
        <table class="table" data-testid="levels-table">
            <thead>
                <tr>
                    <th>{move || i18n.t(Key::ColLevel)}</th>
                    <th class="num">{move || i18n.t(Key::ColTier)}</th>
                    <th>{move || i18n.t(Key::ColDiscount)}</th>
                    <th>{move || i18n.t(Key::ColMultiplier)}</th>
                    <th>{move || i18n.t(Key::ColTerm)}</th>
                    <th>{move || i18n.t(Key::ColUpgradeRule)}</th>
                    <th>{move || i18n.t(Key::ColTermEnd)}</th>
                    <th class="num">{move || i18n.t(Key::ColMembers)}</th>
                    <th>{move || i18n.t(Key::ColStatus)}</th>
                    {can_edit.then(|| view! { <th>{move || i18n.t(Key::ColActions)}</th> })}
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|level| view! { <LevelRow level form can_edit /> }).collect_view()}
                {empty.then(|| view! {
                    <tr>
                        <td colspan="10" class="table__empty">{move || i18n.t(Key::NoData)}</td>
                    </tr>
                })}
            </tbody>
        </table>
    }
}

#[component]
fn LevelRow(level: Level, form: LevelForm, can_edit: bool) -> impl IntoView {
    let i18n = use_i18n();
    let discount = level.discount_bp;
    let multiplier = multiplier_label(level.points_multiplier_bp);
    let term = level.term_months;
    let rule = level.upgrade;
    let at_term_end = level.at_term_end;
    let (badge, status) = if level.active {
        ("badge badge--success", Key::LevelActive)
    } else {
        ("badge badge--muted", Key::LevelInactive)
    };
    let edit = level.clone();
    view! {
        <tr data-level=level.id.clone()>
            <td>
                <strong>{level.name.clone()}</strong>
                <div class="muted mono level-code">{level.id.clone()}</div>
            </td>
            <td class="num">{level.tier}</td>
            <td>{move || discount_text(i18n, discount)}</td>
            <td>{format!("×{multiplier}")}</td>
            <td>{move || term_text(i18n, term)}</td>
            <td>{move || rule_text(i18n, rule)}</td>
            <td>{move || term.map(|_| i18n.t(term_end_key(at_term_end))).unwrap_or("—")}</td>
            <td class="num">{level.members}</td>
            <td><span class=badge>{move || i18n.t(status)}</span></td>
            {can_edit.then(|| view! {
                <td>
                    <button type="button" class="btn btn--secondary btn--small" data-testid="edit-level"
                        on:click=move |_| form.open_edit(&edit)>
                        {move || i18n.t(Key::Edit)}
                    </button>
                </td>
            })}
        </tr>
    }
}

fn discount_text(i18n: I18n, discount_bp: i64) -> String {
    match discount_label(discount_bp) {
        Some(zhe) => i18n
            .t(Key::DiscountTemplate)
            .replace("{zhe}", &zhe)
            .replace("{pct}", &scaled_text(discount_bp, 100)),
        None => i18n.t(Key::NoDiscount).to_owned(),
    }
}

fn term_text(i18n: I18n, term_months: Option<i64>) -> String {
    match term_months {
        Some(months) => i18n.t(Key::TermMonths).replace("{n}", &months.to_string()),
        None => i18n.t(Key::TermNone).to_owned(),
    }
}

fn rule_text(i18n: I18n, rule: Option<UpgradeRule>) -> String {
    let Some(rule) = rule else {
        return i18n.t(Key::RuleByStaffOnly).to_owned();
    };
    let reach = match rule.metric {
        UpgradeMetric::Spend => i18n
            .t(Key::RuleSpend)
            .replace("{amount}", &Money(rule.threshold).to_string()),
        UpgradeMetric::Points => i18n
            .t(Key::RulePoints)
            .replace("{count}", &rule.threshold.to_string()),
        UpgradeMetric::Visits => i18n
            .t(Key::RuleVisits)
            .replace("{count}", &rule.threshold.to_string()),
    };
    let period = match rule.period_months {
        Some(months) => i18n
            .t(Key::RuleWithin)
            .replace("{months}", &months.to_string()),
        None => i18n.t(Key::RuleSinceJoining).to_owned(),
    };
    i18n.t(Key::RuleTemplate)
        .replace("{period}", &period)
        .replace("{rule}", &reach)
}

fn term_end_key(end: TermEnd) -> Key {
    match end {
        TermEnd::Requalify => Key::TermEndRequalify,
        TermEnd::Renew => Key::TermEndRenew,
        TermEnd::Downgrade => Key::TermEndDowngrade,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is typed reads as the stored units and back: percent to basis points, a
    /// factor to basis points, 元 to 分.
    #[test]
    fn typed_numbers_scale_both_ways() {
        assert_eq!(scaled("f", "95", 100), Ok(9_500));
        assert_eq!(scaled("f", " 88.5 ", 100), Ok(8_850));
        assert_eq!(scaled("f", "1.5", 10_000), Ok(15_000));
        assert_eq!(scaled("f", "1000.5", 100), Ok(100_050));
        assert_eq!(
            scaled("f", "x", 100).map_err(|e| e.code),
            Err("not_a_number".to_owned())
        );
        assert_eq!(
            scaled("f", "", 100).map_err(|e| e.code),
            Err("required".to_owned())
        );
        assert_eq!(scaled_text(9_500, 100), "95");
        assert_eq!(scaled_text(8_850, 100), "88.5");
        assert_eq!(scaled_text(100_050, 100), "1000.5");
        assert_eq!(scaled_text(100_005, 100), "1000.05");
        assert_eq!(whole("f", "12"), Ok(12));
        assert_eq!(
            whole("f", "1.5").map_err(|e| e.code),
            Err("not_a_number".to_owned())
        );
    }
}
