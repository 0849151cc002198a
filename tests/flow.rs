//! The sign-in and sign-out flows (`sso_web::flow`) on the host, through a port whose storage
//! is a map, whose clock and randomness are fixed, and whose HTTP is a scripted IdP that signs
//! real ID tokens with the fixture keys. Every branch the browser could otherwise reach only
//! end to end: wrong state, a spent pending login, a settings change mid-sign-in, token
//! errors, and a sign-out racing a sign-in.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use serde_json::{json, Value};
use sso_web::contract::config::{AuthMethod, SsoConfig};
use sso_web::flow::{
    self, CallbackOutcome, HttpResponse, Port, Storage, LOGOUT_STATE_KEY, PENDING_PREFIX,
};
use sso_web::oidc::{OidcError, CALLBACK_PATH};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

const ORIGIN: &str = "https://app.example";
const DISCOVERY: &str = "https://idp.example.com/.well-known/openid-configuration";
const TOKEN_ENDPOINT: &str = "https://idp.example.com/token";
const JWKS_URI: &str = "https://idp.example.com/jwks";

/// What the scripted token endpoint answers, given the form it was sent.
type TokenScript = Box<dyn Fn(&TestPort, &str) -> (u16, String)>;

struct TestPort {
    store: RefCell<BTreeMap<String, String>>,
    /// GET answers by URL.
    documents: RefCell<BTreeMap<String, (u16, String)>>,
    token: RefCell<Option<TokenScript>>,
    /// `METHOD url` of every request, in order.
    requests: RefCell<Vec<String>>,
    now: Cell<u64>,
    seed: Cell<u8>,
    left_for: RefCell<Option<String>>,
    sign_outs: Cell<u32>,
    /// What the callback page's early script got from the token endpoint: (state, answer).
    early: RefCell<Option<(String, HttpResponse)>>,
}

impl TestPort {
    fn new() -> Self {
        let port = TestPort {
            store: RefCell::default(),
            documents: RefCell::default(),
            token: RefCell::new(None),
            requests: RefCell::default(),
            now: Cell::new(NOW),
            seed: Cell::new(1),
            left_for: RefCell::new(None),
            sign_outs: Cell::new(0),
            early: RefCell::new(None),
        };
        port.serve(DISCOVERY, 200, discovery(json!({})));
        port.serve(JWKS_URI, 200, json!({ "keys": [jwk("rs256")] }).to_string());
        port
    }

    fn serve(&self, url: &str, status: u16, body: String) {
        self.documents
            .borrow_mut()
            .insert(url.to_owned(), (status, body));
    }

    fn on_token(&self, script: impl Fn(&TestPort, &str) -> (u16, String) + 'static) {
        *self.token.borrow_mut() = Some(Box::new(script));
    }

    fn requests_to(&self, url: &str) -> usize {
        self.requests
            .borrow()
            .iter()
            .filter(|r| r.ends_with(url))
            .count()
    }

