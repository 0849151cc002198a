//! connect-src from a real discovery document served by a small axum IdP on 127.0.0.1, and the fallback when the IdP is unreachable or misbehaves.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing;
use axum::{Json, Router};
use common::*;
use serde_json::json;
use sso_server::config::Issuer;
use sso_server::idp::Idp as IdpCache;
use tokio::net::TcpListener;

/// A fake IdP: a real HTTP server that records which paths were asked for.
struct Idp {
    origin: String,
    hits: Arc<Mutex<Vec<String>>>,
}

async fn spawn_idp(routes: impl FnOnce(&str) -> Router) -> Idp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind idp");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&hits);
    let app = routes(&origin).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let recorded = Arc::clone(&recorded);
            async move {
                recorded
                    .lock()
                    .expect("lock")
                    .push(req.uri().path().to_owned());
                next.run(req).await
            }
        },
    ));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Idp { origin, hits }
}

/// A port on which nothing listens.
async fn closed_port_origin() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn endpoints_on_other_origins_are_in_connect_src() {
    // Like Google: token endpoint and JWKS live on a different host.
    let other = TcpListener::bind("127.0.0.1:0").await.expect("bind other");
    let other_origin = format!("http://{}", other.local_addr().expect("addr"));
    let other_for_doc = other_origin.clone();
    let idp = spawn_idp(move |origin| {
        let doc = json!({
            "issuer": format!("{origin}/realms/test/"),
            "authorization_endpoint": format!("{origin}/realms/test/auth"),
            "token_endpoint": format!("{other_for_doc}/token"),
            "jwks_uri": format!("{other_for_doc}/jwks"),
            "userinfo_endpoint": "https://userinfo.example.com/v1/userinfo",
            "end_session_endpoint": "http://evil.example.com/logout",
            "response_types_supported": ["code"]
        });
        Router::new().route(
            "/realms/test/.well-known/openid-configuration",
            routing::get(move || async move { Json(doc) }),
        )
    })
    .await;

    let d = make_dist();
    let issuer = format!("{}/realms/test/", idp.origin);
    let app = app(
        &d.dist,
        &[("OIDC_ISSUER", &issuer), ("OIDC_CLIENT_ID", "sso-web")],
    );
    let response = get(&app, "/oidc/callback?code=x&state=y").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = header(&response, "content-security-policy");
    assert_eq!(
        directive(&csp, "connect-src"),
        format!(
            "connect-src 'self' {} {} https://userinfo.example.com",
            idp.origin, other_origin
        ),
        "plain-http non-local endpoints are left out"
    );
    assert_eq!(
        directive(&csp, "form-action"),
        format!("form-action 'self' {}", idp.origin)
    );

    // Cached: more pages, no more discovery requests.
    for _ in 0..3 {
        get(&app, "/me").await;
    }
    assert_eq!(
        *idp.hits.lock().expect("lock"),
        ["/realms/test/.well-known/openid-configuration"],
        "trailing slash trimmed before the well-known path, fetched once"
    );
    drop(other);
}

#[tokio::test]
async fn unreachable_idp_falls_back_to_issuer_origin_and_page_loads() {
    let issuer = closed_port_origin().await;
    let d = make_dist();
    let app = app(
        &d.dist,
        &[("OIDC_ISSUER", &issuer), ("OIDC_CLIENT_ID", "sso-web")],
    );
    let started = Instant::now();
    let response = get(&app, "/me").await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(response.status(), StatusCode::OK);
    let csp = header(&response, "content-security-policy");
    assert_eq!(
        directive(&csp, "connect-src"),
        format!("connect-src 'self' {issuer}")
    );
    assert!(csp.contains(&expected_hash(INLINE_SCRIPT)));
    let page = String::from_utf8(body(response).await.to_vec()).expect("utf-8");
    assert!(page.contains(INLINE_SCRIPT), "{page}");
    assert!(
        page.contains("id=\"sso-config\""),
        "the settings ride along: {page}"
    );
}

