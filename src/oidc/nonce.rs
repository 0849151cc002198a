//! The nonce that binds a sign-in to the browser that started it (OIDC Core 15.5.2).
//!
//! Per sign-in the browser makes a `nonce_secret` and sends only its hash as the `nonce`:
//! `nonce = BASE64URL(SHA256(ASCII(nonce_secret)))`, as PKCE's S256 derives a challenge from
//! a verifier. The ID token carries the hash; only this browser knows the secret, so only it
//! can trade the token for a server session. The hashing is the caller's (WebCrypto in the
//! browser, RustCrypto on the server).

use super::b64;

/// A secret and the nonce derived from it, for one sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceBinding {
    pub secret: String,
    pub nonce: String,
}

impl NonceBinding {
    /// From `secret` and `sha256`, the SHA-256 of its ASCII bytes; `None` unless `sha256`
    /// is 32 bytes long.
    pub fn from_sha256(secret: String, sha256: &[u8]) -> Option<Self> {
        nonce_from_sha256(sha256).map(|nonce| NonceBinding { secret, nonce })
    }
}

/// A secret from 32 random bytes: 43 base64url characters.
pub fn nonce_secret(random: [u8; 32]) -> String {
    b64::encode(&random)
}

/// The nonce for a secret whose SHA-256 is `sha256`.
pub fn nonce_from_sha256(sha256: &[u8]) -> Option<String> {
    (sha256.len() == 32).then(|| b64::encode(sha256))
}

/// Whether `secret` has the shape [`nonce_secret`] gives: 43 base64url characters.
pub fn is_nonce_secret(secret: &str) -> bool {
    secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// The binding for `random`, hashed with RustCrypto.
    pub(crate) fn test_binding(random: [u8; 32]) -> NonceBinding {
        let secret = nonce_secret(random);
        let digest = Sha256::digest(secret.as_bytes());
        NonceBinding::from_sha256(secret, &digest).expect("a SHA-256 is 32 bytes")
    }

    #[test]
    fn the_nonce_is_the_s256_of_the_secret() {
        // RFC 7636 Appendix B's verifier and challenge: the same derivation.
        let secret = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_string();
        let digest = Sha256::digest(secret.as_bytes());
        let binding = NonceBinding::from_sha256(secret.clone(), &digest).unwrap();
        assert_eq!(binding.nonce, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(binding.secret, secret);
        assert_eq!(NonceBinding::from_sha256(secret, &digest[..31]), None);
    }

    #[test]
    fn secrets_are_43_base64url_characters() {
        let secret = nonce_secret([0xfb; 32]);
        assert!(is_nonce_secret(&secret), "{secret}");
        assert_ne!(nonce_secret([1; 32]), nonce_secret([2; 32]));
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}+", "a".repeat(42)),
        ] {
            assert!(!is_nonce_secret(bad), "{bad}");
        }
    }
}
