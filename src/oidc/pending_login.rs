//! The record of a sign-in in flight, kept between the redirect out and the callback.
//!
//! Keyed by `state`, so two tabs (or two clicks) each complete their own sign-in;
//! taken (read and deleted) exactly once; refused after [`PENDING_LOGIN_TTL_SECS`].

use super::error::OidcError;
use super::flow::Flow;
use super::json::{Object, Record};
use serde_json::{json, Value};

pub const PENDING_LOGIN_TTL_SECS: u64 = 600;

/// Where the user lands after signing in when they started from the home page.
pub const DEFAULT_RETURN_PATH: &str = "/me";

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    /// What `nonce` is the S256 of: proves to sso-server that this browser started the
    /// sign-in (`oidc::nonce`). Empty in records from before it existed.
    #[cfg_attr(test, serde(default))]
    pub nonce_secret: String,
    pub code_verifier: String,
    pub return_to: String,
    pub created_at: u64,
    /// The configuration the request was made with: a settings change mid-flight
    /// must not make us validate against a different issuer or client.
    pub issuer: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// How the answer comes back; records from before this field are code-flow ones.
    #[cfg_attr(test, serde(default))]
    pub flow: Flow,
}

impl Record for PendingLogin {
    fn to_json(&self) -> Value {
        json!({
            "state": self.state,
            "nonce": self.nonce,
            "nonce_secret": self.nonce_secret,
            "code_verifier": self.code_verifier,
            "return_to": self.return_to,
            "created_at": self.created_at,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "flow": self.flow.name(),
        })
    }

    fn from_json(value: &Value) -> Option<Self> {
        let doc = Object::from_value(value)?;
        Some(PendingLogin {
            state: doc.string("state").ok()?,
            nonce: doc.string("nonce").ok()?,
            nonce_secret: doc.opt_string("nonce_secret").ok()?.unwrap_or_default(),
            code_verifier: doc.string("code_verifier").ok()?,
            return_to: doc.string("return_to").ok()?,
            created_at: doc.u64("created_at").ok()?,
            issuer: doc.string("issuer").ok()?,
            client_id: doc.string("client_id").ok()?,
            redirect_uri: doc.string("redirect_uri").ok()?,
            // Records from before this field are code-flow ones.
            flow: match doc.opt_string("flow").ok()? {
                Some(name) => Flow::from_name(&name)?,
                None => Flow::Code,
            },
        })
    }
}

impl PendingLogin {
    /// Checks the record taken from storage for a callback at `now`.
    pub fn check_fresh(&self, now: u64) -> Result<(), OidcError> {
        if now.saturating_sub(self.created_at) > PENDING_LOGIN_TTL_SECS {
            return Err(OidcError::LoginExpired);
        }
        Ok(())
    }

    /// Everything the callback must establish about the record before using it: fresh,
    /// and made with the configuration now in force (a settings change mid-flight must
    /// not make us validate against a different issuer or client).
    pub fn check_for(&self, issuer: &str, client_id: &str, now: u64) -> Result<(), OidcError> {
        self.check_fresh(now)?;
        if self.issuer != issuer || self.client_id != client_id {
            return Err(OidcError::ConfigInvalid {
                detail: "The SSO settings changed while this sign-in was in progress.".into(),
            });
        }
        Ok(())
    }

    pub fn is_expired(&self, now: u64) -> bool {
        self.check_fresh(now).is_err()
    }
}

/// Only a same-origin path may be a return target; anything else (absolute URLs,
/// `//host`, `/\host`, the callback itself) becomes the default, closing open redirects.
pub fn safe_return_path(requested: &str) -> String {
    let is_local = requested.starts_with('/')
        && !requested.starts_with("//")
        && !requested.starts_with("/\\")
        && !requested.chars().any(|c| c.is_control() || c == '\\');
    let path_only = requested.split(['?', '#']).next().unwrap_or_default();
    let pointless = matches!(path_only.trim_end_matches('/'), "" | "/logout")
        || path_only.starts_with(super::flow::CALLBACK_PATH);
    if is_local && !pointless {
        requested.to_string()
    } else {
        DEFAULT_RETURN_PATH.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(created_at: u64) -> PendingLogin {
        PendingLogin {
            state: "s".into(),
            nonce: "n".into(),
            nonce_secret: "s".into(),
            code_verifier: "v".into(),
            return_to: "/me".into(),
            created_at,
            issuer: "https://i".into(),
            client_id: "c".into(),
            redirect_uri: "https://app/oidc/callback".into(),
            flow: Flow::Code,
        }
    }

    #[test]
    fn fresh_until_ten_minutes() {
        assert!(pending(1000).check_fresh(1000 + 600).is_ok());
        assert_eq!(
            pending(1000).check_fresh(1000 + 601),
            Err(OidcError::LoginExpired)
        );
        // A clock that moved backwards is not "expired".
        assert!(pending(1000).check_fresh(900).is_ok());
    }

    #[test]
    fn a_record_from_other_settings_is_refused() {
        let p = pending(1000);
        assert!(p.check_for("https://i", "c", 1001).is_ok());
        assert_eq!(
            p.check_for("https://other", "c", 1001).unwrap_err().code(),
            "config_invalid"
        );
        assert_eq!(
            p.check_for("https://i", "other", 1001).unwrap_err().code(),
            "config_invalid"
        );
        assert_eq!(
            p.check_for("https://i", "c", 1000 + 601),
            Err(OidcError::LoginExpired)
        );
    }

    #[test]
    fn return_paths_are_confined_to_this_origin() {
        assert_eq!(safe_return_path("/admin?tab=audit"), "/admin?tab=audit");
        assert_eq!(safe_return_path("/"), "/me");
        for hostile in [
            "https://evil.com",
            "//evil.com",
            "/\\evil.com",
            "evil",
            "",
            "/oidc/callback?code=x",
            "/x\n",
            "/logout",
            "/logout/",
        ] {
            assert_eq!(safe_return_path(hostile), "/me", "{hostile:?}");
        }
    }

    #[test]
    fn round_trips_as_json() {
        let p = pending(5);
        assert_eq!(PendingLogin::from_json(&p.to_json()), Some(p.clone()));
        // The shape serde's derive writes and reads, both ways, so records stored by
        // either version of the app still read.
        assert_eq!(p.to_json(), serde_json::to_value(&p).unwrap());
        let implicit = PendingLogin {
            flow: Flow::ImplicitFragment,
            ..p.clone()
        };
        let back: PendingLogin = serde_json::from_value(implicit.to_json()).unwrap();
        assert_eq!(back, implicit);
        // A record from before `flow` existed is a code-flow one.
        let mut old = p.to_json();
        old.as_object_mut().unwrap().remove("flow");
        assert_eq!(PendingLogin::from_json(&old).unwrap().flow, Flow::Code);
        // Anything else is not a pending login.
        let mut magic = p.to_json();
        magic["flow"] = "magic".into();
        let mut stringly = p.to_json();
        stringly["created_at"] = "5".into();
        for broken in [json!("x"), json!({"state": "s"}), magic, stringly] {
            assert_eq!(PendingLogin::from_json(&broken), None, "{broken}");
        }
    }
}
