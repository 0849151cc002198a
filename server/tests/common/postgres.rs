//! A real PostgreSQL for the tests: a private cluster (`initdb` + `pg_ctl`) in a temporary
//! folder, on a free port, run as the `postgres` user when the tests run as root (PostgreSQL
//! refuses root). Stopped and removed when dropped. No mock database anywhere.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The password of the `sso` role: it must never show in a log line or an error.
pub const PASSWORD: &str = "pg-password-never-logged-7f3a";

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
    databases: AtomicUsize,
    tls: bool,
}

/// The newest installed server's binaries (Debian: /usr/lib/postgresql/<major>/bin).
fn bin_dir() -> PathBuf {
    let mut majors: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not installed (/usr/lib/postgresql: {e}); scripts/setup.sh installs it"
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    majors.sort();
    majors
        .pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Cluster {
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// With `tls`, the server has a certificate for `localhost` and 127.0.0.1 from a CA in
    /// [`Cluster::ca_file`].
    pub fn start_with(tls: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sso-pg-")
            .tempdir()
            .expect("temp dir");
        let cluster = Self {
            bin: bin_dir(),
            port: free_port(),
            as_postgres: is_root(),
            databases: AtomicUsize::new(0),
            tls,
            dir,
        };
        if cluster.as_postgres {
            run(Command::new("chown").args(["postgres:postgres", &cluster.path(".")]));
        }
        std::fs::write(cluster.dir.path().join("pw"), format!("{PASSWORD}\n")).expect("pwfile");
        if cluster.as_postgres {
            run(Command::new("chown").args(["postgres:postgres", &cluster.path("pw")]));
        }
        cluster.pg(
            "initdb",
            &[
                "-D",
                &cluster.path("data"),
                "-U",
                "sso",
                "--pwfile",
                &cluster.path("pw"),
                "-A",
                "scram-sha-256",
                "--no-sync",
            ],
        );
        let mut conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nmax_connections = 200\n",
            cluster.port,
            cluster.path(".")
        );
        if tls {
            cluster.make_certificates();
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        }
        let conf_path = cluster.dir.path().join("data/postgresql.auto.conf");
        let mut existing = std::fs::read_to_string(&conf_path).unwrap_or_default();
        existing.push_str(&conf);
        std::fs::write(&conf_path, existing).expect("conf");
        cluster.start_server();
        cluster
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A PostgreSQL program, as the `postgres` user when we are root.
    fn pg(&self, program: &str, args: &[&str]) -> Output {
        let binary = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        run(command.args(args))
    }

    fn make_certificates(&self) {
        let data = self.dir.path().join("data");
        let openssl = |args: &[&str]| run(Command::new("openssl").current_dir(&data).args(args));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=sso test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(
            data.join("san.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .expect("ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ]);
        std::fs::copy(data.join("ca.crt"), self.dir.path().join("ca.crt")).expect("ca");
        if self.as_postgres {
            run(Command::new("chown").args(["-R", "postgres:postgres", &self.path("data")]));
        }
        run(Command::new("chmod").args(["600", &self.path("data/server.key")]));
    }

    /// The CA that signed the server's certificate (with [`Cluster::start_with`]`(true)`).
    pub fn ca_file(&self) -> PathBuf {
        assert!(self.tls, "a cluster started without TLS");
        self.dir.path().join("ca.crt")
    }

    pub fn start_server(&self) {
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.path("data"),
                "-l",
                &self.path("server.log"),
                "-w",
                "-t",
                "30",
                "start",
            ],
        );
    }

    /// Stops the server (fast: open sessions are cut, committed data is on disk).
    pub fn stop_server(&self) {
        self.pg(
            "pg_ctl",
            &["-D", &self.path("data"), "-m", "fast", "-w", "stop"],
        );
    }

    /// A URL for database `db` as the `sso` role (with its password), TLS off.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://sso:{PASSWORD}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// A new, empty database; returns its URL.
    pub fn fresh_database(&self) -> String {
        let name = format!("sso_{}", self.databases.fetch_add(1, Ordering::SeqCst));
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect as sso");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url(&name)
    }

    /// The server's own log, for leak checks.
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_quiet(&["-D", &self.path("data"), "-m", "immediate", "-w", "stop"]);
    }
}

impl Cluster {
    fn pg_quiet(&self, args: &[&str]) -> std::io::Result<Output> {
        let binary = self.bin.join("pg_ctl");
        if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(binary)
                .args(args)
                .output()
        } else {
            Command::new(binary).args(args).output()
        }
    }
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Waits until `check` holds, at most `limit`; returns how long it took.
pub fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}
