//! The admin bundle's root: `/admin` only (see `app.rs` for why it is separate).

use crate::auth::provide_auth_context;
use crate::components::{ExpiryWarning, NavBar};
use crate::pages::AdminPage;
use crate::router::{provide_router, ADMIN_ROUTES};
use leptos::prelude::*;

#[component]
pub fn AdminApp() -> impl IntoView {
    provide_auth_context();
    provide_router(ADMIN_ROUTES);
    view! {
        <NavBar/>
        <ExpiryWarning/>
        <AdminPage/>
    }
}
