//! The token relay `POST /api/v1/sso/token`: redeems an authorization code (RFC 6749 §4.1.3, with the RFC 7636 verifier) at the effective issuer's token endpoint, authenticated with the client secret (§2.3.1), for a confidential client or an IdP whose token endpoint has no CORS.
//!
//! The token endpoint comes from the issuer's discovery document, never from
//! the request. The secret, the code and the tokens are never logged and
//! never appear in an error message.

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use url::{form_urlencoded, Url};

use crate::body::{is_media_type, json_object, read_limited};
use crate::callback::CALLBACK_PATH;
use crate::error::FlowError;
use crate::idp::DiscoveryError;
use crate::settings::Secret;
use crate::{log, AppState};
use sso_web::oidc::{Flow, ProviderMetadata};

pub const JSON_MEDIA_TYPE: &str = "application/json";
/// Three bounded strings fit many times over.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
pub const MAX_CODE_LEN: usize = 4096;
pub const MIN_VERIFIER_LEN: usize = 43;
pub const MAX_VERIFIER_LEN: usize = 128;
pub const MAX_REDIRECT_URI_LEN: usize = 2048;
/// A token response with a large ID token is some KiB; more is not one.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

const FIELDS: [&str; 3] = ["code", "code_verifier", "redirect_uri"];

/// A validated request body. `Debug` shows none of the values.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub code: String,
    pub code_verifier: String,
    pub redirect_uri: String,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenRequest(<redacted>)")
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic; the default of OIDC Core §9.
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form.
    Post,
}

/// Basic unless the IdP lists `client_secret_post` and not `client_secret_basic`.
pub fn client_auth(supported: Option<&[String]>) -> ClientAuth {
    let lists = |name: &str| supported.is_some_and(|methods| methods.iter().any(|m| m == name));
    if lists("client_secret_post") && !lists("client_secret_basic") {
        ClientAuth::Post
    } else {
        ClientAuth::Basic
    }
}

/// RFC 6749 §2.3.1: client ID and secret are each form-urlencoded before
/// they are joined with `:` and base64-encoded, so a `:` or `+` in either
/// survives the trip.
pub fn basic_credentials(client_id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)))
    )
}

pub async fn token(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Response, FlowError> {
    let current = state.current();
    let (issuer, client_id) = current.client().ok_or(FlowError::SsoNotConfigured)?;
    let secret = current
        .client_secret
        .as_ref()
        .ok_or(FlowError::TokenRelayDisabled)?;
    let (parts, body) = request.into_parts();
    let ip = state.client_ip(&parts.extensions, &parts.headers);
    state.relay_limit.take(ip).map_err(FlowError::RateLimited)?;
    // Only this app's own pages may spend the IdP's patience on client-authenticated token
    // requests: a request without a same-origin Origin names no page of ours.
    crate::session::csrf::check_origin(&parts.headers, state.sessions.public_origin.as_deref())
        .map_err(FlowError::Csrf)?;
    // Also what keeps cross-site HTML forms out: they cannot send JSON.
    if !is_media_type(&parts.headers, JSON_MEDIA_TYPE) {
        return Err(FlowError::UnsupportedMediaType {
            expected: JSON_MEDIA_TYPE,
        });
    }
    let bytes = read_limited(&parts.headers, body, MAX_REQUEST_BYTES).await?;
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or(""));
    let request = parse_request(&bytes, origin)?;

    let result = async {
        let idp = state.idp_for(issuer).ok_or_else(|| {
            "the identity provider changed while this request was handled; try again".to_owned()
        })?;
        let metadata = idp.metadata().await.ok_or_else(|| {
            format!(
                "the discovery document of {} could not be loaded (the identity provider is unreachable or answered badly; the server log has the reason, and the next request after a short backoff tries again)",
                issuer
            )
        })?;
        let endpoint = token_endpoint(&metadata)?;
        let auth = client_auth(metadata.token_endpoint_auth_methods_supported.as_deref());
        exchange(
            &state.token_http,
            &endpoint,
            auth,
            client_id,
            secret,
            &request,
        )
        .await
    }
    .await;
    result.map_err(|message| {
        log(&format!("sso-server: token relay: {message}"));
        FlowError::TokenEndpointFailed(message)
    })
}

