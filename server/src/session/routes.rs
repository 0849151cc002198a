//! `GET`, `DELETE /api/v1/session` and `POST /api/v1/session/logout`: read the session, end it, and end it while handing back the ID token once for RP-initiated logout.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sso_web::oidc::json::Record as _;

use super::{cookie, csrf, lookup, now_secs, Session};
use crate::error::SessionError;
use crate::store::EndReason;
use crate::{blocking, AppState};

fn no_store() -> (header::HeaderName, HeaderValue) {
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// The session as the browser shows it. Reading is not using: it does not push idle
/// expiry back (page loads and the admin API do).
pub async fn get(session: Session) -> Response {
    ([no_store()], Json(session.info.to_json())).into_response()
}

/// Signs out: the session ends server-side, so the same cookie replayed later gets `401
/// session_revoked`. Idempotent: without a (live) session it is `204` too.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, SessionError> {
    end(&state, &headers).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [
            no_store(),
            (header::SET_COOKIE, state.sessions.cookie.clear()),
        ],
    )
        .into_response())
}

/// Sign-out for the SPA: as `DELETE`, and the answer carries the session's ID token once,
/// as `id_token_hint` for the IdP's end-session endpoint (which Okta and others require).
/// The token is spent by then: the session it made has ended, and the exchange refuses
/// it a second time.
pub async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, SessionError> {
    let id = end(&state, &headers).await?;
    let hint = match id {
        Some(id) => {
            let store = Arc::clone(&state.store);
            blocking(move || store.take_id_token_hint(id)).await?
        }
        None => None,
    };
    Ok((
        StatusCode::OK,
        [
            no_store(),
            (header::SET_COOKIE, state.sessions.cookie.clear()),
        ],
        Json(serde_json::json!({ "id_token_hint": hint })),
    )
        .into_response())
}

/// Ends the cookie's session if it is live; returns its id if the cookie names one at all
/// (so an ended session's hint can still be handed out).
async fn end(state: &AppState, headers: &HeaderMap) -> Result<Option<i64>, SessionError> {
    csrf::check(headers, state.sessions.public_origin.as_deref())?;
    match lookup(state, headers).await {
        Ok(session) => {
            let store = Arc::clone(&state.store);
            let (id, actor) = (session.row.id, session.actor());
            let version = state.current().version();
            blocking(move || {
                store.end_session(id, EndReason::SignedOut, now_secs(), &actor, version)
            })
            .await?;
            Ok(Some(id))
        }
        Err(SessionError::Expired | SessionError::Revoked) => {
            // Ended already; find its row for the hint.
            let Some(value) = state.sessions.cookie.read(headers) else {
                return Ok(None);
            };
            let hash = cookie::value_hash(&value);
            let store = Arc::clone(&state.store);
            Ok(blocking(move || store.session_by_hash(&hash))
                .await?
                .map(|row| row.id))
        }
        Err(SessionError::NoSession) => Ok(None),
        Err(other) => Err(other),
    }
}
