//! sessionStorage under the `sso-web:` prefix: per tab, gone when the tab closes, and
//! never localStorage, which any later script on the origin could read for months.

use crate::oidc::json::Record;
use crate::oidc::pending_login::PendingLogin;
use crate::oidc::OidcError;

pub const PREFIX: &str = "sso-web:";
pub const SESSION_KEY: &str = "sso-web:session";
pub const NOTICE_KEY: &str = "sso-web:notice";
pub const PENDING_PREFIX: &str = "sso-web:pending:";
/// The admin setup token, when an administrator entered one in this tab.
pub const SETUP_TOKEN_KEY: &str = "sso-web:setup-token";
/// The `state` sent with RP-initiated logout, checked when the IdP sends the user back.
pub const LOGOUT_STATE_KEY: &str = "sso-web:logout-state";

pub struct SessionStore(web_sys::Storage);

impl SessionStore {
    pub fn open() -> Result<Self, OidcError> {
        let unavailable = || OidcError::Browser {
            detail: "sessionStorage is unavailable (blocked site data or a sandboxed frame)."
                .into(),
        };
        let storage = super::browser::window()?
            .session_storage()
            .map_err(|_| unavailable())?
            .ok_or_else(unavailable)?;
        Ok(SessionStore(storage))
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.0.get_item(key).ok().flatten()
    }

    pub fn set(&self, key: &str, value: &str) -> Result<(), OidcError> {
        self.0.set_item(key, value).map_err(|e| OidcError::Browser {
            detail: format!(
                "sessionStorage refused a write: {}",
                super::browser::js_text(&e)
            ),
        })
    }

    pub fn remove(&self, key: &str) {
        let _ = self.0.remove_item(key);
    }

    /// A stored record; one that no longer reads (older version, tampering) is dropped.
    pub fn get_json<T: Record>(&self, key: &str) -> Option<T> {
        let text = self.get(key)?;
        let record = serde_json::from_str(&text)
            .ok()
            .and_then(|value| T::from_json(&value));
        if record.is_none() {
            self.remove(key);
        }
        record
    }

    pub fn set_json<T: Record>(&self, key: &str, record: &T) -> Result<(), OidcError> {
        self.set(key, &record.to_json().to_string())
    }

    pub fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        let len = self.0.length().unwrap_or(0);
        (0..len)
            .filter_map(|i| self.0.key(i).ok().flatten())
            .filter(|k| k.starts_with(prefix))
            .collect()
    }

    pub fn save_pending(&self, pending: &PendingLogin) -> Result<(), OidcError> {
        self.set_json(&format!("{PENDING_PREFIX}{}", pending.state), pending)
    }

    /// Reads and deletes in one step: a pending login is good for exactly one callback.
    pub fn take_pending(&self, state: &str) -> Option<PendingLogin> {
        let key = format!("{PENDING_PREFIX}{state}");
        let pending = self.get_json(&key);
        self.remove(&key);
        pending
    }

    /// Drops abandoned sign-ins (the user closed the IdP page, say).
    pub fn prune_pending(&self, now: u64) {
        for key in self.keys_with_prefix(PENDING_PREFIX) {
            let expired = self
                .get_json::<PendingLogin>(&key)
                .is_none_or(|p| p.is_expired(now));
            if expired {
                self.remove(&key);
            }
        }
    }

    pub fn clear_all(&self) {
        for key in self.keys_with_prefix(PREFIX) {
            self.remove(&key);
        }
    }
}
