//! The state every handler shares: handles to the store, the settings in force, the IdP cache,
//! the limiters, and the little logic that keeps them in step (publishing a saved snapshot).

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use crate::auth::{self, hash_token, hashes_equal};
use crate::config::{Config, Issuer, Limits};
use crate::error::{AdminError, StartupError};
use crate::http::limit::{client_ip, RateLimiter};
use crate::idp::{self, Idp};
use crate::session::SessionRules;
use crate::settings::{EnvSettings, Settings, Snapshot};
use crate::static_files::Dist;
use crate::store::Store;
use crate::{blocking, csp, http, log};

pub struct AppState {
    pub dist: Dist,
    /// The OIDC_* variables: each wins over the stored value of its field.
    pub env: EnvSettings,
    pub admin_groups: Vec<String>,
    pub store: Arc<dyn Store>,
    /// SSO_SESSION_LENGTH, SSO_SESSION_IDLE and the cookie's attributes.
    pub sessions: SessionRules,
    /// Timeouts, caps, trusted proxies, HSTS.
    pub limits: Limits,
    /// Sign-ins (session exchanges) per client IP.
    pub exchange_limit: RateLimiter,
    /// Token relays per client IP.
    pub relay_limit: RateLimiter,
    /// Failed admin authentications per client IP (the setup token must not be guessable).
    pub auth_failures: RateLimiter,
    /// SHA-256 of SSO_BOOTSTRAP_TOKEN; when unset the hash in the store is used.
    bootstrap_hash: Option<[u8; 32]>,
    current: RwLock<Arc<Settings>>,
    /// The IdP whose origins go into connect-src and form-action: the
    /// effective issuer, or else the one in dist/sso-config.json. Replaced
    /// when a save changes the issuer.
    idp: RwLock<Option<Arc<Idp>>>,
    static_issuer: Option<Issuer>,
    /// For the token relay: a longer timeout, and no redirects.
    pub(crate) token_http: reqwest::Client,
}

/// What start-up did about the setup token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupToken {
    /// SSO_BOOTSTRAP_TOKEN is set and is the setup token.
    FromEnv,
    /// Generated now; shown this once, only its hash is stored.
    Created(String),
    /// Created by an earlier start.
    Exists,
}

impl AppState {
    pub fn new(config: &Config) -> Result<Self, StartupError> {
        let dist = Dist::open(&config.dist)?;
        let store = crate::store::open(&config.database)?;
        let snapshot = store.load()?;
        let current = Settings::new(&config.env, snapshot);
        let static_issuer = static_config_issuer(dist.root());
        let token_http = idp::token_client().map_err(StartupError::HttpClient)?;
        let idp = current
            .issuer
            .as_ref()
            .or(static_issuer.as_ref())
            .map(|issuer| Idp::new(issuer).map(Arc::new))
            .transpose()
            .map_err(StartupError::HttpClient)?;
        Ok(Self {
            dist,
            env: config.env.clone(),
            admin_groups: config.admin_groups.clone(),
            store,
            sessions: SessionRules::new(&config.sessions),
            limits: config.limits.clone(),
            exchange_limit: RateLimiter::per_minute(config.limits.rate_per_minute),
            relay_limit: RateLimiter::per_minute(config.limits.rate_per_minute),
            auth_failures: RateLimiter::per_minute(config.limits.auth_failures_per_minute),
            bootstrap_hash: config
                .bootstrap_token
                .as_ref()
                .map(|t| hash_token(t.expose())),
            current: RwLock::new(Arc::new(current)),
            idp: RwLock::new(idp),
            static_issuer,
            token_http,
        })
    }

    /// Who sent the request, for rate limits and logs: the peer, or what trusted proxies say.
    pub fn client_ip(
        &self,
        extensions: &axum::http::Extensions,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        client_ip(
            http::serve::peer(extensions),
            headers,
            &self.limits.trusted_proxies,
        )
    }

    /// The settings in force now (env over stored).
    pub fn current(&self) -> Arc<Settings> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn idp(&self) -> Option<Arc<Idp>> {
        self.idp
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The discovery cache of `issuer`, unless a save has just replaced it
    /// with another issuer's.
    pub(crate) fn idp_for(&self, issuer: &Issuer) -> Option<Arc<Idp>> {
        self.idp().filter(|idp| idp.issuer() == issuer.as_str())
    }

    /// Who may frame /logout besides the app itself: the issuer's origin
    /// (the effective issuer, or else the one in dist/sso-config.json).
    pub fn framing_origins(&self) -> Vec<String> {
        self.idp()
            .map(|idp| vec![idp.issuer_origin().to_owned()])
            .unwrap_or_default()
    }

    /// Makes a saved snapshot the one in force: the public config, the CSP
    /// and the key cache follow at once. Older snapshots than the current one
    /// are ignored, so racing saves cannot roll the state back.
    pub fn publish(&self, snapshot: Snapshot) -> Arc<Settings> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if snapshot.version <= current.version() {
            return Arc::clone(&current);
        }
        let next = Arc::new(Settings::new(&self.env, snapshot));
        if next.issuer != current.issuer {
            let issuer = next.issuer.as_ref().or(self.static_issuer.as_ref());
            let idp = issuer.and_then(|i| match Idp::new(i) {
                Ok(idp) => Some(Arc::new(idp)),
                Err(e) => {
                    log(&format!("sso-server: cannot set up discovery for {i}: {e}"));
                    None
                }
            });
            if let Some(idp) = &idp {
                // So the next page already has the new IdP's origins.
                let idp = Arc::clone(idp);
                tokio::spawn(async move {
                    idp.origins().await;
                });
            }
            *self.idp.write().unwrap_or_else(PoisonError::into_inner) = idp;
        }
        *current = Arc::clone(&next);
        next
    }

