//! `/me`: who the provider says you are, your groups, and the token's facts.

use crate::auth::{browser, use_auth, Session};
use crate::components::GroupChips;
use crate::format::relative_time;
use crate::pages::home_page::SignedOutHome;
use leptos::prelude::*;

#[component]
pub fn IdentityPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <main class="page identity-page">
            {move || match auth.state.get().session() {
                Some(session) => view! { <IdentityCard session=session.clone()/> }.into_any(),
                None => {
                    let notice = match auth.state.get() {
                        crate::auth::AuthState::SignedOut { notice } => notice.map(|n| n.text()),
                        _ => None,
                    };
                    view! { <SignedOutHome notice=notice return_to="/me"/> }.into_any()
                }
            }}
        </main>
    }
}

#[component]
fn IdentityCard(session: Session) -> impl IntoView {
    // Runs once the card is in the DOM: the end of the benchmark's sign-in interval.
    Effect::new(|| browser::mark("sso:identity"));
    let identity = session.identity.clone();
    let now = browser::now_secs();
    let time = |t: u64| format!("{} ({})", browser::local_time(t), relative_time(t, now));
    // `{:#}` is Value's pretty form; the bundle already has that writer for `Display`.
    let raw_claims = format!("{:#}", serde_json::Value::Object(session.claims.clone()));
    let verified = match identity.email_verified {
        Some(true) => ("verified", "badge badge--ok"),
        Some(false) => ("not verified", "badge badge--warn"),
        None => ("verification unknown", "badge"),
    };
    let field = |label: &'static str, testid: &'static str, value: Option<String>| {
        view! {
            <dt>{label}</dt>
            <dd data-testid=testid>{value.unwrap_or_else(|| "—".into())}</dd>
        }
    };
    view! {
        <section class="card identity-card">
            <h1 class="identity-card__title">{identity.display_name().to_string()}</h1>
            <dl class="identity-card__fields">
                {field("Name", "identity-name", identity.name.clone())}
                {field("Username", "identity-username", identity.preferred_username.clone())}
                <dt>"Email"</dt>
                <dd>
                    <span data-testid="identity-email">{identity.email.clone().unwrap_or_else(|| "—".into())}</span>
                    " "
                    <span class=verified.1 data-testid="identity-email-verified">{verified.0}</span>
                </dd>
                {field("Subject", "identity-subject", Some(identity.sub.clone()))}
                {field("Issuer", "identity-issuer", Some(identity.iss.clone()))}
                {field("Issued", "identity-issued", Some(time(session.issued_at)))}
                {field("Expires", "identity-expires", Some(time(session.expires_at)))}
            </dl>
            <h2>"Groups"</h2>
            <GroupChips identity=identity/>
            <h2>"Token"</h2>
            <dl class="identity-card__fields">
                {field("Algorithm", "token-alg", Some(session.header.alg.clone()))}
                {field("Key ID", "token-kid", session.header.kid.clone())}
            </dl>
            <details class="identity-card__raw">
                <summary>"Raw claims"</summary>
                <pre data-testid="raw-claims">{raw_claims}</pre>
            </details>
        </section>
    }
}
