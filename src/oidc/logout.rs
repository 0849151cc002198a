//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, section 2).
//!
//! `client_id` always identifies us. `id_token_hint` is sent when there is one: with
//! sso-server, the session's ID token, handed back once at sign-out. By then it is spent (the
//! session it made has ended, and the server refuses to trade it twice), so the copy that
//! the GET URL leaves in the history and the IdP's logs opens nothing. Without it, an IdP
//! may ask which account to sign out, and some (Okta) refuse. On a static host there is no
//! hint: the ID token would still be live there.

use super::discovery::ProviderMetadata;
use super::url::{self, HttpUrl};

/// Where the IdP sends the browser after logging out: `{origin}/logout`.
pub fn post_logout_redirect_uri(origin: &str) -> String {
    format!("{}/logout", origin.trim_end_matches('/'))
}

/// The end-session URL, or `None` when the provider does not offer RP-initiated logout
/// (then signing out is local only). `state` comes back on the redirect so a stale
/// return can be recognised.
pub fn end_session_url(
    metadata: &ProviderMetadata,
    client_id: &str,
    origin: &str,
    state: &str,
    id_token_hint: Option<&str>,
) -> Option<String> {
    let endpoint = metadata.end_session_endpoint.as_deref()?;
    HttpUrl::parse(endpoint).ok()?;
    let redirect = post_logout_redirect_uri(origin);
    let mut params = vec![
        ("client_id", client_id),
        ("post_logout_redirect_uri", &redirect),
        ("state", state),
    ];
    if let Some(hint) = id_token_hint {
        params.insert(0, ("id_token_hint", hint));
    }
    Some(url::with_query(endpoint, &params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::discovery::tests::{document, ISSUER};

    #[test]
    fn builds_the_end_session_url_with_and_without_a_hint() {
        let mut doc = document();
        doc["end_session_endpoint"] = "https://idp.example.com/session/end".into();
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        let url = end_session_url(&metadata, "app", "https://app.example/", "st", None).unwrap();
        assert_eq!(
            url,
            "https://idp.example.com/session/end?client_id=app\
             &post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Flogout&state=st"
        );
        assert!(!url.contains("id_token_hint"));
        let url =
            end_session_url(&metadata, "app", "https://app.example", "st", Some("a.b.c")).unwrap();
        assert_eq!(
            url,
            "https://idp.example.com/session/end?id_token_hint=a.b.c&client_id=app\
             &post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Flogout&state=st"
        );
    }

    #[test]
    fn no_endpoint_or_a_bad_one_means_local_logout_only() {
        let metadata = ProviderMetadata::parse(&document().to_string(), ISSUER).unwrap();
        assert_eq!(
            end_session_url(&metadata, "c", "https://a", "s", None),
            None
        );
        let mut doc = document();
        doc["end_session_endpoint"] = "javascript:alert(1)".into();
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        assert_eq!(
            end_session_url(&metadata, "c", "https://a", "s", None),
            None
        );
    }
}
