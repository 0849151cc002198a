//! Who may use /api/v1/admin/*: a Bearer ID token (OIDC Core 3.1.3.7 via sso-web's validator, without a nonce) of a member of SSO_ADMIN_GROUPS, or the setup token.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sso_web::host_verifier::HostVerifier;
use sso_web::oidc::id_token::{validate, IdTokenError, IdTokenExpectations};
use sso_web::oidc::identity::{GroupsSource, Identity};
use sso_web::oidc::{Jwks, ProviderMetadata};

use crate::discovery::fetch_limited;
use crate::error::AdminError;
use crate::store::{Actor, ActorKind};
use crate::AppState;

/// A JWKS is reused this long before it is fetched again.
pub const KEYS_FRESH_FOR: Duration = Duration::from_secs(600);
/// After a failed refresh the previous keys are used this long before the
/// next try, so an IdP outage does not slow every admin request.
pub const KEYS_RETRY_AFTER: Duration = Duration::from_secs(30);
/// An unknown `kid` refetches the JWKS (keys rotate), but not more often
/// than this: a stream of forged kids must not turn into a stream of
/// requests to the IdP.
pub const MIN_FORCED_REFETCH: Duration = Duration::from_secs(10);

/// The admin behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminIdentity {
    Sso {
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
            Self::Sso { actor, .. } => Actor {
                name: actor.clone(),
                kind: ActorKind::Sso,
            },
            Self::SetupToken => Actor {
                name: "setup token".to_owned(),
                kind: ActorKind::SetupToken,
            },
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

/// Checks the request's Bearer credential. The setup token is tried first
/// (it is a hash comparison); a credential that is not the setup token and
/// has the three parts of a JWS is checked as an ID token.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<AdminIdentity, AdminError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        unauthenticated(
            "missing Authorization header: send \"Authorization: Bearer <ID token or setup token>\"",
        )
    })?;
    let value = value
        .to_str()
        .map_err(|_| unauthenticated("the Authorization header is not ASCII"))?;
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
        return check_id_token(state, credential).await;
    }
    Err(unauthenticated(
        "the Bearer credential is neither an ID token nor the current setup token",
    ))
}

