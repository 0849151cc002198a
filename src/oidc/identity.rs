//! Who the user is: ID token claims mapped to what the UI shows (Core 5.1), plus groups.
//!
//! Groups have no standard claim. We read the configured claim (default `groups`) and
//! understand the shapes the common providers send: a string array (Okta, Entra,
//! Auth0 rules), one string, Keycloak's `/parent/child` paths, and Cognito's
//! `cognito:groups`. Entra replaces groups by an overage marker when a user has too many
//! (more than 200 in a JWT); that is surfaced, never shown as "no groups".

use serde_json::{Map, Value};

pub const DEFAULT_GROUPS_CLAIM: &str = "groups";
const COGNITO_GROUPS_CLAIM: &str = "cognito:groups";

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(tag = "kind", rename_all = "snake_case"))]
pub enum GroupsSource {
    /// Read from this claim (possibly empty).
    Claim { name: String },
    /// The claim is absent: the provider sends no groups, or is not configured to.
    Absent { name: String },
    /// Entra ID group overage: the groups must be fetched from Microsoft Graph instead.
    Overage,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct Identity {
    pub sub: String,
    pub iss: String,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub groups: Vec<String>,
    pub groups_source: GroupsSource,
}

impl Identity {
    pub fn from_claims(claims: &Map<String, Value>, groups_claim: &str) -> Self {
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let exact = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (groups, groups_source) = groups_from(claims, groups_claim);
        Identity {
            // Identifiers are compared exactly elsewhere, so they are never trimmed here.
            sub: exact("sub"),
            iss: exact("iss"),
            name: text("name"),
            preferred_username: text("preferred_username"),
            email: text("email"),
            email_verified: claims.get("email_verified").and_then(as_bool),
            groups,
            groups_source,
        }
    }

    /// The best name to greet the user with.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.preferred_username.as_deref())
            .or(self.email.as_deref())
            .unwrap_or(&self.sub)
    }
}

/// Cognito sends booleans as strings ("true").
fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn groups_from(claims: &Map<String, Value>, claim: &str) -> (Vec<String>, GroupsSource) {
    let configured = claims.get(claim);
    let value = configured.or_else(|| {
        // Cognito's groups land here whatever the admin typed as the default.
        (claim == DEFAULT_GROUPS_CLAIM)
            .then(|| claims.get(COGNITO_GROUPS_CLAIM))
            .flatten()
    });
    let name = if configured.is_some() || value.is_none() {
        claim.to_string()
    } else {
        COGNITO_GROUPS_CLAIM.to_string()
    };
    let Some(value) = value else {
        if has_overage(claims, claim) {
            return (Vec::new(), GroupsSource::Overage);
        }
        return (Vec::new(), GroupsSource::Absent { name });
    };
    let raw: Vec<&str> = match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut groups: Vec<String> = Vec::new();
    for group in raw {
        // Keycloak's full-path form `/parent/child`: drop the leading root slash.
        let group = group.trim().trim_start_matches('/');
        if !group.is_empty() && !groups.iter().any(|g| g == group) {
            groups.push(group.to_string());
        }
    }
    (groups, GroupsSource::Claim { name })
}

fn has_overage(claims: &Map<String, Value>, claim: &str) -> bool {
    let in_claim_names = claims
        .get("_claim_names")
        .and_then(Value::as_object)
        .is_some_and(|names| names.contains_key(claim) || names.contains_key("groups"));
    let hasgroups = claims.get("hasgroups").and_then(as_bool) == Some(true);
    in_claim_names || hasgroups
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(claims: Value, groups_claim: &str) -> Identity {
        Identity::from_claims(claims.as_object().unwrap(), groups_claim)
    }

    #[test]
    fn maps_standard_claims() {
        let id = identity(
            json!({"sub": "u1", "iss": "https://i", "name": "Alice", "preferred_username": "alice",
                   "email": "a@example.com", "email_verified": true, "groups": ["admins", "ml-team"]}),
            "groups",
        );
        assert_eq!(id.name.as_deref(), Some("Alice"));
        assert_eq!(id.preferred_username.as_deref(), Some("alice"));
        assert_eq!(id.email_verified, Some(true));
        assert_eq!(id.groups, vec!["admins", "ml-team"]);
        assert_eq!(
            id.groups_source,
            GroupsSource::Claim {
                name: "groups".into()
            }
        );
        assert_eq!(id.display_name(), "Alice");
    }

    #[test]
    fn single_string_group() {
        let id = identity(json!({"sub": "u", "groups": "ml-team"}), "groups");
        assert_eq!(id.groups, vec!["ml-team"]);
    }

    #[test]
    fn keycloak_paths_lose_the_root_slash_and_duplicates() {
        let id = identity(
            json!({"sub": "u", "groups": ["/admins", "/org/ml-team", "admins"]}),
            "groups",
        );
        assert_eq!(id.groups, vec!["admins", "org/ml-team"]);
    }

    #[test]
    fn cognito_groups_are_found_under_the_default_claim() {
        let id = identity(
            json!({"sub": "u", "cognito:groups": ["a"], "email_verified": "true"}),
            "groups",
        );
        assert_eq!(id.groups, vec!["a"]);
        assert_eq!(
            id.groups_source,
            GroupsSource::Claim {
                name: "cognito:groups".into()
            }
        );
        assert_eq!(id.email_verified, Some(true));
    }

    #[test]
    fn configured_claim_is_used() {
        let id = identity(
            json!({"sub": "u", "roles": ["r1"], "groups": ["g"]}),
            "roles",
        );
        assert_eq!(id.groups, vec!["r1"]);
    }

    #[test]
    fn entra_overage_is_reported_not_hidden() {
        let by_names = identity(
            json!({"sub": "u", "_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph"}}}),
            "groups",
        );
        assert_eq!(by_names.groups_source, GroupsSource::Overage);
        let by_flag = identity(json!({"sub": "u", "hasgroups": true}), "groups");
        assert_eq!(by_flag.groups_source, GroupsSource::Overage);
        assert!(by_flag.groups.is_empty());
    }

    #[test]
    fn absent_claim_is_distinguished_from_empty() {
        let absent = identity(json!({"sub": "u"}), "groups");
        assert_eq!(
            absent.groups_source,
            GroupsSource::Absent {
                name: "groups".into()
            }
        );
        let empty = identity(json!({"sub": "u", "groups": []}), "groups");
        assert_eq!(
            empty.groups_source,
            GroupsSource::Claim {
                name: "groups".into()
            }
        );
    }

    #[test]
    fn non_string_entries_and_blank_names_are_ignored() {
        let id = identity(
            json!({"sub": "u", "name": "  ", "groups": [1, null, " ", "ok"]}),
            "groups",
        );
        assert_eq!(id.groups, vec!["ok"]);
        assert_eq!(id.name, None);
        assert_eq!(id.display_name(), "u");
    }
}
