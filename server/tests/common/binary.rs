//! The real binary as a child process: started with a clean env, its stdout and stderr read continuously into one transcript (for leak checks), stopped by signal.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_sso-server");

/// A running sso-server whose stdout and stderr are read continuously (a
/// full pipe would stall it) into one transcript.
pub struct Running {
    pub child: Child,
    pub base: String,
    /// stdout lines printed before the "listening" line.
    pub startup: Vec<String>,
    transcript: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

pub fn start(vars: &[(&str, &str)]) -> Running {
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sso-server");
    let transcript = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out_log = Arc::clone(&transcript);
    let err_log = Arc::clone(&transcript);
    let readers = vec![
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                out_log.lock().expect("lock").push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        }),
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                err_log.lock().expect("lock").push_str(&format!("{line}\n"));
            }
        }),
    ];
    let (startup, base) = wait_for_listening(&rx, &transcript);
    Running {
        child,
        base,
        startup,
        transcript,
        readers,
    }
}

fn wait_for_listening(rx: &Receiver<String>, transcript: &Mutex<String>) -> (Vec<String>, String) {
    let mut startup = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .unwrap_or_else(|_| {
                panic!(
                    "no listening line; output so far:\n{}",
                    transcript.lock().expect("lock")
                )
            });
        if let Some(rest) = line.strip_prefix("sso-server listening on ") {
            let base = rest.split(' ').next().expect("address").to_owned();
            return (startup, base);
        }
        startup.push(line);
    }
}

impl Running {
    pub fn stop_with(&mut self, signal: &str) -> ExitStatus {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                return exit;
            }
            assert!(Instant::now() < deadline, "did not stop after {signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything printed so far.
    pub fn transcript(&self) -> String {
        self.transcript.lock().expect("lock").clone()
    }

    /// Waits for the readers so the transcript is complete.
    pub fn finish(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let text = self.transcript.lock().expect("lock").clone();
        text
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn vars<'a>(
    dist: &'a str,
    db: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("SSO_DIST", dist),
        ("SSO_LISTEN", "127.0.0.1:0"),
        ("SSO_DATABASE", db),
    ];
    all.extend_from_slice(extra);
    all
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
