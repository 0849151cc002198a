//! One setting's input, as its kind in the settings table says: a text input (a list is typed
//! with spaces or commas), or a select of its choices. Locked when a variable sets it.

use super::env_badge::EnvBadge;
use super::field_error::FieldError;
use super::form::Form;
use crate::contract::settings::{Kind, Setting};
use leptos::prelude::*;

#[component]
pub fn SettingField(
    setting: &'static Setting,
    form: Form,
    locked: Signal<Option<String>>,
    error: Signal<Option<String>>,
    /// After a reload: the newest saved value, where it differs from what is typed.
    saved: Signal<Option<String>>,
) -> impl IntoView {
    let field = setting.name;
    let value = form.input(setting);
    let placeholder = match setting.kind {
        Kind::Text { placeholder, .. } | Kind::List { placeholder, .. } => placeholder,
        Kind::Choice(_) | Kind::Secret => "",
    };
    let input = match setting.kind {
        Kind::Choice(options) => view! {
            <select id=field data-testid=format!("field-{field}")
                prop:disabled=move || locked.get().is_some()
                on:change=move |ev| value.set(event_target_value(&ev))
                prop:value=move || value.get()>
                {options.iter().map(|o| view! { <option value=o.value>{o.label}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        _ => view! {
            <input id=field type="text" spellcheck="false" autocomplete="off" placeholder=placeholder
                data-testid=format!("field-{field}")
                aria-invalid=move || error.get().is_some().to_string()
                prop:readOnly=move || locked.get().is_some()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        }
        .into_any(),
    };
    view! {
        <div class="admin-form__field">
            <label for=field>{setting.label}</label>
            {input}
            <EnvBadge field=field locked=locked/>
            <FieldError error=error/>
            {move || saved.get().map(|s| view! {
                <p class="admin-form__saved" data-testid=format!("saved-{field}")>"Newest saved value: " <code>{s}</code></p>
            })}
        </div>
    }
}
