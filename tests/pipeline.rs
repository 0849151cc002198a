//! The whole pure pipeline, as the browser runs it: discovery, authorization request,
//! callback, token response, ID token, identity. Only the I/O is replaced by values.

// Host tests: signatures are checked by sso_web::host_verifier (RustCrypto); the browser's
// WebCrypto verifier has its own tests in tests/web.rs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use serde_json::json;
use sso_web::oidc::authorize::{prepare, LoginRandomness, LoginSettings};
use sso_web::oidc::id_token::{validate, IdTokenExpectations};
use sso_web::oidc::{
    CallbackParams, Flow, GroupsSource, Identity, ProviderMetadata, TokenResponse,
};

fn code_flow() -> LoginSettings<'static> {
    LoginSettings {
        client_id: CLIENT_ID,
        extra_scopes: &[],
        flow: Flow::Code,
        origin: "https://app.example",
    }
}

fn metadata() -> ProviderMetadata {
    let doc = json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://idp.example.com/auth",
        "token_endpoint": "https://idp.example.com/token",
        "jwks_uri": "https://idp.example.com/jwks",
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true
    });
    ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap()
}

#[test]
fn sign_in_end_to_end_without_io() {
    let metadata = metadata();
    let random = LoginRandomness {
        state: [7; 32],
        nonce: nonce([8; 32]),
        pkce: pkce([9; 32]),
    };
    let (pending, request) = prepare(&metadata, &code_flow(), "/", NOW, random);
    assert!(request.url().contains("code_challenge_method=S256"));

    // The IdP redirects back with code, state and iss.
    let query = format!(
        "?code=SplxlOBeZQQYbYS6WxSbIA&state={}&iss={}",
        pending.state, "https%3A%2F%2Fidp.example.com"
    );
    let params = CallbackParams::parse(&query).unwrap();
    assert_eq!(params.state().unwrap(), pending.state);
    pending.check_fresh(NOW + 30).unwrap();
    let code = params.into_code(&metadata).unwrap();
    assert_eq!(code.0, "SplxlOBeZQQYbYS6WxSbIA");

    // The provider signs an ID token carrying our nonce.
    let mut claims = good_claims();
    claims["nonce"] = pending.nonce.clone().into();
    let id_token = sign("rs256", &claims);
    let body = json!({"id_token": id_token, "token_type": "Bearer", "access_token": "at", "expires_in": 3600});
    let tokens = TokenResponse::parse(200, &body.to_string()).unwrap();

    let expect = IdTokenExpectations {
        nonce: Some(pending.nonce.clone()),
        ..expectations()
    };
    let valid = pollster::block_on(validate(
        &tokens.id_token,
        &jwks(&["rs256", "es256"]),
        &expect,
        NOW + 30,
        &HostVerifier,
    ))
    .unwrap();
    let identity = Identity::from_claims(&valid.raw_claims, "groups");
    assert_eq!(identity.email.as_deref(), Some("alice@example.com"));
    assert_eq!(identity.groups, vec!["admins", "ml-team"]);
    assert_eq!(
        identity.groups_source,
        GroupsSource::Claim {
            name: "groups".into()
        }
    );
    assert_eq!(pending.return_to, "/me");
}

