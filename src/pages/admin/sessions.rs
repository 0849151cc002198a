//! The live sessions, each with **Sign out**, and **Sign out everyone else**.

use crate::api::client::{self, Credential};
use crate::api::ApiError;
use crate::auth::browser;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Sessions(credential: Credential, audit_refresh: RwSignal<u32>) -> impl IntoView {
    let credential = StoredValue::new(credential);
    let refresh = RwSignal::new(0u32);
    let problem = RwSignal::new(None::<String>);
    let list = LocalResource::new(move || {
        refresh.track();
        let credential = credential.get_value();
        async move { client::sessions(&credential).await }
    });
    let after = move |result: Result<(), ApiError>| {
        problem.set(result.err().map(|e| e.message()));
        refresh.update(|n| *n += 1);
        audit_refresh.update(|n| *n += 1);
    };
    let end_one = move |id: i64| {
        spawn_local(async move {
            after(client::end_session(&credential.get_value(), id).await);
        });
    };
    let end_others = move |_| {
        spawn_local(async move {
            after(
                client::end_other_sessions(&credential.get_value())
                    .await
                    .map(|_| ()),
            );
        });
    };
    let now = browser::now_secs();
    let time = move |t: u64| {
        format!(
            "{} ({})",
            browser::local_time(t),
            crate::format::relative_time(t, now)
        )
    };
    view! {
        <section class="card" data-testid="admin-sessions">
            <h2>"Sessions"</h2>
            {move || problem.get().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
            {move || match list.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(err)) => view! { <p class="notice">{err.message()}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="audit">
                        <thead><tr><th>"User"</th><th>"Signed in"</th><th>"Last used"</th><th>"Expires"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {list.sessions.into_iter().map(|s| {
                                let id = s.id;
                                let label = format!("Sign out {}", s.user);
                                view! {
                                    <tr data-testid="session-row" data-session-user=s.user.clone()>
                                        <td>{s.user.clone()} {s.current.then_some(" (you)")}</td>
                                        <td>{time(s.signed_in_at)}</td>
                                        <td>{time(s.last_used_at)}</td>
                                        <td>{time(s.expires_at)}</td>
                                        <td>
                                            <button type="button" class="button button--small" aria-label=label
                                                data-testid="session-sign-out" on:click=move |_| end_one(id)>
                                                "Sign out"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <button type="button" class="button" data-testid="sign-out-others" on:click=end_others>
                "Sign out everyone else"
            </button>
        </section>
    }
}
