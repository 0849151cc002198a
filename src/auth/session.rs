//! The signed-in session and the app's auth state.
//!
//! With sso-server, the session is the server's (an HttpOnly cookie the app never sees):
//! the page carries it, or `GET /api/v1/session` tells. On a static host there is no server,
//! and the session is this tab's sessionStorage until the ID token's `exp`, as before.

use super::storage::{SessionStore, NOTICE_KEY, SESSION_KEY};
use crate::contract::error::code::{SESSION_EXPIRED, SESSION_REVOKED};
use crate::contract::session::SessionInfo;
use crate::oidc::json::Record;
use serde_json::Value;

/// A session, however it is kept (see the module's comment).
pub type Session = SessionInfo;

/// Why the user is on the signed-out screen; its code goes in `data-notice-code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    SessionExpired,
    SessionRevoked,
    SignedOut,
}

/// Stored as serde stores a unit variant: its name, as a JSON string.
impl Record for Notice {
    fn to_json(&self) -> Value {
        Value::from(match self {
            Notice::SessionExpired => "SessionExpired",
            Notice::SessionRevoked => "SessionRevoked",
            Notice::SignedOut => "SignedOut",
        })
    }

    fn from_json(value: &Value) -> Option<Self> {
        match value.as_str()? {
            "SessionExpired" => Some(Notice::SessionExpired),
            "SessionRevoked" => Some(Notice::SessionRevoked),
            "SignedOut" => Some(Notice::SignedOut),
            _ => None,
        }
    }
}

impl Notice {
    pub fn text(self) -> &'static str {
        match self {
            Notice::SessionExpired => "Your session expired. Sign in again to continue.",
            Notice::SessionRevoked => {
                "Your session was ended (signed out elsewhere, or by an administrator). Sign in again to continue."
            }
            Notice::SignedOut => "You are signed out.",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Notice::SessionExpired => SESSION_EXPIRED,
            Notice::SessionRevoked => SESSION_REVOKED,
            Notice::SignedOut => "signed_out",
        }
    }

    /// The notice for a server's `error` code (`no_session` has none: never signed in).
    pub fn for_code(code: &str) -> Option<Self> {
        match code {
            SESSION_EXPIRED => Some(Notice::SessionExpired),
            SESSION_REVOKED => Some(Notice::SessionRevoked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// Asking the server (a page without the session in it).
    Checking,
    SignedOut {
        notice: Option<Notice>,
    },
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

/// What the server's page said about the session (its data block), if it said anything.
pub enum PageSession {
    /// The state is known.
    Known(AuthState),
    /// The server could not tell (a cross-site navigation): ask it.
    Unknown,
}

/// Reads the page's session block: the session, `null`, `{"error": code}` or `"unknown"`.
pub fn read_page_block(text: &str) -> PageSession {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Some(session) = SessionInfo::from_json(&value) {
        return PageSession::Known(AuthState::SignedIn(Box::new(session)));
    }
    match value {
        Value::Null => PageSession::Known(AuthState::SignedOut { notice: None }),
        Value::Object(error) => PageSession::Known(AuthState::SignedOut {
            notice: error
                .get("error")
                .and_then(Value::as_str)
                .and_then(Notice::for_code),
        }),
        _ => PageSession::Unknown,
    }
}

/// A static host's state as this tab's storage has it at `now`; an expired session is
/// removed and reported.
pub fn restore(store: &SessionStore, now: u64) -> AuthState {
    let notice = store.get_json::<Notice>(NOTICE_KEY);
    store.remove(NOTICE_KEY);
    match store.get_json::<Session>(SESSION_KEY) {
        Some(session) if now < session.expires_at => AuthState::SignedIn(Box::new(session)),
        Some(_) => {
            store.remove(SESSION_KEY);
            AuthState::SignedOut {
                notice: Some(Notice::SessionExpired),
            }
        }
        None => AuthState::SignedOut { notice },
    }
}

/// Keeps a static host's session in this tab (claims and facts; never the ID token).
pub fn save(store: &SessionStore, session: &Session) -> Result<(), crate::oidc::OidcError> {
    store.set_json(SESSION_KEY, session)
}
