//! `/oidc/callback`: finishes the sign-in, scrubs the response from the URL, moves on.

use crate::auth::context::Shown;
use crate::auth::flow::{self, CallbackOutcome};
use crate::auth::server_session::Lookup;
use crate::auth::AuthState;
use crate::auth::{browser, use_auth};
use crate::components::ErrorPanel;
use crate::oidc::{OidcError, CALLBACK_PATH};
use crate::router::use_router;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn OidcCallbackPage() -> impl IntoView {
    let auth = use_auth();
    let router = use_router();
    // Read once, then erase: a code or token must not survive in the address bar or
    // history. The implicit flow answers in the fragment (the server's form_post bridge
    // moves the POSTed fields there), the code flow in the query.
    let query = browser::current_search();
    let fragment = form_post_fields().unwrap_or_else(browser::current_fragment);
    browser::replace_url(CALLBACK_PATH);
    let error = RwSignal::new(None::<OidcError>);

    spawn_local(async move {
        let signed_in = auth.state.with_untracked(|s| s.session().is_some());
        let result = match auth.config.await {
            // The flow decides where the response is: a stray fragment must not hide a
            // code, and an implicit response is never read from the query.
            Ok(config) => {
                let response = if config.flow().is_implicit() {
                    &fragment
                } else {
                    &query
                };
                flow::complete_login(&config, response, signed_in).await
            }
            Err(err) => Err(err),
        };
        match result {
            Ok(CallbackOutcome::SignedIn(done)) => {
                let return_to = done.return_to.clone();
                match auth.show_sign_in(*done) {
                    Shown::Dropped => router.navigate("/", true),
                    Shown::Kept => router.navigate(&return_to, true),
                    // The identity shows at once, unless the page is another bundle's
                    // (/admin): that is a page load, which would cancel the exchange.
                    Shown::Exchange(pending) if router.renders(&return_to) => {
                        router.navigate(&return_to, true);
                        let _ = auth.exchange(pending).await;
                    }
                    Shown::Exchange(pending) => match auth.exchange(pending).await {
                        Ok(()) => router.navigate(&return_to, true),
                        Err(err) => error.set(Some(err)),
                    },
                }
            }
            Ok(CallbackOutcome::NothingToDo) => {
                if auth.server_session() {
                    auth.check_with_server();
                }
                router.navigate("/", true)
            }
            // A spent response (the back button) while the server session is live: go home.
            Err(OidcError::StateMismatch) if auth.server_session() => {
                match crate::auth::server_session::fetch().await {
                    Lookup::Live(session) => {
                        auth.state.set(AuthState::SignedIn(session));
                        router.navigate("/", true);
                    }
                    _ => error.set(Some(OidcError::StateMismatch)),
                }
            }
            Err(err) => error.set(Some(err)),
        }
    });

    view! {
        <main class="page callback-page">
            <h1 class="visually-hidden">"Signing in"</h1>
            {move || match error.get() {
                Some(err) => view! { <ErrorPanel error=err/> }.into_any(),
                None => view! {
                    <section class="card" aria-busy="true" data-testid="callback-progress">
                        <div class="spinner" aria-hidden="true"></div>
                        <p>"Completing sign-in…"</p>
                    </section>
                }.into_any(),
            }}
        </main>
    }
}

/// A form_post response that sso-server put in the page (`contract::session::FORM_POST_ELEMENT_ID`):
/// the fields, form-encoded as a fragment response would carry them.
pub fn form_post_fields() -> Option<String> {
    let text = browser::element_text(crate::contract::session::FORM_POST_ELEMENT_ID)?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .as_str()
        .map(str::to_string)
}
