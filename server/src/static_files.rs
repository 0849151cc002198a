//! Serves the Trunk build directory: files by safe path, index.html (with its CSP hashes) for every other GET so client-side routes deep-link.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use tower::ServiceExt as _;
use tower_http::services::ServeFile;

use crate::config::ConfigError;
use crate::csp;
use crate::error::ApiError;
use crate::AppState;
use sso_web::contract::session::{
    CALLBACK_DOCUMENT, FORM_POST_ELEMENT_ID, SESSION_ELEMENT_ID, SESSION_UNKNOWN,
};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// index.html must be revalidated on every load, or a deploy would leave
/// browsers pointing at hashed assets that no longer exist.
pub const NO_CACHE: &str = "no-cache";
pub const SHORT: &str = "public, max-age=300";

/// index.html as last read from disk, with what is derived from its bytes
/// kept together so a response never mixes one version's body with
/// another's script hashes.
pub struct IndexPage {
    pub body: Bytes,
    pub script_hashes: Vec<String>,
    pub etag: HeaderValue,
    stamp: Option<(SystemTime, u64)>,
}

impl IndexPage {
    fn new(body: Vec<u8>, stamp: Option<(SystemTime, u64)>) -> Self {
        let script_hashes = csp::inline_script_hashes(&body);
        // Weak: the compression layer may gzip the body under the same tag.
        let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(&body));
        let etag = HeaderValue::from_str(&format!("W/\"{digest}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("W/\"index\""));
        Self {
            body: Bytes::from(body),
            script_hashes,
            etag,
            stamp,
        }
    }
}

/// One HTML document of the build, re-read when Trunk rewrites it so a rebuild needs no
/// restart. While Trunk is mid-rebuild the file may be missing: the old copy is served.
struct Document {
    path: PathBuf,
    page: RwLock<Option<Arc<IndexPage>>>,
}

impl Document {
    fn new(path: PathBuf, page: Option<IndexPage>) -> Self {
        Self {
            path,
            page: RwLock::new(page.map(Arc::new)),
        }
    }

