//! The signed-in session and the app's auth state (SignedOut / SignedIn).
//!
//! There is no "unknown" state: sessionStorage is read synchronously before the first
//! render, so the app always knows which of the two it is in.

use super::storage::{SessionStore, NOTICE_KEY, SESSION_KEY};
use crate::oidc::json::{Object, Record};
use crate::oidc::jwt::JoseHeader;
use crate::oidc::{GroupsSource, Identity};
use serde_json::{json, Map, Value};

/// What survives a reload: the ID token and what validating it established.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id_token: String,
    pub header: JoseHeader,
    pub claims: Map<String, Value>,
    /// The claim the groups were read from, so a restore maps them as the sign-in did.
    /// Sessions stored before it existed restore with the default claim.
    pub groups_claim: String,
    pub issued_at: u64,
    pub expires_at: u64,
    /// Derived from `claims` and never stored: no second copy to disagree with them, and
    /// no deserializer for it in the bundle (about 11 KB of wasm).
    pub identity: Identity,
}

impl Session {
    pub fn new(
        id_token: String,
        header: JoseHeader,
        claims: Map<String, Value>,
        groups_claim: &str,
        issued_at: u64,
        expires_at: u64,
    ) -> Self {
        Session {
            identity: Identity::from_claims(&claims, groups_claim),
            id_token,
            header,
            claims,
            groups_claim: groups_claim.to_string(),
            issued_at,
            expires_at,
        }
    }
}

fn default_groups_claim() -> String {
    crate::oidc::identity::DEFAULT_GROUPS_CLAIM.to_string()
}

/// Placeholder until [`restore`] maps the stored claims.
fn unmapped() -> Identity {
    Identity {
        sub: String::new(),
        iss: String::new(),
        name: None,
        preferred_username: None,
        email: None,
        email_verified: None,
        groups: Vec::new(),
        groups_source: GroupsSource::Overage,
    }
}

/// A message for the signed-out screen, so the user knows why they are there.
impl Record for Session {
    fn to_json(&self) -> Value {
        json!({
            "id_token": self.id_token,
            "header": self.header.to_json(),
            "claims": self.claims,
            "groups_claim": self.groups_claim,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
        })
    }

    /// The identity is not stored: it is recomputed from the claims on restore.
    fn from_json(value: &Value) -> Option<Self> {
        let doc = Object::from_value(value)?;
        Some(Session {
            id_token: doc.string("id_token").ok()?,
            header: JoseHeader::from_json(value.get("header")?)?,
            claims: doc.object("claims").ok()?.into_map(),
            groups_claim: doc
                .opt_string("groups_claim")
                .ok()?
                .unwrap_or_else(default_groups_claim),
            issued_at: doc.u64("issued_at").ok()?,
            expires_at: doc.u64("expires_at").ok()?,
            identity: unmapped(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    SessionExpired,
    SignedOut,
}

/// Stored as serde stores a unit variant: its name, as a JSON string.
impl Record for Notice {
    fn to_json(&self) -> Value {
        Value::from(match self {
            Notice::SessionExpired => "SessionExpired",
            Notice::SignedOut => "SignedOut",
        })
    }

    fn from_json(value: &Value) -> Option<Self> {
        match value.as_str()? {
            "SessionExpired" => Some(Notice::SessionExpired),
            "SignedOut" => Some(Notice::SignedOut),
            _ => None,
        }
    }
}

impl Notice {
    pub fn text(self) -> &'static str {
        match self {
            Notice::SessionExpired => "Your session expired. Sign in again to continue.",
            Notice::SignedOut => "You are signed out.",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    SignedOut { notice: Option<Notice> },
    SignedIn(Box<Session>),
}

impl AuthState {
    pub fn session(&self) -> Option<&Session> {
        match self {
            AuthState::SignedIn(session) => Some(session),
            _ => None,
        }
    }
}

/// The state as storage has it at `now`; an expired session is removed and reported.
pub fn restore(store: &SessionStore, now: u64) -> AuthState {
    let notice = store.get_json::<Notice>(NOTICE_KEY);
    store.remove(NOTICE_KEY);
    match store.get_json::<Session>(SESSION_KEY) {
        Some(mut session) if now < session.expires_at => {
            session.identity = Identity::from_claims(&session.claims, &session.groups_claim);
            AuthState::SignedIn(Box::new(session))
        }
        Some(_) => {
            store.remove(SESSION_KEY);
            AuthState::SignedOut {
                notice: Some(Notice::SessionExpired),
            }
        }
        None => AuthState::SignedOut { notice },
    }
}

pub fn save(store: &SessionStore, session: &Session) -> Result<(), crate::oidc::OidcError> {
    store.set_json(SESSION_KEY, session)
}
