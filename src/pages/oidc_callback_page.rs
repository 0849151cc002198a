//! `/oidc/callback`: finishes the sign-in, scrubs code and state from the URL, moves on.

use crate::auth::{flow, use_auth};
use crate::components::ErrorPanel;
use crate::oidc::{OidcError, CALLBACK_PATH};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

#[component]
pub fn OidcCallbackPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    // Read once, then erase: the code must not survive in the address bar or history.
    let query = crate::auth::browser::current_search();
    crate::auth::browser::replace_url(CALLBACK_PATH);
    let error = RwSignal::new(None::<OidcError>);

    spawn_local(async move {
        let result = match auth.config.await {
            Ok(config) => flow::complete_login(&config, &query).await,
            Err(err) => Err(err),
        };
        match result {
            Ok((session, return_to)) => {
                auth.signed_in(session);
                navigate(
                    &return_to,
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
            Err(err) => error.set(Some(err)),
        }
    });

    view! {
        <main class="page callback-page">
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
