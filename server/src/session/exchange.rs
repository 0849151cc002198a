//! `POST /api/v1/session`: the browser trades the ID token it has just validated, with the secret behind its nonce, for a server session (OIDC Core 3.1.3.7 checked again here, and 15.5.2's binding to the browser that started the sign-in).
//!
//! Nothing the browser checked is trusted: the signature (from the configured issuer's
//! JWKS), `iss`, `aud`/`azp`, `exp` and `iat` are validated again, the token must be at most
//! ten minutes old, and each token is traded once. A refusal stores nothing and logs no
//! token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sso_web::contract::session::{ExchangeRequest, SessionInfo};
use sso_web::contract::settings::SESSION_LENGTH;
use sso_web::host_verifier::HostVerifier;
use sso_web::oidc::id_token::{validate, IdTokenExpectations};
use sso_web::oidc::json::Record as _;
use sso_web::oidc::nonce::is_nonce_secret;
use sso_web::oidc::IdTokenError;

use super::{cookie, csrf, is_admin, now_secs};
use crate::body::{is_media_type, json_object, read_limited};
use crate::error::SessionError;
use crate::store::{Actor, Created, NewSession};
use crate::{blocking, AppState};
use sso_web::contract::admin::ActorKind;

/// An Entra ID token with 200 groups is about 20 KB.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// OIDC Core leaves how old an ID token may be to the client; ten minutes covers a slow
/// callback, and is the pending sign-in's lifetime in the browser.
pub const MAX_TOKEN_AGE_SECS: u64 = 600;

