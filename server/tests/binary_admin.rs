//! The real binary and its SQLite file: kill -9 in the middle of a burst of saves loses nothing acknowledged, the setup token is shown once and can be reset, and no secret or token reaches stdout or stderr.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::binary::{runtime, start, vars, BIN};
use common::client::{admin_get, admin_put, real_sign_in};
use common::idp::{spawn_idp, CLIENT_ID};
use common::*;
use serde_json::{json, Value};

const SSO: &str = "/api/v1/admin/sso";

fn burst_body(version: u64) -> Value {
    json!({"client_id": format!("client-{version}"), "scopes": [format!("scope-{version}")]})
}

#[test]
fn kill_9_mid_burst_loses_no_acknowledged_save() {
    const TOKEN: &str = "durability-setup-token-0123456789";
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let db = database_for(&d.dist).to_string_lossy().into_owned();
    let env = vars(&dist, &db, &[("SSO_BOOTSTRAP_TOKEN", TOKEN)]);

    let mut server = start(&env);
    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let burst = {
        let base = server.base.clone();
        let acked = Arc::clone(&acked);
        let failed = Arc::clone(&failed);
        std::thread::spawn(move || {
            runtime().block_on(async {
                let client = reqwest::Client::new();
                let deadline = Instant::now() + Duration::from_secs(60);
                for _ in 0..5000 {
                    if Instant::now() > deadline {
                        break;
                    }
                    let version = acked.load(Ordering::SeqCst);
                    match admin_put(&client, &base, TOKEN, version, &burst_body(version + 1)).await
                    {
                        Ok((200, body)) => {
                            assert_eq!(body["version"], version + 1);
                            acked.store(version + 1, Ordering::SeqCst);
                        }
                        Ok((status, body)) => {
                            failed.store(true, Ordering::SeqCst);
                            panic!("{status}: {body}");
                        }
                        // The server is gone: the burst ends.
                        Err(_) => break,
                    }
                }
            });
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::SeqCst) < 25 {
        assert!(!failed.load(Ordering::SeqCst), "a save failed");
        assert!(Instant::now() < deadline, "the burst is too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    burst.join().expect("burst thread");
    let last_acked = acked.load(Ordering::SeqCst);
    assert!(last_acked >= 25);
    drop(server);

    let mut server = start(&env);
    let rt = runtime();
    let client = reqwest::Client::new();
    let (status, doc) = rt.block_on(admin_get(&client, &server.base, SSO, TOKEN));
    assert_eq!(status, 200);
    let stored = doc["version"].as_u64().expect("version");
    // The save in flight at the kill may or may not have committed; every
    // acknowledged one did, and nothing is half-written.
    assert!(
        stored == last_acked || stored == last_acked + 1,
        "stored {stored}, last acknowledged {last_acked}"
    );
    assert_eq!(
        doc["settings"]["client_id"]["value"],
        format!("client-{stored}")
    );
    assert_eq!(
        doc["settings"]["scopes"]["value"],
        json!([format!("scope-{stored}")])
    );
    let (_, audit) = rt.block_on(admin_get(
        &client,
        &server.base,
        "/api/v1/admin/sso/audit?limit=1",
        TOKEN,
    ));
    assert_eq!(audit["entries"][0]["version"], stored);

    // Sessions too: one made now survives a kill -9.
    let idp = rt.block_on(spawn_idp());
    let (status, _) = rt
        .block_on(admin_put(
            &client,
            &server.base,
            TOKEN,
            stored,
            &json!({"issuer": idp.origin, "client_id": CLIENT_ID}),
        ))
        .expect("PUT");
    assert_eq!(status, 200);
    let stored = stored + 1;
    let cookie = rt.block_on(real_sign_in(&client, &server.base, &idp));
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    drop(server);
    let mut server = start(&env);
    let (status, session) =
        rt.block_on(admin_get(&client, &server.base, "/api/v1/session", &cookie));
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["email"], "alice@example.com");

    // And a clean restart keeps a save made now.
    let (status, saved) = rt
        .block_on(admin_put(
            &client,
            &server.base,
            TOKEN,
            stored,
            &json!({"auth_method": "implicit"}),
        ))
        .expect("PUT");
    assert_eq!(status, 200);
    assert!(server.stop_with("-TERM").success());
    let transcript = server.finish();
    let server = start(&env);
    let (_, after) = rt.block_on(admin_get(&client, &server.base, SSO, TOKEN));
    assert_eq!(after, saved);
    assert_eq!(after["version"], stored + 1);
    let transcript = transcript + &server.finish();
    assert!(!transcript.contains(TOKEN), "{transcript}");
    assert!(Path::new(&db).exists());
}

#[test]
fn setup_token_shown_once_reset_and_no_secret_is_ever_logged() {
    const PUT_SECRET: &str = "PUT-SECRET-b81f0c2e";
    const ENV_SECRET: &str = "ENV-SECRET-59aa07d3";
    const GARBAGE: &str = "GARBAGE-CREDENTIAL-1e2d3c4b";
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let db = database_for(&d.dist).to_string_lossy().into_owned();
    let rt = runtime();
    let idp = rt.block_on(spawn_idp());
    let issuer = idp.origin.clone();
    let env = vars(
        &dist,
        &db,
        &[("OIDC_ISSUER", &issuer), ("OIDC_CLIENT_ID", CLIENT_ID)],
    );
    let client = reqwest::Client::new();

    // First start: a token is generated and printed once.
    let server = start(&env);
    let id_token = rt.block_on(real_sign_in(&client, &server.base, &idp));
    assert_eq!(server.startup.len(), 1, "{:?}", server.startup);
    let token = server.startup[0]
        .strip_prefix("sso-server: setup token (shown once): ")
        .unwrap_or_else(|| panic!("{:?}", server.startup))
        .to_owned();
    assert_eq!(token.len(), 43);
    rt.block_on(async {
        let (status, who) = admin_get(&client, &server.base, "/api/v1/admin/whoami", &token).await;
        assert_eq!((status, who["via"].as_str()), (200, Some("setup_token")));
        let (status, _) = admin_put(
            &client,
            &server.base,
            &id_token,
            0,
            &json!({"client_secret": PUT_SECRET, "scopes": ["groups"]}),
        )
        .await
        .expect("PUT");
        assert_eq!(status, 200);
        let (status, _) = admin_put(
            &client,
            &server.base,
            &token,
            0,
            &json!({"client_secret": PUT_SECRET}),
        )
        .await
        .expect("PUT");
        assert_eq!(status, 412);
        let (status, _) = admin_put(
            &client,
            &server.base,
            &token,
            1,
            &json!({"client_secret": ""}),
        )
        .await
        .expect("PUT");
        assert_eq!(status, 400);
        for path in [SSO, "/api/v1/admin/sso/audit", "/api/v1/admin/whoami"] {
            let (status, body) = admin_get(&client, &server.base, path, &id_token).await;
            assert_eq!(status, 200, "{path}");
            assert!(!body.to_string().contains(PUT_SECRET));
        }
        let (status, _) = admin_get(&client, &server.base, SSO, GARBAGE).await;
        assert_eq!(status, 401);
        let config = client
            .get(format!(
                "{}/api/v1/sso/config?client_secret={PUT_SECRET}",
                server.base
            ))
            .send()
            .await
            .expect("config");
        assert_eq!(config.status(), 200);
        assert!(!config.text().await.expect("body").contains(PUT_SECRET));
    });
    let mut server = server;
    assert!(server.stop_with("-TERM").success());
    let first = server.finish();
    assert!(first.contains("PUT /api/v1/admin/sso 200 "), "{first}");
    assert!(
        first.contains(
            "SSO settings version 1 saved by alice@example.com (sso): client_secret, scopes"
        ),
        "{first}"
    );
    assert_eq!(
        first.matches(&token).count(),
        1,
        "the token is shown exactly once: {first}"
    );

    // Second start: not shown again.
    let server = start(&env);
    assert_eq!(
        server.startup,
        ["sso-server: setup token already created; run \"sso-server reset-setup-token\" to make a new one"]
    );
    // Reset while it runs: the old token stops working at once.
    let reset = Command::new(BIN)
        .arg("reset-setup-token")
        .env_clear()
        .env("SSO_DATABASE", &db)
        .output()
        .expect("reset");
    assert!(reset.status.success(), "{reset:?}");
    let reset_out = String::from_utf8_lossy(&reset.stdout).into_owned();
    let new_token = reset_out
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("sso-server: new setup token (shown once): "))
        .unwrap_or_else(|| panic!("{reset_out}"))
        .to_owned();
    assert_ne!(new_token, token);
    rt.block_on(async {
        let (status, _) = admin_get(&client, &server.base, SSO, &token).await;
        assert_eq!(status, 401);
        let (status, _) = admin_get(&client, &server.base, SSO, &new_token).await;
        assert_eq!(status, 200);
    });
    let second = server.finish();
    assert!(
        !second.contains(&token) && !second.contains(&new_token),
        "{second}"
    );

    // Third start, with the secret in the environment.
    let mut env_with_secret = env.clone();
    env_with_secret.push(("OIDC_SECRET", ENV_SECRET));
    let server = start(&env_with_secret);
    rt.block_on(async {
        // The session made before two restarts still works.
        let (status, doc) = admin_get(&client, &server.base, SSO, &id_token).await;
        assert_eq!(status, 200);
        assert_eq!(
            doc["settings"]["client_secret"],
            json!({"set": true, "source": "env", "env_var": "OIDC_SECRET"})
        );
        let (status, body) = admin_put(
            &client,
            &server.base,
            &id_token,
            1,
            &json!({"client_secret": ENV_SECRET}),
        )
        .await
        .expect("PUT");
        assert_eq!(status, 422);
        assert!(!body.to_string().contains(ENV_SECRET));
    });
    let third = server.finish();

    let all = format!("{first}{second}{third}");
    for secret in [
        PUT_SECRET,
        ENV_SECRET,
        GARBAGE,
        id_token.as_str(),
        new_token.as_str(),
        "client_secret=",
    ] {
        assert!(!all.contains(secret), "{secret:?} logged:\n{all}");
    }
    drop(d);
}
