//! The callback bundle's root: `/oidc/callback` (the sign-in's second half: the token
//! request, the ID token's validation, the exchange for the server session), and `/me` and
//! `/` where it lands. Its own bundle, so a first visit downloads none of that
//! (docs/performance.md); the pages with a sign-in button prefetch it
//! (`scripts/link-callback.mjs`).

use crate::auth::provide_auth_context;
use crate::components::{ExpiryWarning, NavBar};
use crate::contract::session::CALLBACK_DOCUMENT;
use crate::oidc::CALLBACK_PATH;
use crate::pages::{HomePage, IdentityPage, NotFoundPage, OidcCallbackPage};
use crate::router::{provide_router, CALLBACK_ROUTES};
use leptos::prelude::*;

#[component]
pub fn CallbackApp() -> impl IntoView {
    provide_auth_context();
    let router = provide_router(CALLBACK_ROUTES);
    view! {
        <NavBar/>
        <ExpiryWarning/>
        {move || match router.path.get().as_str() {
            // Also its own address, where a static host's SPA fallback sends the response
            // (`MainApp`'s trampoline).
            CALLBACK_PATH | CALLBACK_DOCUMENT => view! { <OidcCallbackPage/> }.into_any(),
            "/me" => view! { <IdentityPage/> }.into_any(),
            "/" => view! { <HomePage/> }.into_any(),
            _ => view! { <NotFoundPage/> }.into_any(),
        }}
    }
}
