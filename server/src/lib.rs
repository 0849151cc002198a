//! sso-server: serves the sso-web SPA with a strict CSP, its runtime SSO config at /api/v1/sso/config, the form_post bridge at POST /oidc/callback, the token relay at /api/v1/sso/token, the admin settings API under /api/v1/admin, and /healthz.

pub mod admin;
pub mod api;
pub mod auth;
pub mod body;
pub mod callback;
pub mod config;
pub mod csp;
pub mod error;
pub mod http;
pub mod idp;
pub mod relay;
pub mod session;
pub mod settings;
pub mod static_files;
pub mod store;

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::auth::{hash_token, hashes_equal};
use crate::config::{Config, Issuer, Limits, DEFAULT_DATABASE};
use crate::error::{AdminError, ApiError, StartupError};
use crate::http::limit::{client_ip, RateLimiter};
use crate::idp::Idp;
use crate::session::SessionRules;
use crate::settings::{EnvSettings, Settings, Snapshot};
use crate::static_files::{Dist, FramableByIdp};
use crate::store::{Store, StoreError};
use sso_web::contract::admin::{ADMIN_AUDIT_PATH, ADMIN_WHOAMI_PATH, TOKEN_RELAY_PATH};
use sso_web::contract::config::CONFIG_API_PATH;
use sso_web::contract::session::{
    ADMIN_REVOKE_OTHERS_PATH, ADMIN_SESSIONS_PATH, SESSION_LOGOUT_PATH, SESSION_PATH,
};
use sso_web::contract::settings::ADMIN_SETTINGS_PATH;

