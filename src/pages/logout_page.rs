//! `/logout`: local sign-out, then RP-initiated logout at the IdP when it offers one;
//! also where the IdP returns to, and what front-channel logout loads in a frame.

use crate::auth::storage::{SessionStore, LOGOUT_STATE_KEY};
use crate::auth::{browser, flow, use_auth, AuthContext, Notice};
use crate::components::SignInButton;
use crate::oidc::logout::end_session_url;
use crate::oidc::random_token::random_token;
use crate::oidc::url::form_decode;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    /// On the way to the IdP's end_session_endpoint.
    LeavingForIdp,
    SignedOut {
        idp_too: bool,
    },
}

#[component]
pub fn LogoutPage() -> impl IntoView {
    let auth = use_auth();
    if browser::in_frame() {
        // Front-channel logout: this context's storage is partitioned from the user's
        // tabs, so this clears what it can reach; see docs/flows.md.
        auth.sign_out();
        return view! { <p data-testid="frontchannel-logout">"Signed out."</p> }.into_any();
    }
    // The router updates the address before it renders a page, so this is /logout's own.
    let returned_state = form_decode(browser::current_search().trim_start_matches('?'))
        .into_iter()
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value);
    let session = auth.state.with_untracked(|s| s.session().cloned());

    // Read before sign_out() clears this tab's storage.
    let expected_state = SessionStore::open()
        .ok()
        .and_then(|s| s.get(LOGOUT_STATE_KEY));
    if session.is_some() {
        // Only a tab that holds a session signs out (and tells the others): a reload of
        // /logout, or the return from the IdP to a tab whose session already went, must
        // not end a session another tab has started since.
        auth.sign_out();
    }
    let phase = RwSignal::new(match (&returned_state, &session) {
        // Back from the IdP. A missing or foreign state changes nothing: we are signed out
        // locally either way, and there is nowhere further to send the user.
        (Some(state), _) => {
            if let Ok(store) = SessionStore::open() {
                store.remove(LOGOUT_STATE_KEY);
            }
            browser::replace_url("/logout");
            Phase::SignedOut {
                idp_too: expected_state.as_deref() == Some(state.as_str()),
            }
        }
        (None, Some(_)) => Phase::LeavingForIdp,
        (None, None) => Phase::SignedOut { idp_too: false },
    });
    if returned_state.is_none() && session.is_some() {
        spawn_local(async move {
            if leave_for_idp(auth).await.is_none() {
                phase.set(Phase::SignedOut { idp_too: false });
            }
        });
    }

    view! {
        <main class="page logout-page">
            {move || match phase.get() {
                Phase::LeavingForIdp => view! {
                    <section class="card" aria-busy="true" data-testid="signing-out">
                        <div class="spinner" aria-hidden="true"></div>
                        <p>"Signing you out at your identity provider…"</p>
                    </section>
                }.into_any(),
                Phase::SignedOut { idp_too } => view! {
                    <section class="card" data-testid="signed-out">
                        <h1>{Notice::SignedOut.text()}</h1>
                        <p>{if idp_too {
                            "You were also signed out at your identity provider."
                        } else {
                            "Your session in this browser was cleared. Your identity provider may still remember you."
                        }}</p>
                        <SignInButton return_to="/me" label="Sign in again"/>
                    </section>
                }.into_any(),
            }}
        </main>
    }
    .into_any()
}

/// Leaves for the end-session endpoint; `None` when the IdP offers none.
async fn leave_for_idp(auth: AuthContext) -> Option<()> {
    let config = auth.config.await.ok()?;
    let metadata = flow::fetch_metadata(&config.issuer).await.ok()?;
    let state = random_token(browser::random_bytes().ok()?);
    let origin = browser::origin().ok()?;
    let url = end_session_url(&metadata, &config.client_id, &origin, &state)?;
    SessionStore::open()
        .ok()?
        .set(LOGOUT_STATE_KEY, &state)
        .ok()?;
    browser::navigate_away(&url).ok()
}
