//! The settings' environment variables, read by the table: each variable's value passes its
//! setting's rule, and aliases must agree.

use std::collections::BTreeMap;

use sso_web::contract::settings::{Setting, Value, SETTINGS};

use crate::config::ConfigError;

/// What the environment sets, by setting name, with the variable it came from. A setting it
/// sets wins over the saved value and is locked in the admin form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSettings {
    values: BTreeMap<&'static str, (&'static str, Value)>,
}

impl EnvSettings {
    /// `get` answers `None` for a variable that is unset or blank.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        for setting in SETTINGS {
            let set: Vec<(&'static str, String)> = setting
                .env
                .iter()
                .filter_map(|var| get(var).map(|value| (*var, value)))
                .collect();
            let Some((var, text)) = set.first() else {
                continue;
            };
            if set.iter().any(|(_, other)| other != text) {
                return Err(ConfigError::ConflictingValues {
                    vars: setting.env,
                    secret: setting.is_secret(),
                });
            }
            let value =
                setting
                    .parse_text(text)
                    .map_err(|problem| ConfigError::InvalidSetting {
                        var,
                        value: (!problem.hide_value && !setting.is_secret()).then(|| text.clone()),
                        rule: problem.rule,
                    })?;
            values.insert(setting.name, (*var, value));
        }
        Ok(Self { values })
    }

    /// The value the environment gives `setting`, and the variable that gives it.
    pub fn get(&self, setting: &Setting) -> Option<(&'static str, &Value)> {
        self.values
            .get(setting.name)
            .map(|(var, value)| (*var, value))
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