pub struct AppState {
    pub dist: Dist,
    /// The OIDC_* variables: each wins over the stored value of its field.
    pub env: EnvSettings,
    pub admin_groups: Vec<String>,
    pub store: Arc<Store>,
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
        let store = Store::open(&config.database)?;
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
            store: Arc::new(store),
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

/// Runs blocking store work off the async runtime; a store failure is
/// logged here and answered as a plain 500.
pub async fn blocking<T, F>(work: F) -> Result<T, AdminError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            log(&format!("sso-server: settings store: {e}"));
            Err(AdminError::Internal)
        }
        Err(e) => {
            log(&format!("sso-server: settings store task failed: {e}"));
            Err(AdminError::Internal)
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

pub fn app(state: Arc<AppState>) -> Router {
    let limits = state.limits.clone();
    Router::new()
        .route("/healthz", get(api::healthz))
        .route(CONFIG_API_PATH, get(api::sso_config))
        .route(TOKEN_RELAY_PATH, post(relay::token))
        // GET is the SPA's page, as for any other client-side route.
        .route(
            callback::CALLBACK_PATH,
            get(static_files::serve).post(callback::form_post),
        )
        .route(
            ADMIN_SETTINGS_PATH,
            get(admin::get_settings).put(admin::put_settings),
        )
        .route(ADMIN_AUDIT_PATH, get(admin::audit))
        .route(ADMIN_WHOAMI_PATH, get(admin::whoami))
        .route(
            SESSION_PATH,
            post(session::exchange::create)
                .get(session::routes::get)
                .delete(session::routes::delete),
        )
        .route(SESSION_LOGOUT_PATH, post(session::routes::logout))
        .route(ADMIN_SESSIONS_PATH, get(admin::sessions))
        .route(
            &format!("{ADMIN_SESSIONS_PATH}/{{id}}"),
            delete(admin::end_session),
        )
        .route(ADMIN_REVOKE_OTHERS_PATH, post(admin::end_other_sessions))
        // Unknown API paths must be JSON errors, never the SPA's index.html.
        .route("/api", any(api::not_found))
        .route("/api/", any(api::not_found))
        .route("/api/{*rest}", any(api::not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(static_files::serve)
        .layer(CompressionLayer::new())
        // A client gets this long for its body, and the whole request this long; its headers
        // are timed by the accept loop (http/serve.rs).
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            security_headers,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn method_not_allowed(uri: Uri) -> Response {
    let mut response = ApiError::MethodNotAllowed.into_response();
    let allow = match uri.path() {
        ADMIN_SETTINGS_PATH => Some("GET, HEAD, PUT"),
        TOKEN_RELAY_PATH | SESSION_LOGOUT_PATH | ADMIN_REVOKE_OTHERS_PATH => Some("POST"),
        SESSION_PATH => Some("GET, HEAD, POST, DELETE"),
        ADMIN_SESSIONS_PATH => Some("GET, HEAD"),
        path if path.starts_with(&format!("{ADMIN_SESSIONS_PATH}/")) => Some("DELETE"),
        callback::CALLBACK_PATH => Some("GET, HEAD, POST"),
        _ => None,
    };
    if let Some(allow) = allow {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=()";

async fn security_headers(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if !response
        .headers()
        .contains_key(header::CONTENT_SECURITY_POLICY)
    {
        let is_html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        // A 304 has no Content-Type but its headers replace the cached
        // document's, so it must not downgrade an HTML page to the
        // non-HTML policy.
        let policy = if is_html || response.status() == StatusCode::NOT_MODIFIED {
            let page = state.dist.current_index();
            HeaderValue::from_str(&state.html_policy(&page.script_hashes).await).ok()
        } else {
            Some(HeaderValue::from_static(csp::NON_HTML_POLICY))
        };
        if let Some(policy) = policy {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    // X-Frame-Options cannot name an allowed origin; on the one document the
    // IdP may frame, CSP frame-ancestors (which supersedes it) says who may.
    if response.extensions().get::<FramableByIdp>().is_none() {
        response
            .headers_mut()
            .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Codes and tokens travel in URLs during login; no Referer may carry them off.
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Some(max_age) = state.limits.hsts_max_age {
        if let Ok(value) = HeaderValue::from_str(&format!("max-age={max_age}")) {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, value);
        }
    }
    response
}

/// The path only: query strings carry authorization codes and state. Headers
/// (Authorization, and the form_post bridge's Location) and bodies (client
/// secrets, ID tokens, codes) are never logged.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path();
    let path = path.get(..200).unwrap_or(path).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    log(&format!(
        "{method} {path} {} {:.1}ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    ));
    response
}

/// `eprintln!` panics when stderr is a closed pipe; a log line is not worth a
/// failed request.
pub(crate) fn log(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve<F>(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    state.warm_up();
    session::spawn_purge(Arc::clone(&state));
    let limits = state.limits.clone();
    http::serve::serve(listener, app(state), &limits, shutdown).await
}

/// The whole program: config from the process env, open the store, bind,
/// announce (and show a new setup token once), serve until SIGTERM or Ctrl-C.
pub async fn run_from_env() -> Result<(), StartupError> {
    let config = Config::from_process_env()?;
    let state = Arc::new(AppState::new(&config)?);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartupError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartupError::Bind {
        addr: config.listen,
        source,
    })?;
    let setup = match state.ensure_setup_token()? {
        SetupToken::FromEnv => {
            "sso-server: setup token: the value of SSO_BOOTSTRAP_TOKEN".to_owned()
        }
        SetupToken::Created(token) => format!("sso-server: setup token (shown once): {token}"),
        SetupToken::Exists => "sso-server: setup token already created; run \"sso-server reset-setup-token\" to make a new one".to_owned(),
    };
    let sso = match &state.current().sso {
        Some(sso) => format!("issuer {}, client {}", sso.issuer, sso.client_id),
        None => "SSO not configured yet: set it in the admin page with the setup token, or the SPA uses its static sso-config.json".to_owned(),
    };
    let _ = writeln!(
        std::io::stdout().lock(),
        "{setup}\nsso-server listening on http://{addr} ({sso})"
    );
    serve(listener, state, shutdown_signal())
        .await
        .map_err(StartupError::Serve)?;
    log("sso-server: stopped");
    Ok(())
}

/// `sso-server reset-setup-token`: replaces the stored setup token with a
/// new one and returns it. Needs only SSO_DATABASE, so it works even while
/// the rest of the environment is broken, and while the server runs (which
/// accepts the new token at once).
pub fn reset_setup_token_from_env() -> Result<(String, bool), StartupError> {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(|v| v.to_string_lossy().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let database =
        PathBuf::from(var("SSO_DATABASE").unwrap_or_else(|| DEFAULT_DATABASE.to_owned()));
    let token = reset_setup_token(&database)?;
    Ok((token, var("SSO_BOOTSTRAP_TOKEN").is_some()))
}

pub fn reset_setup_token(database: &Path) -> Result<String, StartupError> {
    let store = Store::open(database)?;
    let token = auth::generate_setup_token().map_err(StartupError::Random)?;
    store.replace_setup_token(&hash_token(&token))?;
    Ok(token)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    log("sso-server: shutting down, finishing open requests");
}