/// The body `{"code", "code_verifier", "redirect_uri"}`, every problem
/// reported per field. `origin` is the request's Origin header, if any.
pub fn parse_request(body: &[u8], origin: Option<&str>) -> Result<TokenRequest, FlowError> {
    let (object, mut errors) = json_object(
        body,
        &FIELDS,
        "the body must be a JSON object with code, code_verifier and redirect_uri",
    )
    .map_err(FlowError::InvalidJson)?;
    let mut take = |name: &str, check: &dyn Fn(&str) -> Result<(), String>| -> String {
        let problem = match object.get(name) {
            None | Some(Value::Null) => Err("required".to_owned()),
            Some(Value::String(s)) if s.is_empty() => Err("must not be empty".to_owned()),
            Some(Value::String(s)) => check(s).map(|()| s.clone()),
            Some(_) => Err("must be a string".to_owned()),
        };
        problem.unwrap_or_else(|why| {
            errors.insert(name.to_owned(), why);
            String::new()
        })
    };
    let code = take("code", &check_code);
    let code_verifier = take("code_verifier", &check_verifier);
    let redirect_uri = take("redirect_uri", &|uri| check_redirect_uri(uri, origin));
    if errors.is_empty() {
        Ok(TokenRequest {
            code,
            code_verifier,
            redirect_uri,
        })
    } else {
        Err(FlowError::validation(errors))
    }
}

/// RFC 6749 Appendix A.11: VSCHAR.
fn check_code(code: &str) -> Result<(), String> {
    if code.len() > MAX_CODE_LEN {
        Err(format!("must be at most {MAX_CODE_LEN} characters"))
    } else if !code.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        Err("must be printable ASCII".to_owned())
    } else {
        Ok(())
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of ALPHA / DIGIT / "-" / "." / "_" / "~".
fn check_verifier(verifier: &str) -> Result<(), String> {
    let unreserved = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if unreserved && (MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&verifier.len()) {
        Ok(())
    } else {
        Err(format!(
            "must be {MIN_VERIFIER_LEN} to {MAX_VERIFIER_LEN} characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)"
        ))
    }
}

/// This app's own callback: the IdP compares it with the authorization
/// request's anyway, but nothing else has any business being relayed.
fn check_redirect_uri(uri: &str, origin: Option<&str>) -> Result<(), String> {
    if uri.len() > MAX_REDIRECT_URI_LEN {
        return Err(format!("must be at most {MAX_REDIRECT_URI_LEN} characters"));
    }
    let not_absolute = || "must be an absolute http or https URL".to_owned();
    let url = Url::parse(uri).map_err(|_| not_absolute())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(not_absolute());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".to_owned());
    }
    // `Url` drops an empty `?` or `#`, so look at the text as well.
    if url.query().is_some() || url.fragment().is_some() || uri.contains(['?', '#']) {
        return Err("must not have a query or fragment".to_owned());
    }
    if url.path() != CALLBACK_PATH {
        return Err(format!("must have the path {CALLBACK_PATH}"));
    }
    if let Some(origin) = origin {
        let same = Url::parse(origin).is_ok_and(|o| o.origin() == url.origin());
        if !same {
            return Err(
                "must be on the origin of the page that sends the request (its Origin header)"
                    .to_owned(),
            );
        }
    }
    Ok(())
}

/// The discovery document's token endpoint, if it can be trusted with the secret: the
/// document was read by the sign-in's `ProviderMetadata::parse` for the configured issuer
/// (Discovery §4.3), and the endpoint passes the sign-in's own check of the code flow
/// (`check_flow`: https, or loopback http behind a loopback http issuer; no user name).
pub fn token_endpoint(metadata: &ProviderMetadata) -> Result<Url, String> {
    metadata.check_flow(Flow::Code).map_err(|e| {
        format!(
            "the discovery document of {} is not usable for the code flow: {}",
            metadata.issuer,
            e.detail()
        )
    })?;
    let raw = metadata.token_endpoint();
    Url::parse(raw).map_err(|_| {
        format!(
            "the token_endpoint {raw:?} of {} is not an https URL the secret may be sent to",
            metadata.issuer
        )
    })
}

