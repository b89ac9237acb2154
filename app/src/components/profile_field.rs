//! One profile field as a form input by its kind (text, number, date, or a choice), with
//! its error beside it; protected fields are marked. Shared by HQ's 360° view and the
//! member's own profile on the phone.

use huiyuan_shared::member::{FieldAccess, FieldDef, FieldKind, Profile};
use huiyuan_shared::FieldError;
use leptos::prelude::*;

use crate::i18n::{use_i18n, Key};

#[component]
pub fn ProfileFieldInput(
    def: FieldDef,
    values: RwSignal<Profile>,
    errors: RwSignal<Vec<FieldError>>,
    /// Staff without `member.edit` see the value only.
    #[prop(default = true)]
    editable: bool,
    /// The phone's larger touch targets.
    #[prop(optional)]
    large: bool,
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
    let class = if large { "input input--large" } else { "input" };
    let input = match def.kind {
        FieldKind::Choice => {
            let set = set.clone();
            let options = def.choices.clone();
            let current = value.clone();
            view! {
                <select class=class disabled=!editable data-field=key.clone()
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
                <input class=class type=input_type maxlength="200" disabled=!editable data-field=key.clone()
                    prop:value=value on:input=move |event| set(event_target_value(&event)) />
            }
            .into_any()
        }
    };
    let protected = def.access == FieldAccess::Protected;
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
