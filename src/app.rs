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
                // The callback's own bundle was not served here (a static host's SPA
                // fallback, or a build without it): hand the response (query, fragment, or a
                // form_post page's fields, as a fragment) to the callback bundle's page. Same
                // origin, and it replaces this history entry.
                let fragment = crate::auth::flow::form_post_fields()
                    .map(|form| format!("#{form}"))
                    .unwrap_or_else(crate::auth::browser::location_hash);
                let _ = crate::auth::browser::replace_away(&format!(
                    "{}{}{fragment}",
                    crate::contract::session::CALLBACK_DOCUMENT,
                    crate::auth::browser::current_search(),
                ));
                ().into_any()
            }
            "/me" => view! { <IdentityPage/> }.into_any(),
            "/logout" => view! { <LogoutPage/> }.into_any(),
            _ => view! { <NotFoundPage/> }.into_any(),
        }}
    }
}
