//! "set by OIDC_ISSUER": the variable that locks a field.

use leptos::prelude::*;

#[component]
pub fn EnvBadge(field: &'static str, locked: Signal<Option<String>>) -> impl IntoView {
    move || {
        locked.get().map(|var| view! {
            <span class="badge badge--env" data-testid=format!("env-badge-{field}")>{format!("set by {var}")}</span>
        })
    }
}
