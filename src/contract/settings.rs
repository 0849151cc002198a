//! The SSO settings, each declared once in [`SETTINGS`]: its name, the environment variables
//! that set it, its default, its rule, whether it is a secret, and how the admin form shows
//! it. sso-server's env parsing, precedence, PUT patch, audit diff and settings document, the
//! admin form's fields and the README's table are all read from it; the wire shapes of
//! `GET`/`PUT /api/v1/admin/sso` are here too.

use crate::oidc::flow::BASE_SCOPES;
use crate::oidc::url::{check_issuer, UrlProblem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// `GET` (the document, with an `ETag` of its version) and `PUT` (a patch, with `If-Match`).
pub const ADMIN_SETTINGS_PATH: &str = "/api/v1/admin/sso";

/// What is wrong with a value, as a rule that completes "<the setting> …" ("must be …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub rule: String,
    /// The value must not be echoed back (it may hold a password).
    pub hide_value: bool,
}

impl Problem {
    fn new(rule: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            hide_value: false,
        }
    }
}

/// A value that must never be printed: `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A setting's value: text, a list, or a secret (which is never serialized: the document
/// says only whether it is set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    List(Vec<String>),
    #[serde(skip)]
    Secret(Secret),
}

impl Value {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_secret(&self) -> Option<&Secret> {
        match self {
            Value::Secret(secret) => Some(secret),
            _ => None,
        }
    }

    /// How the admin form shows it in a text input: lists joined with spaces.
    pub fn to_form_text(&self) -> String {
        match self {
            Value::Text(text) => text.clone(),
            Value::List(items) => items.join(" "),
            Value::Secret(_) => String::new(),
        }
    }
}

/// One option of a [`Kind::Choice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    /// What the admin form's select shows.
    pub label: &'static str,
}

/// What a setting holds, which decides how it is parsed and shown.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// One line, trimmed, then checked and normalised by `check`.
    Text {
        check: fn(&str) -> Result<String, Problem>,
        placeholder: &'static str,
    },
    /// One of the options, by value (in any case).
    Choice(&'static [Choice]),
    /// Items separated by spaces or commas (a JSON array in the API), each checked by `item`;
    /// `normalize` then drops what it must (duplicates, implied items).
    List {
        item: fn(&str) -> Result<(), Problem>,
        normalize: fn(Vec<String>) -> Vec<String>,
        placeholder: &'static str,
    },
    /// Used exactly as given; never shown, logged or sent to the browser.
    Secret,
}

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// The key in the API, the store and the audit log.
    pub name: &'static str,
    /// The variables that set it (and lock it in the admin form): the first is the documented
    /// one, the others are aliases, which must agree with it when both are set.
    pub env: &'static [&'static str],
    pub label: &'static str,
    /// One or two sentences, for the README and under the admin form's field.
    pub help: &'static str,
    /// Of a text or a choice; a list's is empty, a secret has none.
    pub default: Option<&'static str>,
    pub kind: Kind,
    /// Shown in the admin form, and editable there unless the environment sets it.
    pub shown: bool,
}

pub const ISSUER: Setting = Setting {
    name: "issuer",
    env: &["OIDC_ISSUER"],
    label: "Issuer URL",
    help: "The identity provider's issuer: https, or http for localhost, 127.0.0.1 and [::1] only; no query or fragment. Compared **exactly** with the IdP's `issuer` (a trailing slash matters: Auth0's ends in `/`, Okta's does not).",
    default: None,
    kind: Kind::Text {
        check: issuer,
        placeholder: "https://idp.example.com",
    },
    shown: true,
};

pub const CLIENT_ID: Setting = Setting {
    name: "client_id",
    env: &["OIDC_CLIENT_ID"],
    label: "Client ID",
    help: "The application's client ID at the identity provider.",
    default: None,
    kind: Kind::Text {
        check: client_id,
        placeholder: "0oa1example",
    },
    shown: true,
};

pub const AUTH_METHOD: Setting = Setting {
    name: "auth_method",
    env: &["OIDC_AUTH_METHOD"],
    label: "Auth method",
    help: "`pkce` (authorization code + PKCE) or `implicit` (`response_type=id_token`, form_post).",
    default: Some("pkce"),
    kind: Kind::Choice(&[
        Choice {
            value: "pkce",
            label: "Authorization code + PKCE (recommended)",
        },
        Choice {
            value: "implicit",
            label: "Implicit (form_post)",
        },
    ]),
    shown: true,
};

