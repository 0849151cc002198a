//! OIDC Core 3.1.3.7, rule by rule: one passing token per algorithm, and for each rule
//! a token that breaks only that rule, asserting the specific error code.

// Host tests: signatures are checked by sso_web::host_verifier (RustCrypto); the browser's
// WebCrypto verifier has its own tests in tests/web.rs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use serde_json::{json, Value};
use sso_web::oidc::id_token::{validate, validate_with_rotation};
use sso_web::oidc::IdTokenError;
use sso_web::oidc::{Jwks, OidcError};
use std::cell::Cell;

fn check(
    token: &str,
    jwks: &Jwks,
) -> Result<sso_web::oidc::id_token::ValidatedIdToken, IdTokenError> {
    pollster::block_on(validate(token, jwks, &expectations(), NOW, &HostVerifier))
}

fn code_for(claims: Value) -> &'static str {
    let token = sign("rs256", &claims);
    check(&token, &jwks(&["rs256"])).unwrap_err().code()
}

fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut claims = good_claims();
    edit(&mut claims);
    claims
}

#[test]
fn valid_tokens_pass_for_every_supported_algorithm() {
    let all = jwks(&["rs256", "ps256", "es256", "es384", "eddsa"]);
    for key in ["rs256", "ps256", "es256", "es384", "eddsa"] {
        let token = sign(key, &good_claims());
        let valid = check(&token, &all).unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(valid.claims.sub, "248289761001");
        assert_eq!(valid.claims.aud, vec![CLIENT_ID]);
        assert_eq!(
            valid.header.kid.as_deref(),
            common::keys()[key]["kid"].as_str()
        );
        assert_eq!(valid.raw_claims["email"], "alice@example.com");
    }
}

// Step 6/7: signature and algorithm.

