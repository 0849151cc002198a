//! The identity provider as the server knows it, one cache per issuer: its discovery document
//! (OIDC Discovery 1.0 §4), read by the sign-in's own `ProviderMetadata::parse`; the origins
//! the browser must reach, for connect-src; and its signing keys (`Jwks::parse`), for the
//! session exchange. Never in the way of a page load.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use sso_web::oidc::url::HttpUrl;
use sso_web::oidc::{Jwks, ProviderMetadata};
use tokio::sync::OnceCell;

use crate::config::Issuer;
use crate::error::AdminError;

/// Long enough that the IdP sees one request per instance every few minutes,
/// short enough that a moved token endpoint is picked up without a restart.
pub const FRESH_FOR: Duration = Duration::from_secs(600);
/// After a failure the last good origins (or the issuer's) stay in use until a retry: this
/// long after the first failure, doubling with each further one up to [`BACKOFF_MAX`].
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A code exchange waits this long for the IdP's token endpoint.
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Real discovery documents are a few KiB; anything far larger is not one.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// When to try the IdP again after failures: 1 s, 2 s, 4 s … up to 30 s. A request after
/// that fetches at once, so the server is back within seconds of the IdP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
    retry_at: Option<Instant>,
}

impl Backoff {
    /// Records a failure at `now`; returns how long until the next try.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.failed_from(now, BACKOFF_FIRST)
    }

    /// As [`failed`](Self::failed), with another first delay (tests use zero).
    pub fn failed_from(&mut self, now: Instant, first: Duration) -> Duration {
        let delay = first
            .saturating_mul(1u32 << self.failures.min(16))
            .min(BACKOFF_MAX);
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some(now + delay);
        delay
    }

    pub fn succeeded(&mut self) {
        *self = Self::default();
    }

    /// Whether a fetch may be tried at `now`.
    pub fn ready(&self, now: Instant) -> bool {
        self.retry_at.is_none_or(|at| now >= at)
    }
}

