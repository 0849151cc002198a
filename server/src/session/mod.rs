//! Server sessions: the exchange of a browser-validated ID token for an HttpOnly cookie, the session resource, and the extractor that handlers take to know who is signed in.
//!
//! A session lasts SSO_SESSION_LENGTH from sign-in, whatever the ID token's `exp`, and
//! optionally ends after SSO_SESSION_IDLE without use. It is bound to the issuer and client
//! ID it was made under: when either setting changes, it ends.

pub mod cookie;
pub mod csrf;
pub mod exchange;
pub mod routes;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use sso_web::contract::session::SessionInfo;
use sso_web::oidc::json::Record as _;

use crate::config::SessionConfig;
use crate::error::SessionError;
use crate::forward_auth::redirect::AllowedHost;
use crate::settings::Settings;
use crate::store::{Actor, EndReason, StoredSession};
use crate::{blocking, log, AppState};
use cookie::CookieSpec;
use sso_web::contract::admin::ActorKind;

/// The session rules in force, from the environment.
#[derive(Debug, Clone)]
pub struct SessionRules {
    pub idle: Option<Duration>,
    pub cookie: CookieSpec,
    /// SSO_PUBLIC_URL's origin, for the CSRF check.
    pub public_origin: Option<String>,
    /// Where `/oauth2/start?rd=` may return to besides this server.
    pub allowed_redirect_hosts: Vec<AllowedHost>,
}

impl SessionRules {
    pub fn new(config: &SessionConfig) -> Self {
        Self {
            idle: config.idle,
            cookie: CookieSpec {
                secure: config.public_url.as_ref().is_some_and(|u| u.is_https()),
                domain: config.cookie_domain.clone(),
            },
            public_origin: config.public_url.as_ref().map(|u| u.origin().to_owned()),
            allowed_redirect_hosts: config.allowed_redirect_hosts.clone(),
        }
    }

    /// Last-used times are written at most this often: a second for short idle limits
    /// (tests), a minute otherwise, so a busy session is not a write per request.
    pub fn touch_every(&self) -> u64 {
        self.idle
            .map_or(60, |idle| (idle.as_secs() / 10).clamp(1, 60))
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A live session, as a handler sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub row: StoredSession,
    /// With `is_admin` and `idle_expires_at` as of now.
    pub info: SessionInfo,
}

impl Session {
    /// The user, as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.row.display.clone(),
            kind: ActorKind::Sso,
            id: Some(format!("{} {}", self.row.issuer, self.row.subject)),
        }
    }
}

/// Who the cookie in `headers` belongs to, if anyone. Never touches the session (reading
/// is not using); see [`touch`].
pub async fn lookup(state: &AppState, headers: &HeaderMap) -> Result<Session, SessionError> {
    let rules = &state.sessions;
    let value = rules.cookie.read(headers).ok_or(SessionError::NoSession)?;
    let hash = cookie::value_hash(&value);
    let store = Arc::clone(&state.store);
    let row = blocking(move || store.session_by_hash(&hash))
        .await?
        .ok_or(SessionError::NoSession)?;
    let now = now_secs();
    if row.ended.is_some() {
        return Err(SessionError::Revoked);
    }
    if now >= row.expires_at || idle_deadline(rules, &row).is_some_and(|end| now >= end) {
        return Err(SessionError::Expired);
    }
    let current = state.current();
    if !made_under(&current, &row) {
        end_for_settings(state, &row, now).await;
        return Err(SessionError::Revoked);
    }
    let mut info = SessionInfo::from_json(&serde_json::from_str(&row.info).unwrap_or_default())
        .ok_or_else(|| {
            log(&format!(
                "sso-server: session {} has an unreadable record; it is treated as ended",
                row.id
            ));
            SessionError::Internal
        })?;
    info.is_admin = is_admin(&state.admin_groups, &info);
    info.signed_in_at = row.signed_in_at;
    info.expires_at = row.expires_at;
    info.idle_expires_at = idle_deadline(rules, &row);
    Ok(Session { row, info })
}

/// Records a use of the session (a page load, an admin call), at most every
/// [`SessionRules::touch_every`] seconds. Failures are logged: a missed touch only makes
/// idle expiry come a little early.
pub async fn touch(state: &AppState, session: &Session) {
    let now = now_secs();
    if now.saturating_sub(session.row.last_used_at) < state.sessions.touch_every() {
        return;
    }
    let store = Arc::clone(&state.store);
    let id = session.row.id;
    let _ = blocking(move || store.touch_session(id, now)).await;
}

fn idle_deadline(rules: &SessionRules, row: &StoredSession) -> Option<u64> {
    rules
        .idle
        .map(|idle| row.last_used_at.saturating_add(idle.as_secs()))
}

/// Whether the session was made under the issuer and client ID in force now.
fn made_under(current: &Settings, row: &StoredSession) -> bool {
    current
        .sso
        .as_ref()
        .is_some_and(|sso| sso.issuer.as_str() == row.issuer && sso.client_id == row.client_id)
}

pub fn is_admin(admin_groups: &[String], info: &SessionInfo) -> bool {
    info.identity
        .groups
        .iter()
        .any(|g| admin_groups.contains(g))
}

/// The actor of endings nobody asked for.
pub fn system_actor() -> Actor {
    Actor {
        name: "sso-server".to_owned(),
        kind: ActorKind::System,
        id: None,
    }
}

async fn end_for_settings(state: &AppState, row: &StoredSession, now: u64) {
    let store = Arc::clone(&state.store);
    let id = row.id;
    let version = state.current().version();
    let _ = blocking(move || {
        store.end_session(
            id,
            EndReason::SettingsChanged,
            now,
            &system_actor(),
            version,
        )
    })
    .await;
}

/// Ends every session made under other settings than `current`'s (after a save that
/// changed the issuer or client ID).
pub async fn end_sessions_for_settings(state: &AppState, current: &Settings, actor: Actor) {
    let store = Arc::clone(&state.store);
    let (issuer, client_id) = match &current.sso {
        Some(sso) => (
            Some(sso.issuer.as_str().to_owned()),
            Some(sso.client_id.clone()),
        ),
        None => (None, None),
    };
    let version = current.version();
    let now = now_secs();
    let ended = blocking(move || {
        store.end_sessions_not_under(
            issuer.as_deref(),
            client_id.as_deref(),
            now,
            &actor,
            version,
        )
    })
    .await;
    if let Ok(count @ 1..) = ended {
        log(&format!(
            "sso-server: {count} session(s) ended: the issuer or client ID they were made under changed"
        ));
    }
}

/// Deletes long-ended sessions and spent ID-token records, now and every ten minutes.
pub fn spawn_purge(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            let store = Arc::clone(&state.store);
            if let Ok((sessions, tokens)) = blocking(move || store.purge(now_secs())).await {
                if sessions + tokens > 0 {
                    log(&format!(
                        "sso-server: purged {sessions} old session(s) and {tokens} spent ID token record(s)"
                    ));
                }
            }
        }
    });
}

/// `Session` as an extractor: a handler that takes it runs only for a live session.
impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = SessionError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        lookup(state, &parts.headers).await
    }
}
