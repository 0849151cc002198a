//! The token relay POST /api/v1/sso/token in process, against the IdP stub's real token endpoint: client authentication (basic or post), what is forwarded, pass-through of the IdP's answer, validation, and that the secret never leaves.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use common::idp::{spawn_idp, Idp, ACCESS_TOKEN};
use common::*;
use serde_json::{json, Value};

const TOKEN: &str = "/api/v1/sso/token";
/// Needs form-urlencoding before Basic: `:` and `+` (and a space and `%`).
const CLIENT_ID: &str = "spa:web+1";
const SECRET: &str = "s3cr:t+p/w%d ü";
const CODE: &str = "AUTH-CODE-4f9a.b_c-d~e";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9Xs.gX~_Ii8W_M3z0LgvW1Zp2q";

fn redirect_uri() -> &'static str {
    "http://app.example.test:8080/oidc/callback"
}

fn good() -> Value {
    json!({"code": CODE, "code_verifier": VERIFIER, "redirect_uri": redirect_uri()})
}

fn relay_app(d: &TestDist, idp: &Idp, secret: Option<&str>) -> Router {
    let mut vars = vec![("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)];
    if let Some(secret) = secret {
        vars.push(("OIDC_CLIENT_SECRET", secret));
    }
    app(&d.dist, &vars)
}

/// The app's own host, where its page sends the relay request from.
const APP_HOST: &str = "app.example.test:8080";
const APP_ORIGIN: &str = "http://app.example.test:8080";

/// A relay request to `APP_HOST`, from `origin` (the app's own by default).
fn relay(
    body: impl Into<String>,
    content_type: Option<&str>,
    origin: Option<&str>,
) -> Request<Body> {
    let mut builder = Request::post(TOKEN)
        .header("host", APP_HOST)
        .header("origin", origin.unwrap_or(APP_ORIGIN));
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(Body::from(body.into())).expect("request")
}

fn json_relay(body: &Value) -> Request<Body> {
    relay(body.to_string(), Some("application/json"), None)
}

/// Status, full text (headers and body) for leak checks, and the JSON body.
async fn call(app: &Router, request: Request<Body>) -> (StatusCode, String, Value) {
    let response = send(app, request).await;
    let status = response.status();
    let mut text = String::new();
    for (name, value) in response.headers() {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    let bytes = body(response).await;
    text.push_str(&String::from_utf8_lossy(&bytes));
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, text, json)
}

fn assert_no_secret(text: &str) {
    for leak in [SECRET, "s3cr", "Basic ", "client_secret="] {
        assert!(!text.contains(leak), "{leak:?} in {text}");
    }
}

/// Relays `good()`, which must fail with 502 `token_endpoint_failed` and
/// without the secret anywhere in the answer; the message.
async fn relay_fails(app: &Router) -> String {
    let (status, text, json) = call(app, json_relay(&good())).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{text}");
    assert_eq!(json["error"], "token_endpoint_failed", "{text}");
    assert_no_secret(&text);
    json["message"].as_str().expect("message").to_owned()
}

/// What the spec says the Basic header is for CLIENT_ID and SECRET,
/// computed by hand: each form-urlencoded, then joined and base64'd.
fn expected_basic() -> String {
    let user = "spa%3Aweb%2B1";
    let password = "s3cr%3At%2Bp%2Fw%25d+%C3%BC";
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test]
async fn basic_auth_by_default_and_the_answer_passes_through() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));

    let response = send(
        &app,
        relay(
            good().to_string(),
            Some("application/json; charset=utf-8"),
            Some("http://app.example.test:8080"),
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(header(&response, "pragma"), "no-cache");
    let mut text = format!("{:?}\n", response.headers());
    let bytes = body(response).await;
    text.push_str(&String::from_utf8_lossy(&bytes));
    let answer: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(answer["access_token"], ACCESS_TOKEN);
    assert_no_secret(&text);

    let calls = idp.token_calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(
        call.authorization.as_deref(),
        Some(expected_basic().as_str())
    );
    assert_eq!(
        call.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(call.accept.as_deref(), Some("application/json"));
    assert_eq!(
        call.body,
        "grant_type=authorization_code&code=AUTH-CODE-4f9a.b_c-d%7Ee\
         &redirect_uri=http%3A%2F%2Fapp.example.test%3A8080%2Foidc%2Fcallback\
         &code_verifier=dBjftJeZ4CVP-mJ92K9Xs.gX%7E_Ii8W_M3z0LgvW1Zp2q&client_id=spa%3Aweb%2B1"
    );
    assert_eq!(call.field("code"), Some(CODE));
    assert_eq!(call.field("code_verifier"), Some(VERIFIER));
    assert_eq!(call.field("redirect_uri"), Some(redirect_uri()));
    assert_eq!(call.field("client_id"), Some(CLIENT_ID));
    assert_eq!(call.field("client_secret"), None);
}

#[tokio::test]
async fn the_exact_idp_body_is_returned_byte_for_byte() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(Some(&["client_secret_basic", "private_key_jwt"]));
    let raw =
        r#"{ "id_token":"a.b.c" ,"access_token":"x","token_type":"Bearer","extra":{"n":[1,2]} }"#;
    idp.answer_token(200, "application/json;charset=UTF-8", raw);
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let response = send(&app, json_relay(&good())).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await, raw.as_bytes());
}

