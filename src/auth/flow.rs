//! The sign-in flow: `begin_login` sends the browser to the IdP; `complete_login`
//! turns the callback into a validated [`Session`]. Every decision is made in `oidc`.

use super::browser;
use super::http::{self, HttpResponse};
use super::session::{self, Session};
use super::storage::SessionStore;
use super::webcrypto::WebCryptoVerifier;
use crate::config::{AuthMethod, RuntimeConfig, CONFIG_API_PATH, STATIC_CONFIG_PATH};
use crate::oidc::authorize::{prepare, LoginRandomness};
use crate::oidc::discovery::discovery_url;
use crate::oidc::id_token::{validate_with_rotation, IdTokenExpectations};
use crate::oidc::token::token_request_body;
use crate::oidc::{CallbackParams, Identity, Jwks, OidcError, ProviderMetadata, TokenResponse};

/// The server's config API, or `sso-config.json` when the API is absent (static hosting).
pub async fn load_config() -> Result<RuntimeConfig, OidcError> {
    let failed = |url: &str, detail: String| OidcError::ConfigInvalid {
        detail: format!("{url}: {detail}"),
    };
    let api = http::get(CONFIG_API_PATH, true)
        .await
        .map_err(|e| failed(CONFIG_API_PATH, e.0))?;
    let response = match api.status {
        200 => api,
        404 => {
            let file = http::get(STATIC_CONFIG_PATH, true)
                .await
                .map_err(|e| failed(STATIC_CONFIG_PATH, e.0))?;
            // A static host's SPA fallback answers index.html for a missing file.
            if file.status == 404 || file.body.trim_start().starts_with('<') {
                return Err(OidcError::ConfigMissing);
            }
            file
        }
        status => return Err(failed(CONFIG_API_PATH, format!("HTTP {status}"))),
    };
    RuntimeConfig::parse(&response.body)
}

pub async fn fetch_metadata(issuer: &str) -> Result<ProviderMetadata, OidcError> {
    let url = discovery_url(issuer);
    let failed = |detail: String| OidcError::DiscoveryFailed {
        url: url.clone(),
        detail,
    };
    let HttpResponse { status, body } = http::get(&url, false).await.map_err(|e| failed(e.0))?;
    if status != 200 {
        return Err(failed(format!("HTTP {status}")));
    }
    ProviderMetadata::parse(&body, issuer)
}

async fn fetch_jwks(url: &str, fresh: bool) -> Result<Jwks, OidcError> {
    let failed = |detail: String| OidcError::JwksFailed {
        detail: format!("{url}: {detail}"),
    };
    let response = http::get(url, fresh).await.map_err(|e| failed(e.0))?;
    if response.status != 200 {
        return Err(failed(format!("HTTP {}", response.status)));
    }
    Jwks::parse(&response.body)
}

/// Records a pending login and leaves for the IdP. Returns only on failure.
pub async fn begin_login(config: &RuntimeConfig, return_to: &str) -> Result<(), OidcError> {
    if config.auth_method == AuthMethod::Implicit {
        return Err(OidcError::ConfigInvalid {
            detail: "auth_method \"implicit\" is not supported by this version yet; use \"pkce\"."
                .into(),
        });
    }
    let metadata = fetch_metadata(&config.issuer).await?;
    let random = LoginRandomness {
        state: browser::random_bytes()?,
        nonce: browser::random_bytes()?,
        verifier: browser::random_bytes()?,
    };
    let now = browser::now_secs();
    let (pending, request) = prepare(
        &metadata,
        &config.client_id,
        &config.scopes,
        &browser::origin()?,
        return_to,
        now,
        random,
    );
    let store = SessionStore::open()?;
    store.prune_pending(now);
    store.save_pending(&pending)?;
    browser::navigate_away(&request.url())
}

/// Completes the sign-in for the callback query; returns the session and where to go.
pub async fn complete_login(
    config: &RuntimeConfig,
    query: &str,
) -> Result<(Session, String), OidcError> {
    let params = CallbackParams::parse(query)?;
    let store = SessionStore::open()?;
    let pending = store
        .take_pending(params.state()?)
        .ok_or(OidcError::StateMismatch)?;
    pending.check_for(&config.issuer, &config.client_id, browser::now_secs())?;
    let metadata = fetch_metadata(&pending.issuer).await?;
    let code = params.into_code(&metadata)?;

    let body = token_request_body(
        &code.0,
        &pending.redirect_uri,
        &pending.client_id,
        &pending.code_verifier,
    );
    let response = http::post_form(metadata.token_endpoint(), body)
        .await
        .map_err(|_| OidcError::TokenRequestFailed {
            status: None,
            error: None,
            description: None,
        })?;
    let tokens = TokenResponse::parse(response.status, &response.body)?;

    let jwks_uri = metadata.jwks_uri();
    let jwks = fetch_jwks(jwks_uri, false).await?;
    let expect = IdTokenExpectations {
        issuer: pending.issuer.clone(),
        client_id: pending.client_id.clone(),
        nonce: Some(pending.nonce.clone()),
        trusted_audiences: Vec::new(),
        provider_algs: metadata.id_token_signing_alg_values_supported.clone(),
    };
    let valid = validate_with_rotation(
        &tokens.id_token,
        &jwks,
        || fetch_jwks(jwks_uri, true),
        &expect,
        browser::now_secs(),
        &WebCryptoVerifier,
    )
    .await?;

    let session = Session {
        identity: Identity::from_claims(&valid.raw_claims, &config.groups_claim),
        id_token: tokens.id_token,
        header: valid.header,
        claims: valid.raw_claims,
        issued_at: valid.claims.iat,
        expires_at: valid.claims.exp,
    };
    session::save(&store, &session)?;
    Ok((session, pending.return_to))
}
