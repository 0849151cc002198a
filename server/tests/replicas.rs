//! Two real sso-server processes on one real PostgreSQL (a private cluster this test starts and
//! stops): saves, the setup token and sessions are shared; racing saves have one winner; the
//! database going away for 10 s under load is 503 and back without a restart, and loses
//! nothing that was acknowledged.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::binary::{start, vars, Running, BIN};
use common::client::{admin_get, admin_put, real_sign_in, with_credential, SSO};
use common::idp::{spawn_idp, Idp, CLIENT_ID};
use common::postgres::{wait_until, Cluster, PASSWORD};
use common::*;
use serde_json::{json, Value};

const TOKEN: &str = "replica-setup-token-0123456789";

/// A runtime whose threads keep the stub IdP answering while the test thread waits.
fn background() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

struct Pair {
    _dist: TestDist,
    a: Running,
    b: Running,
}

fn pair(cluster: &Cluster, extra: &[(&str, &str)]) -> (Pair, String) {
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let url = cluster.fresh_database();
    let mut env = vars(&dist, &url, &[("SSO_BOOTSTRAP_TOKEN", TOKEN)]);
    env.extend_from_slice(extra);
    let a = start(&env);
    let b = start(&env);
    (Pair { _dist: d, a, b }, url)
}

async fn status_of(client: &reqwest::Client, url: &str) -> u16 {
    client
        .get(url)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn configure(client: &reqwest::Client, base: &str, idp: &Idp, version: u64) -> Value {
    let (status, doc) = admin_put(
        client,
        base,
        TOKEN,
        version,
        &json!({"issuer": idp.origin, "client_id": CLIENT_ID}),
    )
    .await
    .expect("PUT");
    assert_eq!(status, 200, "{doc}");
    doc
}

#[test]
fn a_save_on_one_replica_is_in_force_on_the_other_within_two_seconds() {
    let cluster = Cluster::start();
    let (pair, _) = pair(&cluster, &[]);
    let rt = background();
    let idp = rt.block_on(spawn_idp());
    let client = reqwest::Client::new();
    let b_config = format!("{}/api/v1/sso/config", pair.b.base);
    assert_eq!(rt.block_on(status_of(&client, &b_config)), 404);

    rt.block_on(configure(&client, &pair.a.base, &idp, 0));
    let saved = Instant::now();
    let took = wait_until(Duration::from_secs(5), || {
        rt.block_on(async {
            let Ok(response) = client.get(&b_config).send().await else {
                return false;
            };
            response.status() == 200
                && response
                    .json::<Value>()
                    .await
                    .is_ok_and(|c| c["client_id"] == CLIENT_ID)
        })
    })
    .expect("B serves the new config");
    eprintln!("replica B followed replica A's save after {took:?}");
    assert!(saved.elapsed() <= Duration::from_secs(2), "{took:?}");
    // The page's data block and its CSP follow too.
    let page = rt.block_on(async {
        client
            .get(format!("{}/", pair.b.base))
            .send()
            .await
            .expect("page")
    });
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains(&idp.origin), "{csp}");
    let html = rt.block_on(page.text()).expect("html");
    assert!(
        html.contains(&format!("\"issuer\":\"{}\"", idp.origin)),
        "{html}"
    );
}

