//! `/me`: who the provider says you are, your groups, and the token's facts.

use crate::auth::{browser, use_auth, AuthState, Session};
use crate::components::GroupChips;
use crate::format::relative_time;
use crate::pages::home_page::{Checking, SignedOutHome};
use leptos::prelude::*;

#[component]
pub fn IdentityPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <main class="page identity-page">
            {move || match auth.state.get() {
                AuthState::SignedIn(session) => view! { <IdentityCard session=*session/> }.into_any(),
                AuthState::SignedOut { notice } => {
                    view! { <SignedOutHome notice=notice return_to="/me"/> }.into_any()
                }
                AuthState::Checking => view! { <Checking/> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn IdentityCard(session: Session) -> impl IntoView {
    // Runs once the card is in the DOM: the end of the benchmark's sign-in interval.
    Effect::new(|| browser::mark("sso:identity"));
    let identity = session.identity.clone();
    let token = &session.id_token;
    let CardText {
        issued,
        expires,
        ends,
        verified,
        raw_claims,
    } = CardText::of(&session);
    let field = |label: &'static str, testid: &'static str, value: Option<String>| {
        view! {
            <dt>{label}</dt>
            <dd data-testid=testid>{value.unwrap_or_else(|| "—".into())}</dd>
        }
    };
    // The main app only ever shows a kept session (the callback page's card, before the
    // exchange, says "pending": `crate::callback_app`).
    view! {
        <section class="card identity-card" data-session-state="kept">
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
                {field("ID token issued", "identity-issued", Some(issued))}
                {field("ID token expires", "identity-expires", Some(expires))}
                {field("Session ends", "session-expires", Some(ends))}
            </dl>
            <h2>"Groups"</h2>
            <GroupChips identity=identity/>
            <h2>"Token"</h2>
            <dl class="identity-card__fields">
                {field("Algorithm", "token-alg", Some(token.alg.clone()))}
                {field("Key ID", "token-kid", token.kid.clone())}
            </dl>
            <details class="identity-card__raw">
                <summary>"Raw claims"</summary>
                <pre data-testid="raw-claims">{raw_claims}</pre>
            </details>
        </section>
    }
}

/// The identity card's computed texts, shared with the callback page's card
/// (`crate::callback_app`), which writes the same card without Leptos.
pub struct CardText {
    pub issued: String,
    pub expires: String,
    /// When the session ends, and when it would end unused (idle expiry).
    pub ends: String,
    /// The email's verification: the text and the badge's classes.
    pub verified: (&'static str, &'static str),
    /// The ID token's claims, pretty-printed.
    pub raw_claims: String,
}

impl CardText {
    pub fn of(session: &Session) -> Self {
        let now = browser::now_secs();
        let time = |t: u64| format!("{} ({})", browser::local_time(t), relative_time(t, now));
        let ends = match session.idle_expires_at {
            Some(idle) if idle < session.expires_at => format!(
                "{}, or {} if unused until then",
                time(session.expires_at),
                time(idle)
            ),
            _ => time(session.expires_at),
        };
        CardText {
            issued: time(session.id_token.issued_at),
            expires: time(session.id_token.expires_at),
            ends,
            verified: match session.identity.email_verified {
                Some(true) => ("verified", "badge badge--ok"),
                Some(false) => ("not verified", "badge badge--warn"),
                None => ("verification unknown", "badge"),
            },
            // `{:#}` is Value's pretty form; the bundle already has that writer for `Display`.
            raw_claims: format!(
                "{:#}",
                serde_json::Value::Object(session.id_token.claims.clone())
            ),
        }
    }
}
