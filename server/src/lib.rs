//! sso-server: serves the sso-web SPA with a strict CSP, its runtime SSO config at /api/v1/sso/config, the form_post bridge at POST /oidc/callback, the token relay at /api/v1/sso/token, the admin settings API under /api/v1/admin, and /healthz.

pub mod admin;
pub mod api;
pub mod auth;
pub mod body;
pub mod callback;
pub mod config;
pub mod csp;
pub mod error;
pub mod forward_auth;
pub mod http;
pub mod idp;
pub mod relay;
pub mod session;
pub mod settings;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod store;

mod app;

use std::io::Write as _;

use crate::error::AdminError;
use crate::store::StoreError;

pub use app::app;
pub use startup::{reset_setup_token, reset_setup_token_from_env, run_from_env, serve};
pub use state::{AppState, SetupToken};

/// Runs blocking store work off the async runtime; a store failure is
/// logged here and answered as a plain 500.
pub async fn blocking<T, F>(work: F) -> Result<T, AdminError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e @ StoreError::Unavailable(_))) => {
            log(&format!("sso-server: store: {e}"));
            Err(AdminError::StoreUnavailable)
        }
        Ok(Err(e)) => {
            log(&format!("sso-server: store: {e}"));
            Err(AdminError::Internal)
        }
        Err(e) => {
            log(&format!("sso-server: settings store task failed: {e}"));
            Err(AdminError::Internal)
        }
    }
}

/// `eprintln!` panics when stderr is a closed pipe; a log line is not worth a
/// failed request.
pub(crate) fn log(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
