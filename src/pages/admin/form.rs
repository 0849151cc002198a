//! What the admin is typing: one signal per input of the settings table, and the secret's
//! edit. Not a component; the editor and its fields share it.

use crate::api::{changes, form_settings, typed_from, Typed};
use crate::contract::settings::{
    Setting, SettingsDocument, SettingsUpdate, Source, Value, CLIENT_SECRET, SCOPES,
};
use leptos::prelude::*;

/// The client secret is write-only: kept, replaced with what is typed, or cleared.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretEdit {
    Keep,
    Replace(String),
    Clear,
}

#[derive(Clone, Copy)]
pub struct Form {
    inputs: StoredValue<Vec<(&'static str, RwSignal<String>)>>,
    pub secret: RwSignal<SecretEdit>,
}

impl Form {
    /// Every input at its setting's default.
    pub fn new() -> Self {
        let inputs = form_settings()
            .map(|setting| {
                let text = setting
                    .default_value()
                    .map(|v| v.to_form_text())
                    .unwrap_or_default();
                (setting.name, RwSignal::new(text))
            })
            .collect();
        Form {
            inputs: StoredValue::new(inputs),
            secret: RwSignal::new(SecretEdit::Keep),
        }
    }

    /// The input of `setting` (a detached signal for one the form does not show).
    pub fn input(self, setting: &Setting) -> RwSignal<String> {
        self.inputs
            .with_value(|inputs| {
                inputs
                    .iter()
                    .find(|(name, _)| *name == setting.name)
                    .map(|(_, signal)| *signal)
            })
            .unwrap_or_else(|| RwSignal::new(String::new()))
    }

    /// Shows `doc`'s values, and keeps the secret.
    pub fn fill(self, doc: &SettingsDocument) {
        for (name, text) in typed_from(doc) {
            if let Some(setting) = crate::contract::settings::find(name) {
                self.input(setting).set(text);
            }
        }
        self.secret.set(SecretEdit::Keep);
    }

    fn typed(self) -> Typed {
        self.inputs.with_value(|inputs| {
            inputs
                .iter()
                .map(|(name, signal)| (*name, signal.get_untracked()))
                .collect()
        })
    }

    /// The extra scopes typed, as a list (for the configuration check).
    pub fn scope_list(self) -> Vec<String> {
        SCOPES
            .parse_text(&self.input(&SCOPES).get_untracked())
            .ok()
            .and_then(|v| v.as_list().map(<[String]>::to_vec))
            .unwrap_or_default()
    }

    /// The PUT body: settings that differ from `doc` (and are not env-locked), plus the
    /// secret when the admin chose to replace or clear it.
    pub fn update(self, doc: &SettingsDocument) -> SettingsUpdate {
        let mut update = changes(doc, &self.typed());
        let locked = doc
            .get(&CLIENT_SECRET)
            .is_some_and(|s| s.source() == Source::Env);
        if !locked {
            match self.secret.get_untracked() {
                SecretEdit::Keep => {}
                SecretEdit::Replace(secret) => {
                    update.insert(CLIENT_SECRET.name.to_owned(), Some(Value::Text(secret)));
                }
                SecretEdit::Clear => {
                    update.insert(CLIENT_SECRET.name.to_owned(), None);
                }
            }
        }
        update
    }
}