#[test]
fn twenty_racing_saves_across_two_replicas_have_one_winner() {
    let cluster = Cluster::start();
    let (pair, _) = pair(&cluster, &[]);
    let rt = background();
    let client = reqwest::Client::new();
    let bases = [pair.a.base.clone(), pair.b.base.clone()];
    let answers = rt.block_on(async {
        let puts = (0..20).map(|i| {
            let client = client.clone();
            let base = bases[i % 2].clone();
            async move {
                admin_put(
                    &client,
                    &base,
                    TOKEN,
                    0,
                    &json!({"client_id": format!("client-{i}")}),
                )
                .await
                .expect("PUT")
                .0
            }
        });
        futures_util::future::join_all(puts).await
    });
    let won = answers.iter().filter(|s| **s == 200).count();
    let lost = answers.iter().filter(|s| **s == 412).count();
    assert_eq!((won, lost), (1, 19), "{answers:?}");
    for base in &bases {
        let (_, audit) = rt.block_on(admin_get(&client, base, &format!("{SSO}/audit"), TOKEN));
        let entries = audit["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), 1, "{audit}");
        assert_eq!(entries[0]["version"], 1);
    }
}

#[test]
fn replicas_started_at_once_create_one_setup_token_and_a_reset_reaches_both() {
    let cluster = Cluster::start();
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let url = cluster.fresh_database();
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let (dist, url) = (dist.clone(), url.clone());
            std::thread::spawn(move || start(&vars(&dist, &url, &[])))
        })
        .collect();
    let servers: Vec<Running> = starts
        .into_iter()
        .map(|s| s.join().expect("started"))
        .collect();
    let shown: Vec<String> = servers
        .iter()
        .flat_map(|s| s.startup.clone())
        .filter_map(|line| {
            line.strip_prefix("sso-server: setup token (shown once): ")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        shown.len(),
        1,
        "{:?}",
        servers.iter().map(|s| &s.startup).collect::<Vec<_>>()
    );
    let token = shown[0].clone();
    let rt = background();
    let client = reqwest::Client::new();
    for server in &servers {
        let (status, _) = rt.block_on(admin_get(
            &client,
            &server.base,
            "/api/v1/admin/whoami",
            &token,
        ));
        assert_eq!(status, 200);
    }
    // `reset-setup-token` from any host replaces it for both.
    let output = Command::new(BIN)
        .env_clear()
        .env("SSO_DATABASE", &url)
        .arg("reset-setup-token")
        .output()
        .expect("reset");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let new = stdout
        .lines()
        .find_map(|l| l.strip_prefix("sso-server: new setup token (shown once): "))
        .expect("a new token")
        .to_owned();
    for server in &servers {
        let (old, _) = rt.block_on(admin_get(
            &client,
            &server.base,
            "/api/v1/admin/whoami",
            &token,
        ));
        let (fresh, _) = rt.block_on(admin_get(
            &client,
            &server.base,
            "/api/v1/admin/whoami",
            &new,
        ));
        assert_eq!((old, fresh), (401, 200));
    }
    // No password in any output.
    for server in servers {
        assert!(!server.finish().contains(PASSWORD));
    }
    assert!(!String::from_utf8_lossy(&output.stderr).contains(PASSWORD));
}

#[test]
fn a_session_made_on_one_replica_lives_and_ends_on_both() {
    let cluster = Cluster::start();
    let (pair, _) = pair(&cluster, &[]);
    let rt = background();
    let idp = rt.block_on(spawn_idp());
    let client = reqwest::Client::new();
    rt.block_on(configure(&client, &pair.a.base, &idp, 0));
    // B loads the settings within its watch interval.
    let b_config = format!("{}/api/v1/sso/config", pair.b.base);
    wait_until(Duration::from_secs(3), || {
        rt.block_on(status_of(&client, &b_config)) == 200
    })
    .expect("B configured");
    let cookie = rt.block_on(real_sign_in(&client, &pair.a.base, &idp));
    let (status, session) =
        rt.block_on(admin_get(&client, &pair.b.base, "/api/v1/session", &cookie));
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["email"], "alice@example.com");
    // Sign-out on B.
    let response = rt.block_on(
        with_credential(
            client.post(format!("{}/api/v1/session/logout", pair.b.base)),
            &pair.b.base,
            &cookie,
        )
        .header("content-type", "application/json")
        .body("{}")
        .send(),
    );
    assert_eq!(response.expect("logout").status().as_u16(), 200);
    let (status, answer) =
        rt.block_on(admin_get(&client, &pair.a.base, "/api/v1/session", &cookie));
    assert_eq!(status, 401);
    assert_eq!(answer["error"], "session_revoked");
}

