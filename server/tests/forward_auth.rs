//! Forward-auth in process: verify's answers (204 with the user's headers, 401 with its reason,
//! 403 per condition, 400 for an unknown condition), header injection from claims, the
//! `redirect=1` answer for Traefik and Caddy, `/oauth2/start`'s allow-list, and the shared
//! cookie of SSO_COOKIE_DOMAIN. A real JWKS from an IdP stub, real SQLite in temp dirs.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::idp::{spawn_idp, CLIENT_ID};
use common::*;
use serde_json::json;

fn verify(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri).header("host", "127.0.0.1:8080");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.body(Body::empty()).expect("request")
}

fn app_for(dist: &std::path::Path, issuer: &str, vars: &[(&str, &str)]) -> axum::Router {
    let mut all = vec![("OIDC_ISSUER", issuer), ("OIDC_CLIENT_ID", CLIENT_ID)];
    all.extend_from_slice(vars);
    sso_server::app(state(dist, &all))
}

#[tokio::test]
async fn verify_answers_204_401_403_and_400() {
    let idp = spawn_idp().await;
    let d = make_dist();
    let app = app_for(&d.dist, idp.issuer(), &[]);
    let mut claims = idp.claims(&["admins", "ml-team"]);
    claims["preferred_username"] = json!("alice");
    let cookie = sign_in(&app, &claims).await;

    let ok = send(&app, verify("/api/v1/auth/verify", Some(&cookie))).await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&ok, "x-auth-request-user"), "user-1234");
    assert_eq!(header(&ok, "x-auth-request-email"), "alice@example.com");
    assert_eq!(header(&ok, "x-auth-request-preferred-username"), "alice");
    assert_eq!(header(&ok, "x-auth-request-groups"), "admins,ml-team");
    assert_eq!(header(&ok, "cache-control"), "no-store");
    assert!(ok.headers().get("set-cookie").is_none());
    // Nothing else of the session: no body, no other x- header with its id or times.
    let names: Vec<String> = ok.headers().keys().map(|k| k.to_string()).collect();
    assert!(
        names
            .iter()
            .filter(|n| n.starts_with("x-auth"))
            .all(|n| n.starts_with("x-auth-request-")),
        "{names:?}"
    );
    assert!(body(ok).await.is_empty());

    // Any method a proxy passes on is answered alike.
    let post = Request::post("/api/v1/auth/verify")
        .header("cookie", &cookie)
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&app, post).await.status(), StatusCode::NO_CONTENT);

    for (uri, status) in [
        ("/api/v1/auth/verify?group=admins", StatusCode::NO_CONTENT),
        (
            "/api/v1/auth/verify?group=ops&group=ml-team",
            StatusCode::NO_CONTENT,
        ),
        (
            "/api/v1/auth/verify?allowed_email_domain=example.com",
            StatusCode::NO_CONTENT,
        ),
        (
            "/api/v1/auth/verify?allowed_email_domain=EXAMPLE.com&group=admins",
            StatusCode::NO_CONTENT,
        ),
    ] {
        assert_eq!(
            send(&app, verify(uri, Some(&cookie))).await.status(),
            status,
            "{uri}"
        );
    }
    for (uri, code) in [
        ("/api/v1/auth/verify?group=ops", "not_in_group"),
        ("/api/v1/auth/verify?group=Admins", "not_in_group"),
        (
            "/api/v1/auth/verify?allowed_email_domain=example.org",
            "email_domain_not_allowed",
        ),
        (
            "/api/v1/auth/verify?allowed_email_domain=ample.com",
            "email_domain_not_allowed",
        ),
        (
            "/api/v1/auth/verify?group=admins&allowed_email_domain=corp.example.com",
            "email_domain_not_allowed",
        ),
    ] {
        let response = send(&app, verify(uri, Some(&cookie))).await;
        let refusal = json_error(response, StatusCode::FORBIDDEN, code, uri).await;
        assert!(
            !refusal.to_string().contains("ops"),
            "no condition echoed: {refusal}"
        );
    }
    // A misspelt condition fails closed.
    for uri in [
        "/api/v1/auth/verify?groups=admins",
        "/api/v1/auth/verify?group=",
        "/api/v1/auth/verify?redirect=yes",
    ] {
        let response = send(&app, verify(uri, Some(&cookie))).await;
        json_error(response, StatusCode::BAD_REQUEST, "validation_failed", uri).await;
    }

    // 401 and why; the same for a condition-bearing request.
    let response = send(&app, verify("/api/v1/auth/verify?group=admins", None)).await;
    json_error(
        response,
        StatusCode::UNAUTHORIZED,
        "no_session",
        "no cookie",
    )
    .await;
    let forged = format!("sso-web-session={}", "A".repeat(43));
    let response = send(&app, verify("/api/v1/auth/verify", Some(&forged))).await;
    json_error(
        response,
        StatusCode::UNAUTHORIZED,
        "no_session",
        "unknown cookie",
    )
    .await;
    // Without ?redirect=1 a 401 is never a redirect, and verify never sets a cookie.
    let signed_out = cookie_request("DELETE", "/api/v1/session", &cookie, None);
    assert_eq!(
        send(&app, signed_out).await.status(),
        StatusCode::NO_CONTENT
    );
    let response = send(&app, verify("/api/v1/auth/verify", Some(&cookie))).await;
    json_error(
        response,
        StatusCode::UNAUTHORIZED,
        "session_revoked",
        "signed out",
    )
    .await;
}

