//! The top bar: where am I, who am I, and the way out.

use crate::auth::storage::{SessionStore, SETUP_TOKEN_KEY};
use crate::auth::{http, use_auth};
use crate::contract::admin::ADMIN_WHOAMI_PATH;
use crate::oidc::json::Object;
use crate::router::Link;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn NavBar() -> impl IntoView {
    let auth = use_auth();
    let is_admin = admin_link();
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
                {move || is_admin.get().then(|| view! {
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

/// Whether to show the admin link (the server enforces access on every call): the server
/// session says, or a setup token entered in this tab is checked with the server.
fn admin_link() -> ReadSignal<bool> {
    let auth = use_auth();
    let (is_admin, set_admin) = signal(false);
    // Each check is numbered, so an answer that arrives after a newer check started (a
    // sign-out, say) is dropped instead of showing a stale link.
    let checks = StoredValue::new(0u32);
    Effect::new(move || {
        let session_admin = auth.state.with(|s| s.session().is_some_and(|s| s.is_admin));
        let check = checks
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or_default();
        if session_admin {
            set_admin.set(true);
            return;
        }
        let Some(token) = SessionStore::open()
            .ok()
            .and_then(|s| s.get(SETUP_TOKEN_KEY))
        else {
            set_admin.set(false);
            return;
        };
        spawn_local(async move {
            let admin = accepts_admin(&token).await;
            if checks.get_value() == check {
                set_admin.set(admin);
            }
        });
    });
    is_admin
}

/// Whether the server accepts `bearer` for the admin API: a 2xx from whoami that is whoami's
/// JSON (a static host answers index.html for every path). No more than that, so the first
/// visit's bundle carries neither gloo-net nor a deserializer for the answer.
async fn accepts_admin(bearer: &str) -> bool {
    http::get_with_bearer(ADMIN_WHOAMI_PATH, bearer)
        .await
        .is_ok_and(|response| {
            (200..300).contains(&response.status)
                && Object::parse(&response.body)
                    .is_ok_and(|who| matches!(who.opt_string("via"), Ok(Some(_))))
        })
}