#[test]
fn postgres_away_for_ten_seconds_under_load_is_503_then_back_without_a_restart() {
    let cluster = Cluster::start();
    let (pair, _) = pair(&cluster, &[]);
    let rt = background();
    let idp = rt.block_on(spawn_idp());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    rt.block_on(configure(&client, &pair.a.base, &idp, 0));
    let cookie = rt.block_on(real_sign_in(&client, &pair.a.base, &idp));
    // Acknowledged before the outage.
    let (status, _) = rt
        .block_on(admin_put(
            &client,
            &pair.a.base,
            TOKEN,
            1,
            &json!({"groups_claim": "roles"}),
        ))
        .expect("PUT");
    assert_eq!(status, 200);

    // Load on A while the database goes away and comes back.
    let stop = Arc::new(AtomicBool::new(false));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let other = Arc::new(AtomicUsize::new(0));
    let slowest = Arc::new(std::sync::Mutex::new(Duration::ZERO));
    let public_failures = Arc::new(AtomicUsize::new(0));
    let load = {
        let (stop, unavailable, other, slowest, public_failures) = (
            Arc::clone(&stop),
            Arc::clone(&unavailable),
            Arc::clone(&other),
            Arc::clone(&slowest),
            Arc::clone(&public_failures),
        );
        let (base, cookie, client) = (pair.a.base.clone(), cookie.clone(), client.clone());
        let handle = rt.handle().clone();
        std::thread::spawn(move || {
            handle.block_on(async {
                while !stop.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let response = with_credential(
                        client.get(format!("{base}/api/v1/session")),
                        &base,
                        &cookie,
                    )
                    .send()
                    .await;
                    let took = started.elapsed();
                    {
                        let mut max = slowest.lock().expect("lock");
                        *max = (*max).max(took);
                    }
                    match response {
                        Ok(r) if r.status() == 200 => {}
                        Ok(r) if r.status() == 503 => {
                            let body: Value = r.json().await.unwrap_or_default();
                            if body["error"] == "store_unavailable" {
                                unavailable.fetch_add(1, Ordering::SeqCst);
                            } else {
                                other.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        _ => {
                            other.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    // The public config and the page keep working from memory.
                    for path in ["/api/v1/sso/config", "/"] {
                        if status_of(&client, &format!("{base}{path}")).await != 200 {
                            public_failures.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    cluster.stop_server();
    std::thread::sleep(Duration::from_secs(10));
    cluster.start_server();
    let back = wait_until(Duration::from_secs(10), || {
        rt.block_on(admin_get(&client, &pair.a.base, "/api/v1/session", &cookie))
            .0
            == 200
    })
    .expect("back without a restart");
    eprintln!("sessions answered again {back:?} after PostgreSQL was started");
    stop.store(true, Ordering::SeqCst);
    load.join().expect("load");
    let slowest = *slowest.lock().expect("lock");
    eprintln!(
        "during the outage: {} answers 503 store_unavailable, slowest answer {slowest:?}",
        unavailable.load(Ordering::SeqCst)
    );
    assert!(unavailable.load(Ordering::SeqCst) > 10);
    assert_eq!(
        other.load(Ordering::SeqCst),
        0,
        "only 200 or 503 store_unavailable"
    );
    assert_eq!(public_failures.load(Ordering::SeqCst), 0);
    assert!(slowest < Duration::from_secs(3), "{slowest:?}: fail fast");

    // Everything acknowledged before is still there, on both replicas.
    for base in [&pair.a.base, &pair.b.base] {
        let (status, doc) = rt.block_on(admin_get(&client, base, SSO, TOKEN));
        assert_eq!(status, 200);
        assert_eq!(doc["version"], 2);
        assert_eq!(doc["settings"]["groups_claim"]["value"], "roles");
        let (status, _) = rt.block_on(admin_get(&client, base, "/api/v1/session", &cookie));
        assert_eq!(status, 200);
    }
    // And writes work again.
    let (status, _) = rt
        .block_on(admin_put(
            &client,
            &pair.b.base,
            TOKEN,
            2,
            &json!({"groups_claim": "groups"}),
        ))
        .expect("PUT");
    assert_eq!(status, 200);
}

#[test]
fn migrate_store_copies_a_sqlite_file_into_postgres() {
    let cluster = Cluster::start();
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let db = database_for(&d.dist).to_string_lossy().into_owned();
    let rt = background();
    let idp = rt.block_on(spawn_idp());
    let client = reqwest::Client::new();
    // A SQLite instance with settings, a session and history.
    let sqlite = start(&vars(&dist, &db, &[("SSO_BOOTSTRAP_TOKEN", TOKEN)]));
    rt.block_on(configure(&client, &sqlite.base, &idp, 0));
    let cookie = rt.block_on(real_sign_in(&client, &sqlite.base, &idp));
    let (_, before) = rt.block_on(admin_get(
        &client,
        &sqlite.base,
        &format!("{SSO}/audit"),
        TOKEN,
    ));
    drop(sqlite);

    let url = cluster.fresh_database();
    let migrate = |to: &str| {
        Command::new(BIN)
            .env_clear()
            .args(["migrate-store", "--from", &db, "--to", to])
            .output()
            .expect("migrate-store")
    };
    let output = migrate(&url);
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("copied settings version 1, 2 audit entries and 1 sessions"),
        "{said}"
    );
    // Not twice.
    let again = migrate(&url);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("holds data already"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    // A missing source file is named, not created.
    let missing = Command::new(BIN)
        .env_clear()
        .args([
            "migrate-store",
            "--from",
            "/nonexistent/sso.db",
            "--to",
            &url,
        ])
        .output()
        .expect("migrate-store");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/sso.db does not exist"));

    // A server on PostgreSQL has it all: the settings, the session, the history, the token.
    let pg = start(&vars(&dist, &url, &[("SSO_BOOTSTRAP_TOKEN", TOKEN)]));
    let (status, session) = rt.block_on(admin_get(&client, &pg.base, "/api/v1/session", &cookie));
    assert_eq!(status, 200, "{session}");
    let (_, after) = rt.block_on(admin_get(&client, &pg.base, &format!("{SSO}/audit"), TOKEN));
    assert_eq!(after, before);
    let (_, doc) = rt.block_on(admin_get(&client, &pg.base, SSO, TOKEN));
    assert_eq!(doc["settings"]["client_id"]["value"], CLIENT_ID);
}
