//! The sign-in flow: `begin_login` sends the browser to the IdP; `complete_login`
//! turns the callback into a validated [`Session`]; `leave_for_idp` ends the sign-out at
//! the IdP. Every decision is made in `oidc`.

use super::browser;
use super::http::{self, HttpResponse};
use super::session::{self, Session};
use super::storage::{SessionStore, LOGOUT_STATE_KEY};
use super::webcrypto::WebCryptoVerifier;
use crate::config::{RuntimeConfig, CONFIG_API_PATH, STATIC_CONFIG_PATH};
use crate::oidc::authorize::{prepare, LoginRandomness, LoginSettings};
use crate::oidc::callback::AuthorizationCode;
use crate::oidc::discovery::discovery_url;
use crate::oidc::id_token::{validate_with_rotation, IdTokenExpectations};
use crate::oidc::json::{Object, Record};
use crate::oidc::jwt::Hash;
use crate::oidc::logout::end_session_url;
use crate::oidc::nonce::{self, NonceBinding};
use crate::oidc::pkce::{self, Pkce};
use crate::oidc::random_token::random_token;
use crate::oidc::token::token_request_body;
use crate::oidc::{
    CallbackParams, Jwks, OidcError, PendingLogin, ProviderMetadata, SignatureVerifier,
    TokenResponse,
};

/// The server's token relay (confidential clients; IdPs without CORS on /token).
pub const TOKEN_RELAY_PATH: &str = "/api/v1/sso/token";

/// How long a cached discovery document or JWKS is used without refetching. An unknown
/// `kid` still refetches the JWKS at once (key rotation).
const METADATA_TTL_SECS: u64 = 600;
const DISCOVERY_CACHE_PREFIX: &str = "sso-web:discovery:";
const JWKS_CACHE_PREFIX: &str = "sso-web:jwks:";
/// The element sso-server puts the public settings in, in every page it serves
/// (`config_block` in server/src/static_files.rs): a JSON data block, never executed.
const CONFIG_ELEMENT_ID: &str = "sso-config";

/// The settings sso-server put in this page, when it did: no round trip, and the ones in
/// force when this page was loaded.
pub fn config_in_page() -> Option<Result<RuntimeConfig, OidcError>> {
    let _span = browser::Span::start("config");
    browser::element_text(CONFIG_ELEMENT_ID).map(|json| {
        RuntimeConfig::parse(&json).map(|config| RuntimeConfig {
            from_server: true,
            ..config
        })
    })
}

/// The settings without the server's page: from the config API, else from
/// `sso-config.json` (static hosting without the server).
pub async fn fetch_config() -> Result<RuntimeConfig, OidcError> {
    let _span = browser::Span::start("config");
    let failed = |url: &str, detail: String| OidcError::ConfigInvalid {
        detail: format!("{url}: {detail}"),
    };
    let api = http::get(CONFIG_API_PATH, true)
        .await
        .map_err(|e| failed(CONFIG_API_PATH, e.0))?;
    let (response, from_server) = match api.status {
        200 => (api, true),
        404 => {
            let file = http::get(STATIC_CONFIG_PATH, true)
                .await
                .map_err(|e| failed(STATIC_CONFIG_PATH, e.0))?;
            // A static host's SPA fallback answers index.html for a missing file.
            if file.status == 404 || file.body.trim_start().starts_with('<') {
                return Err(OidcError::ConfigMissing);
            }
            (file, false)
        }
        status => return Err(failed(CONFIG_API_PATH, format!("HTTP {status}"))),
    };
    RuntimeConfig::parse(&response.body).map(|config| RuntimeConfig {
        from_server,
        ..config
    })
}

/// A response body kept in sessionStorage for [`METADATA_TTL_SECS`].
struct Cached {
    fetched_at: u64,
    body: String,
}

impl Record for Cached {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"fetched_at": self.fetched_at, "body": self.body})
    }

    fn from_json(value: &serde_json::Value) -> Option<Self> {
        let doc = Object::from_value(value)?;
        Some(Cached {
            fetched_at: doc.u64("fetched_at").ok()?,
            body: doc.string("body").ok()?,
        })
    }
}

fn cached(key: &str, now: u64) -> Option<String> {
    let store = SessionStore::open().ok()?;
    let entry: Cached = store.get_json(key)?;
    let fresh = now.saturating_sub(entry.fetched_at) < METADATA_TTL_SECS && entry.fetched_at <= now;
    fresh.then_some(entry.body)
}

fn remember(key: &str, body: &str, now: u64) {
    if let Ok(store) = SessionStore::open() {
        let entry = Cached {
            fetched_at: now,
            body: body.to_string(),
        };
        let _ = store.set_json(key, &entry);
    }
}