#[test]
fn tampered_payload_is_bad_signature() {
    let token = sign("rs256", &good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged =
        sso_web::oidc::b64::encode(with(|c| c["sub"] = "admin".into()).to_string().as_bytes());
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(
        check(&tampered, &jwks(&["rs256"])).unwrap_err(),
        IdTokenError::BadSignature
    );
}

#[test]
fn signature_by_another_key_with_the_same_kid_is_bad_signature() {
    // Attacker signs with their own key but claims the provider's kid.
    let header = json!({"alg": "RS256", "kid": "test-rsa-1"});
    let token = sign_with_header("rsa_other", &header, &good_claims());
    assert_eq!(
        check(&token, &jwks(&["rs256"])).unwrap_err().code(),
        "bad_signature"
    );
}

#[test]
fn alg_none_is_unsupported_alg() {
    let header = sso_web::oidc::b64::encode(br#"{"alg":"none"}"#);
    let payload = sso_web::oidc::b64::encode(good_claims().to_string().as_bytes());
    let token = format!("{header}.{payload}.");
    assert_eq!(
        check(&token, &jwks(&["rs256"])).unwrap_err().code(),
        "unsupported_alg"
    );
}

#[test]
fn hs256_against_a_public_key_is_unsupported_alg() {
    // The classic confusion attack: HMAC keyed with the RSA public key's bytes.
    let header = sso_web::oidc::b64::encode(br#"{"alg":"HS256","kid":"test-rsa-1"}"#);
    let payload = sso_web::oidc::b64::encode(good_claims().to_string().as_bytes());
    let token = format!("{header}.{payload}.c2lnbmF0dXJl");
    assert_eq!(
        check(&token, &jwks(&["rs256"])).unwrap_err(),
        IdTokenError::UnsupportedAlg {
            alg: "HS256".into()
        }
    );
}

#[test]
fn alg_not_published_by_the_provider_is_unsupported_alg() {
    let token = sign("es256", &good_claims());
    let mut expect = expectations();
    expect.provider_algs = Some(vec!["RS256".into()]);
    let err = pollster::block_on(validate(
        &token,
        &jwks(&["es256"]),
        &expect,
        NOW,
        &HostVerifier,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "unsupported_alg");
}

#[test]
fn crit_header_is_refused() {
    let header = json!({"alg": "RS256", "kid": "test-rsa-1", "crit": ["exp"]});
    let token = sign_with_header("rs256", &header, &good_claims());
    assert_eq!(
        check(&token, &jwks(&["rs256"])).unwrap_err().code(),
        "unsupported_crit"
    );
}

#[test]
fn unknown_kid_is_unknown_key() {
    let token = sign("rs256", &good_claims());
    assert_eq!(
        check(&token, &jwks(&["es256"])).unwrap_err(),
        IdTokenError::UnknownKey {
            kid: Some("test-rsa-1".into())
        }
    );
}

#[test]
fn no_kid_uses_the_single_suitable_key() {
    let header = json!({"alg": "ES256"});
    let token = sign_with_header("es256", &header, &good_claims());
    assert!(check(&token, &jwks(&["rs256", "es256"])).is_ok());
}

#[test]
fn no_kid_with_several_suitable_keys_is_ambiguous() {
    let header = json!({"alg": "RS256"});
    let token = sign_with_header("rs256", &header, &good_claims());
    assert_eq!(
        check(&token, &jwks(&["rs256", "rsa_other"]))
            .unwrap_err()
            .code(),
        "ambiguous_key"
    );
}

#[test]
fn rotation_reloads_the_jwks_once_on_unknown_kid() {
    let token = sign("rs256", &good_claims());
    let reloads = Cell::new(0);
    let result = pollster::block_on(validate_with_rotation(
        &token,
        &jwks(&["rsa_other"]),
        || async {
            reloads.set(reloads.get() + 1);
            Ok(jwks(&["rs256"]))
        },
        &expectations(),
        NOW,
        &HostVerifier,
    ));
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(reloads.get(), 1);
}

#[test]
fn rotation_gives_up_after_one_reload() {
    let token = sign("rs256", &good_claims());
    let reloads = Cell::new(0);
    let result = pollster::block_on(validate_with_rotation(
        &token,
        &jwks(&["rsa_other"]),
        || async {
            reloads.set(reloads.get() + 1);
            Ok(jwks(&["rsa_other"]))
        },
        &expectations(),
        NOW,
        &HostVerifier,
    ));
    assert_eq!(result.unwrap_err().code(), "unknown_key");
    assert_eq!(reloads.get(), 1);
}

#[test]
fn rotation_does_not_reload_for_other_errors() {
    let token = sign("rs256", &with(|c| c["nonce"] = "other".into()));
    let result = pollster::block_on(validate_with_rotation(
        &token,
        &jwks(&["rs256"]),
        || async {
            Err(OidcError::JwksFailed {
                detail: "must not be called".into(),
            })
        },
        &expectations(),
        NOW,
        &HostVerifier,
    ));
    assert_eq!(result.unwrap_err().code(), "nonce_mismatch");
}

// Step 2: iss.

#[test]
fn issuer_must_match_exactly() {
    assert_eq!(
        code_for(with(|c| c["iss"] = "https://evil.example.com".into())),
        "issuer_mismatch"
    );
    assert_eq!(
        code_for(with(|c| c["iss"] = format!("{ISSUER}/").into())),
        "issuer_mismatch"
    );
    assert_eq!(
        code_for(with(|c| c
            .as_object_mut()
            .unwrap()
            .remove("iss")
            .map(drop)
            .unwrap_or(()))),
        "issuer_mismatch"
    );
}

// Step 3: aud.

#[test]
fn audience_must_contain_client_id() {
    assert_eq!(
        code_for(with(|c| c["aud"] = "other-app".into())),
        "audience_mismatch"
    );
    assert_eq!(
        code_for(with(|c| c["aud"] = json!(["other-app"]))),
        "audience_mismatch"
    );
    assert_eq!(
        code_for(with(|c| c["aud"] = json!(42))),
        "audience_mismatch"
    );
}

#[test]
fn untrusted_extra_audience_is_refused() {
    let claims = with(|c| {
        c["aud"] = json!([CLIENT_ID, "https://api.other"]);
        c["azp"] = CLIENT_ID.into();
    });
    assert_eq!(code_for(claims.clone()), "audience_untrusted");
    let mut expect = expectations();
    expect.trusted_audiences = vec!["https://api.other".into()];
    let token = sign("rs256", &claims);
    assert!(pollster::block_on(validate(
        &token,
        &jwks(&["rs256"]),
        &expect,
        NOW,
        &HostVerifier
    ))
    .is_ok());
}

// Steps 4 and 5: azp.

#[test]
fn several_audiences_require_azp() {
    let mut expect = expectations();
    expect.trusted_audiences = vec!["https://api.other".into()];
    let token = sign(
        "rs256",
        &with(|c| c["aud"] = json!([CLIENT_ID, "https://api.other"])),
    );
    let err = pollster::block_on(validate(
        &token,
        &jwks(&["rs256"]),
        &expect,
        NOW,
        &HostVerifier,
    ))
    .unwrap_err();
    assert_eq!(
        err,
        IdTokenError::AzpMismatch {
            client_id: CLIENT_ID.into(),
            azp: None
        }
    );
}

#[test]
fn azp_when_present_must_be_client_id() {
    assert_eq!(
        code_for(with(|c| c["azp"] = "someone-else".into())),
        "azp_mismatch"
    );
}

// Step 9: exp.

#[test]
fn expired_token_is_refused_at_and_after_exp() {
    assert_eq!(code_for(with(|c| c["exp"] = NOW.into())), "token_expired");
    assert_eq!(
        code_for(with(|c| c["exp"] = (NOW - 1).into())),
        "token_expired"
    );
    assert_eq!(
        code_for(with(|c| c["exp"] = "tomorrow".into())),
        "exp_missing"
    );
    assert_eq!(
        code_for(with(|c| {
            c.as_object_mut().unwrap().remove("exp");
        })),
        "exp_missing"
    );
}

// Step 10: iat.

#[test]
fn iat_is_required_and_not_in_the_future_beyond_leeway() {
    assert_eq!(
        code_for(with(|c| {
            c.as_object_mut().unwrap().remove("iat");
        })),
        "iat_missing"
    );
    assert_eq!(
        code_for(with(|c| c["iat"] = (NOW + 61).into())),
        "iat_in_future"
    );
    let within_leeway = sign("rs256", &with(|c| c["iat"] = (NOW + 60).into()));
    assert!(check(&within_leeway, &jwks(&["rs256"])).is_ok());
}

// Step 11: nonce.

#[test]
fn nonce_must_equal_the_one_sent() {
    assert_eq!(
        code_for(with(|c| c["nonce"] = "replayed".into())),
        "nonce_mismatch"
    );
    assert_eq!(
        code_for(with(|c| {
            c.as_object_mut().unwrap().remove("nonce");
        })),
        "nonce_missing"
    );
}

// Core 2: sub.

#[test]
fn sub_is_required() {
    assert_eq!(
        code_for(with(|c| {
            c.as_object_mut().unwrap().remove("sub");
        })),
        "sub_missing"
    );
    assert_eq!(code_for(with(|c| c["sub"] = "".into())), "sub_missing");
}

#[test]
fn malformed_tokens_are_malformed_token() {
    for raw in ["", "abc", "a.b", "e30.e30.e30.e30.e30"] {
        assert_eq!(
            check(raw, &jwks(&["rs256"])).unwrap_err().code(),
            "malformed_token",
            "{raw}"
        );
    }
}

#[test]
fn another_kind_of_jwt_is_unexpected_typ() {
    for typ in ["at+jwt", "logout+jwt"] {
        let header = json!({"alg": "RS256", "kid": "test-rsa-1", "typ": typ});
        let token = sign_with_header("rs256", &header, &good_claims());
        assert_eq!(
            check(&token, &jwks(&["rs256"])).unwrap_err(),
            IdTokenError::UnexpectedTyp { typ: typ.into() }
        );
    }
    let header = json!({"alg": "RS256", "kid": "test-rsa-1", "typ": "JWT"});
    let token = sign_with_header("rs256", &header, &good_claims());
    assert!(check(&token, &jwks(&["rs256"])).is_ok());
}

#[test]
fn a_non_string_audience_entry_is_audience_mismatch() {
    // Skipping it would hide an extra audience from the trust and azp checks.
    let claims = with(|c| c["aud"] = json!([CLIENT_ID, {"x": 1}]));
    assert_eq!(code_for(claims), "audience_mismatch");
}

#[test]
fn a_non_string_azp_is_azp_mismatch() {
    assert_eq!(code_for(with(|c| c["azp"] = json!(7))), "azp_mismatch");
    assert_eq!(
        code_for(with(|c| c["azp"] = json!([CLIENT_ID]))),
        "azp_mismatch"
    );
}

#[test]
fn a_blank_sub_is_sub_missing() {
    assert_eq!(code_for(with(|c| c["sub"] = "   ".into())), "sub_missing");
    assert_eq!(code_for(with(|c| c["sub"] = json!(12345))), "sub_missing");
}

#[test]
fn without_an_expected_nonce_the_nonce_claim_is_not_required() {
    // sso-server checks ID tokens presented as bearer credentials; it sent no nonce.
    let mut expect = expectations();
    expect.nonce = None;
    let token = sign(
        "rs256",
        &with(|c| {
            c.as_object_mut().unwrap().remove("nonce");
        }),
    );
    let valid = pollster::block_on(validate(
        &token,
        &jwks(&["rs256"]),
        &expect,
        NOW,
        &HostVerifier,
    ))
    .unwrap();
    assert_eq!(valid.claims.nonce, None);
}

#[test]
fn at_hash_binds_an_access_token_from_an_implicit_response() {
    // Computed here with RustCrypto, independently of the verifier's digest.
    let at_hash = |token: &str| {
        use sha2::{Digest, Sha384};
        sso_web::oidc::id_token::token_hash(&Sha384::digest(token))
    };
    let access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    let mut expect = expectations();
    expect.access_token = Some(access_token.into());
    let run = |claims: Value| {
        let token = sign("es384", &claims);
        pollster::block_on(validate(
            &token,
            &jwks(&["es384"]),
            &expect,
            NOW,
            &HostVerifier,
        ))
    };
    // ES384 hashes with SHA-384: the left 24 bytes.
    let good = with(|c| c["at_hash"] = at_hash(access_token).into());
    assert!(run(good).is_ok());
    assert_eq!(run(good_claims()).unwrap_err(), IdTokenError::AtHashMissing);
    let swapped = with(|c| c["at_hash"] = at_hash("another").into());
    assert_eq!(run(swapped).unwrap_err().code(), "at_hash_mismatch");
    // The SHA-256 value is wrong for an ES384 token.
    let wrong_hash = with(|c| c["at_hash"] = "77QmUPtjPfzWtF2AnpK9RQ".into());
    assert_eq!(run(wrong_hash).unwrap_err().code(), "at_hash_mismatch");
}

/// Verifies like [`HostVerifier`] but hashes to nothing.
struct EmptyDigest;

impl sso_web::oidc::SignatureVerifier for EmptyDigest {
    async fn verify(
        &self,
        alg: sso_web::oidc::jwt::Algorithm,
        key: &sso_web::oidc::jwks::Jwk,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        HostVerifier
            .verify(alg, key, signing_input, signature)
            .await
    }

    async fn digest(&self, _: sso_web::oidc::jwt::Hash, _: &[u8]) -> Result<Vec<u8>, String> {
        Ok(Vec::new())
    }
}

#[test]
fn a_digest_of_the_wrong_length_never_matches_at_hash() {
    // An empty digest would make the expected at_hash "", which this token carries.
    let mut expect = expectations();
    expect.access_token = Some("an-access-token".into());
    let token = sign("es384", &with(|c| c["at_hash"] = "".into()));
    let err = pollster::block_on(validate(
        &token,
        &jwks(&["es384"]),
        &expect,
        NOW,
        &EmptyDigest,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "key_unusable");
    assert!(
        err.detail()
            .contains("SHA-384 returned 0 bytes instead of 48"),
        "{}",
        err.detail()
    );
}
