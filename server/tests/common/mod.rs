//! Shared fixtures: a Trunk-like dist directory in a temp dir, and helpers to drive the router in process.
#![allow(dead_code)]

pub mod binary;
pub mod client;
pub mod idp;
pub mod postgres;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sso_server::config::Config;
use sso_server::AppState;
use tempfile::TempDir;
use tower::ServiceExt as _;

pub const JS: &str = "sso-web-3f2a9c1b0d4e5f67.js";
pub const WASM: &str = "sso-web-3f2a9c1b0d4e5f67_bg.wasm";
pub const CSS: &str = "style-0123456789abcdef.css";

/// What Trunk puts inside its `<script type="module">`, byte for byte.
pub const INLINE_SCRIPT: &str = "\nimport init, * as bindings from '/sso-web-3f2a9c1b0d4e5f67.js';\nconst wasm = await init({ module_or_path: '/sso-web-3f2a9c1b0d4e5f67_bg.wasm' });\n\nwindow.wasmBindings = bindings;\n\ndispatchEvent(new CustomEvent(\"TrunkApplicationStarted\", {detail: {wasm}}));\n";

/// Sits next to the dist dir: reaching it through the server is an escape.
pub const SECRET: &str = "TOP-SECRET-OUTSIDE-DIST";

pub fn index_html(script: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head>\n<meta charset=\"utf-8\">\n<title>SSO</title>\n\
         <link rel=\"stylesheet\" href=\"/{CSS}\" integrity=\"sha384-abc\"/>\n\
         <link rel=\"modulepreload\" href=\"/{JS}\" crossorigin=\"anonymous\" integrity=\"sha384-def\">\n\
         <link rel=\"preload\" href=\"/{WASM}\" crossorigin=\"anonymous\" integrity=\"sha384-ghi\" as=\"fetch\" type=\"application/wasm\">\n\
         <script type=\"module\">{script}</script>\n</head>\n<body></body></html>\n"
    )
}

/// The expected CSP source, computed here independently of the server's scanner.
pub fn expected_hash(script: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
    )
}

pub struct TestDist {
    pub tmp: TempDir,
    pub dist: PathBuf,
}

pub fn make_dist() -> TestDist {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).expect("mkdir");
    let write = |name: &str, contents: &[u8]| {
        std::fs::write(dist.join(name), contents).expect("write fixture");
    };
    write("index.html", index_html(INLINE_SCRIPT).as_bytes());
    write(JS, b"export default function init() {}\n");
    write(WASM, b"\0asm\x01\0\0\0");
    write(CSS, b"body { margin: 0; }\n");
    write("favicon.ico", b"ico");
    write(
        "assets/logo.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    write(".env", SECRET.as_bytes());
    std::fs::write(tmp.path().join("Cargo.toml"), SECRET).expect("write secret");
    std::fs::write(tmp.path().join("secret.txt"), SECRET).expect("write secret");
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), dist.join("link.txt"))
        .expect("symlink");
    TestDist { tmp, dist }
}

/// The test's SQLite file: next to the dist dir, inside its temp dir.
pub fn database_for(dist: &Path) -> PathBuf {
    dist.parent()
        .expect("dist has a parent")
        .join("data/sso.db")
}

/// Env for a test server: SSO_DIST is `dist`, SSO_DATABASE sits next to it
/// unless `vars` names one.
pub fn config(dist: &Path, vars: &[(&str, &str)]) -> Config {
    let database = database_for(dist).to_string_lossy().into_owned();
    let dist = dist.to_string_lossy().into_owned();
    Config::from_lookup(|name| {
        if name == "SSO_DIST" {
            return Some(dist.clone());
        }
        let var = vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned());
        if name == "SSO_DATABASE" && var.is_none() {
            return Some(database.clone());
        }
        var
    })
    .expect("valid test config")
}

pub fn state(dist: &Path, vars: &[(&str, &str)]) -> Arc<AppState> {
    Arc::new(AppState::new(&config(dist, vars)).expect("state"))
}

pub fn app(dist: &Path, vars: &[(&str, &str)]) -> Router {
    sso_server::app(state(dist, vars))
}

pub async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("infallible")
}

pub async fn get(app: &Router, uri: &str) -> Response<Body> {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

pub async fn body(response: Response<Body>) -> Bytes {
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
}

pub async fn json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_slice(&body(response).await).expect("JSON body")
}

