//! sso-server: serves the sso-web SPA with a strict CSP, its runtime SSO config at /api/v1/sso/config, and /healthz.

pub mod api;
pub mod config;
pub mod csp;
pub mod discovery;
pub mod error;
pub mod static_files;

use std::future::Future;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

use crate::config::{Config, Issuer, SsoConfig};
use crate::discovery::DiscoveryOrigins;
use crate::error::{ApiError, StartupError};
use crate::static_files::Dist;

pub struct AppState {
    pub sso: Option<SsoConfig>,
    pub dist: Dist,
    /// The IdP whose origins go into connect-src and form-action: the
    /// configured issuer, or else the one in dist/sso-config.json.
    pub idp: Option<Arc<DiscoveryOrigins>>,
}

impl AppState {
    pub fn new(config: &Config) -> Result<Self, StartupError> {
        let dist = Dist::open(&config.dist)?;
        let issuer = match &config.sso {
            Some(sso) => Some(sso.issuer.clone()),
            None => static_config_issuer(dist.root()),
        };
        let idp = issuer
            .map(|issuer| DiscoveryOrigins::new(&issuer).map(Arc::new))
            .transpose()
            .map_err(StartupError::HttpClient)?;
        Ok(Self {
            sso: config.sso.clone(),
            dist,
            idp,
        })
    }

    /// The CSP for an HTML document whose inline scripts hash to `script_hashes`.
    pub async fn html_policy(&self, script_hashes: &[String]) -> String {
        match &self.idp {
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
        if let Some(idp) = &self.idp {
            let idp = Arc::clone(idp);
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

pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/api/v1/sso/config", get(api::sso_config))
        // Unknown API paths must be JSON errors, never the SPA's index.html.
        .route("/api", any(api::not_found))
        .route("/api/", any(api::not_found))
        .route("/api/{*rest}", any(api::not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(static_files::serve)
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            security_headers,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
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
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Codes and tokens travel in URLs during login; no Referer may carry them off.
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
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
    response
}

/// The path only: query strings carry authorization codes and state.
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
fn log(line: &str) {
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
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The whole program: config from the process env, bind, announce, serve
/// until SIGTERM or Ctrl-C.
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
    let sso = match &config.sso {
        Some(sso) => format!("issuer {}, client {}", sso.issuer, sso.client_id),
        None => "no OIDC_ISSUER/OIDC_CLIENT_ID: the SPA uses its static sso-config.json".to_owned(),
    };
    let _ = writeln!(
        std::io::stdout().lock(),
        "sso-server listening on http://{addr} ({sso})"
    );
    serve(listener, state, shutdown_signal())
        .await
        .map_err(StartupError::Serve)?;
    log("sso-server: stopped");
    Ok(())
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