async fn exchange(
    client: &reqwest::Client,
    endpoint: &Url,
    auth: ClientAuth,
    client_id: &str,
    secret: &Secret,
    request: &TokenRequest,
) -> Result<Response, String> {
    let mut builder = client
        .post(endpoint.clone())
        .header(header::CONTENT_TYPE, crate::callback::FORM_MEDIA_TYPE)
        .header(header::ACCEPT, JSON_MEDIA_TYPE);
    if auth == ClientAuth::Basic {
        let mut value = HeaderValue::from_str(&basic_credentials(client_id, secret.expose()))
            .map_err(|_| "the client credentials cannot be sent in a header".to_owned())?;
        value.set_sensitive(true);
        builder = builder.header(header::AUTHORIZATION, value);
    }
    let form = token_form(auth, client_id, secret, request);
    let mut response = builder.body(form).send().await.map_err(|e| {
        format!(
            "the token endpoint {endpoint} could not be reached ({})",
            DiscoveryError::Request(e.without_url())
        )
    })?;
    let status = response.status();
    if !(status.is_success() || status.is_client_error()) {
        return Err(format!(
            "the token endpoint {endpoint} answered HTTP {}",
            status.as_u16()
        ));
    }
    let too_large = || {
        format!("the token endpoint {endpoint} answered with more than {MAX_RESPONSE_BYTES} bytes")
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        format!(
            "the token endpoint {endpoint} broke off its answer ({})",
            DiscoveryError::Request(e.without_url())
        )
    })? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return Err(format!(
            "the token endpoint {endpoint} answered HTTP {} with a body that is not JSON",
            status.as_u16()
        ));
    };
    if status.is_client_error() {
        let code = oauth_error_code(&json)
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        log(&format!(
            "sso-server: token relay: the token endpoint {endpoint} answered HTTP {}{code}",
            status.as_u16()
        ));
    }
    Ok((
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(JSON_MEDIA_TYPE),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response())
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.5's verifier; the secret only for
/// `client_secret_post`.
fn token_form(
    auth: ClientAuth,
    client_id: &str,
    secret: &Secret,
    request: &TokenRequest,
) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", &request.code)
        .append_pair("redirect_uri", &request.redirect_uri)
        .append_pair("code_verifier", &request.code_verifier)
        .append_pair("client_id", client_id);
    if auth == ClientAuth::Post {
        form.append_pair("client_secret", secret.expose());
    }
    form.finish()
}

