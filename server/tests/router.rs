//! The router in process (tower::ServiceExt::oneshot) against a real temp dist directory.

mod common;

use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use serde_json::json;

fn assert_is_index(response: &axum::http::Response<Body>) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(response, "cache-control"), "no-cache");
}

#[tokio::test]
async fn deep_links_get_index_html() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for uri in [
        "/",
        "/index.html",
        "/oidc/callback?code=x&state=y",
        "/me",
        "/logout",
        "/admin/users/42",
        "/me/",
        "/assets/",
        "/apix",
    ] {
        let response = get(&app, uri).await;
        assert_is_index(&response);
        assert_eq!(body(response).await, index_html(INLINE_SCRIPT), "{uri}");
    }
}

#[tokio::test]
async fn head_on_a_deep_link_has_headers_but_no_body() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = send(
        &app,
        Request::head("/me").body(Body::empty()).expect("request"),
    )
    .await;
    assert_is_index(&response);
    assert!(header(&response, "content-security-policy").contains("script-src"));
    assert!(body(response).await.is_empty());
}

#[tokio::test]
async fn unknown_api_routes_are_json_404() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for uri in [
        "/api/nope",
        "/api",
        "/api/",
        "/api/v1/sso/config/extra",
        "/api/v2/x?y=1",
    ] {
        let body = json_error(
            get(&app, uri).await,
            StatusCode::NOT_FOUND,
            "not_found",
            uri,
        )
        .await;
        assert!(body["message"].is_string());
    }
    let response = send(
        &app,
        Request::post("/api/nope")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cache_headers_and_content_types() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let cases = [
        (
            format!("/{JS}"),
            "text/javascript; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        (
            format!("/{WASM}"),
            "application/wasm",
            "public, max-age=31536000, immutable",
        ),
        (
            format!("/{CSS}"),
            "text/css; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        (
            "/favicon.ico".to_owned(),
            "image/x-icon",
            "public, max-age=300",
        ),
        (
            "/assets/logo.svg".to_owned(),
            "image/svg+xml",
            "public, max-age=300",
        ),
        (
            "/index.html".to_owned(),
            "text/html; charset=utf-8",
            "no-cache",
        ),
        (
            "/oidc/callback".to_owned(),
            "text/html; charset=utf-8",
            "no-cache",
        ),
    ];
    for (uri, content_type, cache_control) in cases {
        let response = get(&app, &uri).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(header(&response, "content-type"), content_type, "{uri}");
        assert_eq!(header(&response, "cache-control"), cache_control, "{uri}");
    }
    let wasm = body(get(&app, &format!("/{WASM}")).await).await;
    assert_eq!(&wasm[..], b"\0asm\x01\0\0\0");
}

#[tokio::test]
async fn html_csp_hashes_the_inline_boot_script() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = get(&app, "/oidc/callback?code=x&state=y").await;
    let csp = header(&response, "content-security-policy");
    assert_eq!(
        directive(&csp, "script-src"),
        format!(
            "script-src 'self' 'wasm-unsafe-eval' {}",
            expected_hash(INLINE_SCRIPT)
        )
    );
    for expected in [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ] {
        assert!(
            csp.split("; ").any(|d| d == expected),
            "{expected} in {csp}"
        );
    }
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    assert!(!csp.contains("'unsafe-eval'"), "{csp}");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    assert_eq!(header(&response, "x-frame-options"), "DENY");
    assert_eq!(
        header(&response, "cross-origin-opener-policy"),
        "same-origin"
    );
    assert!(header(&response, "permissions-policy").contains("camera=()"));
}

#[tokio::test]
async fn only_the_admin_document_may_connect_to_unsaved_providers() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let admin = header(&get(&app, "/admin").await, "content-security-policy");
    assert_eq!(
        directive(&admin, "connect-src"),
        "connect-src 'self' https: http://localhost:* http://127.0.0.1:*"
    );
    // Everything else in the policy stays as strict as on other pages.
    let me = header(&get(&app, "/me").await, "content-security-policy");
    assert_eq!(
        directive(&admin, "script-src"),
        directive(&me, "script-src")
    );
    for path in ["/", "/me", "/oidc/callback?code=x", "/administrator"] {
        let csp = header(&get(&app, path).await, "content-security-policy");
        assert_eq!(
            directive(&csp, "connect-src"),
            "connect-src 'self'",
            "{path}"
        );
    }
}