#[tokio::test]
async fn post_auth_when_discovery_lists_only_client_secret_post() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(Some(&["client_secret_post", "private_key_jwt"]));
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let (status, text, _) = call(&app, json_relay(&good())).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let calls = idp.token_calls();
    let call = &calls[0];
    assert_eq!(call.authorization, None);
    assert_eq!(
        call.names(),
        [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(call.field("client_id"), Some(CLIENT_ID));
    assert_eq!(call.field("client_secret"), Some(SECRET));
    assert!(
        call.body
            .ends_with("&client_id=spa%3Aweb%2B1&client_secret=s3cr%3At%2Bp%2Fw%25d+%C3%BC"),
        "{}",
        call.body
    );
    assert_no_secret(&text);
}

#[tokio::test]
async fn basic_when_discovery_lists_both() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(Some(&["client_secret_post", "client_secret_basic"]));
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let (status, _, _) = call(&app, json_relay(&good())).await;
    assert_eq!(status, StatusCode::OK);
    let call = &idp.token_calls()[0];
    assert_eq!(
        call.authorization.as_deref(),
        Some(expected_basic().as_str())
    );
    assert_eq!(call.field("client_secret"), None);
}

#[tokio::test]
async fn idp_errors_pass_through_with_their_status_and_body() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    for (status, raw) in [
        (
            400,
            r#"{"error":"invalid_grant","error_description":"Code not valid"}"#,
        ),
        (401, r#"{"error":"invalid_client"}"#),
    ] {
        idp.answer_token(status, "application/json", raw);
        let response = send(&app, json_relay(&good())).await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(header(&response, "content-type"), "application/json");
        assert!(response.headers().get("www-authenticate").is_none());
        assert_eq!(body(response).await, raw.as_bytes());
    }
}

#[tokio::test]
async fn broken_idp_answers_are_502() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(300 * 1024));
    for (status, content_type, raw, needle) in [
        (200, "text/html", "<html>login</html>", "not JSON"),
        (400, "text/plain", "bad request", "not JSON"),
        (
            500,
            "application/json",
            r#"{"error":"server_error"}"#,
            "HTTP 500",
        ),
        (302, "text/plain", "", "HTTP 302"),
        (
            200,
            "application/json",
            big.as_str(),
            "more than 262144 bytes",
        ),
    ] {
        idp.answer_token(status, content_type, raw);
        let message = relay_fails(&app).await;
        assert!(message.contains(needle), "{status}: {message}");
        assert!(message.contains(&idp.token_endpoint()), "{message}");
        assert!(!message.contains(CODE) && !message.contains(VERIFIER));
    }
}

#[tokio::test]
async fn unreachable_or_unusable_token_endpoints_are_502() {
    let idp = spawn_idp().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}/token", listener.local_addr().expect("addr"));
    drop(listener);
    idp.set_discovery("token_endpoint", json!(closed));
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let message = relay_fails(&app).await;
    assert!(
        message.contains("could not be reached") && message.contains(&closed),
        "{message}"
    );

    // The default stub names https://token.example.com/token: fine. A plain
    // http endpoint on another host is not trusted with the secret.
    let idp = spawn_idp().await;
    idp.set_discovery("token_endpoint", json!("http://token.example.com/token"));
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let message = relay_fails(&app).await;
    assert!(
        message.contains("not usable for the code flow") && message.contains("must use https"),
        "{message}"
    );

    // A document for another issuer is not believed: the sign-in's own parse refuses it, so
    // there is no document (the log says why).
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    idp.set_discovery("issuer", json!("https://someone-else.example.com"));
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let message = relay_fails(&app).await;
    assert!(message.contains("could not be loaded"), "{message}");
    assert!(idp.token_calls().is_empty());
}

#[tokio::test]
async fn discovery_failure_is_502() {
    // An issuer on a port where nothing listens.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let d = make_dist();
    let app = app(
        &d.dist,
        &[
            ("OIDC_ISSUER", &issuer),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_SECRET", SECRET),
        ],
    );
    let message = relay_fails(&app).await;
    assert!(message.contains("discovery document"), "{message}");
}

