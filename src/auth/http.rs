//! HTTP through the browser's fetch. Errors keep the URL and the browser's reason, because
//! "Failed to fetch" usually means CORS and the admin needs to know which endpoint.
//!
//! On `web_sys` directly rather than gloo-net: the sign-in path needs four kinds of
//! request, and the wrapper (its builder and error type) was a few KB of the first visit.

use super::browser::js_text;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCache, RequestCredentials, RequestInit, RequestMode, Response};

pub use crate::flow::HttpResponse;

/// A network-level failure: no HTTP status at all (offline, DNS, CORS, TLS).
pub struct NetworkError(pub String);

fn network(err: JsValue) -> NetworkError {
    let text = js_text(&err);
    let hint = if text.contains("Failed to fetch") || text.contains("NetworkError") {
        " (the server is unreachable, or it does not allow this site's origin: CORS)"
    } else {
        ""
    };
    NetworkError(format!("{text}{hint}"))
}

/// One request: `init` says how, `headers` what to add. Resolves once the response
/// headers are in; the body is the caller's to read.
async fn fetch(
    url: &str,
    init: RequestInit,
    headers: &[(&str, &str)],
) -> Result<Response, NetworkError> {
    if !headers.is_empty() {
        let list = Headers::new().map_err(network)?;
        for (name, value) in headers {
            list.set(name, value).map_err(network)?;
        }
        init.set_headers(&list);
    }
    let window = web_sys::window().ok_or_else(|| NetworkError("there is no window".into()))?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(network)?;
    response
        .dyn_into::<Response>()
        .map_err(|_| NetworkError("fetch returned no Response".into()))
}

/// Reads the whole body as text.
async fn finish(response: Response) -> Result<HttpResponse, NetworkError> {
    let status = response.status();
    let text = JsFuture::from(response.text().map_err(network)?)
        .await
        .map_err(network)?;
    Ok(HttpResponse {
        status,
        body: text.as_string().unwrap_or_default(),
    })
}

fn init(method: &str, cache: RequestCache) -> RequestInit {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_cache(cache);
    init
}

/// GET without cookies; `fresh` bypasses the HTTP cache (JWKS reload after rotation).
pub async fn get(url: &str, fresh: bool) -> Result<HttpResponse, NetworkError> {
    let cache = if fresh {
        RequestCache::NoCache
    } else {
        RequestCache::Default
    };
    let init = init("GET", cache);
    init.set_credentials(RequestCredentials::Omit);
    finish(fetch(url, init, &[]).await?).await
}

/// GET from this app's own server, with its cookies, not cached (the session).
pub async fn get_own(url: &str) -> Result<HttpResponse, NetworkError> {
    let headers = [("Accept", "application/json")];
    finish(fetch(url, init("GET", RequestCache::NoStore), &headers).await?).await
}

/// GET with `Authorization: Bearer`, not cached (this app's admin API).
pub async fn get_with_bearer(url: &str, bearer: &str) -> Result<HttpResponse, NetworkError> {
    let authorization = format!("Bearer {bearer}");
    let headers = [("Authorization", authorization.as_str())];
    finish(fetch(url, init("GET", RequestCache::NoStore), &headers).await?).await
}

/// POST of a form body without cookies: a CORS "simple" request, so no preflight.
pub async fn post_form(url: &str, body: String) -> Result<HttpResponse, NetworkError> {
    let init = init("POST", RequestCache::NoStore);
    init.set_credentials(RequestCredentials::Omit);
    init.set_body(&JsValue::from(body));
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
    ];
    finish(fetch(url, init, &headers).await?).await
}

/// Whether the server answers at all, CORS aside: an opaque `no-cors` request succeeds
/// where the CORS request failed exactly when the provider is up but refuses this origin.
pub async fn reachable_without_cors(url: &str) -> bool {
    let init = init("GET", RequestCache::NoStore);
    init.set_mode(RequestMode::NoCors);
    init.set_credentials(RequestCredentials::Omit);
    fetch(url, init, &[]).await.is_ok()
}

/// POST of a JSON body to this app's own server (the token relay, the session), with its
/// cookies; JSON and `X-Requested-With` are what its CSRF check wants to see.
pub async fn post_json(url: &str, body: &serde_json::Value) -> Result<HttpResponse, NetworkError> {
    let init = init("POST", RequestCache::NoStore);
    init.set_body(&JsValue::from(body.to_string()));
    let headers = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        (
            "X-Requested-With",
            crate::contract::session::CSRF_HEADER_VALUE,
        ),
    ];
    finish(fetch(url, init, &headers).await?).await
}

/// The token request the callback page's early script made while the app loaded
/// (`window.__ssoEarlyToken`, set by `callback.html`), taken once, if it was made for `state`.
pub async fn take_early_token(state: &str) -> Option<Result<HttpResponse, NetworkError>> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("__ssoEarlyToken");
    let early = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(JsValue::is_object)?;
    let _ = js_sys::Reflect::delete_property(window.unchecked_ref::<js_sys::Object>(), &key);
    let field = |name: &str| js_sys::Reflect::get(&early, &JsValue::from_str(name)).ok();
    if field("state")?.as_string().as_deref() != Some(state) {
        return None;
    }
    let promise: js_sys::Promise = field("response")?.dyn_into().ok()?;
    Some(match JsFuture::from(promise).await {
        Ok(answer) => {
            let read = |name: &str| js_sys::Reflect::get(&answer, &JsValue::from_str(name)).ok();
            let status = read("status").and_then(|v| v.as_f64());
            let body = read("body").and_then(|v| v.as_string());
            match (status, body) {
                (Some(status), Some(body)) if (100.0..600.0).contains(&status) => {
                    Ok(HttpResponse {
                        status: status as u16,
                        body,
                    })
                }
                _ => Err(NetworkError(
                    "the early token request's answer has no status or body".to_owned(),
                )),
            }
        }
        Err(err) => Err(network(err)),
    })
}
