//! Entry point: runs the server (or `reset-setup-token`) and turns a startup error into one line on stderr and exit status 1.

use std::io::Write as _;
use std::process::ExitCode;

const USAGE: &str = "usage: sso-server [reset-setup-token]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => match sso_server::run_from_env().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err),
        },
        ["reset-setup-token"] => match sso_server::reset_setup_token_from_env() {
            Ok((token, env_token_set)) => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "sso-server: new setup token (shown once): {token}");
                let _ = writeln!(
                    out,
                    "sso-server: the previous setup token no longer works; a running server accepts the new one at once"
                );
                if env_token_set {
                    let _ = writeln!(
                        out,
                        "sso-server: note: SSO_BOOTSTRAP_TOKEN is set here; a server started with it accepts only that token"
                    );
                }
                ExitCode::SUCCESS
            }
            Err(err) => fail(&err),
        },
        ["-h" | "--help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("sso-server: error: unknown arguments; {USAGE}");
            ExitCode::from(2)
        }
    }
}

fn fail(err: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("sso-server: error: {err}");
    ExitCode::FAILURE
}
