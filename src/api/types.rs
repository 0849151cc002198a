//! What the admin page makes of the admin API (`contract::settings` and `contract::admin`
//! have the shapes): the PUT body for what was typed, and the error to react to. Plain data,
//! so host tests cover them.

use crate::contract::error::{code, ErrorBody};
use crate::contract::settings::{
    Kind, Setting, SettingsDocument, SettingsUpdate, Source, Value, SETTINGS,
};
use std::collections::BTreeMap;

/// What the admin typed into the form, by setting name, as the inputs hold it.
pub type Typed = BTreeMap<&'static str, String>;

/// The form's text for each shown setting of `doc` (secrets excepted: they are write-only).
pub fn typed_from(doc: &SettingsDocument) -> Typed {
    form_settings()
        .map(|setting| {
            let text = doc
                .get(setting)
                .and_then(|state| state.value())
                .map(Value::to_form_text)
                .unwrap_or_default();
            (setting.name, text)
        })
        .collect()
}

/// The settings the form has an input for, in the table's order (the secret has its own).
pub fn form_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS
        .iter()
        .copied()
        .filter(|s| s.shown && !s.is_secret())
}

/// The PUT body: only the settings whose typed value differs from the document's and that
/// no environment variable locks, so untouched settings keep their source and the audit
/// log names only what the admin changed. A cleared input unsets its setting (the default
/// then applies); a value that does not pass the setting's rule is sent as typed, for the
/// server to say what is wrong with it next to the input.
pub fn changes(doc: &SettingsDocument, typed: &Typed) -> SettingsUpdate {
    let mut update = SettingsUpdate::new();
    for setting in form_settings() {
        let Some(state) = doc.get(setting) else {
            continue;
        };
        if state.source() == Source::Env {
            continue;
        }
        let text = typed.get(setting.name).map(String::as_str).unwrap_or("");
        if text.trim().is_empty() {
            if state.source() == Source::Ui {
                update.insert(setting.name.to_owned(), None);
            }
            continue;
        }
        let current = state.value().cloned().or_else(|| setting.default_value());
        match setting.parse_text(text) {
            Ok(value) if Some(&value) == current.as_ref() => {}
            Ok(value) => {
                update.insert(setting.name.to_owned(), Some(value));
            }
            Err(_) => {
                update.insert(setting.name.to_owned(), Some(as_typed(setting, text)));
            }
        }
    }
    update
}

/// `text` in the setting's shape, unchecked.
fn as_typed(setting: &Setting, text: &str) -> Value {
    match setting.kind {
        Kind::List { .. } => Value::List(
            text.split(|c: char| c.is_whitespace() || c == ',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        _ => Value::Text(text.trim().to_owned()),
    }
}

/// What went wrong talking to the admin API, as the page needs to react to it.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 401: no usable credential (no session, an ended one, a wrong setup token).
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
        let body = ErrorBody::parse_or_status(status, body);
        match (status, body.error.as_str()) {
            (401, _) => ApiError::Unauthenticated(body.message),
            (403, code::NOT_ADMIN) | (403, "http_403") => ApiError::NotAdmin(body.message),
            (412, _) => ApiError::Conflict {
                current_version: body.current_version,
            },
            (400 | 422, _) if !body.fields.is_empty() => ApiError::Invalid {
                message: body.message,
                fields: body.fields,
            },
            _ => ApiError::Failed(format!("{} ({})", body.message, body.error)),
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
    use crate::contract::settings::{FieldState, SecretState, SettingState};

    fn field(value: Option<Value>, source: Source, env_var: Option<&str>) -> SettingState {
        SettingState::Field(FieldState {
            value,
            source,
            env_var: env_var.map(str::to_owned),
        })
    }

    fn text(value: &str) -> Option<Value> {
        Some(Value::Text(value.into()))
    }

    fn fresh() -> SettingsDocument {
        let settings = [
            ("issuer", field(None, Source::Unset, None)),
            (
                "client_id",
                field(text("env-client"), Source::Env, Some("OIDC_CLIENT_ID")),
            ),
            ("auth_method", field(text("pkce"), Source::Unset, None)),
            ("groups_claim", field(text("roles"), Source::Ui, None)),
            (
                "scopes",
                field(Some(Value::List(vec![])), Source::Unset, None),
            ),
            (
                "client_secret",
                SettingState::Secret(SecretState {
                    set: false,
                    source: Source::Unset,
                    env_var: None,
                }),
            ),
        ];
        SettingsDocument {
            version: 3,
            settings: settings
                .into_iter()
                .map(|(name, state)| (name.to_owned(), state))
                .collect(),
        }
    }

    #[test]
    fn the_form_starts_from_the_document() {
        let typed = typed_from(&fresh());
        assert_eq!(typed["issuer"], "");
        assert_eq!(typed["client_id"], "env-client");
        assert_eq!(typed["groups_claim"], "roles");
        assert!(!typed.contains_key("client_secret"));
    }

    #[test]
    fn changes_leave_out_untouched_defaults_and_env_fields() {
        let doc = fresh();
        let mut typed = typed_from(&doc);
        assert_eq!(changes(&doc, &typed), SettingsUpdate::new());
        typed.insert("issuer", " https://idp ".into());
        typed.insert("client_id", "typed-over-env".into());
        assert_eq!(
            changes(&doc, &typed),
            [("issuer".to_owned(), Some(Value::Text("https://idp".into())))].into()
        );
        typed.insert("auth_method", "implicit".into());
        typed.insert("scopes", "openid groups, groups".into());
        typed.insert("groups_claim", "".into());
        let update = changes(&doc, &typed);
        assert_eq!(update["auth_method"], text("implicit"));
        assert_eq!(update["scopes"], Some(Value::List(vec!["groups".into()])));
        assert_eq!(update["groups_claim"], None, "a cleared input unsets it");
        assert!(
            !update.contains_key("client_id"),
            "env-locked fields are never sent"
        );
        // What the rule refuses goes as typed, for the server to explain.
        typed.insert("issuer", "idp.example.com".into());
        assert_eq!(changes(&doc, &typed)["issuer"], text("idp.example.com"));
        assert_eq!(
            serde_json::to_value(changes(&doc, &typed)).expect("json")["groups_claim"],
            serde_json::Value::Null
        );
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
            ApiError::from_response(403, r#"{"error":"not_admin","message":"m"}"#),
            ApiError::NotAdmin(_)
        ));
        assert!(matches!(
            ApiError::from_response(403, "{}"),
            ApiError::NotAdmin(_)
        ));
        assert!(matches!(
            ApiError::from_response(403, r#"{"error":"csrf_origin_mismatch","message":"m"}"#),
            ApiError::Failed(_)
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
