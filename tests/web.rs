//! Browser unit tests (wasm-bindgen-test in headless Chromium): only what needs a
//! browser: sessionStorage, crypto.getRandomValues, and WebCrypto signature checks
//! of tokens signed on the host with fixed test keys (tests/fixtures).
#![cfg(target_arch = "wasm32")]

use serde_json::Value;
use sso_web::auth::browser;
use sso_web::auth::flow::BrowserPort;
use sso_web::auth::session::{self, AuthState, Session};
use sso_web::auth::storage::{SessionStore, PENDING_PREFIX, SESSION_KEY};
use sso_web::auth::webcrypto::WebCryptoVerifier;
use sso_web::flow::records;
use sso_web::oidc::id_token::{validate, IdTokenExpectations};
use sso_web::oidc::{Jwks, PendingLogin};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/webcrypto_tokens.json")).expect("fixture")
}

fn expectations(fixture: &Value) -> IdTokenExpectations {
    IdTokenExpectations {
        issuer: "https://idp.example.com".into(),
        client_id: "sso-web".into(),
        nonce: fixture["nonce"].as_str().map(str::to_string),
        trusted_audiences: vec![],
        provider_algs: None,
        access_token: None,
    }
}

/// Validates `token` against the fixture's keys, nonce and clock with WebCrypto.
async fn check(
    fixture: &Value,
    token: &str,
) -> Result<sso_web::oidc::id_token::ValidatedIdToken, sso_web::oidc::IdTokenError> {
    let jwks = Jwks::parse(&fixture["jwks"].to_string()).expect("jwks");
    let now = fixture["now"].as_u64().expect("now");
    validate(
        token,
        &jwks,
        &expectations(fixture),
        now,
        &WebCryptoVerifier,
    )
    .await
}

#[wasm_bindgen_test]
async fn webcrypto_verifies_every_supported_algorithm() {
    let fixture = fixture();
    let tokens = fixture["tokens"].as_object().expect("tokens");
    assert_eq!(
        tokens.len(),
        9,
        "RS256/384/512, PS256/384/512, ES256, ES384, EdDSA"
    );
    for (alg, token) in tokens {
        let valid = check(&fixture, token.as_str().expect("token"))
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e:?}"));
        assert_eq!(valid.header.alg, *alg);
        assert_eq!(valid.claims.sub, "248289761001");
    }
}

