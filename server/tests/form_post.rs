//! The form_post bridge: POST /oidc/callback in process and through a real socket, answered with the callback page carrying the fields in a data block (no `Location`, nothing in a header or a query).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::*;

const FORM: &str = "application/x-www-form-urlencoded";

fn post(content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut builder = Request::post("/oidc/callback");
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(body.into()).expect("request")
}

async fn bridge(app: &Router, body: &str) -> axum::http::Response<Body> {
    send(app, post(Some(FORM), body.to_owned())).await
}

/// An ID token-shaped value whose pieces are easy to find in any output.
const ID_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJGT1JNLVBPU1QtVE9LRU4ifQ.c2lnbmF0dXJlLXZhbHVl";

/// The form a page answer carries in `<script type="application/json" id="sso-form-post">`.
fn form_block(html: &str) -> Option<String> {
    let open = "<script type=\"application/json\" id=\"sso-form-post\">";
    let start = html.find(open)? + open.len();
    let end = html[start..].find("</script>")? + start;
    serde_json::from_str::<serde_json::Value>(&html[start..end])
        .ok()?
        .as_str()
        .map(str::to_owned)
}

/// A bridged answer: the page, private, with the fields in its block and nowhere else.
async fn bridged(response: axum::http::Response<Body>) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("location").is_none(), "no Location");
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "private, no-store");
    assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    assert_eq!(header(&response, "etag"), "");
    let csp = header(&response, "content-security-policy");
    assert!(
        csp.contains(&expected_hash(INLINE_SCRIPT)),
        "the page's own CSP: {csp}"
    );
    let html = String::from_utf8(body(response).await.to_vec()).expect("utf-8");
    form_block(&html).expect("the fields' block")
}

#[tokio::test]
async fn an_implicit_response_is_answered_with_the_page_and_its_fields() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    // As Entra and Keycloak post it: iss percent-encoded, session_state with a dot.
    let body = format!(
        "id_token={ID_TOKEN}&state=Zm9v-YmFy_c3RhdGU&iss=https%3A%2F%2Flogin.example.com%2Ftenant%2Fv2.0\
         &session_state=8a3c2f4e-1b5d.cafe"
    );
    let response = bridge(&app, &body).await;
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(
        bridged(response).await,
        format!(
            "id_token={ID_TOKEN}&state=Zm9v-YmFy_c3RhdGU\
             &iss=https%3A%2F%2Flogin.example.com%2Ftenant%2Fv2.0&session_state=8a3c2f4e-1b5d.cafe"
        )
    );

    // A charset parameter is fine; a space and other characters are re-encoded
    // the way a form serializer writes them, the order and repeats kept.
    let response = send(
        &app,
        post(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            "state=a%20b+c&code=x%2Fy~z&&=dropped&state=again&empty=",
        ),
    )
    .await;
    assert_eq!(
        bridged(response).await,
        "state=a+b+c&code=x%2Fy%7Ez&state=again&empty="
    );
}

#[tokio::test]
async fn an_error_response_is_bridged_too() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = bridge(
        &app,
        "error=access_denied&error_description=The+user+cancelled+the+sign-in%3A+%22no%22.&state=s-1",
    )
    .await;
    assert_eq!(
        bridged(response).await,
        "error=access_denied&error_description=The+user+cancelled+the+sign-in%3A+%22no%22.&state=s-1"
    );
}

#[tokio::test]
async fn the_fields_cannot_end_their_element() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    // Characters that would end the script element, a query or the fragment.
    let response = bridge(&app, "id_token=a%3C%2Fscript%3E%3Fb%23c%26d&state=%3F").await;
    let response_html = {
        assert_eq!(response.status(), StatusCode::OK);
        String::from_utf8(body(response).await.to_vec()).expect("utf-8")
    };
    assert!(!response_html.contains("</script>?"), "{response_html}");
    assert_eq!(
        form_block(&response_html).as_deref(),
        Some("id_token=a%3C%2Fscript%3E%3Fb%23c%26d&state=%3F")
    );
}

#[tokio::test]
async fn an_empty_form_is_the_page_with_nothing_in_it() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = bridge(&app, "").await;
    assert_eq!(bridged(response).await, "");
}

