//! The effective SSO settings (each environment variable wins over the value saved in the UI), the admin API's settings document, and PUT bodies: parsed, validated, and checked against the variables that lock a field.

use serde::Serialize;
use serde_json::Value;

use crate::body::json_object;
use crate::config::{
    is_valid_client_id, is_valid_scope, normalize_scopes, AuthMethod, ConfigError, EnvSettings,
    Issuer, Secret, SsoConfig, DEFAULT_GROUPS_CLAIM,
};
use crate::error::AdminError;
use crate::store::{SettingsPatch, Snapshot};

/// The fields a PUT body may carry, in the order errors are reported.
pub const FIELDS: [&str; 6] = [
    "issuer",
    "client_id",
    "auth_method",
    "client_secret",
    "groups_claim",
    "scopes",
];

/// The stored snapshot with what follows from it and the environment.
#[derive(Debug, Clone)]
pub struct CurrentSettings {
    pub snapshot: Snapshot,
    /// Effective issuer, also when the client ID is still missing (the CSP
    /// already needs it).
    pub issuer: Option<Issuer>,
    pub client_id: Option<String>,
    pub groups_claim: String,
    /// What `/api/v1/sso/config` serves; `None` until issuer and client ID
    /// are both known.
    pub sso: Option<SsoConfig>,
    /// OIDC_SECRET / OIDC_CLIENT_SECRET, else the saved one: what the token
    /// relay authenticates with. Its `Debug` is redacted.
    pub client_secret: Option<Secret>,
}

impl CurrentSettings {
    pub fn new(env: &EnvSettings, snapshot: Snapshot) -> Self {
        let stored = &snapshot.settings;
        // Stored values were validated on the way in; one that no longer
        // parses (a hand-edited file) counts as unset rather than serving a
        // config the SPA would refuse.
        let issuer = env
            .issuer
            .clone()
            .or_else(|| stored.issuer.as_deref().and_then(|i| Issuer::parse(i).ok()));
        let client_id = env.client_id.clone().or_else(|| stored.client_id.clone());
        let auth_method = env
            .auth_method
            .or(stored.auth_method)
            .unwrap_or(AuthMethod::Pkce);
        let groups_claim = env
            .groups_claim
            .clone()
            .or_else(|| stored.groups_claim.clone())
            .unwrap_or_else(|| DEFAULT_GROUPS_CLAIM.to_owned());
        let scopes = env
            .scopes
            .clone()
            .or_else(|| stored.scopes.clone())
            .unwrap_or_default();
        let sso = match (&issuer, &client_id) {
            (Some(issuer), Some(client_id)) => Some(SsoConfig {
                issuer: issuer.clone(),
                client_id: client_id.clone(),
                auth_method,
                scopes,
                groups_claim: groups_claim.clone(),
            }),
            _ => None,
        };
        let client_secret = env
            .client_secret
            .as_ref()
            .map(|(_, secret)| secret.clone())
            .or_else(|| stored.client_secret.clone());
        Self {
            snapshot,
            issuer,
            client_id,
            groups_claim,
            sso,
            client_secret,
        }
    }

    pub fn version(&self) -> u64 {
        self.snapshot.version
    }

    /// The body of `GET /api/v1/admin/sso`. The secret's value is never in it.
    pub fn document(&self, env: &EnvSettings) -> SettingsDocument {
        let stored = &self.snapshot.settings;
        let secret = match (&env.client_secret, &stored.client_secret) {
            (Some((var, _)), _) => SecretField {
                set: true,
                source: Source::Env,
                env_var: Some(var),
            },
            (None, Some(_)) => SecretField {
                set: true,
                source: Source::Ui,
                env_var: None,
            },
            (None, None) => SecretField {
                set: false,
                source: Source::Unset,
                env_var: None,
            },
        };
        SettingsDocument {
            version: self.version(),
            settings: SettingsFields {
                issuer: field(
                    "OIDC_ISSUER",
                    env.issuer.as_ref().map(|i| Some(i.as_str().to_owned())),
                    stored.issuer.clone().map(Some),
                    None,
                ),
                client_id: field(
                    "OIDC_CLIENT_ID",
                    env.client_id.clone().map(Some),
                    stored.client_id.clone().map(Some),
                    None,
                ),
                auth_method: field(
                    "OIDC_AUTH_METHOD",
                    env.auth_method,
                    stored.auth_method,
                    AuthMethod::Pkce,
                ),
                groups_claim: field(
                    "OIDC_GROUPS_CLAIM",
                    env.groups_claim.clone(),
                    stored.groups_claim.clone(),
                    DEFAULT_GROUPS_CLAIM.to_owned(),
                ),
                scopes: field(
                    "OIDC_SCOPES",
                    env.scopes.clone(),
                    stored.scopes.clone(),
                    Vec::new(),
                ),
                client_secret: secret,
            },
        }
    }
}

