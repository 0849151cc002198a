//! Error types per layer: `ApiError`, `FlowError` and `AdminError` for HTTP answers (JSON `{"error","message",…}`), `StartupError` for what stops the process before it serves.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sso_web::contract::error::{code, ErrorBody};

use crate::config::ConfigError;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    NotFound,
    SsoNotConfigured,
    MethodNotAllowed,
    InvalidPath,
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
            Self::NotFound => code::NOT_FOUND,
            Self::SsoNotConfigured => code::SSO_NOT_CONFIGURED,
            Self::MethodNotAllowed => code::METHOD_NOT_ALLOWED,
            Self::InvalidPath => code::INVALID_PATH,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::NotFound => "no API endpoint at this path",
            Self::SsoNotConfigured => {
                "SSO is not configured: the issuer or client ID is set neither by OIDC_ISSUER/OIDC_CLIENT_ID nor in the admin settings; until it is, use the static sso-config.json"
            }
            Self::MethodNotAllowed => {
                "this method is not allowed on this path; the Allow header lists the ones that are"
            }
            Self::InvalidPath => "the request path contains a segment that is not allowed",
        }
    }
}

/// `Display` as `code: message`, and `std::error::Error`, for the error
/// types of the HTTP answers.
macro_rules! display_code_message {
    ($($error:ty),+) => {$(
        impl fmt::Display for $error {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}: {}", self.code(), self.message())
            }
        }

        impl std::error::Error for $error {}
    )+};
}

display_code_message!(ApiError, FlowError, AdminError, SessionError);

/// The answer all of them share: `status`, `Cache-Control: no-store` and the contract's
/// [`ErrorBody`].
pub(crate) fn json_error(status: StatusCode, body: ErrorBody) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

/// One message per bad field, joined.
fn joined_problems(fields: &BTreeMap<String, String>) -> String {
    fields
        .iter()
        .map(|(name, problem)| format!("{name}: {problem}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_error(self.status(), ErrorBody::new(self.code(), self.message()));
        if self == Self::MethodNotAllowed {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        response
    }
}

/// Answers of the public endpoints that take a request body: the form_post
/// bridge (`POST /oidc/callback`) and the token relay (`POST
/// /api/v1/sso/token`). Messages never contain a code, token or secret, nor
/// any value from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// 415: names the one media type the endpoint takes.
    UnsupportedMediaType { expected: &'static str },
    /// 413
    PayloadTooLarge { limit: usize },
    /// 400: the bridge's body is not a form.
    InvalidForm(String),
    /// 400: the relay's body is not a JSON object.
    InvalidJson(String),
    /// 400: field name → what is wrong with it.
    ValidationFailed {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// 404
    SsoNotConfigured,
    /// 404: no client secret, so the browser redeems codes itself.
    TokenRelayDisabled,
    /// 502: discovery or the token endpoint failed; the reason, without secrets.
    TokenEndpointFailed(String),
    /// 403: the relay is for this app's own pages.
    Csrf(CsrfError),
    /// 429: this client made too many requests; try again after this long.
    RateLimited(Duration),
}

impl FlowError {
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        let message = joined_problems(&fields);
        Self::ValidationFailed { message, fields }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidForm(_) | Self::InvalidJson(_) | Self::ValidationFailed { .. } => {
                StatusCode::BAD_REQUEST
            }
            Self::SsoNotConfigured | Self::TokenRelayDisabled => StatusCode::NOT_FOUND,
            Self::TokenEndpointFailed(_) => StatusCode::BAD_GATEWAY,
            Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedMediaType { .. } => code::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => code::PAYLOAD_TOO_LARGE,
            Self::InvalidForm(_) => code::INVALID_FORM,
            Self::InvalidJson(_) => code::INVALID_JSON,
            Self::ValidationFailed { .. } => code::VALIDATION_FAILED,
            Self::SsoNotConfigured => ApiError::SsoNotConfigured.code(),
            Self::TokenRelayDisabled => code::TOKEN_RELAY_DISABLED,
            Self::TokenEndpointFailed(_) => code::TOKEN_ENDPOINT_FAILED,
            Self::Csrf(e) => e.code(),
            Self::RateLimited(_) => RATE_LIMITED,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::UnsupportedMediaType { expected } => {
                format!("send the body with Content-Type: {expected}")
            }
            Self::PayloadTooLarge { limit } => format!("the body is larger than {limit} bytes"),
            Self::InvalidForm(m) | Self::InvalidJson(m) | Self::TokenEndpointFailed(m) => {
                m.clone()
            }
            Self::ValidationFailed { message, .. } => message.clone(),
            Self::SsoNotConfigured => ApiError::SsoNotConfigured.message().to_owned(),
            Self::TokenRelayDisabled => {
                "the token relay is off because no client secret is configured (OIDC_SECRET or the admin settings); redeem the code at the identity provider's token endpoint directly"
                    .to_owned()
            }
            Self::Csrf(e) => e.message().to_owned(),
            Self::RateLimited(retry) => rate_limited_message(*retry),
        }
    }
}

impl IntoResponse for FlowError {
    fn into_response(self) -> Response {
        let mut body = ErrorBody::new(self.code(), self.message());
        if let Self::ValidationFailed { fields, .. } = &self {
            body.fields = fields.clone();
        }
        let mut response = json_error(self.status(), body);
        if let Self::RateLimited(retry) = self {
            set_retry_after(&mut response, retry);
        }
        response
    }
}

/// The `error` of every 429.
pub const RATE_LIMITED: &str = code::RATE_LIMITED;

fn rate_limited_message(retry: Duration) -> String {
    format!(
        "too many requests from this address; try again in {} s",
        retry.as_secs().max(1)
    )
}

/// `Retry-After` in whole seconds, at least one.
fn retry_after(retry: Duration) -> HeaderValue {
    HeaderValue::from(retry.as_secs().max(1))
}

fn set_retry_after(response: &mut Response, retry: Duration) {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, retry_after(retry));
}

