//! Learns which origins the browser must reach for the IdP (OIDC Discovery 1.0 §4) so connect-src can name them, and the token endpoint the relay posts to; cached, and never in the way of a page load.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::OnceCell;
use url::Url;

use crate::config::{is_allowed_web_url, Issuer};

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

/// The endpoints of OpenID Provider Metadata that the browser may fetch or
/// navigate to, and how the token endpoint wants clients to authenticate.
/// Unknown members are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub end_session_endpoint: Option<String>,
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

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
    NotJson(serde_json::Error),
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
            Self::NotJson(e) => write!(f, "not a JSON provider metadata document: {e}"),
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

pub struct DiscoveryOrigins {
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
}

impl DiscoveryOrigins {
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
        let result = fetch_metadata(&self.client, &self.discovery_url).await;
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

pub async fn fetch_metadata(
    client: &reqwest::Client,
    url: &str,
) -> Result<ProviderMetadata, DiscoveryError> {
    let body = fetch_limited(client, url).await?;
    serde_json::from_slice(&body).map_err(DiscoveryError::NotJson)
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
    reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("sso-server/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The client for the token relay's POST: no redirects, because a 307 or 308
/// would re-send the client credentials to wherever it points.
pub fn token_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(TOKEN_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("sso-server/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The issuer's origin first, then each endpoint's, deduplicated. Endpoints
/// that are not https (or local http) are left out rather than trusted.
pub fn collect_origins(issuer_origin: &str, metadata: &ProviderMetadata) -> Vec<String> {
    let mut origins = vec![issuer_origin.to_owned()];
    let endpoints = [
        &metadata.issuer,
        &metadata.authorization_endpoint,
        &metadata.token_endpoint,
        &metadata.jwks_uri,
        &metadata.userinfo_endpoint,
        &metadata.end_session_endpoint,
    ];
    for endpoint in endpoints.into_iter().flatten() {
        // The strict rule first: these origins go into a header.
        if !is_allowed_web_url(endpoint) {
            continue;
        }
        let Ok(url) = Url::parse(endpoint) else {
            continue;
        };
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_style_metadata_spans_several_origins() {
        let metadata: ProviderMetadata = serde_json::from_str(
            r#"{
                "issuer": "https://accounts.google.com",
                "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
                "token_endpoint": "https://oauth2.googleapis.com/token",
                "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
                "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
                "response_types_supported": ["code", "id_token"]
            }"#,
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
            let metadata = ProviderMetadata {
                userinfo_endpoint: Some(endpoint.into()),
                ..ProviderMetadata::default()
            };
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
        let metadata = ProviderMetadata {
            token_endpoint: Some("http://idp.example.com/token".into()),
            jwks_uri: Some("not a url".into()),
            userinfo_endpoint: Some("javascript:alert(1)".into()),
            end_session_endpoint: Some("https://idp.example.com:8443/logout".into()),
            ..ProviderMetadata::default()
        };
        assert_eq!(
            collect_origins("https://idp.example.com", &metadata),
            ["https://idp.example.com", "https://idp.example.com:8443"]
        );
    }
}