#[tokio::test]
async fn disabled_without_a_secret_and_404_without_sso() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    let d = make_dist();
    let app = relay_app(&d, &idp, None);
    let (status, _, json) = call(&app, json_relay(&good())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"], "token_relay_disabled");
    assert!(json["message"]
        .as_str()
        .is_some_and(|m| m.contains("client secret")));
    let config = config_json(&app, "/api/v1/sso/config").await;
    assert_eq!(config["token_relay"], false);
    assert!(idp.token_calls().is_empty());

    // A secret and an issuer, but no client ID yet.
    let d = make_dist();
    let app = common::app(
        &d.dist,
        &[("OIDC_ISSUER", idp.issuer()), ("OIDC_SECRET", SECRET)],
    );
    let (status, text, json) = call(&app, json_relay(&good())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"], "sso_not_configured");
    assert_no_secret(&text);
}

async fn config_json(app: &Router, uri: &str) -> Value {
    json(get(app, uri).await).await
}

#[tokio::test]
async fn public_config_says_whether_the_relay_is_on_and_nothing_else() {
    let idp = spawn_idp().await;
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let response = get(&app, "/api/v1/sso/config").await;
    let (_, text) = everything(response).await;
    assert_no_secret(&text);
    let config = config_json(&app, "/api/v1/sso/config").await;
    assert_eq!(
        config,
        json!({
            "issuer": idp.issuer(),
            "client_id": CLIENT_ID,
            "auth_method": "pkce",
            "scopes": [],
            "groups_claim": "groups",
            "token_relay": true
        })
    );
}

#[tokio::test]
async fn requests_are_validated_before_anything_is_sent() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    let with = |field: &str, value: Value| {
        let mut body = good();
        if value.is_null() {
            body.as_object_mut().expect("object").remove(field);
        } else {
            body[field] = value;
        }
        body
    };
    let cases: Vec<(Value, Option<&str>, &str, &str)> = vec![
        (with("code", Value::Null), None, "code", "required"),
        (with("code", json!("")), None, "code", "must not be empty"),
        (
            with("code_verifier", Value::Null),
            None,
            "code_verifier",
            "required",
        ),
        (
            with("redirect_uri", Value::Null),
            None,
            "redirect_uri",
            "required",
        ),
        (
            with("code_verifier", json!("a".repeat(42))),
            None,
            "code_verifier",
            "43 to 128",
        ),
        (
            with("code_verifier", json!("a".repeat(129))),
            None,
            "code_verifier",
            "43 to 128",
        ),
        (
            with("code_verifier", json!(format!("{}=", "a".repeat(50)))),
            None,
            "code_verifier",
            "43 to 128",
        ),
        (
            with("code", json!("c".repeat(4097))),
            None,
            "code",
            "at most 4096",
        ),
        (
            with(
                "redirect_uri",
                json!("http://app.example.test:8080/callback"),
            ),
            None,
            "redirect_uri",
            "path /oidc/callback",
        ),
        (
            with(
                "redirect_uri",
                json!("http://app.example.test:8080/oidc/callback?x=1"),
            ),
            None,
            "redirect_uri",
            "query",
        ),
        (
            with(
                "redirect_uri",
                json!("http://app.example.test:8080/oidc/callback#x"),
            ),
            None,
            "redirect_uri",
            "fragment",
        ),
        (
            with("redirect_uri", json!("javascript:alert(1)")),
            None,
            "redirect_uri",
            "absolute http or https",
        ),
        (
            with("client_secret", json!("x")),
            None,
            "client_secret",
            "unknown field",
        ),
        (
            with("token_endpoint", json!("https://evil.example.com/t")),
            None,
            "token_endpoint",
            "unknown field",
        ),
    ];
    for (body, origin, field, needle) in cases {
        let (status, text, json) = call(
            &app,
            relay(body.to_string(), Some("application/json"), origin),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
        assert_eq!(json["error"], "validation_failed", "{body}");
        let fields = json["fields"].as_object().expect("fields");
        assert_eq!(fields.len(), 1, "{json}");
        assert!(
            fields[field].as_str().is_some_and(|m| m.contains(needle)),
            "{field} / {needle}: {json}"
        );
        assert!(!text.contains(CODE) && !text.contains(VERIFIER), "{text}");
    }

    // Several problems at once are all reported.
    let (_, _, json) = call(&app, json_relay(&json!({"code": 1, "extra": true}))).await;
    let mut names: Vec<&str> = json["fields"]
        .as_object()
        .expect("fields")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["code", "code_verifier", "extra", "redirect_uri"]);

    for body in ["", "{", "[]", "null", "\"code\""] {
        let (status, _, json) = call(&app, relay(body, Some("application/json"), None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(json["error"], "invalid_json", "{body:?}");
    }

    for content_type in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json-patch+json"),
    ] {
        let (status, _, json) = call(&app, relay(good().to_string(), content_type, None)).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(json["error"], "unsupported_media_type");
        assert_eq!(
            json["message"],
            "send the body with Content-Type: application/json"
        );
    }

    let mut big = good();
    big["padding"] = json!("x".repeat(16 * 1024));
    let (status, _, json) = call(&app, json_relay(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json["error"], "payload_too_large");

    assert!(idp.token_calls().is_empty(), "nothing reached the IdP");

    // And the same Origin as the redirect URI is fine.
    let (status, text, _) = call(
        &app,
        relay(
            good().to_string(),
            Some("application/json"),
            Some("http://app.example.test:8080"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
}

#[tokio::test]
async fn only_post_is_allowed() {
    let idp = spawn_idp().await;
    let d = make_dist();
    let app = relay_app(&d, &idp, Some(SECRET));
    for method in ["GET", "PUT", "OPTIONS"] {
        let response = send(
            &app,
            Request::builder()
                .method(method)
                .uri(TOKEN)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(header(&response, "allow"), "POST");
        // No CORS: a cross-origin page's preflight fails.
        assert!(response
            .headers()
            .get("access-control-allow-origin")
            .is_none());
    }
}

#[tokio::test]
async fn a_saved_secret_turns_the_relay_on_and_a_saved_null_off() {
    const SETUP: &str = "setup-token-for-relay-tests-0123";
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    let d = make_dist();
    let app = app(
        &d.dist,
        &[
            ("SSO_BOOTSTRAP_TOKEN", SETUP),
            ("OIDC_ISSUER", idp.issuer()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
        ],
    );
    assert_eq!(
        config_json(&app, "/api/v1/sso/config").await["token_relay"],
        false
    );
    let put = |version: u64, body: Value| {
        admin_request(
            "PUT",
            "/api/v1/admin/sso",
            Some(SETUP),
            Some(&format!("\"{version}\"")),
            Some(&body.to_string()),
        )
    };
    assert_eq!(
        send(&app, put(0, json!({"client_secret": "saved-secret"})))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        config_json(&app, "/api/v1/sso/config").await["token_relay"],
        true
    );
    let (status, _, _) = call(&app, json_relay(&good())).await;
    assert_eq!(status, StatusCode::OK);
    let call_made = &idp.token_calls()[0];
    assert_eq!(
        call_made.authorization.as_deref(),
        Some(
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("spa%3Aweb%2B1:saved-secret")
            )
            .as_str()
        )
    );
    assert_eq!(
        send(&app, put(1, json!({"client_secret": null})))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        config_json(&app, "/api/v1/sso/config").await["token_relay"],
        false
    );
    let (status, _, json) = call(&app, json_relay(&good())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"], "token_relay_disabled");
}

#[tokio::test]
async fn only_the_apps_own_pages_may_relay_and_not_without_end() {
    let idp = spawn_idp().await;
    idp.serve_token_endpoint(None);
    let d = make_dist();
    let app = app(
        &d.dist,
        &[
            ("OIDC_ISSUER", idp.issuer()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_CLIENT_SECRET", SECRET),
            ("SSO_RATE_LIMIT", "3"),
        ],
    );
    // Without an Origin, or from another site or port: refused before the IdP hears of it.
    let no_origin = Request::post(TOKEN)
        .header("host", APP_HOST)
        .header("content-type", "application/json")
        .body(Body::from(good().to_string()))
        .expect("request");
    for request in [
        no_origin,
        relay(
            good().to_string(),
            Some("application/json"),
            Some("https://evil.example.com"),
        ),
        relay(
            good().to_string(),
            Some("application/json"),
            Some("http://app.example.test:8081"),
        ),
    ] {
        let (status, _, json) = call(&app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{json}");
        assert_eq!(json["error"], "csrf_origin_mismatch");
    }
    assert!(idp.token_calls().is_empty(), "nothing was sent to the IdP");
    // The rate limit above counted those three: the fourth request from this address waits.
    let response = send(&app, json_relay(&good())).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(&response, "retry-after").parse().expect("seconds");
    assert!((1..=20).contains(&retry), "{retry}");
    let json = json(response).await;
    assert_eq!(json["error"], "rate_limited", "{json}");
    assert!(
        idp.token_calls().is_empty(),
        "a limited request sends nothing either"
    );
}