/// The provider's metadata, from this tab's cache when fresh.
pub async fn fetch_metadata(issuer: &str) -> Result<ProviderMetadata, OidcError> {
    let url = discovery_url(issuer);
    let failed = |detail: String| OidcError::DiscoveryFailed {
        url: url.clone(),
        detail,
    };
    let key = format!("{DISCOVERY_CACHE_PREFIX}{issuer}");
    let _span = browser::Span::start("discovery");
    cached_get(
        &key,
        &url,
        false,
        |b| ProviderMetadata::parse(b, issuer),
        failed,
    )
    .await
}

/// The JWKS; `fresh` bypasses both this tab's cache and the HTTP cache (rotation).
async fn fetch_jwks(url: &str, fresh: bool) -> Result<Jwks, OidcError> {
    let failed = |detail: String| OidcError::JwksFailed {
        detail: format!("{url}: {detail}"),
    };
    let key = format!("{JWKS_CACHE_PREFIX}{url}");
    let _span = browser::Span::start("jwks");
    cached_get(&key, url, fresh, Jwks::parse, failed).await
}

/// GET `url` as `parse` understands it, from this tab's cache under `key` unless `fresh`
/// or stale; only a body that parses is remembered.
async fn cached_get<T>(
    key: &str,
    url: &str,
    fresh: bool,
    parse: impl Fn(&str) -> Result<T, OidcError>,
    failed: impl Fn(String) -> OidcError,
) -> Result<T, OidcError> {
    let now = browser::now_secs();
    if !fresh {
        if let Some(value) = cached(key, now).and_then(|body| parse(&body).ok()) {
            return Ok(value);
        }
    }
    let HttpResponse { status, body } = http::get(url, fresh).await.map_err(|e| failed(e.0))?;
    if status != 200 {
        return Err(failed(format!("HTTP {status}")));
    }
    let value = parse(&body)?;
    remember(key, &body, now);
    Ok(value)
}

/// Warms this tab's cache with the discovery document and the JWKS while the user
/// looks at the sign-in button, so the click leaves at once and the callback makes one
/// round trip (the token request). Failures are left for the sign-in to report.
pub async fn prefetch(issuer: String) {
    if let Ok(metadata) = fetch_metadata(&issuer).await {
        let _ = fetch_jwks(metadata.jwks_uri(), false).await;
    }
}

/// Records a pending login and leaves for the IdP. Returns only on failure.
pub async fn begin_login(config: &RuntimeConfig, return_to: &str) -> Result<(), OidcError> {
    let flow = config.flow();
    let metadata = fetch_metadata(&config.issuer).await?;
    metadata.check_flow(flow)?;
    let verifier = pkce::code_verifier(browser::random_bytes()?);
    let sha256 = sha256_of(verifier.as_bytes()).await?;
    let length = sha256.len();
    let pkce = Pkce::from_sha256(verifier, &sha256).ok_or_else(|| OidcError::Browser {
        detail: format!("WebCrypto SHA-256 returned {length} bytes instead of 32"),
    })?;
    let secret = nonce::nonce_secret(browser::random_bytes()?);
    let sha256 = sha256_of(secret.as_bytes()).await?;
    let nonce = NonceBinding::from_sha256(secret, &sha256).ok_or_else(|| OidcError::Browser {
        detail: format!(
            "WebCrypto SHA-256 returned {} bytes instead of 32",
            sha256.len()
        ),
    })?;
    let random = LoginRandomness {
        state: browser::random_bytes()?,
        nonce,
        pkce,
    };
    let now = browser::now_secs();
    let origin = browser::origin()?;
    let settings = LoginSettings {
        client_id: &config.client_id,
        extra_scopes: &config.scopes,
        flow,
        origin: &origin,
    };
    let (pending, request) = prepare(&metadata, &settings, return_to, now, random);
    let store = SessionStore::open()?;
    store.prune_pending(now);
    store.save_pending(&pending)?;
    browser::navigate_away(&request.url())
}

async fn sha256_of(data: &[u8]) -> Result<Vec<u8>, OidcError> {
    WebCryptoVerifier
        .digest(Hash::Sha256, data)
        .await
        .map_err(|detail| OidcError::Browser {
            detail: format!("WebCrypto SHA-256 failed: {detail}"),
        })
}

/// A sign-in the browser has validated.
pub struct SignedIn {
    pub session: Session,
    /// For the exchange with sso-server; dropped after it (never stored).
    pub id_token: String,
    pub nonce_secret: String,
    pub return_to: String,
}

