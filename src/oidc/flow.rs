//! How a sign-in travels (OIDC Core 3.1 and 3.2, OAuth 2.0 Form Post), and the constants
//! every flow shares: the base scopes and the redirect path.

/// How the authorization response comes back (OIDC Core 3.1 and 3.2, OAuth 2.0 Form Post).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
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