#[test]
fn implicit_sign_in_without_io() {
    let metadata = metadata();
    let random = LoginRandomness {
        state: [3; 32],
        nonce: nonce([4; 32]),
        pkce: pkce([5; 32]),
    };
    let settings = LoginSettings {
        flow: Flow::ImplicitFormPost,
        ..code_flow()
    };
    let (pending, request) = prepare(&metadata, &settings, "/", NOW, random);
    assert!(request.url().contains("response_type=id_token"));
    assert!(request.url().contains("response_mode=form_post"));
    metadata.check_flow(pending.flow).unwrap();

    // The server's bridge turned the IdP's POST into this fragment.
    let mut claims = good_claims();
    claims["nonce"] = pending.nonce.clone().into();
    let id_token = sign("rs256", &claims);
    let fragment = format!(
        "#id_token={id_token}&state={}&iss=https%3A%2F%2Fidp.example.com",
        pending.state
    );
    let params = CallbackParams::parse(&fragment).unwrap();
    assert_eq!(params.state().unwrap(), pending.state);
    let response = params.into_implicit(&metadata).unwrap();
    let expect = IdTokenExpectations {
        nonce: Some(pending.nonce.clone()),
        access_token: response.access_token.clone(),
        ..expectations()
    };
    let valid = pollster::block_on(validate(
        &response.id_token,
        &jwks(&["rs256"]),
        &expect,
        NOW,
        &HostVerifier,
    ))
    .unwrap();
    assert_eq!(valid.claims.sub, "248289761001");

    // The same token replayed into another sign-in fails on the nonce.
    let other = IdTokenExpectations {
        nonce: Some("someone-elses-nonce".into()),
        ..expect
    };
    let err = pollster::block_on(validate(
        &response.id_token,
        &jwks(&["rs256"]),
        &other,
        NOW,
        &HostVerifier,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "nonce_mismatch");
}

#[test]
fn a_token_for_another_sign_in_fails_on_nonce() {
    let metadata = metadata();
    let random = LoginRandomness {
        state: [1; 32],
        nonce: nonce([2; 32]),
        pkce: pkce([3; 32]),
    };
    let (pending, _) = prepare(&metadata, &code_flow(), "/", NOW, random);
    let token = sign("rs256", &good_claims()); // nonce of some other request
    let expect = IdTokenExpectations {
        nonce: Some(pending.nonce),
        ..expectations()
    };
    let err = pollster::block_on(validate(
        &token,
        &jwks(&["rs256"]),
        &expect,
        NOW,
        &HostVerifier,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "nonce_mismatch");
}

/// The token the browser test (tests/web.rs) verifies with WebCrypto was signed here;
/// this keeps the fixture honest: it must pass on the host too.
#[test]
fn webcrypto_fixture_is_valid_on_the_host() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/webcrypto_tokens.json")).unwrap();
    let jwks = sso_web::oidc::Jwks::parse(&fixture["jwks"].to_string()).unwrap();
    let expect = IdTokenExpectations {
        nonce: fixture["nonce"].as_str().map(str::to_string),
        ..expectations()
    };
    let now = fixture["now"].as_u64().unwrap();
    for (alg, token) in fixture["tokens"].as_object().unwrap() {
        let result = pollster::block_on(validate(
            token.as_str().unwrap(),
            &jwks,
            &expect,
            now,
            &HostVerifier,
        ));
        assert!(result.is_ok(), "{alg}: {result:?}");
    }
    let tampered = fixture["tampered"].as_str().unwrap();
    let err =
        pollster::block_on(validate(tampered, &jwks, &expect, now, &HostVerifier)).unwrap_err();
    assert_eq!(err.code(), "bad_signature");
}

/// Regenerates tests/fixtures/webcrypto_tokens.json: `REGEN_FIXTURES=1 cargo test regen`.
#[test]
fn regen_webcrypto_fixture() {
    if std::env::var("REGEN_FIXTURES").is_err() {
        return;
    }
    let names = ["rs256", "ps256", "es256", "es384", "eddsa", "rsa_any"];
    let mut tokens = serde_json::Map::new();
    for name in &names[..5] {
        tokens.insert(
            alg_of(name).to_string_lossy(),
            sign(name, &good_claims()).into(),
        );
    }
    // The other RSA hashes and PSS salt lengths, with a key not pinned to one alg.
    for alg in [
        jsonwebtoken::Algorithm::RS384,
        jsonwebtoken::Algorithm::RS512,
        jsonwebtoken::Algorithm::PS384,
        jsonwebtoken::Algorithm::PS512,
    ] {
        tokens.insert(
            alg.to_string_lossy(),
            sign_as("rsa_any", alg, &good_claims()).into(),
        );
    }
    let good = sign("rs256", &good_claims());
    let (input, _) = good.rsplit_once('.').unwrap();
    let other = sign("rsa_other", &good_claims());
    let tampered = format!("{input}.{}", other.rsplit_once('.').unwrap().1);
    let keys: Vec<_> = names.iter().map(|n| jwk(n)).collect();
    let fixture = json!({"now": NOW, "nonce": NONCE, "jwks": {"keys": keys}, "tokens": tokens, "tampered": tampered});
    std::fs::write(
        "tests/fixtures/webcrypto_tokens.json",
        serde_json::to_string_pretty(&fixture).unwrap() + "\n",
    )
    .unwrap();
}

trait AlgName {
    fn to_string_lossy(&self) -> String;
}
impl AlgName for jsonwebtoken::Algorithm {
    fn to_string_lossy(&self) -> String {
        format!("{self:?}")
    }
}
