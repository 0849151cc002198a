//! The token request and response (RFC 6749 4.1.3, 5.1, 5.2; RFC 7636 4.5).

use super::error::OidcError;
use super::json::Object;

/// The form body for the authorization_code grant of a public client.
pub fn token_request_body(
    code: &str,
    redirect_uri: &str,
    client_id: &str,
    code_verifier: &str,
) -> String {
    grant_body(Some(code), redirect_uri, client_id, code_verifier)
}

/// The same body without its `code`, which the callback page's early script appends as
/// `&code=…` when the IdP sends the browser back (`callback.html`, `flow::begin_login`).
pub fn token_request_body_without_code(
    redirect_uri: &str,
    client_id: &str,
    code_verifier: &str,
) -> String {
    grant_body(None, redirect_uri, client_id, code_verifier)
}

fn grant_body(
    code: Option<&str>,
    redirect_uri: &str,
    client_id: &str,
    code_verifier: &str,
) -> String {
    let mut pairs = vec![("grant_type", "authorization_code")];
    pairs.extend(code.map(|code| ("code", code)));
    pairs.extend([
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
        ("code_verifier", code_verifier),
    ]);
    super::url::form_encode(&pairs)
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenResponse {
    pub id_token: String,
    pub token_type: String,
    pub access_token: Option<String>,
}

impl TokenResponse {
    /// Interprets the token endpoint's answer: status plus body text.
    pub fn parse(status: u16, body: &str) -> Result<Self, OidcError> {
        if status != 200 {
            // RFC 6749 5.2: `error`, perhaps `error_description`; anything else is kept
            // out of the message.
            let doc = Object::parse(body).ok();
            let member = |name: &str| doc.as_ref().and_then(|d| d.opt_string(name).ok().flatten());
            let error = member("error");
            return Err(OidcError::TokenRequestFailed {
                status: Some(status),
                description: error.as_ref().and_then(|_| member("error_description")),
                error,
            });
        }
        let response = Self::read(body).map_err(|e| {
            let detail = if body.contains("\"id_token\"") {
                format!("The token response is malformed: {e}.")
            } else {
                "The token response has no id_token.".to_string()
            };
            OidcError::TokenResponseInvalid { detail }
        })?;
        if !response.token_type.eq_ignore_ascii_case("bearer") {
            return Err(OidcError::TokenResponseInvalid {
                detail: format!(
                    "token_type is \"{}\", expected Bearer.",
                    response.token_type
                ),
            });
        }
        Ok(response)
    }

    fn read(body: &str) -> Result<Self, String> {
        let doc = Object::parse(body)?;
        Ok(TokenResponse {
            id_token: doc.string("id_token")?,
            token_type: doc.string("token_type")?,
            access_token: doc.opt_string("access_token")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_carries_the_verifier_and_redirect_uri() {
        let body = token_request_body("c 1", "https://app/oidc/callback", "app", "ver");
        assert_eq!(
            body,
            "grant_type=authorization_code&code=c+1&redirect_uri=https%3A%2F%2Fapp%2Foidc%2Fcallback&client_id=app&code_verifier=ver"
        );
    }

    #[test]
    fn parses_success() {
        let r = TokenResponse::parse(
            200,
            r#"{"id_token":"a.b.c","token_type":"Bearer","access_token":"x","expires_in":3600}"#,
        )
        .unwrap();
        assert_eq!(r.id_token, "a.b.c");
        assert_eq!(r.access_token.as_deref(), Some("x"));
        assert!(TokenResponse::parse(200, r#"{"id_token":"a.b.c","token_type":"bearer"}"#).is_ok());
        // Fields we do not use must not fail a sign-in however a provider types them.
        assert!(TokenResponse::parse(
            200,
            r#"{"id_token":"a.b.c","token_type":"Bearer","expires_in":"3600"}"#
        )
        .is_ok());
    }

    #[test]
    fn parses_rfc6749_error_body() {
        let err = TokenResponse::parse(
            400,
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            OidcError::TokenRequestFailed {
                status: Some(400),
                error: Some("invalid_grant".into()),
                description: Some("grant request is invalid".into())
            }
        );
        assert_eq!(err.code(), "token_request_failed");
        let err = TokenResponse::parse(502, "<html>bad gateway</html>").unwrap_err();
        assert_eq!(
            err,
            OidcError::TokenRequestFailed {
                status: Some(502),
                error: None,
                description: None
            }
        );
    }

    #[test]
    fn a_member_of_the_wrong_type_is_named() {
        let err = TokenResponse::parse(200, r#"{"id_token":"a.b.c","token_type":1}"#).unwrap_err();
        assert_eq!(err.code(), "token_response_invalid");
        assert!(
            err.detail().contains("`token_type` must be a string"),
            "{}",
            err.detail()
        );
        // An error body whose description is not a string still reports the error code.
        let err = TokenResponse::parse(400, r#"{"error":"invalid_grant","error_description":7}"#)
            .unwrap_err();
        assert_eq!(
            err,
            OidcError::TokenRequestFailed {
                status: Some(400),
                error: Some("invalid_grant".into()),
                description: None
            }
        );
    }

    #[test]
    fn missing_id_token_or_wrong_type_is_invalid() {
        let err =
            TokenResponse::parse(200, r#"{"access_token":"x","token_type":"Bearer"}"#).unwrap_err();
        assert_eq!(err.code(), "token_response_invalid");
        assert!(err.detail().contains("no id_token"));
        let err = TokenResponse::parse(200, r#"{"id_token":"a","token_type":"mac"}"#).unwrap_err();
        assert_eq!(err.code(), "token_response_invalid");
        assert_eq!(
            TokenResponse::parse(200, "not json").unwrap_err().code(),
            "token_response_invalid"
        );
    }
}