pub async fn create(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Response, SessionError> {
    let (parts, body) = request.into_parts();
    let ip = state.client_ip(&parts.extensions, &parts.headers);
    state
        .exchange_limit
        .take(ip)
        .map_err(SessionError::RateLimited)?;
    // Login CSRF: another site must not sign this browser in as someone else.
    csrf::check_origin(&parts.headers, state.sessions.public_origin.as_deref())?;
    if !is_media_type(&parts.headers, "application/json") {
        return Err(SessionError::UnsupportedMediaType);
    }
    let bytes = read_limited(&parts.headers, body, MAX_REQUEST_BYTES).await?;
    let request = parse_request(&bytes)?;

    let current = state.current();
    let sso = current.sso.as_ref().ok_or(SessionError::SsoNotConfigured)?;
    let (issuer, _) = current.client().ok_or(SessionError::SsoNotConfigured)?;
    // A token that is not even a JWS costs no request to the IdP.
    sso_web::oidc::jwt::decode(&request.id_token).map_err(refusal)?;
    let idp = state
        .idp_for(issuer)
        .ok_or(SessionError::SsoNotConfigured)?;
    let (jwks, provider_algs) = idp.keys().await?;
    let expect = IdTokenExpectations {
        issuer: sso.issuer.as_str().to_owned(),
        client_id: sso.client_id.clone(),
        nonce: Some(nonce_of(&request.nonce_secret)),
        trusted_audiences: Vec::new(),
        provider_algs,
        access_token: None,
    };
    let now = now_secs();
    let mut result = validate(&request.id_token, &jwks, &expect, now, &HostVerifier).await;
    if let Err(IdTokenError::UnknownKey { .. }) = result {
        if let Some(fresh) = idp.refetch_keys().await {
            result = validate(&request.id_token, &fresh, &expect, now, &HostVerifier).await;
        }
    }
    let valid = result.map_err(refusal)?;
    let age = now.saturating_sub(valid.claims.iat);
    if age > MAX_TOKEN_AGE_SECS {
        return Err(SessionError::TokenTooOld { age });
    }

    let rules = &state.sessions;
    // What the browser made of the same token, with the server's own ends.
    let length = current.duration(&SESSION_LENGTH).unwrap_or_default();
    let expires_at = now.saturating_add(length.as_secs());
    let mut info = SessionInfo {
        expires_at,
        idle_expires_at: rules.idle.map(|idle| now.saturating_add(idle.as_secs())),
        ..SessionInfo::from_token(&valid, &current.groups_claim(), now)
    };
    let identity = &info.identity;
    let display = identity
        .email
        .clone()
        .or_else(|| identity.preferred_username.clone())
        .unwrap_or_else(|| identity.sub.clone());
    let value = cookie::new_value().map_err(|_| SessionError::Internal)?;
    let actor = Actor {
        name: display.clone(),
        kind: ActorKind::Sso,
        id: Some(format!("{} {}", valid.claims.iss, valid.claims.sub)),
    };
    let new = OwnedNewSession {
        id_hash: cookie::value_hash(&value),
        issuer: sso.issuer.as_str().to_owned(),
        client_id: sso.client_id.clone(),
        subject: valid.claims.sub.clone(),
        display,
        info: info.to_json().to_string(),
        id_token: request.id_token,
        signed_in_at: now,
        expires_at,
        // Keyed by the claims (serde_json writes them in one order), not the token's text:
        // an ECDSA signature can be rewritten into a second valid one, which would make a
        // second text of the same token.
        token_hash: Sha256::digest(Value::Object(valid.raw_claims.clone()).to_string()).into(),
        // After this it would be refused as expired or too old anyway.
        token_expires_at: valid
            .claims
            .exp
            .min(valid.claims.iat.saturating_add(MAX_TOKEN_AGE_SECS))
            .saturating_add(1),
        actor,
    };
    let store = Arc::clone(&state.store);
    let version = current.version();
    let created = blocking(move || store.create_session(&new.borrowed(), version)).await?;
    if created == Created::Replayed {
        return Err(SessionError::TokenReplayed);
    }
    info.is_admin = is_admin(&state.admin_groups, &info);
    Ok((
        StatusCode::CREATED,
        [
            // Kept as long as the server keeps the ended session (`Store::purge`: twice its
            // length), so a later visit still learns why it is signed out (session_expired)
            // instead of finding no cookie at all.
            (
                header::SET_COOKIE,
                rules
                    .cookie
                    .set(&value, expires_at.saturating_sub(now).saturating_mul(2)),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        axum::Json(info.to_json()),
    )
        .into_response())
}

/// `BASE64URL(SHA256(ASCII(nonce_secret)))` (contract: `oidc::nonce`).
pub fn nonce_of(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// The validator's refusal as the exchange's: the nonce has a code of its own.
fn refusal(e: IdTokenError) -> SessionError {
    match e {
        IdTokenError::NonceMismatch | IdTokenError::NonceMissing => SessionError::NonceMismatch,
        other => SessionError::InvalidToken {
            reason: other.code(),
            message: format!(
                "the ID token was refused ({}): {} {}",
                other.code(),
                other.title(),
                other.detail()
            ),
        },
    }
}

/// `{"id_token", "nonce_secret"}`, each problem named.
pub fn parse_request(body: &[u8]) -> Result<ExchangeRequest, SessionError> {
    let (object, mut problems) = json_object(
        body,
        &ExchangeRequest::FIELDS,
        "the body must be a JSON object with id_token and nonce_secret",
    )
    .map_err(SessionError::InvalidJson)?;
    let mut take = |name: &str, check: fn(&str) -> bool, rule: &str| -> String {
        match object.get(name) {
            Some(Value::String(s)) if check(s) => s.clone(),
            Some(Value::String(_)) => {
                problems.insert(name.to_owned(), rule.to_owned());
                String::new()
            }
            None | Some(Value::Null) => {
                problems.insert(name.to_owned(), "required".to_owned());
                String::new()
            }
            Some(_) => {
                problems.insert(name.to_owned(), "must be a string".to_owned());
                String::new()
            }
        }
    };
    let id_token = take(
        "id_token",
        |t| t.split('.').count() == 3 && t.bytes().all(|b| b.is_ascii_graphic()),
        "must be a compact JWS (three base64url parts separated by dots)",
    );
    let nonce_secret = take(
        "nonce_secret",
        is_nonce_secret,
        "must be 43 base64url characters (32 random bytes)",
    );
    if problems.is_empty() {
        Ok(ExchangeRequest {
            id_token,
            nonce_secret,
        })
    } else {
        let message = problems
            .iter()
            .map(|(name, problem)| format!("{name}: {problem}"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(SessionError::ValidationFailed {
            message,
            fields: problems,
        })
    }
}

/// A `NewSession` that owns its strings, to move into the blocking task.
struct OwnedNewSession {
    id_hash: [u8; 32],
    issuer: String,
    client_id: String,
    subject: String,
    display: String,
    info: String,
    id_token: String,
    signed_in_at: u64,
    expires_at: u64,
    token_hash: [u8; 32],
    token_expires_at: u64,
    actor: Actor,
}

impl OwnedNewSession {
    fn borrowed(&self) -> NewSession<'_> {
        NewSession {
            id_hash: self.id_hash,
            issuer: &self.issuer,
            client_id: &self.client_id,
            subject: &self.subject,
            display: &self.display,
            info: self.info.clone(),
            id_token: &self.id_token,
            signed_in_at: self.signed_in_at,
            expires_at: self.expires_at,
            token_hash: self.token_hash,
            token_expires_at: self.token_expires_at,
            actor: &self.actor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_is_s256_of_the_secret() {
        // RFC 7636 Appendix B: the same derivation as PKCE's.
        assert_eq!(
            nonce_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn request_fields() {
        let secret = "s".repeat(43);
        let good = serde_json::json!({"id_token": "a.b.c", "nonce_secret": secret});
        let request = parse_request(good.to_string().as_bytes()).expect("valid");
        assert_eq!(request.nonce_secret, secret);
        for (body, field, needle) in [
            (
                serde_json::json!({"nonce_secret": secret}),
                "id_token",
                "required",
            ),
            (
                serde_json::json!({"id_token": "a.b", "nonce_secret": secret}),
                "id_token",
                "compact JWS",
            ),
            (
                serde_json::json!({"id_token": "a.b.c d", "nonce_secret": secret}),
                "id_token",
                "compact JWS",
            ),
            (
                serde_json::json!({"id_token": 5, "nonce_secret": secret}),
                "id_token",
                "string",
            ),
            (
                serde_json::json!({"id_token": "a.b.c", "nonce_secret": "short"}),
                "nonce_secret",
                "43",
            ),
            (
                serde_json::json!({"id_token": "a.b.c", "nonce_secret": secret, "x": 1}),
                "x",
                "unknown",
            ),
        ] {
            match parse_request(body.to_string().as_bytes()) {
                Err(SessionError::ValidationFailed { fields, message }) => {
                    assert!(fields[field].contains(needle), "{body}: {fields:?}");
                    assert!(!message.contains("a.b.c"), "no value echoed: {message}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        for bad in ["", "[]", "{", "null"] {
            assert!(
                matches!(
                    parse_request(bad.as_bytes()),
                    Err(SessionError::InvalidJson(_))
                ),
                "{bad}"
            );
        }
    }
}
