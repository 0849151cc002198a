//! The admin settings API in process: authentication against a real JWKS from an IdP stub, preconditions, validation, env locks, concurrency, and the public config and CSP following a save. Real SQLite in temp dirs.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use common::idp::{spawn_idp, CLIENT_ID};
use common::*;
use serde_json::{json, Value};
use sso_server::{AppState, SetupToken};

const SETUP: &str = "setup-token-for-tests-0123456789";
const SSO: &str = "/api/v1/admin/sso";

struct Server {
    d: TestDist,
    state: Arc<AppState>,
    app: Router,
}

/// A server on a fresh temp dist and database, with SETUP as its setup token
/// unless `vars` says otherwise.
fn server(vars: &[(&str, &str)]) -> Server {
    let d = make_dist();
    server_on(d, vars)
}

fn server_on(d: TestDist, vars: &[(&str, &str)]) -> Server {
    let mut all: Vec<(&str, &str)> = vec![("SSO_BOOTSTRAP_TOKEN", SETUP)];
    all.retain(|(k, _)| !vars.iter().any(|(v, _)| v == k));
    all.extend_from_slice(vars);
    let state = state(&d.dist, &all);
    let app = sso_server::app(Arc::clone(&state));
    Server { d, state, app }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

async fn call(app: &Router, request: Request<Body>) -> Answer {
    let response = send(app, request).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = body(response).await;
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {:?}", String::from_utf8_lossy(&bytes)));
    Answer {
        status,
        headers,
        json,
    }
}

async fn get_as(app: &Router, uri: &str, bearer: &str) -> Answer {
    call(app, admin_request("GET", uri, Some(bearer), None, None)).await
}

async fn put_as(app: &Router, bearer: &str, if_match: &str, body: &Value) -> Answer {
    call(
        app,
        admin_request(
            "PUT",
            SSO,
            Some(bearer),
            Some(if_match),
            Some(&body.to_string()),
        ),
    )
    .await
}

fn etag(answer: &Answer) -> String {
    answer
        .headers
        .get("etag")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default()
}

fn assert_error(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.json);
    assert_eq!(answer.json["error"], code, "{}", answer.json);
    assert!(
        answer.json["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        answer.json
    );
    assert_eq!(
        answer.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
}

#[tokio::test]
async fn auth_matrix() {
    let idp = spawn_idp().await;
    // Each case below is a failure from the same address; the limit has its own test.
    let s = server(&[
        ("OIDC_ISSUER", idp.issuer()),
        ("OIDC_CLIENT_ID", CLIENT_ID),
        ("SSO_AUTH_FAILURE_LIMIT", "1000"),
    ]);

    let mut no_groups = idp.claims(&[]);
    no_groups.as_object_mut().expect("object").remove("groups");
    let not_admin = sign_in(&s.app, &idp.claims(&["ml-team", "admins-not"])).await;
    let no_groups = sign_in(&s.app, &no_groups).await;
    let signed_out = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let answer = send(
        &s.app,
        cookie_request("DELETE", "/api/v1/session", &signed_out, None),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    let unknown_cookie = format!("sso-web-session={}", "A".repeat(43));
    let id_token = idp.token(&["admins"]);

    /// The headers sent, and the status, code and words of the answer.
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, String)>,
        StatusCode,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "nothing",
            vec![],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "not signed in",
        ),
        (
            "basic",
            vec![("authorization", "Basic dXNlcjpwYXNz".into())],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Bearer scheme",
        ),
        (
            "empty bearer",
            vec![("authorization", "Bearer ".into())],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "empty",
        ),
        (
            "garbage",
            vec![("authorization", "Bearer garbage".into())],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "not the current setup token",
        ),
        (
            "an ID token is no longer an admin credential",
            vec![("authorization", format!("Bearer {id_token}"))],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "an ID token is not an admin credential",
        ),
        (
            "wrong setup token",
            vec![(
                "authorization",
                "Bearer wrong-setup-token-0123456789".into(),
            )],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "not the current setup token",
        ),
        (
            "a cookie the server never issued",
            vec![("cookie", unknown_cookie)],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "not signed in",
        ),
        (
            "a signed-out session",
            vec![("cookie", signed_out)],
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "signed out or revoked",
        ),
        (
            "not an admin",
            vec![("cookie", not_admin)],
            StatusCode::FORBIDDEN,
            "not_admin",
            "is signed in but is not an administrator",
        ),
        (
            "no groups claim",
            vec![("cookie", no_groups)],
            StatusCode::FORBIDDEN,
            "not_admin",
            "is signed in but is not an administrator",
        ),
    ];
    for (label, headers, status, code, message) in cases {
        for uri in [
            SSO,
            "/api/v1/admin/whoami",
            "/api/v1/admin/sso/audit",
            "/api/v1/admin/sessions",
        ] {
            let mut request = Request::get(uri).header("host", HOST);
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            let answer = call(&s.app, request.body(Body::empty()).expect("request")).await;
            assert_error(&answer, status, code);
            let text = answer.json["message"].as_str().unwrap_or("");
            assert!(text.contains(message), "{label} {uri}: {text}");
            // A non-admin learns nothing about who the admins are.
            assert!(!text.contains("admins"), "{label} {uri}: {text}");
            for (_, value) in &headers {
                let credential = value.split([' ', '=']).next_back().unwrap_or("");
                if credential.len() > 8 {
                    assert!(!text.contains(credential), "{label}: credential echoed");
                }
            }
            let www = answer.headers.get("www-authenticate");
            if status == StatusCode::UNAUTHORIZED {
                assert_eq!(www.map(|v| v.as_bytes()), Some(&b"Bearer"[..]), "{label}");
            } else {
                assert!(www.is_none(), "{label}");
            }
        }
    }

    // An unauthenticated PUT is refused before its body is even looked at.
    let answer = call(
        &s.app,
        admin_request("PUT", SSO, None, None, Some("{not json")),
    )
    .await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthenticated");

    let admin = sign_in(&s.app, &idp.claims(&["ml-team", "admins"])).await;
    let answer = get_as(&s.app, SSO, &admin).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let answer = get_as(&s.app, "/api/v1/admin/whoami", &admin).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json,
        json!({"via": "sso", "subject": "user-1234", "name": "Alice Admin", "groups": ["ml-team", "admins"]})
    );
    let answer = get_as(&s.app, "/api/v1/admin/whoami", SETUP).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json,
        json!({"via": "setup_token", "subject": null, "name": null, "groups": []})
    );
}