#[tokio::test]
async fn admin_routes_get_the_admin_build_with_its_own_hashes() {
    let d = make_dist();
    // Without an admin build, /admin gets the main app (which shows "not found").
    let app = app(&d.dist, &[]);
    assert_eq!(
        body(get(&app, "/admin").await).await,
        index_html(INLINE_SCRIPT)
    );

    let admin_script =
        "\nimport init from '/admin/sso-admin-0123456789abcdef.js';\nawait init();\n";
    std::fs::create_dir_all(d.dist.join("admin")).expect("mkdir admin");
    std::fs::write(d.dist.join("admin/index.html"), index_html(admin_script)).expect("write");
    // Picked up without a restart, like a rebuilt index.html.
    for path in ["/admin", "/admin/", "/admin/anything", "/admin/index.html"] {
        let response = get(&app, path).await;
        assert_is_index(&response);
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains(&expected_hash(admin_script)), "{path}: {csp}");
        assert!(
            !csp.contains(&expected_hash(INLINE_SCRIPT)),
            "{path}: {csp}"
        );
        assert!(csp.contains("connect-src 'self' https:"), "{path}: {csp}");
        assert_eq!(body(response).await, index_html(admin_script), "{path}");
    }
    for path in ["/", "/me", "/administrator", "/index.html"] {
        let response = get(&app, path).await;
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains(&expected_hash(INLINE_SCRIPT)), "{path}: {csp}");
        assert_eq!(body(response).await, index_html(INLINE_SCRIPT), "{path}");
    }
}

#[tokio::test]
async fn the_callback_gets_the_callback_build_with_its_own_hashes() {
    let d = make_dist();
    // Without a callback build, the callback gets the main app (which hands over itself).
    let app = app(&d.dist, &[]);
    assert_eq!(
        body(get(&app, "/oidc/callback").await).await,
        index_html(INLINE_SCRIPT)
    );

    let callback_script =
        "\nimport init from '/callback/sso-callback-0123456789abcdef.js';\nawait init();\n";
    std::fs::create_dir_all(d.dist.join("callback")).expect("mkdir callback");
    std::fs::write(
        d.dist.join("callback/index.html"),
        index_html(callback_script),
    )
    .expect("write");
    for path in [
        "/oidc/callback",
        "/oidc/callback?code=x&state=y",
        "/callback/index.html",
    ] {
        let response = get(&app, path).await;
        assert_is_index(&response);
        let csp = header(&response, "content-security-policy");
        assert!(
            csp.contains(&expected_hash(callback_script)),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains(&expected_hash(INLINE_SCRIPT)),
            "{path}: {csp}"
        );
        // Only /admin may reach providers that are not saved.
        assert!(!csp.contains("https:"), "{path}: {csp}");
        assert_eq!(body(response).await, index_html(callback_script), "{path}");
    }
    for path in ["/", "/me", "/logout", "/callback", "/oidc/callback/x"] {
        let response = get(&app, path).await;
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains(&expected_hash(INLINE_SCRIPT)), "{path}: {csp}");
    }
}

#[tokio::test]
async fn non_html_responses_get_a_locked_down_csp() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for uri in [
        "/healthz".to_owned(),
        format!("/{JS}"),
        "/api/nope".to_owned(),
    ] {
        let response = get(&app, &uri).await;
        assert_eq!(
            header(&response, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            "{uri}"
        );
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{uri}"
        );
        assert_eq!(header(&response, "referrer-policy"), "no-referrer", "{uri}");
    }
}