    /// A parameter of the URL the flow left for.
    fn left_with(&self, name: &str) -> Option<String> {
        let url = self.left_for.borrow().clone()?;
        let query = url.split_once('?')?.1;
        sso_web::oidc::url::form_decode(query)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

impl Storage for TestPort {
    fn load(&self, key: &str) -> Option<String> {
        self.store.borrow().get(key).cloned()
    }

    fn save(&self, key: &str, value: &str) -> Result<(), OidcError> {
        self.store
            .borrow_mut()
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn remove(&self, key: &str) {
        self.store.borrow_mut().remove(key);
    }

    fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.store
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }
}

impl Port for TestPort {
    type Verifier = HostVerifier;
    type Span = ();

    async fn get(&self, url: &str, _fresh: bool) -> Result<HttpResponse, String> {
        self.requests.borrow_mut().push(format!("GET {url}"));
        let answer = self.documents.borrow().get(url).cloned();
        match answer {
            Some((status, body)) => Ok(HttpResponse { status, body }),
            None => Err(format!("{url}: Failed to fetch")),
        }
    }

    async fn post_form(&self, url: &str, body: String) -> Result<HttpResponse, String> {
        self.requests.borrow_mut().push(format!("POST {url}"));
        if url != TOKEN_ENDPOINT {
            return Err(format!("{url}: Failed to fetch"));
        }
        let script = self.token.borrow();
        let script = script.as_ref().ok_or("no token endpoint")?;
        let (status, body) = script(self, &body);
        Ok(HttpResponse { status, body })
    }

    async fn post_json(&self, url: &str, body: &Value) -> Result<HttpResponse, String> {
        self.requests.borrow_mut().push(format!("POST {url}"));
        let script = self.token.borrow();
        let script = script.as_ref().ok_or("no relay")?;
        let (status, body) = script(self, &body.to_string());
        Ok(HttpResponse { status, body })
    }

    fn now(&self) -> u64 {
        self.now.get()
    }

    fn random(&self) -> Result<[u8; 32], OidcError> {
        let seed = self.seed.get();
        self.seed.set(seed.wrapping_add(1));
        Ok([seed; 32])
    }

    fn verifier(&self) -> &HostVerifier {
        &HostVerifier
    }

    fn origin(&self) -> Result<String, OidcError> {
        Ok(ORIGIN.into())
    }

    fn navigate_away(&self, url: &str) -> Result<(), OidcError> {
        *self.left_for.borrow_mut() = Some(url.to_owned());
        Ok(())
    }

    fn sign_outs(&self) -> u32 {
        self.sign_outs.get()
    }

    fn span(&self, _step: &'static str) {}

    async fn early_token(&self, state: &str) -> Option<Result<HttpResponse, String>> {
        let mut early = self.early.borrow_mut();
        if early.as_ref().is_some_and(|(s, _)| s == state) {
            return early.take().map(|(_, answer)| Ok(answer));
        }
        None
    }
}

/// What callback.html's script does when the IdP sends the browser back with `code` and
/// `iss`: reads and removes the early record of `state`, and posts its body with `&code=`
/// only when `iss` is the sign-in's issuer (or absent where the IdP does not send it).
fn run_early_script(port: &TestPort, state: &str, code: &str, iss: Option<&str>) -> bool {
    let key = format!("sso-web:early:{state}");
    let Some(text) = port.load(&key) else {
        return false;
    };
    port.remove(&key);
    let record: Value = serde_json::from_str(&text).expect("JSON");
    let iss_ok = match iss {
        Some(iss) => record["issuer"].as_str() == Some(iss),
        None => record["iss_required"] == false,
    };
    if !iss_ok {
        return false;
    }
    let url = record["token_endpoint"].as_str().expect("token_endpoint");
    let body = format!("{}&code={code}", record["body"].as_str().expect("body"));
    assert!(
        !record["body"]
            .as_str()
            .unwrap_or_default()
            .contains("code="),
        "no code yet"
    );
    port.requests
        .borrow_mut()
        .push(format!("POST (early) {url}"));
    let answer = {
        let script = port.token.borrow();
        let script = script.as_ref().expect("a token endpoint");
        script(port, &body)
    };
    *port.early.borrow_mut() = Some((
        state.to_owned(),
        HttpResponse {
            status: answer.0,
            body: answer.1,
        },
    ));
    true
}

fn discovery(extra: Value) -> String {
    let mut doc = json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://idp.example.com/auth",
        "token_endpoint": TOKEN_ENDPOINT,
        "jwks_uri": JWKS_URI,
        "end_session_endpoint": "https://idp.example.com/logout",
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if let (Some(doc), Some(extra)) = (doc.as_object_mut(), extra.as_object()) {
        doc.extend(extra.clone());
    }
    doc.to_string()
}

fn config() -> SsoConfig {
    SsoConfig {
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        auth_method: AuthMethod::Pkce,
        scopes: vec!["groups".into()],
        groups_claim: "groups".into(),
        token_relay: false,
        response_mode: None,
        from_server: false,
    }
}

/// The token endpoint of a well-behaved IdP: an ID token for the nonce the flow sent.
fn good_token_endpoint(port: &TestPort, form: &str) -> (u16, String) {
    assert!(form.contains("code=the-code"), "{form}");
    assert!(form.contains("code_verifier="), "{form}");
    let mut claims = good_claims();
    claims["nonce"] = port.left_with("nonce").unwrap_or_default().into();
    let body = json!({
        "id_token": sign("rs256", &claims),
        "token_type": "Bearer",
        "access_token": "at",
    });
    (200, body.to_string())
}

/// Starts a sign-in; returns the `state` it sent.
fn begin(port: &TestPort, config: &SsoConfig) -> String {
    pollster::block_on(flow::begin_login(port, config, "/me")).expect("leaves for the IdP");
    port.left_with("state").expect("a state")
}

fn callback(state: &str) -> String {
    format!("?code=the-code&state={state}")
}

fn complete(
    port: &TestPort,
    config: &SsoConfig,
    response: &str,
    signed_in: bool,
) -> Result<CallbackOutcome, OidcError> {
    pollster::block_on(flow::complete_login(port, config, response, signed_in))
}

fn code(result: Result<CallbackOutcome, OidcError>) -> String {
    match result {
        Ok(CallbackOutcome::SignedIn(_)) => "signed_in".into(),
        Ok(CallbackOutcome::NothingToDo) => "nothing_to_do".into(),
        Err(err) => err.code().into(),
    }
}

#[test]
fn a_sign_in_leaves_with_pkce_and_a_bound_nonce_and_completes() {
    let port = TestPort::new();
    port.on_token(good_token_endpoint);
    let state = begin(&port, &config());
    assert_eq!(
        port.left_with("code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        port.left_with("redirect_uri"),
        Some(format!("{ORIGIN}{CALLBACK_PATH}"))
    );
    assert_eq!(
        port.left_with("scope").as_deref(),
        Some("openid profile email groups")
    );
    assert_eq!(port.keys_with_prefix(PENDING_PREFIX).len(), 1);

    let Ok(CallbackOutcome::SignedIn(done)) = complete(&port, &config(), &callback(&state), false)
    else {
        panic!("signed in");
    };
    assert_eq!(done.session.identity.sub, "248289761001");
    assert_eq!(done.session.identity.groups, ["admins", "ml-team"]);
    assert_eq!(done.return_to, "/me");
    // The nonce sent is the S256 of the secret kept for the server's exchange.
    assert_eq!(
        sso_web::oidc::nonce::NonceBinding::from_sha256(
            done.nonce_secret.clone(),
            &sha256(done.nonce_secret.as_bytes())
        )
        .map(|b| b.nonce),
        port.left_with("nonce")
    );
    // The discovery document and the keys came from the cache filled before the redirect
    // (one GET each), and the code was redeemed once.
    assert_eq!(port.requests_to(DISCOVERY), 1);
    assert_eq!(port.requests_to(TOKEN_ENDPOINT), 1);
    assert!(port.keys_with_prefix(PENDING_PREFIX).is_empty());
}

#[test]
fn a_spent_pending_login_is_refused_or_ignored_when_already_signed_in() {
    let port = TestPort::new();
    port.on_token(good_token_endpoint);
    let state = begin(&port, &config());
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "signed_in"
    );
    // The back button onto the same response.
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "state_mismatch"
    );
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), true)),
        "nothing_to_do"
    );
    assert_eq!(
        port.requests_to(TOKEN_ENDPOINT),
        1,
        "the code is redeemed once"
    );
}