#[tokio::test]
async fn guessing_the_setup_token_is_limited_logged_and_recovers() {
    // 60 a minute: one more every second.
    let s = server(&[("SSO_AUTH_FAILURE_LIMIT", "60")]);
    for n in 0..60 {
        let guess = format!("guess-{n:04}-0123456789abcdef");
        let answer = get_as(&s.app, SSO, &guess).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // The next try waits, even with the right token: guessing is what is being slowed.
    let answer = get_as(&s.app, SSO, SETUP).await;
    assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = answer
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    // So does anything else from that address until then: the limit is checked before any
    // credential is looked at.
    let anonymous = call(&s.app, admin_request("GET", SSO, None, None, None)).await;
    assert_error(&anonymous, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // After Retry-After, the right token works again (the limit refills; nothing is locked).
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    let answer = get_as(&s.app, SSO, SETUP).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
}

#[tokio::test]
async fn admin_changes_with_the_cookie_need_the_csrf_defence() {
    let idp = spawn_idp().await;
    let s = server(&[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)]);
    let admin = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let body = json!({"scopes": ["groups"]}).to_string();
    let put = |origin: Option<&str>, content_type: &str, marked: bool| {
        let mut request = Request::put(SSO)
            .header("host", HOST)
            .header("cookie", &admin)
            .header("if-match", "\"0\"")
            .header("content-type", content_type);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if marked {
            request = request.header("x-requested-with", "sso-web");
        }
        request.body(Body::from(body.clone())).expect("request")
    };
    for (label, request, code) in [
        (
            "no Origin",
            put(None, "application/json", true),
            "csrf_origin_mismatch",
        ),
        (
            "another site",
            put(Some("https://evil.example"), "application/json", true),
            "csrf_origin_mismatch",
        ),
        (
            "a cross-site form's body",
            put(Some(ORIGIN), "application/x-www-form-urlencoded", false),
            "csrf_header_missing",
        ),
        (
            "text/plain, as fetch no-cors sends",
            put(Some(ORIGIN), "text/plain", false),
            "csrf_header_missing",
        ),
    ] {
        let answer = call(&s.app, request).await;
        assert_error(&answer, StatusCode::FORBIDDEN, code);
        assert!(!answer.json.to_string().contains("admins"), "{label}");
    }
    let revoke_others = Request::post("/api/v1/admin/sessions/revoke-others")
        .header("host", HOST)
        .header("cookie", &admin)
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .expect("request");
    assert_error(
        &call(&s.app, revoke_others).await,
        StatusCode::FORBIDDEN,
        "csrf_origin_mismatch",
    );
    // Nothing was saved, and nobody was signed out.
    let doc = get_as(&s.app, SSO, &admin).await;
    assert_eq!(doc.json["version"], 0);
    // The same change from the app itself goes through.
    let saved = call(&s.app, put(Some(ORIGIN), "application/json", false)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    // Reading needs no CSRF header: GET changes nothing.
    let read = Request::get(SSO)
        .header("host", HOST)
        .header("cookie", &admin)
        .body(Body::empty())
        .expect("request");
    assert_eq!(call(&s.app, read).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_made_under_an_old_issuer_or_client_end_with_the_change() {
    let idp = spawn_idp().await;
    let s = server(&[]);
    let saved = put_as(
        &s.app,
        SETUP,
        "\"0\"",
        &json!({"issuer": idp.issuer(), "client_id": CLIENT_ID}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    let admin = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let answer = get_as(&s.app, "/api/v1/admin/whoami", &admin).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["via"], "sso");

    // A changed client ID ends the sessions made under the old one at once.
    let saved = put_as(
        &s.app,
        SETUP,
        "\"1\"",
        &json!({"client_id": "another-client"}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    let answer = get_as(&s.app, SSO, &admin).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthenticated");
    let session = call(
        &s.app,
        cookie_request("GET", "/api/v1/session", &admin, None),
    )
    .await;
    assert_error(&session, StatusCode::UNAUTHORIZED, "session_revoked");
    let audit = get_as(&s.app, "/api/v1/admin/sso/audit", SETUP).await;
    let events: Vec<&str> = audit.json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["event"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        events,
        [
            "sessions_ended_by_settings",
            "settings_changed",
            "sign_in",
            "settings_changed"
        ]
    );
}

#[tokio::test]
async fn admin_sessions_list_end_one_and_end_everyone_else() {
    let idp = spawn_idp().await;
    let s = server(&[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)]);
    let alice = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let mut bob = idp.claims(&["ml-team"]);
    bob["email"] = json!("bob@example.com");
    bob["sub"] = json!("user-5678");
    let bob_cookie = sign_in(&s.app, &bob).await;
    let bob_again = sign_in(&s.app, &bob).await;

    let list = get_as(&s.app, "/api/v1/admin/sessions", &alice).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.json);
    let sessions = list.json["sessions"].as_array().expect("sessions").clone();
    assert_eq!(sessions.len(), 3);
    let users: Vec<&str> = sessions
        .iter()
        .map(|s| s["user"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        users,
        ["bob@example.com", "bob@example.com", "alice@example.com"]
    );
    assert_eq!(sessions[2]["current"], true);
    assert_eq!(sessions[0]["current"], false);
    for session in &sessions {
        for member in ["signed_in_at", "last_used_at", "expires_at", "id"] {
            assert!(session[member].is_number(), "{member}: {session}");
        }
        assert!(
            !session.to_string().contains("sso-web-session"),
            "no cookie values"
        );
    }
    // The newest of bob's two sessions: ended by alice.
    let id = sessions[0]["id"].as_i64().expect("id");
    let ended = send(
        &s.app,
        admin_request(
            "DELETE",
            &format!("/api/v1/admin/sessions/{id}"),
            Some(&alice),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    let again = call(
        &s.app,
        admin_request(
            "DELETE",
            &format!("/api/v1/admin/sessions/{id}"),
            Some(&alice),
            None,
            None,
        ),
    )
    .await;
    assert_error(&again, StatusCode::NOT_FOUND, "session_not_found");
    let replay = call(
        &s.app,
        cookie_request("GET", "/api/v1/session", &bob_again, None),
    )
    .await;
    assert_error(&replay, StatusCode::UNAUTHORIZED, "session_revoked");
    let still = call(
        &s.app,
        cookie_request("GET", "/api/v1/session", &bob_cookie, None),
    )
    .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "bob's other session lives: {}",
        still.json
    );

    // Bob may not do this.
    let refused = call(
        &s.app,
        admin_request(
            "POST",
            "/api/v1/admin/sessions/revoke-others",
            Some(&bob_cookie),
            None,
            None,
        ),
    )
    .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "not_admin");

    let others = call(
        &s.app,
        admin_request(
            "POST",
            "/api/v1/admin/sessions/revoke-others",
            Some(&alice),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(others.status, StatusCode::OK, "{}", others.json);
    assert_eq!(others.json, json!({"ended": 1}));
    let bob_now = call(
        &s.app,
        cookie_request("GET", "/api/v1/session", &bob_cookie, None),
    )
    .await;
    assert_error(&bob_now, StatusCode::UNAUTHORIZED, "session_revoked");
    let list = get_as(&s.app, "/api/v1/admin/sessions", &alice).await;
    assert_eq!(list.json["sessions"].as_array().map(Vec::len), Some(1));

    let audit = get_as(&s.app, "/api/v1/admin/sso/audit", &alice).await;
    let entries = audit.json["entries"].as_array().expect("entries");
    let events: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap_or(""),
                e["target"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("other_sessions_revoked", "1 session(s)"),
            ("session_revoked", "bob@example.com"),
            ("sign_in", "bob@example.com"),
            ("sign_in", "bob@example.com"),
            ("sign_in", "alice@example.com"),
        ]
    );
    assert_eq!(entries[0]["actor"], "alice@example.com");
    assert_eq!(
        entries[0]["actor_id"],
        format!("{} user-1234", idp.issuer())
    );
    assert!(!audit.json.to_string().contains("sso-web-session"));
    // The setup token ends everyone's, alice's too.
    let all = call(
        &s.app,
        admin_request(
            "POST",
            "/api/v1/admin/sessions/revoke-others",
            Some(SETUP),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(all.json, json!({"ended": 1}));
    let alice_now = call(
        &s.app,
        cookie_request("GET", "/api/v1/session", &alice, None),
    )
    .await;
    assert_error(&alice_now, StatusCode::UNAUTHORIZED, "session_revoked");
}

#[tokio::test]
async fn admin_groups_and_groups_claim_are_configurable() {
    let idp = spawn_idp().await;
    let s = server(&[
        ("OIDC_ISSUER", idp.issuer()),
        ("OIDC_CLIENT_ID", CLIENT_ID),
        ("OIDC_GROUPS_CLAIM", "roles"),
        ("SSO_ADMIN_GROUPS", "sso-admins, ops"),
    ]);
    let mut claims = idp.claims(&["admins"]);
    claims["roles"] = json!(["/ops"]); // Keycloak's full-path form
    let ops = sign_in(&s.app, &claims).await;
    let answer = get_as(&s.app, "/api/v1/admin/whoami", &ops).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["groups"], json!(["ops"]));

    let plain = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let answer = get_as(&s.app, SSO, &plain).await;
    assert_error(&answer, StatusCode::FORBIDDEN, "not_admin");
    let message = answer.json["message"].as_str().unwrap_or("");
    assert!(
        !message.contains("sso-admins") && !message.contains("ops"),
        "{message}"
    );
}

/// The document has `version`, one member per setting of the table and nothing else, and
/// the members in `expected` as given.
fn assert_document(doc: &Value, version: u64, expected: &Value) {
    assert_eq!(doc["version"], version, "{doc}");
    let settings = doc["settings"].as_object().expect("settings");
    let mut names: Vec<&str> = settings.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut table: Vec<&str> = sso_web::contract::settings::SETTINGS
        .iter()
        .map(|s| s.name)
        .collect();
    table.sort_unstable();
    assert_eq!(names, table, "{doc}");
    for (name, state) in expected.as_object().expect("object") {
        assert_eq!(&settings[name], state, "{name}");
    }
}

#[tokio::test]
async fn fresh_server_document() {
    let s = server(&[]);
    let answer = get_as(&s.app, SSO, SETUP).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(etag(&answer), "\"0\"");
    assert_eq!(
        answer.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    assert_document(
        &answer.json,
        0,
        &json!({
            "issuer": {"value": null, "source": "unset", "env_var": null},
            "client_id": {"value": null, "source": "unset", "env_var": null},
            "auth_method": {"value": "pkce", "source": "unset", "env_var": null},
            "groups_claim": {"value": "groups", "source": "unset", "env_var": null},
            "scopes": {"value": [], "source": "unset", "env_var": null},
            "client_secret": {"set": false, "source": "unset", "env_var": null}
        }),
    );
}

#[tokio::test]
async fn put_saves_versions_and_audits() {
    let s = server(&[]);
    let body = json!({
        "issuer": "http://localhost:1/realms/main",
        "client_id": "sso-web",
        "auth_method": "implicit",
        "client_secret": "hush",
        "groups_claim": "roles",
        "scopes": ["groups", "offline_access"]
    });
    let saved = put_as(&s.app, SETUP, "\"0\"", &body).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    assert_eq!(etag(&saved), "\"1\"");
    assert_document(
        &saved.json,
        1,
        &json!({
            "issuer": {"value": "http://localhost:1/realms/main", "source": "ui", "env_var": null},
            "client_id": {"value": "sso-web", "source": "ui", "env_var": null},
            "auth_method": {"value": "implicit", "source": "ui", "env_var": null},
            "groups_claim": {"value": "roles", "source": "ui", "env_var": null},
            "scopes": {"value": ["groups", "offline_access"], "source": "ui", "env_var": null},
            "client_secret": {"set": true, "source": "ui", "env_var": null}
        }),
    );
    let fetched = get_as(&s.app, SSO, SETUP).await;
    assert_eq!(fetched.json, saved.json);
    assert_eq!(etag(&fetched), "\"1\"");

    // The same values again: 200, no new version, no audit entry.
    let again = put_as(&s.app, SETUP, "\"1\"", &body).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(etag(&again), "\"1\"");
    assert_eq!(again.json, saved.json);

    // null unsets (the secret is removed); omitted fields stay.
    let cleared = put_as(
        &s.app,
        SETUP,
        "\"1\"",
        &json!({"client_secret": null, "groups_claim": null}),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(cleared.json["version"], 2);
    assert_eq!(
        cleared.json["settings"]["groups_claim"],
        json!({"value": "groups", "source": "unset", "env_var": null})
    );
    assert_eq!(
        cleared.json["settings"]["client_secret"],
        json!({"set": false, "source": "unset", "env_var": null})
    );
    assert_eq!(cleared.json["settings"]["client_id"]["value"], "sso-web");

    let audit = get_as(&s.app, "/api/v1/admin/sso/audit", SETUP).await;
    assert_eq!(audit.status, StatusCode::OK);
    let entries = audit.json["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{}", audit.json);
    assert_eq!(audit.json["next_before"], Value::Null);
    assert_eq!(entries[0]["version"], 2);
    assert_eq!(
        entries[0]["fields"],
        json!(["client_secret", "groups_claim"])
    );
    assert_eq!(entries[0]["actor"], "setup token");
    assert_eq!(entries[0]["actor_kind"], "setup_token");
    assert_eq!(entries[1]["version"], 1);
    assert_eq!(
        entries[1]["fields"],
        json!([
            "issuer",
            "client_id",
            "auth_method",
            "client_secret",
            "groups_claim",
            "scopes"
        ])
    );
    let at = entries[0]["at"].as_str().expect("at");
    assert_eq!(at.len(), 20, "{at}");
    assert!(at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
    assert!(entries[0]["id"].as_i64() > entries[1]["id"].as_i64());
}

#[tokio::test]
async fn audit_by_sso_user_and_paging() {
    let idp = spawn_idp().await;
    let s = server(&[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)]);
    let admin = sign_in(&s.app, &idp.claims(&["admins"])).await;
    for version in 0..5 {
        let answer = put_as(
            &s.app,
            &admin,
            &format!("\"{version}\""),
            &json!({"scopes": [format!("scope-{version}")]}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    }
    let page = get_as(&s.app, "/api/v1/admin/sso/audit?limit=2", &admin).await;
    let versions = |page: &Answer| -> Vec<i64> {
        page.json["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["event"] == "settings_changed")
            .map(|e| e["version"].as_i64().expect("version"))
            .collect()
    };
    assert_eq!(versions(&page), [5, 4]);
    assert_eq!(page.json["entries"][0]["actor"], "alice@example.com");
    assert_eq!(page.json["entries"][0]["actor_kind"], "sso");
    let next = page.json["next_before"].as_i64().expect("more pages");
    assert_eq!(Some(next), page.json["entries"][1]["id"].as_i64());
    let page = get_as(
        &s.app,
        &format!("/api/v1/admin/sso/audit?limit=2&before={next}"),
        &admin,
    )
    .await;
    assert_eq!(versions(&page), [3, 2]);
    let next = page.json["next_before"].as_i64().expect("more pages");
    let page = get_as(
        &s.app,
        &format!("/api/v1/admin/sso/audit?limit=2&before={next}"),
        &admin,
    )
    .await;
    // The oldest page: version 1 and alice's sign-in.
    assert_eq!(versions(&page), [1]);
    assert_eq!(page.json["entries"][1]["event"], "sign_in");
    assert_eq!(page.json["next_before"], Value::Null);
    let all = get_as(&s.app, "/api/v1/admin/sso/audit", &admin).await;
    assert_eq!(versions(&all), [5, 4, 3, 2, 1]);

    for bad in ["limit=0", "limit=101", "limit=ten", "before=-3"] {
        let answer = get_as(&s.app, &format!("/api/v1/admin/sso/audit?{bad}"), &admin).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "validation_failed");
        let field = bad.split('=').next().expect("name");
        assert!(
            answer.json["fields"][field].is_string(),
            "{bad}: {}",
            answer.json
        );
    }
}

#[tokio::test]
async fn if_match_is_required_and_checked() {
    let s = server(&[]);
    let body = json!({"client_id": "x"}).to_string();
    let answer = call(
        &s.app,
        admin_request("PUT", SSO, Some(SETUP), None, Some(&body)),
    )
    .await;
    assert_error(
        &answer,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
    );
    let answer = call(
        &s.app,
        admin_request("PUT", SSO, Some(SETUP), Some("*"), Some(&body)),
    )
    .await;
    assert_error(
        &answer,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
    );

    assert_eq!(
        put_as(&s.app, SETUP, "\"0\"", &json!({"client_id": "a"}))
            .await
            .status,
        StatusCode::OK
    );
    for stale in ["\"0\"", "\"7\"", "W/\"1\"", "1", "\"abc\""] {
        let answer = call(
            &s.app,
            admin_request("PUT", SSO, Some(SETUP), Some(stale), Some(&body)),
        )
        .await;
        assert_error(
            &answer,
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
        );
        assert_eq!(answer.json["current_version"], 1, "{stale}");
        assert_eq!(etag(&answer), "\"1\"");
    }
    let current = get_as(&s.app, SSO, SETUP).await;
    assert_eq!(current.json["settings"]["client_id"]["value"], "a");
}

#[tokio::test]
async fn each_validation_error_names_its_field() {
    let s = server(&[]);
    let cases: [(Value, &str); 17] = [
        (json!({"issuer": "idp.example.com"}), "issuer"),
        (json!({"issuer": "http://idp.example.com"}), "issuer"),
        (
            json!({"issuer": "https://idp.example.com/?tenant=a"}),
            "issuer",
        ),
        (json!({"issuer": "https://idp.example.com/#x"}), "issuer"),
        (
            json!({"issuer": "https://admin:pw@idp.example.com"}),
            "issuer",
        ),
        (json!({"issuer": 42}), "issuer"),
        (json!({"client_id": ""}), "client_id"),
        (json!({"client_id": "   "}), "client_id"),
        (json!({"auth_method": "code"}), "auth_method"),
        (json!({"auth_method": ""}), "auth_method"),
        (json!({"scopes": ["groups", "offline access"]}), "scopes"),
        (json!({"scopes": [""]}), "scopes"),
        (json!({"scopes": "groups"}), "scopes"),
        (json!({"groups_claim": ""}), "groups_claim"),
        (json!({"client_secret": ""}), "client_secret"),
        (json!({"colour": "red"}), "colour"),
        (json!({"version": 3}), "version"),
    ];
    for (body, field) in cases {
        let answer = put_as(&s.app, SETUP, "\"0\"", &body).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "validation_failed");
        let fields = answer.json["fields"].as_object().expect("fields");
        assert_eq!(fields.keys().collect::<Vec<_>>(), [field], "{body}");
        assert!(fields[field].as_str().is_some_and(|m| !m.is_empty()));
        assert!(!answer.json.to_string().contains("pw@"), "{}", answer.json);
    }
    // Several at once: all reported.
    let answer = put_as(
        &s.app,
        SETUP,
        "\"0\"",
        &json!({"issuer": "nope", "scopes": ["a b"], "client_id": ""}),
    )
    .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "validation_failed");
    assert_eq!(
        answer.json["fields"].as_object().expect("fields").len(),
        3,
        "{}",
        answer.json
    );
    // Loopback http, including IPv6, is fine.
    let answer = put_as(&s.app, SETUP, "\"0\"", &json!({"issuer": "http://[::1]:1"})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(get_as(&s.app, SSO, SETUP).await.json["version"], 1);
}

#[tokio::test]
async fn bad_bodies_are_400_or_413_never_500() {
    let s = server(&[]);
    let put = |content_type: Option<&str>, body: Body| {
        let mut builder = Request::put(SSO)
            .header("authorization", format!("Bearer {SETUP}"))
            .header("if-match", "\"0\"");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(body).expect("request")
    };
    for (content_type, text) in [
        (Some("application/json"), "{\"issuer\": "),
        (Some("application/json"), ""),
        (Some("application/json"), "[1,2]"),
        (Some("application/json"), "null"),
        (Some("application/json"), "\u{0}"),
        (Some("text/plain"), "{}"),
        (None, "{}"),
        (Some("application/x-www-form-urlencoded"), "issuer=x"),
    ] {
        let answer = call(&s.app, put(content_type, Body::from(text))).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_json");
    }
    let answer = call(
        &s.app,
        put(Some("application/json; charset=utf-8"), Body::from("{}")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);

    let huge = json!({"client_id": "x".repeat(20 * 1024)}).to_string();
    let answer = call(
        &s.app,
        put(Some("application/json"), Body::from(huge.clone())),
    )
    .await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Also when the size is not declared up front.
    let answer = call(&s.app, put(Some("application/json"), chunked(huge))).await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(get_as(&s.app, SSO, SETUP).await.json["version"], 0);
}

/// A body in 1 KiB chunks without a declared length.
fn chunked(text: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text
        .into_bytes()
        .chunks(1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn env_locked_fields() {
    let s = server(&[
        ("OIDC_ISSUER", "http://127.0.0.1:1"),
        ("OIDC_CLIENT_SECRET", "env-secret-value"),
        ("OIDC_SCOPES", "groups"),
    ]);
    let doc = get_as(&s.app, SSO, SETUP).await;
    assert_eq!(
        doc.json["settings"]["issuer"],
        json!({"value": "http://127.0.0.1:1", "source": "env", "env_var": "OIDC_ISSUER"})
    );
    assert_eq!(
        doc.json["settings"]["client_secret"],
        json!({"set": true, "source": "env", "env_var": "OIDC_CLIENT_SECRET"})
    );

    let answer = put_as(
        &s.app,
        SETUP,
        "\"0\"",
        &json!({"issuer": "http://127.0.0.1:2"}),
    )
    .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "env_locked");
    assert_eq!(
        answer.json["message"],
        "issuer is set by OIDC_ISSUER; change that environment variable instead"
    );
    assert_eq!(
        answer.json["fields"],
        json!({"issuer": "set by OIDC_ISSUER"})
    );

    for body in [
        json!({"client_secret": "other"}),
        json!({"client_secret": "env-secret-value"}),
        json!({"client_secret": null}),
    ] {
        let answer = put_as(&s.app, SETUP, "\"0\"", &body).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "env_locked");
        assert_eq!(
            answer.json["fields"],
            json!({"client_secret": "set by OIDC_CLIENT_SECRET"})
        );
    }
    let answer = put_as(
        &s.app,
        SETUP,
        "\"0\"",
        &json!({"issuer": null, "scopes": ["x"]}),
    )
    .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "env_locked");
    assert_eq!(
        answer.json["fields"],
        json!({"issuer": "set by OIDC_ISSUER", "scopes": "set by OIDC_SCOPES"})
    );

    // The env's own values (the SPA sends the whole form back) are ignored.
    let answer = put_as(
        &s.app,
        SETUP,
        "\"0\"",
        &json!({"issuer": "http://127.0.0.1:1", "scopes": ["groups"], "client_id": "ui-client"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["version"], 1);
    let audit = get_as(&s.app, "/api/v1/admin/sso/audit", SETUP).await;
    assert_eq!(audit.json["entries"][0]["fields"], json!(["client_id"]));
    assert_eq!(
        answer.json["settings"]["client_id"],
        json!({"value": "ui-client", "source": "ui", "env_var": null})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_racing_puts_one_winner() {
    let idp = spawn_idp().await;
    let s = server(&[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)]);
    let admin = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let bodies: Vec<Value> = (0..20)
        .map(|i| {
            // Not groups_claim: a racer that authenticates after the
            // winner's save would be checked against the new claim.
            json!({
                "scopes": [format!("scope-{i}"), "groups"],
                "auth_method": if i % 2 == 0 { "pkce" } else { "implicit" },
                "client_secret": format!("secret-{i}"),
            })
        })
        .collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = bodies
        .iter()
        .cloned()
        .map(|body| {
            let app = s.app.clone();
            let admin = admin.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                put_as(&app, &admin, "\"0\"", &body).await
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut stale = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        let answer = task.await.expect("task");
        match answer.status {
            StatusCode::OK => winners.push((i, answer)),
            StatusCode::PRECONDITION_FAILED => {
                assert_eq!(answer.json["error"], "precondition_failed");
                assert_eq!(answer.json["current_version"], 1);
                stale += 1;
            }
            other => panic!("unexpected {other}: {}", answer.json),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(stale, 19);
    let (i, won) = &winners[0];
    assert_eq!(etag(won), "\"1\"");

    let now = get_as(&s.app, SSO, &admin).await;
    assert_eq!(now.json, won.json);
    let settings = &now.json["settings"];
    assert_eq!(
        settings["scopes"]["value"],
        json!([format!("scope-{i}"), "groups"])
    );
    assert_eq!(
        settings["auth_method"]["value"],
        if i % 2 == 0 { "pkce" } else { "implicit" }
    );
    let stored = s.state.store.load().expect("load");
    assert_eq!(stored.version, 1);
    assert_eq!(
        stored
            .settings
            .get("client_secret")
            .and_then(|v| v.as_secret())
            .map(|s| s.expose()),
        Some(format!("secret-{i}").as_str())
    );
    let audit = get_as(&s.app, "/api/v1/admin/sso/audit", &admin).await;
    let events: Vec<&str> = audit.json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["event"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        events,
        ["settings_changed", "sign_in"],
        "one save, after the sign-in"
    );
}

#[tokio::test]
async fn public_config_follows_a_save_at_once() {
    let s = server(&[]);
    let config = get(&s.app, "/api/v1/sso/config").await;
    assert_eq!(config.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(config).await["error"], "sso_not_configured");

    put_as(
        &s.app,
        SETUP,
        "\"0\"",
        &json!({"issuer": "http://localhost:1"}),
    )
    .await;
    let config = get(&s.app, "/api/v1/sso/config").await;
    assert_eq!(
        config.status(),
        StatusCode::NOT_FOUND,
        "client_id still unset"
    );

    let saved = put_as(
        &s.app,
        SETUP,
        "\"1\"",
        &json!({"client_id": "spa", "scopes": ["groups"], "client_secret": "never-public"}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK);
    let config = get(&s.app, "/api/v1/sso/config").await;
    assert_eq!(config.status(), StatusCode::OK);
    assert_eq!(header(&config, "cache-control"), "no-store");
    assert_eq!(
        json(config).await,
        json!({
            "issuer": "http://localhost:1",
            "client_id": "spa",
            "auth_method": "pkce",
            "scopes": ["groups"],
            "groups_claim": "groups",
            "token_relay": true
        })
    );
    put_as(
        &s.app,
        SETUP,
        "\"2\"",
        &json!({"auth_method": "implicit", "client_id": null}),
    )
    .await;
    assert_eq!(
        get(&s.app, "/api/v1/sso/config").await.status(),
        StatusCode::NOT_FOUND
    );
    // Removing the saved secret turns the token relay off at once.
    put_as(
        &s.app,
        SETUP,
        "\"3\"",
        &json!({"client_id": "spa", "client_secret": null}),
    )
    .await;
    let config = json(get(&s.app, "/api/v1/sso/config").await).await;
    assert_eq!(config["token_relay"], false, "{config}");
    assert_eq!(config["auth_method"], "implicit", "{config}");
}

#[tokio::test]
async fn env_beats_ui_for_each_field_and_saves_survive_a_restart() {
    let d = make_dist();
    let db = database_for(&d.dist);
    let dist = d.dist.clone();
    let first = server_on(d, &[]);
    let saved = put_as(
        &first.app,
        SETUP,
        "\"0\"",
        &json!({
            "issuer": "http://localhost:1/ui",
            "client_id": "ui-client",
            "auth_method": "implicit",
            "client_secret": "ui-secret",
            "groups_claim": "ui-groups",
            "scopes": ["ui-scope"]
        }),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK);
    drop(first.app);
    drop(first.state);

    // A restart on the same file: everything is still there.
    let again =
        Arc::new(AppState::new(&config(&dist, &[("SSO_BOOTSTRAP_TOKEN", SETUP)])).expect("state"));
    let app = sso_server::app(Arc::clone(&again));
    assert_eq!(get_as(&app, SSO, SETUP).await.json, saved.json);

    let env: [(&str, &str); 7] = [
        ("SSO_BOOTSTRAP_TOKEN", SETUP),
        ("OIDC_ISSUER", "http://localhost:2/env"),
        ("OIDC_CLIENT_ID", "env-client"),
        ("OIDC_AUTH_METHOD", "pkce"),
        ("OIDC_SECRET", "env-secret"),
        ("OIDC_GROUPS_CLAIM", "env-groups"),
        ("OIDC_SCOPES", "env-scope"),
    ];
    let state = Arc::new(AppState::new(&config(&dist, &env)).expect("state"));
    let app = sso_server::app(state);
    assert_eq!(
        json(get(&app, "/api/v1/sso/config").await).await,
        json!({
            "issuer": "http://localhost:2/env",
            "client_id": "env-client",
            "auth_method": "pkce",
            "scopes": ["env-scope"],
            "groups_claim": "env-groups",
            "token_relay": true
        })
    );
    let doc = get_as(&app, SSO, SETUP).await;
    assert_eq!(doc.json["version"], 1);
    for (field, var) in [
        ("issuer", "OIDC_ISSUER"),
        ("client_id", "OIDC_CLIENT_ID"),
        ("auth_method", "OIDC_AUTH_METHOD"),
        ("groups_claim", "OIDC_GROUPS_CLAIM"),
        ("scopes", "OIDC_SCOPES"),
        ("client_secret", "OIDC_SECRET"),
    ] {
        assert_eq!(doc.json["settings"][field]["source"], "env", "{field}");
        assert_eq!(doc.json["settings"][field]["env_var"], var, "{field}");
    }

    // Only some variables: the others come from the UI's saved values.
    let state = Arc::new(
        AppState::new(&config(
            &dist,
            &[
                ("SSO_BOOTSTRAP_TOKEN", SETUP),
                ("OIDC_CLIENT_ID", "env-client"),
            ],
        ))
        .expect("state"),
    );
    let app = sso_server::app(state);
    assert_eq!(
        json(get(&app, "/api/v1/sso/config").await).await,
        json!({
            "issuer": "http://localhost:1/ui",
            "client_id": "env-client",
            "auth_method": "implicit",
            "scopes": ["ui-scope"],
            "groups_claim": "ui-groups",
            "token_relay": true
        })
    );
    assert!(db.exists());
}

#[tokio::test]
async fn csp_follows_the_saved_issuer() {
    let idp = spawn_idp().await;
    let s = server(&[]);
    let csp = header(&get(&s.app, "/").await, "content-security-policy");
    assert_eq!(directive(&csp, "connect-src"), "connect-src 'self'");

    put_as(&s.app, SETUP, "\"0\"", &json!({"issuer": idp.issuer()})).await;
    let csp = header(&get(&s.app, "/me").await, "content-security-policy");
    assert_eq!(
        directive(&csp, "connect-src"),
        format!(
            "connect-src 'self' {} https://token.example.com",
            idp.origin
        )
    );
    assert_eq!(
        directive(&csp, "form-action"),
        format!("form-action 'self' {}", idp.origin)
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    put_as(&s.app, SETUP, "\"1\"", &json!({"issuer": closed})).await;
    let csp = header(&get(&s.app, "/").await, "content-security-policy");
    assert_eq!(
        directive(&csp, "connect-src"),
        format!("connect-src 'self' {closed}")
    );
    assert_eq!(
        directive(&csp, "form-action"),
        format!("form-action 'self' {closed}")
    );

    put_as(&s.app, SETUP, "\"2\"", &json!({"issuer": null})).await;
    let csp = header(&get(&s.app, "/").await, "content-security-policy");
    assert_eq!(directive(&csp, "connect-src"), "connect-src 'self'");
}

#[tokio::test]
async fn secrets_never_leave_the_server() {
    const PUT_SECRET: &str = "PUT-SECRET-7c1d9e0a";
    const ENV_SECRET: &str = "ENV-SECRET-43b8f2aa";
    let idp = spawn_idp().await;

    // Set through the API.
    let s = server(&[("OIDC_ISSUER", idp.issuer()), ("OIDC_CLIENT_ID", CLIENT_ID)]);
    let admin = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let mut seen = Vec::new();
    let put_body = json!({"client_secret": PUT_SECRET, "scopes": ["groups"]}).to_string();
    for request in [
        admin_request("PUT", SSO, Some(&admin), Some("\"0\""), Some(&put_body)),
        admin_request("PUT", SSO, Some(SETUP), Some("\"0\""), Some(&put_body)),
        admin_request("PUT", SSO, Some(SETUP), Some("\"1\""), Some(&put_body)),
        admin_request("GET", SSO, Some(&admin), None, None),
        admin_request("GET", "/api/v1/admin/sso/audit", Some(&admin), None, None),
        admin_request("GET", "/api/v1/admin/whoami", Some(&admin), None, None),
        admin_request("GET", "/api/v1/admin/whoami", Some(SETUP), None, None),
        admin_request("GET", "/api/v1/sso/config", None, None, None),
        admin_request("GET", "/", None, None, None),
    ] {
        seen.push(everything(send(&s.app, request).await).await);
    }
    assert_eq!(seen[0].0, StatusCode::OK);
    assert_eq!(seen[1].0, StatusCode::PRECONDITION_FAILED);
    for (status, text) in &seen {
        for secret in [PUT_SECRET, SETUP, admin.as_str()] {
            assert!(!text.contains(secret), "{status} leaked a secret: {text}");
        }
    }
    assert!(
        s.state
            .store
            .load()
            .expect("load")
            .settings
            .contains_key("client_secret"),
        "it was saved all the same"
    );

    // Set by the environment.
    let s = server(&[
        ("OIDC_ISSUER", idp.issuer()),
        ("OIDC_CLIENT_ID", CLIENT_ID),
        ("OIDC_SECRET", ENV_SECRET),
    ]);
    let admin = sign_in(&s.app, &idp.claims(&["admins"])).await;
    let guess = json!({"client_secret": ENV_SECRET}).to_string();
    let mut seen = Vec::new();
    for request in [
        admin_request("GET", SSO, Some(&admin), None, None),
        admin_request("PUT", SSO, Some(&admin), Some("\"0\""), Some(&guess)),
        admin_request(
            "PUT",
            SSO,
            Some(&admin),
            Some("\"0\""),
            Some("{\"scopes\":[\"a\"]}"),
        ),
        admin_request("GET", "/api/v1/admin/sso/audit", Some(&admin), None, None),
        admin_request("GET", "/api/v1/sso/config", None, None, None),
        admin_request("GET", "/me", None, None, None),
    ] {
        seen.push(everything(send(&s.app, request).await).await);
    }
    assert_eq!(seen[1].0, StatusCode::UNPROCESSABLE_ENTITY);
    for (status, text) in &seen {
        for secret in [ENV_SECRET, SETUP, admin.as_str()] {
            assert!(!text.contains(secret), "{status} leaked a secret: {text}");
        }
    }
}

#[tokio::test]
async fn generated_setup_token_is_stored_hashed_and_can_be_reset() {
    let d = make_dist();
    let dist = d.dist.clone();
    let db = database_for(&dist);
    let state = Arc::new(AppState::new(&config(&dist, &[])).expect("state"));
    let app = sso_server::app(Arc::clone(&state));
    let SetupToken::Created(token) = state.ensure_setup_token().expect("token") else {
        panic!("first start creates a token");
    };
    assert_eq!(token.len(), 43);
    assert_eq!(
        state.ensure_setup_token().expect("again"),
        SetupToken::Exists
    );
    assert_eq!(
        get_as(&app, "/api/v1/admin/whoami", &token).await.status,
        StatusCode::OK
    );

    let new = sso_server::reset_setup_token(&sso_server::config::Database::Sqlite(db.clone()))
        .expect("reset");
    assert_ne!(new, token);
    // The running server reads the hash from the store: no restart needed.
    let answer = get_as(&app, "/api/v1/admin/whoami", &token).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(
        get_as(&app, "/api/v1/admin/whoami", &new).await.status,
        StatusCode::OK
    );

    // Only the hash is on disk.
    drop(app);
    drop(state);
    for entry in std::fs::read_dir(db.parent().expect("dir")).expect("ls") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&token) && !text.contains(&new));
    }

    // With SSO_BOOTSTRAP_TOKEN the stored token is not used.
    let state =
        Arc::new(AppState::new(&config(&dist, &[("SSO_BOOTSTRAP_TOKEN", SETUP)])).expect("state"));
    assert_eq!(
        state.ensure_setup_token().expect("env"),
        SetupToken::FromEnv
    );
    let app = sso_server::app(state);
    assert_eq!(
        get_as(&app, SSO, &new).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get_as(&app, SSO, SETUP).await.status, StatusCode::OK);
    drop(d);
}

#[tokio::test]
async fn other_methods_on_admin_paths_are_405() {
    let s = server(&[]);
    let response = send(
        &s.app,
        admin_request("POST", SSO, Some(SETUP), None, Some("{}")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), "GET, HEAD, PUT");
    assert_eq!(json(response).await["error"], "method_not_allowed");
    let response = send(
        &s.app,
        admin_request("DELETE", "/api/v1/admin/whoami", Some(SETUP), None, None),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let response = get(&s.app, "/api/v1/admin/nope").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    drop(s.d);
}
