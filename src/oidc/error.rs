//! Every way a sign-in can fail, each with a stable code, what happened, and the fix.
//!
//! The codes are an API: the UI puts them in `data-error-code`, tests assert them,
//! and the README lists them. Never rename one.

/// Clock skew tolerated for `iat` in the future.
pub const IAT_LEEWAY_SECS: u64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub enum IdTokenError {
    Malformed {
        detail: String,
    },
    UnsupportedAlg {
        alg: String,
    },
    CritUnsupported {
        names: Vec<String>,
    },
    UnexpectedTyp {
        typ: String,
    },
    UnknownKey {
        kid: Option<String>,
    },
    KeyUnsuitable {
        kid: String,
        alg: String,
    },
    AmbiguousKey,
    KeyUnusable {
        detail: String,
    },
    BadSignature,
    IssuerMismatch {
        expected: String,
        found: String,
    },
    AudienceMismatch {
        client_id: String,
        aud: Vec<String>,
    },
    UntrustedAudience {
        audience: String,
    },
    AzpMismatch {
        client_id: String,
        azp: Option<String>,
    },
    ExpMissing,
    Expired {
        exp: u64,
        now: u64,
    },
    IatMissing,
    IssuedInFuture {
        iat: u64,
        now: u64,
    },
    NonceMissing,
    NonceMismatch,
    AtHashMissing,
    AtHashMismatch,
    SubMissing,
}