/// Answers of the admin API. Messages never contain a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// 401: no credential, or one that does not check out.
    Unauthenticated(String),
    /// 403: a valid ID token of a user outside the admin groups.
    NotAdmin(String),
    /// 428: a PUT without If-Match.
    PreconditionRequired,
    /// 412: If-Match names another version than the stored one.
    PreconditionFailed { current_version: u64 },
    /// 400: field name → what is wrong with it.
    ValidationFailed {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// 422: fields that an environment variable sets.
    EnvLocked {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// 400: not JSON, not an object, or not sent as application/json.
    InvalidJson(String),
    /// 413
    PayloadTooLarge { limit: usize },
    /// 503: the IdP's keys could not be fetched to check an ID token.
    IdpUnavailable(String),
    /// 403: a cookie-authenticated change that may come from another site.
    Csrf(CsrfError),
    /// 404: no such session (or it ended already).
    SessionNotFound,
    /// 429: too many failed authentications from this address.
    RateLimited(Duration),
    /// 500: the details went to the log.
    Internal,
    /// 503: the database cannot be reached; the next request tries again.
    StoreUnavailable,
}

impl From<CsrfError> for AdminError {
    fn from(e: CsrfError) -> Self {
        Self::Csrf(e)
    }
}

impl AdminError {
    /// One message per bad field, joined, plus the map the UI puts next to each input.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        let message = joined_problems(&fields);
        Self::ValidationFailed { message, fields }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::NotAdmin(_) => StatusCode::FORBIDDEN,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::ValidationFailed { .. } | Self::InvalidJson(_) => StatusCode::BAD_REQUEST,
            Self::EnvLocked { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::IdpUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::SessionNotFound => StatusCode::NOT_FOUND,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::StoreUnavailable => code::STORE_UNAVAILABLE,
            Self::Csrf(e) => e.code(),
            Self::SessionNotFound => code::SESSION_NOT_FOUND,
            Self::RateLimited(_) => RATE_LIMITED,
            Self::Unauthenticated(_) => code::UNAUTHENTICATED,
            Self::NotAdmin(_) => code::NOT_ADMIN,
            Self::PreconditionRequired => code::PRECONDITION_REQUIRED,
            Self::PreconditionFailed { .. } => code::PRECONDITION_FAILED,
            Self::ValidationFailed { .. } => code::VALIDATION_FAILED,
            Self::EnvLocked { .. } => code::ENV_LOCKED,
            Self::InvalidJson(_) => code::INVALID_JSON,
            Self::PayloadTooLarge { .. } => code::PAYLOAD_TOO_LARGE,
            Self::IdpUnavailable(_) => code::IDP_UNAVAILABLE,
            Self::Internal => code::INTERNAL_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::NotAdmin(m)
            | Self::InvalidJson(m)
            | Self::IdpUnavailable(m) => m.clone(),
            Self::ValidationFailed { message, .. } | Self::EnvLocked { message, .. } => {
                message.clone()
            }
            Self::PreconditionRequired => {
                "send If-Match with the ETag of the settings you edited (from GET /api/v1/admin/sso)"
                    .to_owned()
            }
            Self::PreconditionFailed { current_version } => format!(
                "the settings were changed by someone else (now version {current_version}); reload them and apply your change again"
            ),
            Self::PayloadTooLarge { limit } => {
                format!("the body is larger than {limit} bytes")
            }
            Self::Csrf(e) => e.message().to_owned(),
            Self::SessionNotFound => {
                "no live session with this id: it has ended already".to_owned()
            }
            Self::RateLimited(retry) => format!(
                "too many failed sign-ins to the admin API from this address; try again in {} s",
                retry.as_secs().max(1)
            ),
            Self::Internal => {
                "the settings database could not be read or written; the server log has the details"
                    .to_owned()
            }
            Self::StoreUnavailable => STORE_UNAVAILABLE_MESSAGE.to_owned(),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let mut body = ErrorBody::new(self.code(), self.message());
        match &self {
            Self::ValidationFailed { fields, .. } | Self::EnvLocked { fields, .. } => {
                body.fields = fields.clone();
            }
            Self::PreconditionFailed { current_version } => {
                body.current_version = Some(*current_version);
            }
            _ => {}
        }
        let mut response = json_error(self.status(), body);
        let headers = response.headers_mut();
        match &self {
            Self::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::PreconditionFailed { current_version } => {
                if let Ok(etag) = HeaderValue::from_str(&format!("\"{current_version}\"")) {
                    headers.insert(header::ETAG, etag);
                }
            }
            Self::RateLimited(retry) => {
                headers.insert(header::RETRY_AFTER, retry_after(*retry));
            }
            _ => {}
        }
        response
    }
}

/// A state-changing request that rides on the session cookie but may not come from this
/// app's own pages (docs/security.md, "CSRF"). 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfError {
    /// `Origin` is missing, or names another origin than this server's.
    OriginMismatch,
    /// Neither `Content-Type: application/json` nor `X-Requested-With`: what a
    /// cross-site form sends.
    HeaderMissing,
}

