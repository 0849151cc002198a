//! The authorization request (Core 3.1.2.1 and 3.2.2.1, RFC 7636 4.3, OAuth 2.0 Form Post
//! Response Mode): the URL the browser is sent to.

use super::discovery::ProviderMetadata;
use super::flow::{Flow, BASE_SCOPES, CALLBACK_PATH};
use super::nonce::NonceBinding;
use super::pending_login::{safe_return_path, PendingLogin};
use super::pkce::{self, Pkce};
use super::{random_token, url};

#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizeRequest {
    pub authorization_endpoint: String,
    pub flow: Flow,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub nonce: String,
    /// PKCE; only for the code flow.
    pub code_challenge: Option<String>,
}

/// The client side of a sign-in: who we are and how the answer should come back.
pub struct LoginSettings<'a> {
    pub client_id: &'a str,
    pub extra_scopes: &'a [String],
    pub flow: Flow,
    /// This app's origin; the redirect URI is `{origin}/oidc/callback`.
    pub origin: &'a str,
}

/// Fresh randomness for one sign-in, from the caller's CSPRNG, and what is hashed from it:
/// the PKCE pair (used by the code flow only) and the nonce with its secret.
pub struct LoginRandomness {
    pub state: [u8; 32],
    pub nonce: NonceBinding,
    pub pkce: Pkce,
}

impl AuthorizeRequest {
    pub fn url(&self) -> String {
        let mut params = vec![
            ("response_type", self.flow.response_type()),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            // Required for the implicit flow (Core 3.2.2.1), always sent for the code flow.
            ("nonce", &self.nonce),
        ];
        if let Some(mode) = self.flow.response_mode() {
            params.push(("response_mode", mode));
        }
        if let Some(challenge) = &self.code_challenge {
            params.push(("code_challenge", challenge));
            params.push(("code_challenge_method", pkce::METHOD_S256));
        }
        url::with_query(&self.authorization_endpoint, &params)
    }
}

/// `openid profile email` then each configured extra once, in order.
pub fn scope_string(extra: &[String]) -> String {
    let mut scopes: Vec<&str> = BASE_SCOPES.to_vec();
    for scope in extra.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.join(" ")
}

pub fn redirect_uri(origin: &str) -> String {
    format!("{}{CALLBACK_PATH}", origin.trim_end_matches('/'))
}

/// Everything a sign-in needs: the record to keep and the request to send.
pub fn prepare(
    metadata: &ProviderMetadata,
    settings: &LoginSettings<'_>,
    return_to: &str,
    now: u64,
    random: LoginRandomness,
) -> (PendingLogin, AuthorizeRequest) {
    let pkce = (!settings.flow.is_implicit()).then_some(random.pkce);
    let request = AuthorizeRequest {
        authorization_endpoint: metadata.authorization_endpoint().to_string(),
        flow: settings.flow,
        client_id: settings.client_id.to_string(),
        redirect_uri: redirect_uri(settings.origin),
        scope: scope_string(settings.extra_scopes),
        state: random_token::random_token(random.state),
        nonce: random.nonce.nonce,
        code_challenge: pkce.as_ref().map(|p| p.challenge.clone()),
    };
    let pending = PendingLogin {
        state: request.state.clone(),
        nonce: request.nonce.clone(),
        nonce_secret: random.nonce.secret,
        code_verifier: pkce.map(|p| p.verifier).unwrap_or_default(),
        return_to: safe_return_path(return_to),
        created_at: now,
        issuer: metadata.issuer.clone(),
        client_id: settings.client_id.to_string(),
        redirect_uri: request.redirect_uri.clone(),
        flow: settings.flow,
    };
    (pending, request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::discovery::tests::{document, ISSUER};

    fn params(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        crate::oidc::url::form_decode(query)
    }

    #[test]
    fn builds_a_pkce_authorization_url() {
        let metadata = ProviderMetadata::parse(&document().to_string(), ISSUER).unwrap();
        let random = LoginRandomness {
            state: [1; 32],
            nonce: crate::oidc::nonce::tests::test_binding([2; 32]),
            pkce: pkce::test_pkce([3; 32]),
        };
        let extra = ["groups".to_string()];
        let settings = LoginSettings {
            client_id: "my-app",
            extra_scopes: &extra,
            flow: Flow::Code,
            origin: "https://app.example/",
        };
        let (pending, request) = prepare(&metadata, &settings, "/", 100, random);
        let url = request.url();
        assert!(url.starts_with("https://idp.example.com/authorize?"));
        let p = params(&url);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some("my-app"));
        assert_eq!(
            get("redirect_uri"),
            Some("https://app.example/oidc/callback")
        );
        assert_eq!(get("scope"), Some("openid profile email groups"));
        assert_eq!(get("state"), Some(pending.state.as_str()));
        assert_eq!(get("nonce"), Some(pending.nonce.as_str()));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        // The challenge is the S256 of the verifier kept for the token request.
        use sha2::{Digest, Sha256};
        let challenge = crate::oidc::b64::encode(&Sha256::digest(&pending.code_verifier));
        assert_eq!(get("code_challenge"), Some(challenge.as_str()));
        assert_ne!(pending.state, pending.nonce);
        // The nonce is the S256 of the secret kept for the session exchange, which never
        // leaves the browser with the request.
        let nonce = crate::oidc::b64::encode(&Sha256::digest(&pending.nonce_secret));
        assert_eq!(pending.nonce, nonce);
        assert!(!url.contains(&pending.nonce_secret));
        assert_eq!(pending.return_to, "/me");
        assert_eq!(pending.created_at, 100);
        assert_eq!(pending.issuer, ISSUER);
        // The verifier itself never leaves the browser.
        assert!(!url.contains(&pending.code_verifier));
    }

    #[test]
    fn builds_an_implicit_request_with_its_response_mode_and_no_pkce() {
        let metadata = ProviderMetadata::parse(&document().to_string(), ISSUER).unwrap();
        for (flow, mode) in [
            (Flow::ImplicitFormPost, "form_post"),
            (Flow::ImplicitFragment, "fragment"),
        ] {
            let random = LoginRandomness {
                state: [4; 32],
                nonce: crate::oidc::nonce::tests::test_binding([5; 32]),
                pkce: pkce::test_pkce([6; 32]),
            };
            let settings = LoginSettings {
                client_id: "app",
                extra_scopes: &[],
                flow,
                origin: "https://app.example",
            };
            let (pending, request) = prepare(&metadata, &settings, "/admin", 1, random);
            let p = params(&request.url());
            let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            assert_eq!(get("response_type"), Some("id_token"));
            assert_eq!(get("response_mode"), Some(mode));
            assert_eq!(get("nonce"), Some(pending.nonce.as_str()));
            assert_eq!(get("state"), Some(pending.state.as_str()));
            assert_eq!(get("code_challenge"), None);
            assert_eq!(pending.flow, flow);
            assert_eq!(pending.code_verifier, "");
            assert_eq!(pending.return_to, "/admin");
        }
    }

    #[test]
    fn scopes_are_deduplicated_and_trimmed() {
        assert_eq!(scope_string(&[]), "openid profile email");
        assert_eq!(
            scope_string(&[
                "email".into(),
                " offline_access ".into(),
                "".into(),
                "offline_access".into()
            ]),
            "openid profile email offline_access"
        );
    }
}
