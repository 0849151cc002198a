//! sessionStorage under the `sso-web:` prefix: per tab, gone when the tab closes, and
//! never localStorage, which any later script on the origin could read for months.

use crate::oidc::json::Record;
use crate::oidc::OidcError;

use crate::flow::{records, Storage};
pub use crate::flow::{LOGOUT_STATE_KEY, PENDING_PREFIX, PREFIX};
pub const SESSION_KEY: &str = "sso-web:session";
pub const NOTICE_KEY: &str = "sso-web:notice";
/// The admin setup token, when an administrator entered one in this tab.
pub const SETUP_TOKEN_KEY: &str = "sso-web:setup-token";

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
        records::get_json(self, key)
    }

    pub fn set_json<T: Record>(&self, key: &str, record: &T) -> Result<(), OidcError> {
        records::set_json(self, key, record)
    }

    pub fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        let len = self.0.length().unwrap_or(0);
        (0..len)
            .filter_map(|i| self.0.key(i).ok().flatten())
            .filter(|k| k.starts_with(prefix))
            .collect()
    }

    pub fn clear_all(&self) {
        for key in self.keys_with_prefix(PREFIX) {
            self.remove(&key);
        }
    }
}

impl Storage for SessionStore {
    fn load(&self, key: &str) -> Option<String> {
        self.get(key)
    }

    fn save(&self, key: &str, value: &str) -> Result<(), OidcError> {
        self.set(key, value)
    }

    fn remove(&self, key: &str) {
        SessionStore::remove(self, key);
    }

    fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        SessionStore::keys_with_prefix(self, prefix)
    }
}