pub const CLIENT_SECRET: Setting = Setting {
    name: "client_secret",
    env: &["OIDC_SECRET", "OIDC_CLIENT_SECRET"],
    label: "Client secret",
    help: "Only for providers that require a confidential client (Entra \"Web\" platform): the server then redeems codes for the browser (`token_relay`). Never shown again, returned or logged. From the environment it needs `OIDC_ISSUER` too: a secret from the environment is sent only to an issuer from the environment.",
    default: None,
    kind: Kind::Secret,
    shown: true,
};

pub const GROUPS_CLAIM: Setting = Setting {
    name: "groups_claim",
    env: &["OIDC_GROUPS_CLAIM"],
    label: "Groups claim",
    help:
        "The ID token claim that lists the user's groups. `cognito:groups` is found automatically.",
    default: Some("groups"),
    kind: Kind::Text {
        check: claim_name,
        placeholder: "groups",
    },
    shown: true,
};

pub const SCOPES: Setting = Setting {
    name: "scopes",
    env: &["OIDC_SCOPES"],
    label: "Extra scopes",
    help: "Scopes to request besides `openid profile email`, separated by spaces or commas.",
    default: None,
    kind: Kind::List {
        item: scope,
        normalize: extra_scopes,
        placeholder: "groups offline_access",
    },
    shown: true,
};

pub const SESSION_LENGTH: Setting = Setting {
    name: "session_length",
    env: &["SSO_SESSION_LENGTH"],
    label: "Session length",
    help: "How long a session lasts from sign-in (W&B's `SESSION_LENGTH`): hours, or a number with a unit `s`, `m`, `h`, `d` (`90s`, `30m`, `12h`, `30d`), at most 10 years. Use does not extend it, and the ID token's `exp` does not shorten it. A change applies to sign-ins from then on.",
    default: Some("720"),
    kind: Kind::Text {
        check: session_length,
        placeholder: "720",
    },
    shown: true,
};

/// Every setting, in the order of the API, the audit log and the admin form.
pub static SETTINGS: [&Setting; 7] = [
    &ISSUER,
    &CLIENT_ID,
    &AUTH_METHOD,
    &CLIENT_SECRET,
    &GROUPS_CLAIM,
    &SCOPES,
    &SESSION_LENGTH,
];

/// The setting called `name`.
pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().copied().find(|s| s.name == name)
}

impl Setting {
    pub fn is_secret(&self) -> bool {
        matches!(self.kind, Kind::Secret)
    }

    pub fn is_list(&self) -> bool {
        matches!(self.kind, Kind::List { .. })
    }

    /// What it is when neither the environment nor the admin set it.
    pub fn default_value(&self) -> Option<Value> {
        match self.kind {
            Kind::List { .. } => Some(Value::List(Vec::new())),
            Kind::Secret => None,
            Kind::Text { .. } | Kind::Choice(_) => self.default.map(|d| Value::Text(d.into())),
        }
    }

    /// From text: an environment variable, or what the admin typed.
    pub fn parse_text(&self, text: &str) -> Result<Value, Problem> {
        match self.kind {
            Kind::Text { check, .. } => check(text.trim()).map(Value::Text),
            Kind::Choice(options) => {
                let wanted = text.trim().to_ascii_lowercase();
                options
                    .iter()
                    .find(|o| o.value == wanted)
                    .map(|o| Value::Text(o.value.into()))
                    .ok_or_else(|| Problem::new(format!("must be {}", choices(options))))
            }
            Kind::List {
                item, normalize, ..
            } => {
                let items: Vec<String> = text
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                for one in &items {
                    item(one)?;
                }
                Ok(Value::List(normalize(items)))
            }
            // Not trimmed: a secret is used exactly as given.
            Kind::Secret if text.trim().is_empty() => Err(Problem::new(
                "must not be empty (send null to remove the secret)",
            )),
            Kind::Secret => Ok(Value::Secret(Secret::new(text))),
        }
    }

