//! Entry point: runs the server and turns a startup error into one line on stderr and exit status 1.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match sso_server::run_from_env().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sso-server: error: {err}");
            ExitCode::FAILURE
        }
    }
}