/// The OAuth `error` code of an error answer (`invalid_grant`), if it looks
/// like one: safe to log, unlike `error_description`.
fn oauth_error_code(json: &Value) -> Option<&str> {
    json.get("error")?.as_str().filter(|code| {
        (1..=64).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9Xs.gX~_Ii8W_M3z0LgvW1Zp2";

    fn fields(body: &Value, origin: Option<&str>) -> BTreeMap<String, String> {
        match parse_request(body.to_string().as_bytes(), origin) {
            Err(FlowError::ValidationFailed { fields, .. }) => fields,
            other => panic!("expected validation_failed for {body}, got {other:?}"),
        }
    }

    fn good() -> Value {
        serde_json::json!({
            "code": "SplxlOBeZQQYbYS6WxSbIA",
            "code_verifier": VERIFIER,
            "redirect_uri": "https://app.example.com/oidc/callback",
        })
    }

    #[test]
    fn rfc_6749_basic_credentials_are_form_encoded_first() {
        // RFC 6749 §2.3.1's own example, which needs no encoding.
        assert_eq!(
            basic_credentials("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"),
            "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3"
        );
        // "a:b" / "p+w d" → "a%3Ab:p%2Bw+d"
        assert_eq!(
            basic_credentials("a:b", "p+w d"),
            format!("Basic {}", STANDARD.encode("a%3Ab:p%2Bw+d"))
        );
    }

    #[test]
    fn auth_method_choice() {
        let list = |m: &[&str]| m.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(client_auth(None), ClientAuth::Basic);
        assert_eq!(client_auth(Some(&list(&[]))), ClientAuth::Basic);
        assert_eq!(
            client_auth(Some(&list(&["client_secret_post"]))),
            ClientAuth::Post
        );
        assert_eq!(
            client_auth(Some(&list(&["private_key_jwt", "client_secret_post"]))),
            ClientAuth::Post
        );
        assert_eq!(
            client_auth(Some(&list(&["client_secret_post", "client_secret_basic"]))),
            ClientAuth::Basic
        );
        assert_eq!(
            client_auth(Some(&list(&["private_key_jwt"]))),
            ClientAuth::Basic
        );
    }

    #[test]
    fn a_good_request() {
        let request = parse_request(
            good().to_string().as_bytes(),
            Some("https://app.example.com"),
        )
        .expect("valid");
        assert_eq!(request.code_verifier, VERIFIER);
        assert_eq!(format!("{request:?}"), "TokenRequest(<redacted>)");
        parse_request(good().to_string().as_bytes(), None).expect("no Origin is fine");
        let mut default_port = good();
        default_port["redirect_uri"] = "https://app.example.com:443/oidc/callback".into();
        parse_request(
            default_port.to_string().as_bytes(),
            Some("https://app.example.com"),
        )
        .expect("same origin");
    }

    #[test]
    fn field_rules() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("code", Value::Null, "required"),
            ("code", "".into(), "must not be empty"),
            ("code", 7.into(), "must be a string"),
            ("code", "x".repeat(MAX_CODE_LEN + 1).into(), "at most 4096"),
            ("code", "a\nb".into(), "printable ASCII"),
            ("code_verifier", "a".repeat(42).into(), "43 to 128"),
            ("code_verifier", "a".repeat(129).into(), "43 to 128"),
            (
                "code_verifier",
                format!("{}+", &VERIFIER[..42]).into(),
                "43 to 128",
            ),
            (
                "code_verifier",
                format!("{}é", &VERIFIER[..41]).into(),
                "43 to 128",
            ),
            ("redirect_uri", "/oidc/callback".into(), "absolute"),
            (
                "redirect_uri",
                "ftp://app.example.com/oidc/callback".into(),
                "absolute",
            ),
            (
                "redirect_uri",
                "https://app.example.com/oidc/callback/".into(),
                "path",
            ),
            (
                "redirect_uri",
                "https://app.example.com/callback".into(),
                "path",
            ),
            (
                "redirect_uri",
                "https://app.example.com/oidc/callback?x=1".into(),
                "query",
            ),
            (
                "redirect_uri",
                "https://app.example.com/oidc/callback?".into(),
                "query",
            ),
            (
                "redirect_uri",
                "https://app.example.com/oidc/callback#".into(),
                "query or fragment",
            ),
            (
                "redirect_uri",
                "https://u:p@app.example.com/oidc/callback".into(),
                "user name",
            ),
            (
                "redirect_uri",
                format!("https://app.example.com/oidc/callback{}", "a".repeat(2048)).into(),
                "at most 2048",
            ),
        ];
        for (field, value, needle) in cases {
            let mut body = good();
            if value.is_null() {
                body.as_object_mut().expect("object").remove(field);
            } else {
                body[field] = value.clone();
            }
            let errors = fields(&body, None);
            assert_eq!(errors.len(), 1, "{field}={value}: {errors:?}");
            assert!(
                errors[field].contains(needle),
                "{field}={value}: {errors:?}"
            );
        }
        assert_eq!(
            check_verifier(&"a".repeat(43)),
            Ok(()),
            "43 is the minimum length"
        );
        assert_eq!(check_verifier(&"~".repeat(128)), Ok(()));
    }

    #[test]
    fn origin_must_match() {
        for origin in [
            "https://evil.example.com",
            "http://app.example.com",
            "https://app.example.com:8443",
            "null",
            "",
        ] {
            let errors = fields(&good(), Some(origin));
            assert!(
                errors["redirect_uri"].contains("Origin"),
                "{origin}: {errors:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_and_shapes() {
        let mut body = good();
        body["client_secret"] = "x".into();
        let errors = fields(&body, None);
        assert!(
            errors["client_secret"].starts_with("unknown field"),
            "{errors:?}"
        );
        for bad in ["", "[]", "null", "{", "\"x\""] {
            assert!(
                matches!(
                    parse_request(bad.as_bytes(), None),
                    Err(FlowError::InvalidJson(_))
                ),
                "{bad:?}"
            );
        }
        // Nothing of the request is echoed back.
        let mut body = good();
        body["code"] = "SECRET-CODE\u{1}".into();
        body["code_verifier"] = "SECRET-VERIFIER".into();
        let text = FlowError::validation(fields(&body, None)).to_string();
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn token_endpoint_rules() {
        let metadata = |issuer: &str, endpoint: Option<&str>| {
            let mut doc = serde_json::json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/auth"),
                "jwks_uri": format!("{issuer}/jwks"),
            });
            if let Some(endpoint) = endpoint {
                doc["token_endpoint"] = endpoint.into();
            }
            ProviderMetadata::parse(&doc.to_string(), issuer).expect("a usable document")
        };
        let issuer = "https://idp.example.com";
        assert_eq!(
            token_endpoint(&metadata(issuer, Some("https://idp.example.com/token")))
                .expect("usable")
                .as_str(),
            "https://idp.example.com/token"
        );
        for (doc, needle) in [
            (metadata(issuer, None), "`token_endpoint` is missing"),
            (metadata(issuer, Some("")), "`token_endpoint` is missing"),
            (
                metadata(issuer, Some("http://idp.example.com/t")),
                "must use https",
            ),
            (
                metadata(issuer, Some("http://127.0.0.1:9/t")),
                "must use https like the issuer",
            ),
            (
                metadata(issuer, Some("https://u:p@idp.example.com/t")),
                "user name or password",
            ),
            (
                metadata(issuer, Some("javascript:alert(1)")),
                "not an absolute",
            ),
        ] {
            let err = token_endpoint(&doc).expect_err("unusable");
            assert!(err.contains(needle), "{err}");
        }
        let local = "http://127.0.0.1:9400";
        token_endpoint(&metadata(local, Some("http://127.0.0.1:9400/token")))
            .expect("loopback http behind a loopback issuer");
    }

    #[test]
    fn only_tidy_error_codes_are_logged() {
        let code = |v: Value| oauth_error_code(&v).map(str::to_owned);
        assert_eq!(
            code(serde_json::json!({"error": "invalid_grant"})).as_deref(),
            Some("invalid_grant")
        );
        assert_eq!(code(serde_json::json!({"error": "has space"})), None);
        assert_eq!(code(serde_json::json!({"error": 3})), None);
        assert_eq!(code(serde_json::json!([])), None);
    }
}
