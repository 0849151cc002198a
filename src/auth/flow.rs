//! The flows of `crate::flow` in the browser: [`BrowserPort`] gives them fetch,
//! sessionStorage, WebCrypto and navigation. Also where the settings come from (the page, or
//! the server's API, or `sso-config.json`), and the sign-out in its order.

use super::browser;
use super::http;
use super::server_session;
use super::storage::SessionStore;
use super::webcrypto::WebCryptoVerifier;
use super::AuthContext;
use crate::contract::config::{SsoConfig, CONFIG_API_PATH, CONFIG_ELEMENT_ID, STATIC_CONFIG_PATH};
use crate::flow::{self, HttpResponse, Port, Storage};
use crate::oidc::OidcError;
use std::cell::Cell;

pub use crate::flow::{CallbackOutcome, SignedIn};

/// The settings sso-server put in this page, when it did: no round trip, and the ones in
/// force when this page was loaded.
pub fn config_in_page() -> Option<Result<SsoConfig, OidcError>> {
    let _span = browser::Span::start("config");
    browser::element_text(CONFIG_ELEMENT_ID).map(|json| {
        SsoConfig::parse(&json).map(|config| SsoConfig {
            from_server: true,
            ..config
        })
    })
}

/// The settings without the server's page: from the config API, else from
/// `sso-config.json` (static hosting without the server).
pub async fn fetch_config() -> Result<SsoConfig, OidcError> {
    let _span = browser::Span::start("config");
    let failed = |url: &str, detail: String| OidcError::ConfigInvalid {
        detail: format!("{url}: {detail}"),
    };
    let api = http::get(CONFIG_API_PATH, true)
        .await
        .map_err(|e| failed(CONFIG_API_PATH, e.0))?;
    let (response, from_server) = match api.status {
        200 => (api, true),
        404 => {
            let file = http::get(STATIC_CONFIG_PATH, true)
                .await
                .map_err(|e| failed(STATIC_CONFIG_PATH, e.0))?;
            // A static host's SPA fallback answers index.html for a missing file.
            if file.status == 404 || file.body.trim_start().starts_with('<') {
                return Err(OidcError::ConfigMissing);
            }
            (file, false)
        }
        status => return Err(failed(CONFIG_API_PATH, format!("HTTP {status}"))),
    };
    SsoConfig::parse(&response.body).map(|config| SsoConfig {
        from_server,
        ..config
    })
}

thread_local! {
    /// Sign-outs this tab has seen (its own, and other tabs' over the channel).
    static SIGN_OUTS: Cell<u32> = const { Cell::new(0) };
}

/// How many sign-outs this tab has seen (see [`note_sign_out`]).
pub fn sign_outs() -> u32 {
    SIGN_OUTS.with(Cell::get)
}

/// Counts a sign-out: a sign-in completing meanwhile is dropped (`flow::complete_login`).
pub fn note_sign_out() {
    SIGN_OUTS.with(|n| n.set(n.get().wrapping_add(1)));
}

/// A form_post response that sso-server put in the page (`contract::session::FORM_POST_ELEMENT_ID`):
/// the fields, form-encoded as a fragment response would carry them.
pub fn form_post_fields() -> Option<String> {
    let text = browser::element_text(crate::contract::session::FORM_POST_ELEMENT_ID)?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .as_str()
        .map(str::to_string)
}

/// The browser as the flows' [`Port`].
pub struct BrowserPort;

fn network(e: http::NetworkError) -> String {
    e.0
}

/// Opens sessionStorage for each call: a tab whose storage goes away (site data cleared)
/// fails that call, not the app.
impl Storage for BrowserPort {
    fn load(&self, key: &str) -> Option<String> {
        SessionStore::open().ok()?.get(key)
    }

    fn save(&self, key: &str, value: &str) -> Result<(), OidcError> {
        SessionStore::open()?.set(key, value)
    }

    fn remove(&self, key: &str) {
        if let Ok(store) = SessionStore::open() {
            store.remove(key);
        }
    }

    fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        SessionStore::open()
            .map(|store| store.keys_with_prefix(prefix))
            .unwrap_or_default()
    }
}

impl Port for BrowserPort {
    type Verifier = WebCryptoVerifier;
    type Span = browser::Span;

    async fn get(&self, url: &str, fresh: bool) -> Result<HttpResponse, String> {
        http::get(url, fresh).await.map_err(network)
    }

    async fn post_form(&self, url: &str, body: String) -> Result<HttpResponse, String> {
        http::post_form(url, body).await.map_err(network)
    }

    async fn post_json(&self, url: &str, body: &serde_json::Value) -> Result<HttpResponse, String> {
        http::post_json(url, body).await.map_err(network)
    }

    async fn early_token(&self, state: &str) -> Option<Result<HttpResponse, String>> {
        Some(http::take_early_token(state).await?.map_err(network))
    }

    fn now(&self) -> u64 {
        browser::now_secs()
    }

    fn random(&self) -> Result<[u8; 32], OidcError> {
        browser::random_bytes()
    }

    fn verifier(&self) -> &WebCryptoVerifier {
        &WebCryptoVerifier
    }

    fn origin(&self) -> Result<String, OidcError> {
        browser::origin()
    }

    fn navigate_away(&self, url: &str) -> Result<(), OidcError> {
        browser::navigate_away(url)
    }

    fn sign_outs(&self) -> u32 {
        sign_outs()
    }

    fn span(&self, step: &'static str) -> browser::Span {
        browser::Span::start(step)
    }
}

/// See [`flow::prefetch`].
pub async fn prefetch(issuer: String) {
    flow::prefetch(&BrowserPort, &issuer).await;
}

/// See [`flow::begin_login`].
pub async fn begin_login(config: &SsoConfig, return_to: &str) -> Result<(), OidcError> {
    flow::begin_login(&BrowserPort, config, return_to).await
}

/// See [`flow::complete_login`].
pub async fn complete_login(
    config: &SsoConfig,
    response: &str,
    signed_in: bool,
) -> Result<CallbackOutcome, OidcError> {
    flow::complete_login(&BrowserPort, config, response, signed_in).await
}

/// Whether a return from the IdP's end-session endpoint is our own (see
/// [`flow::returned_from_logout`]).
pub fn returned_from_logout(state: &str) -> bool {
    flow::returned_from_logout(&BrowserPort, state)
}

/// Sign-out in order: the server session ends (so its cookie is worthless from now on),
/// this tab and the others forget theirs, then (`to_idp`) the IdP's end-session endpoint,
/// with the spent ID token as `id_token_hint`. `None` when the sign-out ends here.
pub async fn sign_out_everywhere(auth: AuthContext, to_idp: bool) -> Option<()> {
    let hint = if auth.server_session() {
        server_session::end().await
    } else {
        None
    };
    auth.sign_out();
    if !to_idp {
        return None;
    }
    let config = auth.config.await.ok()?;
    flow::leave_for_idp(&BrowserPort, &config, hint.as_deref()).await
}
