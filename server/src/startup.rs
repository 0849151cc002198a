//! Start-up and the sub-commands: the configuration from the process environment, the store,
//! the listener, the setup token shown once; serving until a signal; `reset-setup-token`.

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::auth::{self, hash_token};
use crate::config::{Config, DEFAULT_DATABASE};
use crate::error::StartupError;
use crate::state::SetupToken;
use crate::store::Store;
use crate::{app, http, log, session, AppState};

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve<F>(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    state.warm_up();
    session::spawn_purge(Arc::clone(&state));
    let limits = state.limits.clone();
    http::serve::serve(listener, app(state), &limits, shutdown).await
}

/// The whole program: config from the process env, open the store, bind,
/// announce (and show a new setup token once), serve until SIGTERM or Ctrl-C.
pub async fn run_from_env() -> Result<(), StartupError> {
    let config = Config::from_process_env()?;
    let state = Arc::new(AppState::new(&config)?);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartupError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartupError::Bind {
        addr: config.listen,
        source,
    })?;
    let setup = match state.ensure_setup_token()? {
        SetupToken::FromEnv => {
            "sso-server: setup token: the value of SSO_BOOTSTRAP_TOKEN".to_owned()
        }
        SetupToken::Created(token) => format!("sso-server: setup token (shown once): {token}"),
        SetupToken::Exists => "sso-server: setup token already created; run \"sso-server reset-setup-token\" to make a new one".to_owned(),
    };
    let sso = match &state.current().sso {
        Some(sso) => format!("issuer {}, client {}", sso.issuer, sso.client_id),
        None => "SSO not configured yet: set it in the admin page with the setup token, or the SPA uses its static sso-config.json".to_owned(),
    };
    let _ = writeln!(
        std::io::stdout().lock(),
        "{setup}\nsso-server listening on http://{addr} ({sso})"
    );
    serve(listener, state, shutdown_signal())
        .await
        .map_err(StartupError::Serve)?;
    log("sso-server: stopped");
    Ok(())
}

/// `sso-server reset-setup-token`: replaces the stored setup token with a
/// new one and returns it. Needs only SSO_DATABASE, so it works even while
/// the rest of the environment is broken, and while the server runs (which
/// accepts the new token at once).
pub fn reset_setup_token_from_env() -> Result<(String, bool), StartupError> {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(|v| v.to_string_lossy().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let database =
        PathBuf::from(var("SSO_DATABASE").unwrap_or_else(|| DEFAULT_DATABASE.to_owned()));
    let token = reset_setup_token(&database)?;
    Ok((token, var("SSO_BOOTSTRAP_TOKEN").is_some()))
}

pub fn reset_setup_token(database: &Path) -> Result<String, StartupError> {
    let store = Store::open(database)?;
    let token = auth::generate_setup_token().map_err(StartupError::Random)?;
    store.replace_setup_token(&hash_token(&token))?;
    Ok(token)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    log("sso-server: shutting down, finishing open requests");
}
