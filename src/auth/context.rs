//! The auth context every page reads: the state signal and the runtime config, plus the
//! session's life: where it lives (the server, or this tab on a static host), the clock that
//! notices its end, the checks on focus, and sign-out across this browser's tabs.

use super::browser;
use super::config_slot::ConfigSlot;
use super::flow;
use super::server_session::{self, Lookup};
use super::session::{self, AuthState, Notice, PageSession, Session};
use super::storage::{SessionStore, NOTICE_KEY, SESSION_KEY};
use crate::contract::session::SESSION_ELEMENT_ID;
use crate::oidc::OidcError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// How often the end of the session is checked; a one-shot timer would miss a laptop
/// waking from sleep. It is a single comparison, so once a second costs nothing.
const CLOCK_TICK: Duration = Duration::from_secs(1);

/// The session's end is announced this long before it.
pub const EXPIRY_WARNING_SECS: u64 = 120;

/// Past the session's end, the server is asked at most this often (a clock ahead of the
/// server's would otherwise ask every tick).
const RECHECK_SECS: u64 = 5;

/// Same-origin tabs hear each other's sign-out on this channel.
pub(crate) const CHANNEL_NAME: &str = "sso-web";
pub(crate) const SIGNED_OUT_MESSAGE: &str = "signed-out";

thread_local! {
    static CHANNEL: Option<web_sys::BroadcastChannel> =
        web_sys::BroadcastChannel::new(CHANNEL_NAME).ok();
}

/// Where the session lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keeper {
    /// Not known until the settings arrive (a page without sso-server's data blocks).
    Unknown,
    /// sso-server: an HttpOnly cookie; the app holds only what the server says.
    Server,
    /// A static host: this tab's sessionStorage, until the ID token's `exp`.
    Tab,
}

#[derive(Clone, Copy)]
pub struct AuthContext {
    pub state: RwSignal<AuthState>,
    pub config: ConfigSlot,
    /// An error from a sign-in (discovery unreachable, or the server refused the session),
    /// for the signed-out page to show.
    pub sign_in_error: RwSignal<Option<OidcError>>,
    /// Unix seconds, ticking once a second: drives the expiry warning.
    pub now: RwSignal<u64>,
    keeper: StoredValue<Keeper>,
    /// Bumped by every local change of the session (sign-in, sign-out): an answer that was
    /// asked for before one is stale, and dropped.
    epoch: StoredValue<u32>,
    /// When the server was last asked (unix seconds).
    last_check: StoredValue<u64>,
}

