//! The error body every sso-server API answers a refusal with, and its codes. sso-server
//! writes [`ErrorBody`] with serde; the browser reads it by hand ([`ErrorBody::parse`]), in
//! both bundles. The codes are an API: the SPA branches on them, tests assert them and the
//! README lists them. Never rename one.

use crate::oidc::json::Object;
use serde::Serialize;
use std::collections::BTreeMap;

/// `{"error", "message", "fields"?, "current_version"?, "reason"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ErrorBody {
    /// One of [`code`].
    pub error: String,
    /// What happened and the fix, for a person. Never a token, a secret or a cookie.
    pub message: String,
    /// `validation_failed` and `env_locked`: what is wrong with each field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// `precondition_failed`: the version now stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// `invalid_token`: which check of OIDC Core 3.1.3.7 failed (`bad_signature`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ErrorBody {
    pub fn new(error: &str, message: impl Into<String>) -> Self {
        Self {
            error: error.to_owned(),
            message: message.into(),
            ..Self::default()
        }
    }

    /// The body of a refusal; `None` when it is not one (a proxy's HTML page, say).
    pub fn parse(body: &str) -> Option<Self> {
        let doc = Object::parse(body).ok()?;
        let fields = match doc.object("fields") {
            Ok(fields) => fields
                .into_map()
                .into_iter()
                .map(|(name, value)| Some((name, value.as_str()?.to_owned())))
                .collect::<Option<BTreeMap<_, _>>>()?,
            Err(_) => BTreeMap::new(),
        };
        Some(Self {
            error: doc.string("error").ok()?,
            message: doc.opt_string("message").ok()?.unwrap_or_default(),
            fields,
            current_version: doc.opt_u64("current_version").ok()?,
            reason: doc.opt_string("reason").ok()?,
        })
    }

    /// The body, or one that names the HTTP status when the answer was not ours.
    pub fn parse_or_status(status: u16, body: &str) -> Self {
        Self::parse(body).unwrap_or_else(|| {
            Self::new(
                &format!("http_{status}"),
                format!("The server answered HTTP {status}."),
            )
        })
    }
}

/// Every `error` sso-server answers with.
pub mod code {
    pub const NOT_FOUND: &str = "not_found";
    pub const SSO_NOT_CONFIGURED: &str = "sso_not_configured";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const INVALID_PATH: &str = "invalid_path";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    pub const INVALID_FORM: &str = "invalid_form";
    pub const INVALID_JSON: &str = "invalid_json";
    pub const VALIDATION_FAILED: &str = "validation_failed";
    pub const TOKEN_RELAY_DISABLED: &str = "token_relay_disabled";
    pub const TOKEN_ENDPOINT_FAILED: &str = "token_endpoint_failed";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    pub const NOT_ADMIN: &str = "not_admin";
    pub const PRECONDITION_REQUIRED: &str = "precondition_required";
    pub const PRECONDITION_FAILED: &str = "precondition_failed";
    pub const ENV_LOCKED: &str = "env_locked";
    pub const IDP_UNAVAILABLE: &str = "idp_unavailable";
    pub const SESSION_NOT_FOUND: &str = "session_not_found";
    pub const INTERNAL_ERROR: &str = "internal_error";
    pub const STORE_UNAVAILABLE: &str = "store_unavailable";
    pub const CSRF_ORIGIN_MISMATCH: &str = "csrf_origin_mismatch";
    pub const CSRF_HEADER_MISSING: &str = "csrf_header_missing";
    pub const NO_SESSION: &str = "no_session";
    pub const SESSION_EXPIRED: &str = "session_expired";
    pub const SESSION_REVOKED: &str = "session_revoked";
    pub const INVALID_TOKEN: &str = "invalid_token";
    pub const TOKEN_REPLAYED: &str = "token_replayed";
    pub const TOKEN_TOO_OLD: &str = "token_too_old";
    pub const NONCE_MISMATCH: &str = "nonce_mismatch";
    pub const NOT_IN_GROUP: &str = "not_in_group";
    pub const EMAIL_DOMAIN_NOT_ALLOWED: &str = "email_domain_not_allowed";
    pub const REDIRECT_NOT_ALLOWED: &str = "redirect_not_allowed";

    /// All of them, for the README's table and the tests.
    pub const ALL: [&str; 33] = [
        NOT_FOUND,
        SSO_NOT_CONFIGURED,
        METHOD_NOT_ALLOWED,
        INVALID_PATH,
        UNSUPPORTED_MEDIA_TYPE,
        PAYLOAD_TOO_LARGE,
        INVALID_FORM,
        INVALID_JSON,
        VALIDATION_FAILED,
        TOKEN_RELAY_DISABLED,
        TOKEN_ENDPOINT_FAILED,
        RATE_LIMITED,
        UNAUTHENTICATED,
        NOT_ADMIN,
        PRECONDITION_REQUIRED,
        PRECONDITION_FAILED,
        ENV_LOCKED,
        IDP_UNAVAILABLE,
        SESSION_NOT_FOUND,
        INTERNAL_ERROR,
        STORE_UNAVAILABLE,
        CSRF_ORIGIN_MISMATCH,
        CSRF_HEADER_MISSING,
        NO_SESSION,
        SESSION_EXPIRED,
        SESSION_REVOKED,
        INVALID_TOKEN,
        TOKEN_REPLAYED,
        TOKEN_TOO_OLD,
        NONCE_MISMATCH,
        NOT_IN_GROUP,
        EMAIL_DOMAIN_NOT_ALLOWED,
        REDIRECT_NOT_ALLOWED,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_writes() {
        let bodies = [
            ErrorBody::new(code::NOT_FOUND, "no API endpoint at this path"),
            ErrorBody {
                fields: [("issuer".to_owned(), "must be https".to_owned())].into(),
                ..ErrorBody::new(code::VALIDATION_FAILED, "issuer: must be https")
            },
            ErrorBody {
                current_version: Some(9),
                ..ErrorBody::new(code::PRECONDITION_FAILED, "m")
            },
            ErrorBody {
                reason: Some("bad_signature".into()),
                ..ErrorBody::new(code::INVALID_TOKEN, "m")
            },
        ];
        for body in bodies {
            let json = serde_json::to_string(&body).expect("json");
            assert_eq!(ErrorBody::parse(&json), Some(body), "{json}");
        }
    }

    #[test]
    fn anything_else_is_not_a_refusal() {
        for bad in [
            "<html>502</html>",
            "{}",
            r#"{"error":7}"#,
            r#"{"error":"x","fields":{"a":1}}"#,
            r#"{"error":"x","current_version":-1}"#,
        ] {
            assert_eq!(ErrorBody::parse(bad), None, "{bad}");
        }
        let fallback = ErrorBody::parse_or_status(502, "<html>");
        assert_eq!(fallback.error, "http_502");
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut all = code::ALL.to_vec();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), code::ALL.len());
        assert!(all
            .iter()
            .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }

    #[test]
    fn every_code_is_documented() {
        let api = include_str!("../../docs/api.md");
        let table = api
            .split("## Error bodies")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_default();
        for code in code::ALL {
            assert!(
                table.contains(&format!("`{code}`")),
                "docs/api.md's \"Error bodies\" table lacks `{code}`"
            );
        }
    }
}