    fn current(&self) -> Option<Arc<IndexPage>> {
        self.page
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn fresh(&self) -> Option<Arc<IndexPage>> {
        let current = self.current();
        let on_disk = match tokio::fs::metadata(&self.path).await {
            Ok(m) if m.is_file() => stamp(&m),
            _ => return current,
        };
        if on_disk.is_some() && on_disk == current.as_ref().and_then(|p| p.stamp) {
            return current;
        }
        match tokio::fs::read(&self.path).await {
            Ok(body) => {
                let page = Arc::new(IndexPage::new(body, on_disk));
                *self.page.write().unwrap_or_else(PoisonError::into_inner) =
                    Some(Arc::clone(&page));
                Some(page)
            }
            Err(_) => current,
        }
    }
}

/// Where the admin build lives inside the build dir (`trunk build admin.html --dist
/// dist/admin --public-url /admin/`): a first visit never downloads the admin code.
pub const ADMIN_INDEX: &str = "admin/index.html";
/// Where the callback build lives (`trunk build callback.html --dist dist/callback --public-url
/// /callback/`): served at /oidc/callback, so the first visit never downloads its code.
pub const CALLBACK_INDEX: &str = "callback/index.html";

pub struct Dist {
    root: PathBuf,
    index: Document,
    /// Optional: without it /admin gets the main app, which says where the admin build went.
    admin: Document,
    /// Optional: without it the callback gets the main app, which hands over to
    /// `/callback/index.html` (as on a static host).
    callback: Document,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    File(PathBuf),
    /// Absent, a directory, a dotfile or outside the root: the SPA decides.
    NotAFile,
    /// `..`, `.`, an encoded slash or backslash, a NUL or bad UTF-8: never
    /// produced by a browser for a real page, so refused outright.
    Invalid,
}

impl Dist {
    /// Reads index.html (required) and admin/index.html (optional) at startup.
    pub fn open(dir: &Path) -> Result<Self, ConfigError> {
        let index_path = dir.join("index.html");
        let unreadable = |e: std::io::Error| ConfigError::DistUnreadable {
            index: index_path.clone(),
            reason: e.to_string(),
        };
        let metadata = match std::fs::metadata(&index_path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => {
                return Err(ConfigError::DistMissingIndex {
                    index: index_path.clone(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::DistMissingIndex {
                    index: index_path.clone(),
                })
            }
            Err(e) => return Err(unreadable(e)),
        };
        let body = std::fs::read(&index_path).map_err(unreadable)?;
        let root = std::fs::canonicalize(dir).map_err(unreadable)?;
        let page = IndexPage::new(body, stamp(&metadata));
        let optional = |relative: &str| {
            let path = root.join(relative);
            let page = std::fs::metadata(&path)
                .ok()
                .filter(std::fs::Metadata::is_file)
                .and_then(|m| {
                    let body = std::fs::read(&path).ok()?;
                    Some(IndexPage::new(body, stamp(&m)))
                });
            Document::new(path, page)
        };
        Ok(Self {
            index: Document::new(root.join("index.html"), Some(page)),
            admin: optional(ADMIN_INDEX),
            callback: optional(CALLBACK_INDEX),
            root,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The cached main page without touching the disk.
    pub fn current_index(&self) -> Arc<IndexPage> {
        self.index
            .current()
            .unwrap_or_else(|| Arc::new(IndexPage::new(Vec::new(), None)))
    }

    /// The document for a client-side route: the admin build for /admin (when built),
    /// else the main app, re-read if Trunk rewrote it.
    pub async fn index(&self, path: &str) -> Arc<IndexPage> {
        if is_admin_document(path) {
            if let Some(page) = self.admin.fresh().await {
                return page;
            }
        }
        if is_callback_document(path) {
            if let Some(page) = self.callback.fresh().await {
                return page;
            }
        }
        match self.index.fresh().await {
            Some(page) => page,
            None => self.current_index(),
        }
    }

    pub async fn resolve(&self, uri_path: &str) -> Resolved {
        let relative = match relative_path(uri_path) {
            Ok(Some(p)) => p,
            Ok(None) => return Resolved::NotAFile,
            Err(InvalidPath) => return Resolved::Invalid,
        };
        // Canonicalising catches symlinks that point out of the build dir.
        let Ok(full) = tokio::fs::canonicalize(self.root.join(relative)).await else {
            return Resolved::NotAFile;
        };
        if !full.starts_with(&self.root) {
            return Resolved::NotAFile;
        }
        match tokio::fs::metadata(&full).await {
            Ok(m) if m.is_file() => Resolved::File(full),
            _ => Resolved::NotAFile,
        }
    }
}

fn stamp(metadata: &std::fs::Metadata) -> Option<(SystemTime, u64)> {
    metadata.modified().ok().map(|t| (t, metadata.len()))
}

/// A request path that no browser sends for a real page.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidPath;

/// Maps a request path to a path relative to the build dir, decoding each
/// segment on its own so `%2F` can never become a separator.
/// `Ok(None)`: cannot name a servable file.
pub fn relative_path(uri_path: &str) -> Result<Option<PathBuf>, InvalidPath> {
    let Some(rest) = uri_path.strip_prefix('/') else {
        return Err(InvalidPath);
    };
    let mut path = PathBuf::new();
    let mut servable = !rest.is_empty();
    for raw in rest.split('/') {
        let segment = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| InvalidPath)?;
        if segment == "." || segment == ".." || segment.contains(['/', '\\', '\0']) {
            return Err(InvalidPath);
        }
        if segment.is_empty() || segment.starts_with('.') {
            servable = false;
        }
        path.push(segment.as_ref());
    }
    Ok(servable.then_some(path))
}

/// Trunk's `filehash` names: `<name>-<16 hex digits>[_bg].<ext>`. Those can
/// be cached forever because any change produces a new name.
pub fn is_hashed_asset(file_name: &str) -> bool {
    let Some((stem, ext)) = file_name.rsplit_once('.') else {
        return false;
    };
    if ext.is_empty() {
        return false;
    }
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((name, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    // Trunk prints a u64 in hex without leading zeros: 16 digits, sometimes fewer.
    !name.is_empty()
        && (12..=16).contains(&hash.len())
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn cache_control_for(file_name: &str) -> &'static str {
    if file_name == "index.html" {
        NO_CACHE
    } else if is_hashed_asset(file_name) {
        IMMUTABLE
    } else {
        SHORT
    }
}

/// Explicit, because a browser refuses a module script or streaming wasm
/// compile under the wrong type, and nosniff forbids guessing.
pub fn content_type_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

/// The router's fallback: everything that is not an API route.
pub async fn serve(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return ApiError::MethodNotAllowed.into_response();
    }
    let path = request.uri().path();
    if path == "/" || path == "/index.html" {
        return index_response(&state, request.headers(), "/").await;
    }
    if path == "/admin/index.html" {
        return index_response(&state, request.headers(), "/admin").await;
    }
    if path == CALLBACK_DOCUMENT {
        return index_response(&state, request.headers(), CALLBACK_DOCUMENT).await;
    }
    match state.dist.resolve(path).await {
        Resolved::File(file) => file_response(&file, request).await,
        Resolved::NotAFile => index_response(&state, request.headers(), path).await,
        Resolved::Invalid => ApiError::InvalidPath.into_response(),
    }
}

async fn file_response(file: &Path, request: Request) -> Response {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // scripts/build.sh writes `<file>.gz` (gzip -9) and `<file>.br` (brotli 11) next to the
    // wasm, js and css: sent as is to a browser that accepts them (brotli first), so no
    // request pays for compressing 500 KB.
    let response = match ServeFile::new(file)
        .precompressed_br()
        .precompressed_gzip()
        .oneshot(request)
        .await
    {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    };
    let mut response = response.into_response();
    let status = response.status();
    let headers = response.headers_mut();
    if status.is_success() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type_for(&name)),
        );
    }
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control_for(&name)),
        );
        // The body depends on Accept-Encoding when a precompressed copy exists.
        if !headers.contains_key(header::VARY) {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    response
}

/// The admin page's "Check configuration" fetches a provider that is not saved yet, so
/// its document may connect to any https origin (and loopback http for a local IdP).
/// Only this page gets it; the SPA's nav link loads /admin as a full page for that reason.
pub fn is_admin_document(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// The callback's document: `/oidc/callback`, and the build's own address for it (where the
/// main app hands a response over when it was served at the callback, as on a static host).
pub fn is_callback_document(path: &str) -> bool {
    path == crate::callback::CALLBACK_PATH || path == CALLBACK_DOCUMENT
}

/// OpenID Connect Front-Channel Logout 1.0: the IdP loads /logout in a hidden
/// iframe (Entra does). Only this document may be framed, and only by the app
/// itself and the issuer's origin.
pub fn is_front_channel_logout_document(path: &str) -> bool {
    path == "/logout"
}

/// Marks a response whose CSP names who may frame it, so that the
/// security-headers middleware leaves out `X-Frame-Options: DENY`.
#[derive(Debug, Clone, Copy)]
pub struct FramableByIdp;

/// Sets its own CSP (rather than leaving it to the middleware) so the hashes
/// are those of the exact bytes sent, also on a 304 whose headers the browser
/// merges into its cached copy.
async fn index_response(state: &AppState, request_headers: &HeaderMap, path: &str) -> Response {
    page_response(state, request_headers, path, None).await
}

/// The callback's page with a form_post response in it (`callback::form_post`): the fields
/// travel in the document's body, which no proxy's header buffer has to hold, instead of a
/// `Location`. Private like a page with a session.
pub async fn form_post_page(state: &AppState, request_headers: &HeaderMap, form: &str) -> Response {
    page_response(
        state,
        request_headers,
        crate::callback::CALLBACK_PATH,
        Some(form),
    )
    .await
}

async fn page_response(
    state: &AppState,
    request_headers: &HeaderMap,
    path: &str,
    form_post: Option<&str>,
) -> Response {
    let page = state.dist.index(path).await;
    // The public settings ride along in the page: no round trip to /api/v1/sso/config, and
    // always the ones in force when the page loaded. So does the session, which makes the
    // page private.
    let config = crate::api::sso_config_json(state);
    let (session, private) = match &config {
        Some(_) => session_block(state, request_headers).await,
        None => (String::new(), false),
    };
    let form_json = form_post.map(|form| serde_json::Value::from(form).to_string());
    let mut blocks = Vec::new();
    if let Some(json) = &config {
        blocks.push((CONFIG_ELEMENT_ID, json.as_str()));
        blocks.push((SESSION_ELEMENT_ID, session.as_str()));
    }
    if let Some(form) = &form_json {
        blocks.push((FORM_POST_ELEMENT_ID, form.as_str()));
    }
    let private = private || form_post.is_some();
    let (body, etag) = if blocks.is_empty() {
        (page.body.clone(), page.etag.clone())
    } else {
        let body = with_blocks(&page.body, &blocks);
        let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(&body));
        let etag =
            HeaderValue::from_str(&format!("W/\"{digest}\"")).unwrap_or_else(|_| page.etag.clone());
        (Bytes::from(body), etag)
    };
    let mut policy = state.html_policy(&page.script_hashes).await;
    if is_admin_document(path) {
        policy = csp::widen_connect_for_admin(&policy);
    }
    let framable = is_front_channel_logout_document(path);
    if framable {
        policy = csp::allow_framing_by(&policy, &state.framing_origins());
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::VARY,
        HeaderValue::from_static("cookie, sec-fetch-site"),
    );
    if private {
        // Someone's session is in it: no cache may keep it, not even the browser's.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(PRIVATE_NO_STORE),
        );
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
        headers.insert(header::ETAG, etag.clone());
    }
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    let mut response = if !private && etag_matches(request_headers, &etag) {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        (StatusCode::OK, headers, body).into_response()
    };
    if framable {
        response.extensions_mut().insert(FramableByIdp);
    }
    response
}

/// For pages that carry a session.
pub const PRIVATE_NO_STORE: &str = "private, no-store";

/// The session block's JSON, and whether it makes the page private: the session (a page
/// load is a use of it), `{"error": "session_expired" | "session_revoked"}`, `null` when
/// there is no cookie, or `"unknown"` when a cross-site navigation may have left a
/// `SameSite=Strict` cookie behind (the browser then asks `GET /api/v1/session`).
async fn session_block(state: &AppState, headers: &HeaderMap) -> (String, bool) {
    use crate::error::SessionError;
    use sso_web::oidc::json::Record as _;
    match crate::session::lookup(state, headers).await {
        Ok(session) => {
            crate::session::touch(state, &session).await;
            (session.info.to_json().to_string(), true)
        }
        Err(e @ (SessionError::Expired | SessionError::Revoked)) => {
            (serde_json::json!({ "error": e.code() }).to_string(), true)
        }
        Err(SessionError::NoSession) => {
            let same_site = headers
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|site| matches!(site, "same-origin" | "same-site" | "none"));
            let has_cookie = state.sessions.cookie.read(headers).is_some();
            if same_site || has_cookie {
                ("null".to_owned(), false)
            } else {
                (format!("\"{SESSION_UNKNOWN}\""), false)
            }
        }
        // The store is down: let the browser ask (and see the error) itself.
        Err(_) => (format!("\"{SESSION_UNKNOWN}\""), true),
    }
}

