//! The authorization response at `/oidc/callback`: the code flow's query (RFC 6749 4.1.2)
//! and the implicit flow's fragment (Core 3.2.2.5), with RFC 9207 `iss`.

use super::discovery::ProviderMetadata;
use super::error::OidcError;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub id_token: Option<String>,
    pub access_token: Option<String>,
}

/// A response that passed every check that does not need the token endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationCode(pub String);

/// An implicit response that passed every check that does not need the ID token's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitResponse {
    pub id_token: String,
    /// Present for `response_type=id_token token`; then `at_hash` must match it.
    pub access_token: Option<String>,
}

impl CallbackParams {
    /// Parses a query string (with or without `?`). A parameter sent twice is refused,
    /// as RFC 6749 3.1 requires; it is a classic way to smuggle a second value past a check.
    pub fn parse(query: &str) -> Result<Self, OidcError> {
        let query = query.strip_prefix(['?', '#']).unwrap_or(query);
        let mut params = CallbackParams::default();
        for (name, value) in super::url::form_decode(query) {
            let slot = match name.as_str() {
                "code" => &mut params.code,
                "state" => &mut params.state,
                "iss" => &mut params.iss,
                "error" => &mut params.error,
                "error_description" => &mut params.error_description,
                "id_token" => &mut params.id_token,
                "access_token" => &mut params.access_token,
                _ => continue,
            };
            if slot.is_some() {
                return Err(OidcError::CallbackInvalid {
                    detail: format!("The parameter \"{name}\" appears more than once."),
                });
            }
            *slot = Some(value);
        }
        Ok(params)
    }

