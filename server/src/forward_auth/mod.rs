//! Forward-auth for the platform's other apps: `GET /api/v1/auth/verify` answers a reverse
//! proxy's "is this request signed in, and who is it?" from the session cookie, and
//! `GET /oauth2/start?rd=` signs the user in and sends them back to the app.
//!
//! The header names are oauth2-proxy's, so existing nginx `auth_request` snippets work.

pub mod redirect;

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sso_web::contract::error::{code, ErrorBody};

use crate::error::{json_error, SessionError};
use crate::session::{self, Session};
use crate::AppState;

pub const USER: HeaderName = HeaderName::from_static("x-auth-request-user");
pub const EMAIL: HeaderName = HeaderName::from_static("x-auth-request-email");
pub const PREFERRED_USERNAME: HeaderName =
    HeaderName::from_static("x-auth-request-preferred-username");
pub const GROUPS: HeaderName = HeaderName::from_static("x-auth-request-groups");

/// What a location asks of the user, from verify's query.
#[derive(Debug, Default, PartialEq, Eq)]
struct Conditions {
    /// Any of these groups (none: any signed-in user).
    groups: Vec<String>,
    /// The email's domain is one of these (lower case; none: any).
    email_domains: Vec<String>,
    /// `?redirect=1`: answer a missing session with the sign-in redirect instead of `401`
    /// (Traefik and Caddy hand the answer to the browser as it is).
    redirect: bool,
}

impl Conditions {
    /// Unknown parameters are refused, not ignored: a misspelt `?groups=admins` in a proxy's
    /// configuration must not open the location to everyone.
    fn parse(query: Option<&str>) -> Result<Self, String> {
        let mut conditions = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "group" if !value.is_empty() => conditions.groups.push(value.to_owned()),
                "allowed_email_domain" if !value.is_empty() => conditions
                    .email_domains
                    .push(value.trim_start_matches('@').to_ascii_lowercase()),
                "redirect" if value == "1" || value == "true" => conditions.redirect = true,
                "group" | "allowed_email_domain" | "redirect" => {
                    return Err(format!(
                        "the query parameter {key} is empty (redirect takes 1)"
                    ))
                }
                other => {
                    return Err(format!(
                        "unknown query parameter {:?}: verify takes group= (repeatable, any of), allowed_email_domain= (repeatable) and redirect=1",
                        other.escape_default().to_string()
                    ))
                }
            }
        }
        Ok(conditions)
    }

    fn refusal(&self, session: &Session) -> Option<ErrorBody> {
        let identity = &session.info.identity;
        if !self.groups.is_empty() && !identity.groups.iter().any(|g| self.groups.contains(g)) {
            return Some(ErrorBody::new(
                code::NOT_IN_GROUP,
                "signed in, but not a member of a group this location requires",
            ));
        }
        if !self.email_domains.is_empty() {
            // An address the IdP says it has not verified proves nothing about its domain.
            let domain = identity
                .email
                .as_deref()
                .filter(|_| identity.email_verified != Some(false))
                .and_then(|email| email.rsplit_once('@'))
                .map(|(_, domain)| domain.to_ascii_lowercase());
            if !domain.is_some_and(|d| self.email_domains.contains(&d)) {
                return Some(ErrorBody::new(
                    code::EMAIL_DOMAIN_NOT_ALLOWED,
                    "signed in, but without a verified email address in a domain this location allows",
                ));
            }
        }
        None
    }
}

