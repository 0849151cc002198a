//! "Check configuration": judge what the browser fetched from the issuer, item by item,
//! each failure with a concrete fix. Pure; the page does the fetching.
//!
//! The verdicts are the sign-in's own: the document is read by `ProviderMetadata::parse` and
//! `check_flow`, the keys by `Jwks::parse` and `Jwks::select`, so whatever this passes the
//! sign-in accepts and the other way round. What this adds is advice (the fix for each
//! failure, scopes the provider does not list, a missing sign-out endpoint).

use crate::oidc::discovery::discovery_url;
use crate::oidc::jwt::Algorithm;
use crate::oidc::{Flow, Jwks, OidcError, ProviderMetadata, BASE_SCOPES};
use serde_json::Value;

/// What a browser fetch produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    Response {
        status: u16,
        body: String,
    },
    /// The server answered an opaque (no-cors) request but the CORS request failed.
    CorsBlocked,
    Unreachable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Info,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckItem {
    pub id: &'static str,
    pub status: Status,
    pub text: String,
    pub fix: Option<String>,
}

fn item(
    id: &'static str,
    status: Status,
    text: impl Into<String>,
    fix: Option<String>,
) -> CheckItem {
    CheckItem {
        id,
        status,
        text: text.into(),
        fix,
    }
}

/// The settings being checked (possibly unsaved).
pub struct CheckTarget<'a> {
    pub issuer: &'a str,
    pub auth_method: &'a str,
    pub extra_scopes: &'a [String],
    /// This site's origin, for CORS advice.
    pub origin: &'a str,
}

