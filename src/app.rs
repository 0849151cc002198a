//! The root: auth context, nav bar, and the route table.

use crate::auth::provide_auth_context;
use crate::components::{ExpiryWarning, NavBar};
use crate::pages::{AdminPage, HomePage, IdentityPage, LogoutPage, NotFoundPage, OidcCallbackPage};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    provide_auth_context();
    view! {
        <Router>
            <NavBar/>
            <ExpiryWarning/>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/oidc/callback") view=OidcCallbackPage/>
                <Route path=path!("/me") view=IdentityPage/>
                <Route path=path!("/logout") view=LogoutPage/>
                <Route path=path!("/admin") view=AdminPage/>
            </Routes>
        </Router>
    }
}
