//! The audit history: who changed what, who signed in and out, whose session was ended.

use crate::api::client::{self, Credential};
use crate::contract::admin::AuditPage;
use leptos::prelude::*;

#[component]
pub fn AuditHistory(bearer: Credential, refresh: RwSignal<u32>) -> impl IntoView {
    let bearer = StoredValue::new(bearer);
    let page = LocalResource::new(move || {
        refresh.track();
        let bearer = bearer.get_value();
        async move { client::audit(&bearer, None).await }
    });
    view! {
        <section class="card">
            <h2>"Audit history"</h2>
            {move || match page.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(err)) => view! { <p class="notice">{err.message()}</p> }.into_any(),
                Some(Ok(AuditPage { entries, .. })) if entries.is_empty() => {
                    view! { <p class="muted" data-testid="audit-empty">"No changes yet."</p> }.into_any()
                }
                Some(Ok(AuditPage { entries, .. })) => view! {
                    <table class="audit" data-testid="audit">
                        <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Version"</th></tr></thead>
                        <tbody>
                            {entries.into_iter().map(|e| {
                                let what = e.summary();
                                view! {
                                    <tr data-testid="audit-entry" data-event=e.event.as_str()>
                                        <td>{e.at}</td>
                                        <td title=e.actor_id.clone().unwrap_or_default()>{e.actor}</td>
                                        <td>{what}</td>
                                        <td>{e.version}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