pub use sso_web::contract::config::CONFIG_ELEMENT_ID;

/// `json` as a data block: `type="application/json"` is never executed, so it needs no
/// CSP hash. `<`, `>` and `&` (which JSON has only inside strings) are written as
/// `\u003c` etc., so no value can close the element or open another.
pub fn data_block(id: &str, json: &str) -> String {
    let escaped = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    format!("<script type=\"application/json\" id=\"{id}\">{escaped}</script>")
}

/// The settings block.
pub fn config_block(json: &str) -> String {
    data_block(CONFIG_ELEMENT_ID, json)
}

/// `page` with the data blocks just before its `</head>`. Only when there is exactly
/// one: a second could sit in a comment or an inline script (whose CSP hash the insert
/// would break). Without the blocks the SPA asks the API instead.
fn with_blocks(page: &[u8], blocks: &[(&str, &str)]) -> Vec<u8> {
    let mut heads = page
        .windows(7)
        .enumerate()
        .filter(|(_, w)| w.eq_ignore_ascii_case(b"</head>"))
        .map(|(at, _)| at);
    let (Some(at), None) = (heads.next(), heads.next()) else {
        return page.to_vec();
    };
    let mut body = Vec::with_capacity(page.len() + 1024);
    body.extend_from_slice(&page[..at]);
    for (id, json) in blocks {
        body.extend_from_slice(data_block(id, json).as_bytes());
    }
    body.extend_from_slice(&page[at..]);
    body
}