#[derive(Debug)]
pub enum DiscoveryError {
    Request(reqwest::Error),
    Status(u16),
    /// 3xx: discovery and keys are fetched from the URL the issuer names, or not at all.
    Redirect(u16),
    TooLarge,
    /// Not a document the sign-in accepts: the reason, by the core's rules.
    Unusable(String),
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Request(e) => {
                // reqwest's own message is generic; the cause (DNS, refused,
                // TLS, timeout) is further down the chain.
                write!(f, "request failed: {e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            Self::Status(code) => write!(f, "HTTP status {code}"),
            Self::Redirect(code) => write!(
                f,
                "HTTP {code}, a redirect, which is not followed (set the issuer to the final URL)"
            ),
            Self::TooLarge => write!(f, "document larger than {MAX_DOCUMENT_BYTES} bytes"),
            Self::Unusable(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DiscoveryError {}

struct Cached {
    origins: Arc<[String]>,
    /// The last document that was fetched and parsed, kept through failures
    /// like the origins.
    metadata: Option<Arc<ProviderMetadata>>,
    refresh_at: Instant,
    from_discovery: bool,
}

pub struct Idp {
    issuer: String,
    issuer_origin: String,
    discovery_url: String,
    client: reqwest::Client,
    cache: RwLock<Option<Cached>>,
    first_fetch: OnceCell<()>,
    refreshing: AtomicBool,
    /// One fetch at a time; a caller that waited finds the cache filled.
    fetching: tokio::sync::Mutex<()>,
    backoff: std::sync::Mutex<Backoff>,
    fresh_for: Duration,
    backoff_first: Duration,
    /// The signing keys; held across their fetch so concurrent requests share one.
    keys: tokio::sync::Mutex<KeysState>,
}

impl Idp {
    pub fn new(issuer: &Issuer) -> Result<Self, reqwest::Error> {
        Self::with_timing(issuer, FRESH_FOR, BACKOFF_FIRST)
    }

    /// Shorter periods let tests watch a refresh happen.
    pub fn with_timing(
        issuer: &Issuer,
        fresh_for: Duration,
        backoff_first: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = http_client()?;
        Ok(Self {
            issuer: issuer.as_str().to_owned(),
            issuer_origin: issuer.origin(),
            discovery_url: issuer.discovery_url(),
            client,
            cache: RwLock::new(None),
            first_fetch: OnceCell::new(),
            refreshing: AtomicBool::new(false),
            fetching: tokio::sync::Mutex::new(()),
            backoff: std::sync::Mutex::new(Backoff::default()),
            fresh_for,
            backoff_first,
            keys: tokio::sync::Mutex::new(KeysState::default()),
        })
    }

    /// The issuer as configured, byte for byte.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn issuer_origin(&self) -> &str {
        &self.issuer_origin
    }

    /// The last discovery document that could be fetched, with the same caching as
    /// [`origins`](Self::origins). When there is none yet and the backoff after the last
    /// failure has passed, it is fetched now, so a late IdP works on the next request.
    /// `None` while discovery fails.
    pub async fn metadata(self: &Arc<Self>) -> Option<Arc<ProviderMetadata>> {
        self.origins().await;
        let read = || {
            let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
            let metadata = cache.as_ref().and_then(|c| c.metadata.clone());
            let due = cache
                .as_ref()
                .is_none_or(|c| Instant::now() >= c.refresh_at);
            (metadata, due)
        };
        match read() {
            (Some(metadata), _) => Some(metadata),
            (None, true) => {
                self.refresh().await;
                read().0
            }
            (None, false) => None,
        }
    }

    /// The origins for connect-src. Only the very first call waits (at most
    /// FETCH_TIMEOUT) so that the first page after startup is already right;
    /// after that a stale entry is served while a background task refreshes it.
    pub async fn origins(self: &Arc<Self>) -> Arc<[String]> {
        self.first_fetch.get_or_init(|| self.refresh()).await;
        let (origins, stale) = {
            let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
            match cache.as_ref() {
                Some(c) => (Arc::clone(&c.origins), Instant::now() >= c.refresh_at),
                None => (self.fallback(), true),
            }
        };
        if stale && !self.refreshing.swap(true, Ordering::AcqRel) {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                this.refresh().await;
                this.refreshing.store(false, Ordering::Release);
            });
        }
        origins
    }

    /// Fetches once and updates the cache; failures are logged, not returned,
    /// because every caller would do the same thing with them. One fetch at a time: a caller
    /// that waited for another's finds the cache fresh and fetches nothing.
    pub async fn refresh(&self) {
        let _one = self.fetching.lock().await;
        // Fetched (or failed, and backing off) while this caller waited for the lock.
        let fresh = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|c| Instant::now() < c.refresh_at);
        if fresh {
            return;
        }
        let result = fetch_metadata(&self.client, &self.discovery_url, &self.issuer).await;
        let now = Instant::now();
        let retry_in = {
            let mut backoff = self.backoff.lock().unwrap_or_else(PoisonError::into_inner);
            match &result {
                Ok(_) => {
                    backoff.succeeded();
                    self.fresh_for
                }
                Err(_) => backoff.failed_from(now, self.backoff_first),
            }
        };
        if let Err(err) = &result {
            log_failure(&self.discovery_url, err, retry_in);
        }
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        *cache = Some(match result {
            Ok(metadata) => Cached {
                origins: collect_origins(&self.issuer_origin, &metadata).into(),
                metadata: Some(Arc::new(metadata)),
                refresh_at: now + self.fresh_for,
                from_discovery: true,
            },
            // Keep origins that worked before: an IdP blip must not shrink
            // connect-src under pages that are already loaded.
            Err(_) => match cache.take() {
                Some(previous) if previous.from_discovery => Cached {
                    refresh_at: now + retry_in,
                    ..previous
                },
                _ => Cached {
                    origins: self.fallback(),
                    metadata: None,
                    refresh_at: now + retry_in,
                    from_discovery: false,
                },
            },
        });
    }

    fn fallback(&self) -> Arc<[String]> {
        Arc::from(vec![self.issuer_origin.clone()])
    }
}

fn log_failure(url: &str, err: &DiscoveryError, retry_after: Duration) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr().lock(),
        "sso-server: discovery from {url} failed ({err}); connect-src keeps the last good IdP origins (or the issuer's), retry in {} ms at the earliest",
        retry_after.as_millis()
    );
}

/// The discovery document at `url`, as the sign-in reads it for `issuer`.
pub async fn fetch_metadata(
    client: &reqwest::Client,
    url: &str,
    issuer: &str,
) -> Result<ProviderMetadata, DiscoveryError> {
    let body = fetch_limited(client, url).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| DiscoveryError::Unusable("the document is not UTF-8".to_owned()))?;
    ProviderMetadata::parse(text, issuer)
        .map_err(|e| DiscoveryError::Unusable(format!("{} {}", e.title(), e.detail())))
}

