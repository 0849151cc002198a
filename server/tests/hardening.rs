//! The server's open doors under abuse and failure, through real sockets: an IdP that is down (failures remembered, no flood of fetches, a clean 503) and one that comes up after the server (working within seconds), the sign-in rate limit with its recovery, a slowloris client, HSTS, and discovery endpoints that would rewrite the CSP.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::idp::{self, spawn_idp, spawn_idp_on, CLIENT_ID};
use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// An exchange of a fresh token of `issuer` for a session, as the SPA sends it.
fn exchange_for(issuer: &str) -> Request<Body> {
    let secret = fresh_nonce_secret();
    let claims = json!({
        "iss": issuer, "sub": "user-1", "aud": CLIENT_ID,
        "exp": idp::now() + 300, "iat": idp::now(), "nonce": nonce_for(&secret),
        "email": "alice@example.com", "groups": ["admins"],
    });
    exchange_request(&idp::sign("rs256", &claims), &secret)
}

#[tokio::test]
async fn an_idp_that_is_down_is_asked_once_per_backoff_and_answers_a_clean_503() {
    let idp = spawn_idp().await;
    idp.discovery_down.store(true, Ordering::SeqCst);
    let d = make_dist();
    let app = app(
        &d.dist,
        &[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)],
    );
    // CSP warm-up aside (one discovery fetch of its own), a burst of sign-ins while the
    // IdP is down makes one fetch for the keys, not one each.
    let before = idp.discovery_hits.load(Ordering::SeqCst);
    let started = Instant::now();
    for _ in 0..20 {
        let response = send(&app, exchange_for(idp.issuer())).await;
        let body = json_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "idp_unavailable",
            "IdP down",
        )
        .await;
        let message = body["message"].as_str().unwrap_or("");
        assert!(
            message.contains("identity provider is unreachable"),
            "{message}"
        );
        // No internal chain: not the URL, not the status, not reqwest's words.
        assert!(
            !message.contains("http://") && !message.contains("503"),
            "{message}"
        );
    }
    let fetched = idp.discovery_hits.load(Ordering::SeqCst) - before;
    assert!(fetched <= 2, "{fetched} discovery fetches for 20 requests");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the burst failed fast: {:?}",
        started.elapsed()
    );
    // Back up: after the backoff (1 s after the first failure), the next request fetches
    // at once and works.
    idp.discovery_down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = send(&app, exchange_for(idp.issuer())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_idp_that_comes_up_after_the_server_works_within_seconds() {
    // A port for the IdP, free until it starts.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = reserved.local_addr().expect("addr");
    drop(reserved);
    let issuer = format!("http://{addr}");
    let d = make_dist();
    let app = app(
        &d.dist,
        &[("OIDC_ISSUER", &issuer), ("OIDC_CLIENT_ID", CLIENT_ID)],
    );
    let response = send(&app, exchange_for(&issuer)).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    let idp = spawn_idp_on(TcpListener::bind(addr).await.expect("the reserved port")).await;
    assert_eq!(idp.issuer(), issuer);
    let up = Instant::now();
    // Retried as a user would (a click a second); never 30 s.
    let worked = loop {
        let response = send(&app, exchange_for(&issuer)).await;
        if response.status() == StatusCode::CREATED {
            break up.elapsed();
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(up.elapsed() < Duration::from_secs(10), "still failing");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(worked < Duration::from_secs(5), "{worked:?}");
}

#[tokio::test]
async fn the_relay_works_right_after_a_late_idp_comes_up() {
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = reserved.local_addr().expect("addr");
    drop(reserved);
    let issuer = format!("http://{addr}");
    let d = make_dist();
    let app = app(
        &d.dist,
        &[
            ("OIDC_ISSUER", &issuer),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_SECRET", "late-idp-secret"),
        ],
    );
    let relay = || {
        Request::post("/api/v1/sso/token")
            .header("host", HOST)
            .header("origin", ORIGIN)
            .header("content-type", "application/json")
            .body(Body::from(
                json!({
                    "code": "c0de", "code_verifier": "v".repeat(43),
                    "redirect_uri": format!("{ORIGIN}/oidc/callback"),
                })
                .to_string(),
            ))
            .expect("request")
    };
    assert_eq!(send(&app, relay()).await.status(), StatusCode::BAD_GATEWAY);
    let idp = spawn_idp_on(TcpListener::bind(addr).await.expect("the reserved port")).await;
    idp.serve_token_endpoint(None);
    let up = Instant::now();
    loop {
        let status = send(&app, relay()).await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert!(
            up.elapsed() < Duration::from_secs(5),
            "still failing after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(idp.token_calls().len(), 1);
}

#[tokio::test]
async fn sign_ins_are_rate_limited_per_address_and_recover() {
    let idp = spawn_idp().await;
    let d = make_dist();
    // 60 a minute: one more every second.
    let app = app(
        &d.dist,
        &[
            ("OIDC_ISSUER", idp.issuer()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("SSO_RATE_LIMIT", "60"),
        ],
    );
    for _ in 0..60 {
        let response = send(&app, exchange_request("a.b.c", &fresh_nonce_secret())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let response = send(&app, exchange_for(idp.issuer())).await;
    let retry: u64 = header(&response, "retry-after")
        .parse()
        .expect("Retry-After");
    json_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "61st",
    )
    .await;
    assert!((1..=2).contains(&retry), "{retry}");
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let response = send(&app, exchange_for(idp.issuer())).await;
    assert_eq!(response.status(), StatusCode::CREATED, "recovered");
}

/// The server on a real socket with `vars`; stop it by dropping the sender.
async fn serve(vars: &[(&str, &str)]) -> (String, tokio::sync::oneshot::Sender<()>, TestDist) {
    let d = make_dist();
    let state = state(&d.dist, vars);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sso_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (format!("{addr}"), stop, d)
}

#[tokio::test]
async fn a_slowloris_client_is_cut_off_while_others_are_served() {
    let (addr, _stop, _d) = serve(&[("SSO_HEADER_TIMEOUT", "2")]).await;
    let mut slow = TcpStream::connect(&addr).await.expect("connect");
    let started = Instant::now();
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghijklmnopqrstuvwxyz";
    let slowloris = tokio::spawn(async move {
        for byte in request {
            if slow.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        // What the server did: closed the connection (perhaps after a 408).
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
        (started.elapsed(), rest)
    });
    // Meanwhile a normal request is served at once.
    let ok = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(ok.status(), 200);
    let (cut_after, answer) = slowloris.await.expect("join");
    assert!(
        cut_after < Duration::from_secs(6),
        "the slow client held its connection for {cut_after:?} (timeout 2 s)"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn hsts_is_sent_when_configured_and_not_otherwise() {
    let d = make_dist();
    let plain = app(&d.dist, &[]);
    assert_eq!(
        header(&get(&plain, "/").await, "strict-transport-security"),
        ""
    );
    let hsts = app(&d.dist, &[("SSO_HSTS", "31536000")]);
    for uri in ["/", "/healthz", "/api/nope"] {
        assert_eq!(
            header(&get(&hsts, uri).await, "strict-transport-security"),
            "max-age=31536000",
            "{uri}"
        );
    }
}

#[tokio::test]
async fn discovery_endpoints_that_would_rewrite_the_csp_are_left_out() {
    let idp = spawn_idp().await;
    idp.set_discovery("userinfo_endpoint", json!("https://*/u"));
    idp.set_discovery(
        "end_session_endpoint",
        json!("https://x;sandbox allow-scripts/"),
    );
    idp.set_discovery("token_endpoint", json!("https://a,b.example.com/token"));
    let d = make_dist();
    let state = state(
        &d.dist,
        &[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)],
    );
    let app = sso_server::app(Arc::clone(&state));
    let csp = header(&get(&app, "/").await, "content-security-policy");
    assert_eq!(
        directive(&csp, "connect-src"),
        format!("connect-src 'self' {}", idp.issuer()),
        "{csp}"
    );
    assert!(
        !csp.contains('*') && !csp.contains("sandbox") && !csp.contains(','),
        "{csp}"
    );
}