#[tokio::test]
async fn path_traversal_does_not_escape_dist() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for uri in [
        "/../Cargo.toml",
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
    ] {
        let response = get(&app, uri).await;
        let body = json_error(response, StatusCode::BAD_REQUEST, "invalid_path", uri).await;
        assert!(!body.to_string().contains(SECRET), "{uri}");
    }
    // Names that are not traversal but must still not leak anything.
    for uri in ["/.env", "/link.txt", "//secret.txt", "/%2fsecret.txt"] {
        let response = get(&app, uri).await;
        let status = response.status();
        let body = body(response).await;
        assert!(
            !String::from_utf8_lossy(&body).contains(SECRET),
            "{uri} leaked ({status})"
        );
    }
}

#[tokio::test]
async fn sso_config_endpoint() {
    let d = make_dist();
    let app = app(
        &d.dist,
        &[
            ("OIDC_ISSUER", "http://127.0.0.1:9400"),
            ("OIDC_CLIENT_ID", "sso-web"),
            ("OIDC_SCOPES", "groups, offline_access openid groups"),
        ],
    );
    let response = get(&app, "/api/v1/sso/config").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(
        json(response).await,
        json!({
            "issuer": "http://127.0.0.1:9400",
            "client_id": "sso-web",
            "auth_method": "pkce",
            "scopes": ["groups", "offline_access"],
            "groups_claim": "groups",
            "token_relay": false
        })
    );
}

#[tokio::test]
async fn pages_carry_the_public_settings_as_an_inert_json_block() {
    let d = make_dist();
    let vars = [
        ("OIDC_ISSUER", "http://127.0.0.1:9400"),
        ("OIDC_CLIENT_ID", "sso-web"),
        // Whatever an admin or the environment sets must not end the element.
        ("OIDC_GROUPS_CLAIM", "</script><script>alert(1)</script>&"),
    ];
    let plain = app(&d.dist, &[]);
    let app = app(&d.dist, &vars);
    let api = json(get(&app, "/api/v1/sso/config").await).await;

    for path in ["/", "/me", "/oidc/callback?code=x"] {
        let response = get(&app, path).await;
        assert_is_index(&response);
        let csp = header(&response, "content-security-policy");
        let etag = header(&response, "etag");
        let page = String::from_utf8(body(response).await.to_vec()).expect("utf-8");
        let open = "<script type=\"application/json\" id=\"sso-config\">";
        let start = page.find(open).expect("the settings block") + open.len();
        let end = start + page[start..].find("</script>").expect("closed");
        // Then the session's block: no cookie, no Sec-Fetch-Site, so the SPA must ask.
        assert!(
            page[end..].starts_with(
                "</script><script type=\"application/json\" id=\"sso-session\">\"unknown\"</script></head>"
            ),
            "{page}"
        );
        let block = &page[start..end];
        assert!(
            !block.contains('<') && !block.contains('>') && !block.contains('&'),
            "{block}"
        );
        let parsed: serde_json::Value = serde_json::from_str(block).expect("JSON");
        assert_eq!(parsed, api, "{path}: the same settings as the API");
        // Only Trunk's boot script is allowed to run; the block is data.
        assert!(csp.contains(&expected_hash(INLINE_SCRIPT)), "{csp}");
        assert!(!csp.contains(&expected_hash(block)), "{csp}");

        // The ETag covers the settings: unchanged page, 304.
        let again = send(
            &app,
            Request::get(path)
                .header("if-none-match", &etag)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    // Other settings, another tag: a browser revalidating gets the new page.
    let unconfigured = get(&plain, "/").await;
    let configured = get(&app, "/").await;
    assert_ne!(header(&unconfigured, "etag"), header(&configured, "etag"));
    assert_eq!(
        body(unconfigured).await,
        index_html(INLINE_SCRIPT),
        "no block before SSO is set up"
    );
}

#[tokio::test]
async fn sso_config_implicit_and_custom_claim() {
    let d = make_dist();
    let app = app(
        &d.dist,
        &[
            ("OIDC_ISSUER", "https://idp.example.com/realms/main/"),
            ("OIDC_CLIENT_ID", "spa"),
            ("OIDC_AUTH_METHOD", "implicit"),
            ("OIDC_GROUPS_CLAIM", "roles"),
        ],
    );
    assert_eq!(
        json(get(&app, "/api/v1/sso/config").await).await,
        json!({
            "issuer": "https://idp.example.com/realms/main/",
            "client_id": "spa",
            "auth_method": "implicit",
            "scopes": [],
            "groups_claim": "roles",
            "token_relay": false
        })
    );
}

#[tokio::test]
async fn sso_config_is_404_when_not_configured() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = get(&app, "/api/v1/sso/config").await;
    let body = json_error(response, StatusCode::NOT_FOUND, "sso_not_configured", "").await;
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("sso-config.json")));
    assert_eq!(body.as_object().map(|o| o.len()), Some(2));
}

