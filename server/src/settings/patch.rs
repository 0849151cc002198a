//! A `PUT /api/v1/admin/sso` body: parsed and checked by the settings table, held against the
//! variables that lock a setting, and applied to the stored settings (which names what
//! changed, for the audit log).

use std::collections::BTreeMap;

use sso_web::contract::settings::{Value, CLIENT_ID, CLIENT_SECRET, ISSUER, SETTINGS};

use super::{EnvSettings, StoredSettings};
use crate::body::json_object;
use crate::error::AdminError;

/// A change to the stored settings: a setting that is absent is left alone, `None` unsets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch(pub BTreeMap<&'static str, Option<Value>>);

/// Parses and checks a PUT body. Every bad member is reported at once.
pub fn parse_patch(body: &[u8]) -> Result<SettingsPatch, AdminError> {
    let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
    let (object, mut errors) =
        json_object(body, &names, "the body must be a JSON object of settings")
            .map_err(AdminError::InvalidJson)?;
    let mut patch = BTreeMap::new();
    for setting in SETTINGS {
        let Some(member) = object.get(setting.name) else {
            continue;
        };
        match setting.parse_json(member) {
            Ok(value) => {
                patch.insert(setting.name, value);
            }
            Err(problem) => {
                errors.insert(setting.name.to_owned(), problem.rule);
            }
        }
    }
    if errors.is_empty() {
        Ok(SettingsPatch(patch))
    } else {
        Err(AdminError::validation(errors))
    }
}

/// Drops settings that repeat the value a variable sets (the SPA may send the whole form
/// back), and refuses any that would change one.
///
/// The secret is refused whatever its value: answering "same" or "different" would let a
/// caller test guesses of the variable's value.
pub fn enforce_env_locks(env: &EnvSettings, patch: &mut SettingsPatch) -> Result<(), AdminError> {
    let mut locked: Vec<(&'static str, &'static str)> = Vec::new();
    for setting in SETTINGS {
        let (Some((var, value)), Some(sent)) = (env.get(setting), patch.0.get(setting.name)) else {
            continue;
        };
        if !setting.is_secret() && sent.as_ref() == Some(value) {
            patch.0.remove(setting.name);
        } else {
            locked.push((setting.name, var));
        }
    }
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

impl SettingsPatch {
    /// The patched settings and the names of the settings that really changed, in the
    /// table's order.
    pub fn apply(&self, current: &StoredSettings) -> (StoredSettings, Vec<&'static str>) {
        let mut next = current.clone();
        let mut changed = Vec::new();
        for setting in SETTINGS {
            let Some(new) = self.0.get(setting.name) else {
                continue;
            };
            if new.as_ref() == current.get(setting.name) {
                continue;
            }
            changed.push(setting.name);
            match new {
                Some(value) => next.insert(setting.name, value.clone()),
                None => next.remove(setting.name),
            };
        }
        // The secret belongs to one IdP: moving to another issuer or client ID without a new
        // secret erases it, so it is never sent to the new one.
        let moved = changed.contains(&ISSUER.name) || changed.contains(&CLIENT_ID.name);
        if moved
            && !self.0.contains_key(CLIENT_SECRET.name)
            && next.remove(CLIENT_SECRET.name).is_some()
        {
            changed.push(CLIENT_SECRET.name);
            changed.sort_by_key(|name| SETTINGS.iter().position(|s| s.name == *name));
        }
        (next, changed)
    }

    /// Whether applying this to `current` erases the stored secret by the rule above.
    pub fn erases_secret(&self, current: &StoredSettings) -> bool {
        !self.0.contains_key(CLIENT_SECRET.name)
            && current.contains_key(CLIENT_SECRET.name)
            && !self.apply(current).0.contains_key(CLIENT_SECRET.name)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use sso_web::contract::settings::Secret;

    fn errors(body: &str) -> BTreeMap<String, String> {
        match parse_patch(body.as_bytes()) {
            Err(AdminError::ValidationFailed { fields, .. }) => fields,
            other => panic!("expected validation_failed for {body}, got {other:?}"),
        }
    }

    fn text(value: &str) -> Option<Value> {
        Some(Value::Text(value.into()))
    }

    #[test]
    fn omitted_null_and_values() {
        let patch = parse_patch(
            br#"{"issuer":" https://idp.example.com/ ","client_secret":null,"scopes":["openid","groups","groups"],"auth_method":"implicit"}"#,
        )
        .expect("valid");
        assert_eq!(
            patch,
            SettingsPatch(
                [
                    ("issuer", text("https://idp.example.com/")),
                    ("client_secret", None),
                    ("scopes", Some(Value::List(vec!["groups".into()]))),
                    ("auth_method", text("implicit")),
                ]
                .into()
            )
        );
        assert_eq!(parse_patch(b"{}").expect("empty"), SettingsPatch::default());
    }

    #[test]
    fn every_bad_member_is_reported() {
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
        assert_eq!(fields["auth_method"], "must be \"pkce\" or \"implicit\"");
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
        let vars: BTreeMap<&str, &str> = [
            ("OIDC_ISSUER", "https://idp.example.com"),
            ("OIDC_SECRET", "env-secret"),
            ("OIDC_SCOPES", "groups"),
        ]
        .into();
        EnvSettings::from_lookup(&|name| vars.get(name).map(|v| (*v).to_owned())).expect("valid")
    }

    #[test]
    fn env_locks() {
        let mut patch = parse_patch(
            br#"{"issuer":"https://idp.example.com","scopes":["groups"],"client_id":"x"}"#,
        )
        .expect("valid");
        enforce_env_locks(&env(), &mut patch).expect("same values are ignored");
        assert_eq!(patch, SettingsPatch([("client_id", text("x"))].into()));

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
    fn apply_names_what_changed_and_a_move_erases_the_secret() {
        let current: StoredSettings = [
            ("issuer", Value::Text("https://a.example.com".into())),
            ("client_secret", Value::Secret(Secret::new("s"))),
        ]
        .into();
        let same = SettingsPatch([("issuer", text("https://a.example.com"))].into());
        assert_eq!(same.apply(&current), (current.clone(), vec![]));
        let moved = SettingsPatch(
            [
                ("issuer", text("https://b.example.com")),
                ("groups_claim", text("roles")),
            ]
            .into(),
        );
        let (next, changed) = moved.apply(&current);
        assert_eq!(changed, ["issuer", "client_secret", "groups_claim"]);
        assert!(!next.contains_key("client_secret"));
        assert!(moved.erases_secret(&current));
        let with_new_secret = SettingsPatch(
            [
                ("issuer", text("https://b.example.com")),
                ("client_secret", Some(Value::Secret(Secret::new("t")))),
            ]
            .into(),
        );
        assert!(!with_new_secret.erases_secret(&current));
        assert_eq!(
            with_new_secret.apply(&current).0["client_secret"],
            Value::Secret(Secret::new("t"))
        );
    }
}
