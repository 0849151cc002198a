//! PKCE (RFC 7636): the code verifier and its S256 challenge.
//!
//! The SHA-256 itself is the caller's: the browser asks WebCrypto (one hash per sign-in
//! does not justify a SHA-256 in the bundle), the host tests use RustCrypto.

/// The only method we send; `plain` would let anyone who sees the request redeem the code.
pub const METHOD_S256: &str = "S256";

/// A verifier and its challenge, for one sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// From `verifier` and `sha256`, the SHA-256 of its ASCII bytes:
    /// `challenge = BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 section 4.2).
    /// `None` unless `sha256` is 32 bytes long.
    pub fn from_sha256(verifier: String, sha256: &[u8]) -> Option<Self> {
        (sha256.len() == 32).then(|| Pkce {
            verifier,
            challenge: super::b64::encode(sha256),
        })
    }
}

/// A verifier from 32 random bytes: 43 base64url characters (RFC 7636 section 4.1 allows 43-128).
pub fn code_verifier(random: [u8; 32]) -> String {
    super::b64::encode(&random)
}

/// The pair for `random`, hashed with RustCrypto (host tests).
#[cfg(test)]
pub(crate) fn test_pkce(random: [u8; 32]) -> Pkce {
    use sha2::{Digest, Sha256};
    let verifier = code_verifier(random);
    let digest = Sha256::digest(verifier.as_bytes());
    Pkce::from_sha256(verifier, &digest).expect("a SHA-256 is 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn rfc7636_appendix_b_vector() {
        let random = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = code_verifier(random);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let digest = Sha256::digest(verifier.as_bytes());
        let pkce = Pkce::from_sha256(verifier.clone(), &digest).unwrap();
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        // Anything but 32 bytes is not a SHA-256.
        assert_eq!(Pkce::from_sha256(verifier.clone(), &digest[..31]), None);
        assert_eq!(Pkce::from_sha256(verifier, &[]), None);
    }

    #[test]
    fn verifier_is_43_unreserved_chars() {
        let verifier = code_verifier([0xff; 32]);
        assert_eq!(verifier.len(), 43);
        assert!(verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
    }

    #[test]
    fn different_randomness_gives_different_verifiers() {
        assert_ne!(code_verifier([1; 32]), code_verifier([2; 32]));
    }
}
