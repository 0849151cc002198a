//! The callback bundle's root: `/oidc/callback` (the sign-in's second half: the token
//! request, the ID token's validation, the exchange for the server session), and `/me` and
//! `/` where it lands. Its own bundle, so a first visit downloads none of that (docs/performance.md);
//! the sign-in button warms the browser's cache with it.

use crate::auth::provide_auth_context;
use crate::components::{ExpiryWarning, NavBar};
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

/// Where the callback bundle's page is in the build (`dist/callback/index.html`).
pub const CALLBACK_DOCUMENT: &str = "/callback/index.html";