impl CsrfError {
    pub fn code(self) -> &'static str {
        match self {
            Self::OriginMismatch => code::CSRF_ORIGIN_MISMATCH,
            Self::HeaderMissing => code::CSRF_HEADER_MISSING,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::OriginMismatch => {
                "refused: this request changes state with the session cookie, and its Origin header is missing or is not this server's origin (behind a proxy, set SSO_PUBLIC_URL to the address users reach the server at)"
            }
            Self::HeaderMissing => {
                "refused: a request that changes state with the session cookie must send Content-Type: application/json or an X-Requested-With header"
            }
        }
    }
}

/// Answers of the session resource `/api/v1/session`. Messages never contain a token,
/// a cookie value or the nonce secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// 401: no cookie, or one this server never issued (or has purged).
    NoSession,
    /// 401: the cookie names a session past its length or idle time.
    Expired,
    /// 401: the cookie names a session that was signed out or revoked.
    Revoked,
    /// 403
    Csrf(CsrfError),
    /// 400: the ID token failed a check of OIDC Core 3.1.3.7; `reason` is the check's code
    /// (`bad_signature`, `issuer_mismatch`, …).
    InvalidToken {
        reason: &'static str,
        message: String,
    },
    /// 400: this ID token was already traded for a session.
    TokenReplayed,
    /// 400: issued more than 10 minutes ago.
    TokenTooOld { age: u64 },
    /// 400: the nonce secret does not hash to the token's nonce.
    NonceMismatch,
    /// 415
    UnsupportedMediaType,
    /// 413
    PayloadTooLarge { limit: usize },
    /// 400
    InvalidJson(String),
    /// 400
    ValidationFailed {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// 404
    SsoNotConfigured,
    /// 503: the IdP's signing keys could not be loaded.
    IdpUnavailable(String),
    /// 429
    RateLimited(Duration),
    /// 500: the details went to the log.
    Internal,
    /// 503: the database cannot be reached.
    StoreUnavailable,
}

/// What a request that needs the database is told while it is away.
const STORE_UNAVAILABLE_MESSAGE: &str =
    "the database is unavailable; try again in a few seconds (the server log has the reason)";

