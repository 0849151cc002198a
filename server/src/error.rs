//! Error types per layer: `ApiError` for HTTP answers (JSON `{"error","message"}`), `StartupError` for what stops the process before it serves.

use std::fmt;
use std::net::SocketAddr;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::config::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    NotFound,
    SsoNotConfigured,
    MethodNotAllowed,
    InvalidPath,
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    message: &'static str,
}

impl ApiError {
    pub fn status(self) -> StatusCode {
        match self {
            Self::NotFound | Self::SsoNotConfigured => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidPath => StatusCode::BAD_REQUEST,
        }
    }

    /// Stable machine-readable code; the SPA branches on it.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::SsoNotConfigured => "sso_not_configured",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::InvalidPath => "invalid_path",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::NotFound => "no API endpoint at this path",
            Self::SsoNotConfigured => {
                "the server has no OIDC_ISSUER/OIDC_CLIENT_ID; use the static sso-config.json"
            }
            Self::MethodNotAllowed => "this path only answers GET and HEAD",
            Self::InvalidPath => "the request path contains a segment that is not allowed",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status(),
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Json(ErrorBody {
                error: self.code(),
                message: self.message(),
            }),
        )
            .into_response();
        if self == Self::MethodNotAllowed {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        response
    }
}

#[derive(Debug)]
pub enum StartupError {
    Config(ConfigError),
    HttpClient(reqwest::Error),
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    Serve(std::io::Error),
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::HttpClient(e) => {
                write!(f, "cannot set up the HTTPS client for OIDC discovery: {e}")
            }
            Self::Bind { addr, source } => write!(
                f,
                "cannot listen on {addr}: {source} (set SSO_LISTEN to a free address and port)"
            ),
            Self::Serve(e) => write!(f, "server stopped with an error: {e}"),
        }
    }
}

impl std::error::Error for StartupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::HttpClient(e) => Some(e),
            Self::Bind { source, .. } => Some(source),
            Self::Serve(e) => Some(e),
        }
    }
}

impl From<ConfigError> for StartupError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}
