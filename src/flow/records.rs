//! What the flows keep in the tab's storage between steps: pending logins (one per `state`,
//! good for one callback), and cached discovery documents and key sets.

use super::{Storage, METADATA_TTL_SECS};
use crate::oidc::json::{Object, Record};
use crate::oidc::{OidcError, PendingLogin};

/// Every key of this app starts with it.
pub const PREFIX: &str = "sso-web:";
pub const PENDING_PREFIX: &str = "sso-web:pending:";
/// The `state` sent with RP-initiated logout, checked when the IdP sends the user back.
pub const LOGOUT_STATE_KEY: &str = "sso-web:logout-state";

/// What the callback page's early script needs to redeem the code while the app loads
/// (`callback.html`): kept under `sso-web:early:<state>`, read and removed by that script.
pub const EARLY_TOKEN_PREFIX: &str = "sso-web:early:";

pub struct EarlyToken {
    pub token_endpoint: String,
    /// The form body without `code`.
    pub body: String,
    pub created_at: u64,
    /// RFC 9207, checked by the script before it sends the code: the callback's `iss` must be
    /// this issuer, and must be there when `iss_required`.
    pub issuer: String,
    pub iss_required: bool,
}

impl EarlyToken {
    /// Written here, read only by the script (so no reader on this side).
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "token_endpoint": self.token_endpoint,
            "body": self.body,
            "created_at": self.created_at,
            "issuer": self.issuer,
            "iss_required": self.iss_required,
        })
    }
}

pub fn save_early_token<S: Storage + ?Sized>(
    port: &S,
    state: &str,
    record: &EarlyToken,
) -> Result<(), OidcError> {
    port.save(
        &format!("{EARLY_TOKEN_PREFIX}{state}"),
        &record.to_json().to_string(),
    )
}

/// A stored record; one that no longer reads (older version, tampering) is dropped.
pub fn get_json<S: Storage + ?Sized, T: Record>(port: &S, key: &str) -> Option<T> {
    let text = port.load(key)?;
    let record = serde_json::from_str(&text)
        .ok()
        .and_then(|value| T::from_json(&value));
    if record.is_none() {
        port.remove(key);
    }
    record
}

pub fn set_json<S: Storage + ?Sized, T: Record>(
    port: &S,
    key: &str,
    record: &T,
) -> Result<(), OidcError> {
    port.save(key, &record.to_json().to_string())
}

pub fn save_pending<S: Storage + ?Sized>(
    port: &S,
    pending: &PendingLogin,
) -> Result<(), OidcError> {
    set_json(port, &format!("{PENDING_PREFIX}{}", pending.state), pending)
}

/// Reads and deletes in one step: a pending login is good for exactly one callback. Its
/// early-token record goes too, if the callback page's script left it.
pub fn take_pending<S: Storage + ?Sized>(port: &S, state: &str) -> Option<PendingLogin> {
    let key = format!("{PENDING_PREFIX}{state}");
    let pending = get_json(port, &key);
    port.remove(&key);
    port.remove(&format!("{EARLY_TOKEN_PREFIX}{state}"));
    pending
}

/// Drops abandoned sign-ins (the user closed the IdP page, say).
pub fn prune_pending<S: Storage + ?Sized>(port: &S, now: u64) {
    for key in port.keys_with_prefix(PENDING_PREFIX) {
        let expired = get_json::<S, PendingLogin>(port, &key).is_none_or(|p| p.is_expired(now));
        if expired {
            port.remove(&key);
        }
    }
    // Early-token records of sign-ins that are gone.
    for key in port.keys_with_prefix(EARLY_TOKEN_PREFIX) {
        let state = key.trim_start_matches(EARLY_TOKEN_PREFIX);
        if port.load(&format!("{PENDING_PREFIX}{state}")).is_none() {
            port.remove(&key);
        }
    }
}

/// A response body kept for [`METADATA_TTL_SECS`].
struct Cached {
    fetched_at: u64,
    body: String,
}

impl Record for Cached {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"fetched_at": self.fetched_at, "body": self.body})
    }

    fn from_json(value: &serde_json::Value) -> Option<Self> {
        let doc = Object::from_value(value)?;
        Some(Cached {
            fetched_at: doc.u64("fetched_at").ok()?,
            body: doc.string("body").ok()?,
        })
    }
}

pub fn cached<S: Storage + ?Sized>(port: &S, key: &str, now: u64) -> Option<String> {
    let entry: Cached = get_json(port, key)?;
    let fresh = now.saturating_sub(entry.fetched_at) < METADATA_TTL_SECS && entry.fetched_at <= now;
    fresh.then_some(entry.body)
}

pub fn remember<S: Storage + ?Sized>(port: &S, key: &str, body: &str, now: u64) {
    let entry = Cached {
        fetched_at: now,
        body: body.to_owned(),
    };
    let _ = set_json(port, key, &entry);
}
