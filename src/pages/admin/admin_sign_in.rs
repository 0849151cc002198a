//! Before access: sign in through SSO, or enter the setup token (kept only in this tab).

use crate::auth::storage::{SessionStore, SETUP_TOKEN_KEY};
use crate::auth::use_auth;
use crate::components::SignInButton;
use leptos::prelude::*;

#[component]
pub fn AdminSignIn(
    setup_token: RwSignal<Option<String>>,
    rejected: RwSignal<Option<String>>,
) -> impl IntoView {
    let auth = use_auth();
    let typed = RwSignal::new(String::new());
    let signed_in = move || auth.state.with(|s| s.session().is_some());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = typed.get_untracked().trim().to_string();
        if token.is_empty() {
            return;
        }
        if let Ok(store) = SessionStore::open() {
            let _ = store.set(SETUP_TOKEN_KEY, &token);
        }
        rejected.set(None);
        setup_token.set(Some(token));
    };
    view! {
        <section class="card">
            <h1>"SSO settings"</h1>
            {move || rejected.get().map(|m| view! {
                <p class="notice" role="alert" data-testid="admin-rejected">{m}</p>
            })}
            {move || (!signed_in()).then(|| view! {
                <p>"Administrators sign in through SSO. Before SSO works, or to recover from a broken configuration, use the setup token."</p>
                <SignInButton return_to="/admin"/>
            })}
            <form class="admin-form__setup" on:submit=submit>
                <label for="setup-token">"Use setup token"</label>
                <input id="setup-token" type="password" autocomplete="off" data-testid="setup-token-input"
                    prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                <button type="submit" class="button" data-testid="use-setup-token">"Use setup token"</button>
                <p class="muted">"Printed once by sso-server at its first start (or set with SSO_BOOTSTRAP_TOKEN). It is kept only in this tab."</p>
            </form>
        </section>
    }
}
