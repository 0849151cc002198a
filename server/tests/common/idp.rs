//! A tiny IdP on 127.0.0.1: discovery and a JWKS from the repository's test keys, and ID tokens signed with them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
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

pub struct Idp {
    /// Also the issuer: `http://127.0.0.1:<port>`.
    pub origin: String,
    /// The keys the JWKS publishes; tests may rotate them.
    pub published: Arc<Mutex<Vec<Value>>>,
    pub jwks_hits: Arc<AtomicUsize>,
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
}

/// Discovery + JWKS (only `rs256` published at first), plus a token
/// endpoint on another origin so the CSP has something to learn.
pub async fn spawn_idp() -> Idp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind idp");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let published = Arc::new(Mutex::new(vec![jwk("rs256")]));
    let jwks_hits = Arc::new(AtomicUsize::new(0));
    let doc = json!({
        "issuer": origin,
        "authorization_endpoint": format!("{origin}/authorize"),
        "token_endpoint": "https://token.example.com/token",
        "jwks_uri": format!("{origin}/jwks"),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
    });
    let keys_for_route = Arc::clone(&published);
    let hits = Arc::clone(&jwks_hits);
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc) }
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