/// Lowercase hex, for comparing digests with the published test vectors.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[wasm_bindgen_test]
async fn webcrypto_digests_match_the_fips_180_vectors_and_core_at_hash() {
    use sso_web::oidc::jwt::Hash;
    use sso_web::oidc::SignatureVerifier;
    // FIPS 180-2 appendix examples: the message "abc".
    let vectors = [
        (Hash::Sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (Hash::Sha384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
        (Hash::Sha512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
    ];
    for (hash, expected) in vectors {
        let digest = WebCryptoVerifier
            .digest(hash, b"abc")
            .await
            .expect("digest");
        assert_eq!(hex(&digest), expected, "{}", hash.name());
    }
    // OIDC Core A.3: this access token's RS256 at_hash.
    let digest = WebCryptoVerifier
        .digest(Hash::Sha256, b"jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y")
        .await
        .expect("digest");
    assert_eq!(
        sso_web::oidc::id_token::token_hash(&digest),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
}

#[wasm_bindgen_test]
async fn webcrypto_rejects_a_foreign_signature() {
    let fixture = fixture();
    let tampered = fixture["tampered"].as_str().expect("tampered");
    let err = check(&fixture, tampered).await.unwrap_err();
    assert_eq!(err.code(), "bad_signature");
}

#[wasm_bindgen_test]
async fn webcrypto_rejects_a_truncated_ecdsa_signature() {
    let fixture = fixture();
    let token = fixture["tokens"]["ES256"].as_str().expect("ES256");
    // WebCrypto wants exactly 64 bytes (r || s) for P-256; 62 must fail, not throw.
    let (input, signature) = token.rsplit_once('.').expect("three parts");
    let mut bytes = sso_web::oidc::b64::decode(signature).expect("base64url");
    bytes.truncate(62);
    let truncated = format!("{input}.{}", sso_web::oidc::b64::encode(&bytes));
    let err = check(&fixture, &truncated).await.unwrap_err();
    assert_eq!(err.code(), "bad_signature");
}

#[wasm_bindgen_test]
fn random_bytes_differ_between_calls() {
    let a = browser::random_bytes().expect("random");
    let b = browser::random_bytes().expect("random");
    assert_ne!(a, b);
    assert_ne!(a, [0u8; 32]);
}

fn pending(state: &str, created_at: u64) -> PendingLogin {
    PendingLogin {
        state: state.into(),
        nonce: "n".into(),
        nonce_secret: "s".into(),
        code_verifier: "v".into(),
        return_to: "/me".into(),
        created_at,
        issuer: "https://idp.example.com".into(),
        client_id: "sso-web".into(),
        redirect_uri: "http://127.0.0.1/oidc/callback".into(),
        flow: sso_web::oidc::Flow::Code,
    }
}

#[wasm_bindgen_test]
fn pending_logins_are_single_use_and_keyed_by_state() {
    let store = SessionStore::open().expect("sessionStorage");
    store.clear_all();
    // Through the browser's port, into the real sessionStorage.
    let port = BrowserPort;
    records::save_pending(&port, &pending("tab-a", 100)).expect("save");
    records::save_pending(&port, &pending("tab-b", 100)).expect("save");
    assert_eq!(
        records::take_pending(&port, "tab-a")
            .map(|p| p.state)
            .as_deref(),
        Some("tab-a")
    );
    assert!(
        records::take_pending(&port, "tab-a").is_none(),
        "a pending login is taken once"
    );
    assert!(
        records::take_pending(&port, "tab-b").is_some(),
        "another sign-in is unaffected"
    );
}

#[wasm_bindgen_test]
fn prune_drops_only_expired_pending_logins() {
    let store = SessionStore::open().expect("sessionStorage");
    store.clear_all();
    let port = BrowserPort;
    records::save_pending(&port, &pending("old", 1_000)).expect("save");
    records::save_pending(&port, &pending("new", 1_500)).expect("save");
    records::prune_pending(&port, 1_000 + 601);
    let left = store.keys_with_prefix(PENDING_PREFIX);
    assert_eq!(left, vec![format!("{PENDING_PREFIX}new")]);
}

#[wasm_bindgen_test]
fn a_session_survives_a_reload_and_a_mistyped_one_is_dropped() {
    let store = SessionStore::open().expect("sessionStorage");
    store.clear_all();
    let claims = serde_json::json!({
        "iss": "https://idp.example.com", "sub": "248289761001", "name": "Jane Doe",
        "roles": ["admins", "staff"], "exp": 2_000_000_000u64
    });
    let claims = claims.as_object().expect("object").clone();
    let session = Session {
        identity: sso_web::oidc::Identity::from_claims(&claims, "roles"),
        is_admin: false,
        signed_in_at: 1_000,
        expires_at: 2_000_000_000,
        idle_expires_at: None,
        id_token: sso_web::contract::session::TokenFacts {
            alg: "RS256".into(),
            kid: Some("k1".into()),
            issued_at: 1_000,
            expires_at: 2_000_000_000,
            claims,
        },
    };
    session::save(&store, &session).expect("save");
    match session::restore(&store, 1_500) {
        AuthState::SignedIn(restored) => {
            assert_eq!(*restored, session);
            assert_eq!(restored.identity.groups, ["admins", "staff"]);
        }
        other => panic!("expected a session, got {other:?}"),
    }
    // A stored session whose members have the wrong types is dropped, not half-read.
    let mut stored: Value =
        serde_json::from_str(&store.get(SESSION_KEY).expect("stored")).expect("json");
    stored["expires_at"] = "2000000000".into();
    store.set(SESSION_KEY, &stored.to_string()).expect("set");
    assert!(matches!(
        session::restore(&store, 1_500),
        AuthState::SignedOut { .. }
    ));
    assert!(store.get(SESSION_KEY).is_none());
}

#[wasm_bindgen_test]
fn storage_is_prefixed_and_corrupt_json_is_dropped() {
    let store = SessionStore::open().expect("sessionStorage");
    store.clear_all();
    store.set(SESSION_KEY, "{not json").expect("set");
    assert!(store.get_json::<Session>(SESSION_KEY).is_none());
    assert!(store.get(SESSION_KEY).is_none(), "corrupt value removed");
    let raw = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    raw.set_item("other-app", "kept").unwrap();
    store.clear_all();
    assert_eq!(raw.get_item("other-app").unwrap().as_deref(), Some("kept"));
}

#[wasm_bindgen_test]
fn the_page_session_block_reads_every_shape_the_server_writes() {
    use sso_web::auth::session::{read_page_block, Notice, PageSession};
    let known = |text: &str| match read_page_block(text) {
        PageSession::Known(state) => Some(state),
        PageSession::Unknown => None,
    };
    assert_eq!(known("null"), Some(AuthState::SignedOut { notice: None }));
    assert_eq!(
        known(r#"{"error":"session_expired"}"#),
        Some(AuthState::SignedOut {
            notice: Some(Notice::SessionExpired)
        })
    );
    assert_eq!(
        known(r#"{"error":"session_revoked"}"#),
        Some(AuthState::SignedOut {
            notice: Some(Notice::SessionRevoked)
        })
    );
    // `no_session` has no notice: a first visit says nothing.
    assert_eq!(
        known(r#"{"error":"no_session"}"#),
        Some(AuthState::SignedOut { notice: None })
    );
    assert!(known(r#""unknown""#).is_none(), "ask the server");
    assert!(
        known("{not json").is_some(),
        "garbage is signed out, not a panic"
    );
    let session = serde_json::json!({
        "subject": "u-1", "issuer": "https://idp.example.com", "name": "Alice",
        "username": null, "email": null, "email_verified": null,
        "groups": ["admins"], "groups_source": "claim", "groups_claim": "groups",
        "is_admin": true, "signed_in_at": 10, "expires_at": 20, "idle_expires_at": null,
        "id_token": {"alg": "RS256", "kid": null, "issued_at": 9, "expires_at": 15, "claims": {}}
    });
    match known(&session.to_string()) {
        Some(AuthState::SignedIn(s)) => {
            assert_eq!(s.identity.sub, "u-1");
            assert!(s.is_admin);
            assert_eq!(s.ends_at(), 20);
        }
        other => panic!("expected a session, got {other:?}"),
    }
}

/// One turn of the event loop's microtasks, for spawned tasks to run.
async fn tick() {
    let promise = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[wasm_bindgen_test]
async fn the_config_slot_wakes_every_waiter_once_filled() {
    use leptos::prelude::Owner;
    use sso_web::auth::config_slot::ConfigSlot;
    use sso_web::contract::config::SsoConfig;
    use std::cell::RefCell;
    use std::rc::Rc;

    let owner = Owner::new();
    owner.set();
    let slot = ConfigSlot::empty();
    assert!(slot.get().is_none());
    // Three tasks await the settings before they arrive.
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    for _ in 0..3 {
        let seen = Rc::clone(&seen);
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = match slot.await {
                Ok(config) => config.client_id,
                Err(err) => err.code().to_string(),
            };
            seen.borrow_mut().push(outcome);
        });
    }
    for _ in 0..5 {
        tick().await;
    }
    assert!(seen.borrow().is_empty(), "nothing before the settings");
    let config = SsoConfig::parse(r#"{"issuer":"https://idp.example.com","client_id":"app"}"#)
        .expect("valid");
    slot.fill(Ok(config));
    for _ in 0..5 {
        tick().await;
    }
    assert_eq!(*seen.borrow(), ["app", "app", "app"]);
    // A later await is ready at once, and the value is there to render from.
    assert_eq!(slot.await.map(|c| c.client_id).ok().as_deref(), Some("app"));
    assert!(slot.get().is_some_and(|r| r.is_ok()));

    // An error reaches the waiters as such.
    let failed = ConfigSlot::empty();
    let seen_error: Rc<RefCell<Option<String>>> = Rc::default();
    {
        let seen_error = Rc::clone(&seen_error);
        wasm_bindgen_futures::spawn_local(async move {
            *seen_error.borrow_mut() = failed.await.err().map(|e| e.code().to_string());
        });
    }
    tick().await;
    failed.fill(Err(sso_web::oidc::OidcError::ConfigMissing));
    for _ in 0..5 {
        tick().await;
    }
    assert_eq!(seen_error.borrow().as_deref(), Some("config_missing"));
}