#[test]
fn a_state_this_tab_never_sent_is_refused_before_any_request() {
    let port = TestPort::new();
    port.on_token(good_token_endpoint);
    begin(&port, &config());
    let before = port.requests.borrow().len();
    assert_eq!(
        code(complete(&port, &config(), &callback("forged-state"), false)),
        "state_mismatch"
    );
    assert_eq!(port.requests.borrow().len(), before);
    // The genuine pending login is still there for its own callback.
    assert_eq!(port.keys_with_prefix(PENDING_PREFIX).len(), 1);
    // A reload of the scrubbed callback URL.
    assert_eq!(code(complete(&port, &config(), "", false)), "nothing_to_do");
}

#[test]
fn a_settings_change_mid_sign_in_is_refused() {
    for changed in [
        SsoConfig {
            client_id: "another-client".into(),
            ..config()
        },
        SsoConfig {
            issuer: "https://other-idp.example.com".into(),
            ..config()
        },
    ] {
        let port = TestPort::new();
        port.on_token(good_token_endpoint);
        let state = begin(&port, &config());
        let Err(err) = complete(&port, &changed, &callback(&state), false) else {
            panic!("refused");
        };
        assert_eq!(err.code(), "config_invalid");
        assert!(
            err.detail().contains("changed while this sign-in"),
            "{}",
            err.detail()
        );
        assert_eq!(port.requests_to(TOKEN_ENDPOINT), 0);
    }
}

#[test]
fn an_expired_pending_login_is_refused() {
    let port = TestPort::new();
    port.on_token(good_token_endpoint);
    let state = begin(&port, &config());
    port.now.set(NOW + 601);
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "login_expired"
    );
}

