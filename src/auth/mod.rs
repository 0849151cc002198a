//! Browser glue and sign-in state: the thin layer between `oidc` (pure) and the pages.

pub mod browser;
pub mod config_slot;
pub mod context;
pub mod flow;
pub mod http;
pub mod server_session;
pub mod session;
pub mod storage;
pub mod webcrypto;

pub use context::{provide_auth_context, use_auth, AuthContext};
pub use session::{AuthState, Notice, Session};
