//! HTTP to a running sso-server as its pages and an administrator would talk to it.

use serde_json::{json, Value};

use super::{fresh_nonce_secret, nonce_for};

pub const SSO: &str = "/api/v1/admin/sso";

/// `credential` as a Bearer token, or as the cookie of this app's own pages when it is one
/// (`sso-web-session=…`).
pub fn with_credential(
    builder: reqwest::RequestBuilder,
    base: &str,
    credential: &str,
) -> reqwest::RequestBuilder {
    if credential.starts_with("sso-web-session=") {
        builder
            .header("cookie", credential)
            .header("origin", base)
            .header("x-requested-with", "sso-web")
    } else {
        builder.bearer_auth(credential)
    }
}

/// Signs in through the real exchange, as the SPA does, and returns the cookie.
pub async fn real_sign_in(client: &reqwest::Client, base: &str, idp: &super::idp::Idp) -> String {
    let secret = fresh_nonce_secret();
    let mut claims = idp.claims(&["admins"]);
    claims["nonce"] = nonce_for(&secret).into();
    let response = client
        .post(format!("{base}/api/v1/session"))
        .header("origin", base)
        .json(&json!({"id_token": super::idp::sign("rs256", &claims), "nonce_secret": secret}))
        .send()
        .await
        .expect("exchange");
    assert_eq!(response.status().as_u16(), 201);
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    cookie
}

pub async fn admin_get(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    bearer: &str,
) -> (u16, Value) {
    let response = with_credential(client.get(format!("{base}{path}")), base, bearer)
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

pub async fn admin_put(
    client: &reqwest::Client,
    base: &str,
    bearer: &str,
    version: u64,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let response = with_credential(client.put(format!("{base}{SSO}")), base, bearer)
        .header("if-match", format!("\"{version}\""))
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}
