//! The callback bundle (`callback.html`, served at /oidc/callback): the sign-in's second half
//! (the token request, the ID token's validation, the exchange for the server session), and
//! nothing else. It has no view framework: the page's own HTML shows the progress, and this
//! module writes the identity or the error panel with a few DOM calls. Once the sign-in is kept
//! (the server's session made, or the tab's stored), the main app (its files in the cache since
//! the first visit) takes `/me` over in the same page, with the live session; any other return
//! path is a page load.
//!
//! Why without Leptos: the callback's boot waited for its wasm (362 KB with the whole view
//! layer) and for the first mount before the identity could show (docs/performance.md).
//!
//! Nothing is weakened: the flow (`crate::flow::complete_login`) is the same code as before,
//! and the identity is written only after it validated the ID token, signature first.

use crate::auth::browser;
use crate::auth::flow::{self, CallbackOutcome, SignedIn};
use crate::auth::server_session::{self, Lookup};
use crate::auth::session::{self, PageSession, Session};
use crate::auth::storage::{SessionStore, SESSION_KEY};
use crate::contract::config::SsoConfig;
use crate::contract::session::{FORM_POST_ELEMENT_ID, SESSION_ELEMENT_ID};
use crate::oidc::json::Record;
use crate::oidc::{GroupsSource, OidcError, CALLBACK_PATH};
use crate::pages::CardText;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

/// The `<main>` of `callback.html` that this module writes into.
const MAIN_ID: &str = "callback-main";

/// Starts the callback: reads the response, scrubs it from the address bar, and finishes the
/// sign-in in the background.
pub fn run() {
    listen_for_sign_out();
    // Read once, then erase: a code or token must not survive in the address bar or
    // history. The implicit flow answers in the fragment (the server's form_post bridge
    // moves the POSTed fields there), the code flow in the query.
    let query = browser::current_search();
    let fragment = flow::form_post_fields().unwrap_or_else(browser::current_fragment);
    // The form_post fields hold the ID token: not in the document any longer than needed (the
    // main app takes this page over).
    if let Some(block) = document().and_then(|d| d.get_element_by_id(FORM_POST_ELEMENT_ID)) {
        block.remove();
    }
    browser::replace_url(CALLBACK_PATH);
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(err) = finish(&query, &fragment).await {
            show_error(&err);
        }
    });
}

/// The settings: the ones sso-server put in this page, else from its API or
/// `sso-config.json`.
async fn config() -> Result<SsoConfig, OidcError> {
    match flow::config_in_page() {
        Some(config) => config,
        None => flow::fetch_config().await,
    }
}

async fn finish(query: &str, fragment: &str) -> Result<(), OidcError> {
    let page =
        browser::element_text(SESSION_ELEMENT_ID).map(|text| session::read_page_block(&text));
    let config = config().await?;
    // With sso-server the session is its cookie; on a static host, this tab's storage.
    let server = page.is_some() || config.from_server;
    let signed_in = match page {
        Some(PageSession::Known(state)) => state.session().is_some(),
        Some(PageSession::Unknown) => false,
        None => match SessionStore::open() {
            Ok(store) if server => {
                store.remove(SESSION_KEY);
                false
            }
            Ok(store) => session::restore(&store, browser::now_secs())
                .session()
                .is_some(),
            Err(_) => false,
        },
    };
    // The flow decides where the response is: a stray fragment must not hide a code, and an
    // implicit response is never read from the query.
    let response = if config.flow().is_implicit() {
        fragment
    } else {
        query
    };
    match flow::complete_login(&config, response, signed_in).await {
        Ok(CallbackOutcome::SignedIn(done)) => keep(*done, server).await,
        Ok(CallbackOutcome::NothingToDo) => leave("/"),
        // A spent response (the back button) while the server session is live: go home.
        Err(OidcError::StateMismatch) if server => match server_session::fetch().await {
            Lookup::Live(_) => leave("/"),
            _ => Err(OidcError::StateMismatch),
        },
        Err(err) => Err(err),
    }
}

/// Shows the validated sign-in (when it returns to `/me`), keeps it, and leaves for the
/// return path. A sign-out in another tab meanwhile drops it.
async fn keep(done: SignedIn, server: bool) -> Result<(), OidcError> {
    let SignedIn {
        session,
        id_token,
        nonce_secret,
        return_to,
    } = done;
    let shows_identity = return_to == "/me";
    let sign_outs = flow::sign_outs();
    if !server {
        let saved = SessionStore::open().and_then(|store| session::save(&store, &session));
        if saved.is_err() {
            return leave("/");
        }
    }
    if shows_identity {
        browser::replace_url(&return_to);
        show_identity(&session);
    }
    let kept = if server {
        Some(server_session::exchange(id_token, nonce_secret).await?)
    } else {
        None
    };
    if flow::sign_outs() != sign_outs {
        if server {
            let _ = server_session::end().await;
        }
        return leave("/");
    }
    if !shows_identity {
        return leave(&return_to);
    }
    // The main app takes the page over, with the session as the server's page would carry it
    // (on a static host it finds the one saved in this tab).
    // (A sign-out from now on clears both: `listen_for_sign_out`.)
    if let Some(kept) = kept {
        write_session_block(&kept.to_json().to_string());
    }
    if start_main_app() != Some(true) {
        // Nothing took the page over (its script blocked or missing): /me as a page load.
        return leave(&return_to);
    }
    Ok(())
}