async fn check_id_token(state: &AppState, token: &str) -> Result<AdminIdentity, AdminError> {
    let current = state.current();
    let (Some(sso), Some(keys)) = (current.sso.as_ref(), state.keys()) else {
        return Err(unauthenticated(
            "SSO is not configured on this server yet, so an ID token cannot be checked: use the setup token",
        ));
    };
    let (jwks, provider_algs) = keys.current().await?;
    let expect = IdTokenExpectations {
        issuer: sso.issuer.as_str().to_owned(),
        client_id: sso.client_id.clone(),
        // The admin API never sent an authorization request: no nonce to compare.
        nonce: None,
        trusted_audiences: Vec::new(),
        provider_algs,
        access_token: None,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut result = validate(token, &jwks, &expect, now, &HostVerifier).await;
    if let Err(IdTokenError::UnknownKey { .. }) = result {
        if let Some(fresh) = keys.refetch().await {
            result = validate(token, &fresh, &expect, now, &HostVerifier).await;
        }
    }
    let token = result.map_err(|e| {
        unauthenticated(format!(
            "the ID token was rejected ({}): {} {}",
            e.code(),
            e.title(),
            e.detail()
        ))
    })?;
    let identity = Identity::from_claims(&token.raw_claims, &current.groups_claim);
    let actor = identity
        .email
        .clone()
        .or_else(|| identity.preferred_username.clone())
        .unwrap_or_else(|| identity.sub.clone());
    let admin_groups = &state.admin_groups;
    if !identity.groups.iter().any(|g| admin_groups.contains(g)) {
        let overage = if identity.groups_source == GroupsSource::Overage {
            " (the ID token has a group overage marker instead of the groups: assign the admin group to the application or emit fewer groups)"
        } else {
            ""
        };
        return Err(AdminError::NotAdmin(format!(
            "{actor} is signed in but not an administrator: the admin API requires membership in one of: {}{overage}",
            admin_groups.join(", ")
        )));
    }
    Ok(AdminIdentity::Sso {
        subject: identity.sub.clone(),
        name: (identity.display_name() != identity.sub).then(|| identity.display_name().to_owned()),
        actor,
        groups: identity.groups,
    })
}

struct Fetched {
    jwks: Arc<Jwks>,
    provider_algs: Option<Vec<String>>,
    refresh_at: Instant,
}

#[derive(Default)]
struct KeysState {
    fetched: Option<Fetched>,
    last_forced: Option<Instant>,
}

/// The signing keys of one issuer: discovery, then its `jwks_uri`, cached.
/// A new issuer gets a new `IdpKeys`, so nothing of the old one is reused.
pub struct IdpKeys {
    issuer: String,
    client: reqwest::Client,
    /// Held across the fetch so concurrent requests share one.
    state: tokio::sync::Mutex<KeysState>,
}

impl IdpKeys {
    pub fn new(issuer: &str, client: reqwest::Client) -> Self {
        Self {
            issuer: issuer.to_owned(),
            client,
            state: tokio::sync::Mutex::new(KeysState::default()),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The cached keys, fetched when missing or older than KEYS_FRESH_FOR.
    /// If a refresh fails the previous keys stay in use.
    pub async fn current(&self) -> Result<(Arc<Jwks>, Option<Vec<String>>), AdminError> {
        let mut state = self.state.lock().await;
        if let Some(f) = state
            .fetched
            .as_ref()
            .filter(|f| Instant::now() < f.refresh_at)
        {
            return Ok((Arc::clone(&f.jwks), f.provider_algs.clone()));
        }
        match self.fetch().await {
            Ok(fetched) => {
                let out = (Arc::clone(&fetched.jwks), fetched.provider_algs.clone());
                state.fetched = Some(fetched);
                Ok(out)
            }
            Err(why) => {
                crate::log(&format!(
                    "sso-server: cannot load the signing keys of {}: {why}",
                    self.issuer
                ));
                match state.fetched.as_mut() {
                    Some(f) => {
                        f.refresh_at = Instant::now() + KEYS_RETRY_AFTER;
                        Ok((Arc::clone(&f.jwks), f.provider_algs.clone()))
                    }
                    None => Err(AdminError::IdpUnavailable(format!(
                        "the identity provider's signing keys could not be loaded to check the ID token: {why}"
                    ))),
                }
            }
        }
    }

    /// After an unknown `kid`: fetches again, unless a forced fetch happened
    /// within MIN_FORCED_REFETCH. `None` when nothing new was fetched.
    pub async fn refetch(&self) -> Option<Arc<Jwks>> {
        let mut state = self.state.lock().await;
        if state
            .last_forced
            .is_some_and(|t| t.elapsed() < MIN_FORCED_REFETCH)
        {
            return None;
        }
        state.last_forced = Some(Instant::now());
        match self.fetch().await {
            Ok(fetched) => {
                let jwks = Arc::clone(&fetched.jwks);
                state.fetched = Some(fetched);
                Some(jwks)
            }
            Err(why) => {
                crate::log(&format!(
                    "sso-server: cannot reload the signing keys of {}: {why}",
                    self.issuer
                ));
                None
            }
        }
    }

    async fn fetch(&self) -> Result<Fetched, String> {
        let url = sso_web::oidc::discovery::discovery_url(&self.issuer);
        let body = fetch_limited(&self.client, &url)
            .await
            .map_err(|e| format!("discovery from {url} failed ({e})"))?;
        let text = String::from_utf8_lossy(&body);
        let metadata = ProviderMetadata::parse(&text, &self.issuer)
            .map_err(|e| format!("discovery document unusable: {} {}", e.title(), e.detail()))?;
        let jwks_uri = metadata.jwks_uri();
        let body = fetch_limited(&self.client, jwks_uri)
            .await
            .map_err(|e| format!("JWKS from {jwks_uri} failed ({e})"))?;
        let jwks = Jwks::parse(&String::from_utf8_lossy(&body))
            .map_err(|e| format!("JWKS unusable: {} {}", e.title(), e.detail()))?;
        Ok(Fetched {
            jwks: Arc::new(jwks),
            provider_algs: metadata.id_token_signing_alg_values_supported,
            refresh_at: Instant::now() + KEYS_FRESH_FOR,
        })
    }
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
