//! The OpenID Connect relying-party protocol, pure: no browser, no UI, no clock, no RNG.
//!
//! Time (`now`, unix seconds) and randomness (`[u8; 32]`) are arguments, and signature
//! checking goes through [`SignatureVerifier`], so every rule runs in host tests.

pub mod authorize;
pub mod b64;
pub mod callback;
pub mod discovery;
pub mod error;
pub mod flow;
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
pub use error::{IdTokenError, OidcError};
pub use flow::{Flow, BASE_SCOPES, CALLBACK_PATH};
pub use id_token::{IdTokenClaims, IdTokenExpectations, SignatureVerifier};
pub use identity::{GroupsSource, Identity};
pub use jwks::Jwks;
pub use pending_login::PendingLogin;
pub use token::TokenResponse;
