//! The SSO settings in force: per setting of the table (`sso_web::contract::settings`), the
//! environment's value, else the one saved in the admin form, else the default. Also the
//! admin API's document of them, and the public configuration the browser gets.

mod env;
mod patch;

use std::collections::BTreeMap;
use std::time::Duration;

use sso_web::contract::config::{AuthMethod, SsoConfig};
pub use sso_web::contract::settings::Secret;
use sso_web::contract::settings::{
    parse_duration, FieldState, SecretState, Setting, SettingState, SettingsDocument, Source,
    Value, AUTH_METHOD, CLIENT_ID, CLIENT_SECRET, GROUPS_CLAIM, ISSUER, SCOPES, SETTINGS,
};

use crate::config::Issuer;
pub use env::EnvSettings;
pub use patch::{enforce_env_locks, parse_patch, SettingsPatch};

/// What was saved in the admin form, by setting name; a setting that is absent is unset.
pub type StoredSettings = BTreeMap<&'static str, Value>;

/// The stored settings and their version (the `ETag` of the admin API).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub version: u64,
    pub settings: StoredSettings,
}

/// The settings in force, with what the server reads from them at hand.
#[derive(Debug, Clone)]
pub struct Settings {
    pub snapshot: Snapshot,
    env: EnvSettings,
    /// The effective issuer, also while the client ID is still missing (the CSP already
    /// needs it).
    pub issuer: Option<Issuer>,
    /// What `/api/v1/sso/config` serves; `None` until issuer and client ID are both known.
    pub sso: Option<SsoConfig>,
    /// The variable's secret, else the saved one: what the token relay authenticates with.
    pub client_secret: Option<Secret>,
}

impl Settings {
    pub fn new(env: &EnvSettings, snapshot: Snapshot) -> Self {
        let mut settings = Self {
            snapshot,
            env: env.clone(),
            issuer: None,
            sso: None,
            client_secret: None,
        };
        // Stored values were checked on the way in; one that no longer parses counts as unset
        // (`Setting::from_stored`), so nothing here is served that the browser would refuse.
        settings.issuer = settings
            .text(&ISSUER)
            .and_then(|issuer| Issuer::parse(&issuer).ok());
        settings.client_secret = settings
            .value(&CLIENT_SECRET)
            .0
            .and_then(|v| v.as_secret().cloned());
        settings.sso = match (&settings.issuer, settings.text(&CLIENT_ID)) {
            (Some(issuer), Some(client_id)) => Some(SsoConfig {
                issuer: issuer.as_str().to_owned(),
                client_id,
                auth_method: settings
                    .text(&AUTH_METHOD)
                    .and_then(|m| AuthMethod::from_name(&m))
                    .unwrap_or_default(),
                scopes: settings.list(&SCOPES),
                groups_claim: settings.groups_claim(),
                token_relay: settings.client_secret.is_some(),
                response_mode: None,
                from_server: true,
            }),
            _ => None,
        };
        settings
    }

    pub fn version(&self) -> u64 {
        self.snapshot.version
    }

    /// A setting's value in force, where it comes from, and the variable that sets it.
    pub fn value(&self, setting: &Setting) -> (Option<Value>, Source, Option<&'static str>) {
        if let Some((var, value)) = self.env.get(setting) {
            return (Some(value.clone()), Source::Env, Some(var));
        }
        match self.snapshot.settings.get(setting.name) {
            Some(value) => (Some(value.clone()), Source::Ui, None),
            None => (setting.default_value(), Source::Unset, None),
        }
    }

    pub fn text(&self, setting: &Setting) -> Option<String> {
        self.value(setting)
            .0
            .and_then(|v| v.as_text().map(str::to_owned))
    }

    pub fn list(&self, setting: &Setting) -> Vec<String> {
        self.value(setting)
            .0
            .and_then(|v| v.as_list().map(<[String]>::to_vec))
            .unwrap_or_default()
    }

    /// A text setting that holds a duration (`720`, `30d`: `contract::settings::parse_duration`).
    pub fn duration(&self, setting: &Setting) -> Option<Duration> {
        self.text(setting).and_then(|text| parse_duration(&text))
    }

