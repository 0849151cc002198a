//! Provider metadata (OpenID Connect Discovery 1.0, sections 3 and 4).
//!
//! Trailing-slash rule: the configured issuer is compared to the document's `issuer`
//! byte for byte (Discovery 4.3, Core 3.1.3.7 step 2), so `https://idp/` and `https://idp`
//! are different issuers. Only when building the discovery URL is one trailing `/` dropped
//! before `/.well-known/openid-configuration` is appended (Discovery 4.1).

use super::error::OidcError;
use super::flow::Flow;
use super::json::Object;
use super::url::HttpUrl;

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub userinfo_endpoint: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub end_session_endpoint: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub response_types_supported: Option<Vec<String>>,
    #[cfg_attr(test, serde(default))]
    pub response_modes_supported: Option<Vec<String>>,
    #[cfg_attr(test, serde(default))]
    pub scopes_supported: Option<Vec<String>>,
    #[cfg_attr(test, serde(default))]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[cfg_attr(test, serde(default))]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    #[cfg_attr(test, serde(default))]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// RFC 9207: when true the authorization response must carry `iss`.
    #[cfg_attr(test, serde(default))]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}

/// `{issuer}/.well-known/openid-configuration`, with one trailing slash dropped first.
pub fn discovery_url(issuer: &str) -> String {
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    format!("{base}/.well-known/openid-configuration")
}

impl ProviderMetadata {
    /// Parses and validates a discovery document fetched for `configured_issuer`.
    pub fn parse(json: &str, configured_issuer: &str) -> Result<Self, OidcError> {
        let metadata = Self::read(json).map_err(|e| OidcError::DiscoveryInvalid {
            detail: format!("the discovery document is not valid provider metadata: {e}"),
        })?;
        metadata.validate(configured_issuer)?;
        Ok(metadata)
    }

    fn read(json: &str) -> Result<Self, String> {
        let doc = Object::parse(json)?;
        Ok(ProviderMetadata {
            issuer: doc.string("issuer")?,
            authorization_endpoint: doc.opt_string("authorization_endpoint")?,
            token_endpoint: doc.opt_string("token_endpoint")?,
            jwks_uri: doc.opt_string("jwks_uri")?,
            userinfo_endpoint: doc.opt_string("userinfo_endpoint")?,
            end_session_endpoint: doc.opt_string("end_session_endpoint")?,
            response_types_supported: doc.opt_strings("response_types_supported")?,
            response_modes_supported: doc.opt_strings("response_modes_supported")?,
            scopes_supported: doc.opt_strings("scopes_supported")?,
            code_challenge_methods_supported: doc
                .opt_strings("code_challenge_methods_supported")?,
            id_token_signing_alg_values_supported: doc
                .opt_strings("id_token_signing_alg_values_supported")?,
            token_endpoint_auth_methods_supported: doc
                .opt_strings("token_endpoint_auth_methods_supported")?,
            authorization_response_iss_parameter_supported: doc
                .opt_bool("authorization_response_iss_parameter_supported")?,
        })
    }