    /// From a PUT body's member: `null` unsets it (`Ok(None)`).
    pub fn parse_json(&self, json: &serde_json::Value) -> Result<Option<Value>, Problem> {
        use serde_json::Value as Json;
        match (json, self.kind) {
            (Json::Null, _) => Ok(None),
            (
                Json::Array(items),
                Kind::List {
                    item, normalize, ..
                },
            ) => {
                let mut list = Vec::with_capacity(items.len());
                for value in items {
                    let Json::String(one) = value else {
                        return Err(Problem::new("must be an array of strings or null"));
                    };
                    if one.is_empty() {
                        return Err(Problem::new("must not contain an empty item"));
                    }
                    if one.chars().any(char::is_whitespace) {
                        return Err(Problem::new(format!(
                            "has {one:?}, which contains whitespace: give each item as its own array element"
                        )));
                    }
                    item(one)?;
                    list.push(one.clone());
                }
                Ok(Some(Value::List(normalize(list))))
            }
            (_, Kind::List { .. }) => Err(Problem::new("must be an array of strings or null")),
            (Json::String(text), _) => self.parse_text(text).map(Some),
            _ => Err(Problem::new("must be a string or null")),
        }
    }

    /// From the store: what was saved was checked on the way in, so a value that no longer
    /// reads (a hand-edited database, a rule made stricter) counts as unset.
    pub fn from_stored(&self, json: &serde_json::Value) -> Option<Value> {
        match (json, self.kind) {
            (serde_json::Value::String(text), Kind::Secret) => {
                Some(Value::Secret(Secret::new(text.clone())))
            }
            _ => self.parse_json(json).ok().flatten(),
        }
    }

    /// For the store: the JSON the value is kept as (a secret as its text).
    pub fn to_stored(&self, value: &Value) -> serde_json::Value {
        match value {
            Value::Text(text) => serde_json::Value::String(text.clone()),
            Value::List(items) => items
                .iter()
                .cloned()
                .map(serde_json::Value::String)
                .collect(),
            Value::Secret(secret) => serde_json::Value::String(secret.expose().to_owned()),
        }
    }
}

fn choices(options: &[Choice]) -> String {
    let quoted: Vec<String> = options.iter().map(|o| format!("\"{}\"", o.value)).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The rule of [`ISSUER`], by the sign-in's own URL rule (`oidc::url::check_issuer`).
pub fn issuer(value: &str) -> Result<String, Problem> {
    match check_issuer(value) {
        Ok(_) => Ok(value.to_owned()),
        Err(problem) => Err(Problem {
            rule: issuer_rule(&problem).to_owned(),
            hide_value: problem == UrlProblem::HasCredentials,
        }),
    }
}

/// What an issuer must be, for each way it can fail.
pub fn issuer_rule(problem: &UrlProblem) -> &'static str {
    match problem {
        UrlProblem::NotAbsolute | UrlProblem::InsecureScheme => {
            "must be an absolute https URL (http is allowed only for localhost, 127.0.0.1 and [::1])"
        }
        UrlProblem::HasQueryOrFragment => "must not contain a query (?) or fragment (#)",
        UrlProblem::HasCredentials => "must not contain a user name or password",
        UrlProblem::BadHost => {
            "must have a host that is a DNS name (letters, digits, - and dots; an international name in its xn-- form), an IPv4 address or a bracketed IPv6 address, and a port up to 65535"
        }
    }
}

/// RFC 6749 VSCHAR: what a client_id may contain.
pub fn client_id(value: &str) -> Result<String, Problem> {
    if value.is_empty() {
        Err(Problem::new("must not be empty"))
    } else if !value.chars().all(|c| (' '..='~').contains(&c)) {
        Err(Problem::new("must be printable ASCII (RFC 6749 VSCHAR)"))
    } else {
        Ok(value.to_owned())
    }
}

