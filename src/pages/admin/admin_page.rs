//! The page: asks the server who the credential belongs to, then shows the sign-in, a refusal
//! or the editor. The credential is the setup token when one was entered in this tab, else
//! the session cookie.

use super::admin_sign_in::AdminSignIn;
use super::settings_editor::SettingsEditor;
use crate::api::client;
use crate::api::ApiError;
use crate::auth::storage::{SessionStore, SETUP_TOKEN_KEY};
use crate::auth::use_auth;
use crate::contract::admin::Via;
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    let setup_token = RwSignal::new(
        SessionStore::open()
            .ok()
            .and_then(|s| s.get(SETUP_TOKEN_KEY)),
    );
    let rejected = RwSignal::new(None::<String>);
    // `None`: nothing to try. `Some(None)`: the session cookie.
    let credential = Memo::new(move |_| match setup_token.get() {
        Some(token) => Some(Some(token)),
        None => auth.state.with(|s| s.session().is_some()).then_some(None),
    });
    let who = LocalResource::new(move || {
        let credential = credential.get();
        async move {
            match credential {
                None => None,
                Some(c) => Some(client::whoami(&c).await.map(|who| (who, c))),
            }
        }
    });
    // A rejected setup token is forgotten, so the ID token (if any) gets its turn.
    Effect::new(move || {
        if let Some(Some(Err(ApiError::Unauthenticated(message)))) = who.get() {
            if setup_token.get_untracked().is_some() {
                if let Ok(store) = SessionStore::open() {
                    store.remove(SETUP_TOKEN_KEY);
                }
                setup_token.set(None);
            }
            rejected.set(Some(message));
        }
    });

    view! {
        <main class="page admin-page">
            {move || match who.get() {
                None => view! { <p class="muted">"Checking your access…"</p> }.into_any(),
                Some(None) | Some(Some(Err(ApiError::Unauthenticated(_)))) => {
                    view! { <AdminSignIn setup_token=setup_token rejected=rejected/> }.into_any()
                }
                Some(Some(Err(ApiError::NotAdmin(message)))) => view! {
                    <section class="card" data-testid="not-admin">
                        <h1>"Not an administrator"</h1>
                        <p>"You are signed in, but SSO settings are only for administrators."</p>
                        <p class="muted">{message}</p>
                        <p>"If you should have access, ask an administrator to add you to an admin group at the identity provider, then sign out and in again."</p>
                    </section>
                }.into_any(),
                Some(Some(Err(other))) => view! {
                    <section class="error-panel" role="alert" data-testid="admin-error">
                        <h2 class="error-panel__title">"The admin API is unavailable."</h2>
                        <p>{other.message()}</p>
                    </section>
                }.into_any(),
                Some(Some(Ok((who, credential)))) => {
                    let via = match who.via {
                        Via::SetupToken => "setup token".to_string(),
                        Via::Sso => who.name.or(who.subject).unwrap_or_else(|| "SSO".into()),
                    };
                    view! { <SettingsEditor credential=credential via=via/> }.into_any()
                }
            }}
        </main>
    }
}