#[tokio::test]
async fn error_status_oversized_or_non_json_documents_fall_back() {
    let idp = spawn_idp(|origin| {
        let big = json!({
            "issuer": format!("{origin}/big"),
            "token_endpoint": "https://token.example.com/token",
            "padding": "x".repeat(300 * 1024),
        });
        Router::new()
            .route(
                "/down/.well-known/openid-configuration",
                routing::get(|| async { StatusCode::SERVICE_UNAVAILABLE.into_response() }),
            )
            .route(
                "/big/.well-known/openid-configuration",
                routing::get(move || async move { Json(big) }),
            )
            .route(
                "/html/.well-known/openid-configuration",
                routing::get(|| async { "<html>login</html>" }),
            )
    })
    .await;
    let d = make_dist();
    for tenant in ["down", "big", "html"] {
        let issuer = format!("{}/{tenant}", idp.origin);
        let app = app(
            &d.dist,
            &[("OIDC_ISSUER", &issuer), ("OIDC_CLIENT_ID", "sso-web")],
        );
        let response = get(&app, "/").await;
        assert_eq!(response.status(), StatusCode::OK, "{tenant}");
        let csp = header(&response, "content-security-policy");
        assert_eq!(
            directive(&csp, "connect-src"),
            format!("connect-src 'self' {}", idp.origin),
            "{tenant}"
        );
    }
    assert_eq!(idp.hits.lock().expect("lock").len(), 3);
}

#[tokio::test]
async fn static_sso_config_issuer_is_used_when_env_is_unset() {
    let idp = spawn_idp(|origin| {
        let doc = json!({
            "issuer": origin,
            "authorization_endpoint": format!("{origin}/auth"),
            "jwks_uri": format!("{origin}/jwks"),
            "token_endpoint": "https://token.example.com/token",
        });
        Router::new().route(
            "/.well-known/openid-configuration",
            routing::get(move || async move { Json(doc) }),
        )
    })
    .await;
    let d = make_dist();
    std::fs::write(
        d.dist.join("sso-config.json"),
        json!({"issuer": idp.origin, "client_id": "sso-web"}).to_string(),
    )
    .expect("write sso-config.json");
    let app = app(&d.dist, &[]);
    let csp = header(&get(&app, "/").await, "content-security-policy");
    assert_eq!(
        directive(&csp, "connect-src"),
        format!(
            "connect-src 'self' {} https://token.example.com",
            idp.origin
        )
    );
    // Still not configured server-side: the SPA keeps using the static file.
    let response = get(&app, "/api/v1/sso/config").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_first_pages_share_one_discovery_request() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let idp = spawn_idp(move |origin| {
        let doc = json!({
            "issuer": origin,
            "authorization_endpoint": format!("{origin}/auth"),
            "jwks_uri": format!("{origin}/jwks"),
        });
        Router::new().route(
            "/.well-known/openid-configuration",
            routing::get(move || {
                let counted = Arc::clone(&counted);
                let doc = doc.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Json(doc)
                }
            }),
        )
    })
    .await;
    let d = make_dist();
    let app = app(
        &d.dist,
        &[("OIDC_ISSUER", &idp.origin), ("OIDC_CLIENT_ID", "sso-web")],
    );
    let pages = (0..8).map(|_| {
        let app = app.clone();
        async move { get(&app, "/me").await }
    });
    for response in futures_join_all(pages).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// Joins without pulling in the futures crate for one test.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn stale_origins_refresh_in_background_and_survive_idp_failures() {
    // 0: down, 1: up, 2: down again.
    let mode = Arc::new(AtomicUsize::new(0));
    let switch = Arc::clone(&mode);
    let idp = spawn_idp(move |origin| {
        let doc = json!({
            "issuer": origin,
            "authorization_endpoint": format!("{origin}/auth"),
            "jwks_uri": format!("{origin}/jwks"),
            "token_endpoint": "https://token.example.com/t",
        });
        Router::new().route(
            "/.well-known/openid-configuration",
            routing::get(move || {
                let up = switch.load(Ordering::SeqCst) == 1;
                let doc = doc.clone();
                async move {
                    if up {
                        Json(doc).into_response()
                    } else {
                        StatusCode::BAD_GATEWAY.into_response()
                    }
                }
            }),
        )
    })
    .await;
    let issuer = Issuer::parse(&idp.origin).expect("issuer");
    let origins =
        Arc::new(IdpCache::with_timing(&issuer, Duration::ZERO, Duration::ZERO).expect("client"));
    let with_token = vec![idp.origin.clone(), "https://token.example.com".to_owned()];

    assert_eq!(*origins.origins().await, [idp.origin.as_str()]);

    mode.store(1, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(5);
    while *origins.origins().await != *with_token {
        assert!(Instant::now() < deadline, "background refresh never landed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    mode.store(2, Ordering::SeqCst);
    let hits_before = idp.hits.lock().expect("lock").len();
    for _ in 0..10 {
        assert_eq!(*origins.origins().await, *with_token);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        idp.hits.lock().expect("lock").len() > hits_before,
        "refreshes kept trying while the IdP was down"
    );
}
