//! Groups as chips, with a notice when the provider withheld them (Entra overage).

use crate::oidc::{GroupsSource, Identity};
use leptos::prelude::*;

/// Shown when the provider withheld the groups (also by the callback page, `callback_app`).
pub const OVERAGE_NOTICE: &str = "You belong to more groups than the provider puts in a token \
    (Entra ID group overage). Ask an administrator to assign groups to the application, or emit \
    group names via a groups filter, so they fit in the token.";

/// Shown when the ID token has no groups claim of the configured `name`.
pub fn absent_notice(name: &str) -> String {
    format!(
        "The ID token has no \"{name}\" claim. If you expected groups, the provider must be \
         configured to include it."
    )
}

#[component]
pub fn GroupChips(identity: Identity) -> impl IntoView {
    let notice = match &identity.groups_source {
        GroupsSource::Overage => Some(
            view! {
                <p class="identity-card__notice" data-testid="groups-overage" role="status">
                    {OVERAGE_NOTICE}
                </p>
            }
            .into_any(),
        ),
        GroupsSource::Absent { name } => Some(
            view! {
                <p class="identity-card__notice" data-testid="groups-absent">
                    {absent_notice(name)}
                </p>
            }
            .into_any(),
        ),
        GroupsSource::Claim { .. } if identity.groups.is_empty() => {
            Some(view! { <p class="identity-card__muted">"No groups."</p> }.into_any())
        }
        GroupsSource::Claim { .. } => None,
    };
    view! {
        <ul class="identity-card__groups" aria-label="Groups">
            {identity.groups.into_iter().map(|g| view! {
                <li class="chip" data-testid="identity-group">{g}</li>
            }).collect_view()}
        </ul>
        {notice}
    }
}
