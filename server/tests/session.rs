//! The server session in process: each refusal of the exchange (OIDC Core 3.1.3.7 checked again, the nonce secret, single use, age), the cookie's attributes over http and https, the session resource's answers, sign-out and revocation, idle and absolute expiry, restarts, and the page's session block. A real JWKS from an IdP stub, real SQLite in temp dirs.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::idp::{self, spawn_idp, Idp, CLIENT_ID};
use common::*;
use serde_json::{json, Value};
use sso_server::AppState;

const SETUP: &str = "setup-token-for-tests-0123456789";

struct Server {
    d: TestDist,
    state: Arc<AppState>,
    app: Router,
}

fn server(idp: &Idp, vars: &[(&str, &str)]) -> Server {
    server_on(make_dist(), idp, vars)
}

fn server_on(d: TestDist, idp: &Idp, vars: &[(&str, &str)]) -> Server {
    let mut all: Vec<(&str, &str)> = vec![
        ("SSO_BOOTSTRAP_TOKEN", SETUP),
        ("OIDC_ISSUER", idp.issuer()),
        ("OIDC_CLIENT_ID", CLIENT_ID),
    ];
    all.retain(|(k, _)| !vars.iter().any(|(v, _)| v == k));
    all.extend_from_slice(vars);
    let state = state(&d.dist, &all);
    let app = sso_server::app(Arc::clone(&state));
    Server { d, state, app }
}

/// An exchange of `claims` signed with `key`, their nonce made from `secret`.
fn exchange(key: &str, claims: &Value, secret: &str) -> Request<Body> {
    let mut claims = claims.clone();
    if claims.get("nonce").is_none() {
        claims["nonce"] = nonce_for(secret).into();
    }
    exchange_request(&idp::sign(key, &claims), secret)
}

/// The answer's status and JSON body, and its Set-Cookie headers.
async fn answer(app: &Router, request: Request<Body>) -> (StatusCode, Value, Vec<String>) {
    let response = send(app, request).await;
    let status = response.status();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect();
    let bytes = body(response).await;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json, cookies)
}

/// A refusal: `status`, `error` is `code`, no cookie set, nothing of the request echoed.
async fn refused(app: &Router, request: Request<Body>, status: StatusCode, code: &str) -> Value {
    let response = send(app, request).await;
    assert!(
        response.headers().get("set-cookie").is_none(),
        "{code}: a refusal sets no cookie"
    );
    json_error(response, status, code, code).await
}

/// Changes the session rows in the database file directly, as time passing would.
fn rewind(s: &Server, sql: &str) {
    let conn = rusqlite::Connection::open(database_for(&s.d.dist)).expect("open the database");
    conn.execute_batch(sql).expect("update");
}

