//! The two-minute warning before the ID token expires.

use crate::auth::use_auth;
use leptos::prelude::*;

#[component]
pub fn ExpiryWarning() -> impl IntoView {
    let auth = use_auth();
    move || {
        auth.expires_soon().map(|left| {
            let text = if left >= 60 {
                format!("Your session ends in {} min {} s.", left / 60, left % 60)
            } else {
                format!("Your session ends in {left} s.")
            };
            view! {
                // role=timer: assistive tech does not announce each tick.
                <div class="expiry-warning" role="timer" data-testid="expiry-warning">
                    <span>{text} " Sign in again to keep working."</span>
                    <button type="button" class="button button--small"
                        on:click=move |_| auth.sign_in("/me".into())>"Sign in again"</button>
                </div>
            }
        })
    }
}
