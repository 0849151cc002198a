//! HTTP through gloo-net (fetch). Errors keep the URL and the browser's reason, because
//! "Failed to fetch" usually means CORS and the admin needs to know which endpoint.

use gloo_net::http::Request;
use web_sys::{RequestCache, RequestCredentials};

pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// A network-level failure: no HTTP status at all (offline, DNS, CORS, TLS).
pub struct NetworkError(pub String);

fn network(err: gloo_net::Error) -> NetworkError {
    let text = err.to_string();
    let hint = if text.contains("Failed to fetch") || text.contains("NetworkError") {
        " (the server is unreachable, or it does not allow this site's origin: CORS)"
    } else {
        ""
    };
    NetworkError(format!("{text}{hint}"))
}

async fn finish(request: Request) -> Result<HttpResponse, NetworkError> {
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    let body = response.text().await.map_err(network)?;
    Ok(HttpResponse { status, body })
}

/// GET without cookies; `fresh` bypasses the HTTP cache (JWKS reload after rotation).
pub async fn get(url: &str, fresh: bool) -> Result<HttpResponse, NetworkError> {
    let cache = if fresh {
        RequestCache::NoCache
    } else {
        RequestCache::Default
    };
    let request = Request::get(url)
        .credentials(RequestCredentials::Omit)
        .cache(cache)
        .build()
        .map_err(network)?;
    finish(request).await
}

/// POST of a form body without cookies: a CORS "simple" request, so no preflight.
pub async fn post_form(url: &str, body: String) -> Result<HttpResponse, NetworkError> {
    let request = Request::post(url)
        .credentials(RequestCredentials::Omit)
        .cache(RequestCache::NoStore)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body)
        .map_err(network)?;
    finish(request).await
}

/// Whether the server answers at all, CORS aside: an opaque `no-cors` request succeeds
/// where the CORS request failed exactly when the provider is up but refuses this origin.
pub async fn reachable_without_cors(url: &str) -> bool {
    let Ok(request) = Request::get(url)
        .mode(web_sys::RequestMode::NoCors)
        .credentials(RequestCredentials::Omit)
        .cache(RequestCache::NoStore)
        .build()
    else {
        return false;
    };
    request.send().await.is_ok()
}

/// POST of a JSON body to this app's own server (the token relay).
pub async fn post_json<T: serde::Serialize>(
    url: &str,
    body: &T,
) -> Result<HttpResponse, NetworkError> {
    let request = Request::post(url)
        .cache(RequestCache::NoStore)
        .header("Accept", "application/json")
        .json(body)
        .map_err(network)?;
    finish(request).await
}
