//! Shapes of `/api/v1/admin/*` (docs/api.md). Plain data, so host tests cover them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Env,
    Ui,
    Unset,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field<T> {
    pub value: Option<T>,
    pub source: Source,
    #[serde(default)]
    pub env_var: Option<String>,
}

impl<T> Field<T> {
    /// The environment variable that locks this field, if any.
    pub fn locked_by(&self) -> Option<&str> {
        match self.source {
            Source::Env => self.env_var.as_deref().or(Some("the environment")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretState {
    pub set: bool,
    pub source: Source,
    #[serde(default)]
    pub env_var: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoSettings {
    pub issuer: Field<String>,
    pub client_id: Field<String>,
    pub auth_method: Field<String>,
    pub groups_claim: Field<String>,
    pub scopes: Field<Vec<String>>,
    pub client_secret: SecretState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsDocument {
    pub version: u64,
    pub settings: SsoSettings,
}

/// A PUT body: only the fields present are changed. `client_secret: Some(None)`
/// serialises as `null`, which clears the secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SettingsUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Option<String>>,
}

/// What the admin typed into the form (trimmed), before it is turned into a PUT.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypedSettings {
    pub issuer: String,
    pub client_id: String,
    pub auth_method: String,
    pub groups_claim: String,
    pub scopes: Vec<String>,
}

impl SettingsUpdate {
    /// Only what differs from `base` and is not locked by the environment: untouched
    /// fields stay out of the PUT, so they keep their source and the audit log names
    /// only what the admin changed.
    pub fn changes(base: &SsoSettings, typed: &TypedSettings) -> Self {
        fn changed<T: PartialEq + Clone>(field: &Field<T>, typed: &T, default: T) -> Option<T> {
            let current = field.value.clone().unwrap_or(default);
            (field.source != Source::Env && current != *typed).then(|| typed.clone())
        }
        SettingsUpdate {
            issuer: changed(&base.issuer, &typed.issuer, String::new()),
            client_id: changed(&base.client_id, &typed.client_id, String::new()),
            auth_method: changed(&base.auth_method, &typed.auth_method, "pkce".into()),
            groups_claim: changed(&base.groups_claim, &typed.groups_claim, "groups".into()),
            scopes: changed(&base.scopes, &typed.scopes, Vec::new()),
            client_secret: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: u64,
    pub at: String,
    /// `settings_changed`, `sign_in`, `sign_out`, `session_revoked`, …
    #[serde(default = "settings_changed")]
    pub event: String,
    pub actor: String,
    pub actor_kind: String,
    /// `<iss> <sub>` of an SSO actor.
    #[serde(default)]
    pub actor_id: Option<String>,
    /// Whose session, or how many sessions.
    #[serde(default)]
    pub target: Option<String>,
    pub fields: Vec<String>,
    pub version: u64,
}

fn settings_changed() -> String {
    "settings_changed".into()
}

impl AuditEntry {
    /// What happened, in words.
    pub fn summary(&self) -> String {
        let target = self.target.clone().unwrap_or_default();
        match self.event.as_str() {
            "settings_changed" => format!("Changed {}", self.fields.join(", ")),
            "sign_in" => "Signed in".into(),
            "sign_out" => "Signed out".into(),
            "session_revoked" => format!("Ended the session of {target}"),
            "other_sessions_revoked" => format!("Signed out everyone else ({target})"),
            "sessions_ended_by_settings" => {
                format!("Issuer or client ID changed: ended {target}")
            }
            other => other.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    #[serde(default)]
    pub next_before: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhoAmI {
    pub via: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The server's error body: `{"error", "message", "fields"?, "current_version"?}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub current_version: Option<u64>,
}

/// What went wrong talking to the admin API, as the page needs to react to it.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 401: no usable credential (expired ID token, wrong setup token).
    Unauthenticated(String),
    /// 403: signed in, but not in an admin group.
    NotAdmin(String),
    /// 412: someone saved first.
    Conflict { current_version: Option<u64> },
    /// 400/422: per-field problems.
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// Anything else: network, 5xx, unexpected body.
    Failed(String),
}

impl ApiError {
    pub fn from_response(status: u16, body: &str) -> Self {
        let parsed: ApiErrorBody = serde_json::from_str(body).unwrap_or_else(|_| ApiErrorBody {
            error: format!("http_{status}"),
            message: format!("The server answered HTTP {status}."),
            ..Default::default()
        });
        match status {
            401 => ApiError::Unauthenticated(parsed.message),
            403 => ApiError::NotAdmin(parsed.message),
            412 => ApiError::Conflict {
                current_version: parsed.current_version,
            },
            400 | 422 if !parsed.fields.is_empty() => ApiError::Invalid {
                message: parsed.message,
                fields: parsed.fields,
            },
            _ => ApiError::Failed(format!("{} ({})", parsed.message, parsed.error)),
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthenticated(m) | ApiError::NotAdmin(m) | ApiError::Failed(m) => m.clone(),
            ApiError::Conflict { .. } => {
                "Someone else saved the settings after you loaded them.".into()
            }
            ApiError::Invalid { message, .. } => message.clone(),
        }
    }
}

/// The ETag for a version, as the server sends it.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_settings_document() {
        let doc: SettingsDocument = serde_json::from_str(
            r#"{"version":7,"settings":{
              "issuer":{"value":"https://idp","source":"env","env_var":"OIDC_ISSUER"},
              "client_id":{"value":null,"source":"unset","env_var":null},
              "auth_method":{"value":"pkce","source":"unset"},
              "groups_claim":{"value":"groups","source":"ui","env_var":null},
              "scopes":{"value":["groups"],"source":"ui","env_var":null},
              "client_secret":{"set":true,"source":"ui","env_var":null}}}"#,
        )
        .unwrap();
        assert_eq!(doc.settings.issuer.locked_by(), Some("OIDC_ISSUER"));
        assert_eq!(doc.settings.client_id.locked_by(), None);
        assert_eq!(
            doc.settings.scopes.value.as_deref(),
            Some(&["groups".to_string()][..])
        );
        assert!(doc.settings.client_secret.set);
    }

    #[test]
    fn update_sends_only_present_fields_and_null_clears_the_secret() {
        let update = SettingsUpdate {
            issuer: Some("https://idp".into()),
            client_secret: Some(None),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&update).unwrap(),
            r#"{"issuer":"https://idp","client_secret":null}"#
        );
        assert_eq!(
            serde_json::to_string(&SettingsUpdate::default()).unwrap(),
            "{}"
        );
    }

    fn fresh() -> SsoSettings {
        let unset = |value: Option<&str>| Field {
            value: value.map(str::to_string),
            source: Source::Unset,
            env_var: None,
        };
        SsoSettings {
            issuer: unset(None),
            client_id: Field {
                value: Some("env-client".into()),
                source: Source::Env,
                env_var: Some("OIDC_CLIENT_ID".into()),
            },
            auth_method: unset(Some("pkce")),
            groups_claim: unset(Some("groups")),
            scopes: Field {
                value: Some(vec![]),
                source: Source::Unset,
                env_var: None,
            },
            client_secret: SecretState {
                set: false,
                source: Source::Unset,
                env_var: None,
            },
        }
    }

    #[test]
    fn changes_leave_out_untouched_defaults_and_env_fields() {
        let typed = TypedSettings {
            issuer: "https://idp".into(),
            client_id: "typed-over-env".into(),
            auth_method: "pkce".into(),
            groups_claim: "groups".into(),
            scopes: vec![],
        };
        let update = SettingsUpdate::changes(&fresh(), &typed);
        assert_eq!(
            update,
            SettingsUpdate {
                issuer: Some("https://idp".into()),
                ..Default::default()
            }
        );
        let typed = TypedSettings {
            auth_method: "implicit".into(),
            groups_claim: "roles".into(),
            scopes: vec!["groups".into()],
            ..typed
        };
        let update = SettingsUpdate::changes(&fresh(), &typed);
        assert_eq!(update.auth_method.as_deref(), Some("implicit"));
        assert_eq!(update.groups_claim.as_deref(), Some("roles"));
        assert_eq!(update.scopes, Some(vec!["groups".to_string()]));
        assert_eq!(update.client_id, None, "env-locked fields are never sent");
    }

    #[test]
    fn errors_map_by_status() {
        let invalid = ApiError::from_response(
            400,
            r#"{"error":"validation_failed","message":"bad","fields":{"issuer":"must be https"}}"#,
        );
        match invalid {
            ApiError::Invalid { fields, .. } => assert_eq!(fields["issuer"], "must be https"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ApiError::from_response(
                412,
                r#"{"error":"precondition_failed","message":"m","current_version":9}"#
            ),
            ApiError::Conflict {
                current_version: Some(9)
            }
        );
        assert!(matches!(
            ApiError::from_response(403, "{}"),
            ApiError::NotAdmin(_)
        ));
        assert!(matches!(
            ApiError::from_response(401, "<html>"),
            ApiError::Unauthenticated(_)
        ));
        assert!(matches!(
            ApiError::from_response(500, "oops"),
            ApiError::Failed(_)
        ));
        assert_eq!(etag(7), "\"7\"");
    }
}