/// `GET /api/v1/auth/verify[?group=…][&allowed_email_domain=…]`: `204` with the user's
/// headers, `401` without a live session, `403` when a condition fails. Every method is
/// answered alike (a proxy may pass on the original one); it changes nothing but the
/// session's last use.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let conditions = match Conditions::parse(query.as_deref()) {
        Ok(conditions) => conditions,
        Err(message) => {
            return no_store(json_error(
                StatusCode::BAD_REQUEST,
                ErrorBody::new(code::VALIDATION_FAILED, message),
            ))
        }
    };
    let session = match session::lookup(&state, &headers).await {
        Ok(session) => session,
        Err(SessionError::NoSession | SessionError::Expired | SessionError::Revoked)
            if conditions.redirect =>
        {
            if let Some(response) = sign_in_redirect(&state, &headers) {
                return response;
            }
            return no_store(SessionError::NoSession.into_response());
        }
        Err(err) => return no_store(err.into_response()),
    };
    if let Some(body) = conditions.refusal(&session) {
        return no_store(json_error(StatusCode::FORBIDDEN, body));
    }
    session::touch(&state, &session).await;
    let identity = &session.info.identity;
    let mut response = no_store(StatusCode::NO_CONTENT.into_response());
    let out = response.headers_mut();
    let mut put = |name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            out.insert(name, value);
        }
    };
    put(USER, &header_safe(&identity.sub));
    if let Some(email) = &identity.email {
        put(EMAIL, &header_safe(email));
    }
    if let Some(username) = &identity.preferred_username {
        put(PREFERRED_USERNAME, &header_safe(username));
    }
    if !identity.groups.is_empty() {
        let groups: Vec<String> = identity.groups.iter().map(|g| group_safe(g)).collect();
        put(GROUPS, &groups.join(","));
    }
    response
}

/// Percent-encodes (RFC 3986, UTF-8) every byte that is not visible ASCII, and `%` itself:
/// no CR, LF or other control byte reaches the proxy, and a non-ASCII name survives intact.
const NOT_VISIBLE_ASCII: &AsciiSet = &percent_encoding::CONTROLS.add(b' ').add(b'%');
const NOT_VISIBLE_ASCII_OR_COMMA: &AsciiSet = &NOT_VISIBLE_ASCII.add(b',');

pub fn header_safe(value: &str) -> String {
    utf8_percent_encode(value, NOT_VISIBLE_ASCII).to_string()
}

/// As [`header_safe`], and `,` too: groups are joined with commas.
fn group_safe(value: &str) -> String {
    utf8_percent_encode(value, NOT_VISIBLE_ASCII_OR_COMMA).to_string()
}