/// The name of a claim: anything but empty.
pub fn claim_name(value: &str) -> Result<String, Problem> {
    if value.is_empty() {
        Err(Problem::new(
            "must not be empty (send null for the default \"groups\")",
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// RFC 6749 section 3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn scope(value: &str) -> Result<(), Problem> {
    let valid = !value.is_empty()
        && value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
    if valid {
        Ok(())
    } else {
        Err(Problem::new(format!(
            "has {value:?}, which is not a valid scope (printable ASCII without spaces, quotes or backslashes)"
        )))
    }
}

/// Extra scopes, in the order given, without duplicates or the base three.
pub fn extra_scopes(scopes: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        if !BASE_SCOPES.contains(&scope.as_str()) && !out.contains(&scope) {
            out.push(scope);
        }
    }
    out
}

/// Longer durations are surely a typo (and would overflow cookie dates).
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 86_400);

/// The rule of [`SESSION_LENGTH`].
pub fn session_length(value: &str) -> Result<String, Problem> {
    match parse_duration(value) {
        Some(length) if length <= MAX_DURATION => Ok(value.to_owned()),
        _ => Err(Problem::new(
            "must be a number of hours (720) or a number with a unit s, m, h or d (90s, 30m, 12h, 30d), more than zero and at most 10 years",
        )),
    }
}

/// `720` (hours, as W&B's `SESSION_LENGTH`), or a number with a unit: `90s`, `30m`, `12h`,
/// `30d`. Zero is refused: a session that ends as it starts is a mistake.
pub fn parse_duration(value: &str) -> Option<Duration> {
    parse_span(value, "h", &["s", "m", "h", "d"])
}

/// A whole number of `bare` units, or a whole number followed by one of `units` (`s`, `m`,
/// `h`, `d`); more than zero.
pub fn parse_span(value: &str, bare: &str, units: &[&str]) -> Option<Duration> {
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => value.split_at(at),
        None => (value, bare),
    };
    if !units.contains(&unit) {
        return None;
    }
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    let secs = number.parse::<u64>().ok()?.checked_mul(seconds_per)?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Where a setting's value in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// An environment variable; the admin form cannot change it.
    Env,
    /// Saved in the admin form.
    Ui,
    /// Neither: the default.
    Unset,
}

/// A setting in the document: the value in force, where it comes from, and which variable
/// sets it when `source` is `env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldState {
    pub value: Option<Value>,
    pub source: Source,
    #[serde(default)]
    pub env_var: Option<String>,
}

/// A secret in the document: only whether it is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretState {
    pub set: bool,
    pub source: Source,
    #[serde(default)]
    pub env_var: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SettingState {
    Secret(SecretState),
    Field(FieldState),
}

impl SettingState {
    pub fn source(&self) -> Source {
        match self {
            SettingState::Secret(s) => s.source,
            SettingState::Field(f) => f.source,
        }
    }

    pub fn env_var(&self) -> Option<&str> {
        match self {
            SettingState::Secret(s) => s.env_var.as_deref(),
            SettingState::Field(f) => f.env_var.as_deref(),
        }
    }

    /// The variable that locks this setting, if any.
    pub fn locked_by(&self) -> Option<&str> {
        (self.source() == Source::Env).then(|| self.env_var().unwrap_or("the environment"))
    }

    pub fn value(&self) -> Option<&Value> {
        match self {
            SettingState::Field(f) => f.value.as_ref(),
            SettingState::Secret(_) => None,
        }
    }
}

/// The body of `GET` and `PUT /api/v1/admin/sso`: every setting by name. A secret's value is
/// never in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsDocument {
    pub version: u64,
    pub settings: BTreeMap<String, SettingState>,
}

impl SettingsDocument {
    pub fn get(&self, setting: &Setting) -> Option<&SettingState> {
        self.settings.get(setting.name)
    }
}

/// A `PUT` body: only the settings present change; `None` (`null`) unsets one.
pub type SettingsUpdate = BTreeMap<String, Option<Value>>;

