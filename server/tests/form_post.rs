//! The form_post bridge: POST /oidc/callback in process and through a real socket, turned into a 303 to the same path with the fields in the fragment.

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

#[tokio::test]
async fn an_implicit_response_is_bridged_into_the_fragment() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    // As Entra and Keycloak post it: iss percent-encoded, session_state with a dot.
    let body = format!(
        "id_token={ID_TOKEN}&state=Zm9v-YmFy_c3RhdGU&iss=https%3A%2F%2Flogin.example.com%2Ftenant%2Fv2.0\
         &session_state=8a3c2f4e-1b5d.cafe"
    );
    let response = bridge(&app, &body).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(&response, "location"),
        format!(
            "/oidc/callback#id_token={ID_TOKEN}&state=Zm9v-YmFy_c3RhdGU\
             &iss=https%3A%2F%2Flogin.example.com%2Ftenant%2Fv2.0&session_state=8a3c2f4e-1b5d.cafe"
        )
    );
    assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&response, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
    assert!(body_of(response).await.is_empty());

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
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(&response, "location"),
        "/oidc/callback#state=a+b+c&code=x%2Fy%7Ez&state=again&empty="
    );
}

async fn body_of(response: axum::http::Response<Body>) -> Vec<u8> {
    body(response).await.to_vec()
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
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(&response, "location"),
        "/oidc/callback#error=access_denied&error_description=The+user+cancelled+the+sign-in%3A+%22no%22.&state=s-1"
    );
}

#[tokio::test]
async fn the_token_never_reaches_a_query_string() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    // Characters that would end a path or start a query if not re-encoded.
    let response = bridge(&app, "id_token=a%3Fb%23c%26d&state=%3F").await;
    let location = header(&response, "location");
    let (path, fragment) = location.split_once('#').expect("a fragment");
    assert_eq!(path, "/oidc/callback");
    assert!(!location.contains('?'), "{location}");
    assert!(!fragment.contains('#'), "{location}");
    assert_eq!(fragment, "id_token=a%3Fb%23c%26d&state=%3F");
}

#[tokio::test]
async fn an_empty_form_goes_to_the_page_without_a_fragment() {
    let d = make_dist();
    let app = app(&d.dist, &[]);
    let response = bridge(&app, "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&response, "location"), "/oidc/callback");
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
    assert_eq!(bridge(&app, &exactly).await.status(), StatusCode::SEE_OTHER);
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
async fn a_browser_like_client_follows_the_redirect_without_sending_the_fragment() {
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

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = no_redirects
        .post(format!("{base}/oidc/callback"))
        .header("content-type", FORM)
        .body(format!("id_token={ID_TOKEN}&state=s1"))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/oidc/callback#id_token={ID_TOKEN}&state=s1").as_str()
    );
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");

    // Following it: a GET of the page (the fragment stays in the browser).
    let followed = reqwest::Client::new()
        .post(format!("{base}/oidc/callback"))
        .header("content-type", FORM)
        .body(format!("id_token={ID_TOKEN}&state=s1"))
        .send()
        .await
        .expect("POST");
    assert_eq!(followed.status(), 200);
    assert_eq!(followed.url().path(), "/oidc/callback");
    assert_eq!(followed.url().query(), None);
    assert_eq!(
        followed.text().await.expect("body"),
        index_html(INLINE_SCRIPT)
    );

    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}
