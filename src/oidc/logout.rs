//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, section 2).
//!
//! The request is POSTed (the OP MUST accept POST): `id_token_hint` is a live bearer
//! credential until `exp`, and a GET would leave it in the browser's history and the
//! IdP's access logs.

use super::discovery::ProviderMetadata;
use super::url::HttpUrl;

/// Where the IdP sends the browser after logging out: `{origin}/logout`.
pub fn post_logout_redirect_uri(origin: &str) -> String {
    format!("{}/logout", origin.trim_end_matches('/'))
}

#[derive(Debug, Clone, PartialEq)]
pub struct EndSessionRequest {
    pub endpoint: String,
    /// Form fields, in order.
    pub params: Vec<(&'static str, String)>,
}

/// The end-session request, or `None` when the provider does not offer RP-initiated
/// logout (then signing out is local only). `id_token_hint` lets the IdP skip asking
/// "which account?"; `state` comes back on the redirect so a stale return is recognised.
pub fn end_session_request(
    metadata: &ProviderMetadata,
    id_token_hint: &str,
    client_id: &str,
    origin: &str,
    state: &str,
) -> Option<EndSessionRequest> {
    let endpoint = metadata.end_session_endpoint.as_deref()?;
    HttpUrl::parse(endpoint).ok()?;
    Some(EndSessionRequest {
        endpoint: endpoint.to_string(),
        params: vec![
            ("id_token_hint", id_token_hint.to_string()),
            ("client_id", client_id.to_string()),
            ("post_logout_redirect_uri", post_logout_redirect_uri(origin)),
            ("state", state.to_string()),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::discovery::tests::{document, ISSUER};

    #[test]
    fn builds_the_end_session_request() {
        let mut doc = document();
        doc["end_session_endpoint"] = "https://idp.example.com/session/end".into();
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        let request =
            end_session_request(&metadata, "a.b.c", "app", "https://app.example/", "st").unwrap();
        assert_eq!(request.endpoint, "https://idp.example.com/session/end");
        assert_eq!(
            request.params,
            vec![
                ("id_token_hint", "a.b.c".to_string()),
                ("client_id", "app".to_string()),
                (
                    "post_logout_redirect_uri",
                    "https://app.example/logout".to_string()
                ),
                ("state", "st".to_string()),
            ]
        );
    }

    #[test]
    fn no_endpoint_or_a_bad_one_means_local_logout_only() {
        let metadata = ProviderMetadata::parse(&document().to_string(), ISSUER).unwrap();
        assert_eq!(
            end_session_request(&metadata, "t", "c", "https://a", "s"),
            None
        );
        let mut doc = document();
        doc["end_session_endpoint"] = "javascript:alert(1)".into();
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        assert_eq!(
            end_session_request(&metadata, "t", "c", "https://a", "s"),
            None
        );
    }
}
