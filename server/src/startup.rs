//! Start-up and the sub-commands: the configuration from the process environment, the store,
//! the listener, the setup token shown once; serving until a signal; `reset-setup-token`.

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::auth::{self, hash_token};
use crate::config::{Config, Database};
use crate::error::StartupError;
use crate::state::SetupToken;
use crate::{app, http, log, session, state, store, AppState};

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
    state::spawn_settings_watch(Arc::clone(&state));
    let limits = state.limits.clone();
    http::serve::serve(listener, app(state), &limits, shutdown).await
}

/// The whole program: config from the process env, open the store, bind,
/// announce (and show a new setup token once), serve until SIGTERM or Ctrl-C.
pub async fn run_from_env() -> Result<(), StartupError> {
    let config = Config::from_process_env()?;
    // The store's clients block (PostgreSQL's waits on the network): off the async runtime.
    let opened = config.clone();
    let state = Arc::new(off_runtime(move || AppState::new(&opened)).await?);
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
    let setup_state = Arc::clone(&state);
    let setup = match off_runtime(move || setup_state.ensure_setup_token()).await? {
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
        "{setup}\nsso-server listening on http://{addr} ({sso}; {})",
        state.store.describe()
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
    let database = Database::parse(env_var("SSO_DATABASE").as_deref())?;
    let token = reset_setup_token(&database)?;
    Ok((token, env_var("SSO_BOOTSTRAP_TOKEN").is_some()))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var_os(name)
        .map(|v| v.to_string_lossy().trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub fn reset_setup_token(database: &Database) -> Result<String, StartupError> {
    let store = store::open(database)?;
    let token = auth::generate_setup_token().map_err(StartupError::Random)?;
    store.replace_setup_token(&hash_token(&token))?;
    Ok(token)
}

/// What `migrate-store` copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub version: u64,
    pub audit_entries: usize,
    pub sessions: usize,
}

/// `sso-server migrate-store --from <sqlite path> --to <postgres url>`: copies every row (the
/// settings and their version, the audit history, the setup token's hash, the sessions and
/// the traded ID tokens) into a store that holds nothing yet, in one transaction.
pub fn migrate_store(from: &str, to: &str) -> Result<Migrated, StartupError> {
    let from = Database::parse(Some(from))?;
    let to = Database::parse(Some(to))?;
    if let Database::Sqlite(path) = &from {
        // Opening would create an empty file: a mistyped path must not look like a success.
        if !path.exists() {
            return Err(StartupError::MigrateSourceMissing {
                path: path.to_owned(),
            });
        }
    }
    let dump = store::open(&from)?.export()?;
    store::open(&to)?.import(&dump)?;
    Ok(Migrated {
        version: dump.settings.version,
        audit_entries: dump.audit.len(),
        sessions: dump.sessions.len(),
    })
}

/// Runs blocking start-up work (opening the store) off the async runtime.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StartupError> + Send + 'static,
) -> Result<T, StartupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StartupError::Serve(std::io::Error::other(e.to_string())))?
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
