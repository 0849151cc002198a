//! The settings as the pages see them: a signal to render from and a future to await.
//!
//! This replaces a `LocalResource`. Leptos's async machinery behind it (AsyncDerived with
//! its async lock and event listeners) was about 25 KB of the bundle for one value that
//! sso-server usually hands over synchronously, in the page itself.

use super::flow;
use crate::contract::config::SsoConfig;
use crate::oidc::OidcError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub type ConfigResult = Result<SsoConfig, OidcError>;

#[derive(Clone, Copy)]
pub struct ConfigSlot {
    value: RwSignal<Option<ConfigResult>>,
    /// Tasks awaiting the settings while they load from the network.
    waiters: StoredValue<Vec<Waker>>,
}

impl ConfigSlot {
    /// Loads the settings: at once when the page carries them, else in the background.
    pub fn load() -> Self {
        let slot = Self::empty();
        match flow::config_in_page() {
            Some(result) => slot.value.set(Some(result)),
            None => spawn_local(async move { slot.fill(flow::fetch_config().await) }),
        }
        slot
    }

    /// A slot that waits for [`fill`](Self::fill) (the tests fill it by hand).
    pub fn empty() -> Self {
        ConfigSlot {
            value: RwSignal::new(None),
            waiters: StoredValue::new(Vec::new()),
        }
    }

    /// Sets the settings and wakes every task awaiting them.
    pub fn fill(self, result: ConfigResult) {
        self.value.set(Some(result));
        let waiters = self.waiters.try_update_value(std::mem::take);
        for waker in waiters.into_iter().flatten() {
            waker.wake();
        }
    }

    /// The settings, `None` while they load; tracked, so views follow the load.
    pub fn get(self) -> Option<ConfigResult> {
        self.value.get()
    }
}

/// `slot.await` gives the settings once they are loaded.
impl IntoFuture for ConfigSlot {
    type Output = ConfigResult;
    type IntoFuture = Loaded;

    fn into_future(self) -> Loaded {
        Loaded(self)
    }
}

pub struct Loaded(ConfigSlot);

impl Future for Loaded {
    type Output = ConfigResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConfigResult> {
        let slot = self.0;
        match slot.value.get_untracked() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waiters
                    .update_value(|waiters| waiters.push(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}
