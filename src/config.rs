//! The runtime configuration: fetched at start-up, so one build serves every environment.
//!
//! Source order: `GET /api/v1/sso/config` (the server, built from its env), then on 404
//! `sso-config.json` next to index.html (static hosting). Both carry the same JSON.

use crate::oidc::identity::DEFAULT_GROUPS_CLAIM;
use crate::oidc::json::Object;
use crate::oidc::url::check_issuer;
use crate::oidc::{Flow, OidcError};
use serde::{Deserialize, Serialize};

pub const CONFIG_API_PATH: &str = "/api/v1/sso/config";
pub const STATIC_CONFIG_PATH: &str = "/sso-config.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum AuthMethod {
    #[default]
    Pkce,
    Implicit,
}

impl TryFrom<String> for AuthMethod {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "pkce" => Ok(AuthMethod::Pkce),
            "implicit" => Ok(AuthMethod::Implicit),
            other => Err(format!(
                "auth_method must be \"pkce\" or \"implicit\", got \"{other}\""
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeConfig {
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub auth_method: AuthMethod,
    /// Extra scopes beyond `openid profile email`.
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// The server holds a client secret: codes are redeemed through
    /// `POST /api/v1/sso/token`, never at the IdP from the browser.
    #[serde(default)]
    pub token_relay: bool,
    /// Implicit only: `form_post` (default; needs sso-server's POST bridge) or
    /// `fragment` (static hosting).
    #[serde(default)]
    pub response_mode: Option<ResponseMode>,
    /// Came from sso-server (the page or its API), not a static `sso-config.json`: the
    /// session is then the server's.
    #[serde(skip)]
    pub from_server: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum ResponseMode {
    FormPost,
    Fragment,
}

impl TryFrom<String> for ResponseMode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "form_post" => Ok(ResponseMode::FormPost),
            "fragment" => Ok(ResponseMode::Fragment),
            other => Err(format!(
                "response_mode must be \"form_post\" or \"fragment\", got \"{other}\""
            )),
        }
    }
}

fn default_groups_claim() -> String {
    DEFAULT_GROUPS_CLAIM.to_string()
}

impl RuntimeConfig {
    pub fn parse(json: &str) -> Result<Self, OidcError> {
        let config = Self::read(json).map_err(|e| OidcError::ConfigInvalid {
            detail: format!("The configuration is not valid JSON of the expected shape: {e}."),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Field by field, with the defaults of the serde attributes above (which the
    /// server's settings store uses).
    fn read(json: &str) -> Result<Self, String> {
        let doc = Object::parse(json)?;
        Ok(RuntimeConfig {
            issuer: doc.string("issuer")?,
            client_id: doc.string("client_id")?,
            auth_method: match doc.opt_string("auth_method")? {
                Some(text) => AuthMethod::try_from(text)?,
                None => AuthMethod::default(),
            },
            scopes: doc.opt_strings("scopes")?.unwrap_or_default(),
            groups_claim: doc
                .opt_string("groups_claim")?
                .unwrap_or_else(default_groups_claim),
            token_relay: doc.opt_bool("token_relay")?.unwrap_or_default(),
            response_mode: doc
                .opt_string("response_mode")?
                .map(ResponseMode::try_from)
                .transpose()?,
            from_server: false,
        })
    }

    pub fn validate(&self) -> Result<(), OidcError> {
        let invalid = |detail: String| Err(OidcError::ConfigInvalid { detail });
        if let Err(problem) = check_issuer(&self.issuer) {
            return invalid(format!(
                "issuer \"{}\" {}.",
                self.issuer,
                problem.describe()
            ));
        }
        if self.client_id.trim().is_empty() {
            return invalid("client_id is empty.".into());
        }
        if let Some(bad) = self
            .scopes
            .iter()
            .find(|s| s.trim().is_empty() || s.trim().contains(char::is_whitespace))
        {
            return invalid(format!(
                "scope \"{bad}\" is empty or contains a space; list each scope separately."
            ));
        }
        if self.groups_claim.trim().is_empty() {
            return invalid("groups_claim is empty.".into());
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
        let c = RuntimeConfig::parse(r#"{"issuer":"https://idp.example.com","client_id":"app"}"#)
            .unwrap();
        assert_eq!(c.auth_method, AuthMethod::Pkce);
        assert_eq!(c.groups_claim, "groups");
        assert!(c.scopes.is_empty());
        assert_eq!(c.provider_host(), "idp.example.com");
    }

    #[test]
    fn parses_the_server_shape() {
        let c = RuntimeConfig::parse(
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
            RuntimeConfig::parse(&format!("{{{base}{extra}}}"))
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
        let relay = RuntimeConfig::parse(&format!("{{{base},\"token_relay\":true}}")).unwrap();
        assert!(relay.token_relay);
        let err =
            RuntimeConfig::parse(&format!("{{{base},\"response_mode\":\"query\"}}")).unwrap_err();
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
            let err = RuntimeConfig::parse(json).unwrap_err();
            assert_eq!(err.code(), "config_invalid", "{json}");
            assert!(err.detail().contains(needle), "{json}: {}", err.detail());
        }
    }

    #[test]
    fn reads_what_the_server_writes() {
        // sso-server serializes RuntimeConfig with serde; the browser reads it by hand.
        let configs = [
            RuntimeConfig::parse(r#"{"issuer":"https://idp.example.com","client_id":"a"}"#)
                .unwrap(),
            RuntimeConfig {
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
            assert_eq!(RuntimeConfig::parse(&json).unwrap(), config, "{json}");
        }
    }
}
