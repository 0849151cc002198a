//! CSRF defence for requests that change state on the strength of the session cookie: a same-origin `Origin`, and a header that a cross-site HTML form cannot send (docs/security.md explains the choice).

use axum::http::{header, HeaderMap, Method};
use sso_web::contract::session::CSRF_HEADER;

use crate::body::is_media_type;
use crate::error::CsrfError;

/// Whether `method` can change state (RFC 9110 9.2.1: everything but the safe methods).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks both halves. `public_origin` is SSO_PUBLIC_URL's origin; without it the
/// `Origin`'s host and port must be the request's `Host` (a proxy may have changed the
/// scheme, which the server cannot see).
pub fn check(headers: &HeaderMap, public_origin: Option<&str>) -> Result<(), CsrfError> {
    check_origin(headers, public_origin)?;
    let marked = is_media_type(headers, "application/json") || headers.contains_key(CSRF_HEADER);
    if marked {
        Ok(())
    } else {
        Err(CsrfError::HeaderMissing)
    }
}

/// The `Origin` half alone.
pub fn check_origin(headers: &HeaderMap, public_origin: Option<&str>) -> Result<(), CsrfError> {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .ok_or(CsrfError::OriginMismatch)?;
    let same = match public_origin {
        Some(public) => origin.eq_ignore_ascii_case(public),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
        }
    };
    if same {
        Ok(())
    } else {
        Err(CsrfError::OriginMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_json_or_marked_passes() {
        let host = ("host", "sso.example.com:8443");
        for ok in [
            headers(&[
                host,
                ("origin", "http://sso.example.com:8443"),
                ("content-type", "application/json"),
            ]),
            headers(&[
                host,
                ("origin", "https://SSO.example.com:8443"),
                ("x-requested-with", "sso-web"),
            ]),
        ] {
            assert_eq!(check(&ok, None), Ok(()), "{ok:?}");
        }
        let public = Some("https://sso.example.com");
        let ok = headers(&[
            ("host", "10.0.0.5:8080"),
            ("origin", "https://sso.example.com"),
            ("x-requested-with", "x"),
        ]);
        assert_eq!(check(&ok, public), Ok(()));
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let host = ("host", "sso.example.com");
        for (case, expected) in [
            (
                headers(&[host, ("content-type", "application/json")]),
                CsrfError::OriginMismatch,
            ),
            (
                headers(&[
                    host,
                    ("origin", "null"),
                    ("content-type", "application/json"),
                ]),
                CsrfError::OriginMismatch,
            ),
            (
                headers(&[
                    host,
                    ("origin", "https://evil.example"),
                    ("content-type", "application/json"),
                ]),
                CsrfError::OriginMismatch,
            ),
            (
                headers(&[
                    host,
                    ("origin", "https://sso.example.com.evil.example"),
                    ("x-requested-with", "x"),
                ]),
                CsrfError::OriginMismatch,
            ),
            (
                headers(&[
                    ("origin", "https://sso.example.com"),
                    ("x-requested-with", "x"),
                ]),
                CsrfError::OriginMismatch,
            ),
            // What a cross-site form can send, from the right origin (a same-origin form).
            (
                headers(&[
                    host,
                    ("origin", "https://sso.example.com"),
                    ("content-type", "application/x-www-form-urlencoded"),
                ]),
                CsrfError::HeaderMissing,
            ),
            (
                headers(&[
                    host,
                    ("origin", "https://sso.example.com"),
                    ("content-type", "text/plain"),
                ]),
                CsrfError::HeaderMissing,
            ),
        ] {
            assert_eq!(check(&case, None), Err(expected), "{case:?}");
        }
        let behind_proxy = headers(&[
            ("host", "10.0.0.5:8080"),
            ("origin", "http://10.0.0.5:8080"),
            ("x-requested-with", "x"),
        ]);
        assert_eq!(
            check(&behind_proxy, Some("https://sso.example.com")),
            Err(CsrfError::OriginMismatch),
            "with SSO_PUBLIC_URL, only its origin counts"
        );
        assert!(is_unsafe(&Method::POST) && is_unsafe(&Method::DELETE) && is_unsafe(&Method::PUT));
        assert!(!is_unsafe(&Method::GET) && !is_unsafe(&Method::HEAD));
    }
}