#[test]
fn token_errors_keep_their_codes() {
    let cases: [(TokenScript, &str); 4] = [
        (
            Box::new(|_, _| {
                (
                    400,
                    json!({"error": "invalid_grant", "error_description": "code expired"})
                        .to_string(),
                )
            }),
            "token_request_failed",
        ),
        (
            Box::new(|_, _| (200, "{\"token_type\":\"Bearer\"}".into())),
            "token_response_invalid",
        ),
        (
            Box::new(|port, _| {
                let mut claims = good_claims();
                claims["nonce"] = port.left_with("nonce").unwrap_or_default().into();
                let token = sign("rs256", &claims);
                // The signature of another token.
                let forged = format!(
                    "{}.{}",
                    token.rsplit_once('.').map_or("", |(head, _)| head),
                    sign("rs256", &good_claims())
                        .rsplit_once('.')
                        .map_or("", |(_, sig)| sig)
                );
                (
                    200,
                    json!({"id_token": forged, "token_type": "Bearer"}).to_string(),
                )
            }),
            "bad_signature",
        ),
        (
            Box::new(|_, _| {
                // The nonce of another sign-in.
                let token = sign("rs256", &good_claims());
                (
                    200,
                    json!({"id_token": token, "token_type": "Bearer"}).to_string(),
                )
            }),
            "nonce_mismatch",
        ),
    ];
    for (script, expected) in cases {
        let port = TestPort::new();
        *port.token.borrow_mut() = Some(script);
        let state = begin(&port, &config());
        let result = complete(&port, &config(), &callback(&state), false);
        assert_eq!(code(result), expected);
    }
    // The IdP unreachable.
    let port = TestPort::new();
    let state = begin(&port, &config());
    port.documents.borrow_mut().remove(JWKS_URI);
    port.store
        .borrow_mut()
        .retain(|k, _| !k.starts_with("sso-web:jwks:"));
    port.on_token(good_token_endpoint);
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "jwks_failed"
    );
}

#[test]
fn a_sign_out_while_the_code_is_redeemed_drops_the_sign_in() {
    let port = TestPort::new();
    port.on_token(|port, form| {
        // Another tab signs out while the token request is in flight.
        port.sign_outs.set(port.sign_outs.get() + 1);
        good_token_endpoint(port, form)
    });
    let state = begin(&port, &config());
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "nothing_to_do"
    );
    // A sign-out before the callback: the tab forgot the pending login with everything else.
    let port = TestPort::new();
    port.on_token(good_token_endpoint);
    let state = begin(&port, &config());
    flow::forget_all(&port);
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "state_mismatch"
    );
}

#[test]
fn a_provider_without_the_flow_is_refused_before_leaving() {
    let port = TestPort::new();
    port.serve(
        DISCOVERY,
        200,
        discovery(json!({"code_challenge_methods_supported": ["plain"]})),
    );
    let err = pollster::block_on(flow::begin_login(&port, &config(), "/me")).expect_err("refused");
    assert_eq!(err.code(), "discovery_invalid");
    assert!(port.left_for.borrow().is_none());
    assert!(port.keys_with_prefix(PENDING_PREFIX).is_empty());

    let port = TestPort::new();
    port.serve(DISCOVERY, 503, "down".into());
    let err = pollster::block_on(flow::begin_login(&port, &config(), "/me")).expect_err("refused");
    assert_eq!(err.code(), "discovery_failed");
}

#[test]
fn the_relay_redeems_the_code_when_the_server_holds_a_secret() {
    let port = TestPort::new();
    port.on_token(|port, body| {
        let sent: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(sent["code"], "the-code");
        assert_eq!(
            sent["redirect_uri"],
            format!("{ORIGIN}{CALLBACK_PATH}").as_str()
        );
        good_token_endpoint(port, "code=the-code&code_verifier=x")
    });
    let config = SsoConfig {
        token_relay: true,
        ..config()
    };
    let state = begin(&port, &config);
    assert_eq!(
        code(complete(&port, &config, &callback(&state), false)),
        "signed_in"
    );
    assert_eq!(port.requests_to("/api/v1/sso/token"), 1);
    assert_eq!(port.requests_to(TOKEN_ENDPOINT), 0);
}

#[test]
fn sign_out_at_the_idp_carries_a_state_that_is_checked_once() {
    let port = TestPort::new();
    pollster::block_on(flow::leave_for_idp(&port, &config(), Some("the.id.token")))
        .expect("leaves");
    assert_eq!(
        port.left_for
            .borrow()
            .as_deref()
            .and_then(|u| u.split_once('?'))
            .map(|(base, _)| base),
        Some("https://idp.example.com/logout")
    );
    assert_eq!(
        port.left_with("id_token_hint").as_deref(),
        Some("the.id.token")
    );
    let state = port.left_with("state").expect("state");
    assert_eq!(port.load(LOGOUT_STATE_KEY), Some(state.clone()));
    assert!(!flow::returned_from_logout(&port, "someone-elses"));
    assert!(
        !flow::returned_from_logout(&port, &state),
        "the saved state is spent by any return"
    );
    // Without an end-session endpoint there is nowhere to go.
    let port = TestPort::new();
    port.serve(DISCOVERY, 200, {
        let mut doc: Value = serde_json::from_str(&discovery(json!({}))).expect("json");
        doc.as_object_mut()
            .map(|d| d.remove("end_session_endpoint"));
        doc.to_string()
    });
    assert_eq!(
        pollster::block_on(flow::leave_for_idp(&port, &config(), None)),
        None
    );
}