fn field<T>(var: &'static str, env: Option<T>, stored: Option<T>, default: T) -> Field<T> {
    match (env, stored) {
        (Some(value), _) => Field {
            value,
            source: Source::Env,
            env_var: Some(var),
        },
        (None, Some(value)) => Field {
            value,
            source: Source::Ui,
            env_var: None,
        },
        (None, None) => Field {
            value: default,
            source: Source::Unset,
            env_var: None,
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Env,
    Ui,
    Unset,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field<T> {
    pub value: T,
    pub source: Source,
    /// The variable that sets it, when `source` is `env`.
    pub env_var: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretField {
    pub set: bool,
    pub source: Source,
    pub env_var: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsFields {
    pub issuer: Field<Option<String>>,
    pub client_id: Field<Option<String>>,
    pub auth_method: Field<AuthMethod>,
    pub groups_claim: Field<String>,
    pub scopes: Field<Vec<String>>,
    pub client_secret: SecretField,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsDocument {
    pub version: u64,
    pub settings: SettingsFields,
}

/// Parses and validates a PUT body. Every bad field is reported at once.
pub fn parse_patch(body: &[u8]) -> Result<SettingsPatch, AdminError> {
    let (object, mut errors) =
        json_object(body, &FIELDS, "the body must be a JSON object of settings")
            .map_err(AdminError::InvalidJson)?;
    let mut patch = SettingsPatch::default();
    let take = |name: &str| -> Option<Value> { object.get(name).cloned() };
    let mut check = |name: &str, result: Result<(), String>| {
        if let Err(message) = result {
            errors.insert(name.to_owned(), message);
        }
    };

    if let Some(value) = take("issuer") {
        check(
            "issuer",
            nullable_string(value).and_then(|v| {
                patch.issuer = Some(v.map(|s| validate_issuer(&s)).transpose()?);
                Ok(())
            }),
        );
    }
    if let Some(value) = take("client_id") {
        check(
            "client_id",
            nullable_string(value).and_then(|v| {
                patch.client_id = Some(v.map(|s| validate_client_id(&s)).transpose()?);
                Ok(())
            }),
        );
    }
    if let Some(value) = take("auth_method") {
        check(
            "auth_method",
            nullable_string(value).and_then(|v| {
                patch.auth_method = Some(
                    v.map(|s| {
                        AuthMethod::from_name(s.trim())
                            .ok_or_else(|| "must be \"pkce\" or \"implicit\"".to_owned())
                    })
                    .transpose()?,
                );
                Ok(())
            }),
        );
    }
    if let Some(value) = take("client_secret") {
        check(
            "client_secret",
            nullable_string(value).and_then(|v| {
                patch.client_secret = Some(
                    v.map(|s| {
                        // Not trimmed: a secret is used exactly as given.
                        if s.trim().is_empty() {
                            Err("must not be empty (send null to remove the secret)".to_owned())
                        } else {
                            Ok(Secret::new(s))
                        }
                    })
                    .transpose()?,
                );
                Ok(())
            }),
        );
    }
    if let Some(value) = take("groups_claim") {
        check(
            "groups_claim",
            nullable_string(value).and_then(|v| {
                patch.groups_claim = Some(
                    v.map(|s| {
                        let s = s.trim();
                        if s.is_empty() {
                            Err("must not be empty (send null for the default \"groups\")"
                                .to_owned())
                        } else {
                            Ok(s.to_owned())
                        }
                    })
                    .transpose()?,
                );
                Ok(())
            }),
        );
    }
    if let Some(value) = take("scopes") {
        check(
            "scopes",
            validate_scopes(value).map(|v| {
                patch.scopes = Some(v);
            }),
        );
    }

    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(AdminError::validation(errors))
    }
}

fn nullable_string(value: Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err("must be a string or null".to_owned()),
    }
}

fn validate_issuer(value: &str) -> Result<String, String> {
    match Issuer::parse(value) {
        Ok(issuer) => Ok(issuer.as_str().to_owned()),
        Err(ConfigError::IssuerHasQueryOrFragment { .. }) => {
            Err("must not contain a query (?) or fragment (#)".to_owned())
        }
        Err(ConfigError::IssuerHasCredentials) => {
            Err("must not contain a user name or password".to_owned())
        }
        Err(ConfigError::IssuerBadHost { .. }) => Err(
            "must have a host that is a DNS name (letters, digits, - and dots; an international name in its xn-- form), an IPv4 address or a bracketed IPv6 address, and a port up to 65535"
                .to_owned(),
        ),
        Err(_) => Err(
            "must be an absolute https URL (http is allowed only for localhost, 127.0.0.1 and [::1])"
                .to_owned(),
        ),
    }
}

fn validate_client_id(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("must not be empty".to_owned())
    } else if !is_valid_client_id(value) {
        Err("must be printable ASCII".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

fn validate_scopes(value: Value) -> Result<Option<Vec<String>>, String> {
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        _ => return Err("must be an array of strings or null".to_owned()),
    };
    let mut scopes = Vec::with_capacity(items.len());
    for item in &items {
        let Value::String(scope) = item else {
            return Err("must be an array of strings or null".to_owned());
        };
        if scope.is_empty() {
            return Err("a scope must not be empty".to_owned());
        }
        if scope.chars().any(char::is_whitespace) {
            return Err(format!(
                "{scope:?} contains whitespace; give each scope as its own item"
            ));
        }
        if !is_valid_scope(scope) {
            return Err(format!(
                "{scope:?} is not a valid scope (printable ASCII without quotes or backslashes)"
            ));
        }
        scopes.push(scope.as_str());
    }
    Ok(Some(normalize_scopes(scopes)))
}

/// Drops fields that repeat the value a variable sets (the SPA may send the
/// whole form back), and refuses any that would change one.
///
/// The secret is refused whatever its value: answering "same" or
/// "different" would let a caller test guesses of the variable's value.
pub fn enforce_env_locks(env: &EnvSettings, patch: &mut SettingsPatch) -> Result<(), AdminError> {
    let mut locked: Vec<(&'static str, &'static str)> = Vec::new();
    fn lock<T: PartialEq>(
        name: &'static str,
        var: &'static str,
        env: Option<T>,
        patch: &mut Option<Option<T>>,
        locked: &mut Vec<(&'static str, &'static str)>,
    ) {
        let (Some(env), Some(sent)) = (env, patch.as_ref()) else {
            return;
        };
        if sent.as_ref() == Some(&env) {
            *patch = None;
        } else {
            locked.push((name, var));
        }
    }
    lock(
        "issuer",
        "OIDC_ISSUER",
        env.issuer.as_ref().map(|i| i.as_str().to_owned()),
        &mut patch.issuer,
        &mut locked,
    );
    lock(
        "client_id",
        "OIDC_CLIENT_ID",
        env.client_id.clone(),
        &mut patch.client_id,
        &mut locked,
    );
    lock(
        "auth_method",
        "OIDC_AUTH_METHOD",
        env.auth_method,
        &mut patch.auth_method,
        &mut locked,
    );
    if let (Some((var, _)), Some(_)) = (&env.client_secret, &patch.client_secret) {
        locked.push(("client_secret", var));
    }
    lock(
        "groups_claim",
        "OIDC_GROUPS_CLAIM",
        env.groups_claim.clone(),
        &mut patch.groups_claim,
        &mut locked,
    );
    lock(
        "scopes",
        "OIDC_SCOPES",
        env.scopes.clone(),
        &mut patch.scopes,
        &mut locked,
    );
    if locked.is_empty() {
        return Ok(());
    }
    let message = if let [(name, var)] = locked.as_slice() {
        format!("{name} is set by {var}; change that environment variable instead")
    } else {
        let list: Vec<String> = locked
            .iter()
            .map(|(name, var)| format!("{name} is set by {var}"))
            .collect();
        format!(
            "{}; change those environment variables instead",
            list.join(", ")
        )
    };
    let fields = locked
        .into_iter()
        .map(|(name, var)| (name.to_owned(), format!("set by {var}")))
        .collect();
    Err(AdminError::EnvLocked { message, fields })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::store::StoredSettings;

    fn errors(body: &str) -> BTreeMap<String, String> {
        match parse_patch(body.as_bytes()) {
            Err(AdminError::ValidationFailed { fields, .. }) => fields,
            other => panic!("expected validation_failed for {body}, got {other:?}"),
        }
    }

    #[test]
    fn omitted_null_and_values() {
        let patch = parse_patch(
            br#"{"issuer":" https://idp.example.com/ ","client_secret":null,"scopes":["openid","groups","groups"],"auth_method":"implicit"}"#,
        )
        .expect("valid");
        assert_eq!(
            patch,
            SettingsPatch {
                issuer: Some(Some("https://idp.example.com/".into())),
                client_secret: Some(None),
                scopes: Some(Some(vec!["groups".into()])),
                auth_method: Some(Some(AuthMethod::Implicit)),
                ..SettingsPatch::default()
            }
        );
        assert_eq!(parse_patch(b"{}").expect("empty"), SettingsPatch::default());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let fields = errors(
            r#"{"issuer":"http://idp.example.com","client_id":"  ","auth_method":"code",
                "groups_claim":"","scopes":["a b"],"client_secret":"","colour":"red"}"#,
        );
        assert_eq!(
            fields.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "auth_method",
                "client_id",
                "client_secret",
                "colour",
                "groups_claim",
                "issuer",
                "scopes"
            ]
        );
        assert!(fields["issuer"].contains("https"), "{fields:?}");
        assert!(fields["scopes"].contains("whitespace"), "{fields:?}");
    }

    #[test]
    fn issuer_rules() {
        for bad in [
            "idp.example.com",
            "https://idp.example.com/?x=1",
            "https://idp.example.com/#f",
            "https://user:pw@idp.example.com",
            "http://10.0.0.1",
        ] {
            let body = serde_json::json!({ "issuer": bad }).to_string();
            assert!(errors(&body).contains_key("issuer"), "{bad}");
            assert!(!errors(&body)["issuer"].contains("pw"), "{bad}");
        }
        for good in [
            "https://idp.example.com",
            "http://localhost:9400",
            "http://127.0.0.1:9400/realms/x",
            "http://[::1]:9400",
        ] {
            let body = serde_json::json!({ "issuer": good }).to_string();
            assert!(parse_patch(body.as_bytes()).is_ok(), "{good}");
        }
    }

    #[test]
    fn wrong_types() {
        for (body, field) in [
            (r#"{"issuer":1}"#, "issuer"),
            (r#"{"scopes":"groups"}"#, "scopes"),
            (r#"{"scopes":[1]}"#, "scopes"),
            (r#"{"scopes":[""]}"#, "scopes"),
            (r#"{"client_secret":true}"#, "client_secret"),
        ] {
            assert!(errors(body).contains_key(field), "{body}");
        }
    }

    #[test]
    fn not_json_or_not_an_object() {
        for body in ["", "{", "[]", "\"x\"", "null"] {
            assert!(
                matches!(
                    parse_patch(body.as_bytes()),
                    Err(AdminError::InvalidJson(_))
                ),
                "{body:?}"
            );
        }
    }

    fn env() -> EnvSettings {
        EnvSettings {
            issuer: Some(Issuer::parse("https://idp.example.com").expect("valid")),
            client_secret: Some(("OIDC_SECRET", Secret::new("env-secret"))),
            scopes: Some(vec!["groups".into()]),
            ..EnvSettings::default()
        }
    }

    #[test]
    fn env_locks() {
        let mut patch = parse_patch(
            br#"{"issuer":"https://idp.example.com","scopes":["groups"],"client_id":"x"}"#,
        )
        .expect("valid");
        enforce_env_locks(&env(), &mut patch).expect("same values are ignored");
        assert_eq!(
            patch,
            SettingsPatch {
                client_id: Some(Some("x".into())),
                ..SettingsPatch::default()
            }
        );

        let mut patch = parse_patch(br#"{"issuer":"https://other.example.com"}"#).expect("valid");
        match enforce_env_locks(&env(), &mut patch) {
            Err(AdminError::EnvLocked { message, fields }) => {
                assert_eq!(
                    message,
                    "issuer is set by OIDC_ISSUER; change that environment variable instead"
                );
                assert_eq!(fields["issuer"], "set by OIDC_ISSUER");
            }
            other => panic!("{other:?}"),
        }
        for body in [
            r#"{"client_secret":"env-secret"}"#,
            r#"{"client_secret":null}"#,
            r#"{"issuer":null}"#,
        ] {
            let mut patch = parse_patch(body.as_bytes()).expect("valid");
            assert!(
                matches!(
                    enforce_env_locks(&env(), &mut patch),
                    Err(AdminError::EnvLocked { .. })
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn document_sources_and_defaults() {
        let snapshot = Snapshot {
            version: 3,
            settings: StoredSettings {
                issuer: Some("https://stored.example.com".into()),
                client_id: Some("stored-client".into()),
                client_secret: Some(Secret::new("stored-secret")),
                ..StoredSettings::default()
            },
        };
        let current = CurrentSettings::new(&env(), snapshot);
        let doc = serde_json::to_value(current.document(&env())).expect("json");
        assert_eq!(
            doc,
            serde_json::json!({
                "version": 3,
                "settings": {
                    "issuer": {"value": "https://idp.example.com", "source": "env", "env_var": "OIDC_ISSUER"},
                    "client_id": {"value": "stored-client", "source": "ui", "env_var": null},
                    "auth_method": {"value": "pkce", "source": "unset", "env_var": null},
                    "groups_claim": {"value": "groups", "source": "unset", "env_var": null},
                    "scopes": {"value": ["groups"], "source": "env", "env_var": "OIDC_SCOPES"},
                    "client_secret": {"set": true, "source": "env", "env_var": "OIDC_SECRET"}
                }
            })
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
        assert_eq!(sso.issuer.as_str(), "https://idp.example.com");
        assert_eq!(sso.client_id, "stored-client");
    }
}
