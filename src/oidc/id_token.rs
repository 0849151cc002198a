//! ID token validation, every rule of OpenID Connect Core 1.0 section 3.1.3.7.
//!
//! Order matters: the signature is checked before any claim is believed, so a claim
//! error is only ever reported for a token the provider really signed.

use super::error::{IdTokenError, OidcError, IAT_LEEWAY_SECS};
use super::jwks::Jwk;
use super::jwks::Jwks;
use super::jwt::{self, Algorithm, Hash, JoseHeader};
use serde_json::{Map, Value};
use std::future::Future;

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
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
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
