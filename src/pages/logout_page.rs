//! `/logout`: local sign-out, then RP-initiated logout at the IdP when it offers one;
//! also where the IdP returns to, and what front-channel logout loads in a frame.

use crate::auth::{browser, flow, use_auth, Notice};
use crate::components::SignInButton;
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
    let signed_in = auth.state.with_untracked(|s| s.session().is_some());

    // Back from the IdP. A missing or foreign state changes nothing: we are signed out
    // locally either way, and there is nowhere further to send the user.
    let ours = returned_state
        .as_deref()
        .is_some_and(flow::returned_from_logout);
    let phase = RwSignal::new(match &returned_state {
        Some(_) => {
            browser::replace_url("/logout");
            Phase::SignedOut { idp_too: ours }
        }
        None if signed_in => Phase::LeavingForIdp,
        None => Phase::SignedOut { idp_too: false },
    });
    // Only a tab that holds a session signs out (and tells the others). Back from our own
    // sign-out at the IdP it does not: a session shown then was started since, in another
    // tab. A stray return (a foreign state) signs out here, without another trip to the IdP.
    if signed_in && !ours {
        let to_idp = returned_state.is_none();
        spawn_local(async move {
            if flow::sign_out_everywhere(auth, to_idp).await.is_none() {
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
