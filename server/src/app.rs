//! The router in one function, and the middleware every answer passes through, in order:
//! compression, body and request timeouts, security headers (the CSP among them), the
//! request log. Header timeouts and the connection limit are the accept loop's (http/serve.rs).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::error::ApiError;
use crate::static_files::FramableByIdp;
use crate::{admin, api, callback, csp, forward_auth, log, relay, session, static_files, AppState};
use sso_web::contract::admin::{ADMIN_AUDIT_PATH, ADMIN_WHOAMI_PATH, TOKEN_RELAY_PATH};
use sso_web::contract::config::CONFIG_API_PATH;
use sso_web::contract::session::{
    ADMIN_REVOKE_OTHERS_PATH, ADMIN_SESSIONS_PATH, AUTH_VERIFY_PATH, SESSION_LOGOUT_PATH,
    SESSION_PATH, SIGN_IN_START_PATH,
};
use sso_web::contract::settings::ADMIN_SETTINGS_PATH;

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
        // A proxy may ask with the original request's method.
        .route(AUTH_VERIFY_PATH, any(forward_auth::verify))
        .route(SIGN_IN_START_PATH, get(forward_auth::start))
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
        ADMIN_SESSIONS_PATH | SIGN_IN_START_PATH => Some("GET, HEAD"),
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
