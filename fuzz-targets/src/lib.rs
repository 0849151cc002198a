//! Every parser of untrusted input, as a fuzz target: each function takes any bytes and must not panic (a panic in the browser kills the app), and checks what it can about its answer (round trips, no value echoed). `fuzz/` runs them under libFuzzer; `tests/replay.rs` feeds them the checked-in corpus on stable Rust.

use sso_web::contract::session::SessionInfo;
use sso_web::oidc::json::Record;
use sso_web::oidc::{
    b64, url, CallbackParams, Jwks, PendingLogin, ProviderMetadata, TokenResponse,
};

/// A target: any bytes in, nothing out but a panic on a bug.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/` call them.
pub const TARGETS: &[(&str, Target)] = &[
    ("jwt_decode", jwt_decode),
    ("jwks_parse", jwks_parse),
    ("provider_metadata_parse", provider_metadata_parse),
    ("callback_params_parse", callback_params_parse),
    ("token_response_parse", token_response_parse),
    ("records", records),
    ("b64", b64_codec),
    ("form_codec", form_codec),
    ("http_url", http_url),
    ("bridge_form", bridge_form),
    ("static_path", static_path),
    ("settings_patch", settings_patch),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A compact JWS (OIDC Core 3.1.3.7 step 1): decoded, or refused with an error.
pub fn jwt_decode(data: &[u8]) {
    if let Some(raw) = text(data) {
        if let Ok(jwt) = sso_web::oidc::jwt::decode(raw) {
            // What was decoded came from the three parts of the input.
            assert_eq!(raw.split('.').count(), 3);
            let _ = jwt.header.alg.len();
        }
    }
}

pub fn jwks_parse(data: &[u8]) {
    if let Some(json) = text(data) {
        if let Ok(jwks) = Jwks::parse(json) {
            for alg in sso_web::oidc::jwt::Algorithm::ALL {
                let _ = jwks.select(alg, None);
                let _ = jwks.select(alg, Some("k1"));
            }
        }
    }
}

pub fn provider_metadata_parse(data: &[u8]) {
    if let Some(json) = text(data) {
        for issuer in ["https://idp.example.com", "http://127.0.0.1:9400"] {
            if let Ok(metadata) = ProviderMetadata::parse(json, issuer) {
                assert_eq!(
                    metadata.issuer, issuer,
                    "a document for another issuer passed"
                );
                for flow in [
                    sso_web::oidc::Flow::Code,
                    sso_web::oidc::Flow::ImplicitFormPost,
                    sso_web::oidc::Flow::ImplicitFragment,
                ] {
                    let _ = metadata.check_flow(flow);
                }
                let _ =
                    sso_web::oidc::logout::end_session_url(&metadata, "c", "https://a", "s", None);
            }
        }
    }
}

pub fn callback_params_parse(data: &[u8]) {
    if let Some(query) = text(data) {
        if let Ok(params) = CallbackParams::parse(query) {
            let _ = params.state();
            let json = serde_json::json!({
                "issuer": "https://idp.example.com",
                "authorization_endpoint": "https://idp.example.com/a",
                "token_endpoint": "https://idp.example.com/t",
                "jwks_uri": "https://idp.example.com/k",
                "authorization_response_iss_parameter_supported": true,
            });
            if let Ok(metadata) =
                ProviderMetadata::parse(&json.to_string(), "https://idp.example.com")
            {
                let _ = params.clone().into_code(&metadata);
                let _ = params.into_implicit(&metadata);
            }
        }
    }
}

pub fn token_response_parse(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]);
    if let Some(body) = text(&data[2..]) {
        if let Ok(response) = TokenResponse::parse(status, body) {
            assert!(!response.id_token.is_empty());
        }
    }
}

/// The JSON records the browser keeps or reads: the settings, a pending sign-in, the session.
pub fn records(data: &[u8]) {
    if let Some(json) = text(data) {
        let _ = sso_web::contract::config::SsoConfig::parse(json);
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(json) {
            if let Some(pending) = PendingLogin::from_json(&value) {
                assert_eq!(PendingLogin::from_json(&pending.to_json()), Some(pending));
            }
            if let Some(session) = SessionInfo::from_json(&value) {
                assert_eq!(SessionInfo::from_json(&session.to_json()), Some(session));
            }
        }
    }
}

/// Strict base64url: what decodes encodes back to the same text.
pub fn b64_codec(data: &[u8]) {
    if let Some(text) = text(data) {
        if let Some(bytes) = b64::decode(text) {
            assert_eq!(
                b64::encode(&bytes),
                text,
                "a non-canonical encoding was accepted"
            );
        }
    }
    let encoded = b64::encode(data);
    assert_eq!(b64::decode(&encoded).as_deref(), Some(data));
}

/// `application/x-www-form-urlencoded`: decoding never fails, and encode → decode is the identity.
pub fn form_codec(data: &[u8]) {
    if let Some(text) = text(data) {
        let pairs = url::form_decode(text);
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let encoded = url::form_encode(&borrowed);
        let again = url::form_decode(&encoded);
        let nonempty: Vec<(String, String)> = pairs.into_iter().collect();
        assert_eq!(again, nonempty);
    }
}

/// The one URL rule for origins that reach a header (the CSP): an accepted URL's origin
/// holds none of the characters that could widen or end a directive.
pub fn http_url(data: &[u8]) {
    if let Some(text) = text(data) {
        if let Ok(parsed) = url::HttpUrl::parse(text) {
            let origin = parsed.origin();
            assert!(
                !origin.contains(['*', ';', ',', '\'', '"', ' ', '\t', '\n', '\r', '%']),
                "{origin:?}"
            );
            assert!(origin.is_ascii(), "{origin:?}");
        }
    }
}

/// The form_post bridge's body parser: on error, the message never holds the input.
pub fn bridge_form(data: &[u8]) {
    match sso_server::callback::parse_form(data) {
        Ok(fields) => {
            let encoded = sso_server::callback::encode(&fields);
            assert_eq!(
                sso_server::callback::parse_form(encoded.as_bytes()).ok(),
                Some(fields)
            );
        }
        Err(message) => {
            assert!(message.len() < 200, "{message}");
        }
    }
}

/// The static-file path check: a path it accepts stays inside the build directory.
pub fn static_path(data: &[u8]) {
    if let Some(path) = text(data) {
        if let Ok(Some(relative)) = sso_server::static_files::relative_path(path) {
            for part in relative.components() {
                assert!(
                    matches!(part, std::path::Component::Normal(_)),
                    "{path:?} -> {relative:?}"
                );
            }
        }
    }
}

/// The admin settings PUT body.
pub fn settings_patch(data: &[u8]) {
    let _ = sso_server::settings::parse_patch(data);
}
