//! The two roots: the main app (sign-in, callback, identity, sign-out) and the admin
//! app, each built to its own bundle so a first visit never downloads the admin code.

use crate::auth::provide_auth_context;
use crate::components::{ExpiryWarning, NavBar};
use crate::pages::{HomePage, IdentityPage, LogoutPage, NotFoundPage, OidcCallbackPage};
use crate::router::{provide_router, MAIN_ROUTES};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    provide_auth_context();
    let router = provide_router(MAIN_ROUTES);
    view! {
        <NavBar/>
        <ExpiryWarning/>
        {move || match router.path.get().as_str() {
            "/" => view! { <HomePage/> }.into_any(),
            crate::oidc::CALLBACK_PATH => view! { <OidcCallbackPage/> }.into_any(),
            "/me" => view! { <IdentityPage/> }.into_any(),
            "/logout" => view! { <LogoutPage/> }.into_any(),
            _ => view! { <NotFoundPage/> }.into_any(),
        }}
    }
}