#[tokio::test]
async fn claims_cannot_inject_headers_and_unverified_emails_prove_no_domain() {
    let idp = spawn_idp().await;
    let d = make_dist();
    let app = app_for(&d.dist, idp.issuer(), &[]);
    let mut claims = idp.claims(&["dev,ops", "ml\r\nX-Auth-Request-Groups: admins", "équipe"]);
    claims["sub"] = json!("user\r\nX-Auth-Request-User: admin");
    claims["preferred_username"] = json!("zoë 100%");
    claims["email"] = json!("mallory@example.com\nX-Evil: 1");
    let cookie = sign_in(&app, &claims).await;
    let ok = send(&app, verify("/api/v1/auth/verify", Some(&cookie))).await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&ok, "x-auth-request-user"),
        "user%0D%0AX-Auth-Request-User:%20admin"
    );
    assert_eq!(
        header(&ok, "x-auth-request-preferred-username"),
        "zo%C3%AB%20100%25"
    );
    assert_eq!(
        header(&ok, "x-auth-request-email"),
        "mallory@example.com%0AX-Evil:%201"
    );
    assert_eq!(
        header(&ok, "x-auth-request-groups"),
        "dev%2Cops,ml%0D%0AX-Auth-Request-Groups:%20admins,%C3%A9quipe"
    );
    assert!(ok.headers().get("x-evil").is_none());
    assert_eq!(
        ok.headers().get_all("x-auth-request-user").iter().count(),
        1
    );

    // email_verified: false proves nothing about the domain.
    let mut claims = idp.claims(&[]);
    claims["email"] = json!("eve@example.com");
    claims["email_verified"] = json!(false);
    let cookie = sign_in(&app, &claims).await;
    let uri = "/api/v1/auth/verify?allowed_email_domain=example.com";
    let response = send(&app, verify(uri, Some(&cookie))).await;
    json_error(
        response,
        StatusCode::FORBIDDEN,
        "email_domain_not_allowed",
        uri,
    )
    .await;
    // Without groups the header is left out, not sent empty.
    let ok = send(&app, verify("/api/v1/auth/verify", Some(&cookie))).await;
    assert!(ok.headers().get("x-auth-request-groups").is_none());
}

#[tokio::test]
async fn redirect_mode_sends_the_browser_to_sign_in_for_traefik_and_caddy() {
    let idp = spawn_idp().await;
    let d = make_dist();
    let app = app_for(
        &d.dist,
        idp.issuer(),
        &[("SSO_PUBLIC_URL", "https://sso.example.com")],
    );
    let request = Request::get("/api/v1/auth/verify?redirect=1&group=admins")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "notebooks.example.com")
        .header("x-forwarded-uri", "/lab?a=1&b=2")
        .body(Body::empty())
        .expect("request");
    let response = send(&app, request).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        header(&response, "location"),
        "https://sso.example.com/oauth2/start?rd=https%3A%2F%2Fnotebooks%2Eexample%2Ecom%2Flab%3Fa%3D1%26b%3D2"
    );
    // Without the forwarded headers it cannot say where to return: 401.
    let response = send(&app, verify("/api/v1/auth/verify?redirect=1", None)).await;
    json_error(
        response,
        StatusCode::UNAUTHORIZED,
        "no_session",
        "no X-Forwarded-*",
    )
    .await;
}

/// `/oauth2/start`: where the server sends the browser, and what it refuses.
async fn start(app: &axum::Router, rd: &str, cookie: Option<&str>) -> (StatusCode, String, String) {
    let uri = format!(
        "/oauth2/start?rd={}",
        percent_encoding::utf8_percent_encode(rd, percent_encoding::NON_ALPHANUMERIC)
    );
    let response = send(app, verify(&uri, cookie)).await;
    let status = response.status();
    let location = header(&response, "location");
    let page = String::from_utf8_lossy(&body(response).await).into_owned();
    (status, location, page)
}

