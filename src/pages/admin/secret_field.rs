//! The client secret: write-only. Shows whether it is set, and lets the admin replace or
//! clear it (unless a variable sets it).

use super::field_error::FieldError;
use super::form::{Form, SecretEdit};
use crate::contract::settings::{SettingState, SettingsDocument, Source, CLIENT_SECRET};
use leptos::prelude::*;

#[component]
pub fn SecretField(
    form: Form,
    doc: RwSignal<Option<SettingsDocument>>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let state = move || {
        doc.with(|d| {
            d.as_ref().and_then(|d| match d.get(&CLIENT_SECRET) {
                Some(SettingState::Secret(secret)) => Some(secret.clone()),
                _ => None,
            })
        })
    };
    view! {
        <div class="admin-form__field">
            <label>"Client secret"</label>
            {move || {
                let Some(secret) = state() else { return ().into_any() };
                if let Some(var) = secret.env_var.clone().filter(|_| secret.source == Source::Env) {
                    return view! {
                        <span data-testid="secret-state">{if secret.set { "set" } else { "not set" }}</span>
                        <span class="badge badge--env" data-testid="env-badge-client_secret">{format!("set by {var}")}</span>
                    }.into_any();
                }
                match form.secret.get() {
                    SecretEdit::Keep => view! {
                        <span data-testid="secret-state">{if secret.set { "set" } else { "not set" }}</span>
                        " "
                        <button type="button" class="button button--small" data-testid="secret-replace"
                            on:click=move |_| form.secret.set(SecretEdit::Replace(String::new()))>
                            {if secret.set { "Replace" } else { "Set" }}
                        </button>
                        {secret.set.then(|| view! {
                            " "
                            <button type="button" class="button button--small" data-testid="secret-clear"
                                on:click=move |_| form.secret.set(SecretEdit::Clear)>"Clear"</button>
                        })}
                        <p class="muted">"Only needed for providers that require a confidential client (Entra \"Web\" platform). It is never shown again."</p>
                    }.into_any(),
                    SecretEdit::Replace(typed) => view! {
                        <input type="password" autocomplete="new-password" data-testid="secret-input"
                            prop:value=typed on:input=move |ev| form.secret.set(SecretEdit::Replace(event_target_value(&ev)))/>
                        " "
                        <button type="button" class="button button--small" on:click=move |_| form.secret.set(SecretEdit::Keep)>"Cancel"</button>
                    }.into_any(),
                    SecretEdit::Clear => view! {
                        <span data-testid="secret-state">"will be cleared on save"</span>
                        " "
                        <button type="button" class="button button--small" on:click=move |_| form.secret.set(SecretEdit::Keep)>"Undo"</button>
                    }.into_any(),
                }
            }}
            <FieldError error=error/>
        </div>
    }
}
