//! The URLs to register at the identity provider, with copy buttons.

use crate::auth::browser;
use crate::components::CopyValue;
use crate::oidc::CALLBACK_PATH;
use leptos::prelude::*;

#[component]
pub fn RegisterUrls() -> impl IntoView {
    let origin = browser::origin().unwrap_or_default();
    view! {
        <section class="card">
            <h2>"Register these with your identity provider"</h2>
            <dl class="identity-card__fields">
                <dt>"Callback (redirect) URL"</dt>
                <dd><CopyValue value=format!("{origin}{CALLBACK_PATH}") testid="callback-url"/></dd>
                <dt>"Sign-out URL"</dt>
                <dd><CopyValue value=format!("{origin}/logout") testid="logout-url"/></dd>
                <dt>"Scopes to allow"</dt>
                <dd><code>"openid"</code>", "<code>"profile"</code>", "<code>"email"</code></dd>
            </dl>
            <p class="muted">"Add both URLs for every host name this instance is reached at (each is a different origin to the provider), and allow this origin for CORS."</p>
        </section>
    }
}