/// A full page load in place of this history entry: the main app shows it.
fn leave(path: &str) -> Result<(), OidcError> {
    browser::replace_away(path)
}

/// Puts `json` in the page's session block (`SESSION_ELEMENT_ID`), where the main app reads
/// the session it starts with; sso-server's page always has the block.
fn write_session_block(json: &str) -> Option<()> {
    let block = document()?.get_element_by_id(SESSION_ELEMENT_ID)?;
    block.set_text_content(Some(json));
    Some(())
}

/// Asks `callback.html`'s own script to start the main app in this page (`sso:live`);
/// `Some(true)` when it did (it cancels the event to say so).
fn start_main_app() -> Option<bool> {
    let init = web_sys::EventInit::new();
    init.set_cancelable(true);
    let event = web_sys::Event::new_with_event_init_dict("sso:live", &init).ok()?;
    let not_taken = web_sys::window()?.dispatch_event(&event).ok()?;
    Some(!not_taken)
}

/// Another tab's sign-out drops a sign-in this page is completing (`flow::complete_login`,
/// [`keep`]), and, once it is kept, what the main app would start with: the session block and
/// the tab's stored session.
fn listen_for_sign_out() {
    let Ok(channel) = web_sys::BroadcastChannel::new(crate::auth::context::CHANNEL_NAME) else {
        return;
    };
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.data().as_string().as_deref() == Some(crate::auth::context::SIGNED_OUT_MESSAGE)
            {
                flow::note_sign_out();
                write_session_block("null");
                if let Ok(store) = SessionStore::open() {
                    store.remove(SESSION_KEY);
                }
            }
        });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // Both live as long as the page.
    on_message.forget();
    std::mem::forget(channel);
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

/// `<tag attr=value…>text</tag>`, the text as a text node (never parsed as HTML: claims come
/// from outside).
fn el(tag: &str, attrs: &[(&str, &str)], text: &str) -> Option<Element> {
    let element = document()?.create_element(tag).ok()?;
    for (name, value) in attrs {
        element.set_attribute(name, value).ok()?;
    }
    if !text.is_empty() {
        element.set_text_content(Some(text));
    }
    Some(element)
}

/// Appends `children` to `parent`.
fn add(parent: &Element, children: &[&Element]) -> Option<()> {
    for child in children {
        parent.append_child(child).ok()?;
    }
    Some(())
}

/// Empties the page's `<main>`, gives it `class`, and its hidden heading.
fn fresh_main(class: &str, heading: &str) -> Option<Element> {
    let main = document()?.get_element_by_id(MAIN_ID)?;
    main.set_text_content(None);
    main.set_attribute("class", class).ok()?;
    if !heading.is_empty() {
        add(
            &main,
            &[&el("h1", &[("class", "visually-hidden")], heading)?],
        )?;
    }
    Some(main)
}

