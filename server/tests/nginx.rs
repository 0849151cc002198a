//! The form_post bridge behind a real nginx from Debian, with its default proxy buffers: an Entra-sized ID token (200 groups, about 20 KB) comes through. Its answer used to be a `Location` of that size, which nginx's 4–8 KiB header buffer refuses with a 502.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::binary::{runtime, start, vars};
use common::idp::{self, CLIENT_ID};
use common::*;
use serde_json::json;

const NGINX: &str = "/usr/sbin/nginx";

/// nginx in the foreground, its files in `dir`, proxying `listen` to `upstream`.
struct Nginx {
    child: Child,
}

impl Nginx {
    fn start(dir: &Path, listen: &str, upstream: &str) -> Self {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: scripts/setup.sh installs Debian's nginx"
        );
        let d = dir.display();
        // The defaults that matter here are left alone: proxy_buffer_size is one memory page.
        let conf = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log {d}/access.log;\n\
               client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
               server {{\n    listen {listen};\n    location / {{ proxy_pass http://{upstream}; }}\n  }}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
        let mut child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(listen).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(stderr) = child.stderr.take() {
                    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                        err.push_str(&line);
                        err.push('\n');
                    }
                }
                panic!("nginx exited ({status}): {err}");
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {listen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[test]
fn an_entra_sized_form_post_comes_through_a_default_nginx() {
    let d = make_dist();
    let dist = d.dist.to_string_lossy().into_owned();
    let db = database_for(&d.dist).to_string_lossy().into_owned();
    let env = vars(
        &dist,
        &db,
        &[
            ("OIDC_ISSUER", "http://127.0.0.1:9"),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_AUTH_METHOD", "implicit"),
        ],
    );
    let server = start(&env);
    let upstream = server.base.trim_start_matches("http://").to_owned();
    let listen = format!("127.0.0.1:{}", free_port());
    let nginx_dir = tempfile::tempdir().expect("temp dir");
    let _nginx = Nginx::start(nginx_dir.path(), &listen, &upstream);

    // 200 group object IDs, as Entra puts them in the token before it switches to an overage.
    let groups: Vec<String> = (0..200)
        .map(|i| format!("{i:08x}-5a0d-4c52-9a57-6d1f1c2a{i:04x}"))
        .collect();
    let claims = json!({
        "iss": "http://127.0.0.1:9", "sub": "entra-user", "aud": CLIENT_ID,
        "exp": idp::now() + 300, "iat": idp::now(), "nonce": "n",
        "name": "Entra User", "preferred_username": "entra.user@example.com",
        "groups": groups, "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509"],
    });
    let mut token = idp::sign("rs256", &claims);
    // Entra's tokens carry more than this; pad with a claim to the size of a real one.
    if token.len() < 20_000 {
        let mut padded = claims.clone();
        padded["xms_pad"] = json!("x".repeat(20_000 - token.len()));
        token = idp::sign("rs256", &padded);
    }
    assert!(token.len() >= 20_000, "{}", token.len());

    let rt = runtime();
    let (status, page) = rt.block_on(async {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(format!("http://{listen}/oidc/callback"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("id_token={token}&state=st-1"))
            .send()
            .await
            .expect("POST through nginx");
        (
            response.status().as_u16(),
            response.text().await.expect("body"),
        )
    });
    assert_eq!(status, 200, "nginx passed the answer on: {page}");
    assert!(
        page.contains(&format!("id_token={token}\\u0026state=st-1")),
        "the token is in the page's data block"
    );
    let error_log = std::fs::read_to_string(nginx_dir.path().join("error.log")).unwrap_or_default();
    assert!(
        !error_log.contains("too big header"),
        "nginx complained: {error_log}"
    );
    drop(server);
}