    /// At start-up: SSO_BOOTSTRAP_TOKEN, or a token generated on the very
    /// first start (only its hash is stored).
    pub fn ensure_setup_token(&self) -> Result<SetupToken, StartupError> {
        if self.bootstrap_hash.is_some() {
            return Ok(SetupToken::FromEnv);
        }
        if self.store.setup_token_hash()?.is_some() {
            return Ok(SetupToken::Exists);
        }
        let token = auth::generate_setup_token().map_err(StartupError::Random)?;
        if self.store.create_setup_token(&hash_token(&token))? {
            Ok(SetupToken::Created(token))
        } else {
            // Another process created one between the two statements.
            Ok(SetupToken::Exists)
        }
    }

    /// Read from the store on every check, so `reset-setup-token` takes
    /// effect without a restart.
    pub async fn is_setup_token(&self, credential: &str) -> Result<bool, AdminError> {
        let presented = hash_token(credential);
        let expected = match self.bootstrap_hash {
            Some(hash) => Some(hash),
            None => {
                let store = Arc::clone(&self.store);
                blocking(move || store.setup_token_hash()).await?
            }
        };
        Ok(expected.is_some_and(|expected| hashes_equal(&presented, &expected)))
    }

    /// The CSP for an HTML document whose inline scripts hash to `script_hashes`.
    pub async fn html_policy(&self, script_hashes: &[String]) -> String {
        match self.idp() {
            Some(idp) => {
                let origins = idp.origins().await;
                // form-action: only the issuer, for a form-POST logout; other
                // endpoints are reached by fetch or top-level navigation.
                csp::html_policy(script_hashes, &origins, &[idp.issuer_origin().to_owned()])
            }
            None => csp::html_policy(script_hashes, &[], &[]),
        }
    }

    /// Starts the first discovery fetch in the background so that neither
    /// startup nor, usually, the first page waits for the IdP.
    pub fn warm_up(&self) {
        if let Some(idp) = self.idp() {
            tokio::spawn(async move {
                idp.origins().await;
            });
        }
    }
}

/// Without server-side config the SPA reads dist/sso-config.json, and its IdP
/// still has to be in connect-src. Read once at startup, like index.html's
/// first read; anything unusable leaves connect-src at 'self'.
fn static_config_issuer(root: &Path) -> Option<Issuer> {
    let path = root.join("sso-config.json");
    let text = std::fs::read(&path).ok()?;
    let issuer = serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("issuer")?.as_str().map(str::to_owned));
    match issuer.as_deref().map(Issuer::parse) {
        Some(Ok(issuer)) => Some(issuer),
        _ => {
            log(&format!(
                "sso-server: warning: {} has no usable \"issuer\"; connect-src allows only 'self'",
                path.display()
            ));
            None
        }
    }
}

/// How often each replica asks the store for the settings' version: a save on another
/// replica is in force here (public config, page data block, CSP) within this, plus the time
/// of one load.
pub const SETTINGS_WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Follows saves made by other processes on the same store (other replicas): the version is
/// one cheap read; only a newer one is loaded and published. While the store is away the
/// settings in force stay as they were, and the first check after its return catches up.
pub fn spawn_settings_watch(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SETTINGS_WATCH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            every.tick().await;
            let known = state.current().version();
            let store = Arc::clone(&state.store);
            let newer =
                tokio::task::spawn_blocking(move || -> Result<_, crate::store::StoreError> {
                    if store.version()? > known {
                        store.load().map(Some)
                    } else {
                        Ok(None)
                    }
                })
                .await;
            match newer {
                Ok(Ok(Some(snapshot))) => {
                    failing = false;
                    let version = snapshot.version;
                    state.publish(snapshot);
                    log(&format!(
                        "sso-server: settings version {version} saved elsewhere is now in force here"
                    ));
                }
                Ok(Ok(None)) => failing = false,
                // Logged once per outage, not every second.
                Ok(Err(e)) if !failing => {
                    failing = true;
                    log(&format!(
                        "sso-server: cannot check the settings' version ({e}); the settings in force stay until the store is back"
                    ));
                }
                _ => {}
            }
        }
    });
}