    /// The `state` to look the pending login up by.
    pub fn state(&self) -> Result<&str, OidcError> {
        self.state
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| OidcError::CallbackInvalid {
                detail: "The response has no state parameter.".into(),
            })
    }

    /// Checks `iss` (RFC 9207), then turns an error response into [`OidcError::IdpError`],
    /// then requires a code. Call after the pending login for `state` was found.
    pub fn into_code(self, metadata: &ProviderMetadata) -> Result<AuthorizationCode, OidcError> {
        self.check_issuer_and_error(metadata)?;
        if self.id_token.is_some() {
            return Err(OidcError::CallbackInvalid {
                detail: "An ID token arrived where the code flow expects only a code.".into(),
            });
        }
        match self.code {
            Some(code) if !code.is_empty() => Ok(AuthorizationCode(code)),
            _ => Err(OidcError::CallbackInvalid {
                detail: "The response has neither a code nor an error.".into(),
            }),
        }
    }

    /// The implicit counterpart of [`into_code`](Self::into_code): requires an ID token,
    /// and refuses a code (we asked for `response_type=id_token`).
    pub fn into_implicit(self, metadata: &ProviderMetadata) -> Result<ImplicitResponse, OidcError> {
        self.check_issuer_and_error(metadata)?;
        if self.code.is_some() {
            return Err(OidcError::CallbackInvalid {
                detail: "A code arrived where the implicit flow expects only an ID token.".into(),
            });
        }
        match self.id_token {
            Some(id_token) if !id_token.is_empty() => Ok(ImplicitResponse {
                id_token,
                access_token: self.access_token.filter(|t| !t.is_empty()),
            }),
            _ => Err(OidcError::CallbackInvalid {
                detail: "The response has neither an id_token nor an error.".into(),
            }),
        }
    }

    fn check_issuer_and_error(&self, metadata: &ProviderMetadata) -> Result<(), OidcError> {
        match &self.iss {
            Some(iss) if *iss != metadata.issuer => {
                return Err(OidcError::CallbackIssuerMismatch {
                    expected: metadata.issuer.clone(),
                    found: Some(iss.clone()),
                })
            }
            // A response carrying an ID token may omit `iss` (oidc-provider does; RFC 9700
            // 4.4.2.1): the token's own `iss`, checked exactly during validation, names it.
            None if metadata.iss_parameter_required() && self.id_token.is_none() => {
                return Err(OidcError::CallbackIssuerMismatch {
                    expected: metadata.issuer.clone(),
                    found: None,
                })
            }
            _ => {}
        }
        if let Some(error) = &self.error {
            return Err(OidcError::IdpError {
                error: error.clone(),
                description: self.error_description.clone(),
            });
        }
        Ok(())
    }

    /// True when the URL carried no authorization response at all (a reload of the
    /// already-scrubbed callback URL, or a bookmark).
    pub fn is_empty(&self) -> bool {
        self.state.is_none()
            && self.code.is_none()
            && self.id_token.is_none()
            && self.error.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::discovery::tests::{document, ISSUER};

    fn metadata(iss_supported: bool) -> ProviderMetadata {
        let mut doc = document();
        doc["authorization_response_iss_parameter_supported"] = iss_supported.into();
        ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap()
    }

    #[test]
    fn parses_code_and_state() {
        let p =
            CallbackParams::parse("?code=abc&state=xyz&iss=https%3A%2F%2Fidp.example.com").unwrap();
        assert_eq!(p.state().unwrap(), "xyz");
        assert_eq!(
            p.into_code(&metadata(true)).unwrap(),
            AuthorizationCode("abc".into())
        );
    }

    #[test]
    fn error_response_becomes_idp_error_with_description() {
        let p =
            CallbackParams::parse("error=access_denied&error_description=End-User+aborted&state=s")
                .unwrap();
        let err = p.into_code(&metadata(false)).unwrap_err();
        assert_eq!(
            err,
            OidcError::IdpError {
                error: "access_denied".into(),
                description: Some("End-User aborted".into())
            }
        );
        assert_eq!(err.code(), "idp_error");
    }

    #[test]
    fn missing_state_and_missing_code_are_callback_invalid() {
        assert_eq!(
            CallbackParams::parse("code=a")
                .unwrap()
                .state()
                .unwrap_err()
                .code(),
            "callback_invalid"
        );
        assert_eq!(
            CallbackParams::parse("code=a&state=")
                .unwrap()
                .state()
                .unwrap_err()
                .code(),
            "callback_invalid"
        );
        let err = CallbackParams::parse("state=s")
            .unwrap()
            .into_code(&metadata(false))
            .unwrap_err();
        assert_eq!(err.code(), "callback_invalid");
    }

    #[test]
    fn implicit_fragment_gives_the_id_token() {
        let p = CallbackParams::parse(
            "#id_token=a.b.c&state=s&iss=https%3A%2F%2Fidp.example.com&session_state=x",
        )
        .unwrap();
        let response = p.into_implicit(&metadata(true)).unwrap();
        assert_eq!(response.id_token, "a.b.c");
        assert_eq!(response.access_token, None);
        let with_at = CallbackParams::parse("id_token=a.b.c&access_token=at&state=s").unwrap();
        assert_eq!(
            with_at
                .into_implicit(&metadata(false))
                .unwrap()
                .access_token
                .as_deref(),
            Some("at")
        );
    }

    #[test]
    fn an_implicit_success_may_omit_iss_but_an_implicit_error_may_not() {
        let ok = CallbackParams::parse("#id_token=a.b.c&state=s").unwrap();
        assert!(ok.into_implicit(&metadata(true)).is_ok());
        let err = CallbackParams::parse("#error=access_denied&state=s")
            .unwrap()
            .into_implicit(&metadata(true))
            .unwrap_err();
        assert_eq!(err.code(), "callback_issuer_mismatch");
    }

    #[test]
    fn each_flow_refuses_the_other_flows_artifact() {
        let err = CallbackParams::parse("code=c&id_token=a.b.c&state=s")
            .unwrap()
            .into_implicit(&metadata(false))
            .unwrap_err();
        assert_eq!(err.code(), "callback_invalid");
        let err = CallbackParams::parse("code=c&id_token=a.b.c&state=s")
            .unwrap()
            .into_code(&metadata(false))
            .unwrap_err();
        assert_eq!(err.code(), "callback_invalid");
        let err = CallbackParams::parse("state=s")
            .unwrap()
            .into_implicit(&metadata(false))
            .unwrap_err();
        assert!(err.detail().contains("id_token"));
    }

    #[test]
    fn implicit_error_response_is_idp_error() {
        let err = CallbackParams::parse(
            "#error=access_denied&error_description=End-User+aborted+interaction&state=s",
        )
        .unwrap()
        .into_implicit(&metadata(false))
        .unwrap_err();
        assert_eq!(err.code(), "idp_error");
        assert!(err.detail().contains("End-User aborted interaction"));
    }

    #[test]
    fn an_empty_callback_is_recognised() {
        assert!(CallbackParams::parse("").unwrap().is_empty());
        assert!(CallbackParams::parse("?utm=x").unwrap().is_empty());
        assert!(!CallbackParams::parse("?state=s").unwrap().is_empty());
    }

    #[test]
    fn duplicate_parameters_are_refused() {
        let err = CallbackParams::parse("code=a&state=s&state=t").unwrap_err();
        assert_eq!(err.code(), "callback_invalid");
    }

    #[test]
    fn rfc9207_wrong_iss_is_refused_even_on_error_responses() {
        let err = CallbackParams::parse("error=x&state=s&iss=https://evil.example")
            .unwrap()
            .into_code(&metadata(false))
            .unwrap_err();
        assert_eq!(err.code(), "callback_issuer_mismatch");
    }

    #[test]
    fn rfc9207_iss_required_when_advertised() {
        let err = CallbackParams::parse("code=a&state=s")
            .unwrap()
            .into_code(&metadata(true))
            .unwrap_err();
        assert_eq!(
            err,
            OidcError::CallbackIssuerMismatch {
                expected: ISSUER.into(),
                found: None
            }
        );
        assert!(CallbackParams::parse("code=a&state=s")
            .unwrap()
            .into_code(&metadata(false))
            .is_ok());
    }
}