#[tokio::test]
async fn the_exchange_makes_a_session_that_outlives_the_id_token() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[("SSO_SESSION_LENGTH", "12h")]);
    let secret = fresh_nonce_secret();
    let mut claims = idp.claims(&["admins", "ml-team"]);
    claims["exp"] = json!(idp::now() + 30);
    let (status, session, cookies) = answer(&s.app, exchange("rs256", &claims, &secret)).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    let value = cookie
        .strip_prefix("sso-web-session=")
        .and_then(|rest| rest.split(';').next())
        .expect("the session cookie");
    assert_eq!(value.len(), 43, "256 random bits, base64url");
    assert_eq!(
        cookie,
        &format!("sso-web-session={value}; Max-Age=86400; Path=/; HttpOnly; SameSite=Strict"),
        "over http: no Secure, no __Host- prefix; kept twice the length, to say why it ended"
    );
    // The session: who, and until when (12 h, not the token's 30 s).
    assert_eq!(session["subject"], "user-1234");
    assert_eq!(session["issuer"], idp.issuer());
    assert_eq!(session["email"], "alice@example.com");
    assert_eq!(session["groups"], json!(["admins", "ml-team"]));
    assert_eq!(session["groups_source"], "claim");
    assert_eq!(session["is_admin"], true);
    let signed_in = session["signed_in_at"].as_u64().expect("signed_in_at");
    assert_eq!(session["expires_at"].as_u64(), Some(signed_in + 43_200));
    assert_eq!(session["idle_expires_at"], Value::Null);
    assert_eq!(session["id_token"]["alg"], "RS256");
    assert_eq!(session["id_token"]["expires_at"], claims["exp"]);
    // No token, no cookie value, no secret in the answer.
    let text = session.to_string();
    assert!(
        !text.contains(value) && !text.contains(&secret) && !text.contains("eyJ"),
        "{text}"
    );
    // Nothing of them in the store either, but the cookie's hash.
    let db = std::fs::read(database_for(&s.d.dist)).expect("read db");
    let wal = std::fs::read(database_for(&s.d.dist).with_extension("db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(43).any(|w| w == value.as_bytes()),
            "cookie value stored"
        );
        assert!(
            !bytes.windows(43).any(|w| w == secret.as_bytes()),
            "nonce secret stored"
        );
    }

    let cookie = format!("sso-web-session={value}");
    let (status, got, _) = answer(
        &s.app,
        cookie_request("GET", "/api/v1/session", &cookie, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, session);

    // The ID token's exp passes; the session goes on.
    rewind(
        &s,
        "UPDATE sessions SET info = json_set(info, '$.id_token.expires_at', 1)",
    );
    let (status, _, _) = answer(
        &s.app,
        cookie_request("GET", "/api/v1/session", &cookie, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn each_refusal_has_its_code_and_stores_nothing() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[]);
    let secret = fresh_nonce_secret();
    let good = idp.claims(&["admins"]);
    let with = |member: &str, value: Value| {
        let mut claims = good.clone();
        claims[member] = value;
        claims
    };
    let kid_rs256 = Some("test-rsa-1".to_owned());

    /// What is sent, and the status, code and (for `invalid_token`) reason it gets.
    type Case<'a> = (&'a str, Request<Body>, StatusCode, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "expired",
            exchange("rs256", &with("exp", json!(idp::now() - 1)), &secret),
            StatusCode::BAD_REQUEST,
            "invalid_token",
            Some("token_expired"),
        ),
        (
            "wrong aud",
            exchange("rs256", &with("aud", json!("another-app")), &secret),
            StatusCode::BAD_REQUEST,
            "invalid_token",
            Some("audience_mismatch"),
        ),
        (
            "wrong iss",
            exchange("rs256", &with("iss", json!("http://127.0.0.1:1")), &secret),
            StatusCode::BAD_REQUEST,
            "invalid_token",
            Some("issuer_mismatch"),
        ),
        (
            "bad signature",
            {
                let mut claims = good.clone();
                claims["nonce"] = nonce_for(&secret).into();
                exchange_request(
                    &idp::sign_with_kid("rsa_other", kid_rs256, &claims),
                    &secret,
                )
            },
            StatusCode::BAD_REQUEST,
            "invalid_token",
            Some("bad_signature"),
        ),
        (
            "a key the IdP does not publish",
            exchange("rsa_other", &good, &secret),
            StatusCode::BAD_REQUEST,
            "invalid_token",
            Some("unknown_key"),
        ),
        (
            "issued 11 minutes ago",
            exchange("rs256", &with("iat", json!(idp::now() - 660)), &secret),
            StatusCode::BAD_REQUEST,
            "token_too_old",
            None,
        ),
        (
            "another browser's nonce secret",
            exchange_request(
                &idp::sign("rs256", &with("nonce", nonce_for(&secret).into())),
                &fresh_nonce_secret(),
            ),
            StatusCode::BAD_REQUEST,
            "nonce_mismatch",
            None,
        ),
        (
            "no nonce in the token",
            exchange_request(&idp::sign("rs256", &good), &secret),
            StatusCode::BAD_REQUEST,
            "nonce_mismatch",
            None,
        ),
        (
            "not a JWS",
            exchange_request("not-a-token", &secret),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            None,
        ),
        (
            "a short nonce secret",
            exchange_request(&idp::sign("rs256", &good), "short"),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            None,
        ),
    ];
    for (label, request, status, code, reason) in cases {
        let body = refused(&s.app, request, status, code).await;
        if let Some(reason) = reason {
            assert_eq!(body["reason"], reason, "{label}: {body}");
        }
        let text = body.to_string();
        assert!(!text.contains(&secret), "{label}: the secret is echoed");
        assert!(!text.contains("eyJ"), "{label}: the token is echoed");
    }
    // Nothing was stored: no session, no audit entry, no spent token.
    let audit = send(
        &s.app,
        admin_request("GET", "/api/v1/admin/sso/audit", Some(SETUP), None, None),
    )
    .await;
    assert_eq!(json(audit).await["entries"], json!([]));
    let list = send(
        &s.app,
        admin_request("GET", "/api/v1/admin/sessions", Some(SETUP), None, None),
    )
    .await;
    assert_eq!(json(list).await["sessions"], json!([]));
    // The refused token with the right secret still works: a refusal spent nothing.
    let mut claims = good.clone();
    claims["nonce"] = nonce_for(&secret).into();
    let token = idp::sign("rs256", &claims);
    let (status, body, _) = answer(&s.app, exchange_request(&token, &secret)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // And only once.
    refused(
        &s.app,
        exchange_request(&token, &secret),
        StatusCode::BAD_REQUEST,
        "token_replayed",
    )
    .await;
}

