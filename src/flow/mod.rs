//! The sign-in and sign-out flows, behind a small [`Port`] to the world (HTTP, the tab's
//! storage, the clock, randomness, crypto, navigation), so that `cargo test` drives every
//! branch on the host (`tests/flow.rs`) and the browser supplies the real thing
//! (`auth::flow::BrowserPort`). Every protocol decision is made in `oidc`; this is the order
//! of the steps and what is kept between them.

pub mod records;

use crate::contract::admin::TOKEN_RELAY_PATH;
use crate::contract::config::SsoConfig;
use crate::contract::session::SessionInfo;
use crate::oidc::authorize::{prepare, LoginRandomness, LoginSettings};
use crate::oidc::callback::AuthorizationCode;
use crate::oidc::discovery::discovery_url;
use crate::oidc::id_token::{validate_with_rotation, IdTokenExpectations};
use crate::oidc::jwt::Hash;
use crate::oidc::logout::end_session_url;
use crate::oidc::nonce::{self, NonceBinding};
use crate::oidc::pkce::{self, Pkce};
use crate::oidc::random_token::random_token;
use crate::oidc::token::{token_request_body, token_request_body_without_code};
use crate::oidc::{
    CallbackParams, Jwks, OidcError, PendingLogin, ProviderMetadata, SignatureVerifier,
    TokenResponse,
};
pub use records::{LOGOUT_STATE_KEY, PENDING_PREFIX, PREFIX};

/// An HTTP answer: the status and the body as text.
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// The tab's storage (sessionStorage: gone with the tab, never localStorage).
pub trait Storage {
    fn load(&self, key: &str) -> Option<String>;
    fn save(&self, key: &str, value: &str) -> Result<(), OidcError>;
    fn remove(&self, key: &str);
    fn keys_with_prefix(&self, prefix: &str) -> Vec<String>;
}

/// What the flows need from the world. The browser's is `auth::flow::BrowserPort`; the host
/// tests' is an in-memory one with a scripted IdP.
#[allow(async_fn_in_trait)] // Implemented in this crate only, on one thread (wasm).
pub trait Port: Storage {
    type Verifier: SignatureVerifier;
    /// A timing mark that ends when dropped (the browser's performance timeline).
    type Span;

    /// GET without cookies; `fresh` bypasses caches (keys after a rotation). `Err` is a
    /// network failure (no HTTP status), with the reason.
    async fn get(&self, url: &str, fresh: bool) -> Result<HttpResponse, String>;
    /// POST of a form body without cookies (the IdP's token endpoint).
    async fn post_form(&self, url: &str, body: String) -> Result<HttpResponse, String>;
    /// POST of a JSON body to this app's own server, with its cookies and the CSRF header.
    async fn post_json(&self, url: &str, body: &serde_json::Value) -> Result<HttpResponse, String>;