#[tokio::test]
async fn an_entra_sized_token_fits_and_the_limit_is_configurable() {
    let d = make_dist();
    // An Entra ID token with 200 groups: about 20 KB.
    let big = format!("id_token={}&state=s", "a".repeat(20_000));
    let app = app(&d.dist, &[]);
    assert_eq!(bridged(bridge(&app, &big).await).await, big);
    let small = app_with_limit(&d, "4096");
    json_error(
        bridge(&small, &big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "SSO_FORM_POST_MAX_BYTES=4096",
    )
    .await;
}

fn app_with_limit(d: &TestDist, limit: &str) -> Router {
    app(&d.dist, &[("SSO_FORM_POST_MAX_BYTES", limit)])
}

#[tokio::test]
async fn only_form_bodies_are_accepted() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for content_type in [
        None,
        Some("application/json"),
        Some("multipart/form-data; boundary=----x"),
        Some("text/plain"),
        Some("application/x-www-form-urlencoded; boundary=x"),
    ] {
        let response = send(&app, post(content_type, format!("id_token={ID_TOKEN}"))).await;
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert!(response.headers().get("location").is_none());
        let bytes = body(response).await;
        assert!(!String::from_utf8_lossy(&bytes).contains(ID_TOKEN));
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(json["error"], "unsupported_media_type");
        assert_eq!(
            json["message"],
            "send the body with Content-Type: application/x-www-form-urlencoded"
        );
    }
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let limit = 64 * 1024;
    let exactly = format!("id_token={}", "a".repeat(limit - "id_token=".len()));
    assert_eq!(bridge(&app, &exactly).await.status(), StatusCode::OK);
    let over = format!("{exactly}a");
    let response = bridge(&app, &over).await;
    json_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "",
    )
    .await;

    // Without a Content-Length (chunked), the limit holds while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..80)
        .map(|i| {
            Ok(if i == 0 {
                b"a=".to_vec()
            } else {
                vec![b'b'; 1024]
            })
        })
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let response = send(&app, post(Some(FORM), Body::from_stream(stream))).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn malformed_forms_are_400_without_echoing_them() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for body in [
        "id_token=SECRET%zz",
        "id_token=SECRET%",
        "id_token=SECRET value",
        "id_token=SECRET%FF",
        "id_token=SECRET\u{e9}",
    ] {
        let response = bridge(&app, body).await;
        let json = json_error(response, StatusCode::BAD_REQUEST, "invalid_form", body).await;
        let message = json["message"].as_str().expect("message");
        assert!(message.contains("field 1"), "{message}");
        assert!(!message.contains("SECRET"), "{message}");
    }
}

#[tokio::test]
async fn get_still_serves_the_page_and_other_methods_are_405() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    for uri in ["/oidc/callback", "/oidc/callback?code=x&state=y"] {
        let response = get(&app, uri).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(body(response).await, index_html(INLINE_SCRIPT));
    }
    let head = send(
        &app,
        Request::head("/oidc/callback")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(head.status(), StatusCode::OK);
    for method in ["PUT", "DELETE", "PATCH"] {
        let response = send(
            &app,
            Request::builder()
                .method(method)
                .uri("/oidc/callback")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(header(&response, "allow"), "GET, HEAD, POST", "{method}");
        json_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            method,
        )
        .await;
    }
    // Only the exact path bridges; elsewhere a POST is still 405.
    let response = send(
        &app,
        Request::post("/oidc/callback/")
            .header("content-type", FORM)
            .body(Body::from("state=x"))
            .expect("request"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn over_a_real_socket_the_page_comes_back_and_an_oversized_post_reads_its_413() {
    let d = make_dist();
    let state = state(&d.dist, &[]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sso_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/oidc/callback"))
        .header("content-type", FORM)
        .body(format!("id_token={ID_TOKEN}&state=s1"))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    assert_eq!(response.url().query(), None);
    let html = response.text().await.expect("body");
    assert_eq!(
        form_block(&html).as_deref(),
        Some(format!("id_token={ID_TOKEN}&state=s1").as_str())
    );

    // 70 KiB over a 64 KiB limit, twenty times: the client reads its 413 every time (the
    // server drains the rest instead of resetting the connection under the client).
    let too_big = format!("id_token={}", "a".repeat(70 * 1024));
    for attempt in 0..20 {
        let response = reqwest::Client::new()
            .post(format!("{base}/oidc/callback"))
            .header("content-type", FORM)
            .body(too_big.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("attempt {attempt}: no answer: {e}"));
        assert_eq!(response.status(), 413, "attempt {attempt}");
    }

    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}