/// GETs a JSON document from the IdP, refusing anything that is not a
/// success or is larger than MAX_DOCUMENT_BYTES.
pub async fn fetch_limited(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, DiscoveryError> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(DiscoveryError::Request)?;
    if response.status().is_redirection() {
        return Err(DiscoveryError::Redirect(response.status().as_u16()));
    }
    if !response.status().is_success() {
        return Err(DiscoveryError::Status(response.status().as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(DiscoveryError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(DiscoveryError::Request)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(DiscoveryError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The client for discovery and the JWKS: bounded in time, and no redirects at all. A
/// redirect could downgrade https to http (a network attacker's 302 swaps the keys) or lead
/// to an internal host (blind SSRF); the documents' URLs are the issuer's own, so a
/// provider that moves them is configured with the new address instead.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    client_without_redirects(FETCH_TIMEOUT)
}

/// The client for the token relay's POST: no redirects, because a 307 or 308
/// would re-send the client credentials to wherever it points.
pub fn token_client() -> Result<reqwest::Client, reqwest::Error> {
    client_without_redirects(TOKEN_TIMEOUT)
}

fn client_without_redirects(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("sso-server/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The issuer's origin first, then each endpoint's, deduplicated. Endpoints that break the
/// sign-in's URL rule (`HttpUrl`: https, or loopback http; a host that cannot widen or end a
/// CSP directive) are left out rather than trusted.
pub fn collect_origins(issuer_origin: &str, metadata: &ProviderMetadata) -> Vec<String> {
    let mut origins = vec![issuer_origin.to_owned()];
    let endpoints = [
        Some(&metadata.issuer),
        metadata.authorization_endpoint.as_ref(),
        metadata.token_endpoint.as_ref(),
        metadata.jwks_uri.as_ref(),
        metadata.userinfo_endpoint.as_ref(),
        metadata.end_session_endpoint.as_ref(),
    ];
    for endpoint in endpoints.into_iter().flatten() {
        let Ok(url) = HttpUrl::parse(endpoint) else {
            continue;
        };
        // The origin as browsers serialize it: lowercase host, no default port.
        let Ok(parsed) = url::Url::parse(endpoint) else {
            continue;
        };
        let origin = parsed.origin().ascii_serialization();
        let _ = url;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

/// A JWKS is reused this long before it is fetched again.
pub const KEYS_FRESH_FOR: Duration = Duration::from_secs(600);
/// An unknown `kid` refetches the JWKS (keys rotate), but not more often than this: a stream
/// of forged kids must not turn into a stream of requests to the IdP.
pub const MIN_FORCED_REFETCH: Duration = Duration::from_secs(10);

struct Keys {
    jwks: Arc<Jwks>,
    provider_algs: Option<Vec<String>>,
    refresh_at: Instant,
}

#[derive(Default)]
struct KeysState {
    fetched: Option<Keys>,
    last_forced: Option<Instant>,
    /// After a failure no request fetches again until this allows: an outage must not turn
    /// a flood of requests into a flood of fetches.
    backoff: Backoff,
}

/// What a caller is told when the keys cannot be had: stable, and without the internal chain
/// (which goes to the log).
fn idp_unreachable() -> AdminError {
    AdminError::IdpUnavailable(
        "the identity provider is unreachable: its signing keys could not be loaded; try again in a few seconds (the server log has the details)"
            .to_owned(),
    )
}

impl Idp {
    /// The signing keys and the algorithms the provider advertises, fetched when missing or
    /// older than [`KEYS_FRESH_FOR`] from the cached document's `jwks_uri`. If a refresh fails
    /// the previous keys stay in use; without any, callers fail fast until the backoff allows
    /// the next fetch (1 s, doubling to 30 s).
    pub async fn keys(self: &Arc<Self>) -> Result<(Arc<Jwks>, Option<Vec<String>>), AdminError> {
        let mut state = self.keys.lock().await;
        let now = Instant::now();
        let cached = state.fetched.as_ref().map(|k| {
            (
                Arc::clone(&k.jwks),
                k.provider_algs.clone(),
                now < k.refresh_at,
            )
        });
        match cached {
            Some((jwks, algs, true)) => return Ok((jwks, algs)),
            Some((jwks, algs, false)) if !state.backoff.ready(now) => return Ok((jwks, algs)),
            None if !state.backoff.ready(now) => return Err(idp_unreachable()),
            _ => {}
        }
        match self.fetch_keys().await {
            Ok(keys) => {
                let out = (Arc::clone(&keys.jwks), keys.provider_algs.clone());
                state.fetched = Some(keys);
                state.backoff.succeeded();
                Ok(out)
            }
            Err(why) => {
                let retry = state
                    .backoff
                    .failed_from(Instant::now(), self.backoff_first);
                crate::log(&format!(
                    "sso-server: cannot load the signing keys of {}: {why}; retry in {} ms at the earliest",
                    self.issuer,
                    retry.as_millis()
                ));
                match state.fetched.as_ref() {
                    Some(k) => Ok((Arc::clone(&k.jwks), k.provider_algs.clone())),
                    None => Err(idp_unreachable()),
                }
            }
        }
    }

    /// After an unknown `kid`: fetches the keys again, unless a forced fetch happened within
    /// [`MIN_FORCED_REFETCH`]. `None` when nothing new was fetched.
    pub async fn refetch_keys(self: &Arc<Self>) -> Option<Arc<Jwks>> {
        let mut state = self.keys.lock().await;
        if state
            .last_forced
            .is_some_and(|t| t.elapsed() < MIN_FORCED_REFETCH)
        {
            return None;
        }
        state.last_forced = Some(Instant::now());
        match self.fetch_keys().await {
            Ok(keys) => {
                let jwks = Arc::clone(&keys.jwks);
                state.fetched = Some(keys);
                Some(jwks)
            }
            Err(why) => {
                crate::log(&format!(
                    "sso-server: cannot reload the signing keys of {}: {why}",
                    self.issuer
                ));
                None
            }
        }
    }

    async fn fetch_keys(self: &Arc<Self>) -> Result<Keys, String> {
        let metadata = self.metadata().await.ok_or_else(|| {
            format!(
                "discovery from {} failed (the log line before this one has the reason)",
                self.discovery_url
            )
        })?;
        let jwks_uri = metadata.jwks_uri();
        let body = fetch_limited(&self.client, jwks_uri)
            .await
            .map_err(|e| format!("JWKS from {jwks_uri} failed ({e})"))?;
        let jwks = Jwks::parse(&String::from_utf8_lossy(&body))
            .map_err(|e| format!("JWKS unusable: {} {}", e.title(), e.detail()))?;
        Ok(Keys {
            jwks: Arc::new(jwks),
            provider_algs: metadata.id_token_signing_alg_values_supported.clone(),
            refresh_at: Instant::now() + KEYS_FRESH_FOR,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document of `https://idp.example.com` that the sign-in accepts, with `extra` members.
    fn metadata(extra: serde_json::Value) -> ProviderMetadata {
        let mut doc = serde_json::json!({
            "issuer": "https://idp.example.com",
            "authorization_endpoint": "https://idp.example.com/auth",
            "jwks_uri": "https://idp.example.com/jwks",
        });
        if let (Some(doc), Some(extra)) = (doc.as_object_mut(), extra.as_object()) {
            doc.extend(extra.clone());
        }
        ProviderMetadata::parse(&doc.to_string(), "https://idp.example.com").expect("valid")
    }

    #[test]
    fn google_style_metadata_spans_several_origins() {
        let metadata = ProviderMetadata::parse(
            r#"{
                "issuer": "https://accounts.google.com",
                "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
                "token_endpoint": "https://oauth2.googleapis.com/token",
                "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
                "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
                "response_types_supported": ["code", "id_token"]
            }"#,
            "https://accounts.google.com",
        )
        .expect("valid metadata");
        assert_eq!(
            collect_origins("https://accounts.google.com", &metadata),
            [
                "https://accounts.google.com",
                "https://oauth2.googleapis.com",
                "https://www.googleapis.com",
                "https://openidconnect.googleapis.com",
            ]
        );
    }

    #[test]
    fn hosts_that_could_rewrite_the_csp_are_skipped() {
        for endpoint in [
            "https://*/u",
            "https://*.example.com/u",
            "https://x;sandbox/",
            "https://a,b.example.com/",
            "https://'unsafe-inline'/",
            "https://\"x\".example.com/",
            "https://x y.example.com/",
            "https://bücher.example/",
            "https://x%3Bsandbox.example.com/",
        ] {
            let metadata = metadata(serde_json::json!({ "userinfo_endpoint": endpoint }));
            assert_eq!(
                collect_origins("https://idp.example.com", &metadata),
                ["https://idp.example.com"],
                "{endpoint}"
            );
        }
    }

    #[test]
    fn the_backoff_doubles_to_thirty_seconds_and_resets() {
        let mut backoff = Backoff::default();
        let t0 = Instant::now();
        assert!(backoff.ready(t0));
        let delays: Vec<u64> = (0..8).map(|_| backoff.failed(t0).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert!(!backoff.ready(t0 + Duration::from_secs(29)));
        assert!(backoff.ready(t0 + Duration::from_secs(30)));
        backoff.succeeded();
        assert!(backoff.ready(t0));
        assert_eq!(backoff.failed(t0), Duration::from_secs(1));
    }

    #[test]
    fn unusable_endpoints_are_skipped() {
        let metadata = metadata(serde_json::json!({
            "token_endpoint": "http://idp.example.com/token",
            "userinfo_endpoint": "javascript:alert(1)",
            "end_session_endpoint": "https://idp.example.com:8443/logout",
        }));
        assert_eq!(
            collect_origins("https://idp.example.com", &metadata),
            ["https://idp.example.com", "https://idp.example.com:8443"]
        );
    }
}