fn sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

#[test]
fn the_callback_page_redeems_the_code_early_and_every_check_applies_to_its_answer() {
    let port = TestPort::new();
    port.on_token(good_token_endpoint);
    let state = begin(&port, &config());
    assert!(
        run_early_script(&port, &state, "the-code", None),
        "the sign-in left an early record"
    );
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "signed_in"
    );
    // One token request in all: the early one; the flow did not post again.
    let posts: Vec<String> = port
        .requests
        .borrow()
        .iter()
        .filter(|r| r.starts_with("POST"))
        .cloned()
        .collect();
    assert_eq!(posts, [format!("POST (early) {TOKEN_ENDPOINT}")]);

    // An early answer whose ID token fails a rule is refused like any other.
    let port = TestPort::new();
    port.on_token(|_, _| {
        let mut claims = good_claims();
        claims["nonce"] = "not-the-one-sent".into();
        let body = json!({"id_token": sign("rs256", &claims), "token_type": "Bearer"});
        (200, body.to_string())
    });
    let state = begin(&port, &config());
    assert!(run_early_script(&port, &state, "the-code", None));
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "nonce_mismatch"
    );
    assert_eq!(
        port.requests_to(TOKEN_ENDPOINT),
        1,
        "the early answer was used"
    );
    // And an IdP error in it keeps its code.
    let port = TestPort::new();
    port.on_token(|_, _| (400, json!({"error": "invalid_grant"}).to_string()));
    let state = begin(&port, &config());
    assert!(run_early_script(&port, &state, "the-code", None));
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "token_request_failed"
    );
    assert_eq!(
        port.requests_to(TOKEN_ENDPOINT),
        1,
        "the early answer was used"
    );

    // RFC 9207: the script sends nothing for a response whose iss is another issuer, and
    // nothing without iss from an IdP that says it sends one.
    let port = TestPort::new();
    port.serve(
        DISCOVERY,
        200,
        discovery(json!({"authorization_response_iss_parameter_supported": true})),
    );
    port.on_token(good_token_endpoint);
    let state = begin(&port, &config());
    let record = port
        .load(&format!("sso-web:early:{state}"))
        .expect("record");
    assert!(!run_early_script(
        &port,
        &state,
        "the-code",
        Some("https://evil.example")
    ));
    assert_eq!(port.requests_to(TOKEN_ENDPOINT), 0);
    port.save(&format!("sso-web:early:{state}"), &record)
        .expect("save");
    assert!(!run_early_script(&port, &state, "the-code", None));
    assert_eq!(port.requests_to(TOKEN_ENDPOINT), 0);
    port.save(&format!("sso-web:early:{state}"), &record)
        .expect("save");
    assert!(run_early_script(&port, &state, "the-code", Some(ISSUER)));
    assert_eq!(
        code(complete(
            &port,
            &config(),
            &format!(
                "{}&{}",
                callback(&state),
                sso_web::oidc::url::form_encode(&[("iss", ISSUER)])
            ),
            false
        )),
        "signed_in"
    );
    assert_eq!(port.requests_to(TOKEN_ENDPOINT), 1);
}

#[test]
fn no_early_record_for_the_relay_or_the_implicit_flow_and_none_outlives_its_sign_in() {
    let port = TestPort::new();
    let relay = SsoConfig {
        token_relay: true,
        ..config()
    };
    let state = begin(&port, &relay);
    assert!(
        !run_early_script(&port, &state, "the-code", None),
        "the relay holds the secret"
    );

    let port = TestPort::new();
    let implicit = SsoConfig {
        auth_method: AuthMethod::Implicit,
        ..config()
    };
    let state = begin(&port, &implicit);
    assert!(
        !run_early_script(&port, &state, "the-code", None),
        "no code in the implicit flow"
    );

    // Taken with its pending login when the script did not run (a static host's hand-over).
    let port = TestPort::new();
    port.on_token(good_token_endpoint);
    let state = begin(&port, &config());
    assert_eq!(port.keys_with_prefix("sso-web:early:").len(), 1);
    assert_eq!(
        code(complete(&port, &config(), &callback(&state), false)),
        "signed_in"
    );
    assert!(port.keys_with_prefix("sso-web:early:").is_empty());
    assert_eq!(port.requests_to(TOKEN_ENDPOINT), 1);
}