#[tokio::test]
async fn the_exchange_refuses_cross_site_requests_and_other_bodies() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[]);
    let secret = fresh_nonce_secret();
    let mut claims = idp.claims(&["admins"]);
    claims["nonce"] = nonce_for(&secret).into();
    let token = idp::sign("rs256", &claims);
    let body = json!({"id_token": token, "nonce_secret": secret}).to_string();
    let request = |origin: Option<&str>, content_type: &str| {
        let mut builder = Request::post("/api/v1/session")
            .header("host", HOST)
            .header("content-type", content_type);
        if let Some(origin) = origin {
            builder = builder.header("origin", origin);
        }
        builder.body(Body::from(body.clone())).expect("request")
    };
    refused(
        &s.app,
        request(None, "application/json"),
        StatusCode::FORBIDDEN,
        "csrf_origin_mismatch",
    )
    .await;
    refused(
        &s.app,
        request(Some("https://evil.example"), "application/json"),
        StatusCode::FORBIDDEN,
        "csrf_origin_mismatch",
    )
    .await;
    refused(
        &s.app,
        request(Some(ORIGIN), "application/x-www-form-urlencoded"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let big = Request::post("/api/v1/session")
        .header("host", HOST)
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(Body::from(format!(
            "{{\"id_token\":\"{}\"}}",
            "a".repeat(70_000)
        )))
        .expect("request");
    refused(
        &s.app,
        big,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    // None of that spent the token.
    let (status, _, _) = answer(&s.app, request(Some(ORIGIN), "application/json")).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn behind_an_https_public_url_the_cookie_is_secure_and_host_prefixed() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[("SSO_PUBLIC_URL", "https://sso.example.com")]);
    let secret = fresh_nonce_secret();
    let request = |origin: &str| {
        let mut claims = idp.claims(&["admins"]);
        claims["nonce"] = nonce_for(&secret).into();
        Request::post("/api/v1/session")
            .header("host", "10.0.0.5:8080")
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"id_token": idp::sign("rs256", &claims), "nonce_secret": secret})
                    .to_string(),
            ))
            .expect("request")
    };
    // The proxy's inner address is not the public origin.
    refused(
        &s.app,
        request("http://10.0.0.5:8080"),
        StatusCode::FORBIDDEN,
        "csrf_origin_mismatch",
    )
    .await;
    let (status, body, cookies) = answer(&s.app, request("https://sso.example.com")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("__Host-sso-web-session="), "{cookie}");
    for attribute in [
        "; Path=/",
        "; HttpOnly",
        "; SameSite=Strict",
        "; Secure",
        "; Max-Age=5184000",
    ] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    // The plain name is not read on this server.
    let value = cookie
        .split(';')
        .next()
        .expect("pair")
        .split_once('=')
        .expect("=")
        .1;
    let plain = Request::get("/api/v1/session")
        .header("cookie", format!("sso-web-session={value}"))
        .body(Body::empty())
        .expect("request");
    refused(&s.app, plain, StatusCode::UNAUTHORIZED, "no_session").await;
    let secure = Request::get("/api/v1/session")
        .header("cookie", format!("__Host-sso-web-session={value}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&s.app, secure).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_out_revokes_and_the_replayed_cookie_is_refused() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[]);
    let cookie = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let get = || cookie_request("GET", "/api/v1/session", &cookie, None);
    refused(
        &s.app,
        Request::get("/api/v1/session")
            .body(Body::empty())
            .expect("request"),
        StatusCode::UNAUTHORIZED,
        "no_session",
    )
    .await;
    assert_eq!(send(&s.app, get()).await.status(), StatusCode::OK);

    // A cross-site DELETE is refused even with the cookie, and ends nothing.
    let cross = Request::delete("/api/v1/session")
        .header("host", HOST)
        .header("origin", "https://evil.example")
        .header("cookie", &cookie)
        .body(Body::empty())
        .expect("request");
    refused(&s.app, cross, StatusCode::FORBIDDEN, "csrf_origin_mismatch").await;
    let unmarked = Request::delete("/api/v1/session")
        .header("host", HOST)
        .header("origin", ORIGIN)
        .header("cookie", &cookie)
        .body(Body::empty())
        .expect("request");
    refused(
        &s.app,
        unmarked,
        StatusCode::FORBIDDEN,
        "csrf_header_missing",
    )
    .await;
    assert_eq!(send(&s.app, get()).await.status(), StatusCode::OK);

    let (status, _, cookies) = answer(
        &s.app,
        cookie_request("DELETE", "/api/v1/session", &cookie, None),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        cookies,
        ["sso-web-session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"]
    );
    refused(&s.app, get(), StatusCode::UNAUTHORIZED, "session_revoked").await;
    // Idempotent.
    let (status, _, _) = answer(
        &s.app,
        cookie_request("DELETE", "/api/v1/session", &cookie, None),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = answer(
        &s.app,
        cookie_request("DELETE", "/api/v1/session", "x=y", None),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The sign-out that RP-initiated logout follows hands back the ID token once.
    let secret = fresh_nonce_secret();
    let mut claims = idp.claims(&["admins"]);
    claims["nonce"] = nonce_for(&secret).into();
    let token = idp::sign("rs256", &claims);
    let response = send(&s.app, exchange_request(&token, &secret)).await;
    let second = session_cookie_of(&response).expect("cookie");
    let logout = || cookie_request("POST", "/api/v1/session/logout", &second, Some("{}"));
    let (status, body, cookies) = answer(&s.app, logout()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"id_token_hint": token}));
    assert_eq!(cookies.len(), 1);
    let (status, body, _) = answer(&s.app, logout()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"id_token_hint": null}), "handed out once");
    refused(
        &s.app,
        cookie_request("GET", "/api/v1/session", &second, None),
        StatusCode::UNAUTHORIZED,
        "session_revoked",
    )
    .await;
    // The hint is spent: it makes no new session.
    refused(
        &s.app,
        exchange_request(&token, &secret),
        StatusCode::BAD_REQUEST,
        "token_replayed",
    )
    .await;
    let audit = send(
        &s.app,
        admin_request("GET", "/api/v1/admin/sso/audit", Some(SETUP), None, None),
    )
    .await;
    let events: Vec<String> = json(audit).await["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(events, ["sign_out", "sign_in", "sign_out", "sign_in"]);
}