/// Judges the discovery fetch. Returns the items and, when the document is usable, the
/// jwks_uri to fetch next with the algorithms its keys must serve.
pub fn check_discovery(
    target: &CheckTarget<'_>,
    fetched: &Fetched,
) -> (Vec<CheckItem>, Option<(String, Vec<Algorithm>)>) {
    let url = discovery_url(target.issuer);
    let body = match fetched {
        Fetched::Response { status: 200, body } => body,
        Fetched::Response { status, .. } => {
            return (
                vec![item(
                    "reachable",
                    Status::Fail,
                    format!("{url} answered HTTP {status}."),
                    Some("The issuer URL is probably wrong: compare it with the provider's documentation (Keycloak needs /realms/NAME, Entra /v2.0).".into()),
                )],
                None,
            )
        }
        Fetched::CorsBlocked => {
            return (
                vec![item(
                    "reachable",
                    Status::Fail,
                    format!("{url} is reachable, but the provider does not allow requests from this site (CORS)."),
                    Some(format!("Allow the origin {} in the application's CORS / allowed web origins setting.", target.origin)),
                )],
                None,
            )
        }
        Fetched::Unreachable(reason) => {
            return (
                vec![item(
                    "reachable",
                    Status::Fail,
                    format!("{url} could not be reached from this browser: {reason}"),
                    Some("Check the issuer URL for typos and that this browser can reach the provider.".into()),
                )],
                None,
            )
        }
    };
    let Ok(doc) = serde_json::from_str::<Value>(body) else {
        return (
            vec![item(
                "reachable",
                Status::Fail,
                format!("{url} did not return JSON."),
                Some("The URL does not point at an OpenID Provider; check the issuer.".into()),
            )],
            None,
        );
    };
    let mut items = vec![item(
        "reachable",
        Status::Pass,
        format!("Loaded {url}."),
        None,
    )];
    let strings = |key: &str| -> Option<Vec<String>> {
        doc.get(key).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
    };

    // The document as the sign-in reads it: the issuer exactly, and usable endpoints.
    let metadata = match ProviderMetadata::parse(body, target.issuer) {
        Ok(metadata) => {
            items.push(item(
                "issuer",
                Status::Pass,
                format!("The issuer matches exactly: {}", metadata.issuer),
                None,
            ));
            Some(metadata)
        }
        Err(OidcError::DiscoveryIssuerMismatch { found, .. }) => {
            items.push(if found.trim_end_matches('/') == target.issuer.trim_end_matches('/') {
                item(
                    "issuer",
                    Status::Fail,
                    format!("The provider's issuer is \"{found}\": it differs only in the trailing slash."),
                    Some(format!("Set the issuer to exactly {found}")),
                )
            } else {
                item(
                    "issuer",
                    Status::Fail,
                    format!("The provider's issuer is \"{found}\", not \"{}\".", target.issuer),
                    Some(format!("Set the issuer to exactly {found} if that is the right provider.")),
                )
            });
            None
        }
        Err(err) => {
            items.push(item(
                "issuer",
                Status::Fail,
                format!(
                    "The discovery document is not usable for sign-in: {}",
                    err.detail()
                ),
                Some(err.hint()),
            ));
            None
        }
    };
    let Some(metadata) = metadata else {
        return (items, None);
    };

    // The flow, by the sign-in's own check.
    let flow = if target.auth_method == "implicit" {
        Flow::ImplicitFormPost
    } else {
        Flow::Code
    };
    items.push(match metadata.check_flow(flow) {
        Err(err) => item(
            "flow",
            Status::Fail,
            format!("The provider does not support the configured flow: {}", err.detail()),
            Some(if flow.is_implicit() {
                "Enable the implicit flow (ID token, form_post) for the application, or switch the auth method to PKCE.".into()
            } else {
                "Enable the authorization code grant with PKCE (S256) for the application.".into()
            }),
        ),
        Ok(()) if flow.is_implicit() => item(
            "flow",
            Status::Pass,
            "The implicit flow (id_token, form_post) is supported.",
            None,
        ),
        Ok(()) if metadata.code_challenge_methods_supported.is_none() => item(
            "flow",
            Status::Warn,
            "The authorization code flow is supported; PKCE support is not advertised (many providers support it anyway).",
            None,
        ),
        Ok(()) => item(
            "flow",
            Status::Pass,
            "Authorization code with PKCE (S256) is supported.",
            None,
        ),
    });

    // Scopes: advice only.
    let wanted: Vec<String> = BASE_SCOPES
        .iter()
        .map(|s| s.to_string())
        .chain(target.extra_scopes.iter().cloned())
        .collect();
    items.push(match strings("scopes_supported") {
        None => item(
            "scopes",
            Status::Info,
            "The provider does not list its scopes; openid, profile and email are standard.",
            None,
        ),
        Some(supported) => {
            let missing: Vec<&String> = wanted.iter().filter(|s| !supported.contains(s)).collect();
            if missing.is_empty() {
                item(
                    "scopes",
                    Status::Pass,
                    format!("All requested scopes are offered: {}.", wanted.join(", ")),
                    None,
                )
            } else {
                item(
                    "scopes",
                    if missing.iter().any(|s| *s == "openid") {
                        Status::Fail
                    } else {
                        Status::Warn
                    },
                    format!(
                        "Not listed by the provider: {}.",
                        missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some(
                        "Allow these scopes for the application, or remove unknown extra scopes."
                            .into(),
                    ),
                )
            }
        }
    });

    // Sign-out, as the sign-out uses it (an endpoint that is not a usable URL is none).
    let end_session =
        crate::oidc::logout::end_session_url(&metadata, "client", target.origin, "state", None)
            .and(metadata.end_session_endpoint.clone());
    items.push(match end_session {
        Some(url) => item("end_session", Status::Pass, format!("RP-initiated logout is available at {url}."), None),
        None => item(
            "end_session",
            Status::Info,
            "No usable end_session_endpoint: signing out ends the session in this app only, not at the provider.",
            None,
        ),
    });
    let algs = signing_algs(metadata.id_token_signing_alg_values_supported.as_deref());
    (items, Some((metadata.jwks_uri().to_string(), algs)))
}

/// The algorithms the sign-in would accept from this provider: those it advertises (when it
/// does) that are in the allow-list, else RS256, the default of OIDC Core.
pub fn signing_algs(advertised: Option<&[String]>) -> Vec<Algorithm> {
    match advertised {
        Some(names) => names
            .iter()
            .filter_map(|n| Algorithm::from_name(n))
            .collect(),
        None => vec![Algorithm::RS256],
    }
}

/// Judges the JWKS fetch as the sign-in reads it: reachable, parsed by `Jwks::parse`, with
/// at least one key that `Jwks::select` would verify one of `algs` with (type, curve, `use`,
/// `key_ops`, RSA size of at least 2048 bits).
pub fn check_jwks(
    jwks_uri: &str,
    origin: &str,
    algs: &[Algorithm],
    fetched: &Fetched,
) -> CheckItem {
    let fail = |text: String, fix: String| item("jwks", Status::Fail, text, Some(fix));
    match fetched {
        Fetched::Response { status: 200, body } => match Jwks::parse(body) {
            Err(err) => fail(
                format!("{jwks_uri}: {}", err.detail()),
                "The provider's jwks_uri does not serve a JSON Web Key Set; check the provider."
                    .into(),
            ),
            Ok(jwks) => {
                let usable = jwks
                    .keys
                    .iter()
                    .filter(|key| {
                        algs.iter().any(|alg| {
                            let single = Jwks {
                                keys: vec![(*key).clone()],
                            };
                            single.select(*alg, None).is_ok()
                        })
                    })
                    .count();
                if usable > 0 {
                    item(
                        "jwks",
                        Status::Pass,
                        format!(
                            "{jwks_uri} has {usable} key(s) the sign-in can verify ID tokens with."
                        ),
                        None,
                    )
                } else {
                    fail(
                        format!(
                            "{jwks_uri} has no key the sign-in can use for {} (RSA keys need at least 2048 bits; a key's use, key_ops and alg must allow signatures).",
                            algs.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
                        ),
                        "Configure the provider to sign ID tokens with an asymmetric key of at least 2048 bits (RS256).".into(),
                    )
                }
            }
        },
        Fetched::Response { status, .. } => fail(
            format!("{jwks_uri} answered HTTP {status}."),
            "The provider's jwks_uri is broken; check the provider.".into(),
        ),
        Fetched::CorsBlocked => fail(
            format!("{jwks_uri} does not allow requests from this site (CORS)."),
            format!("Allow the origin {origin} at the provider."),
        ),
        Fetched::Unreachable(reason) => fail(
            format!("{jwks_uri} could not be reached: {reason}"),
            "Check that this browser can reach the provider's key endpoint.".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISSUER: &str = "https://idp.example.com";

    fn target(auth_method: &'static str) -> CheckTarget<'static> {
        CheckTarget {
            issuer: ISSUER,
            auth_method,
            extra_scopes: &[],
            origin: "https://app.example",
        }
    }

    fn ok(doc: Value) -> Fetched {
        Fetched::Response {
            status: 200,
            body: doc.to_string(),
        }
    }

    fn good() -> Value {
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": "https://idp.example.com/auth",
            "token_endpoint": "https://idp.example.com/token",
            "jwks_uri": "https://idp.example.com/jwks",
            "response_types_supported": ["code", "id_token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email"],
            "end_session_endpoint": "https://idp.example.com/logout"
        })
    }

    fn status_of(items: &[CheckItem], id: &str) -> Status {
        items
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.status)
            .unwrap_or_else(|| panic!("no {id}"))
    }

    #[test]
    fn a_good_provider_is_all_green() {
        let (items, keys) = check_discovery(&target("pkce"), &ok(good()));
        assert!(items.iter().all(|i| i.status == Status::Pass), "{items:?}");
        assert_eq!(
            keys,
            Some((
                "https://idp.example.com/jwks".to_string(),
                vec![Algorithm::RS256]
            ))
        );
        let (items, _) = check_discovery(&target("implicit"), &ok(good()));
        assert_eq!(status_of(&items, "flow"), Status::Pass);
    }

    #[test]
    fn cors_and_unreachable_are_reported_as_such() {
        let (items, jwks) = check_discovery(&target("pkce"), &Fetched::CorsBlocked);
        assert_eq!(items[0].status, Status::Fail);
        assert!(items[0].text.contains("CORS"));
        assert!(items[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("https://app.example"));
        assert!(jwks.is_none());
        let (items, _) = check_discovery(
            &target("pkce"),
            &Fetched::Unreachable("Failed to fetch".into()),
        );
        assert!(items[0].text.contains("could not be reached"));
        let (items, _) = check_discovery(
            &target("pkce"),
            &Fetched::Response {
                status: 404,
                body: String::new(),
            },
        );
        assert!(items[0].text.contains("404"));
    }

    #[test]
    fn trailing_slash_difference_has_its_own_fix() {
        let mut doc = good();
        doc["issuer"] = "https://idp.example.com/".into();
        let (items, _) = check_discovery(&target("pkce"), &ok(doc));
        let issuer = items.iter().find(|i| i.id == "issuer").unwrap();
        assert_eq!(issuer.status, Status::Fail);
        assert!(issuer.text.contains("trailing slash"));
        assert_eq!(
            issuer.fix.as_deref(),
            Some("Set the issuer to exactly https://idp.example.com/")
        );
    }

    #[test]
    fn flow_support_is_checked_per_auth_method() {
        let mut no_s256 = good();
        no_s256["code_challenge_methods_supported"] = json!(["plain"]);
        assert_eq!(
            status_of(&check_discovery(&target("pkce"), &ok(no_s256)).0, "flow"),
            Status::Fail
        );
        let mut unlisted = good();
        unlisted
            .as_object_mut()
            .unwrap()
            .remove("code_challenge_methods_supported");
        assert_eq!(
            status_of(&check_discovery(&target("pkce"), &ok(unlisted)).0, "flow"),
            Status::Warn
        );
        let mut code_only = good();
        code_only["response_types_supported"] = json!(["code"]);
        assert_eq!(
            status_of(
                &check_discovery(&target("implicit"), &ok(code_only)).0,
                "flow"
            ),
            Status::Fail
        );
    }

    #[test]
    fn missing_scopes_and_logout_are_reported() {
        let mut doc = good();
        doc["scopes_supported"] = json!(["openid"]);
        doc.as_object_mut().unwrap().remove("end_session_endpoint");
        let extra = vec!["groups".to_string()];
        let t = CheckTarget {
            extra_scopes: &extra,
            ..target("pkce")
        };
        let (items, _) = check_discovery(&t, &ok(doc));
        let scopes = items.iter().find(|i| i.id == "scopes").unwrap();
        assert_eq!(scopes.status, Status::Warn);
        assert!(
            scopes.text.contains("profile, email, groups"),
            "{}",
            scopes.text
        );
        assert_eq!(status_of(&items, "end_session"), Status::Info);
    }

    /// A base64url RSA modulus of `bits` bits (the top bit set).
    fn modulus(bits: usize) -> String {
        let mut bytes = vec![0xAB; bits / 8];
        bytes[0] = 0xC1;
        crate::oidc::b64::encode(&bytes)
    }

    #[test]
    fn jwks_needs_a_key_the_sign_in_can_use() {
        let rs256 = [Algorithm::RS256];
        let key = |bits: usize, extra: Value| {
            let mut k = json!({"kty": "RSA", "n": modulus(bits), "e": "AQAB"});
            for (name, value) in extra.as_object().unwrap() {
                k[name] = value.clone();
            }
            k
        };
        let with_key = ok(json!({"keys": [key(2048, json!({"use": "sig"}))]}));
        assert_eq!(check_jwks("u", "o", &rs256, &with_key).status, Status::Pass);
        for (why, keys) in [
            (
                "encryption only",
                json!([key(2048, json!({"use": "enc"})), {"kty": "oct", "k": "AA"}]),
            ),
            ("1024-bit RSA", json!([key(1024, json!({}))])),
            ("another alg", json!([key(2048, json!({"alg": "PS256"}))])),
            ("no keys", json!([])),
        ] {
            let item = check_jwks("u", "o", &rs256, &ok(json!({"keys": keys})));
            assert_eq!(item.status, Status::Fail, "{why}: {item:?}");
        }
        assert_eq!(
            check_jwks("u", "o", &rs256, &Fetched::CorsBlocked).status,
            Status::Fail
        );
    }

    /// The check and the sign-in judge every document the same way: what the check passes,
    /// `ProviderMetadata::parse` and `check_flow` accept, and what it fails, they refuse.
    #[test]
    fn the_check_passes_exactly_what_the_sign_in_accepts() {
        let variants: Vec<(&str, Value)> = vec![
            ("good", good()),
            ("http endpoint behind https", {
                let mut d = good();
                d["authorization_endpoint"] = "http://idp.example.com/auth".into();
                d
            }),
            ("http jwks", {
                let mut d = good();
                d["jwks_uri"] = "http://idp.example.com/jwks".into();
                d
            }),
            ("no jwks_uri", {
                let mut d = good();
                d.as_object_mut().unwrap().remove("jwks_uri");
                d
            }),
            ("no token endpoint", {
                let mut d = good();
                d.as_object_mut().unwrap().remove("token_endpoint");
                d
            }),
            ("plain PKCE only", {
                let mut d = good();
                d["code_challenge_methods_supported"] = json!(["plain"]);
                d
            }),
            ("wildcard host", {
                let mut d = good();
                d["token_endpoint"] = "https://*/token".into();
                d
            }),
            ("no form_post", {
                let mut d = good();
                d["response_modes_supported"] = json!(["query", "fragment"]);
                d
            }),
            ("another issuer", {
                let mut d = good();
                d["issuer"] = "https://other.example.com".into();
                d
            }),
        ];
        for auth_method in ["pkce", "implicit"] {
            let flow = if auth_method == "implicit" {
                Flow::ImplicitFormPost
            } else {
                Flow::Code
            };
            for (name, doc) in &variants {
                let (items, _) = check_discovery(&target(auth_method), &ok(doc.clone()));
                let check_passes = items.iter().all(|i| i.status != Status::Fail);
                let sign_in_accepts = ProviderMetadata::parse(&doc.to_string(), ISSUER)
                    .and_then(|m| m.check_flow(flow))
                    .is_ok();
                assert_eq!(
                    check_passes, sign_in_accepts,
                    "{auth_method} / {name}: {items:?}"
                );
            }
        }
    }
}
