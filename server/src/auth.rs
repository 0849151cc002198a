//! Who may use /api/v1/admin/*: a signed-in user (the session cookie) in one of SSO_ADMIN_GROUPS, or whoever holds the setup token (`Authorization: Bearer`). The `Admin` extractor is the only way a handler learns it. An ID token is no credential here: it is traded once for a session (`session::exchange`).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sso_web::oidc::identity::GroupsSource;

use crate::error::{AdminError, SessionError};
use crate::session::{self, csrf};
use crate::store::Actor;
use crate::AppState;
use sso_web::contract::admin::ActorKind;

/// The admin behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminIdentity {
    Sso {
        /// The session the request came with.
        session_id: i64,
        issuer: String,
        subject: String,
        name: Option<String>,
        /// Shown in the audit log: email, else username, else subject.
        actor: String,
        groups: Vec<String>,
    },
    SetupToken,
}

impl AdminIdentity {
    pub fn actor(&self) -> Actor {
        match self {
            Self::Sso {
                actor,
                issuer,
                subject,
                ..
            } => Actor {
                name: actor.clone(),
                kind: ActorKind::Sso,
                id: Some(format!("{issuer} {subject}")),
            },
            Self::SetupToken => Actor {
                name: "setup token".to_owned(),
                kind: ActorKind::SetupToken,
                id: None,
            },
        }
    }

    /// The caller's own session, if they came with one.
    pub fn session_id(&self) -> Option<i64> {
        match self {
            Self::Sso { session_id, .. } => Some(*session_id),
            Self::SetupToken => None,
        }
    }
}

/// An administrator, as an extractor: a handler that takes it runs only for one.
pub struct Admin(pub AdminIdentity);

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = AdminError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let ip = state.client_ip(&parts.extensions, &parts.headers);
        // Guessing the setup token must be slow: failures are limited per address.
        state
            .auth_failures
            .check(ip)
            .map_err(AdminError::RateLimited)?;
        match authenticate(state, &parts.method, &parts.headers).await {
            Ok(admin) => Ok(Admin(admin)),
            // Only a credential that was presented and refused counts (not a visit without one).
            Err(err @ AdminError::Unauthenticated(_))
                if parts.headers.contains_key(header::AUTHORIZATION)
                    || state.sessions.cookie.read(&parts.headers).is_some() =>
            {
                let _ = state.auth_failures.take(ip);
                // The reason, never the credential.
                crate::log(&format!(
                    "sso-server: admin authentication failed from {ip}: {}",
                    err.message()
                ));
                Err(err)
            }
            Err(err) => Err(err),
        }
    }
}

/// 32 random bytes, base64url: what the first start prints.
pub fn generate_setup_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two hashes without an early exit, so timing tells nothing
/// about how much of a guess was right.
pub fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn unauthenticated(message: impl Into<String>) -> AdminError {
    AdminError::Unauthenticated(message.into())
}

/// The setup token when the request has an `Authorization` header, else the session
/// cookie. A cookie-authenticated change must pass the CSRF check; a Bearer credential is
/// not sent by browsers on their own, so it needs none.
pub async fn authenticate(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<AdminIdentity, AdminError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        return setup_token(state, value.to_str().ok()).await;
    }
    let session = match session::lookup(state, headers).await {
        Ok(session) => session,
        Err(SessionError::NoSession) => {
            return Err(unauthenticated(
                "not signed in: sign in through SSO, or send the setup token as \"Authorization: Bearer <setup token>\"",
            ))
        }
        Err(SessionError::Expired) => {
            return Err(unauthenticated(
                "the session has expired: sign in again",
            ))
        }
        Err(SessionError::Revoked) => {
            return Err(unauthenticated(
                "the session was signed out or revoked: sign in again",
            ))
        }
        Err(_) => return Err(AdminError::Internal),
    };
    if csrf::is_unsafe(method) {
        csrf::check(headers, state.sessions.public_origin.as_deref())?;
    }
    let identity = &session.info.identity;
    let actor = session.row.display.clone();
    if !session.info.is_admin {
        let overage = if identity.groups_source == GroupsSource::Overage {
            " (the ID token had a group overage marker instead of the groups: assign the admin group to the application or emit fewer groups)"
        } else {
            ""
        };
        // The admin groups are not named: they are no business of a non-admin.
        return Err(AdminError::NotAdmin(format!(
            "{actor} is signed in but is not an administrator: ask an administrator to add you to an admin group at the identity provider, then sign in again{overage}"
        )));
    }
    session::touch(state, &session).await;
    Ok(AdminIdentity::Sso {
        session_id: session.row.id,
        issuer: session.row.issuer.clone(),
        subject: identity.sub.clone(),
        name: (identity.display_name() != identity.sub).then(|| identity.display_name().to_owned()),
        actor,
        groups: identity.groups.clone(),
    })
}

async fn setup_token(state: &AppState, value: Option<&str>) -> Result<AdminIdentity, AdminError> {
    let value = value.ok_or_else(|| unauthenticated("the Authorization header is not ASCII"))?;
    let (scheme, credential) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthenticated(
            "the Authorization header must use the Bearer scheme",
        ));
    }
    let credential = credential.trim();
    if credential.is_empty() {
        return Err(unauthenticated("the Bearer credential is empty"));
    }
    if state.is_setup_token(credential).await? {
        return Ok(AdminIdentity::SetupToken);
    }
    if credential.split('.').count() == 3 {
        return Err(unauthenticated(
            "an ID token is not an admin credential: sign in through SSO for a session cookie, or send the setup token",
        ));
    }
    Err(unauthenticated(
        "the Bearer credential is not the current setup token",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_43_base64url_chars_and_differ() {
        let a = generate_setup_token().expect("random");
        let b = generate_setup_token().expect("random");
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn hash_comparison() {
        let h = hash_token("abc");
        assert!(hashes_equal(&h, &hash_token("abc")));
        assert!(!hashes_equal(&h, &hash_token("abd")));
        // Known SHA-256 of "abc" (FIPS 180-2 example).
        assert_eq!(
            h[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "sha256(\"abc\") starts ba7816bf"
        );
    }
}
