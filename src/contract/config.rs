//! The public configuration: what the browser needs to sign in, served by sso-server in every
//! page and at `GET /api/v1/sso/config` (the effective settings, environment over saved), or
//! by a static host as `sso-config.json`. sso-server serializes [`SsoConfig`] with serde; the
//! browser reads it by hand ([`SsoConfig::parse`]), so its bundle carries no derived
//! deserializer.

use super::settings::{self, Problem};
use crate::oidc::identity::DEFAULT_GROUPS_CLAIM;
use crate::oidc::json::Object;
use crate::oidc::{Flow, OidcError};
use serde::Serialize;

pub const CONFIG_API_PATH: &str = "/api/v1/sso/config";
pub const STATIC_CONFIG_PATH: &str = "/sso-config.json";
/// The element sso-server puts the public configuration in, in every page it serves: a JSON
/// data block, never executed.
pub const CONFIG_ELEMENT_ID: &str = "sso-config";

/// `auth_method` (the [`settings::AUTH_METHOD`] setting's choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    #[default]
    Pkce,
    Implicit,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Pkce => "pkce",
            AuthMethod::Implicit => "implicit",
        }
    }

    /// The exact lowercase names, as stored and as the API takes them.
    pub fn from_name(name: &str) -> Option<Self> {
        [AuthMethod::Pkce, AuthMethod::Implicit]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// Implicit only: how the IdP returns the ID token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// POSTed to sso-server's bridge (the default).
    FormPost,
    /// In the URL fragment (static hosting).
    Fragment,
}

impl ResponseMode {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "form_post" => Some(ResponseMode::FormPost),
            "fragment" => Some(ResponseMode::Fragment),
            _ => None,
        }
    }
}

/// The public configuration (never the client secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SsoConfig {
    pub issuer: String,
    pub client_id: String,
    pub auth_method: AuthMethod,
    /// Extra scopes beyond `openid profile email`.
    pub scopes: Vec<String>,
    pub groups_claim: String,
    /// The server holds a client secret: codes are redeemed through
    /// `POST /api/v1/sso/token`, never at the IdP from the browser. Nothing else about the
    /// secret is published.
    pub token_relay: bool,
    /// Implicit only: `form_post` (default; needs sso-server's POST bridge) or `fragment`
    /// (static hosting). sso-server never sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mode: Option<ResponseMode>,
    /// Came from sso-server (the page or its API), not a static `sso-config.json`: the
    /// session is then the server's.
    #[serde(skip)]
    pub from_server: bool,
}

