//! Test support: fixed keys, token signing on the host, and a host `SignatureVerifier`.
#![allow(dead_code)]

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sso_web::oidc::id_token::IdTokenExpectations;
use sso_web::oidc::{b64, Jwks};

pub const ISSUER: &str = "https://idp.example.com";
pub const CLIENT_ID: &str = "sso-web";
pub const NONCE: &str = "n-0S6_WzA2Mj";
/// A fixed "now": 2026-01-01T00:00:00Z.
pub const NOW: u64 = 1_767_225_600;

pub fn keys() -> Value {
    serde_json::from_str(include_str!("../fixtures/test_keys.json")).expect("fixture parses")
}

pub fn jwk(name: &str) -> Value {
    keys()[name]["jwk"].clone()
}

pub fn jwks(names: &[&str]) -> Jwks {
    let keys: Vec<Value> = names.iter().map(|n| jwk(n)).collect();
    Jwks::parse(&json!({ "keys": keys }).to_string()).expect("jwks parses")
}

/// Claims that pass every check at [`NOW`].
pub fn good_claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT_ID,
        "exp": NOW + 3600,
        "iat": NOW - 5,
        "nonce": NONCE,
        "name": "Alice Anderson",
        "preferred_username": "alice",
        "email": "alice@example.com",
        "email_verified": true,
        "groups": ["admins", "ml-team"]
    })
}

pub fn expectations() -> IdTokenExpectations {
    IdTokenExpectations {
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        nonce: Some(NONCE.into()),
        trusted_audiences: vec![],
        provider_algs: None,
        access_token: None,
    }
}

fn encoding_key(name: &str) -> EncodingKey {
    let pem = keys()[name]["private_pem"]
        .as_str()
        .expect("pem")
        .to_string();
    match name {
        "es256" | "es384" => EncodingKey::from_ec_pem(pem.as_bytes()),
        "eddsa" => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .expect("test key loads")
}

pub fn alg_of(name: &str) -> Algorithm {
    keys()[name]["alg"]
        .as_str()
        .expect("alg")
        .parse()
        .expect("known alg")
}

/// Signs `claims` with the named fixture key; the header names its kid.
pub fn sign(name: &str, claims: &Value) -> String {
    sign_as(name, alg_of(name), claims)
}

/// Signs with the named key under an explicit algorithm (for keys not pinned to one).
pub fn sign_as(name: &str, alg: Algorithm, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = keys()[name]["kid"].as_str().map(str::to_string);
    jsonwebtoken::encode(&header, claims, &encoding_key(name)).expect("signs")
}

/// Signs with an arbitrary header JSON (for alg/kid/crit attacks).
pub fn sign_with_header(name: &str, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(claims.to_string().as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &encoding_key(name), alg_of(name))
        .expect("signs");
    format!("{input}.{signature}")
}

pub use sso_web::host_verifier::HostVerifier;

/// The PKCE pair for `random`, hashed with RustCrypto as the browser hashes with WebCrypto.
pub fn pkce(random: [u8; 32]) -> sso_web::oidc::pkce::Pkce {
    use sha2::{Digest, Sha256};
    let verifier = sso_web::oidc::pkce::code_verifier(random);
    let digest = Sha256::digest(verifier.as_bytes());
    sso_web::oidc::pkce::Pkce::from_sha256(verifier, &digest).expect("a SHA-256 is 32 bytes")
}

/// The nonce and its secret for `random`, hashed with RustCrypto as the browser hashes
/// with WebCrypto.
pub fn nonce(random: [u8; 32]) -> sso_web::oidc::nonce::NonceBinding {
    use sha2::{Digest, Sha256};
    let secret = sso_web::oidc::nonce::nonce_secret(random);
    let digest = Sha256::digest(secret.as_bytes());
    sso_web::oidc::nonce::NonceBinding::from_sha256(secret, &digest).expect("a SHA-256 is 32 bytes")
}
