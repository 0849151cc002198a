//! "Check configuration": judge what the browser fetched from the issuer, item by item,
//! each failure with a concrete fix. Pure; the page does the fetching.

use crate::oidc::discovery::discovery_url;
use crate::oidc::BASE_SCOPES;
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

/// Judges the discovery fetch. Returns the items and, when there is one, the jwks_uri
/// to fetch next.
pub fn check_discovery(
    target: &CheckTarget<'_>,
    fetched: &Fetched,
) -> (Vec<CheckItem>, Option<String>) {
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
    let text = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_string);

    // Issuer, exactly.
    let found = text("issuer").unwrap_or_default();
    items.push(if found == target.issuer {
        item(
            "issuer",
            Status::Pass,
            format!("The issuer matches exactly: {found}"),
            None,
        )
    } else if found.trim_end_matches('/') == target.issuer.trim_end_matches('/') {
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
            format!(
                "The provider's issuer is \"{found}\", not \"{}\".",
                target.issuer
            ),
            Some(format!(
                "Set the issuer to exactly {found} if that is the right provider."
            )),
        )
    });

    // The flow.
    let response_types = strings("response_types_supported");
    let supports = |t: &str| {
        response_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|x| x == t))
    };
    if target.auth_method == "implicit" {
        let form_post =
            strings("response_modes_supported").is_none_or(|m| m.iter().any(|x| x == "form_post"));
        items.push(if supports("id_token") && form_post {
            item("flow", Status::Pass, "The implicit flow (id_token, form_post) is supported.", None)
        } else {
            item(
                "flow",
                Status::Fail,
                "The provider does not advertise response_type id_token with response_mode form_post.",
                Some("Enable the implicit flow (ID token) for the application, or switch the auth method to PKCE.".into()),
            )
        });
    } else {
        let methods = strings("code_challenge_methods_supported");
        let token_endpoint = text("token_endpoint").is_some();
        items.push(match (supports("code") && token_endpoint, methods) {
            (false, _) => item(
                "flow",
                Status::Fail,
                "The provider does not advertise the authorization code flow (response_type code and a token endpoint).",
                Some("Enable the authorization code grant for the application.".into()),
            ),
            (true, Some(m)) if m.iter().any(|x| x == "S256") => {
                item("flow", Status::Pass, "Authorization code with PKCE (S256) is supported.", None)
            }
            (true, Some(m)) => item(
                "flow",
                Status::Fail,
                format!("PKCE methods offered: {m:?}; S256 is required."),
                Some("Enable PKCE with S256 for the application.".into()),
            ),
            (true, None) => item(
                "flow",
                Status::Warn,
                "The authorization code flow is supported; PKCE support is not advertised (many providers support it anyway).",
                None,
            ),
        });
    }

    // Scopes.
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

    // Sign-out.
    items.push(match text("end_session_endpoint") {
        Some(url) => item("end_session", Status::Pass, format!("RP-initiated logout is available at {url}."), None),
        None => item(
            "end_session",
            Status::Info,
            "No end_session_endpoint: signing out ends the session in this app only, not at the provider.",
            None,
        ),
    });

    let jwks_uri = text("jwks_uri");
    if jwks_uri.is_none() {
        items.push(item(
            "jwks",
            Status::Fail,
            "The discovery document has no jwks_uri, so ID token signatures cannot be checked.",
            Some("This is not a complete OpenID Provider configuration; check the issuer.".into()),
        ));
    }
    (items, jwks_uri)
}

/// Judges the JWKS fetch: reachable, with at least one public signing key.
pub fn check_jwks(jwks_uri: &str, origin: &str, fetched: &Fetched) -> CheckItem {
    let fail = |text: String, fix: String| item("jwks", Status::Fail, text, Some(fix));
    match fetched {
        Fetched::Response { status: 200, body } => {
            let keys = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|doc| doc.get("keys").and_then(Value::as_array).cloned())
                .unwrap_or_default();
            let signing = keys
                .iter()
                .filter(|k| {
                    let kty = k.get("kty").and_then(Value::as_str).unwrap_or_default();
                    let usage = k.get("use").and_then(Value::as_str).unwrap_or("sig");
                    matches!(kty, "RSA" | "EC" | "OKP") && usage == "sig"
                })
                .count();
            if signing > 0 {
                item(
                    "jwks",
                    Status::Pass,
                    format!("{jwks_uri} has {signing} signing key(s)."),
                    None,
                )
            } else {
                fail(
                    format!("{jwks_uri} has no public signing key."),
                    "Configure the provider to sign ID tokens with an asymmetric key (RS256)."
                        .into(),
                )
            }
        }
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
        let (items, jwks) = check_discovery(&target("pkce"), &ok(good()));
        assert!(items.iter().all(|i| i.status == Status::Pass), "{items:?}");
        assert_eq!(jwks.as_deref(), Some("https://idp.example.com/jwks"));
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

    #[test]
    fn jwks_needs_a_signing_key() {
        let with_key = ok(json!({"keys": [{"kty": "RSA", "use": "sig", "n": "x", "e": "AQAB"}]}));
        assert_eq!(check_jwks("u", "o", &with_key).status, Status::Pass);
        let enc_only = ok(json!({"keys": [{"kty": "RSA", "use": "enc"}, {"kty": "oct"}]}));
        assert_eq!(check_jwks("u", "o", &enc_only).status, Status::Fail);
        assert_eq!(
            check_jwks("u", "o", &Fetched::CorsBlocked).status,
            Status::Fail
        );
    }
}