    /// Unix seconds.
    fn now(&self) -> u64;
    /// 32 bytes from a CSPRNG.
    fn random(&self) -> Result<[u8; 32], OidcError>;
    /// Signatures and digests.
    fn verifier(&self) -> &Self::Verifier;
    /// This app's origin (`https://sso.example.com`).
    fn origin(&self) -> Result<String, OidcError>;
    /// Leaves the app for `url` (the IdP). Returns only on failure.
    fn navigate_away(&self, url: &str) -> Result<(), OidcError>;
    /// How many sign-outs this tab has seen: one that happens while a sign-in completes
    /// drops that sign-in.
    fn sign_outs(&self) -> u32;
    fn span(&self, step: &'static str) -> Self::Span;
    /// The token endpoint's answer that the callback page's early script asked for while the
    /// app loaded (`callback.html`), if it did so for this `state`; taken once.
    async fn early_token(&self, _state: &str) -> Option<Result<HttpResponse, String>> {
        None
    }
}

/// How long a cached discovery document or JWKS is used without refetching. An unknown
/// `kid` still refetches the JWKS at once (key rotation).
pub const METADATA_TTL_SECS: u64 = 600;
const DISCOVERY_CACHE_PREFIX: &str = "sso-web:discovery:";
const JWKS_CACHE_PREFIX: &str = "sso-web:jwks:";

/// The provider's metadata, from this tab's cache when fresh.
pub async fn fetch_metadata<P: Port>(
    port: &P,
    issuer: &str,
) -> Result<ProviderMetadata, OidcError> {
    let url = discovery_url(issuer);
    let failed = |detail: String| OidcError::DiscoveryFailed {
        url: url.clone(),
        detail,
    };
    let key = format!("{DISCOVERY_CACHE_PREFIX}{issuer}");
    let _span = port.span("discovery");
    cached_get(
        port,
        &key,
        &url,
        false,
        |b| ProviderMetadata::parse(b, issuer),
        failed,
    )
    .await
}

/// The JWKS; `fresh` bypasses both this tab's cache and the HTTP cache (rotation).
async fn fetch_jwks<P: Port>(port: &P, url: &str, fresh: bool) -> Result<Jwks, OidcError> {
    let failed = |detail: String| OidcError::JwksFailed {
        detail: format!("{url}: {detail}"),
    };
    let key = format!("{JWKS_CACHE_PREFIX}{url}");
    let _span = port.span("jwks");
    cached_get(port, &key, url, fresh, Jwks::parse, failed).await
}

/// GET `url` as `parse` understands it, from this tab's cache under `key` unless `fresh`
/// or stale; only a body that parses is remembered.
async fn cached_get<P: Port, T>(
    port: &P,
    key: &str,
    url: &str,
    fresh: bool,
    parse: impl Fn(&str) -> Result<T, OidcError>,
    failed: impl Fn(String) -> OidcError,
) -> Result<T, OidcError> {
    let now = port.now();
    if !fresh {
        if let Some(value) = records::cached(port, key, now).and_then(|body| parse(&body).ok()) {
            return Ok(value);
        }
    }
    let HttpResponse { status, body } = port.get(url, fresh).await.map_err(&failed)?;
    if status != 200 {
        return Err(failed(format!("HTTP {status}")));
    }
    let value = parse(&body)?;
    records::remember(port, key, &body, now);
    Ok(value)
}

/// Warms this tab's cache with the discovery document and the JWKS while the user
/// looks at the sign-in button, so the click leaves at once and the callback makes one
/// round trip (the token request). Failures are left for the sign-in to report.
pub async fn prefetch<P: Port>(port: &P, issuer: &str) {
    if let Ok(metadata) = fetch_metadata(port, issuer).await {
        let _ = fetch_jwks(port, metadata.jwks_uri(), false).await;
    }
}

async fn sha256_of<P: Port>(port: &P, data: &[u8]) -> Result<Vec<u8>, OidcError> {
    port.verifier()
        .digest(Hash::Sha256, data)
        .await
        .map_err(|detail| OidcError::Browser {
            detail: format!("SHA-256 failed: {detail}"),
        })
}

fn wrong_length(length: usize) -> OidcError {
    OidcError::Browser {
        detail: format!("SHA-256 returned {length} bytes instead of 32"),
    }
}

/// Records a pending login and leaves for the IdP. Returns only on failure.
pub async fn begin_login<P: Port>(
    port: &P,
    config: &SsoConfig,
    return_to: &str,
) -> Result<(), OidcError> {
    let flow = config.flow();
    let metadata = fetch_metadata(port, &config.issuer).await?;
    metadata.check_flow(flow)?;
    let verifier = pkce::code_verifier(port.random()?);
    let sha256 = sha256_of(port, verifier.as_bytes()).await?;
    let pkce = Pkce::from_sha256(verifier, &sha256).ok_or_else(|| wrong_length(sha256.len()))?;
    let secret = nonce::nonce_secret(port.random()?);
    let sha256 = sha256_of(port, secret.as_bytes()).await?;
    let nonce =
        NonceBinding::from_sha256(secret, &sha256).ok_or_else(|| wrong_length(sha256.len()))?;
    let random = LoginRandomness {
        state: port.random()?,
        nonce,
        pkce,
    };
    let now = port.now();
    let origin = port.origin()?;
    let settings = LoginSettings {
        client_id: &config.client_id,
        extra_scopes: &config.scopes,
        flow,
        origin: &origin,
    };
    let (pending, request) = prepare(&metadata, &settings, return_to, now, random);
    records::prune_pending(port, now);
    records::save_pending(port, &pending)?;
    // The callback page can then redeem the code while the app still loads. Not through the
    // relay (the server holds the secret) and not in the implicit flow (no code).
    if !config.token_relay && !flow.is_implicit() {
        records::save_early_token(
            port,
            &pending.state,
            &records::EarlyToken {
                token_endpoint: metadata.token_endpoint().to_owned(),
                body: token_request_body_without_code(
                    &pending.redirect_uri,
                    &pending.client_id,
                    &pending.code_verifier,
                ),
                created_at: now,
                issuer: pending.issuer.clone(),
                iss_required: metadata.iss_parameter_required(),
            },
        )?;
    }
    port.navigate_away(&request.url())
}

/// A sign-in the browser has validated.
pub struct SignedIn {
    pub session: SessionInfo,
    /// For the exchange with sso-server; dropped after it (never stored).
    pub id_token: String,
    pub nonce_secret: String,
    pub return_to: String,
}

/// What a visit to the callback came to.
pub enum CallbackOutcome {
    /// Signed in; go to the return path.
    SignedIn(Box<SignedIn>),
    /// Nothing to do: a reload of the scrubbed callback URL, the back button onto a spent
    /// response while already signed in, or a sign-out while this sign-in completed. Go
    /// home, never to an error.
    NothingToDo,
}

/// Completes the sign-in for the callback's query (code flow) or fragment (implicit).
pub async fn complete_login<P: Port>(
    port: &P,
    config: &SsoConfig,
    response: &str,
    signed_in: bool,
) -> Result<CallbackOutcome, OidcError> {
    let sign_outs = port.sign_outs();
    let params = CallbackParams::parse(response)?;
    if params.is_empty() {
        return Ok(CallbackOutcome::NothingToDo);
    }
    let Some(pending) = records::take_pending(port, params.state()?) else {
        return if signed_in {
            Ok(CallbackOutcome::NothingToDo)
        } else {
            Err(OidcError::StateMismatch)
        };
    };
    pending.check_for(&config.issuer, &config.client_id, port.now())?;
    let metadata = fetch_metadata(port, &pending.issuer).await?;

    let jwks_uri = metadata.jwks_uri();
    let (id_token, access_token, jwks) = if pending.flow.is_implicit() {
        let response = params.into_implicit(&metadata)?;
        let jwks = fetch_jwks(port, jwks_uri, false).await?;
        (response.id_token, response.access_token, jwks)
    } else {
        let code = params.into_code(&metadata)?;
        // One round trip instead of two: the keys (unless cached) are fetched while the
        // code is redeemed; a failed redemption just drops them.
        let (token, jwks) = futures_util::future::join(
            redeem(port, config, &metadata, &pending, &code),
            fetch_jwks(port, jwks_uri, false),
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
    let token = validate_with_rotation(
        &id_token,
        &jwks,
        || fetch_jwks(port, jwks_uri, true),
        &expect,
        port.now(),
        port.verifier(),
    )
    .await?;
    if port.sign_outs() != sign_outs {
        return Ok(CallbackOutcome::NothingToDo);
    }
    Ok(CallbackOutcome::SignedIn(Box::new(SignedIn {
        session: SessionInfo::from_token(&token, &config.groups_claim, port.now()),
        id_token,
        nonce_secret: pending.nonce_secret,
        return_to: pending.return_to,
    })))
}

/// Exchanges the code: at the IdP's token endpoint, or through the server's relay when
/// the server holds a client secret (which must never reach the browser).
async fn redeem<P: Port>(
    port: &P,
    config: &SsoConfig,
    metadata: &ProviderMetadata,
    pending: &PendingLogin,
    code: &AuthorizationCode,
) -> Result<TokenResponse, OidcError> {
    metadata.check_flow(pending.flow)?;
    let _span = port.span("token");
    let unreachable = |_| OidcError::TokenRequestFailed {
        status: None,
        error: None,
        description: None,
    };
    // Asked for by the callback page while the app loaded: the same request, to the token
    // endpoint this sign-in started with. Every check below applies to its answer alike.
    let early = if config.token_relay {
        None
    } else {
        port.early_token(&pending.state).await
    };
    // A network failure of the early request (it may not have left) gets one ordinary try;
    // if the code was redeemed after all, the IdP refuses the second use and says so.
    let response = if let Some(Ok(early)) = early {
        early
    } else if config.token_relay {
        // The relay's JSON body (docs/api.md).
        let body = serde_json::json!({
            "code": code.0,
            "code_verifier": pending.code_verifier,
            "redirect_uri": pending.redirect_uri,
        });
        port.post_json(TOKEN_RELAY_PATH, &body)
            .await
            .map_err(unreachable)?
    } else {
        let body = token_request_body(
            &code.0,
            &pending.redirect_uri,
            &pending.client_id,
            &pending.code_verifier,
        );
        port.post_form(metadata.token_endpoint(), body)
            .await
            .map_err(unreachable)?
    };
    TokenResponse::parse(response.status, &response.body)
}

/// RP-initiated logout: leaves for the IdP's end-session endpoint with a fresh `state`
/// (checked when the IdP sends the user back) and, from the server session, the spent ID
/// token as `id_token_hint`. `None` when the IdP offers no such endpoint.
pub async fn leave_for_idp<P: Port>(
    port: &P,
    config: &SsoConfig,
    id_token_hint: Option<&str>,
) -> Option<()> {
    let metadata = fetch_metadata(port, &config.issuer).await.ok()?;
    let state = random_token(port.random().ok()?);
    let origin = port.origin().ok()?;
    let url = end_session_url(&metadata, &config.client_id, &origin, &state, id_token_hint)?;
    port.save(LOGOUT_STATE_KEY, &state).ok()?;
    port.navigate_away(&url).ok()
}

/// Whether a return from the IdP's end-session endpoint carries the `state` this tab sent;
/// the saved one is spent either way.
pub fn returned_from_logout<P: Port>(port: &P, returned_state: &str) -> bool {
    let expected = port.load(LOGOUT_STATE_KEY);
    port.remove(LOGOUT_STATE_KEY);
    expected.as_deref() == Some(returned_state)
}

/// Forgets this tab's session and half-finished sign-ins (the local part of a sign-out).
pub fn forget_all<P: Port>(port: &P) {
    for key in port.keys_with_prefix(PREFIX) {
        port.remove(&key);
    }
}
