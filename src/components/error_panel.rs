//! The one place failures are shown: what happened, why, the fix, and a way out.

use crate::auth::use_auth;
use crate::oidc::OidcError;
use leptos::prelude::*;

#[component]
pub fn ErrorPanel(error: OidcError) -> impl IntoView {
    let auth = use_auth();
    let code = error.code();
    // Keyboard and screen-reader users land on the explanation, not on a stale control.
    let panel = NodeRef::<leptos::html::Section>::new();
    Effect::new(move || {
        if let Some(panel) = panel.get() {
            let _ = panel.focus();
        }
    });
    view! {
        <section class="error-panel" role="alert" tabindex="-1" node_ref=panel
            data-testid="auth-error" data-error-code=code>
            <h2 class="error-panel__title">{error.title()}</h2>
            <p class="error-panel__detail" data-testid="auth-error-detail">{error.detail()}</p>
            <p class="error-panel__hint">{error.hint()}</p>
            <p class="error-panel__code">"Error code: " <code>{code}</code></p>
            <button
                class="button button--primary"
                data-testid="try-again"
                on:click=move |_| auth.sign_in("/me".into())
            >
                "Try again"
            </button>
            " "
            <a class="button" href="/">"Home"</a>
        </section>
    }
}