impl IdTokenError {
    pub fn code(&self) -> &'static str {
        match self {
            IdTokenError::Malformed { .. } => "malformed_token",
            IdTokenError::UnsupportedAlg { .. } => "unsupported_alg",
            IdTokenError::CritUnsupported { .. } => "unsupported_crit",
            IdTokenError::UnexpectedTyp { .. } => "unexpected_typ",
            IdTokenError::UnknownKey { .. } => "unknown_key",
            IdTokenError::KeyUnsuitable { .. } => "key_unsuitable",
            IdTokenError::AmbiguousKey => "ambiguous_key",
            IdTokenError::KeyUnusable { .. } => "key_unusable",
            IdTokenError::BadSignature => "bad_signature",
            IdTokenError::IssuerMismatch { .. } => "issuer_mismatch",
            IdTokenError::AudienceMismatch { .. } => "audience_mismatch",
            IdTokenError::UntrustedAudience { .. } => "audience_untrusted",
            IdTokenError::AzpMismatch { .. } => "azp_mismatch",
            IdTokenError::ExpMissing => "exp_missing",
            IdTokenError::Expired { .. } => "token_expired",
            IdTokenError::IatMissing => "iat_missing",
            IdTokenError::IssuedInFuture { .. } => "iat_in_future",
            IdTokenError::NonceMissing => "nonce_missing",
            IdTokenError::NonceMismatch => "nonce_mismatch",
            IdTokenError::AtHashMissing => "at_hash_missing",
            IdTokenError::AtHashMismatch => "at_hash_mismatch",
            IdTokenError::SubMissing => "sub_missing",
        }
    }

    pub fn title(&self) -> String {
        match self {
            IdTokenError::Malformed { .. } => "The ID token is malformed.",
            IdTokenError::UnsupportedAlg { .. } => {
                "The ID token uses a signing algorithm that is not allowed."
            }
            IdTokenError::CritUnsupported { .. } => {
                "The ID token requires header extensions this client does not understand."
            }
            IdTokenError::UnexpectedTyp { .. } => "The token is not an ID token.",
            IdTokenError::UnknownKey { .. } => {
                "The ID token was signed with a key the provider does not publish."
            }
            IdTokenError::KeyUnsuitable { .. } => {
                "The ID token names a signing key that cannot verify it."
            }
            IdTokenError::AmbiguousKey => {
                "The ID token does not say which of the provider's keys signed it."
            }
            IdTokenError::KeyUnusable { .. } => "The provider's signing key could not be used.",
            IdTokenError::BadSignature => "The ID token's signature is invalid.",
            IdTokenError::IssuerMismatch { .. } => "The ID token was issued by a different issuer.",
            IdTokenError::AudienceMismatch { .. } => {
                "The ID token was issued for a different application."
            }
            IdTokenError::UntrustedAudience { .. } => {
                "The ID token is also addressed to an untrusted audience."
            }
            IdTokenError::AzpMismatch { .. } => {
                "The ID token's authorized party is not this application."
            }
            IdTokenError::ExpMissing => "The ID token has no expiry time.",
            IdTokenError::Expired { .. } => "The ID token has expired.",
            IdTokenError::IatMissing => "The ID token has no issue time.",
            IdTokenError::IssuedInFuture { .. } => {
                "The ID token claims to be issued in the future."
            }
            IdTokenError::NonceMissing => "The ID token carries no nonce.",
            IdTokenError::NonceMismatch => "The ID token's nonce does not match this sign-in.",
            IdTokenError::AtHashMissing => {
                "The ID token does not vouch for the access token sent with it."
            }
            IdTokenError::AtHashMismatch => "The access token does not belong to this ID token.",
            IdTokenError::SubMissing => "The ID token does not identify the user.",
        }
        .to_string()
    }

    pub fn detail(&self) -> String {
        match self {
            IdTokenError::Malformed { detail } | IdTokenError::KeyUnusable { detail } => detail.clone(),
            IdTokenError::UnsupportedAlg { alg } => format!("alg \"{alg}\"; allowed: RS256/384/512, PS256/384/512, ES256, ES384, EdDSA."),
            IdTokenError::CritUnsupported { names } => format!("crit: {}", super::json::list(names)),
            IdTokenError::UnexpectedTyp { typ } => format!(
                "typ \"{typ}\" marks another kind of JWT (RFC 8725 3.11); an ID token has typ JWT or none."
            ),
            IdTokenError::UnknownKey { kid: Some(kid) } => format!("kid \"{kid}\" is not in the provider's JWKS, even after reloading it."),
            IdTokenError::UnknownKey { kid: None } => "The header has no kid and the JWKS has no key suited to its algorithm.".into(),
            IdTokenError::KeyUnsuitable { kid, alg } => format!("Key \"{kid}\" cannot verify {alg} (key type, curve, use or alg differ)."),
            IdTokenError::AmbiguousKey => "The header has no kid and the JWKS holds several suitable keys (Core 10.1 requires a kid then).".into(),
            IdTokenError::BadSignature => "The signature does not verify with the provider's published key.".into(),
            IdTokenError::IssuerMismatch { expected, found } => format!("Expected iss \"{expected}\", got \"{found}\"."),
            IdTokenError::AudienceMismatch { client_id, aud } => format!("Expected aud to contain \"{client_id}\", got {}.", super::json::list(aud)),
            IdTokenError::UntrustedAudience { audience } => format!("Audience \"{audience}\" is not trusted."),
            IdTokenError::AzpMismatch { client_id, azp: Some(azp) } => format!("azp is \"{azp}\", expected \"{client_id}\"."),
            IdTokenError::AzpMismatch { client_id, azp: None } => format!("The token has several audiences but no azp (expected \"{client_id}\")."),
            IdTokenError::ExpMissing => "Claim exp is absent or not a number.".into(),
            IdTokenError::Expired { exp, now } => format!("exp {exp} is {} s before now ({now}).", now.saturating_sub(*exp)),
            IdTokenError::IatMissing => "Claim iat is absent or not a number.".into(),
            IdTokenError::IssuedInFuture { iat, now } => format!("iat {iat} is {} s after now ({now}); {IAT_LEEWAY_SECS} s of clock skew is tolerated.", iat.saturating_sub(*now)),
            IdTokenError::NonceMissing => "The authorization request sent a nonce, so the ID token must return it.".into(),
            IdTokenError::NonceMismatch => "The nonce differs from the one this browser sent: the token may have been replayed or injected.".into(),
            IdTokenError::AtHashMissing => "An access token came with the ID token, so at_hash is required (Core 3.2.2.9).".into(),
            IdTokenError::AtHashMismatch => "at_hash differs from the hash of the access token: it may have been swapped.".into(),
            IdTokenError::SubMissing => "Claim sub is absent, blank or not a string.".into(),
        }
    }

    pub fn hint(&self) -> String {
        match self {
            IdTokenError::UnsupportedAlg { .. } => "Configure the provider to sign ID tokens with RS256 (or another asymmetric algorithm listed).",
            IdTokenError::UnknownKey { .. } | IdTokenError::KeyUnsuitable { .. } | IdTokenError::AmbiguousKey | IdTokenError::KeyUnusable { .. } => "Check the provider's signing key configuration; if keys were just rotated, sign in again.",
            IdTokenError::IssuerMismatch { .. } => "The token came from another issuer or tenant than the one configured; check which provider and tenant the application is registered in.",
            IdTokenError::AudienceMismatch { .. } | IdTokenError::UntrustedAudience { .. } | IdTokenError::AzpMismatch { .. } => "Check that the configured client ID is the one registered for this application.",
            IdTokenError::Expired { .. } | IdTokenError::IssuedInFuture { .. } => "Check that this computer's clock is correct, then sign in again.",
            _ => "Sign in again. If it repeats, an administrator should check the provider's token settings.",
        }
        .to_string()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum OidcError {
    /// The runtime configuration (server API or sso-config.json) is unusable.
    ConfigInvalid {
        detail: String,
    },
    /// Neither the server API nor sso-config.json provided a configuration.
    ConfigMissing,
    /// The discovery document could not be fetched (network, CORS, HTTP status).
    DiscoveryFailed {
        url: String,
        detail: String,
    },
    DiscoveryInvalid {
        detail: String,
    },
    DiscoveryIssuerMismatch {
        configured: String,
        found: String,
    },
    /// The callback's `state` matches no pending login: forged, replayed, or another tab's.
    StateMismatch,
    /// The pending login is older than its lifetime.
    LoginExpired,
    CallbackInvalid {
        detail: String,
    },
    /// RFC 9207: the authorization response's `iss` is wrong or missing.
    CallbackIssuerMismatch {
        expected: String,
        found: Option<String>,
    },
    /// The IdP answered the authorization request with an error (RFC 6749 section 4.1.2.1).
    IdpError {
        error: String,
        description: Option<String>,
    },
    /// The token endpoint could not be reached or answered with an error (RFC 6749 5.2).
    TokenRequestFailed {
        status: Option<u16>,
        error: Option<String>,
        description: Option<String>,
    },
    TokenResponseInvalid {
        detail: String,
    },
    JwksFailed {
        detail: String,
    },
    IdToken(IdTokenError),
    /// sso-server refused to trade the validated ID token for a session; `code` is its
    /// `error` (`token_too_old`, `invalid_token`, …).
    SessionExchangeFailed {
        code: String,
        message: String,
    },
    /// Something the browser must provide is unavailable (storage, crypto).
    Browser {
        detail: String,
    },
}

impl From<IdTokenError> for OidcError {
    fn from(err: IdTokenError) -> Self {
        OidcError::IdToken(err)
    }
}

impl OidcError {
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::ConfigInvalid { .. } => "config_invalid",
            OidcError::ConfigMissing => "config_missing",
            OidcError::DiscoveryFailed { .. } => "discovery_failed",
            OidcError::DiscoveryInvalid { .. } => "discovery_invalid",
            OidcError::DiscoveryIssuerMismatch { .. } => "discovery_issuer_mismatch",
            OidcError::StateMismatch => "state_mismatch",
            OidcError::LoginExpired => "login_expired",
            OidcError::CallbackInvalid { .. } => "callback_invalid",
            OidcError::CallbackIssuerMismatch { .. } => "callback_issuer_mismatch",
            OidcError::IdpError { .. } => "idp_error",
            OidcError::TokenRequestFailed { .. } => "token_request_failed",
            OidcError::TokenResponseInvalid { .. } => "token_response_invalid",
            OidcError::JwksFailed { .. } => "jwks_failed",
            OidcError::IdToken(err) => err.code(),
            OidcError::SessionExchangeFailed { .. } => "session_exchange_failed",
            OidcError::Browser { .. } => "browser_unsupported",
        }
    }

    /// One sentence: what happened.
    pub fn title(&self) -> String {
        match self {
            OidcError::ConfigInvalid { .. } => {
                "The single sign-on configuration is invalid.".into()
            }
            OidcError::ConfigMissing => "Single sign-on is not configured.".into(),
            OidcError::DiscoveryFailed { .. } => {
                "Could not load the identity provider's configuration.".into()
            }
            OidcError::DiscoveryInvalid { .. } => {
                "The identity provider's configuration is not usable.".into()
            }
            OidcError::DiscoveryIssuerMismatch { .. } => {
                "The identity provider reports a different issuer than the one configured.".into()
            }
            OidcError::StateMismatch => {
                "This sign-in response does not belong to a sign-in started in this tab.".into()
            }
            OidcError::LoginExpired => "The sign-in took too long and has expired.".into(),
            OidcError::CallbackInvalid { .. } => "The sign-in response is malformed.".into(),
            OidcError::CallbackIssuerMismatch { .. } => {
                "The sign-in response came from an unexpected issuer.".into()
            }
            OidcError::IdpError { error, .. } => {
                format!("The identity provider refused the sign-in ({error}).")
            }
            OidcError::TokenRequestFailed { .. } => {
                "Exchanging the authorization code for tokens failed.".into()
            }
            OidcError::TokenResponseInvalid { .. } => {
                "The identity provider's token response is not usable.".into()
            }
            OidcError::JwksFailed { .. } => {
                "Could not load the identity provider's signing keys.".into()
            }
            OidcError::IdToken(err) => err.title(),
            OidcError::SessionExchangeFailed { .. } => {
                "The server refused to start a session with this sign-in.".into()
            }
            OidcError::Browser { .. } => "This browser is missing something sign-in needs.".into(),
        }
    }

    /// The specifics: values seen, the field at fault.
    pub fn detail(&self) -> String {
        match self {
            OidcError::ConfigInvalid { detail }
            | OidcError::DiscoveryInvalid { detail }
            | OidcError::CallbackInvalid { detail }
            | OidcError::TokenResponseInvalid { detail }
            | OidcError::JwksFailed { detail }
            | OidcError::Browser { detail } => detail.clone(),
            OidcError::ConfigMissing => {
                "GET /api/v1/sso/config answered 404 and there is no sso-config.json.".into()
            }
            OidcError::DiscoveryFailed { url, detail } => format!("{url}: {detail}"),
            OidcError::DiscoveryIssuerMismatch { configured, found } => {
                format!("Configured issuer \"{configured}\", discovery document says \"{found}\".")
            }
            OidcError::StateMismatch => {
                "No pending sign-in matches the response's state parameter.".into()
            }
            OidcError::LoginExpired => "Pending sign-ins are valid for 10 minutes.".into(),
            OidcError::CallbackIssuerMismatch { expected, found } => match found {
                Some(found) => format!("Expected iss \"{expected}\", got \"{found}\"."),
                None => format!(
                    "The provider declares RFC 9207 support but sent no iss (expected \"{expected}\")."
                ),
            },
            OidcError::IdpError { error, description } => match description {
                Some(d) => format!("{error}: {d}"),
                None => error.clone(),
            },
            OidcError::TokenRequestFailed {
                status,
                error,
                description,
            } => {
                let status = status.map_or("no response".to_string(), |s| format!("HTTP {s}"));
                match (error, description) {
                    (Some(e), Some(d)) => format!("{status}, {e}: {d}"),
                    (Some(e), None) => format!("{status}, {e}"),
                    _ => status,
                }
            }
            OidcError::IdToken(err) => err.detail(),
            OidcError::SessionExchangeFailed { code, message } => format!("{code}: {message}"),
        }
    }

    /// The likely cause and the fix, in words an admin can act on.
    pub fn hint(&self) -> String {
        match self {
            OidcError::ConfigInvalid { .. } => {
                "An administrator must correct the SSO settings (OIDC_ISSUER, OIDC_CLIENT_ID).".into()
            }
            OidcError::ConfigMissing => {
                "Set OIDC_ISSUER and OIDC_CLIENT_ID on the server, or place sso-config.json next to index.html.".into()
            }
            OidcError::DiscoveryFailed { .. } => {
                "Check that the issuer URL is right and reachable from this browser. If the browser console reports CORS, the provider must allow this site's origin.".into()
            }
            OidcError::DiscoveryInvalid { .. } => {
                "Check the issuer URL and that the application is an OpenID Connect app with the authorization code flow and PKCE enabled.".into()
            }
            OidcError::DiscoveryIssuerMismatch { found, .. } => format!(
                "Set the issuer to exactly \"{found}\" (issuers are compared character for character, trailing slash included)."
            ),
            OidcError::StateMismatch => {
                "Open the app and sign in again. A sign-in link cannot be reused, opened in another tab, or bookmarked.".into()
            }
            OidcError::LoginExpired => "Sign in again, and finish within 10 minutes.".into(),
            OidcError::CallbackInvalid { .. } => {
                "Sign in again. If it repeats, check the redirect URI registered with the provider.".into()
            }
            OidcError::CallbackIssuerMismatch { .. } => {
                "Sign in again. If it repeats, another identity provider may be answering for this client (mix-up attack protection, RFC 9207).".into()
            }
            OidcError::IdpError { error, .. } => match error.as_str() {
                "access_denied" => "Sign-in was cancelled or refused. Try again, or ask an administrator to assign you to the application.".into(),
                "invalid_scope" => "The provider does not allow one of the requested scopes; an administrator must adjust the extra scopes.".into(),
                "unauthorized_client" | "unsupported_response_type" => "The application registration does not allow this flow; enable the authorization code flow with PKCE for this client.".into(),
                _ => "Try again. If it repeats, an administrator should check the provider's logs for this client.".into(),
            },
            OidcError::TokenRequestFailed { error, .. } => match error.as_deref() {
                Some("invalid_client") => "The provider requires client authentication; register the application as a public client (SPA) with PKCE.".into(),
                Some("invalid_grant") => "The code was already used, has expired, or the redirect URI differs; sign in again.".into(),
                None => "The token endpoint may not allow requests from this site (CORS); allow this origin at the provider.".into(),
                _ => "Sign in again; if it repeats, check the client registration at the provider.".into(),
            },
            OidcError::TokenResponseInvalid { .. } => {
                "Make sure the openid scope is granted so the provider returns an ID token.".into()
            }
            OidcError::JwksFailed { .. } => {
                "Check that the provider's jwks_uri is reachable from this browser (and allows this origin).".into()
            }
            OidcError::IdToken(err) => err.hint(),
            OidcError::SessionExchangeFailed { .. } => {
                "This browser accepted the ID token, but the server did not: check that the clocks of this computer, the server and the identity provider are right, and that the SSO settings did not change during the sign-in. Then sign in again.".into()
            }
            OidcError::Browser { .. } => {
                "Use a current browser with cookies and site data enabled for this site, over https or localhost.".into()
            }
        }
    }
}

