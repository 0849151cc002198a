//! ID token validation, every rule of OpenID Connect Core 1.0 section 3.1.3.7.
//!
//! Order matters: the signature is checked before any claim is believed, so a claim
//! error is only ever reported for a token the provider really signed.

use super::error::OidcError;
use super::jwks::Jwk;
use super::jwks::Jwks;
use super::jwt::{self, Algorithm, Hash, JoseHeader};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::future::Future;

/// Clock skew tolerated for `iat` in the future.
pub const IAT_LEEWAY_SECS: u64 = 60;

/// Asymmetric algorithms only: `none` is never acceptable, and HS* would let anyone
/// holding the (public) client_id-derived secret forge tokens for a public client.
pub const ALLOWED_ALGS: [Algorithm; 9] = Algorithm::ALL;

/// The cryptography validation needs: the browser implements it with WebCrypto, the host
/// (sso-server, host tests) with RustCrypto. `verify`: `Ok(false)` is a wrong signature;
/// `Err` means the key or algorithm could not be used. `digest` hashes for `at_hash`; it is
/// here rather than in the bundle so the browser needs no SHA-384/512 code of its own.
#[allow(async_fn_in_trait)]
pub trait SignatureVerifier {
    async fn verify(
        &self,
        alg: Algorithm,
        key: &Jwk,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String>;

    async fn digest(&self, hash: Hash, data: &[u8]) -> Result<Vec<u8>, String>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenExpectations {
    pub issuer: String,
    pub client_id: String,
    /// The nonce sent in the authorization request. The browser flow always sends one, so
    /// it is always `Some` there; `None` is for a resource server (sso-server) that
    /// receives an ID token as a bearer credential and never saw the request.
    pub nonce: Option<String>,
    /// Audiences besides client_id that may appear in `aud` (Core 3.1.3.7 step 3).
    pub trusted_audiences: Vec<String>,
    /// The provider's `id_token_signing_alg_values_supported`, when it published one.
    pub provider_algs: Option<Vec<String>>,
    /// An access token that came with the ID token in an implicit response: `at_hash`
    /// must then bind them (Core 3.2.2.9).
    pub access_token: Option<String>,
}

/// The registered claims we check, typed; everything else stays in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: u64,
    pub iat: u64,
    pub nonce: Option<String>,
    pub azp: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedIdToken {
    pub header: JoseHeader,
    pub claims: IdTokenClaims,
    /// Every claim as the provider sent it, for identity mapping and the raw view.
    pub raw_claims: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IdTokenError {
    Malformed {
        detail: String,
    },
    UnsupportedAlg {
        alg: String,
    },
    CritUnsupported {
        names: Vec<String>,
    },
    UnexpectedTyp {
        typ: String,
    },
    UnknownKey {
        kid: Option<String>,
    },
    KeyUnsuitable {
        kid: String,
        alg: String,
    },
    AmbiguousKey,
    KeyUnusable {
        detail: String,
    },
    BadSignature,
    IssuerMismatch {
        expected: String,
        found: String,
    },
    AudienceMismatch {
        client_id: String,
        aud: Vec<String>,
    },
    UntrustedAudience {
        audience: String,
    },
    AzpMismatch {
        client_id: String,
        azp: Option<String>,
    },
    ExpMissing,
    Expired {
        exp: u64,
        now: u64,
    },
    IatMissing,
    IssuedInFuture {
        iat: u64,
        now: u64,
    },
    NonceMissing,
    NonceMismatch,
    AtHashMissing,
    AtHashMismatch,
    SubMissing,
}

impl IdTokenError {
    pub fn code(&self) -> &'static str {
        match self {
            IdTokenError::Malformed { .. } => "malformed_token",
            IdTokenError::UnsupportedAlg { .. } => "unsupported_alg",
            IdTokenError::CritUnsupported { .. } => "unsupported_crit",
            IdTokenError::UnexpectedTyp { .. } => "unexpected_typ",
            IdTokenError::UnknownKey { .. } => "unknown_key",
            IdTokenError::KeyUnsuitable { .. } => "key_unsuitable",
            IdTokenError::AmbiguousKey => "ambiguous_key",
            IdTokenError::KeyUnusable { .. } => "key_unusable",
            IdTokenError::BadSignature => "bad_signature",
            IdTokenError::IssuerMismatch { .. } => "issuer_mismatch",
            IdTokenError::AudienceMismatch { .. } => "audience_mismatch",
            IdTokenError::UntrustedAudience { .. } => "audience_untrusted",
            IdTokenError::AzpMismatch { .. } => "azp_mismatch",
            IdTokenError::ExpMissing => "exp_missing",
            IdTokenError::Expired { .. } => "token_expired",
            IdTokenError::IatMissing => "iat_missing",
            IdTokenError::IssuedInFuture { .. } => "iat_in_future",
            IdTokenError::NonceMissing => "nonce_missing",
            IdTokenError::NonceMismatch => "nonce_mismatch",
            IdTokenError::AtHashMissing => "at_hash_missing",
            IdTokenError::AtHashMismatch => "at_hash_mismatch",
            IdTokenError::SubMissing => "sub_missing",
        }
    }

    pub fn title(&self) -> String {
        match self {
            IdTokenError::Malformed { .. } => "The ID token is malformed.",
            IdTokenError::UnsupportedAlg { .. } => {
                "The ID token uses a signing algorithm that is not allowed."
            }
            IdTokenError::CritUnsupported { .. } => {
                "The ID token requires header extensions this client does not understand."
            }
            IdTokenError::UnexpectedTyp { .. } => "The token is not an ID token.",
            IdTokenError::UnknownKey { .. } => {
                "The ID token was signed with a key the provider does not publish."
            }
            IdTokenError::KeyUnsuitable { .. } => {
                "The ID token names a signing key that cannot verify it."
            }
            IdTokenError::AmbiguousKey => {
                "The ID token does not say which of the provider's keys signed it."
            }
            IdTokenError::KeyUnusable { .. } => "The provider's signing key could not be used.",
            IdTokenError::BadSignature => "The ID token's signature is invalid.",
            IdTokenError::IssuerMismatch { .. } => "The ID token was issued by a different issuer.",
            IdTokenError::AudienceMismatch { .. } => {
                "The ID token was issued for a different application."
            }
            IdTokenError::UntrustedAudience { .. } => {
                "The ID token is also addressed to an untrusted audience."
            }
            IdTokenError::AzpMismatch { .. } => {
                "The ID token's authorized party is not this application."
            }
            IdTokenError::ExpMissing => "The ID token has no expiry time.",
            IdTokenError::Expired { .. } => "The ID token has expired.",
            IdTokenError::IatMissing => "The ID token has no issue time.",
            IdTokenError::IssuedInFuture { .. } => {
                "The ID token claims to be issued in the future."
            }
            IdTokenError::NonceMissing => "The ID token carries no nonce.",
            IdTokenError::NonceMismatch => "The ID token's nonce does not match this sign-in.",
            IdTokenError::AtHashMissing => {
                "The ID token does not vouch for the access token sent with it."
            }
            IdTokenError::AtHashMismatch => "The access token does not belong to this ID token.",
            IdTokenError::SubMissing => "The ID token does not identify the user.",
        }
        .to_string()
    }

    pub fn detail(&self) -> String {
        match self {
            IdTokenError::Malformed { detail } | IdTokenError::KeyUnusable { detail } => detail.clone(),
            IdTokenError::UnsupportedAlg { alg } => format!("alg \"{alg}\"; allowed: RS256/384/512, PS256/384/512, ES256, ES384, EdDSA."),
            IdTokenError::CritUnsupported { names } => format!("crit: {}", super::json::list(names)),
            IdTokenError::UnexpectedTyp { typ } => format!(
                "typ \"{typ}\" marks another kind of JWT (RFC 8725 3.11); an ID token has typ JWT or none."
            ),
            IdTokenError::UnknownKey { kid: Some(kid) } => format!("kid \"{kid}\" is not in the provider's JWKS, even after reloading it."),
            IdTokenError::UnknownKey { kid: None } => "The header has no kid and the JWKS has no key suited to its algorithm.".into(),
            IdTokenError::KeyUnsuitable { kid, alg } => format!("Key \"{kid}\" cannot verify {alg} (key type, curve, use or alg differ)."),
            IdTokenError::AmbiguousKey => "The header has no kid and the JWKS holds several suitable keys (Core 10.1 requires a kid then).".into(),
            IdTokenError::BadSignature => "The signature does not verify with the provider's published key.".into(),
            IdTokenError::IssuerMismatch { expected, found } => format!("Expected iss \"{expected}\", got \"{found}\"."),
            IdTokenError::AudienceMismatch { client_id, aud } => format!("Expected aud to contain \"{client_id}\", got {}.", super::json::list(aud)),
            IdTokenError::UntrustedAudience { audience } => format!("Audience \"{audience}\" is not trusted."),
            IdTokenError::AzpMismatch { client_id, azp: Some(azp) } => format!("azp is \"{azp}\", expected \"{client_id}\"."),
            IdTokenError::AzpMismatch { client_id, azp: None } => format!("The token has several audiences but no azp (expected \"{client_id}\")."),
            IdTokenError::ExpMissing => "Claim exp is absent or not a number.".into(),
            IdTokenError::Expired { exp, now } => format!("exp {exp} is {} s before now ({now}).", now.saturating_sub(*exp)),
            IdTokenError::IatMissing => "Claim iat is absent or not a number.".into(),
            IdTokenError::IssuedInFuture { iat, now } => format!("iat {iat} is {} s after now ({now}); {IAT_LEEWAY_SECS} s of clock skew is tolerated.", iat.saturating_sub(*now)),
            IdTokenError::NonceMissing => "The authorization request sent a nonce, so the ID token must return it.".into(),
            IdTokenError::NonceMismatch => "The nonce differs from the one this browser sent: the token may have been replayed or injected.".into(),
            IdTokenError::AtHashMissing => "An access token came with the ID token, so at_hash is required (Core 3.2.2.9).".into(),
            IdTokenError::AtHashMismatch => "at_hash differs from the hash of the access token: it may have been swapped.".into(),
            IdTokenError::SubMissing => "Claim sub is absent, blank or not a string.".into(),
        }
    }

    pub fn hint(&self) -> String {
        match self {
            IdTokenError::UnsupportedAlg { .. } => "Configure the provider to sign ID tokens with RS256 (or another asymmetric algorithm listed).",
            IdTokenError::UnknownKey { .. } | IdTokenError::KeyUnsuitable { .. } | IdTokenError::AmbiguousKey | IdTokenError::KeyUnusable { .. } => "Check the provider's signing key configuration; if keys were just rotated, sign in again.",
            IdTokenError::IssuerMismatch { .. } => "The token came from another issuer or tenant than the one configured; check which provider and tenant the application is registered in.",
            IdTokenError::AudienceMismatch { .. } | IdTokenError::UntrustedAudience { .. } | IdTokenError::AzpMismatch { .. } => "Check that the configured client ID is the one registered for this application.",
            IdTokenError::Expired { .. } | IdTokenError::IssuedInFuture { .. } => "Check that this computer's clock is correct, then sign in again.",
            _ => "Sign in again. If it repeats, an administrator should check the provider's token settings.",
        }
        .to_string()
    }
}

/// Validates `raw` against the keys in `jwks`, per Core 3.1.3.7.
pub async fn validate<V: SignatureVerifier>(
    raw: &str,
    jwks: &Jwks,
    expect: &IdTokenExpectations,
    now: u64,
    verifier: &V,
) -> Result<ValidatedIdToken, IdTokenError> {
    let jwt = jwt::decode(raw)?;
    let alg = allowed_alg(&jwt.header.alg, expect.provider_algs.as_deref())?;
    if let Some(crit) = jwt.header.crit.as_ref() {
        // RFC 7515 4.1.11: we understand no extensions, so any crit entry is fatal.
        return Err(IdTokenError::CritUnsupported {
            names: crit.clone(),
        });
    }
    if let Some(typ) = jwt.header.typ.as_deref() {
        // An access token or logout token signed by the same key must not pass as an ID token.
        if !typ.eq_ignore_ascii_case("JWT") && !typ.eq_ignore_ascii_case("application/jwt") {
            return Err(IdTokenError::UnexpectedTyp {
                typ: typ.to_string(),
            });
        }
    }
    let key = jwks.select(alg, jwt.header.kid.as_deref())?;
    let verified = verifier
        .verify(alg, key, jwt.signing_input.as_bytes(), &jwt.signature)
        .await
        .map_err(|detail| IdTokenError::KeyUnusable { detail })?;
    if !verified {
        return Err(IdTokenError::BadSignature);
    }
    let claims = check_claims(&jwt.claims, expect, now)?;
    if let Some(access_token) = expect.access_token.as_deref() {
        let at_hash = jwt
            .claims
            .get("at_hash")
            .and_then(Value::as_str)
            .ok_or(IdTokenError::AtHashMissing)?;
        let hash = alg.hash();
        let digest = verifier
            .digest(hash, access_token.as_bytes())
            .await
            .map_err(|detail| IdTokenError::KeyUnusable { detail })?;
        // A short digest would make the comparison meaningless (an empty one matches "").
        if digest.len() != hash.digest_len() {
            return Err(IdTokenError::KeyUnusable {
                detail: format!(
                    "{} returned {} bytes instead of {}",
                    hash.name(),
                    digest.len(),
                    hash.digest_len()
                ),
            });
        }
        if !constant_time_eq(at_hash.as_bytes(), token_hash(&digest).as_bytes()) {
            return Err(IdTokenError::AtHashMismatch);
        }
    }
    Ok(ValidatedIdToken {
        header: jwt.header,
        claims,
        raw_claims: jwt.claims,
    })
}

/// Validates, and on an unknown `kid` reloads the JWKS once: providers rotate keys and
/// a cached set may predate the token (Core 10.1.1).
pub async fn validate_with_rotation<V, F, Fut>(
    raw: &str,
    jwks: &Jwks,
    reload_jwks: F,
    expect: &IdTokenExpectations,
    now: u64,
    verifier: &V,
) -> Result<ValidatedIdToken, OidcError>
where
    V: SignatureVerifier,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Jwks, OidcError>>,
{
    match validate(raw, jwks, expect, now, verifier).await {
        Err(IdTokenError::UnknownKey { .. }) => {
            let fresh = reload_jwks().await?;
            Ok(validate(raw, &fresh, expect, now, verifier).await?)
        }
        other => Ok(other?),
    }
}

fn allowed_alg(alg: &str, provider_algs: Option<&[String]>) -> Result<Algorithm, IdTokenError> {
    let unsupported = || IdTokenError::UnsupportedAlg {
        alg: alg.to_string(),
    };
    let parsed = Algorithm::from_name(alg).ok_or_else(unsupported)?;
    if !ALLOWED_ALGS.contains(&parsed) {
        return Err(unsupported());
    }
    // A token signed with an algorithm the provider says it never uses is suspect.
    if provider_algs.is_some_and(|algs| !algs.iter().any(|a| a == alg)) {
        return Err(unsupported());
    }
    Ok(parsed)
}

fn check_claims(
    claims: &Map<String, Value>,
    expect: &IdTokenExpectations,
    now: u64,
) -> Result<IdTokenClaims, IdTokenError> {
    // Step 2: iss exactly.
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if iss != expect.issuer {
        return Err(IdTokenError::IssuerMismatch {
            expected: expect.issuer.clone(),
            found: iss.to_string(),
        });
    }
    // Step 3: aud contains client_id; other audiences must be trusted.
    // A non-string entry is refused rather than skipped: skipping it would hide an
    // extra audience from the trust and azp checks below.
    let aud: Vec<String> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) if many.iter().all(Value::is_string) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if !aud.contains(&expect.client_id) {
        return Err(IdTokenError::AudienceMismatch {
            client_id: expect.client_id.clone(),
            aud,
        });
    }
    if let Some(other) = aud
        .iter()
        .find(|a| **a != expect.client_id && !expect.trusted_audiences.contains(a))
    {
        return Err(IdTokenError::UntrustedAudience {
            audience: other.clone(),
        });
    }
    // Steps 4 and 5: azp required with several audiences, and must be us when present.
    let azp = match claims.get("azp") {
        None => None,
        Some(Value::String(azp)) => Some(azp.clone()),
        Some(other) => Some(format!("{other} (not a string)")),
    };
    match &azp {
        Some(azp) if *azp != expect.client_id => {
            return Err(IdTokenError::AzpMismatch {
                client_id: expect.client_id.clone(),
                azp: Some(azp.clone()),
            })
        }
        None if aud.len() > 1 => {
            return Err(IdTokenError::AzpMismatch {
                client_id: expect.client_id.clone(),
                azp: None,
            })
        }
        _ => {}
    }
    // Step 9: now must be before exp.
    let exp = numeric_date(claims, "exp").ok_or(IdTokenError::ExpMissing)?;
    if now >= exp {
        return Err(IdTokenError::Expired { exp, now });
    }
    // Step 10: iat present, and not in the future beyond the skew allowance.
    let iat = numeric_date(claims, "iat").ok_or(IdTokenError::IatMissing)?;
    if iat > now.saturating_add(IAT_LEEWAY_SECS) {
        return Err(IdTokenError::IssuedInFuture { iat, now });
    }
    // Step 11: nonce equals the one we sent (when we sent one).
    let nonce = claims.get("nonce").and_then(Value::as_str);
    if let Some(sent) = expect.nonce.as_deref() {
        let received = nonce.ok_or(IdTokenError::NonceMissing)?;
        if !constant_time_eq(received.as_bytes(), sent.as_bytes()) {
            return Err(IdTokenError::NonceMismatch);
        }
    }
    // Core 2: sub is REQUIRED and identifies the user within the issuer.
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or(IdTokenError::SubMissing)?;
    Ok(IdTokenClaims {
        iss: iss.to_string(),
        sub: sub.to_string(),
        aud,
        exp,
        iat,
        nonce: nonce.map(str::to_string),
        azp,
    })
}

/// `at_hash`/`c_hash` (Core 3.1.3.6): base64url of the left half of the token's hash
/// under [`Algorithm::hash`].
pub fn token_hash(digest: &[u8]) -> String {
    super::b64::encode(&digest[..digest.len() / 2])
}

/// NumericDate (RFC 7519 2): seconds, possibly fractional; negative or absent is missing.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Option<u64> {
    let value = claims.get(name)?;
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f as u64)
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alg_allow_list() {
        for bad in ["none", "HS256", "HS384", "HS512", "RS1", "", "rs256"] {
            let err = allowed_alg(bad, None).unwrap_err();
            assert_eq!(err.code(), "unsupported_alg", "{bad}");
        }
        for good in ["RS256", "PS256", "ES256", "ES384", "EdDSA"] {
            assert!(allowed_alg(good, None).is_ok(), "{good}");
        }
        let provider = vec!["RS256".to_string()];
        assert_eq!(
            allowed_alg("ES256", Some(&provider)).unwrap_err().code(),
            "unsupported_alg"
        );
    }

    #[test]
    fn numeric_dates_accept_fractions_and_reject_junk() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"a": 10, "b": 10.7, "c": "10", "d": -1}"#).unwrap();
        assert_eq!(numeric_date(&claims, "a"), Some(10));
        assert_eq!(numeric_date(&claims, "b"), Some(10));
        assert_eq!(numeric_date(&claims, "c"), None);
        assert_eq!(numeric_date(&claims, "d"), None);
    }

    #[test]
    fn token_hash_matches_the_core_spec_example() {
        // OIDC Core A.3/A.4: access_token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
        // at_hash "77QmUPtjPfzWtF2AnpK9RQ" with RS256.
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y");
        assert_eq!(token_hash(&digest), "77QmUPtjPfzWtF2AnpK9RQ");
    }

    #[test]
    fn at_hash_uses_the_algorithms_hash() {
        assert_eq!(Algorithm::RS256.hash(), Hash::Sha256);
        assert_eq!(Algorithm::PS256.hash(), Hash::Sha256);
        assert_eq!(Algorithm::ES256.hash(), Hash::Sha256);
        assert_eq!(Algorithm::RS384.hash(), Hash::Sha384);
        assert_eq!(Algorithm::ES384.hash(), Hash::Sha384);
        assert_eq!(Algorithm::PS512.hash(), Hash::Sha512);
        // Ed25519 signs with SHA-512 inside; Core's at_hash follows it.
        assert_eq!(Algorithm::EdDSA.hash(), Hash::Sha512);
        assert_eq!(token_hash(&[0; 48]).len(), 32);
        assert_eq!(token_hash(&[0; 64]).len(), 43);
    }

    #[test]
    fn constant_time_eq_compares_fully() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
