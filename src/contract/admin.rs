//! The admin API's other resources: who the caller is, and the audit history. Only the admin
//! bundle reads them, with serde; sso-server writes the same types.

use serde::{Deserialize, Serialize};

/// `GET`: who the admin API takes the caller for.
pub const ADMIN_WHOAMI_PATH: &str = "/api/v1/admin/whoami";
/// `GET ?limit=&before=`: the audit history, newest first.
pub const ADMIN_AUDIT_PATH: &str = "/api/v1/admin/sso/audit";
/// `POST`: the token relay (a client secret is configured).
pub const TOKEN_RELAY_PATH: &str = "/api/v1/sso/token";

/// How the caller proved they are an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A session of a user in one of `SSO_ADMIN_GROUPS`.
    Sso,
    SetupToken,
}

/// The body of `GET /api/v1/admin/whoami`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    pub via: Via,
    pub subject: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

/// Who did what an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Sso,
    SetupToken,
    /// The server itself (sessions ended because the settings changed under them).
    System,
}

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    SettingsChanged,
    SignIn,
    SignOut,
    /// An admin ended someone's session.
    SessionRevoked,
    /// An admin ended every session but their own; `target` is how many.
    OtherSessionsRevoked,
    /// A change of issuer or client ID ended the sessions made under the old ones.
    SessionsEndedBySettings,
    /// Written by a newer server.
    #[serde(other)]
    Other,
}

impl AuditEvent {
    /// The name in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SettingsChanged => "settings_changed",
            Self::SignIn => "sign_in",
            Self::SignOut => "sign_out",
            Self::SessionRevoked => "session_revoked",
            Self::OtherSessionsRevoked => "other_sessions_revoked",
            Self::SessionsEndedBySettings => "sessions_ended_by_settings",
            Self::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Self {
        [
            Self::SettingsChanged,
            Self::SignIn,
            Self::SignOut,
            Self::SessionRevoked,
            Self::OtherSessionsRevoked,
            Self::SessionsEndedBySettings,
        ]
        .into_iter()
        .find(|e| e.as_str() == name)
        .unwrap_or(Self::Other)
    }
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sso => "sso",
            Self::SetupToken => "setup_token",
            Self::System => "system",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Sso, Self::SetupToken, Self::System]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// One entry of the audit history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC, whole seconds.
    pub at: String,
    pub event: AuditEvent,
    /// For people to read: the email, else the username, else the subject.
    pub actor: String,
    pub actor_kind: ActorKind,
    /// `<iss> <sub>` of an SSO actor: who it really is.
    pub actor_id: Option<String>,
    /// Whose session a sign-in, sign-out or revocation was, or how many sessions ended.
    pub target: Option<String>,
    /// The settings a change changed, in the settings table's order.
    pub fields: Vec<String>,
    /// The settings version after (or at) the event.
    pub version: u64,
}

impl AuditEntry {
    /// What happened, in words.
    pub fn summary(&self) -> String {
        let target = self.target.clone().unwrap_or_default();
        match self.event {
            AuditEvent::SettingsChanged => format!("Changed {}", self.fields.join(", ")),
            AuditEvent::SignIn => "Signed in".into(),
            AuditEvent::SignOut => "Signed out".into(),
            AuditEvent::SessionRevoked => format!("Ended the session of {target}"),
            AuditEvent::OtherSessionsRevoked => format!("Signed out everyone else ({target})"),
            AuditEvent::SessionsEndedBySettings => {
                format!("Issuer or client ID changed: ended {target}")
            }
            AuditEvent::Other => "Another event".into(),
        }
    }
}

/// The body of `GET /api/v1/admin/sso/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The `before` of the next page, when there is one.
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_events_still_read() {
        for event in [
            AuditEvent::SettingsChanged,
            AuditEvent::SignIn,
            AuditEvent::SignOut,
            AuditEvent::SessionRevoked,
            AuditEvent::OtherSessionsRevoked,
            AuditEvent::SessionsEndedBySettings,
        ] {
            assert_eq!(AuditEvent::from_name(event.as_str()), event);
            assert_eq!(
                serde_json::to_value(event).expect("json"),
                serde_json::Value::String(event.as_str().into())
            );
        }
        let later: AuditEvent = serde_json::from_str("\"password_changed\"").expect("other");
        assert_eq!(later, AuditEvent::Other);
        for kind in [ActorKind::Sso, ActorKind::SetupToken, ActorKind::System] {
            assert_eq!(ActorKind::from_name(kind.as_str()), Some(kind));
        }
    }
}
