//! Entry point: runs the server, `reset-setup-token` or `migrate-store`, and turns an error into
//! one line on stderr and exit status 1.

use std::io::Write as _;
use std::process::ExitCode;

const USAGE: &str =
    "usage: sso-server [reset-setup-token | migrate-store --from <sqlite path> --to <postgres url>]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => match sso_server::run_from_env().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err),
        },
        // The store's clients block: the sub-commands run off the async runtime.
        ["reset-setup-token"] => {
            match tokio::task::spawn_blocking(sso_server::reset_setup_token_from_env).await {
                Ok(Ok((token, env_token_set))) => {
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
                Ok(Err(err)) => fail(&err),
                Err(err) => fail(&err),
            }
        }
        ["migrate-store", "--from", from, "--to", to] => {
            let (from, to) = ((*from).to_owned(), (*to).to_owned());
            match tokio::task::spawn_blocking(move || {
                sso_server::startup::migrate_store(&from, &to)
            })
            .await
            {
                Ok(Ok(done)) => {
                    let _ = writeln!(
                        std::io::stdout().lock(),
                        "sso-server: copied settings version {}, {} audit entries and {} sessions",
                        done.version,
                        done.audit_entries,
                        done.sessions
                    );
                    ExitCode::SUCCESS
                }
                Ok(Err(err)) => fail(&err),
                Err(err) => fail(&err),
            }
        }
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