#[tokio::test]
async fn sessions_end_at_their_length_and_after_idling() {
    let idp = spawn_idp().await;
    let s = server(
        &idp,
        &[("SSO_SESSION_LENGTH", "1h"), ("SSO_SESSION_IDLE", "10m")],
    );
    let cookie = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let get = || cookie_request("GET", "/api/v1/session", &cookie, None);
    let (status, session, _) = answer(&s.app, get()).await;
    assert_eq!(status, StatusCode::OK);
    let signed_in = session["signed_in_at"].as_u64().expect("signed_in_at");
    assert_eq!(session["idle_expires_at"].as_u64(), Some(signed_in + 600));
    assert_eq!(session["expires_at"].as_u64(), Some(signed_in + 3600));

    // Unused for 11 minutes.
    rewind(&s, "UPDATE sessions SET last_used_at = last_used_at - 660");
    refused(&s.app, get(), StatusCode::UNAUTHORIZED, "session_expired").await;
    let answer = send(
        &s.app,
        admin_request("GET", "/api/v1/admin/whoami", Some(&cookie), None, None),
    )
    .await;
    json_error(answer, StatusCode::UNAUTHORIZED, "unauthenticated", "idle").await;

    // Used 5 minutes ago, but signed in over an hour ago.
    let other = sign_in(&s.app, &idp.claims(&["admins"])).await;
    rewind(
        &s,
        "UPDATE sessions SET signed_in_at = signed_in_at - 3700, expires_at = expires_at - 3700,
             last_used_at = last_used_at - 300 WHERE ended_at IS NULL",
    );
    refused(
        &s.app,
        cookie_request("GET", "/api/v1/session", &other, None),
        StatusCode::UNAUTHORIZED,
        "session_expired",
    )
    .await;
}

