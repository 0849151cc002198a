//! The browser's client for `/api/v1/admin/*`, authenticated by the session cookie or, when
//! one was entered in this tab, the setup token (`Credential`).

use super::types::{etag, ApiError};
use crate::contract::admin::{AuditPage, WhoAmI, ADMIN_AUDIT_PATH, ADMIN_WHOAMI_PATH};
use crate::contract::session::{
    RevokedCount, SessionList, ADMIN_REVOKE_OTHERS_PATH, ADMIN_SESSIONS_PATH, CSRF_HEADER,
    CSRF_HEADER_VALUE,
};
use crate::contract::settings::{SettingsDocument, SettingsUpdate, ADMIN_SETTINGS_PATH};
use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use web_sys::RequestCache;

/// The setup token, or `None` for the session cookie (which the browser adds itself).
pub type Credential = Option<String>;

/// Every call says it comes from this app (`X-Requested-With`, which the server's CSRF
/// check wants on cookie-authenticated changes) and is never cached.
fn authorized(builder: RequestBuilder, credential: &Credential) -> RequestBuilder {
    let builder = builder
        .header(CSRF_HEADER, CSRF_HEADER_VALUE)
        .cache(RequestCache::NoStore);
    match credential {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

/// For calls that answer 204 No Content.
async fn send_empty(request: Result<Request, gloo_net::Error>) -> Result<(), ApiError> {
    let failed =
        |e: gloo_net::Error| ApiError::Failed(format!("The server could not be reached: {e}"));
    let response = request.map_err(failed)?.send().await.map_err(failed)?;
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body = response.text().await.map_err(failed)?;
    Err(ApiError::from_response(status, &body))
}

async fn send<T: DeserializeOwned>(
    request: Result<Request, gloo_net::Error>,
) -> Result<T, ApiError> {
    let failed =
        |e: gloo_net::Error| ApiError::Failed(format!("The server could not be reached: {e}"));
    let response = request.map_err(failed)?.send().await.map_err(failed)?;
    let status = response.status();
    let body = response.text().await.map_err(failed)?;
    if !(200..300).contains(&status) {
        return Err(ApiError::from_response(status, &body));
    }
    serde_json::from_str(&body)
        .map_err(|e| ApiError::Failed(format!("Unexpected answer from the server: {e}")))
}

pub async fn whoami(credential: &Credential) -> Result<WhoAmI, ApiError> {
    send(authorized(Request::get(ADMIN_WHOAMI_PATH), credential).build()).await
}

pub async fn get_settings(credential: &Credential) -> Result<SettingsDocument, ApiError> {
    send(authorized(Request::get(ADMIN_SETTINGS_PATH), credential).build()).await
}

pub async fn put_settings(
    credential: &Credential,
    version: u64,
    update: &SettingsUpdate,
) -> Result<SettingsDocument, ApiError> {
    let request = authorized(Request::put(ADMIN_SETTINGS_PATH), credential)
        .header("If-Match", &etag(version))
        .json(update);
    send(request).await
}

pub async fn audit(credential: &Credential, before: Option<i64>) -> Result<AuditPage, ApiError> {
    let url = match before {
        Some(id) => format!("{ADMIN_AUDIT_PATH}?limit=20&before={id}"),
        None => format!("{ADMIN_AUDIT_PATH}?limit=20"),
    };
    send(authorized(Request::get(&url), credential).build()).await
}

pub async fn sessions(credential: &Credential) -> Result<SessionList, ApiError> {
    send(authorized(Request::get(ADMIN_SESSIONS_PATH), credential).build()).await
}

pub async fn end_session(credential: &Credential, id: i64) -> Result<(), ApiError> {
    let url = format!("{ADMIN_SESSIONS_PATH}/{id}");
    send_empty(authorized(Request::delete(&url), credential).build()).await
}

pub async fn end_other_sessions(credential: &Credential) -> Result<RevokedCount, ApiError> {
    send(authorized(Request::post(ADMIN_REVOKE_OTHERS_PATH), credential).build()).await
}
