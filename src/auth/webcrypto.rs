//! [`SignatureVerifier`] on WebCrypto's SubtleCrypto: RS*, PS*, ES256/384 and Ed25519
//! signatures, and the SHA-2 digests for `at_hash`.
//!
//! The JWK handed to `importKey` is rebuilt from the public parameters only, so a
//! provider's `alg`/`use`/`key_ops` members cannot make the import fail or widen its use.

use super::browser::{js_text, window};
use crate::oidc::jwks::{Jwk, KeyParams};
use crate::oidc::jwt::{Algorithm, Hash};
use crate::oidc::SignatureVerifier;
use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub struct WebCryptoVerifier;

/// `(importKey algorithm, verify algorithm)` for a JWS `alg` (RFC 7518 section 3); every
/// [`Algorithm`] has one, so there is no error case.
fn algorithms(alg: Algorithm) -> (serde_json::Value, serde_json::Value) {
    let rsa = |hash: &str| json!({"name": "RSASSA-PKCS1-v1_5", "hash": hash});
    let pss = |hash: &str| json!({"name": "RSA-PSS", "hash": hash});
    let ec = |curve: &str| json!({"name": "ECDSA", "namedCurve": curve});
    match alg {
        Algorithm::RS256 => (rsa("SHA-256"), json!({"name": "RSASSA-PKCS1-v1_5"})),
        Algorithm::RS384 => (rsa("SHA-384"), json!({"name": "RSASSA-PKCS1-v1_5"})),
        Algorithm::RS512 => (rsa("SHA-512"), json!({"name": "RSASSA-PKCS1-v1_5"})),
        // JWA 3.5: the salt is as long as the hash.
        Algorithm::PS256 => (pss("SHA-256"), json!({"name": "RSA-PSS", "saltLength": 32})),
        Algorithm::PS384 => (pss("SHA-384"), json!({"name": "RSA-PSS", "saltLength": 48})),
        Algorithm::PS512 => (pss("SHA-512"), json!({"name": "RSA-PSS", "saltLength": 64})),
        Algorithm::ES256 => (ec("P-256"), json!({"name": "ECDSA", "hash": "SHA-256"})),
        Algorithm::ES384 => (ec("P-384"), json!({"name": "ECDSA", "hash": "SHA-384"})),
        Algorithm::EdDSA => (json!({"name": "Ed25519"}), json!({"name": "Ed25519"})),
    }
}

fn public_jwk(key: &Jwk) -> Result<serde_json::Value, String> {
    match &key.params {
        KeyParams::Rsa { n, e } => Ok(json!({
            "kty": "RSA",
            "n": without_leading_zeros(n)?,
            "e": without_leading_zeros(e)?,
        })),
        KeyParams::Ec { crv, .. } | KeyParams::Okp { crv, .. }
            if !["P-256", "P-384", "Ed25519"].contains(&crv.as_str()) =>
        {
            Err(format!("curve {crv} is not supported"))
        }
        _ => Ok(key.public_jwk()),
    }
}

/// Some IdPs (often Java-based) publish `n` with a leading zero byte; Chromium's JWK
/// import refuses that, while RFC 7518 6.3.1.1 only says it MUST NOT be there.
fn without_leading_zeros(value: &str) -> Result<String, String> {
    let bytes = crate::oidc::b64::decode(value).ok_or("RSA key member is not base64url")?;
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    Ok(crate::oidc::b64::encode(&bytes[start..]))
}

fn to_js(value: &serde_json::Value) -> Result<js_sys::Object, String> {
    js_sys::JSON::parse(&value.to_string())
        .map_err(|e| js_text(&e))?
        .dyn_into::<js_sys::Object>()
        .map_err(|_| "not an object".to_string())
}

impl SignatureVerifier for WebCryptoVerifier {
    async fn verify(
        &self,
        alg: Algorithm,
        key: &Jwk,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        let (import_alg, verify_alg) = algorithms(alg);
        let _span = super::browser::Span::start("verify");
        let subtle = subtle()?;
        let usages = js_sys::Array::of1(&"verify".into());
        let import = subtle
            .import_key_with_object(
                "jwk",
                &to_js(&public_jwk(key)?)?,
                &to_js(&import_alg)?,
                false,
                &usages,
            )
            .map_err(|e| format!("importKey: {}", js_text(&e)))?;
        let crypto_key: web_sys::CryptoKey = JsFuture::from(import)
            .await
            .map_err(|e| format!("importKey: {}", js_text(&e)))?
            .dyn_into()
            .map_err(|_| "importKey returned no CryptoKey".to_string())?;
        let verified = subtle
            .verify_with_object_and_u8_array_and_u8_array(
                &to_js(&verify_alg)?,
                &crypto_key,
                signature,
                signing_input,
            )
            .map_err(|e| format!("verify: {}", js_text(&e)))?;
        let result = JsFuture::from(verified)
            .await
            .map_err(|e| format!("verify: {}", js_text(&e)))?;
        Ok(result.as_bool() == Some(true))
    }

    async fn digest(&self, hash: Hash, data: &[u8]) -> Result<Vec<u8>, String> {
        let digest = subtle()?
            .digest_with_str_and_u8_array(hash.name(), data)
            .map_err(|e| format!("digest: {}", js_text(&e)))?;
        let buffer = JsFuture::from(digest)
            .await
            .map_err(|e| format!("digest: {}", js_text(&e)))?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }
}

fn subtle() -> Result<web_sys::SubtleCrypto, String> {
    Ok(window()
        .map_err(|e| e.detail())?
        .crypto()
        .map_err(|e| js_text(&e))?
        .subtle())
}
