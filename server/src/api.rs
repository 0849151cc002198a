//! The JSON API under /api/v1 and /healthz: what the SPA needs to start a login, and a liveness probe.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::ApiError;
use crate::AppState;

/// The effective settings (env over saved), never the client secret.
/// no-store: a changed client or issuer must reach the browser on its next
/// load, not after a cache expires.
pub async fn sso_config(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let current = state.current();
    let sso = current.sso.as_ref().ok_or(ApiError::SsoNotConfigured)?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(sso),
    )
        .into_response())
}

/// The same body as `GET /api/v1/sso/config`, as JSON text; `None` until SSO is configured.
pub fn sso_config_json(state: &AppState) -> Option<String> {
    let current = state.current();
    let sso = current.sso.as_ref()?;
    serde_json::to_string(sso).ok()
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

pub async fn healthz() -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(Health { status: "ok" }),
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
