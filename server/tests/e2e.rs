//! End to end through real sockets: the library's `serve` with reqwest and raw TCP, and the real binary with its env, stdout line, logs and SIGTERM.

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const BIN: &str = env!("CARGO_BIN_EXE_sso-server");

#[tokio::test]
async fn healthz_and_spa_fallback_over_a_real_socket() {
    let d = make_dist();
    let state = state(&d.dist, &[]);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sso_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<serde_json::Value>().await.expect("json"),
        serde_json::json!({"status": "ok"})
    );

    let page = client
        .get(format!("{base}/oidc/callback?code=abc&state=xyz"))
        .send()
        .await
        .expect("callback page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains(&expected_hash(INLINE_SCRIPT)), "{csp}");
    assert_eq!(page.text().await.expect("body"), index_html(INLINE_SCRIPT));

    let wasm = client
        .get(format!("{base}/{WASM}"))
        .send()
        .await
        .expect("wasm");
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(
        wasm.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("graceful shutdown finished")
        .expect("task")
        .expect("serve returned Ok");
}

/// reqwest (like browsers) normalises `..` away, so traversal is sent raw.
#[tokio::test]
async fn raw_traversal_requests_are_refused() {
    let d = make_dist();
    let state = state(&d.dist, &[]);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(sso_server::serve(listener, state, std::future::pending()));

    for path in [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
    ] {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        assert!(
            response.starts_with("HTTP/1.1 400"),
            "{path}: {}",
            response.lines().next().unwrap_or("")
        );
        assert!(!response.contains(SECRET), "{path}");
        assert!(!response.contains("root:"), "{path}");
    }
}

/// Kills the child if a test fails before it stops it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_binary(vars: &[(&str, &str)]) -> std::process::Output {
    Command::new(BIN)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("run sso-server")
}

#[test]
fn binary_rejects_bad_env_with_a_clear_message() {
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let db = database_for(&d.dist).to_string_lossy().into_owned();
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[("OIDC_AUTH_METHOD", "x")],
            r#"OIDC_AUTH_METHOD must be "pkce" or "implicit", got "x""#,
        ),
        (
            &[("OIDC_ISSUER", "foo"), ("OIDC_CLIENT_ID", "sso-web")],
            r#"OIDC_ISSUER must be an absolute https URL (http is allowed only for localhost, 127.0.0.1 and [::1]), got "foo""#,
        ),
        (
            &[
                ("OIDC_SECRET", "one-value"),
                ("OIDC_CLIENT_SECRET", "other-value"),
            ],
            "OIDC_SECRET and OIDC_CLIENT_SECRET are both set, to different values",
        ),
        (
            &[("SSO_BOOTSTRAP_TOKEN", "short")],
            "SSO_BOOTSTRAP_TOKEN must be at least 16 characters long",
        ),
        (
            &[("SSO_LISTEN", "nope")],
            r#"SSO_LISTEN must be an IP address and port"#,
        ),
        (
            &[("SSO_DIST", "/nonexistent/dist")],
            "SSO_DIST must be the SPA build directory",
        ),
        (
            &[("SSO_DATABASE", "/proc/sso-server-test/sso.db")],
            "cannot create the database folder /proc/sso-server-test",
        ),
    ];
    for (vars, expected) in cases {
        let mut all: Vec<(&str, &str)> = vec![
            ("SSO_DIST", &dist),
            ("SSO_LISTEN", "127.0.0.1:0"),
            ("SSO_DATABASE", &db),
        ];
        all.retain(|(k, _)| !vars.iter().any(|(v, _)| v == k));
        all.extend_from_slice(vars);
        let output = run_binary(&all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{expected}: {stderr}");
        assert!(stderr.starts_with("sso-server: error: "), "{stderr}");
        assert!(stderr.contains(expected), "{expected} not in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for secret in ["one-value", "other-value", "short\n"] {
            assert!(!stderr.contains(secret), "{stderr}");
        }
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn unknown_arguments_are_refused() {
    let output = Command::new(BIN)
        .arg("--frobnicate")
        .env_clear()
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: sso-server"));
}

#[test]
fn binary_announces_serves_logs_without_queries_and_stops_on_sigterm() {
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    // An IdP that is down must not stop the server from starting or serving.
    let idp_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let issuer = format!("http://127.0.0.1:{idp_port}");
    let child = Command::new(BIN)
        .env_clear()
        .env("SSO_LISTEN", "127.0.0.1:0")
        .env("SSO_DIST", &dist)
        .env("SSO_DATABASE", database_for(&d.dist))
        .env("OIDC_ISSUER", &issuer)
        .env("OIDC_CLIENT_ID", "sso-web")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sso-server");
    let mut server = Server(child);

    let stdout = server.0.stdout.take().expect("stdout");
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        for _ in 0..2 {
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = line_tx.send(line);
        }
    });
    let first = line_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("setup token line");
    assert!(
        first.starts_with("sso-server: setup token (shown once): "),
        "{first:?}"
    );
    let line = line_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("startup line");
    let rest = line
        .strip_prefix("sso-server listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected startup line {line:?}"));
    let (port, tail) = rest.split_once(' ').expect("port then details");
    assert_eq!(
        tail.trim_end(),
        format!(
            "(issuer {issuer}, client sso-web; SQLite {})",
            database_for(&d.dist).display()
        )
    );
    let base = format!("http://127.0.0.1:{port}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let page = client
            .get(format!(
                "{base}/oidc/callback?code=SECRETCODE123&state=SECRETSTATE456"
            ))
            .send()
            .await
            .expect("callback");
        assert_eq!(page.status(), 200);
        let config = client
            .get(format!("{base}/api/v1/sso/config"))
            .send()
            .await
            .expect("config");
        assert_eq!(config.status(), 200);
    });

    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = server.0.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");

    let mut stderr = String::new();
    server
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert!(stderr.contains("GET /oidc/callback 200 "), "{stderr}");
    assert!(stderr.contains("GET /api/v1/sso/config 200 "), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    for secret in ["SECRETCODE123", "SECRETSTATE456", "code=", "?"] {
        assert!(!stderr.contains(secret), "{secret:?} logged: {stderr}");
    }
}
