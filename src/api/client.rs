//! The browser's client for `/api/v1/admin/*`, authenticated with a bearer credential
//! (the signed-in user's ID token, or the setup token).

use super::types::*;
use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use web_sys::RequestCache;

const SETTINGS: &str = "/api/v1/admin/sso";
const AUDIT: &str = "/api/v1/admin/sso/audit";
const WHOAMI: &str = "/api/v1/admin/whoami";

fn authorized(builder: RequestBuilder, bearer: &str) -> RequestBuilder {
    builder
        .header("Authorization", &format!("Bearer {bearer}"))
        .cache(RequestCache::NoStore)
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

/// Whether the server accepts `bearer` for the admin API (a 2xx from whoami). For the
/// main bundle's nav link, which needs no more than that: neither gloo-net nor a
/// deserializer for the answer is then in the first visit's download.
pub async fn accepts_admin(bearer: &str) -> bool {
    // A 2xx that is not whoami's JSON (a static host's index.html for every path, say)
    // does not count.
    crate::auth::http::get_with_bearer(WHOAMI, bearer)
        .await
        .is_ok_and(|response| {
            (200..300).contains(&response.status)
                && crate::oidc::json::Object::parse(&response.body)
                    .is_ok_and(|who| matches!(who.opt_string("via"), Ok(Some(_))))
        })
}

pub async fn whoami(bearer: &str) -> Result<WhoAmI, ApiError> {
    send(authorized(Request::get(WHOAMI), bearer).build()).await
}

pub async fn get_settings(bearer: &str) -> Result<SettingsDocument, ApiError> {
    send(authorized(Request::get(SETTINGS), bearer).build()).await
}

pub async fn put_settings(
    bearer: &str,
    version: u64,
    update: &SettingsUpdate,
) -> Result<SettingsDocument, ApiError> {
    let request = authorized(Request::put(SETTINGS), bearer)
        .header("If-Match", &etag(version))
        .json(update);
    send(request).await
}

pub async fn audit(bearer: &str, before: Option<u64>) -> Result<AuditPage, ApiError> {
    let url = match before {
        Some(id) => format!("{AUDIT}?limit=20&before={id}"),
        None => format!("{AUDIT}?limit=20"),
    };
    send(authorized(Request::get(&url), bearer).build()).await
}
