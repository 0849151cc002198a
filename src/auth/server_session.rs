//! The server session's three calls: trade the validated ID token for it, read it, and end
//! it for a sign-out (`/api/v1/session`, docs/api.md).

use super::http;
use super::session::{Notice, Session};
use crate::contract::session::{ExchangeRequest, SESSION_LOGOUT_PATH, SESSION_PATH};
use crate::oidc::json::{Object, Record};
use crate::oidc::OidcError;

/// What `GET /api/v1/session` said.
pub enum Lookup {
    Live(Box<Session>),
    /// `401`, with the notice its code calls for (none for `no_session`).
    Ended(Option<Notice>),
    /// The server could not be asked, or answered something else: nothing changes.
    Unavailable,
}

/// `GET /api/v1/session`. Passive: asking does not push idle expiry back.
pub async fn fetch() -> Lookup {
    let Ok(response) = http::get_own(SESSION_PATH).await else {
        return Lookup::Unavailable;
    };
    match response.status {
        200 => serde_json::from_str(&response.body)
            .ok()
            .and_then(|value| Session::from_json(&value))
            .map_or(Lookup::Unavailable, |s| Lookup::Live(Box::new(s))),
        401 => Lookup::Ended(Notice::for_code(&error_code(&response.body))),
        _ => Lookup::Unavailable,
    }
}

/// `POST /api/v1/session`: the server validates the token again and, bound by the nonce
/// secret to this browser, answers with the session (and its cookie).
pub async fn exchange(id_token: String, nonce_secret: String) -> Result<Session, OidcError> {
    let _span = super::browser::Span::start("exchange");
    let body = ExchangeRequest {
        id_token,
        nonce_secret,
    }
    .to_json();
    let failed = |code: String, message: String| OidcError::SessionExchangeFailed { code, message };
    let response = http::post_json(SESSION_PATH, &body)
        .await
        .map_err(|e| failed("network".into(), e.0))?;
    if response.status == 201 {
        return serde_json::from_str(&response.body)
            .ok()
            .and_then(|value| Session::from_json(&value))
            .ok_or_else(|| {
                failed(
                    "unexpected_answer".into(),
                    "The server's session is not readable.".into(),
                )
            });
    }
    let doc = Object::parse(&response.body).ok();
    let text = |name: &str| doc.as_ref().and_then(|d| d.opt_string(name).ok().flatten());
    let mut code = text("error").unwrap_or_else(|| format!("http_{}", response.status));
    if let Some(reason) = text("reason") {
        code = format!("{code} ({reason})");
    }
    Err(failed(code, text("message").unwrap_or_default()))
}

/// `POST /api/v1/session/logout`: ends the session and hands back the ID token once, as
/// RP-initiated logout's `id_token_hint`. `None` when there was none, or the server is away.
pub async fn end() -> Option<String> {
    let response = http::post_json(SESSION_LOGOUT_PATH, &serde_json::json!({}))
        .await
        .ok()?;
    (response.status == 200)
        .then(|| {
            Object::parse(&response.body)
                .ok()?
                .opt_string("id_token_hint")
                .ok()?
        })
        .flatten()
}

fn error_code(body: &str) -> String {
    Object::parse(body)
        .ok()
        .and_then(|doc| doc.opt_string("error").ok().flatten())
        .unwrap_or_default()
}
