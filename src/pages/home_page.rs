//! `/`: sign in, or a short summary when signed in.

use crate::auth::{browser, use_auth, AuthState, Notice};
use crate::components::{ErrorPanel, SignInButton};
use crate::contract::session::RETURN_TO_PARAM;
use crate::oidc::pending_login::safe_return_path;
use crate::oidc::url::form_decode;
use crate::router::{use_router, Link};
use leptos::prelude::*;

/// `/?return_to=<path>`: where to go after signing in, when another page sent the user here
/// (sso-server's `/oauth2/start?rd=…` for the platform's other apps). Only a path on this
/// origin; sso-server checks `rd` again when the browser gets there.
fn requested_return() -> Option<String> {
    let search = browser::current_search();
    form_decode(search.strip_prefix('?').unwrap_or(&search))
        .into_iter()
        .find(|(key, _)| key == RETURN_TO_PARAM)
        .map(|(_, path)| safe_return_path(&path))
}

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = use_auth();
    // Sent here to sign in: go on by itself, once, to the IdP (or straight back when the
    // session is live already; a cross-site navigation arrives without the cookie).
    if let Some(return_to) = requested_return() {
        let router = use_router();
        let started = StoredValue::new(false);
        Effect::new(move || {
            if started.get_value() {
                return;
            }
            match auth.state.get() {
                AuthState::SignedIn(_) => {
                    started.set_value(true);
                    router.navigate(&return_to, true);
                }
                AuthState::SignedOut { .. } if matches!(auth.config.get(), Some(Ok(_))) => {
                    started.set_value(true);
                    auth.sign_in(return_to.clone());
                }
                _ => {}
            }
        });
    }
    view! {
        <main class="page home-page">
            {move || match auth.state.get() {
                AuthState::SignedIn(session) => {
                    let identity = session.identity;
                    view! {
                        <section class="card" data-testid="identity-summary">
                            <h1>"Welcome, " {identity.display_name().to_string()}</h1>
                            <p>{identity.email.clone().unwrap_or_default()}</p>
                            <p>{format!("{} group(s)", identity.groups.len())}</p>
                            <Link href="/me" class="button button--primary">"View my identity"</Link>
                        </section>
                    }.into_any()
                }
                AuthState::SignedOut { notice } => view! { <SignedOutHome notice=notice/> }.into_any(),
                AuthState::Checking => view! { <Checking/> }.into_any(),
            }}
        </main>
    }
}

/// While the server is asked about the session (a page that came without it).
#[component]
pub fn Checking() -> impl IntoView {
    view! {
        <section class="card" aria-busy="true" data-testid="session-checking">
            <p class="muted">"Checking your session…"</p>
        </section>
    }
}

/// The sign-in card, shared by `/` and pages that need a signed-in user.
#[component]
pub fn SignedOutHome(
    notice: Option<Notice>,
    #[prop(default = "/me")] return_to: &'static str,
) -> impl IntoView {
    let auth = use_auth();
    view! {
        <section class="card sign-in">
            <h1>"Sign in"</h1>
            {notice.map(|n| view! {
                <p class="notice" role="status" data-testid="notice" data-notice-code=n.code()>{n.text()}</p>
            })}
            <p>"Use your organisation's single sign-on account."</p>
            {move || match auth.config.get() {
                None => view! { <p class="muted">"Loading configuration…"</p> }.into_any(),
                Some(Err(err)) => view! { <ErrorPanel error=err/> }.into_any(),
                Some(Ok(_)) => view! { <SignInButton return_to=return_to/> }.into_any(),
            }}
            {move || auth.sign_in_error.get().map(|err| view! { <ErrorPanel error=err/> })}
        </section>
    }
}