#[tokio::test]
async fn healthz() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = get(&app, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await, json!({"status": "ok"}));
}

#[tokio::test]
async fn other_methods_are_405_json() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for (method, uri) in [
        (Method::POST, "/"),
        (Method::PUT, "/me"),
        (Method::DELETE, "/sso-web-3f2a9c1b0d4e5f67.js"),
        (Method::POST, "/api/v1/sso/config"),
        (Method::POST, "/healthz"),
    ] {
        let response = send(
            &app,
            Request::builder()
                .method(method.clone())
                .uri(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        let what = format!("{method} {uri}");
        assert!(header(&response, "allow").contains("GET"), "{what}");
        json_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &what,
        )
        .await;
    }
}

#[tokio::test]
async fn index_revalidates_with_etag_and_keeps_its_csp_on_304() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let first = get(&app, "/me").await;
    let etag = header(&first, "etag");
    assert!(etag.starts_with("W/\""), "{etag}");
    let response = send(
        &app,
        Request::get("/oidc/callback?code=x")
            .header("if-none-match", &etag)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert!(header(&response, "content-security-policy").contains(&expected_hash(INLINE_SCRIPT)));
}

#[tokio::test]
async fn rebuilt_index_is_picked_up_with_its_new_hash() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let before = header(&get(&app, "/").await, "content-security-policy");
    assert!(before.contains(&expected_hash(INLINE_SCRIPT)));

    let new_script = "\nimport init from '/sso-web-aaaaaaaaaaaaaaaa.js';\nawait init();\n";
    let path = d.dist.join("index.html");
    std::fs::write(&path, index_html(new_script)).expect("rewrite index");
    // Make sure the change is visible even on a coarse-mtime filesystem.
    let file = std::fs::File::options()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_modified(SystemTime::now() + Duration::from_secs(5))
        .expect("set mtime");

    let response = get(&app, "/me").await;
    let after = header(&response, "content-security-policy");
    assert!(after.contains(&expected_hash(new_script)), "{after}");
    assert!(!after.contains(&expected_hash(INLINE_SCRIPT)), "{after}");
    assert_eq!(body(response).await, index_html(new_script));
}

#[tokio::test]
async fn precompressed_gzip_is_sent_as_is() {
    let d = make_dist();
    let plain = vec![7u8; 64 * 1024];
    std::fs::write(d.dist.join(WASM), &plain).expect("write wasm");
    // Not a real gzip of `plain`: proves the file on disk is sent, not a fresh compression.
    let stored = b"\x1f\x8b stored by scripts/build.sh".to_vec();
    std::fs::write(d.dist.join(format!("{WASM}.gz")), &stored).expect("write wasm.gz");
    let app = app(&d.dist, &[]);
    let ask = |encoding: &'static str| {
        Request::get(format!("/{WASM}"))
            .header("accept-encoding", encoding)
            .body(Body::empty())
            .expect("request")
    };

    let response = send(&app, ask("gzip, deflate, br")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-encoding"), "gzip");
    assert_eq!(header(&response, "content-type"), "application/wasm");
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&response, "vary")
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert_eq!(body(response).await.to_vec(), stored);

    let response = send(&app, ask("identity")).await;
    assert_eq!(header(&response, "content-type"), "application/wasm");
    assert!(header(&response, "vary")
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert_eq!(body(response).await.to_vec(), plain);

    // With a brotli copy next to it (scripts/build.sh), a browser that offers br gets it;
    // one that offers only gzip still gets the gzip copy.
    let brotli = b"stored brotli".to_vec();
    std::fs::write(d.dist.join(format!("{WASM}.br")), &brotli).expect("write wasm.br");
    let response = send(&app, ask("gzip, deflate, br, zstd")).await;
    assert_eq!(header(&response, "content-encoding"), "br");
    assert_eq!(header(&response, "content-type"), "application/wasm");
    assert_eq!(body(response).await.to_vec(), brotli);
    let response = send(&app, ask("gzip")).await;
    assert_eq!(header(&response, "content-encoding"), "gzip");
    assert_eq!(body(response).await.to_vec(), stored);
}