/// What a visit to the callback came to.
pub enum CallbackOutcome {
    /// Signed in; go to the return path.
    SignedIn(Box<SignedIn>),
    /// Nothing to do: a reload of the scrubbed callback URL, or the back button onto a
    /// spent response while already signed in. Go home, never to an error.
    NothingToDo,
}

/// Completes the sign-in for the callback's query (code flow) or fragment (implicit).
pub async fn complete_login(
    config: &RuntimeConfig,
    response: &str,
    signed_in: bool,
) -> Result<CallbackOutcome, OidcError> {
    let params = CallbackParams::parse(response)?;
    if params.is_empty() {
        return Ok(CallbackOutcome::NothingToDo);
    }
    let store = SessionStore::open()?;
    let Some(pending) = store.take_pending(params.state()?) else {
        return if signed_in {
            Ok(CallbackOutcome::NothingToDo)
        } else {
            Err(OidcError::StateMismatch)
        };
    };
    pending.check_for(&config.issuer, &config.client_id, browser::now_secs())?;
    let metadata = fetch_metadata(&pending.issuer).await?;

    let jwks_uri = metadata.jwks_uri();
    let (id_token, access_token, jwks) = if pending.flow.is_implicit() {
        let response = params.into_implicit(&metadata)?;
        let jwks = fetch_jwks(jwks_uri, false).await?;
        (response.id_token, response.access_token, jwks)
    } else {
        let code = params.into_code(&metadata)?;
        // One round trip instead of two: the keys (unless cached) are fetched while the
        // code is redeemed; a failed redemption just drops them.
        let (token, jwks) = futures_util::future::join(
            redeem(config, &metadata, &pending, &code),
            fetch_jwks(jwks_uri, false),
        )
        .await;
        (token?.id_token, None, jwks?)
    };
    let expect = IdTokenExpectations {
        issuer: pending.issuer.clone(),
        client_id: pending.client_id.clone(),
        // Required in both flows: we always send one (Core 3.1.3.7 step 11, 3.2.2.11).
        nonce: Some(pending.nonce.clone()),
        trusted_audiences: Vec::new(),
        provider_algs: metadata.id_token_signing_alg_values_supported.clone(),
        access_token,
    };
    let valid = validate_with_rotation(
        &id_token,
        &jwks,
        || fetch_jwks(jwks_uri, true),
        &expect,
        browser::now_secs(),
        &WebCryptoVerifier,
    )
    .await?;

    Ok(CallbackOutcome::SignedIn(Box::new(SignedIn {
        session: session::from_token(&valid, &config.groups_claim, browser::now_secs()),
        id_token,
        nonce_secret: pending.nonce_secret,
        return_to: pending.return_to,
    })))
}

/// RP-initiated logout: leaves for the IdP's end-session endpoint with a fresh `state`
/// (checked when the IdP sends the user back) and, from the server session, the spent ID
/// token as `id_token_hint`. `None` when the IdP offers no such endpoint.
pub async fn leave_for_idp(config: &RuntimeConfig, id_token_hint: Option<&str>) -> Option<()> {
    let metadata = fetch_metadata(&config.issuer).await.ok()?;
    let state = random_token(browser::random_bytes().ok()?);
    let origin = browser::origin().ok()?;
    let url = end_session_url(&metadata, &config.client_id, &origin, &state, id_token_hint)?;
    SessionStore::open()
        .ok()?
        .set(LOGOUT_STATE_KEY, &state)
        .ok()?;
    browser::navigate_away(&url).ok()
}

/// Exchanges the code: at the IdP's token endpoint, or through the server's relay when
/// the server holds a client secret (which must never reach the browser).
async fn redeem(
    config: &RuntimeConfig,
    metadata: &ProviderMetadata,
    pending: &PendingLogin,
    code: &AuthorizationCode,
) -> Result<TokenResponse, OidcError> {
    metadata.check_flow(pending.flow)?;
    let _span = browser::Span::start("token");
    let unreachable = |_| OidcError::TokenRequestFailed {
        status: None,
        error: None,
        description: None,
    };
    let response = if config.token_relay {
        // The relay's JSON body (docs/api.md).
        let body = serde_json::json!({
            "code": code.0,
            "code_verifier": pending.code_verifier,
            "redirect_uri": pending.redirect_uri,
        });
        http::post_json(TOKEN_RELAY_PATH, &body)
            .await
            .map_err(unreachable)?
    } else {
        let body = token_request_body(
            &code.0,
            &pending.redirect_uri,
            &pending.client_id,
            &pending.code_verifier,
        );
        http::post_form(metadata.token_endpoint(), body)
            .await
            .map_err(unreachable)?
    };
    TokenResponse::parse(response.status, &response.body)
}