/// The README's table of these settings (a test keeps it in step).
pub fn markdown_table() -> String {
    let mut out =
        String::from("| variable | setting | default | meaning |\n| --- | --- | --- | --- |\n");
    for setting in SETTINGS {
        let (first, aliases) = setting.env.split_first().unwrap_or((&"", &[]));
        let mut variable = format!("`{first}`");
        if !aliases.is_empty() {
            let aliases: Vec<String> = aliases.iter().map(|a| format!("`{a}`")).collect();
            variable.push_str(&format!(" (alias {})", aliases.join(", ")));
        }
        let default = match (setting.default, setting.kind) {
            (Some(d), _) => format!("`{d}`"),
            _ => "(none)".into(),
        };
        out.push_str(&format!(
            "| {variable} | `{}` | {default} | {} |\n",
            setting.name, setting.help
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_variables_are_unique() {
        let mut names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
        let mut vars: Vec<&str> = SETTINGS
            .iter()
            .flat_map(|s| s.env.iter().copied())
            .collect();
        let (n, v) = (names.len(), vars.len());
        names.sort_unstable();
        names.dedup();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!((names.len(), vars.len()), (n, v));
        assert!(SETTINGS.iter().all(|s| !s.env.is_empty()));
    }

    #[test]
    fn defaults_pass_their_own_rule() {
        for setting in SETTINGS {
            if let Some(Value::Text(d)) = setting.default_value() {
                assert_eq!(
                    setting.parse_text(&d),
                    Ok(Value::Text(d.clone())),
                    "{}",
                    setting.name
                );
            }
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            ISSUER.parse_text(" https://idp.example.com/ "),
            Ok(Value::Text("https://idp.example.com/".into()))
        );
        for (bad, needle) in [
            ("idp.example.com", "absolute https"),
            ("http://idp.example.com", "absolute https"),
            ("https://idp.example.com/?x=1", "query"),
            ("https://*.example.com", "DNS name"),
            ("http://LOCALHOST", "absolute https"),
        ] {
            let problem = ISSUER.parse_text(bad).expect_err(bad);
            assert!(problem.rule.contains(needle), "{bad}: {problem:?}");
            assert!(!problem.hide_value);
        }
        let problem = ISSUER
            .parse_text("https://u:hunter2@idp.example.com")
            .expect_err("credentials");
        assert!(problem.hide_value && !problem.rule.contains("hunter2"));
        assert!(CLIENT_ID.parse_text("  ").is_err());
        assert!(CLIENT_ID.parse_text("sso\u{7}web").is_err());
        assert!(GROUPS_CLAIM.parse_text("").is_err());
        assert_eq!(
            AUTH_METHOD.parse_text(" IMPLICIT "),
            Ok(Value::Text("implicit".into()))
        );
        assert_eq!(
            AUTH_METHOD.parse_text("code").map_err(|p| p.rule),
            Err("must be \"pkce\" or \"implicit\"".into())
        );
    }

    #[test]
    fn lists_split_on_spaces_and_commas_and_drop_what_is_implied() {
        assert_eq!(
            SCOPES.parse_text(" openid,groups  offline_access,,groups\temail profile api:read "),
            Ok(Value::List(vec![
                "groups".into(),
                "offline_access".into(),
                "api:read".into()
            ]))
        );
        assert_eq!(SCOPES.parse_text(""), Ok(Value::List(vec![])));
        for bad in ["a\"b", "back\\slash", "caf\u{e9}"] {
            assert!(
                SCOPES.parse_text(&format!("groups {bad}")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn json_members() {
        assert_eq!(ISSUER.parse_json(&json!(null)), Ok(None));
        assert!(ISSUER.parse_json(&json!(1)).is_err());
        assert_eq!(
            SCOPES.parse_json(&json!(["openid", "groups", "groups"])),
            Ok(Some(Value::List(vec!["groups".into()])))
        );
        for bad in [json!("groups"), json!([1]), json!([""]), json!(["a b"])] {
            assert!(SCOPES.parse_json(&bad).is_err(), "{bad}");
        }
        assert!(CLIENT_SECRET.parse_json(&json!("")).is_err());
        assert!(CLIENT_SECRET.parse_json(&json!(true)).is_err());
        assert_eq!(
            CLIENT_SECRET.parse_json(&json!(" s3cret ")),
            Ok(Some(Value::Secret(Secret::new(" s3cret "))))
        );
    }

    #[test]
    fn stored_values_round_trip_and_bad_ones_count_as_unset() {
        for (setting, value) in [
            (&ISSUER, Value::Text("https://idp.example.com".into())),
            (&SCOPES, Value::List(vec!["groups".into()])),
            (&CLIENT_SECRET, Value::Secret(Secret::new(" x "))),
        ] {
            assert_eq!(setting.from_stored(&setting.to_stored(&value)), Some(value));
        }
        assert_eq!(ISSUER.from_stored(&json!("http://10.0.0.1")), None);
        assert_eq!(AUTH_METHOD.from_stored(&json!("magic")), None);
    }

    #[test]
    fn secrets_are_never_serialized_or_printed() {
        let value = Value::Secret(Secret::new("hunter2"));
        assert!(serde_json::to_string(&value).is_err());
        assert!(!format!("{value:?}").contains("hunter2"));
    }

    #[test]
    fn durations() {
        for (text, secs) in [
            ("720", 720 * 3600),
            ("1", 3600),
            ("90s", 90),
            ("30m", 1800),
            ("12h", 43_200),
            ("30d", 2_592_000),
            (" 7d ", 604_800),
        ] {
            assert_eq!(
                parse_duration(text),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in [
            "",
            "0",
            "0s",
            "-5",
            "1.5h",
            "5w",
            "h",
            "5 h",
            "5H",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_readme_has_the_table() {
        let readme = include_str!("../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's settings table is out of date; replace it with:\n{table}"
        );
    }
}
