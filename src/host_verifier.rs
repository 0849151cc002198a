//! [`SignatureVerifier`] on RustCrypto through jsonwebtoken, for everything that runs on
//! the host: sso-server (ID tokens on the admin API) and this crate's host tests. The
//! browser verifies with WebCrypto (`auth::webcrypto`); none of this is in the bundle.

use crate::oidc::jwks::Jwk;
use crate::oidc::jwt::{Algorithm, Hash};
use crate::oidc::{b64, SignatureVerifier};

pub struct HostVerifier;

impl SignatureVerifier for HostVerifier {
    async fn verify(
        &self,
        alg: Algorithm,
        key: &Jwk,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        // From the public JWK alone, as WebCrypto imports it.
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(key.public_jwk()).map_err(|e| e.to_string())?;
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
        let alg: jsonwebtoken::Algorithm = alg
            .name()
            .parse()
            .map_err(|e: jsonwebtoken::errors::Error| e.to_string())?;
        jsonwebtoken::crypto::verify(&b64::encode(signature), signing_input, &key, alg)
            .map_err(|e| e.to_string())
    }

    async fn digest(&self, hash: Hash, data: &[u8]) -> Result<Vec<u8>, String> {
        use sha2::{Digest, Sha256, Sha384, Sha512};
        Ok(match hash {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        })
    }
}