#[tokio::test]
async fn gzip_when_asked() {
    let d = make_dist();
    std::fs::write(d.dist.join(WASM), vec![0u8; 64 * 1024]).expect("write wasm");
    let app = app(&d.dist, &[]);
    let response = send(
        &app,
        Request::get(format!("/{WASM}"))
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-encoding"), "gzip");
    assert_eq!(header(&response, "content-type"), "application/wasm");
    assert!(body(response).await.len() < 64 * 1024);
}

#[test]
fn missing_index_is_a_startup_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let empty = tmp.path().join("dist");
    std::fs::create_dir(&empty).expect("mkdir");
    let config = config(&empty, &[]);
    let err = match sso_server::AppState::new(&config) {
        Err(e) => e,
        Ok(_) => panic!("dist without index.html must be refused"),
    };
    let message = err.to_string();
    assert!(
        message.starts_with("SSO_DIST must be the SPA build directory"),
        "{message}"
    );
    assert!(message.contains("index.html"), "{message}");
}

#[tokio::test]
async fn only_logout_may_be_framed_and_only_by_the_issuer() {
    let idp = common::idp::spawn_idp().await;
    let d = make_dist();
    let app = app(
        &d.dist,
        &[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", "spa")],
    );
    // Front-channel logout: the IdP loads /logout?iss=…&sid=… in an iframe.
    for uri in ["/logout", "/logout?iss=x&sid=y"] {
        let response = get(&app, uri).await;
        assert_is_index(&response);
        let csp = header(&response, "content-security-policy");
        assert_eq!(
            directive(&csp, "frame-ancestors"),
            format!("frame-ancestors 'self' {}", idp.origin),
            "{uri}"
        );
        assert!(response.headers().get("x-frame-options").is_none(), "{uri}");
        // The rest of the policy is the same as on any other page.
        let me = header(&get(&app, "/me").await, "content-security-policy");
        assert_eq!(
            csp.replace(
                &format!("frame-ancestors 'self' {}", idp.origin),
                "frame-ancestors 'none'"
            ),
            me
        );
    }
    // A revalidation keeps the same framing headers.
    let etag = header(&get(&app, "/logout").await, "etag");
    let response = send(
        &app,
        Request::get("/logout")
            .header("if-none-match", &etag)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert!(response.headers().get("x-frame-options").is_none());
    assert!(header(&response, "content-security-policy")
        .contains(&format!("frame-ancestors 'self' {}", idp.origin)));

    for uri in [
        "/",
        "/me",
        "/admin",
        "/logout/",
        "/logout/x",
        "/logoutx",
        "/oidc/callback",
    ] {
        let response = get(&app, uri).await;
        assert_is_index(&response);
        let csp = header(&response, "content-security-policy");
        assert_eq!(
            directive(&csp, "frame-ancestors"),
            "frame-ancestors 'none'",
            "{uri}"
        );
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{uri}");
    }
    for uri in ["/healthz", "/api/v1/sso/config", "/favicon.ico"] {
        let response = get(&app, uri).await;
        assert!(header(&response, "content-security-policy").contains("frame-ancestors 'none'"));
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{uri}");
    }
}

#[tokio::test]
async fn without_an_issuer_logout_may_be_framed_only_by_the_app() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = get(&app, "/logout").await;
    assert_eq!(
        directive(
            &header(&response, "content-security-policy"),
            "frame-ancestors"
        ),
        "frame-ancestors 'self'"
    );
    assert!(response.headers().get("x-frame-options").is_none());
}