    pub fn validate(&self, configured_issuer: &str) -> Result<(), OidcError> {
        if self.issuer != configured_issuer {
            return Err(OidcError::DiscoveryIssuerMismatch {
                configured: configured_issuer.to_string(),
                found: self.issuer.clone(),
            });
        }
        let issuer_is_http = configured_issuer.starts_with("http://");
        for (name, value) in [
            ("authorization_endpoint", &self.authorization_endpoint),
            ("jwks_uri", &self.jwks_uri),
        ] {
            let Some(url) = value.as_deref().filter(|u| !u.is_empty()) else {
                return Err(invalid(format!("`{name}` is missing")));
            };
            match HttpUrl::parse(url) {
                Err(problem) => {
                    return Err(invalid(format!("`{name}` {}: {url}", problem.describe())))
                }
                // Plain http is tolerated for a local dev IdP, never behind an https issuer.
                Ok(endpoint) if endpoint.scheme == "http" && !issuer_is_http => {
                    return Err(invalid(format!(
                        "`{name}` must use https like the issuer: {url}"
                    )))
                }
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// What the chosen flow needs beyond [`validate`](Self::validate): the code flow a
    /// token endpoint and S256, the implicit flow `id_token` responses in its mode.
    pub fn check_flow(&self, flow: Flow) -> Result<(), OidcError> {
        let response_type = flow.response_type();
        if let Some(types) = &self.response_types_supported {
            if !types.iter().any(|t| t == response_type) {
                return Err(invalid(format!(
                    "`response_types_supported` is {}, without \"{response_type}\"; \
                     the flow configured here is not enabled for this provider",
                    super::json::list(types)
                )));
            }
        }
        if let Some(mode) = flow.response_mode() {
            if let Some(modes) = &self.response_modes_supported {
                if !modes.iter().any(|m| m == mode) {
                    return Err(invalid(format!(
                        "`response_modes_supported` is {}, without \"{mode}\"",
                        super::json::list(modes)
                    )));
                }
            }
            return Ok(());
        }
        let Some(token_endpoint) = self.token_endpoint.as_deref().filter(|u| !u.is_empty()) else {
            return Err(invalid("`token_endpoint` is missing".into()));
        };
        match HttpUrl::parse(token_endpoint) {
            Err(problem) => {
                return Err(invalid(format!(
                    "`token_endpoint` {}: {token_endpoint}",
                    problem.describe()
                )))
            }
            Ok(endpoint) if endpoint.scheme == "http" && !self.issuer.starts_with("http://") => {
                return Err(invalid(format!(
                    "`token_endpoint` must use https like the issuer: {token_endpoint}"
                )))
            }
            Ok(_) => {}
        }
        if let Some(methods) = &self.code_challenge_methods_supported {
            if !methods.iter().any(|m| m == super::pkce::METHOD_S256) {
                return Err(invalid(format!(
                    "`code_challenge_methods_supported` is {}, without \"S256\"; \
                     PKCE with S256 is required",
                    super::json::list(methods)
                )));
            }
        }
        Ok(())
    }

    /// The validated endpoints; `validate` guarantees they exist.
    /// RFC 9207: whether the authorization response must carry `iss`.
    pub fn iss_parameter_required(&self) -> bool {
        self.authorization_response_iss_parameter_supported == Some(true)
    }

    pub fn authorization_endpoint(&self) -> &str {
        self.authorization_endpoint.as_deref().unwrap_or_default()
    }
    pub fn token_endpoint(&self) -> &str {
        self.token_endpoint.as_deref().unwrap_or_default()
    }
    pub fn jwks_uri(&self) -> &str {
        self.jwks_uri.as_deref().unwrap_or_default()
    }
}

fn invalid(detail: String) -> OidcError {
    OidcError::DiscoveryInvalid { detail }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const ISSUER: &str = "https://idp.example.com";

    pub fn document() -> serde_json::Value {
        serde_json::json!({
            "issuer": ISSUER,
            "authorization_endpoint": "https://idp.example.com/authorize",
            "token_endpoint": "https://tokens.example.net/token",
            "jwks_uri": "https://keys.example.net/jwks",
            "response_types_supported": ["code", "id_token"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "unknown_extension": {"ignored": true}
        })
    }

    /// Parsed and checked for the code flow, as the browser does before a PKCE sign-in.
    fn parse(doc: serde_json::Value) -> Result<ProviderMetadata, OidcError> {
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER)?;
        metadata.check_flow(Flow::Code)?;
        Ok(metadata)
    }

    #[test]
    fn the_implicit_flow_needs_id_token_responses_and_its_mode_but_no_token_endpoint() {
        let mut doc = document();
        doc.as_object_mut().unwrap().remove("token_endpoint");
        doc["response_modes_supported"] = serde_json::json!(["query", "fragment"]);
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        assert!(metadata.check_flow(Flow::ImplicitFragment).is_ok());
        let err = metadata.check_flow(Flow::ImplicitFormPost).unwrap_err();
        assert!(err.detail().contains("form_post"), "{}", err.detail());
        assert!(metadata
            .check_flow(Flow::Code)
            .unwrap_err()
            .detail()
            .contains("token_endpoint"));
        doc["response_types_supported"] = serde_json::json!(["code"]);
        let code_only = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        let err = code_only.check_flow(Flow::ImplicitFragment).unwrap_err();
        assert_eq!(err.code(), "discovery_invalid");
        assert!(err.detail().contains("id_token"));
    }

    #[test]
    fn parses_a_valid_document() {
        let m = parse(document()).unwrap();
        assert_eq!(m.token_endpoint(), "https://tokens.example.net/token");
        assert!(!m.iss_parameter_required());
    }

    #[test]
    fn discovery_url_drops_one_trailing_slash() {
        assert_eq!(
            discovery_url("https://t.auth0.com/"),
            "https://t.auth0.com/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://kc.example/realms/main"),
            "https://kc.example/realms/main/.well-known/openid-configuration"
        );
    }

    #[test]
    fn issuer_must_match_exactly_including_trailing_slash() {
        let mut doc = document();
        doc["issuer"] = "https://idp.example.com/".into();
        let err = parse(doc).unwrap_err();
        assert_eq!(err.code(), "discovery_issuer_mismatch");
        assert!(err.hint().contains("trailing slash"), "{}", err.hint());
    }

    #[test]
    fn each_required_endpoint_is_checked() {
        for field in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
            let mut doc = document();
            doc.as_object_mut().unwrap().remove(field);
            let err = parse(doc).unwrap_err();
            assert_eq!(err.code(), "discovery_invalid");
            assert!(err.detail().contains(field), "{field}: {}", err.detail());
        }
    }

    #[test]
    fn plain_http_endpoint_on_a_public_host_is_rejected() {
        let mut doc = document();
        doc["token_endpoint"] = "http://tokens.example.net/token".into();
        let err = parse(doc).unwrap_err();
        assert_eq!(err.code(), "discovery_invalid");
        assert!(err.detail().contains("https"));
    }

    #[test]
    fn loopback_http_endpoint_behind_an_https_issuer_is_rejected() {
        let mut doc = document();
        doc["jwks_uri"] = "http://127.0.0.1:9000/jwks".into();
        let err = parse(doc).unwrap_err();
        assert_eq!(err.code(), "discovery_invalid");
        assert!(err.detail().contains("jwks_uri"), "{}", err.detail());
    }

    #[test]
    fn a_member_of_the_wrong_type_is_named() {
        for (member, value, message) in [
            (
                "jwks_uri",
                serde_json::json!(5),
                "`jwks_uri` must be a string",
            ),
            (
                "response_types_supported",
                "code".into(),
                "`response_types_supported` must be an array of strings",
            ),
            (
                "authorization_response_iss_parameter_supported",
                "true".into(),
                "must be true or false",
            ),
        ] {
            let mut doc = document();
            doc[member] = value;
            let err = parse(doc).unwrap_err();
            assert_eq!(err.code(), "discovery_invalid");
            assert!(err.detail().contains(message), "{}", err.detail());
        }
    }

    #[test]
    fn null_optional_members_are_accepted() {
        let mut doc = document();
        doc["authorization_response_iss_parameter_supported"] = serde_json::Value::Null;
        assert!(!parse(doc).unwrap().iss_parameter_required());
    }

    #[test]
    fn s256_is_required_when_methods_are_listed() {
        let mut doc = document();
        doc["code_challenge_methods_supported"] = serde_json::json!(["plain"]);
        assert_eq!(parse(doc).unwrap_err().code(), "discovery_invalid");
        let mut unlisted = document();
        unlisted
            .as_object_mut()
            .unwrap()
            .remove("code_challenge_methods_supported");
        assert!(parse(unlisted).is_ok());
    }

    #[test]
    fn code_response_type_is_required_when_listed() {
        let mut doc = document();
        doc["response_types_supported"] = serde_json::json!(["id_token"]);
        let err = parse(doc).unwrap_err();
        assert_eq!(err.code(), "discovery_invalid");
        assert!(err.detail().contains("\"code\""), "{}", err.detail());
    }

    #[test]
    fn garbage_is_discovery_invalid() {
        let err = ProviderMetadata::parse("<html>", ISSUER).unwrap_err();
        assert_eq!(err.code(), "discovery_invalid");
        let err = ProviderMetadata::parse("{\"issuer\": 3}", ISSUER).unwrap_err();
        assert_eq!(err.code(), "discovery_invalid");
    }
}
