//! `SSO_DATABASE=postgres://…`: the connection, its TLS mode and a name for logs that carries
//! no password.
//!
//! `sslmode` follows libpq: `disable`, `prefer` (the default: TLS when the server offers it,
//! its certificate unchecked), `require` (TLS, certificate unchecked), `verify-full` (TLS, the
//! certificate checked against `sslrootcert`, or the public web roots, and the host name).
//! `verify-ca` (a chain without a host name) is refused with a pointer to `verify-full`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How long a connection attempt may take before the store counts as unavailable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyFull,
}

/// A parsed `postgres://` URL. `Debug` and `Display` show no password.
#[derive(Clone)]
pub struct PgUrl {
    pub(super) config: postgres::Config,
    pub(super) ssl: SslMode,
    pub(super) root_cert: Option<PathBuf>,
    /// `user@host:port/dbname`.
    name: String,
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({}, {:?})", self.name, self.ssl)
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq for PgUrl {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.ssl == other.ssl && self.root_cert == other.root_cert
    }
}

impl Eq for PgUrl {}

/// Why a URL is not usable; never the URL itself (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl PgUrl {
    pub fn is_postgres(value: &str) -> bool {
        value.starts_with("postgres://") || value.starts_with("postgresql://")
    }

    pub fn parse(value: &str) -> Result<Self, UrlError> {
        let (base, query) = value.split_once('?').unwrap_or((value, ""));
        let mut ssl = SslMode::Prefer;
        let mut root_cert = None;
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| UrlError(format!("the value of {key} is not UTF-8")))?;
            match key {
                "sslmode" => {
                    ssl = match value.as_ref() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-full" => SslMode::VerifyFull,
                        "verify-ca" => {
                            return Err(UrlError(
                                "sslmode=verify-ca is not supported: use sslmode=verify-full (it checks the certificate's host name too) with sslrootcert".into(),
                            ))
                        }
                        other => {
                            return Err(UrlError(format!(
                                "sslmode must be disable, prefer, require or verify-full, got {other:?}"
                            )))
                        }
                    }
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
                _ => rest.push(pair),
            }
        }
        let url = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            // The parser's message names the bad part, not the password.
            UrlError(format!("not a usable PostgreSQL URL: {e}"))
        })?;
        // The TLS connector does the checking; the client only asks for TLS or not.
        config.ssl_mode(match ssl {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyFull => postgres::config::SslMode::Require,
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("sso-server");
        if root_cert.is_some() && ssl != SslMode::VerifyFull {
            return Err(UrlError(
                "sslrootcert is used only with sslmode=verify-full".into(),
            ));
        }
        let host = config
            .get_hosts()
            .first()
            .map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .unwrap_or_else(|| "localhost".into());
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let name = format!(
            "{}@{host}:{port}/{}",
            config.get_user().unwrap_or("?"),
            config.get_dbname().unwrap_or("?")
        );
        Ok(Self {
            config,
            ssl,
            root_cert,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_names_without_passwords() {
        let url = PgUrl::parse("postgres://sso:hunter2@db.example.com:6432/sso?sslmode=require")
            .expect("valid");
        assert_eq!(url.ssl, SslMode::Require);
        assert_eq!(url.to_string(), "sso@db.example.com:6432/sso");
        assert!(!format!("{url:?}").contains("hunter2"));
        let url = PgUrl::parse(
            "postgresql://sso@db/sso?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5",
        )
        .expect("valid");
        assert_eq!(url.ssl, SslMode::VerifyFull);
        assert_eq!(url.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            url.config.get_connect_timeout(),
            Some(&Duration::from_secs(5))
        );
        assert_eq!(
            PgUrl::parse("postgres://u:p@h/d").expect("valid").ssl,
            SslMode::Prefer
        );
        for bad in [
            "postgres://u:hunter2@h/d?sslmode=verify-ca",
            "postgres://u:hunter2@h/d?sslmode=always",
            "postgres://u:hunter2@h/d?sslrootcert=/ca.pem",
            "postgres://u:hunter2@h:notaport/d",
            "postgres://u:hunter2@h/d?nonsense=1",
        ] {
            let err = PgUrl::parse(bad).expect_err(bad);
            assert!(!err.0.contains("hunter2"), "{bad}: {}", err.0);
        }
    }
}
