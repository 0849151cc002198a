//! The session cookie: an opaque random value (the store keeps only its SHA-256), `HttpOnly; SameSite=Strict; Path=/`, and `Secure` with the `__Host-` prefix when the public URL is https (RFC 6265bis 4.1.3.2).

use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Its own name: the dev IdP on the same host sets `_session` (cookies ignore ports).
pub const COOKIE_NAME: &str = "sso-web-session";
pub const SECURE_COOKIE_NAME: &str = "__Host-sso-web-session";
/// With SSO_COOKIE_DOMAIN: `__Host-` forbids `Domain`, `__Secure-` still demands `Secure`.
pub const SHARED_SECURE_COOKIE_NAME: &str = "__Secure-sso-web-session";

/// How the cookie is named and flagged on this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSpec {
    pub secure: bool,
    /// SSO_COOKIE_DOMAIN: shared with that domain's subdomains.
    pub domain: Option<String>,
}

impl CookieSpec {
    pub fn name(&self) -> &'static str {
        match (self.secure, self.domain.is_some()) {
            (true, false) => SECURE_COOKIE_NAME,
            (true, true) => SHARED_SECURE_COOKIE_NAME,
            (false, _) => COOKIE_NAME,
        }
    }

    /// `; Domain=…` and `; Secure`, as configured.
    fn scope(&self) -> String {
        let mut scope = String::new();
        if let Some(domain) = &self.domain {
            scope.push_str("; Domain=");
            scope.push_str(domain);
        }
        if self.secure {
            scope.push_str("; Secure");
        }
        scope
    }

    /// `Set-Cookie` for a new session, kept `max_age` seconds (so it survives a browser
    /// restart, as W&B's does; the server decides when the session ends).
    pub fn set(&self, value: &str, max_age: u64) -> HeaderValue {
        let text = format!(
            "{}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict{}",
            self.name(),
            self.scope()
        );
        // The value is base64url and the rest is ASCII: this cannot fail.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// `Set-Cookie` that removes it.
    pub fn clear(&self) -> HeaderValue {
        HeaderValue::from_str(&format!(
            "{}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict{}",
            self.name(),
            self.scope()
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The cookie's value in the request, if it has a well-formed one. Every `Cookie`
    /// header is read (HTTP/2 may split them); a value of another shape is ignored.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.trim())
            .find(|v| is_session_value(v))
            .map(str::to_owned)
    }
}

/// 32 random bytes, base64url: 256 bits.
pub fn new_value() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keys the session by.
pub fn value_hash(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

fn is_session_value(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_over_http_and_https() {
        let value = "a".repeat(43);
        let http = CookieSpec {
            secure: false,
            domain: None,
        };
        assert_eq!(
            http.set(&value, 60).to_str().expect("ascii"),
            format!("sso-web-session={value}; Max-Age=60; Path=/; HttpOnly; SameSite=Strict")
        );
        let https = CookieSpec {
            secure: true,
            domain: None,
        };
        assert_eq!(
            https.set(&value, 60).to_str().expect("ascii"),
            format!(
                "__Host-sso-web-session={value}; Max-Age=60; Path=/; HttpOnly; SameSite=Strict; Secure"
            )
        );
        assert_eq!(
            https.clear().to_str().expect("ascii"),
            "__Host-sso-web-session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        // Shared with subdomains: `__Host-` forbids Domain, so the prefix is `__Secure-`.
        let shared = CookieSpec {
            secure: true,
            domain: Some("example.com".into()),
        };
        assert_eq!(
            shared.set(&value, 60).to_str().expect("ascii"),
            format!(
                "__Secure-sso-web-session={value}; Max-Age=60; Path=/; HttpOnly; SameSite=Strict; Domain=example.com; Secure"
            )
        );
        assert_eq!(
            shared.clear().to_str().expect("ascii"),
            "__Secure-sso-web-session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict; Domain=example.com; Secure"
        );
        let shared_http = CookieSpec {
            secure: false,
            domain: Some("example.com".into()),
        };
        assert_eq!(shared_http.name(), "sso-web-session");
    }

    #[test]
    fn reads_its_own_cookie_only() {
        let value = new_value().expect("random");
        assert_eq!(value.len(), 43);
        assert_ne!(value, new_value().expect("random"));
        let spec = CookieSpec {
            secure: false,
            domain: None,
        };
        let mut headers = HeaderMap::new();
        assert_eq!(spec.read(&headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("_session=idp; sso-web-session=short"),
        );
        assert_eq!(spec.read(&headers), None, "a malformed value is no session");
        headers.append(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; sso-web-session={value}")).expect("ascii"),
        );
        assert_eq!(spec.read(&headers), Some(value.clone()));
        let secure = CookieSpec {
            secure: true,
            domain: None,
        };
        assert_eq!(secure.read(&headers), None);
        assert_eq!(value_hash(&value), value_hash(&value));
    }
}