/// `302` to this server's `/oauth2/start?rd=` for the request a proxy describes in
/// `X-Forwarded-Proto`, `-Host` and `-Uri`; `None` without them or without SSO_PUBLIC_URL
/// (a relative Location would resolve against the app's host). `rd` is checked by
/// `/oauth2/start`, so forged headers can only name an allowed destination.
fn sign_in_redirect(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let origin = state.sessions.public_origin.as_deref()?;
    let forwarded = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let rd = format!(
        "{}://{}{}",
        forwarded("x-forwarded-proto")?,
        forwarded("x-forwarded-host")?,
        forwarded("x-forwarded-uri")?
    );
    let location = format!("{origin}{}", start_path(&rd));
    let location = HeaderValue::from_str(&location).ok()?;
    Some(no_store(
        (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
    ))
}

/// `/oauth2/start?rd=<rd, percent-encoded>`.
fn start_path(rd: &str) -> String {
    format!(
        "{}?rd={}",
        sso_web::contract::session::SIGN_IN_START_PATH,
        utf8_percent_encode(rd, NON_ALPHANUMERIC)
    )
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /oauth2/start?rd=<url>`: to `rd` when signed in, else to the sign-in page, which comes
/// back here after the sign-in. `rd` is checked on every pass; the SPA never redirects off
/// this origin itself.
pub async fn start(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let rd = return_address(query.as_deref().unwrap_or_default());
    let own = match &state.sessions.public_origin {
        Some(origin) => origin
            .split_once("://")
            .map_or("", |(_, host)| host)
            .to_owned(),
        None => headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    };
    let location = match redirect::check(&rd, &own, &state.sessions.allowed_redirect_hosts) {
        Ok(location) => location,
        Err(refused) => return refused_page(&refused),
    };
    let target = match session::lookup(&state, &headers).await {
        Ok(session) => {
            session::touch(&state, &session).await;
            location
        }
        Err(SessionError::NoSession | SessionError::Expired | SessionError::Revoked) => {
            format!(
                "/?{}={}",
                sso_web::contract::session::RETURN_TO_PARAM,
                utf8_percent_encode(&start_path(&location), NON_ALPHANUMERIC)
            )
        }
        Err(other) => return other.into_response(),
    };
    match HeaderValue::from_str(&target) {
        Ok(value) => no_store((StatusCode::FOUND, [(header::LOCATION, value)]).into_response()),
        Err(_) => refused_page(&redirect::Refused::UnsafeCharacters),
    }
}

/// `rd` from `/oauth2/start`'s query. Written out (`rd=https://app/x?a=1&b=2`, as nginx's
/// `$request_uri` puts it), it is the rest of the query, verbatim: the browser already encoded
/// it, and decoding would turn `%20` into a space and `%26` into a separator. Percent-encoded
/// (`rd=https%3A%2F%2F…`, as this server and Traefik/Caddy's redirect write it), it is decoded.
fn return_address(query: &str) -> String {
    let value = if let Some(value) = query.strip_prefix("rd=") {
        value
    } else if let Some((_, value)) = query.split_once("&rd=") {
        value
    } else {
        return String::new();
    };
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || value.starts_with('/') {
        return value.to_owned();
    }
    let encoded = value.split('&').next().unwrap_or_default();
    url::form_urlencoded::parse(format!("rd={encoded}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn refused_page(refused: &redirect::Refused) -> Response {
    let message = html_escape(&refused.to_string());
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Sign-in link refused</title>\
         <main data-testid=\"auth-error\" data-error-code=\"{code}\"><h1>This sign-in link cannot be used</h1>\
         <p>{message}.</p><p>If an app of your organisation sent you here, ask an administrator to add its host \
         to <code>SSO_ALLOWED_REDIRECT_HOSTS</code>.</p><p><a href=\"/\">Sign in here instead</a></p></main></html>",
        code = code::REDIRECT_NOT_ALLOWED,
    );
    no_store(
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response(),
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_carry_no_line_breaks_and_keep_their_text() {
        assert_eq!(header_safe("alice"), "alice");
        assert_eq!(header_safe("a\r\nX-Evil: 1"), "a%0D%0AX-Evil:%201");
        assert_eq!(header_safe("Zoë 100%"), "Zo%C3%AB%20100%25");
        assert_eq!(group_safe("dev,ops"), "dev%2Cops");
        assert_eq!(header_safe("a\u{7f}\u{0}b"), "a%7F%00b");
        for value in ["\r", "\n", "\u{0}", "é", "\u{2028}"] {
            assert!(HeaderValue::from_str(&header_safe(value)).is_ok());
            assert!(header_safe(value)
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b)));
        }
    }

    #[test]
    fn the_return_address_is_taken_as_the_proxy_wrote_it() {
        // nginx: written out, the rest of the query, still encoded as the browser sent it.
        assert_eq!(
            return_address("rd=https://app.example.com/x?a=1&b=c%20d%26e#f"),
            "https://app.example.com/x?a=1&b=c%20d%26e#f"
        );
        assert_eq!(return_address("rd=/me?tab=1&x=2"), "/me?tab=1&x=2");
        assert_eq!(return_address("x=1&rd=HTTPS://App/"), "HTTPS://App/");
        // Encoded (this server's own round trip, Traefik and Caddy): decoded once.
        assert_eq!(
            return_address("rd=https%3A%2F%2Fapp.example.com%2Fx%3Fa%3D1%26b%3Dc%2520d"),
            "https://app.example.com/x?a=1&b=c%20d"
        );
        assert_eq!(
            return_address("rd=%2F%2Fevil.example&x=1"),
            "//evil.example"
        );
        assert_eq!(return_address(""), "");
        assert_eq!(return_address("ard=https://evil.example/"), "");
    }

    #[test]
    fn conditions_refuse_unknown_parameters() {
        assert_eq!(Conditions::parse(None), Ok(Conditions::default()));
        assert_eq!(
            Conditions::parse(Some(
                "group=admins&group=ops&allowed_email_domain=%40Example.COM"
            )),
            Ok(Conditions {
                groups: vec!["admins".into(), "ops".into()],
                email_domains: vec!["example.com".into()],
                redirect: false,
            })
        );
        assert!(Conditions::parse(Some("redirect=1")).is_ok_and(|c| c.redirect));
        for bad in [
            "groups=admins",
            "group=",
            "allowed_email_domain=",
            "x",
            "redirect=yes",
        ] {
            assert!(Conditions::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