/// If-None-Match uses weak comparison (RFC 9110 §13.1.2).
fn etag_matches(request_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag
        .as_bytes()
        .strip_prefix(b"W/")
        .unwrap_or(etag.as_bytes());
    request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == ours)
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_settings_block_goes_before_the_one_head_end_or_nowhere() {
        let json = r#"{"issuer":"https://idp.example.com"}"#;
        let block = config_block(json);
        let one = with_blocks(
            b"<html><head><title>t</title></HEAD><body></body>",
            &[(CONFIG_ELEMENT_ID, json)],
        );
        assert_eq!(
            String::from_utf8(one).unwrap(),
            format!("<html><head><title>t</title>{block}</HEAD><body></body>")
        );
        for page in [
            &b"<html><body>no head end</body>"[..],
            b"<head><!-- </head> --></head>",
            b"<head><script>let s = '</head>';</script></head>",
        ] {
            assert_eq!(
                with_blocks(page, &[(CONFIG_ELEMENT_ID, json)]),
                page.to_vec()
            );
        }
    }

    use super::*;

    #[test]
    fn trunk_hashed_names() {
        for name in [
            "sso-web-3f2a9c1b0d4e5f67.js",
            "sso-web-3f2a9c1b0d4e5f67_bg.wasm",
            "style-0123456789abcdef.css",
            "a-0000000000000000.png",
            // A hash with a leading zero, as Trunk wrote it for a real build.
            "sso-web-f77f19c55484d49_bg.wasm",
        ] {
            assert!(is_hashed_asset(name), "{name}");
            assert_eq!(cache_control_for(name), IMMUTABLE);
        }
        for name in [
            "index.html",
            "favicon.ico",
            "sso-config.json",
            "sso-web.js",
            "-3f2a9c1b0d4e5f67.js",
            "sso-web-3f2a9c1b0d4.js",
            "sso-web-3f2a9c1b0d4e5f678.js",
            "sso-web-3F2A9C1B0D4E5F67.js",
            "sso-web-3f2a9c1b0d4e5g67.js",
            "sso-web-3f2a9c1b0d4e5f67",
            "sso-web-3f2a9c1b0d4e5f67.",
        ] {
            assert!(!is_hashed_asset(name), "{name}");
        }
        assert_eq!(cache_control_for("index.html"), NO_CACHE);
        assert_eq!(cache_control_for("favicon.ico"), SHORT);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type_for("a_bg.wasm"), "application/wasm");
        assert_eq!(content_type_for("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type_for("a.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type_for("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type_for("sso-config.json"), "application/json");
        assert_eq!(content_type_for("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative_path("/a.js"), Ok(Some(PathBuf::from("a.js"))));
        assert_eq!(
            relative_path("/assets/img%20x.png"),
            Ok(Some(PathBuf::from("assets/img x.png")))
        );
        assert_eq!(relative_path("/"), Ok(None));
        assert_eq!(relative_path("/me/"), Ok(None));
        assert_eq!(relative_path("//etc/passwd"), Ok(None));
        assert_eq!(relative_path("/.env"), Ok(None));
        assert_eq!(relative_path("/.git/config"), Ok(None));
        for bad in [
            "/../Cargo.toml",
            "/a/../../Cargo.toml",
            "/%2e%2e/Cargo.toml",
            "/%2E%2E/%2E%2E/Cargo.toml",
            "/.%2e/Cargo.toml",
            "/a/..%2f..%2fCargo.toml",
            "/..%5cCargo.toml",
            "/./a.js",
            "/a%00.js",
            "/%ff.js",
            "a.js",
            "*",
        ] {
            assert_eq!(relative_path(bad), Err(InvalidPath), "{bad}");
        }
    }

    #[test]
    fn if_none_match() {
        let etag = HeaderValue::from_static("W/\"abc\"");
        let mut headers = HeaderMap::new();
        assert!(!etag_matches(&headers, &etag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", \"abc\""),
        );
        assert!(etag_matches(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"abd\""));
        assert!(!etag_matches(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(etag_matches(&headers, &etag));
    }
}