/// The identity card, as `/me` shows it (`pages::identity_page`), marked `pending` until the
/// main app replaces it.
fn show_identity(session: &Session) -> Option<()> {
    let main = fresh_main("page identity-page", "")?;
    // index.html's title: this page is /me from now on.
    document()?.set_title("sso-web · Single sign-on");
    let identity = &session.identity;
    let token = &session.id_token;
    let CardText {
        issued,
        expires,
        ends,
        verified: (verified, badge),
        raw_claims,
    } = CardText::of(session);
    let card = el(
        "section",
        &[
            ("class", "card identity-card"),
            ("data-session-state", "pending"),
        ],
        "",
    )?;
    add(
        &card,
        &[&el(
            "h1",
            &[("class", "identity-card__title")],
            identity.display_name(),
        )?],
    )?;
    let fields = el("dl", &[("class", "identity-card__fields")], "")?;
    let field = |list: &Element, label: &str, testid: &str, value: Option<&str>| {
        add(
            list,
            &[
                &el("dt", &[], label)?,
                &el("dd", &[("data-testid", testid)], value.unwrap_or("—"))?,
            ],
        )
    };
    field(&fields, "Name", "identity-name", identity.name.as_deref())?;
    field(
        &fields,
        "Username",
        "identity-username",
        identity.preferred_username.as_deref(),
    )?;
    let email = el("dd", &[], "")?;
    add(
        &email,
        &[&el(
            "span",
            &[("data-testid", "identity-email")],
            identity.email.as_deref().unwrap_or("—"),
        )?],
    )?;
    email.insert_adjacent_text("beforeend", " ").ok()?;
    add(
        &email,
        &[&el(
            "span",
            &[("class", badge), ("data-testid", "identity-email-verified")],
            verified,
        )?],
    )?;
    add(&fields, &[&el("dt", &[], "Email")?, &email])?;
    field(&fields, "Subject", "identity-subject", Some(&identity.sub))?;
    field(&fields, "Issuer", "identity-issuer", Some(&identity.iss))?;
    field(&fields, "ID token issued", "identity-issued", Some(&issued))?;
    field(
        &fields,
        "ID token expires",
        "identity-expires",
        Some(&expires),
    )?;
    field(&fields, "Session ends", "session-expires", Some(&ends))?;
    add(&card, &[&fields, &el("h2", &[], "Groups")?])?;
    let groups = el(
        "ul",
        &[("class", "identity-card__groups"), ("aria-label", "Groups")],
        "",
    )?;
    for group in &identity.groups {
        add(
            &groups,
            &[&el(
                "li",
                &[("class", "chip"), ("data-testid", "identity-group")],
                group,
            )?],
        )?;
    }
    add(&card, &[&groups])?;
    let notice = match &identity.groups_source {
        GroupsSource::Overage => Some(el(
            "p",
            &[
                ("class", "identity-card__notice"),
                ("data-testid", "groups-overage"),
                ("role", "status"),
            ],
            crate::components::OVERAGE_NOTICE,
        )?),
        GroupsSource::Absent { name } => Some(el(
            "p",
            &[
                ("class", "identity-card__notice"),
                ("data-testid", "groups-absent"),
            ],
            &crate::components::absent_notice(name),
        )?),
        GroupsSource::Claim { .. } if identity.groups.is_empty() => {
            Some(el("p", &[("class", "identity-card__muted")], "No groups.")?)
        }
        GroupsSource::Claim { .. } => None,
    };
    if let Some(notice) = notice {
        add(&card, &[&notice])?;
    }
    add(&card, &[&el("h2", &[], "Token")?])?;
    let facts = el("dl", &[("class", "identity-card__fields")], "")?;
    field(&facts, "Algorithm", "token-alg", Some(&token.alg))?;
    field(&facts, "Key ID", "token-kid", token.kid.as_deref())?;
    let raw = el("details", &[("class", "identity-card__raw")], "")?;
    add(
        &raw,
        &[
            &el("summary", &[], "Raw claims")?,
            &el("pre", &[("data-testid", "raw-claims")], &raw_claims)?,
        ],
    )?;
    add(&card, &[&facts, &raw])?;
    add(&main, &[&card])?;
    // The end of the benchmark's sign-in interval: the card is in the DOM.
    browser::mark("sso:identity");
    Some(())
}

/// The error panel, as the app shows it (`components::ErrorPanel`): what happened, why, the
/// fix, and a way out. Focused, so keyboard and screen-reader users land on it.
fn show_error(error: &OidcError) -> Option<()> {
    let main = fresh_main("page callback-page", "Signing in")?;
    let code = error.code();
    let panel = el(
        "section",
        &[
            ("class", "error-panel"),
            ("role", "alert"),
            ("tabindex", "-1"),
            ("data-testid", "auth-error"),
            ("data-error-code", code),
        ],
        "",
    )?;
    let code_line = el("p", &[("class", "error-panel__code")], "Error code: ")?;
    add(&code_line, &[&el("code", &[], code)?])?;
    let retry = el(
        "button",
        &[
            ("class", "button button--primary"),
            ("data-testid", "try-again"),
        ],
        "Try again",
    )?;
    let on_click = Closure::<dyn Fn()>::new(|| {
        wasm_bindgen_futures::spawn_local(async {
            let started = match config().await {
                Ok(config) => flow::begin_login(&config, "/me").await,
                Err(err) => Err(err),
            };
            if let Err(err) = started {
                show_error(&err);
            }
        })
    });
    retry
        .dyn_ref::<web_sys::HtmlElement>()?
        .set_onclick(Some(on_click.as_ref().unchecked_ref()));
    // Lives as long as the button (a sign-in leaves the page).
    on_click.forget();
    add(
        &panel,
        &[
            &el("h2", &[("class", "error-panel__title")], &error.title())?,
            &el(
                "p",
                &[
                    ("class", "error-panel__detail"),
                    ("data-testid", "auth-error-detail"),
                ],
                &error.detail(),
            )?,
            &el("p", &[("class", "error-panel__hint")], &error.hint())?,
            &code_line,
            &retry,
        ],
    )?;
    panel.insert_adjacent_text("beforeend", " ").ok()?;
    add(
        &panel,
        &[&el("a", &[("class", "button"), ("href", "/")], "Home")?],
    )?;
    add(&main, &[&panel])?;
    panel.dyn_ref::<web_sys::HtmlElement>()?.focus().ok()
}
