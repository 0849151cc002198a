//! A tiny IdP on 127.0.0.1: discovery (editable) and a JWKS from the repository's test keys, ID tokens signed with them, and a token endpoint that records what it was sent and answers what a test tells it to.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub const CLIENT_ID: &str = "sso-web";

pub fn keys() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/test_keys.json"))
        .expect("fixture parses")
}

pub fn jwk(name: &str) -> Value {
    keys()[name]["jwk"].clone()
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// One request to the stub's token endpoint, as received.
#[derive(Debug, Clone)]
pub struct TokenCall {
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    /// The raw body, for leak checks and exact comparisons.
    pub body: String,
    /// The body decoded, in order.
    pub form: Vec<(String, String)>,
}

impl TokenCall {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn names(&self) -> Vec<&str> {
        self.form.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// What the token endpoint answers.
#[derive(Debug, Clone)]
pub struct TokenAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

pub const ACCESS_TOKEN: &str = "stub-access-token-7c1e";

impl Default for TokenAnswer {
    fn default() -> Self {
        Self {
            status: 200,
            content_type: "application/json".to_owned(),
            body: json!({
                "access_token": ACCESS_TOKEN,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": "stub.id.token",
            })
            .to_string(),
        }
    }
}

pub struct Idp {
    /// Also the issuer: `http://127.0.0.1:<port>`.
    pub origin: String,
    /// The keys the JWKS publishes; tests may rotate them.
    pub published: Arc<Mutex<Vec<Value>>>,
    pub jwks_hits: Arc<AtomicUsize>,
    /// The discovery document, served as it is at each request.
    pub doc: Arc<Mutex<Value>>,
    pub token_calls: Arc<Mutex<Vec<TokenCall>>>,
    pub token_answer: Arc<Mutex<TokenAnswer>>,
    /// Requests for the discovery document, answered or not.
    pub discovery_hits: Arc<AtomicUsize>,
    /// While set, discovery answers 503 (an IdP that is down behind its load balancer).
    pub discovery_down: Arc<std::sync::atomic::AtomicBool>,
}

impl Idp {
    pub fn issuer(&self) -> &str {
        &self.origin
    }

    pub fn publish(&self, names: &[&str]) {
        *self.published.lock().expect("lock") = names.iter().map(|n| jwk(n)).collect();
    }

    pub fn jwks_fetches(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }

    /// Claims of an admin that pass every check now.
    pub fn claims(&self, groups: &[&str]) -> Value {
        json!({
            "iss": self.origin,
            "sub": "user-1234",
            "aud": CLIENT_ID,
            "exp": now() + 600,
            "iat": now() - 5,
            "name": "Alice Admin",
            "email": "alice@example.com",
            "groups": groups,
        })
    }

    pub fn token(&self, groups: &[&str]) -> String {
        sign("rs256", &self.claims(groups))
    }

    /// The stub's own token endpoint.
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.origin)
    }

    /// Sets (or with `Value::Null` removes) one member of the discovery
    /// document. The server caches discovery: call this before its first use.
    pub fn set_discovery(&self, member: &str, value: Value) {
        let mut doc = self.doc.lock().expect("lock");
        match value {
            Value::Null => {
                doc.as_object_mut().expect("object").remove(member);
            }
            value => doc[member] = value,
        }
    }

    /// Points discovery's `token_endpoint` at this stub (by default it names
    /// another host, for the CSP tests), optionally with the auth methods
    /// it lists.
    pub fn serve_token_endpoint(&self, auth_methods: Option<&[&str]>) {
        self.set_discovery("token_endpoint", json!(self.token_endpoint()));
        self.set_discovery(
            "token_endpoint_auth_methods_supported",
            auth_methods.map_or(Value::Null, |m| json!(m)),
        );
    }

    pub fn answer_token(&self, status: u16, content_type: &str, body: &str) {
        *self.token_answer.lock().expect("lock") = TokenAnswer {
            status,
            content_type: content_type.to_owned(),
            body: body.to_owned(),
        };
    }

    pub fn token_calls(&self) -> Vec<TokenCall> {
        self.token_calls.lock().expect("lock").clone()
    }
}

/// Discovery + JWKS (only `rs256` published at first), plus a token
/// endpoint on another origin so the CSP has something to learn.
pub async fn spawn_idp() -> Idp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind idp");
    spawn_idp_on(listener).await
}

