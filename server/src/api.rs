//! The JSON API under /api/v1 and /healthz: what the SPA needs to start a login, and a liveness probe.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::config::{AuthMethod, SsoConfig};
use crate::error::ApiError;
use crate::AppState;

/// The body of `GET /api/v1/sso/config`; the SPA's static sso-config.json
/// has the same shape.
#[derive(Debug, Serialize)]
pub struct SsoConfigBody<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub auth_method: AuthMethod,
    /// Only the extra scopes; the SPA always adds openid, profile and email.
    pub scopes: &'a [String],
    pub groups_claim: &'a str,
    /// A client secret is configured: the SPA redeems codes through
    /// `POST /api/v1/sso/token` instead of at the IdP. Nothing else about
    /// the secret is published.
    pub token_relay: bool,
}

impl<'a> SsoConfigBody<'a> {
    pub fn new(sso: &'a SsoConfig, token_relay: bool) -> Self {
        Self {
            issuer: sso.issuer.as_str(),
            client_id: &sso.client_id,
            auth_method: sso.auth_method,
            scopes: &sso.scopes,
            groups_claim: &sso.groups_claim,
            token_relay,
        }
    }
}

/// The effective settings (env over saved), never the client secret.
/// no-store: a changed client or issuer must reach the browser on its next
/// load, not after a cache expires.
pub async fn sso_config(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let current = state.current();
    let sso = current.sso.as_ref().ok_or(ApiError::SsoNotConfigured)?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(SsoConfigBody::new(sso, current.client_secret.is_some())),
    )
        .into_response())
}

/// The same body as `GET /api/v1/sso/config`, as JSON text; `None` until SSO is configured.
pub fn sso_config_json(state: &AppState) -> Option<String> {
    let current = state.current();
    let sso = current.sso.as_ref()?;
    serde_json::to_string(&SsoConfigBody::new(sso, current.client_secret.is_some())).ok()
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