impl SsoConfig {
    pub fn parse(json: &str) -> Result<Self, OidcError> {
        let config = Self::read(json).map_err(|e| OidcError::ConfigInvalid {
            detail: format!("The configuration is not valid JSON of the expected shape: {e}."),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Member by member, with the defaults of the settings table.
    fn read(json: &str) -> Result<Self, String> {
        let doc = Object::parse(json)?;
        Ok(SsoConfig {
            issuer: doc.string("issuer")?,
            client_id: doc.string("client_id")?,
            auth_method: match doc.opt_string("auth_method")? {
                Some(text) => AuthMethod::from_name(&text).ok_or_else(|| {
                    format!("auth_method must be \"pkce\" or \"implicit\", got \"{text}\"")
                })?,
                None => AuthMethod::default(),
            },
            scopes: doc.opt_strings("scopes")?.unwrap_or_default(),
            groups_claim: doc
                .opt_string("groups_claim")?
                .unwrap_or_else(|| DEFAULT_GROUPS_CLAIM.to_string()),
            token_relay: doc.opt_bool("token_relay")?.unwrap_or_default(),
            response_mode: match doc.opt_string("response_mode")? {
                Some(text) => Some(ResponseMode::from_name(&text).ok_or_else(|| {
                    format!("response_mode must be \"form_post\" or \"fragment\", got \"{text}\"")
                })?),
                None => None,
            },
            from_server: false,
        })
    }

    /// The settings table's rules, so a static `sso-config.json` is held to what the admin
    /// form and the environment are.
    pub fn validate(&self) -> Result<(), OidcError> {
        let invalid = |name: &str, value: &str, problem: Problem| {
            Err(OidcError::ConfigInvalid {
                detail: if problem.hide_value {
                    format!("{name} {}.", problem.rule)
                } else {
                    format!("{name} \"{value}\" {}.", problem.rule)
                },
            })
        };
        if let Err(p) = settings::issuer(&self.issuer) {
            return invalid("issuer", &self.issuer, p);
        }
        if let Err(p) = settings::client_id(self.client_id.trim()) {
            return invalid("client_id", &self.client_id, p);
        }
        for scope in &self.scopes {
            if let Err(p) = settings::scope(scope) {
                return invalid("scope", scope, p);
            }
        }
        if let Err(p) = settings::claim_name(self.groups_claim.trim()) {
            return invalid("groups_claim", &self.groups_claim, p);
        }
        Ok(())
    }

    /// The protocol flow these settings select.
    pub fn flow(&self) -> Flow {
        match (self.auth_method, self.response_mode) {
            (AuthMethod::Pkce, _) => Flow::Code,
            (AuthMethod::Implicit, Some(ResponseMode::Fragment)) => Flow::ImplicitFragment,
            (AuthMethod::Implicit, _) => Flow::ImplicitFormPost,
        }
    }

    /// The provider's host, for the "Sign in with SSO" button.
    pub fn provider_host(&self) -> String {
        crate::oidc::url::HttpUrl::parse(&self.issuer)
            .map(|u| u.authority.to_string())
            .unwrap_or_else(|_| self.issuer.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_defaults() {
        let c =
            SsoConfig::parse(r#"{"issuer":"https://idp.example.com","client_id":"app"}"#).unwrap();
        assert_eq!(c.auth_method, AuthMethod::Pkce);
        assert_eq!(c.groups_claim, "groups");
        assert!(c.scopes.is_empty());
        assert_eq!(c.provider_host(), "idp.example.com");
    }

    #[test]
    fn parses_the_server_shape() {
        let c = SsoConfig::parse(
            r#"{"issuer":"http://127.0.0.1:9400","client_id":"sso-web","auth_method":"implicit","scopes":["groups"],"groups_claim":"roles"}"#,
        )
        .unwrap();
        assert_eq!(c.auth_method, AuthMethod::Implicit);
        assert_eq!(c.scopes, vec!["groups"]);
        assert_eq!(c.provider_host(), "127.0.0.1:9400");
    }

    #[test]
    fn flow_follows_auth_method_and_response_mode() {
        let base = r#""issuer":"https://idp.example.com","client_id":"a""#;
        let flow = |extra: &str| {
            SsoConfig::parse(&format!("{{{base}{extra}}}"))
                .unwrap()
                .flow()
        };
        assert_eq!(flow(""), Flow::Code);
        assert_eq!(flow(r#","response_mode":"fragment""#), Flow::Code);
        assert_eq!(flow(r#","auth_method":"implicit""#), Flow::ImplicitFormPost);
        assert_eq!(
            flow(r#","auth_method":"implicit","response_mode":"fragment""#),
            Flow::ImplicitFragment
        );
        let relay = SsoConfig::parse(&format!("{{{base},\"token_relay\":true}}")).unwrap();
        assert!(relay.token_relay);
        let err = SsoConfig::parse(&format!("{{{base},\"response_mode\":\"query\"}}")).unwrap_err();
        assert!(err.detail().contains("response_mode"), "{}", err.detail());
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (r#"{"issuer":"idp.example.com","client_id":"a"}"#, "issuer"),
            (
                r#"{"issuer":"http://idp.example.com","client_id":"a"}"#,
                "https",
            ),
            (
                r#"{"issuer":"https://idp.example.com?x=1","client_id":"a"}"#,
                "query",
            ),
            (
                r#"{"issuer":"https://idp.example.com","client_id":" "}"#,
                "client_id",
            ),
            (
                r#"{"issuer":"https://idp.example.com","client_id":"a","scopes":["a b"]}"#,
                "scope",
            ),
            (
                r#"{"issuer":"https://idp.example.com","client_id":"a","groups_claim":""}"#,
                "groups_claim",
            ),
            (
                r#"{"issuer":"https://idp.example.com","client_id":"a","auth_method":"magic"}"#,
                "auth_method",
            ),
            (r#"{"client_id":"a"}"#, "issuer"),
            (
                r#"{"issuer":"https://idp.example.com","client_id":5}"#,
                "`client_id` must be a string",
            ),
            (
                r#"{"issuer":"https://idp.example.com","client_id":"a","scopes":"groups"}"#,
                "`scopes` must be an array of strings",
            ),
            (
                r#"{"issuer":"https://idp.example.com","client_id":"a","token_relay":"yes"}"#,
                "`token_relay` must be true or false",
            ),
            ("[]", "not an object"),
        ];
        for (json, needle) in cases {
            let err = SsoConfig::parse(json).unwrap_err();
            assert_eq!(err.code(), "config_invalid", "{json}");
            assert!(err.detail().contains(needle), "{json}: {}", err.detail());
        }
    }

    #[test]
    fn reads_what_the_server_writes() {
        // sso-server serializes SsoConfig with serde; the browser reads it by hand.
        let configs = [
            SsoConfig::parse(r#"{"issuer":"https://idp.example.com","client_id":"a"}"#).unwrap(),
            SsoConfig {
                issuer: "https://login.example.org/tenant/v2.0".into(),
                client_id: "app".into(),
                auth_method: AuthMethod::Implicit,
                scopes: vec!["groups".into(), "offline_access".into()],
                groups_claim: "roles".into(),
                token_relay: true,
                response_mode: Some(ResponseMode::Fragment),
                from_server: false,
            },
        ];
        for config in configs {
            let json = serde_json::to_string(&config).unwrap();
            assert_eq!(SsoConfig::parse(&json).unwrap(), config, "{json}");
        }
    }
}