    /// The claim that lists groups (it has a default, so it is always known).
    pub fn groups_claim(&self) -> String {
        self.text(&GROUPS_CLAIM)
            .unwrap_or_else(|| sso_web::oidc::identity::DEFAULT_GROUPS_CLAIM.to_owned())
    }

    /// The issuer and client ID sessions are made under, once both are known.
    pub fn client(&self) -> Option<(&Issuer, &str)> {
        Some((self.issuer.as_ref()?, self.sso.as_ref()?.client_id.as_str()))
    }

    /// The body of `GET /api/v1/admin/sso`: every setting of the table, a secret only as
    /// whether it is set.
    pub fn document(&self) -> SettingsDocument {
        let settings = SETTINGS
            .iter()
            .map(|setting| {
                let (value, source, env_var) = self.value(setting);
                let env_var = env_var.map(str::to_owned);
                let state = if setting.is_secret() {
                    SettingState::Secret(SecretState {
                        set: value.is_some(),
                        source,
                        env_var,
                    })
                } else {
                    SettingState::Field(FieldState {
                        value,
                        source,
                        env_var,
                    })
                };
                (setting.name.to_owned(), state)
            })
            .collect();
        SettingsDocument {
            version: self.version(),
            settings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> EnvSettings {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EnvSettings::from_lookup(&|name| vars.get(name).cloned()).expect("valid")
    }

    #[test]
    fn document_sources_and_defaults() {
        let env = env(&[
            ("OIDC_ISSUER", "https://idp.example.com"),
            ("OIDC_SECRET", "env-secret"),
            ("OIDC_SCOPES", "groups"),
        ]);
        let snapshot = Snapshot {
            version: 3,
            settings: [
                ("issuer", Value::Text("https://stored.example.com".into())),
                ("client_id", Value::Text("stored-client".into())),
                ("client_secret", Value::Secret(Secret::new("stored-secret"))),
            ]
            .into(),
        };
        let current = Settings::new(&env, snapshot);
        let doc = serde_json::to_value(current.document()).expect("json");
        assert_eq!(doc["version"], 3);
        let expected = serde_json::json!({
            "issuer": {"value": "https://idp.example.com", "source": "env", "env_var": "OIDC_ISSUER"},
            "client_id": {"value": "stored-client", "source": "ui", "env_var": null},
            "auth_method": {"value": "pkce", "source": "unset", "env_var": null},
            "groups_claim": {"value": "groups", "source": "unset", "env_var": null},
            "scopes": {"value": ["groups"], "source": "env", "env_var": "OIDC_SCOPES"},
            "client_secret": {"set": true, "source": "env", "env_var": "OIDC_SECRET"}
        });
        for (name, state) in expected.as_object().expect("object") {
            assert_eq!(&doc["settings"][name], state, "{name}");
        }
        // Every setting of the table, and only those.
        assert_eq!(
            doc["settings"].as_object().map(|s| s.len()),
            Some(SETTINGS.len())
        );
        for secret in ["env-secret", "stored-secret"] {
            assert!(!doc.to_string().contains(secret), "{doc}");
        }
        assert_eq!(
            current.client_secret.as_ref().map(Secret::expose),
            Some("env-secret"),
            "the variable's secret wins over the saved one"
        );
        let sso = current.sso.expect("configured");
        assert_eq!(sso.issuer, "https://idp.example.com");
        assert_eq!(sso.client_id, "stored-client");
        assert!(sso.token_relay);
    }

    #[test]
    fn a_stored_value_the_rules_refuse_counts_as_unset() {
        let snapshot = Snapshot {
            version: 1,
            settings: [
                ("issuer", Value::Text("http://10.0.0.1".into())),
                ("client_id", Value::Text("app".into())),
            ]
            .into(),
        };
        let current = Settings::new(&env(&[]), snapshot);
        assert_eq!(current.issuer, None);
        assert_eq!(current.sso, None);
    }
}