impl SessionError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoSession | Self::Expired | Self::Revoked => StatusCode::UNAUTHORIZED,
            Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::InvalidToken { .. }
            | Self::TokenReplayed
            | Self::TokenTooOld { .. }
            | Self::NonceMismatch
            | Self::InvalidJson(_)
            | Self::ValidationFailed { .. } => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::SsoNotConfigured => StatusCode::NOT_FOUND,
            Self::IdpUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::StoreUnavailable => code::STORE_UNAVAILABLE,
            Self::NoSession => code::NO_SESSION,
            Self::Expired => code::SESSION_EXPIRED,
            Self::Revoked => code::SESSION_REVOKED,
            Self::Csrf(e) => e.code(),
            Self::InvalidToken { .. } => code::INVALID_TOKEN,
            Self::TokenReplayed => code::TOKEN_REPLAYED,
            Self::TokenTooOld { .. } => code::TOKEN_TOO_OLD,
            Self::NonceMismatch => code::NONCE_MISMATCH,
            Self::UnsupportedMediaType => code::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => code::PAYLOAD_TOO_LARGE,
            Self::InvalidJson(_) => code::INVALID_JSON,
            Self::ValidationFailed { .. } => code::VALIDATION_FAILED,
            Self::SsoNotConfigured => ApiError::SsoNotConfigured.code(),
            Self::IdpUnavailable(_) => code::IDP_UNAVAILABLE,
            Self::RateLimited(_) => RATE_LIMITED,
            Self::Internal => code::INTERNAL_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::RateLimited(retry) => rate_limited_message(*retry),
            Self::NoSession => "not signed in: there is no session cookie, or it names no session this server knows".to_owned(),
            Self::Expired => "the session has expired; sign in again".to_owned(),
            Self::Revoked => "the session was signed out or revoked; sign in again".to_owned(),
            Self::Csrf(e) => e.message().to_owned(),
            Self::InvalidToken { message, .. } | Self::InvalidJson(message) | Self::IdpUnavailable(message) => message.clone(),
            Self::ValidationFailed { message, .. } => message.clone(),
            Self::TokenReplayed => "this ID token was already exchanged for a session; sign in again to get a new one".to_owned(),
            Self::TokenTooOld { age } => format!(
                "the ID token was issued {age} s ago; a session is made only from an ID token at most 600 s old: sign in again (if this repeats, check the clocks of this server and the identity provider)"
            ),
            Self::NonceMismatch => "the nonce secret does not belong to this ID token's nonce: the token was not obtained by the browser that sends it".to_owned(),
            Self::UnsupportedMediaType => "send the body as JSON with Content-Type: application/json".to_owned(),
            Self::PayloadTooLarge { limit } => format!("the body is larger than {limit} bytes"),
            Self::SsoNotConfigured => ApiError::SsoNotConfigured.message().to_owned(),
            Self::Internal => "the session store could not be read or written; the server log has the details".to_owned(),
            Self::StoreUnavailable => STORE_UNAVAILABLE_MESSAGE.to_owned(),
        }
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        let mut body = ErrorBody::new(self.code(), self.message());
        match &self {
            Self::InvalidToken { reason, .. } => body.reason = Some((*reason).to_owned()),
            Self::ValidationFailed { fields, .. } => body.fields = fields.clone(),
            _ => {}
        }
        let mut response = json_error(self.status(), body);
        if let Self::RateLimited(retry) = self {
            set_retry_after(&mut response, retry);
        }
        response
    }
}

impl From<CsrfError> for SessionError {
    fn from(e: CsrfError) -> Self {
        Self::Csrf(e)
    }
}

impl From<FlowError> for SessionError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::PayloadTooLarge { limit } => Self::PayloadTooLarge { limit },
            FlowError::UnsupportedMediaType { .. } => Self::UnsupportedMediaType,
            FlowError::InvalidJson(m) | FlowError::InvalidForm(m) => Self::InvalidJson(m),
            FlowError::ValidationFailed { message, fields } => {
                Self::ValidationFailed { message, fields }
            }
            FlowError::SsoNotConfigured | FlowError::TokenRelayDisabled => Self::SsoNotConfigured,
            FlowError::TokenEndpointFailed(m) => Self::IdpUnavailable(m),
            FlowError::Csrf(e) => Self::Csrf(e),
            FlowError::RateLimited(retry) => Self::RateLimited(retry),
        }
    }
}

impl From<AdminError> for SessionError {
    /// For the store and key-cache helpers the admin API shares.
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::IdpUnavailable(m) => Self::IdpUnavailable(m),
            AdminError::StoreUnavailable => Self::StoreUnavailable,
            _ => Self::Internal,
        }
    }
}

#[derive(Debug)]
pub enum StartupError {
    Config(ConfigError),
    Store(StoreError),
    Random(getrandom::Error),
    HttpClient(reqwest::Error),
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    Serve(std::io::Error),
    /// `migrate-store --from` names a SQLite file that does not exist.
    MigrateSourceMissing {
        path: std::path::PathBuf,
    },
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Store(e) => e.fmt(f),
            Self::Random(e) => write!(
                f,
                "cannot generate a setup token: no secure randomness ({e})"
            ),
            Self::HttpClient(e) => {
                write!(f, "cannot set up the HTTPS client for OIDC discovery: {e}")
            }
            Self::Bind { addr, source } => write!(
                f,
                "cannot listen on {addr}: {source} (set SSO_LISTEN to a free address and port)"
            ),
            Self::Serve(e) => write!(f, "server stopped with an error: {e}"),
            Self::MigrateSourceMissing { path } => write!(
                f,
                "{} does not exist: give --from the SQLite file sso-server used (its SSO_DATABASE)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StartupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Store(e) => Some(e),
            Self::Random(_) => None,
            Self::HttpClient(e) => Some(e),
            Self::Bind { source, .. } => Some(source),
            Self::Serve(e) => Some(e),
            Self::MigrateSourceMissing { .. } => None,
        }
    }
}

impl From<ConfigError> for StartupError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<StoreError> for StartupError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}