#[tokio::test]
async fn a_page_load_is_a_use_and_reading_is_not() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[("SSO_SESSION_IDLE", "10m")]);
    let cookie = sign_in(&s.app, &idp.claims(&["admins"])).await;
    rewind(&s, "UPDATE sessions SET last_used_at = last_used_at - 300");
    let idle_end = |body: &Value| body["idle_expires_at"].as_u64().expect("idle");
    let (_, before, _) = answer(
        &s.app,
        cookie_request("GET", "/api/v1/session", &cookie, None),
    )
    .await;
    let (_, again, _) = answer(
        &s.app,
        cookie_request("GET", "/api/v1/session", &cookie, None),
    )
    .await;
    assert_eq!(idle_end(&again), idle_end(&before), "GET does not touch");
    let page = Request::get("/me")
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&s.app, page).await.status(), StatusCode::OK);
    let (_, after, _) = answer(
        &s.app,
        cookie_request("GET", "/api/v1/session", &cookie, None),
    )
    .await;
    assert!(
        idle_end(&after) >= idle_end(&before) + 300,
        "{before} {after}"
    );
}

/// The JSON of the page's `<script type="application/json" id="sso-session">`.
fn session_block(html: &str) -> Value {
    let start = html
        .find("<script type=\"application/json\" id=\"sso-session\">")
        .expect("a session block")
        + "<script type=\"application/json\" id=\"sso-session\">".len();
    let end = html[start..].find("</script>").expect("its end") + start;
    serde_json::from_str(&html[start..end]).expect("JSON")
}

#[tokio::test]
async fn pages_carry_the_session_and_are_then_private() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[]);
    let cookie = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let page = |cookie: Option<&str>, site: Option<&str>| {
        let mut request = Request::get("/me");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request.body(Body::empty()).expect("request")
    };
    let response = send(&s.app, page(Some(&cookie), Some("same-origin"))).await;
    assert_eq!(header(&response, "cache-control"), "private, no-store");
    assert_eq!(
        header(&response, "etag"),
        "",
        "no validator for a private page"
    );
    assert!(header(&response, "vary").contains("cookie"));
    let html = String::from_utf8(body(response).await.to_vec()).expect("utf-8");
    let block = session_block(&html);
    assert_eq!(block["subject"], "user-1234");
    assert_eq!(block["is_admin"], true);
    assert!(!html.contains(cookie.split('=').nth(1).expect("value")));

    for (site, expected) in [
        (Some("same-origin"), json!(null)),
        (Some("none"), json!(null)),
        // A cross-site navigation carries no SameSite=Strict cookie: the SPA must ask.
        (Some("cross-site"), json!("unknown")),
        (None, json!("unknown")),
    ] {
        let response = send(&s.app, page(None, site)).await;
        assert_eq!(header(&response, "cache-control"), "no-cache", "{site:?}");
        let html = String::from_utf8(body(response).await.to_vec()).expect("utf-8");
        assert_eq!(session_block(&html), expected, "{site:?}");
    }
    let revoked = send(
        &s.app,
        cookie_request("DELETE", "/api/v1/session", &cookie, None),
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let response = send(&s.app, page(Some(&cookie), Some("same-origin"))).await;
    assert_eq!(header(&response, "cache-control"), "private, no-store");
    let html = String::from_utf8(body(response).await.to_vec()).expect("utf-8");
    assert_eq!(session_block(&html), json!({"error": "session_revoked"}));
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[]);
    let cookie = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let Server { d, state, app } = s;
    drop(app);
    drop(state);
    let s = server_on(d, &idp, &[]);
    let (status, body, _) = answer(
        &s.app,
        cookie_request("GET", "/api/v1/session", &cookie, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "alice@example.com");
}

