//! The auth context every page reads: the state signal and the runtime config.

use super::browser;
use super::flow;
use super::session::{self, AuthState, Notice, Session};
use super::storage::{SessionStore, NOTICE_KEY, SESSION_KEY, SETUP_TOKEN_KEY};
use crate::config::RuntimeConfig;
use crate::oidc::OidcError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// How often the expiry is checked; a timer would miss a laptop waking from sleep.
const EXPIRY_CHECK: Duration = Duration::from_secs(5);

#[derive(Clone, Copy)]
pub struct AuthContext {
    pub state: RwSignal<AuthState>,
    pub config: LocalResource<Result<RuntimeConfig, OidcError>>,
    /// An error from starting a sign-in (discovery unreachable, say), for the page to show.
    pub sign_in_error: RwSignal<Option<OidcError>>,
    /// Whether the server accepts this tab's credential for the admin API (nav link only;
    /// the server enforces access on every call).
    pub is_admin: LocalResource<bool>,
}

pub fn provide_auth_context() -> AuthContext {
    let initial = match SessionStore::open() {
        Ok(store) => session::restore(&store, browser::now_secs()),
        Err(_) => AuthState::SignedOut { notice: None },
    };
    let state = RwSignal::new(initial);
    let is_admin = LocalResource::new(move || {
        let bearer = SessionStore::open()
            .ok()
            .and_then(|s| s.get(SETUP_TOKEN_KEY))
            .or_else(|| state.with(|s| s.session().map(|s| s.id_token.clone())));
        async move {
            match bearer {
                Some(bearer) => crate::api::client::whoami(&bearer).await.is_ok(),
                None => false,
            }
        }
    });
    let ctx = AuthContext {
        state,
        config: LocalResource::new(flow::load_config),
        sign_in_error: RwSignal::new(None),
        is_admin,
    };
    set_interval(
        move || {
            let expired = ctx.state.with_untracked(|s| {
                s.session()
                    .is_some_and(|s| browser::now_secs() >= s.expires_at)
            });
            if expired {
                ctx.expire_session();
            }
        },
        EXPIRY_CHECK,
    );
    provide_context(ctx);
    ctx
}

pub fn use_auth() -> AuthContext {
    expect_context::<AuthContext>()
}

impl AuthContext {
    /// Starts a sign-in that returns to `return_to`; errors land in `sign_in_error`.
    pub fn sign_in(self, return_to: String) {
        self.sign_in_error.set(None);
        spawn_local(async move {
            let result = match self.config.await {
                Ok(config) => flow::begin_login(&config, &return_to).await,
                Err(err) => Err(err),
            };
            if let Err(err) = result {
                self.sign_in_error.set(Some(err));
            }
        });
    }

    pub fn signed_in(self, session: Session) {
        self.state.set(AuthState::SignedIn(Box::new(session)));
    }

    /// Local sign-out: the session and any half-finished sign-ins are forgotten.
    pub fn sign_out(self) {
        if let Ok(store) = SessionStore::open() {
            store.clear_all();
        }
        self.state.set(AuthState::SignedOut { notice: None });
    }

    /// The ID token reached `exp`. Only the session goes: a sign-in the user already
    /// started in this tab stays valid. The notice survives a reload.
    fn expire_session(self) {
        if let Ok(store) = SessionStore::open() {
            store.remove(SESSION_KEY);
            let _ = store.set_json(NOTICE_KEY, &Notice::SessionExpired);
        }
        self.state.set(AuthState::SignedOut {
            notice: Some(Notice::SessionExpired),
        });
    }
}
