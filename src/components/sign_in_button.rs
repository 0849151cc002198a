//! "Sign in with SSO", naming the provider so users know where they are going.

use crate::auth::{flow, use_auth};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn SignInButton(
    #[prop(into)] return_to: String,
    #[prop(default = "Sign in with SSO")] label: &'static str,
) -> impl IntoView {
    let auth = use_auth();
    let host = move || {
        auth.config
            .get()
            .and_then(|c| c.ok())
            .map(|c| c.provider_host())
    };
    Effect::new(move || {
        if let Some(Ok(config)) = auth.config.get() {
            spawn_local(flow::prefetch(config.issuer));
        }
    });
    let (busy, set_busy) = signal(false);
    // A failed start (discovery down) must re-enable the button.
    Effect::new(move || {
        if auth.sign_in_error.get().is_some() {
            set_busy.set(false);
        }
    });
    view! {
        <button
            class="button button--primary button--large"
            data-testid="sign-in"
            disabled=move || busy.get()
            on:click=move |_| {
                set_busy.set(true);
                auth.sign_in(return_to.clone());
            }
        >
            {move || if busy.get() { "Redirecting…" } else { label }}
            {move || host().map(|h| view! { <span class="sign-in__provider">"via " {h}</span> })}
        </button>
    }
}
