//! The admin API under /api/v1/admin: the SSO settings (GET, and PUT with If-Match on the version), their audit log, who the caller is, and the live sessions (list, end one, end all others).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sso_web::contract::session::{RevokedCount, SessionList, SessionSummary};

use crate::auth::{Admin, AdminIdentity};
use crate::error::AdminError;
use crate::session::{self, now_secs};
use crate::settings::{self, Settings};
use crate::store::{EndReason, UpdateOutcome};
use crate::{blocking, log, AppState};
use sso_web::contract::admin::{AuditPage, Via, WhoAmI};

/// The session list is for a person to read; past this many, the newest are shown.
pub const MAX_LISTED_SESSIONS: u32 = 500;

/// Settings bodies are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub const DEFAULT_AUDIT_LIMIT: u32 = 20;
pub const MAX_AUDIT_LIMIT: u32 = 100;

fn no_store() -> (header::HeaderName, HeaderValue) {
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

fn settings_response(current: &Settings) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", current.version()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    (
        StatusCode::OK,
        [no_store(), (header::ETAG, etag)],
        Json(current.document()),
    )
        .into_response()
}

pub async fn get_settings(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
) -> Result<Response, AdminError> {
    Ok(settings_response(&state.current()))
}

pub async fn put_settings(
    State(state): State<Arc<AppState>>,
    Admin(admin): Admin,
    request: Request,
) -> Result<Response, AdminError> {
    let (parts, body) = request.into_parts();
    let expected = if_match(&parts.headers, state.current().version())?;
    if !is_json(&parts.headers) {
        return Err(AdminError::InvalidJson(
            "send the settings as JSON with Content-Type: application/json".to_owned(),
        ));
    }
    let bytes = read_body(&parts.headers, body).await?;
    let mut patch = settings::parse_patch(&bytes)?;
    settings::enforce_env_locks(&state.env, &mut patch)?;
    let actor = admin.actor();
    let store = Arc::clone(&state.store);
    let outcome = blocking(move || store.update(expected, &patch, &actor)).await?;
    let snapshot = match outcome {
        UpdateOutcome::Stale { current_version } => {
            return Err(AdminError::PreconditionFailed { current_version })
        }
        UpdateOutcome::Unchanged(snapshot) => snapshot,
        UpdateOutcome::Changed { snapshot, fields } => {
            let actor = admin.actor();
            log(&format!(
                "sso-server: SSO settings version {} saved by {} ({}): {}",
                snapshot.version,
                actor.name,
                actor.kind.as_str(),
                fields.join(", ")
            ));
            let before = state.current();
            let now = state.publish(snapshot.clone());
            let moved = |c: &Settings| {
                c.sso
                    .as_ref()
                    .map(|sso| (sso.issuer.as_str().to_owned(), sso.client_id.clone()))
            };
            if moved(&before) != moved(&now) {
                session::end_sessions_for_settings(&state, &now, admin.actor()).await;
            }
            snapshot
        }
    };
    // This write's own document, even if another save has landed since.
    Ok(settings_response(&Settings::new(&state.env, snapshot)))
}

/// The version named by `If-Match: "7"`. Without it a PUT could silently
/// undo someone else's save, so it is required; `*` is refused for the same
/// reason. A tag that is not ours can never match: 412.
fn if_match(headers: &HeaderMap, current_version: u64) -> Result<u64, AdminError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(AdminError::PreconditionRequired);
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Err(AdminError::PreconditionRequired);
    }
    // Compared as the string the ETag is, so `"+7"` or `"007"` are not version 7.
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<u64>().ok().filter(|n| n.to_string() == v))
        .ok_or(AdminError::PreconditionFailed { current_version })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The body, by the public endpoints' bounded read (which also lets a refused client
/// finish sending, so it sees the 413).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, AdminError> {
    crate::body::read_limited(headers, body, MAX_BODY_BYTES)
        .await
        .map_err(|_| AdminError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        })
}

pub async fn audit(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    request: Request,
) -> Result<Response, AdminError> {
    let (limit, before) = audit_query(request.uri().query().unwrap_or(""))?;
    let store = Arc::clone(&state.store);
    let (entries, next_before) = blocking(move || store.audit(limit, before)).await?;
    Ok((
        [no_store()],
        Json(AuditPage {
            entries,
            next_before,
        }),
    )
        .into_response())
}