pub fn provide_auth_context() -> AuthContext {
    let page =
        browser::element_text(SESSION_ELEMENT_ID).map(|text| session::read_page_block(&text));
    let (initial, keeper, ask) = match page {
        Some(PageSession::Known(state)) => (state, Keeper::Server, false),
        Some(PageSession::Unknown) => (AuthState::Checking, Keeper::Server, true),
        None => {
            let state = match SessionStore::open() {
                Ok(store) => session::restore(&store, browser::now_secs()),
                Err(_) => AuthState::SignedOut { notice: None },
            };
            (state, Keeper::Unknown, false)
        }
    };
    let state = RwSignal::new(initial);
    let ctx = AuthContext {
        state,
        config: ConfigSlot::load(),
        sign_in_error: RwSignal::new(None),
        now: RwSignal::new(browser::now_secs()),
        keeper: StoredValue::new(keeper),
        epoch: StoredValue::new(0),
        last_check: StoredValue::new(0),
    };
    // The callback is about to make a session: asking for one there would only compete
    // with the token request (the callback page asks itself when it has nothing to do).
    let at_callback = matches!(
        browser::current_path().as_str(),
        crate::oidc::CALLBACK_PATH | crate::contract::session::CALLBACK_DOCUMENT
    );
    if ask && !at_callback {
        ctx.check_with_server();
    }
    if keeper == Keeper::Unknown {
        // Settings from the server's API mean a server session; from sso-config.json, not.
        spawn_local(async move {
            if let Ok(config) = ctx.config.await {
                if config.from_server {
                    if let Ok(store) = SessionStore::open() {
                        store.remove(SESSION_KEY);
                    }
                    ctx.keeper.set_value(Keeper::Server);
                    ctx.check_with_server();
                } else {
                    ctx.keeper.set_value(Keeper::Tab);
                }
            }
        });
    }
    set_interval(move || ctx.tick(), CLOCK_TICK);
    listen_for_sign_out(ctx);
    listen_for_focus(ctx);
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

/// A tab that comes back to the front asks the server: its session may have been ended
/// (or begun) elsewhere meanwhile.
fn listen_for_focus(ctx: AuthContext) {
    let on_focus = move || {
        if ctx.keeper.get_value() == Keeper::Server
            && browser::now_secs() > ctx.last_check.get_value()
        {
            ctx.check_with_server();
        }
    };
    // The window's `focus` comes with switching to the tab as well as to the window.
    std::mem::forget(window_event_listener(leptos::ev::focus, move |_| {
        on_focus()
    }));
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

    /// Whether the session is the server's.
    pub fn server_session(self) -> bool {
        self.keeper.get_value() == Keeper::Server
    }

    /// Asks the server for the session and shows what it says, unless the session changed
    /// locally meanwhile. Passive: it does not count as a use of the session.
    pub fn check_with_server(self) {
        let mark = self.epoch.get_value();
        self.last_check.set_value(browser::now_secs());
        spawn_local(async move {
            let answer = server_session::fetch().await;
            if self.epoch.get_value() != mark {
                return;
            }
            match answer {
                Lookup::Live(session) => self.state.set(AuthState::SignedIn(session)),
                Lookup::Ended(notice) => {
                    // A tab already signed out keeps what it shows.
                    let was_in = self
                        .state
                        .with_untracked(|s| !matches!(s, AuthState::SignedOut { .. }));
                    if was_in {
                        self.state.set(AuthState::SignedOut { notice });
                    }
                }
                Lookup::Unavailable => {
                    if self.state.with_untracked(|s| *s == AuthState::Checking) {
                        self.state.set(AuthState::SignedOut { notice: None });
                    }
                }
            }
        });
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
        flow::note_sign_out();
        if let Ok(store) = SessionStore::open() {
            store.clear_all();
        }
        self.bump();
        self.state.set(AuthState::SignedOut { notice });
    }

    /// Another tab signed out: drop this tab's view of the session only; its pending
    /// sign-ins, setup token and logout state are its own business.
    fn drop_session_for_another_tab(self) {
        flow::note_sign_out();
        if let Ok(store) = SessionStore::open() {
            store.remove(SESSION_KEY);
        }
        self.bump();
        self.state.set(AuthState::SignedOut { notice: None });
    }

    fn bump(self) -> u32 {
        self.epoch
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or_default()
    }

    /// Seconds left before the session ends, when that is within the warning window.
    pub fn expires_soon(self) -> Option<u64> {
        let now = self.now.get();
        self.state.with(|s| {
            s.session()
                .map(|s| s.ends_at().saturating_sub(now))
                .filter(|left| *left <= EXPIRY_WARNING_SECS)
        })
    }

    fn tick(self) {
        let now = browser::now_secs();
        self.now.set(now);
        let ended = self
            .state
            .with_untracked(|s| s.session().is_some_and(|s: &Session| now >= s.ends_at()));
        if !ended {
            return;
        }
        match self.keeper.get_value() {
            // The server decides (and says why); asked again only every few seconds.
            Keeper::Server => {
                if now >= self.last_check.get_value().saturating_add(RECHECK_SECS) {
                    self.check_with_server();
                }
            }
            Keeper::Tab | Keeper::Unknown => self.expire_session(),
        }
    }

    /// The ID token reached `exp` (static host). Only the session goes: a sign-in the user
    /// already started in this tab stays valid. The notice survives a reload.
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