impl std::fmt::Display for OidcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} {}", self.code(), self.title(), self.detail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_text_for_each_part() {
        let all = [
            OidcError::ConfigInvalid { detail: "d".into() },
            OidcError::ConfigMissing,
            OidcError::DiscoveryFailed {
                url: "u".into(),
                detail: "d".into(),
            },
            OidcError::StateMismatch,
            OidcError::LoginExpired,
            OidcError::IdpError {
                error: "access_denied".into(),
                description: None,
            },
            OidcError::TokenRequestFailed {
                status: Some(400),
                error: Some("invalid_grant".into()),
                description: None,
            },
            OidcError::IdToken(IdTokenError::BadSignature),
            OidcError::SessionExchangeFailed {
                code: "token_too_old".into(),
                message: "m".into(),
            },
        ];
        for err in all {
            assert!(!err.code().is_empty());
            assert!(err.title().ends_with('.'), "{}", err.title());
            assert!(!err.detail().is_empty(), "{}", err.code());
            assert!(!err.hint().is_empty(), "{}", err.code());
        }
    }

    #[test]
    fn idp_error_shows_the_providers_words() {
        let err = OidcError::IdpError {
            error: "access_denied".into(),
            description: Some("End-User aborted interaction".into()),
        };
        assert_eq!(err.code(), "idp_error");
        assert!(err.title().contains("access_denied"));
        assert_eq!(err.detail(), "access_denied: End-User aborted interaction");
    }
}
