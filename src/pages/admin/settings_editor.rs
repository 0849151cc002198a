//! The settings form, one input per setting of the table, saved with `If-Match` on the
//! version; then the URLs to register, the configuration check, the sessions and the audit
//! history.

use super::audit_history::AuditHistory;
use super::configuration_check::ConfigurationCheck;
use super::form::{Form, SecretEdit};
use super::preset_picker::PresetPicker;
use super::register_urls::RegisterUrls;
use super::secret_field::SecretField;
use super::sessions::Sessions;
use super::setting_field::SettingField;
use crate::admin::presets::issuer_warnings;
use crate::api::client::{self, Credential};
use crate::api::ApiError;
use crate::contract::settings::{Setting, SettingsDocument, Value, AUTH_METHOD, ISSUER, SETTINGS};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
enum Banner {
    Saved(u64),
    Conflict,
    Reloaded(u64),
    Failed(String),
}

#[component]
pub fn SettingsEditor(credential: Credential, via: String) -> impl IntoView {
    let form = Form::new();
    let doc = RwSignal::new(None::<SettingsDocument>);
    let errors = RwSignal::new(BTreeMap::<String, String>::new());
    let banner = RwSignal::new(None::<Banner>);
    let saving = RwSignal::new(false);
    let audit_refresh = RwSignal::new(0u32);
    let bearer = StoredValue::new(credential);

    spawn_local(async move {
        match client::get_settings(&bearer.get_value()).await {
            Ok(loaded) => {
                form.fill(&loaded);
                doc.set(Some(loaded));
            }
            Err(err) => banner.set(Some(Banner::Failed(err.message()))),
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(current) = doc.get_untracked() else {
            return;
        };
        let update = form.update(&current);
        saving.set(true);
        spawn_local(async move {
            match client::put_settings(&bearer.get_value(), current.version, &update).await {
                Ok(saved) => {
                    errors.set(BTreeMap::new());
                    form.secret.set(SecretEdit::Keep);
                    banner.set(Some(Banner::Saved(saved.version)));
                    doc.set(Some(saved));
                    audit_refresh.update(|n| *n += 1);
                }
                Err(ApiError::Conflict { .. }) => banner.set(Some(Banner::Conflict)),
                Err(ApiError::Invalid { message, fields }) => {
                    errors.set(fields);
                    banner.set(Some(Banner::Failed(message)));
                }
                Err(other) => banner.set(Some(Banner::Failed(other.message()))),
            }
            saving.set(false);
        });
    };
    // After a conflict: take the newest version as the base, keep what was typed.
    let reload_newest = move |_| {
        spawn_local(async move {
            match client::get_settings(&bearer.get_value()).await {
                Ok(newest) => {
                    banner.set(Some(Banner::Reloaded(newest.version)));
                    doc.set(Some(newest));
                }
                Err(err) => banner.set(Some(Banner::Failed(err.message()))),
            }
        });
    };

    let error_for =
        move |field: &'static str| Signal::derive(move || errors.with(|e| e.get(field).cloned()));
    // After "Load the newest version": the saved value, where it differs from what is typed.
    let saved_value = move |setting: &'static Setting| {
        let input = form.input(setting);
        Signal::derive(move || {
            let reloaded = matches!(banner.get(), Some(Banner::Reloaded(_)));
            let saved = doc.with(|d| d.as_ref()?.get(setting)?.value().map(Value::to_form_text))?;
            (reloaded && saved != input.get().trim()).then_some(saved)
        })
    };
    let locked = move |setting: &'static Setting| {
        Signal::derive(move || {
            doc.with(|d| {
                d.as_ref()
                    .and_then(|d| d.get(setting)?.locked_by().map(str::to_string))
            })
        })
    };
    let (issuer, auth_method) = (form.input(&ISSUER), form.input(&AUTH_METHOD));
    let warnings = move || issuer_warnings(&issuer.get(), &auth_method.get());

    view! {
        <section class="card admin-form">
            <h1>"SSO settings"</h1>
            <p class="muted">
                "Signed in as " <strong>{via}</strong>
                {move || doc.get().map(|d| format!(" · version {}", d.version))}
            </p>
            {move || banner.get().map(|b| match b {
                Banner::Saved(version) => view! {
                    <p class="notice notice--ok" role="status" data-testid="save-ok">
                        {format!("Saved (version {version}). ")}
                        "To check the new settings, sign out and sign back in through your identity provider."
                    </p>
                }.into_any(),
                Banner::Conflict => view! {
                    <div class="notice" role="alert" data-testid="save-conflict">
                        <p>"Someone else saved the settings after you loaded them. Your typed values are kept."</p>
                        <button type="button" class="button" data-testid="reload-newest" on:click=reload_newest>
                            "Load the newest version (keeps your edits)"
                        </button>
                    </div>
                }.into_any(),
                Banner::Reloaded(version) => view! {
                    <p class="notice" role="status" data-testid="reloaded">
                        {format!("Loaded version {version}. Fields where it differs from what you typed show its value; save to apply yours.")}
                    </p>
                }.into_any(),
                Banner::Failed(message) => view! {
                    <p class="notice notice--error" role="alert" data-testid="save-error">{message}</p>
                }.into_any(),
            })}

            <PresetPicker form=form locked=locked(&ISSUER)/>

            <form on:submit=save novalidate>
                {SETTINGS.iter().copied().filter(|s| s.shown).map(|setting| {
                    let field = if setting.is_secret() {
                        view! { <SecretField form=form doc=doc error=error_for(setting.name)/> }.into_any()
                    } else {
                        view! {
                            <SettingField setting=setting form=form locked=locked(setting)
                                error=error_for(setting.name) saved=saved_value(setting)/>
                        }.into_any()
                    };
                    // The issuer's advice goes right under it.
                    let advice = (setting.name == ISSUER.name).then(|| view! {
                        <ul class="admin-form__warnings">
                            {move || warnings().into_iter().map(|w| view! {
                                <li class="notice" data-testid="issuer-warning">{w}</li>
                            }).collect_view()}
                        </ul>
                    });
                    view! { {field} {advice} }
                }).collect_view()}
                <div class="admin-form__actions">
                    <button type="submit" class="button button--primary" data-testid="save"
                        disabled=move || saving.get() || doc.with(Option::is_none)>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </form>
        </section>
        <RegisterUrls/>
        <ConfigurationCheck form=form/>
        <Sessions credential=bearer.get_value() audit_refresh=audit_refresh/>
        <AuditHistory bearer=bearer.get_value() refresh=audit_refresh/>
    }
}