fn audit_query(query: &str) -> Result<(u32, Option<i64>), AdminError> {
    let mut limit = DEFAULT_AUDIT_LIMIT;
    let mut before = None;
    let mut errors = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=MAX_AUDIT_LIMIT).contains(&n) => limit = n,
                _ => {
                    errors.insert(
                        "limit".to_owned(),
                        format!("must be a whole number from 1 to {MAX_AUDIT_LIMIT}"),
                    );
                }
            },
            "before" => match value.parse::<i64>() {
                Ok(n) if n > 0 => before = Some(n),
                _ => {
                    errors.insert(
                        "before".to_owned(),
                        "must be an entry id (a positive whole number)".to_owned(),
                    );
                }
            },
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok((limit, before))
    } else {
        Err(AdminError::validation(errors))
    }
}

pub async fn whoami(Admin(admin): Admin) -> Result<Response, AdminError> {
    let body = match admin {
        AdminIdentity::Sso {
            subject,
            name,
            groups,
            ..
        } => WhoAmI {
            via: Via::Sso,
            subject: Some(subject),
            name,
            groups,
        },
        AdminIdentity::SetupToken => WhoAmI {
            via: Via::SetupToken,
            subject: None,
            name: None,
            groups: Vec::new(),
        },
    };
    Ok(([no_store()], Json(body)).into_response())
}

/// The live sessions, newest first.
pub async fn sessions(
    State(state): State<Arc<AppState>>,
    Admin(admin): Admin,
) -> Result<Response, AdminError> {
    let store = Arc::clone(&state.store);
    let idle = state.sessions.idle.map(|d| d.as_secs());
    let now = now_secs();
    let rows = blocking(move || store.active_sessions(now, idle, MAX_LISTED_SESSIONS)).await?;
    let own = admin.session_id();
    let sessions = rows
        .into_iter()
        .map(|row| SessionSummary {
            id: row.id,
            current: own == Some(row.id),
            idle_expires_at: idle.map(|i| row.last_used_at.saturating_add(i)),
            user: row.display,
            subject: row.subject,
            signed_in_at: row.signed_in_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        })
        .collect();
    Ok(([no_store()], Json(SessionList { sessions })).into_response())
}

/// Ends one session: its cookie gets `401 session_revoked` from then on.
pub async fn end_session(
    State(state): State<Arc<AppState>>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let id: i64 = id.parse().map_err(|_| AdminError::SessionNotFound)?;
    let store = Arc::clone(&state.store);
    let actor = admin.actor();
    let version = state.current().version();
    let ended =
        blocking(move || store.end_session(id, EndReason::Revoked, now_secs(), &actor, version))
            .await?;
    if !ended {
        return Err(AdminError::SessionNotFound);
    }
    log(&format!(
        "sso-server: session {id} ended by {}",
        admin.actor().name
    ));
    Ok((StatusCode::NO_CONTENT, [no_store()]).into_response())
}

/// "Sign out everyone else": every session but the caller's own.
pub async fn end_other_sessions(
    State(state): State<Arc<AppState>>,
    Admin(admin): Admin,
) -> Result<Response, AdminError> {
    let store = Arc::clone(&state.store);
    let actor = admin.actor();
    let keep = admin.session_id();
    let version = state.current().version();
    let ended =
        blocking(move || store.end_other_sessions(keep, now_secs(), &actor, version)).await?;
    log(&format!(
        "sso-server: {ended} session(s) ended by {} (sign out everyone else)",
        admin.actor().name
    ));
    Ok((
        [no_store()],
        Json(RevokedCount {
            ended: ended as u64,
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_forms() {
        let mut headers = HeaderMap::new();
        assert_eq!(if_match(&headers, 3), Err(AdminError::PreconditionRequired));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"7\""));
        assert_eq!(if_match(&headers, 3), Ok(7));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(if_match(&headers, 3), Err(AdminError::PreconditionRequired));
        for stale in [
            "7", "W/\"3\"", "\"x\"", "\"\"", "\"+7\"", "\"007\"", "\" 7\"",
        ] {
            headers.insert(header::IF_MATCH, HeaderValue::from_static(stale));
            assert_eq!(
                if_match(&headers, 3),
                Err(AdminError::PreconditionFailed { current_version: 3 }),
                "{stale}"
            );
        }
    }

    #[test]
    fn audit_query_bounds() {
        assert_eq!(audit_query(""), Ok((20, None)));
        assert_eq!(audit_query("limit=100&before=12"), Ok((100, Some(12))));
        for bad in ["limit=0", "limit=101", "limit=x", "before=0", "before=-1"] {
            assert!(
                matches!(audit_query(bad), Err(AdminError::ValidationFailed { .. })),
                "{bad}"
            );
        }
    }
}