#[tokio::test]
async fn sign_in_start_returns_only_to_allowed_hosts() {
    let idp = spawn_idp().await;
    let d = make_dist();
    let app = app_for(
        &d.dist,
        idp.issuer(),
        &[(
            "SSO_ALLOWED_REDIRECT_HOSTS",
            "notebooks.example.com, .tools.example.com",
        )],
    );
    // Signed out: to the sign-in page, which comes back to /oauth2/start.
    let (status, location, _) = start(&app, "https://notebooks.example.com/lab", None).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        location,
        "/?return_to=%2Foauth2%2Fstart%3Frd%3Dhttps%253A%252F%252Fnotebooks%252Eexample%252Ecom%252Flab"
    );
    // Signed in: straight to rd; its own host (with its port) is allowed without the list.
    let cookie = sign_in(&app, &idp.claims(&["ml-team"])).await;
    for (rd, expected) in [
        (
            "https://notebooks.example.com/lab",
            "https://notebooks.example.com/lab",
        ),
        (
            "HTTPS://Dash.Tools.Example.com/x",
            "https://dash.tools.example.com/x",
        ),
        ("http://127.0.0.1:8080/me", "http://127.0.0.1:8080/me"),
        ("/admin", "/admin"),
    ] {
        let (status, location, _) = start(&app, rd, Some(&cookie)).await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::FOUND, expected),
            "{rd}"
        );
    }
    // The usual bypasses: a page that says why, no Location, nothing of rd unescaped.
    for rd in [
        "//evil.example/",
        "/\\evil.example/",
        "https:evil.example",
        "https://notebooks.example.com@evil.example/",
        "HTTPS://EVIL.EXAMPLE/",
        "https://nоtebooks.example.com/",
        "https://xn--ntebooks-0ig.example.com/",
        "https://notebooks.example.com./",
        "https://notebooks.example.com.evil.example/",
        "http://127.0.0.1:8081/",
        "javascript:alert(1)",
        "https://evil.example/<script>",
        // The refusals that quote what they got: escaped.
        "https://<script>./",
        "https://notebooks.example.com:<b>/",
    ] {
        for cookie in [None, Some(cookie.as_str())] {
            let (status, location, page) = start(&app, rd, cookie).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{rd}");
            assert_eq!(location, "", "{rd}");
            assert!(
                page.contains("data-error-code=\"redirect_not_allowed\""),
                "{rd}: {page}"
            );
            assert!(page.contains("SSO_ALLOWED_REDIRECT_HOSTS"), "{rd}");
            assert!(
                !page.contains("<script>") && !page.contains("<b>"),
                "{rd}: {page}"
            );
        }
    }
    // As nginx writes it ($request_uri unencoded): the rest of the query, verbatim.
    let raw = verify(
        "/oauth2/start?rd=https://notebooks.example.com/lab?a=1&b=c%20d%26e",
        Some(&cookie),
    );
    let response = send(&app, raw).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        header(&response, "location"),
        "https://notebooks.example.com/lab?a=1&b=c%20d%26e"
    );
}

#[tokio::test]
async fn a_cookie_domain_shares_the_session_without_the_host_prefix() {
    let idp = spawn_idp().await;
    let d = make_dist();
    let state = state(
        &d.dist,
        &[
            ("OIDC_ISSUER", idp.issuer()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("SSO_PUBLIC_URL", "https://sso.example.com"),
            ("SSO_COOKIE_DOMAIN", ".Example.com"),
        ],
    );
    let app = sso_server::app(Arc::clone(&state));
    let secret = fresh_nonce_secret();
    let mut claims = idp.claims(&[]);
    claims["nonce"] = nonce_for(&secret).into();
    let request = Request::post("/api/v1/session")
        .header("origin", "https://sso.example.com")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"id_token": common::idp::sign("rs256", &claims), "nonce_secret": secret})
                .to_string(),
        ))
        .expect("request");
    let response = send(&app, request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = header(&response, "set-cookie");
    assert!(cookie.starts_with("__Secure-sso-web-session="), "{cookie}");
    assert!(cookie.contains("; Domain=example.com"), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("; SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_owned();
    let ok = send(&app, verify("/api/v1/auth/verify", Some(&pair))).await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    // CSRF is unchanged: a state change from a sibling subdomain is refused.
    let sibling = Request::delete("/api/v1/session")
        .header("origin", "https://notebooks.example.com")
        .header("cookie", &pair)
        .header("x-requested-with", "sso-web")
        .body(Body::empty())
        .expect("request");
    let response = send(&app, sibling).await;
    json_error(
        response,
        StatusCode::FORBIDDEN,
        "csrf_origin_mismatch",
        "sibling origin",
    )
    .await;

    // A domain the public URL is not under is a start-up error naming the variable.
    for (domain, public) in [
        ("example.org", "https://sso.example.com"),
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("com", "https://sso.example.com"),
    ] {
        let err = sso_server::config::Config::from_lookup(|name: &str| match name {
            "SSO_COOKIE_DOMAIN" => Some(domain.to_owned()),
            "SSO_PUBLIC_URL" => Some(public.to_owned()),
            _ => None,
        })
        .expect_err(domain);
        assert!(
            err.to_string().starts_with("SSO_COOKIE_DOMAIN must be"),
            "{err}"
        );
    }
}
