//! The top bar: where am I, who am I, and the way out.

use crate::auth::use_auth;
use crate::router::Link;
use leptos::prelude::*;

#[component]
pub fn NavBar() -> impl IntoView {
    let auth = use_auth();
    let name = move || {
        auth.state
            .with(|s| s.session().map(|s| s.identity.display_name().to_string()))
    };
    view! {
        <header class="nav-bar">
            <Link href="/" class="nav-bar__brand">"sso-web"</Link>
            <nav class="nav-bar__links" aria-label="Main">
                <Link href="/me">"My identity"</Link>
                // A full page load: /admin is served with the wider connect-src that
                // "Check configuration" needs to reach a not-yet-saved provider.
                {move || (auth.is_admin.get()).then(|| view! {
                    <a href="/admin" rel="external" data-testid="nav-admin">"Admin"</a>
                })}
            </nav>
            <div class="nav-bar__user">
                {move || name().map(|n| view! {
                    <span class="nav-bar__name">{n}</span>
                    <a class="button button--small" href="/logout" data-testid="sign-out">"Sign out"</a>
                })}
            </div>
        </header>
    }
}
