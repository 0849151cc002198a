//! The few browser facilities the flow needs: randomness, clock, location, history.

use crate::oidc::OidcError;
use wasm_bindgen::JsValue;

fn browser_error(what: &str, err: JsValue) -> OidcError {
    OidcError::Browser {
        detail: format!("{what}: {}", js_text(&err)),
    }
}

/// Best-effort text of a JS exception, for error details.
pub fn js_text(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(value, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{value:?}"))
}

pub fn window() -> Result<web_sys::Window, OidcError> {
    web_sys::window().ok_or_else(|| OidcError::Browser {
        detail: "There is no window object.".into(),
    })
}

/// 32 bytes from `crypto.getRandomValues`, the browser's CSPRNG.
pub fn random_bytes() -> Result<[u8; 32], OidcError> {
    let crypto = window()?
        .crypto()
        .map_err(|e| browser_error("window.crypto is unavailable", e))?;
    let mut bytes = [0u8; 32];
    crypto
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|e| browser_error("crypto.getRandomValues failed", e))?;
    Ok(bytes)
}

/// Unix seconds from the browser clock.
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

pub fn origin() -> Result<String, OidcError> {
    window()?
        .location()
        .origin()
        .map_err(|e| browser_error("location.origin is unavailable", e))
}

/// The current query string, including the leading `?` (empty when there is none).
pub fn current_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Leaves the app for `url` (the IdP). A full navigation, not a router change.
pub fn navigate_away(url: &str) -> Result<(), OidcError> {
    window()?
        .location()
        .assign(url)
        .map_err(|e| browser_error("navigation failed", e))
}

/// Leaves for `url` in place of the current history entry (Back skips this page).
pub fn replace_away(url: &str) -> Result<(), OidcError> {
    window()?
        .location()
        .replace(url)
        .map_err(|e| browser_error("navigation failed", e))
}

/// Rewrites the current history entry, so a code or state never stays in the
/// address bar, the history list, or a bookmark.
pub fn replace_url(path: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(path));
    }
}

/// Adds a history entry for an in-app page (`replace` rewrites the current one instead).
pub fn push_url(path: &str, replace: bool) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = if replace {
            history.replace_state_with_url(&JsValue::NULL, "", Some(path))
        } else {
            history.push_state_with_url(&JsValue::NULL, "", Some(path))
        };
    }
}

/// The text of the element with this `id`, if the page has one.
pub fn element_text(id: &str) -> Option<String> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .text_content()
}

/// Empties the page's `<body>` (the data blocks are in `<head>`).
pub fn clear_body() {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        body.set_text_content(None);
    }
}

/// The current path, without query or fragment.
pub fn current_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".to_string())
}

/// A panic is a bug, and a panicked wasm app is dead: say so in the page (instead of a
/// frozen screen) and log the message with its source location to the console.
/// Replaces console_error_panic_hook, which only logged.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("sso-web: {info}").into());
        let body = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body());
        if let Some(body) = body {
            let _ = body.insert_adjacent_html(
                "afterbegin",
                "<div class=\"panic-banner\" role=\"alert\" data-testid=\"panic\">sso-web stopped \
                 because of a bug; the details are in the browser console. Reload the page \
                 to continue.</div>",
            );
        }
    }));
}

/// A `performance.mark` for the latency benchmark's breakdown (bench/latency.mjs).
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Marks `sso:<step>:start` now and `sso:<step>:end` when dropped.
pub struct Span(&'static str);

impl Span {
    pub fn start(step: &'static str) -> Self {
        mark(&format!("sso:{step}:start"));
        Span(step)
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        mark(&format!("sso:{}:end", self.0));
    }
}

/// Local time, e.g. "2026-11-28 14:05:09 UTC+01:00" (see [`crate::format::clock_time`]).
pub fn local_time(unix_secs: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(unix_secs as f64 * 1000.0));
    let parts = [
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds(),
    ];
    // getTimezoneOffset is minutes *behind* UTC.
    crate::format::clock_time(parts, -(date.get_timezone_offset() as i32))
}

/// The current fragment with its `#` (empty when there is none).
pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The current fragment without `#` (empty when there is none).
pub fn current_fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

/// Whether this document is framed (front-channel logout loads /logout in an iframe).
pub fn in_frame() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.top() {
        Ok(Some(top)) => !js_sys::Object::is(&top, &window),
        // Cross-origin access to `top` can throw: that also means we are framed.
        _ => true,
    }
}
