//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, section 2).
//!
//! No `id_token_hint` is sent: the ID token is a live bearer credential until `exp`, and
//! in the GET URL the spec uses it would stay in the browser's history and the IdP's
//! access logs. `client_id` identifies us instead (section 2 allows either); the cost is
//! that the IdP may ask the user which account to sign out. (A POST would keep the hint
//! out of URLs, but a cross-site POST carries no SameSite=Lax session cookie, so many
//! IdPs could not end the session it names.)

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
) -> Option<String> {
    let endpoint = metadata.end_session_endpoint.as_deref()?;
    HttpUrl::parse(endpoint).ok()?;
    Some(url::with_query(
        endpoint,
        &[
            ("client_id", client_id),
            (
                "post_logout_redirect_uri",
                &post_logout_redirect_uri(origin),
            ),
            ("state", state),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::discovery::tests::{document, ISSUER};

    #[test]
    fn builds_the_end_session_url_without_the_id_token() {
        let mut doc = document();
        doc["end_session_endpoint"] = "https://idp.example.com/session/end".into();
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        let url = end_session_url(&metadata, "app", "https://app.example/", "st").unwrap();
        assert_eq!(
            url,
            "https://idp.example.com/session/end?client_id=app\
             &post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Flogout&state=st"
        );
        assert!(!url.contains("id_token_hint"));
    }

    #[test]
    fn no_endpoint_or_a_bad_one_means_local_logout_only() {
        let metadata = ProviderMetadata::parse(&document().to_string(), ISSUER).unwrap();
        assert_eq!(end_session_url(&metadata, "c", "https://a", "s"), None);
        let mut doc = document();
        doc["end_session_endpoint"] = "javascript:alert(1)".into();
        let metadata = ProviderMetadata::parse(&doc.to_string(), ISSUER).unwrap();
        assert_eq!(end_session_url(&metadata, "c", "https://a", "s"), None);
    }
}
