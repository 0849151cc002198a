//! The authorization request (Core 3.1.2.1, RFC 7636 4.3): the URL the browser is sent to.

use super::discovery::ProviderMetadata;
use super::pending_login::{safe_return_path, PendingLogin};
use super::{pkce, random_token, url, BASE_SCOPES, CALLBACK_PATH};

#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizeRequest {
    pub authorization_endpoint: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
}

/// Fresh randomness for one sign-in, from the caller's CSPRNG.
pub struct LoginRandomness {
    pub state: [u8; 32],
    pub nonce: [u8; 32],
    pub verifier: [u8; 32],
}

impl AuthorizeRequest {
    pub fn url(&self) -> String {
        url::with_query(
            &self.authorization_endpoint,
            &[
                ("response_type", "code"),
                ("client_id", &self.client_id),
                ("redirect_uri", &self.redirect_uri),
                ("scope", &self.scope),
                ("state", &self.state),
                ("nonce", &self.nonce),
                ("code_challenge", &self.code_challenge),
                ("code_challenge_method", pkce::METHOD_S256),
            ],
        )
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
    client_id: &str,
    extra_scopes: &[String],
    origin: &str,
    return_to: &str,
    now: u64,
    random: LoginRandomness,
) -> (PendingLogin, AuthorizeRequest) {
    let verifier = pkce::code_verifier(random.verifier);
    let request = AuthorizeRequest {
        authorization_endpoint: metadata.authorization_endpoint().to_string(),
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri(origin),
        scope: scope_string(extra_scopes),
        state: random_token::random_token(random.state),
        nonce: random_token::random_token(random.nonce),
        code_challenge: pkce::code_challenge_s256(&verifier),
    };
    let pending = PendingLogin {
        state: request.state.clone(),
        nonce: request.nonce.clone(),
        code_verifier: verifier,
        return_to: safe_return_path(return_to),
        created_at: now,
        issuer: metadata.issuer.clone(),
        client_id: client_id.to_string(),
        redirect_uri: request.redirect_uri.clone(),
    };
    (pending, request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::discovery::tests::{document, ISSUER};

    fn params(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn builds_a_pkce_authorization_url() {
        let metadata = ProviderMetadata::parse(&document().to_string(), ISSUER).unwrap();
        let random = LoginRandomness {
            state: [1; 32],
            nonce: [2; 32],
            verifier: [3; 32],
        };
        let (pending, request) = prepare(
            &metadata,
            "my-app",
            &["groups".into()],
            "https://app.example/",
            "/",
            100,
            random,
        );
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
        assert_eq!(
            get("code_challenge"),
            Some(pkce::code_challenge_s256(&pending.code_verifier).as_str())
        );
        assert_ne!(pending.state, pending.nonce);
        assert_eq!(pending.return_to, "/me");
        assert_eq!(pending.created_at, 100);
        assert_eq!(pending.issuer, ISSUER);
        // The verifier itself never leaves the browser.
        assert!(!url.contains(&pending.code_verifier));
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