/// An error answer of the JSON API: `status`, `application/json`, never
/// cached, and `error` is `code`; `what` names the case in a failure. The
/// body, for the message and the rest.
pub async fn json_error(
    response: Response<Body>,
    status: StatusCode,
    code: &str,
    what: &str,
) -> serde_json::Value {
    assert_eq!(response.status(), status, "{what}");
    assert_eq!(
        header(&response, "content-type"),
        "application/json",
        "{what}"
    );
    assert_eq!(header(&response, "cache-control"), "no-store", "{what}");
    let body = json(response).await;
    assert_eq!(body["error"], code, "{what}: {body}");
    body
}

pub fn header<B>(response: &Response<B>, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header").to_owned())
        .unwrap_or_default()
}

/// One directive of a CSP, e.g. `directive(csp, "connect-src")` →
/// `"connect-src 'self' https://idp"`.
pub fn directive<'a>(csp: &'a str, name: &str) -> &'a str {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.split(' ').next() == Some(name))
        .unwrap_or("")
}

/// A request to the admin API with an optional credential, If-Match and JSON body. A
/// credential that is a session cookie (`sso-web-session=…`, from `sign_in`) goes as a
/// cookie from this app's own origin; anything else as a Bearer token.
pub fn admin_request(
    method: &str,
    uri: &str,
    bearer: Option<&str>,
    if_match: Option<&str>,
    body: Option<&str>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    match bearer {
        Some(cookie) if cookie.starts_with("sso-web-session=") => {
            builder = builder
                .header("cookie", cookie)
                .header("host", HOST)
                .header("origin", ORIGIN)
                .header("x-requested-with", "sso-web");
        }
        Some(bearer) => {
            builder = builder.header("authorization", format!("Bearer {bearer}"));
        }
        None => {}
    }
    if let Some(tag) = if_match {
        builder = builder.header("if-match", tag);
    }
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned())),
        None => builder.body(Body::empty()),
    }
    .expect("request")
}

/// Every header and the body, as one string to search for leaks.
pub async fn everything(response: Response<Body>) -> (StatusCode, String) {
    let status = response.status();
    let mut text = format!("{status}\n");
    for (name, value) in response.headers() {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    text.push_str(&String::from_utf8_lossy(&body(response).await));
    (status, text)
}

/// The `Host` in-process requests name, and the origin that goes with it.
pub const HOST: &str = "sso.test";
pub const ORIGIN: &str = "http://sso.test";

/// A nonce secret no other call of this process gets: each sign-in's token differs.
pub fn fresh_nonce_secret() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    let text = format!("{pid:010}-{n:020}-");
    format!("{text}{}", "x".repeat(43 - text.len()))
}

/// `BASE64URL(SHA256(secret))`: the nonce the browser sends for this secret.
pub fn nonce_for(secret: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// `POST /api/v1/session` as the SPA sends it (same origin, JSON).
pub fn exchange_request(id_token: &str, nonce_secret: &str) -> Request<Body> {
    Request::post("/api/v1/session")
        .header("host", HOST)
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::json!({"id_token": id_token, "nonce_secret": nonce_secret}).to_string(),
        ))
        .expect("request")
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie_of<B>(response: &Response<B>) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("sso-web-session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Signs in with `claims` (their `nonce` is set here) and returns the cookie to send.
pub async fn sign_in(app: &Router, claims: &serde_json::Value) -> String {
    let secret = fresh_nonce_secret();
    let mut claims = claims.clone();
    claims["nonce"] = nonce_for(&secret).into();
    let token = idp::sign("rs256", &claims);
    let response = send(app, exchange_request(&token, &secret)).await;
    let status = response.status();
    let cookie = session_cookie_of(&response);
    assert_eq!(
        status,
        StatusCode::CREATED,
        "sign-in refused: {}",
        String::from_utf8_lossy(&body(response).await)
    );
    cookie.expect("a session cookie")
}

/// A request with the session cookie, from this app's own pages (Origin, Host and the
/// CSRF header), with an optional JSON body.
pub fn cookie_request(method: &str, uri: &str, cookie: &str, body: Option<&str>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", HOST)
        .header("origin", ORIGIN)
        .header("cookie", cookie)
        .header("x-requested-with", "sso-web");
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned())),
        None => builder.body(Body::empty()),
    }
    .expect("request")
}
