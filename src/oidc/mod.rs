//! The OpenID Connect relying-party protocol, pure: no browser, no UI, no clock, no RNG.
//!
//! Time (`now`, unix seconds) and randomness (`[u8; 32]`) are arguments, and signature
//! checking goes through [`SignatureVerifier`], so every rule runs in host tests.

pub mod authorize;
pub mod b64;
pub mod callback;
pub mod discovery;
pub mod error;
pub mod id_token;
pub mod identity;
pub mod json;
pub mod jwks;
pub mod jwt;
pub mod logout;
pub mod nonce;
pub mod pending_login;
pub mod pkce;
pub mod random_token;
pub mod token;
pub mod url;

pub use authorize::AuthorizeRequest;
pub use callback::CallbackParams;
pub use discovery::ProviderMetadata;
pub use error::OidcError;
pub use id_token::{IdTokenClaims, IdTokenError, IdTokenExpectations, SignatureVerifier};
pub use identity::{GroupsSource, Identity};
pub use jwks::Jwks;
pub use pending_login::PendingLogin;
pub use token::TokenResponse;

use serde::{Deserialize, Serialize};

/// How the authorization response comes back (OIDC Core 3.1 and 3.2, OAuth 2.0 Form Post).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Authorization code + PKCE; the code arrives in the query.
    #[default]
    Code,
    /// Implicit, `response_type=id_token`, POSTed by the IdP (via the server's bridge).
    ImplicitFormPost,
    /// Implicit, `response_type=id_token`, in the URL fragment (static hosting).
    ImplicitFragment,
}

impl Flow {
    pub fn response_type(self) -> &'static str {
        match self {
            Flow::Code => "code",
            Flow::ImplicitFormPost | Flow::ImplicitFragment => "id_token",
        }
    }

    pub fn response_mode(self) -> Option<&'static str> {
        match self {
            Flow::Code => None,
            Flow::ImplicitFormPost => Some("form_post"),
            Flow::ImplicitFragment => Some("fragment"),
        }
    }

    pub fn is_implicit(self) -> bool {
        self != Flow::Code
    }

    /// The name stored with a pending login (serde's `snake_case` spelling).
    pub fn name(self) -> &'static str {
        match self {
            Flow::Code => "code",
            Flow::ImplicitFormPost => "implicit_form_post",
            Flow::ImplicitFragment => "implicit_fragment",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Flow::Code, Flow::ImplicitFormPost, Flow::ImplicitFragment]
            .into_iter()
            .find(|flow| flow.name() == name)
    }
}

/// The scopes every sign-in asks for (OIDC Core 5.4); configured extras are appended.
pub const BASE_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// The path the IdP redirects back to, relative to the app's origin.
pub const CALLBACK_PATH: &str = "/oidc/callback";
