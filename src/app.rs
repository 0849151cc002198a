//! The main bundle's root: sign-in, identity, sign-out. The callback (`callback_app.rs`) and
//! the admin page (`admin_app.rs`) are bundles of their own, so a first visit downloads
//! neither.

use crate::auth::provide_auth_context;
use crate::components::{ExpiryWarning, NavBar};
use crate::pages::{HomePage, IdentityPage, LogoutPage, NotFoundPage};
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
            crate::oidc::CALLBACK_PATH => {
                // A static host's SPA fallback served this page at the callback: hand the
                // response (query or fragment, as it is) to the callback bundle's page. Same
                // origin, and it replaces this history entry.
                let _ = crate::auth::browser::replace_away(&format!(
                    "{}{}{}",
                    crate::contract::session::CALLBACK_DOCUMENT,
                    crate::auth::browser::current_search(),
                    crate::auth::browser::location_hash(),
                ));
                ().into_any()
            }
            "/me" => view! { <IdentityPage/> }.into_any(),
            "/logout" => view! { <LogoutPage/> }.into_any(),
            _ => view! { <NotFoundPage/> }.into_any(),
        }}
    }
}
