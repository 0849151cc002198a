//! The real binary: the form_post bridge and the token relay log one line per request with the path and status only; no ID token, code, verifier, access token or client secret reaches stdout or stderr.

mod common;

use common::binary::{runtime, start, vars};
use common::idp::{spawn_idp, ACCESS_TOKEN};
use common::*;
use serde_json::{json, Value};

const SECRET: &str = "BINARY-SECRET-c0ffee+:/";
const ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJCUklER0UtVE9LRU4ifQ.QlJJREdFLVNJRw";
const CODE: &str = "BINARY-CODE-5e6f7a8b";
const VERIFIER: &str = "BINARYVERIFIER-0123456789abcdefghijklmnopqrstuvwxyz";
const DESCRIPTION: &str = "DESCRIPTION-MAY-ECHO-THE-CODE";

#[test]
fn bridge_and_relay_keep_tokens_and_secrets_out_of_the_logs() {
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let db = database_for(&d.dist).to_string_lossy().into_owned();
    let rt = runtime();
    let idp = rt.block_on(spawn_idp());
    idp.serve_token_endpoint(None);
    let issuer = idp.origin.clone();
    let env = vars(
        &dist,
        &db,
        &[
            ("OIDC_ISSUER", &issuer),
            ("OIDC_CLIENT_ID", "binary-client"),
            ("OIDC_SECRET", SECRET),
        ],
    );
    let server = start(&env);
    let base = server.base.clone();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect_uri = format!("{base}/oidc/callback");

    rt.block_on(async {
        // The bridge.
        let response = no_redirects
            .post(format!("{base}/oidc/callback"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("id_token={ID_TOKEN}&state=st-1&session_state=ss.1"))
            .send()
            .await
            .expect("bridge");
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("location").is_none());
        let page = response.text().await.expect("page");
        // In the page's data block, where `&` is written \u0026 (it cannot start an entity).
        assert!(
            page.contains(&format!(
                "id_token={ID_TOKEN}\\u0026state=st-1\\u0026session_state=ss.1"
            )),
            "the fields are in the page: {page}"
        );

        // The relay: success, an IdP error, and a broken IdP.
        let relay = |body: Value| {
            no_redirects
                .post(format!("{base}/api/v1/sso/token"))
                .header("origin", base.as_str())
                .json(&body)
                .send()
        };
        let body = json!({"code": CODE, "code_verifier": VERIFIER, "redirect_uri": redirect_uri});
        let ok = relay(body.clone()).await.expect("relay");
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()["cache-control"], "no-store");
        let tokens: Value = ok.json().await.expect("json");
        assert_eq!(tokens["access_token"], ACCESS_TOKEN);

        idp.answer_token(
            400,
            "application/json",
            &json!({"error": "invalid_grant", "error_description": format!("{DESCRIPTION} {CODE}")})
                .to_string(),
        );
        let rejected = relay(body.clone()).await.expect("relay");
        assert_eq!(rejected.status(), 400);
        assert_eq!(
            rejected.json::<Value>().await.expect("json")["error"],
            "invalid_grant"
        );

        idp.answer_token(200, "text/html", &format!("<p>{CODE}</p>"));
        let broken = relay(body.clone()).await.expect("relay");
        assert_eq!(broken.status(), 502);
        let text = broken.text().await.expect("body");
        assert!(text.contains("token_endpoint_failed"), "{text}");
        assert!(!text.contains(SECRET) && !text.contains(CODE), "{text}");

        let calls = idp.token_calls();
        assert_eq!(calls.len(), 3);
        assert!(calls[0]
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic ")));
    });
    let transcript = server.finish();

    for line in [
        "POST /oidc/callback 200 ",
        "POST /api/v1/sso/token 200 ",
        "POST /api/v1/sso/token 400 ",
        "POST /api/v1/sso/token 502 ",
        "answered HTTP 400 (invalid_grant)",
        "with a body that is not JSON",
    ] {
        assert!(transcript.contains(line), "{line:?} missing:\n{transcript}");
    }
    for leak in [
        ID_TOKEN,
        "eyJ",
        "st-1",
        "ss.1",
        "#",
        CODE,
        VERIFIER,
        ACCESS_TOKEN,
        SECRET,
        "BINARY-SECRET",
        DESCRIPTION,
        "Basic ",
        "client_secret",
    ] {
        assert!(!transcript.contains(leak), "{leak:?} logged:\n{transcript}");
    }
    drop(d);
}