/// The stub on a listener the test chose (an IdP that comes up after the server).
pub async fn spawn_idp_on(listener: TcpListener) -> Idp {
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let published = Arc::new(Mutex::new(vec![jwk("rs256")]));
    let jwks_hits = Arc::new(AtomicUsize::new(0));
    let doc = Arc::new(Mutex::new(json!({
        "issuer": origin,
        "authorization_endpoint": format!("{origin}/authorize"),
        "token_endpoint": "https://token.example.com/token",
        "jwks_uri": format!("{origin}/jwks"),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
    })));
    let token_calls = Arc::new(Mutex::new(Vec::new()));
    let token_answer = Arc::new(Mutex::new(TokenAnswer::default()));
    let keys_for_route = Arc::clone(&published);
    let hits = Arc::clone(&jwks_hits);
    let doc_for_route = Arc::clone(&doc);
    let discovery_hits = Arc::new(AtomicUsize::new(0));
    let discovery_down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hits_for_route = Arc::clone(&discovery_hits);
    let down_for_route = Arc::clone(&discovery_down);
    let calls = Arc::clone(&token_calls);
    let answer = Arc::clone(&token_answer);
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                hits_for_route.fetch_add(1, Ordering::SeqCst);
                let down = down_for_route.load(Ordering::SeqCst);
                let doc = doc_for_route.lock().expect("lock").clone();
                async move {
                    if down {
                        StatusCode::SERVICE_UNAVAILABLE.into_response()
                    } else {
                        Json(doc).into_response()
                    }
                }
            }),
        )
        .route(
            "/token",
            post(move |headers: HeaderMap, body: Bytes| {
                let text = |name: header::HeaderName| {
                    headers
                        .get(name)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                };
                calls.lock().expect("lock").push(TokenCall {
                    authorization: text(header::AUTHORIZATION),
                    content_type: text(header::CONTENT_TYPE),
                    accept: text(header::ACCEPT),
                    body: String::from_utf8_lossy(&body).into_owned(),
                    form: url::form_urlencoded::parse(&body).into_owned().collect(),
                });
                let answer = answer.lock().expect("lock").clone();
                async move {
                    (
                        StatusCode::from_u16(answer.status).expect("status"),
                        [(header::CONTENT_TYPE, answer.content_type)],
                        answer.body,
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/jwks",
            get(move || {
                hits.fetch_add(1, Ordering::SeqCst);
                let keys = keys_for_route.lock().expect("lock").clone();
                async move { Json(json!({ "keys": keys })) }
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Idp {
        origin,
        published,
        jwks_hits,
        doc,
        token_calls,
        token_answer,
        discovery_hits,
        discovery_down,
    }
}

fn encoding_key(name: &str) -> EncodingKey {
    let pem = keys()[name]["private_pem"]
        .as_str()
        .expect("pem")
        .to_owned();
    match name {
        "es256" | "es384" => EncodingKey::from_ec_pem(pem.as_bytes()),
        "eddsa" => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .expect("test key loads")
}

fn alg_of(name: &str) -> Algorithm {
    keys()[name]["alg"]
        .as_str()
        .unwrap_or("RS256")
        .parse()
        .expect("known alg")
}

/// Signs with the named fixture key; the header names that key's kid.
pub fn sign(name: &str, claims: &Value) -> String {
    let kid = keys()[name]["kid"].as_str().map(str::to_owned);
    sign_with_kid(name, kid, claims)
}

/// Signs with one key while naming another's kid: a forged signature.
pub fn sign_with_kid(name: &str, kid: Option<String>, claims: &Value) -> String {
    let mut header = Header::new(alg_of(name));
    header.kid = kid;
    jsonwebtoken::encode(&header, claims, &encoding_key(name)).expect("signs")
}
