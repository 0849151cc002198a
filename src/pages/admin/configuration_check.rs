//! "Check configuration": fetches the provider's discovery document and keys from this
//! browser, as the sign-in will, and shows `admin::check`'s verdicts with a fix for each.

use super::form::Form;
use crate::admin::check::{check_discovery, check_jwks, CheckItem, CheckTarget, Fetched, Status};
use crate::auth::{browser, http};
use crate::contract::settings::{AUTH_METHOD, ISSUER};
use crate::oidc::discovery::discovery_url;
use crate::oidc::url::check_issuer;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Fetches from the browser as the sign-in will, telling CORS apart from "down".
async fn fetch_for_check(url: &str) -> Fetched {
    match http::get(url, true).await {
        Ok(response) => Fetched::Response {
            status: response.status,
            body: response.body,
        },
        Err(err) => {
            if http::reachable_without_cors(url).await {
                Fetched::CorsBlocked
            } else {
                Fetched::Unreachable(err.0)
            }
        }
    }
}

#[component]
pub fn ConfigurationCheck(form: Form) -> impl IntoView {
    let results = RwSignal::new(None::<Vec<CheckItem>>);
    let checking = RwSignal::new(false);
    let run = move |_| {
        checking.set(true);
        spawn_local(async move {
            let issuer = form.input(&ISSUER).get_untracked().trim().to_string();
            let auth_method = form.input(&AUTH_METHOD).get_untracked();
            let scopes = form.scope_list();
            let origin = browser::origin().unwrap_or_default();
            let items = match check_issuer(&issuer) {
                Err(problem) => vec![CheckItem {
                    id: "issuer",
                    status: Status::Fail,
                    text: format!("The issuer URL {}.", problem.describe()),
                    fix: Some("Enter the issuer as an absolute https URL.".into()),
                }],
                Ok(_) => {
                    let target = CheckTarget {
                        issuer: &issuer,
                        auth_method: &auth_method,
                        extra_scopes: &scopes,
                        origin: &origin,
                    };
                    let (mut items, keys) =
                        check_discovery(&target, &fetch_for_check(&discovery_url(&issuer)).await);
                    if let Some((jwks_uri, algs)) = keys {
                        items.push(check_jwks(
                            &jwks_uri,
                            &origin,
                            &algs,
                            &fetch_for_check(&jwks_uri).await,
                        ));
                    }
                    items
                }
            };
            results.set(Some(items));
            checking.set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"Check configuration"</h2>
            <p class="muted">"Fetches the provider's discovery document and keys from this browser, as sign-in will. Checks what is typed above, saved or not."</p>
            <button type="button" class="button" data-testid="check-config" on:click=run disabled=move || checking.get()>
                {move || if checking.get() { "Checking…" } else { "Check configuration" }}
            </button>
            {move || results.get().map(|items| view! {
                <ul class="checklist" data-testid="check-results">
                    {items.into_iter().map(|i| view! {
                        <li class=format!("checklist__item checklist__item--{}", i.status.id())
                            data-testid="check-item" data-check-id=i.id data-status=i.status.id()>
                            <span class="checklist__status">{i.status.id()}</span>
                            " " {i.text}
                            {i.fix.map(|f| view! { <div class="checklist__fix">"Fix: " {f}</div> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}
