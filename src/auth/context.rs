//! The auth context every page reads: the state signal and the runtime config, plus
//! the session's life: the expiry clock and sign-out across this browser's tabs.

use super::browser;
use super::config_slot::ConfigSlot;
use super::flow;
use super::session::{self, AuthState, Notice, Session};
use super::storage::{SessionStore, NOTICE_KEY, SESSION_KEY, SETUP_TOKEN_KEY};
use crate::oidc::OidcError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// How often the expiry is checked; a one-shot timer would miss a laptop waking from
/// sleep. It is a single comparison, so once a second costs nothing.
const CLOCK_TICK: Duration = Duration::from_secs(1);

/// The session's end is announced this long before `exp`.
pub const EXPIRY_WARNING_SECS: u64 = 120;

/// Same-origin tabs hear each other's sign-out on this channel. (sessionStorage is per
/// tab, so each tab has its own copy of the session to drop.)
const CHANNEL_NAME: &str = "sso-web";
const SIGNED_OUT_MESSAGE: &str = "signed-out";

thread_local! {
    static CHANNEL: Option<web_sys::BroadcastChannel> =
        web_sys::BroadcastChannel::new(CHANNEL_NAME).ok();
}

#[derive(Clone, Copy)]
pub struct AuthContext {
    pub state: RwSignal<AuthState>,
    pub config: ConfigSlot,
    /// An error from starting a sign-in (discovery unreachable, say), for the page to show.
    pub sign_in_error: RwSignal<Option<OidcError>>,
    /// Whether the server accepts this tab's credential for the admin API (nav link only;
    /// the server enforces access on every call). False until it answers.
    pub is_admin: RwSignal<bool>,
    /// Unix seconds, ticking once a second: drives the expiry warning.
    pub now: RwSignal<u64>,
    /// Counts sign-outs, so a sign-in that was in flight when one happened is dropped
    /// instead of resurrecting the session.
    sign_outs: StoredValue<u32>,
}

pub fn provide_auth_context() -> AuthContext {
    let initial = match SessionStore::open() {
        Ok(store) => session::restore(&store, browser::now_secs()),
        Err(_) => AuthState::SignedOut { notice: None },
    };
    let state = RwSignal::new(initial);
    let is_admin = RwSignal::new(false);
    // Each check is numbered, so an answer that arrives after a newer check started (a
    // sign-out, say) is dropped instead of showing a stale link.
    let admin_checks = StoredValue::new(0u32);
    Effect::new(move || {
        // Read the state first, so that signing out re-runs this even when a setup
        // token (which is not reactive) takes precedence.
        let id_token = state.with(|s| s.session().map(|s| s.id_token.clone()));
        let bearer = SessionStore::open()
            .ok()
            .and_then(|s| s.get(SETUP_TOKEN_KEY))
            .or(id_token);
        let check = admin_checks
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or_default();
        let Some(bearer) = bearer else {
            is_admin.set(false);
            return;
        };
        spawn_local(async move {
            let admin = crate::api::client::accepts_admin(&bearer).await;
            if admin_checks.get_value() == check {
                is_admin.set(admin);
            }
        });
    });
    let ctx = AuthContext {
        state,
        config: ConfigSlot::load(),
        sign_in_error: RwSignal::new(None),
        is_admin,
        now: RwSignal::new(browser::now_secs()),
        sign_outs: StoredValue::new(0),
    };
    set_interval(
        move || {
            let now = browser::now_secs();
            ctx.now.set(now);
            let expired = ctx
                .state
                .with_untracked(|s| s.session().is_some_and(|s| now >= s.expires_at));
            if expired {
                ctx.expire_session();
            }
        },
        CLOCK_TICK,
    );
    listen_for_sign_out(ctx);
    provide_context(ctx);
    ctx
}

fn listen_for_sign_out(ctx: AuthContext) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.data().as_string().as_deref() == Some(SIGNED_OUT_MESSAGE) {
                ctx.drop_session_for_another_tab();
            }
        });
    CHANNEL.with(|channel| {
        if let Some(channel) = channel {
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        }
    });
    // Lives as long as the app (one listener per page load).
    on_message.forget();
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

    /// Keeps and shows the session, unless a sign-out happened since `mark` (in this
    /// tab or another): then the late result is dropped. Returns whether it was kept.
    pub fn signed_in(self, session: Session, mark: u32) -> bool {
        if self.sign_outs.get_value() != mark {
            return false;
        }
        let saved = SessionStore::open().and_then(|store| session::save(&store, &session));
        if saved.is_err() {
            return false;
        }
        self.state.set(AuthState::SignedIn(Box::new(session)));
        true
    }

    /// Sign-out in this tab and, through the channel, every other tab of this origin.
    pub fn sign_out(self) {
        self.forget_session(None);
        CHANNEL.with(|channel| {
            if let Some(channel) = channel {
                let _ = channel.post_message(&SIGNED_OUT_MESSAGE.into());
            }
        });
    }

    /// Local only: the session and any half-finished sign-ins are forgotten.
    fn forget_session(self, notice: Option<Notice>) {
        if let Ok(store) = SessionStore::open() {
            store.clear_all();
        }
        self.sign_outs.update_value(|n| *n += 1);
        self.state.set(AuthState::SignedOut { notice });
    }

    /// Another tab signed out: drop this tab's copy of the session only; its pending
    /// sign-ins, setup token and logout state are its own business.
    fn drop_session_for_another_tab(self) {
        if let Ok(store) = SessionStore::open() {
            store.remove(SESSION_KEY);
        }
        self.sign_outs.update_value(|n| *n += 1);
        self.state.set(AuthState::SignedOut { notice: None });
    }

    /// A mark to pass to [`signed_in`](Self::signed_in) for a sign-in started now.
    pub fn sign_out_mark(self) -> u32 {
        self.sign_outs.get_value()
    }

    /// Seconds left before the session ends, when that is within the warning window.
    pub fn expires_soon(self) -> Option<u64> {
        let now = self.now.get();
        self.state.with(|s| {
            s.session()
                .map(|s| s.expires_at.saturating_sub(now))
                .filter(|left| *left <= EXPIRY_WARNING_SECS)
        })
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