#[tokio::test]
async fn a_token_of_the_old_issuer_after_an_issuer_change_is_refused() {
    let old = spawn_idp().await;
    let new = spawn_idp().await;
    let d = make_dist();
    let s = server_on(d, &old, &[("OIDC_ISSUER", ""), ("OIDC_CLIENT_ID", "")]);
    let save = |issuer: &str, version: u64| {
        admin_request(
            "PUT",
            "/api/v1/admin/sso",
            Some(SETUP),
            Some(&format!("\"{version}\"")),
            Some(&json!({"issuer": issuer, "client_id": CLIENT_ID}).to_string()),
        )
    };
    assert_eq!(
        send(&s.app, save(old.issuer(), 0)).await.status(),
        StatusCode::OK
    );
    let old_session = sign_in(&s.app, &old.claims(&["admins"])).await;
    // A token the old IdP issued before the move, exchanged after it.
    let secret = fresh_nonce_secret();
    let mut claims = old.claims(&["admins"]);
    claims["nonce"] = nonce_for(&secret).into();
    let late = idp::sign("rs256", &claims);

    assert_eq!(
        send(&s.app, save(new.issuer(), 1)).await.status(),
        StatusCode::OK
    );
    let body = refused(
        &s.app,
        exchange_request(&late, &secret),
        StatusCode::BAD_REQUEST,
        "invalid_token",
    )
    .await;
    assert_eq!(body["reason"], "issuer_mismatch", "{body}");
    refused(
        &s.app,
        cookie_request("GET", "/api/v1/session", &old_session, None),
        StatusCode::UNAUTHORIZED,
        "session_revoked",
    )
    .await;
    // The new IdP's users sign in.
    sign_in(&s.app, &new.claims(&["admins"])).await;
}

#[tokio::test]
async fn unknown_kid_refetches_the_jwks_once_and_forged_kids_do_not_hammer_the_idp() {
    let idp = spawn_idp().await;
    let s = server(&idp, &[]);
    sign_in(&s.app, &idp.claims(&["admins"])).await;
    sign_in(&s.app, &idp.claims(&["admins"])).await;
    assert_eq!(idp.jwks_fetches(), 1, "cached");

    // The IdP rotates in a new key: the cached set lacks its kid.
    idp.publish(&["rs256", "rsa_other"]);
    let secret = fresh_nonce_secret();
    let mut claims = idp.claims(&["admins"]);
    claims["nonce"] = nonce_for(&secret).into();
    let rotated = idp::sign("rsa_other", &claims);
    let (status, body, _) = answer(&s.app, exchange_request(&rotated, &secret)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(idp.jwks_fetches(), 2);

    for kid in ["nope-1", "nope-2", "nope-3"] {
        let secret = fresh_nonce_secret();
        let mut claims = idp.claims(&["admins"]);
        claims["nonce"] = nonce_for(&secret).into();
        let forged = idp::sign_with_kid("rs256", Some(kid.into()), &claims);
        let body = refused(
            &s.app,
            exchange_request(&forged, &secret),
            StatusCode::BAD_REQUEST,
            "invalid_token",
        )
        .await;
        assert_eq!(body["reason"], "unknown_key");
    }
    assert_eq!(idp.jwks_fetches(), 2);
}

#[tokio::test]
async fn unreachable_idp_is_503_and_unconfigured_is_404() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let idp = spawn_idp().await;
    let s = server(&idp, &[("OIDC_ISSUER", &closed)]);
    let secret = fresh_nonce_secret();
    let claims = json!({"iss": closed, "aud": CLIENT_ID, "sub": "x", "exp": idp::now() + 60, "iat": idp::now()});
    refused(
        &s.app,
        exchange("rs256", &claims, &secret),
        StatusCode::SERVICE_UNAVAILABLE,
        "idp_unavailable",
    )
    .await;

    let s = server(&idp, &[("OIDC_ISSUER", ""), ("OIDC_CLIENT_ID", "")]);
    refused(
        &s.app,
        exchange("rs256", &idp.claims(&["admins"]), &secret),
        StatusCode::NOT_FOUND,
        "sso_not_configured",
    )
    .await;
}
