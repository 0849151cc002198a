//! Turns the SSO_* and OIDC_* environment variables into a validated `Config`; pure, so tests pass a map instead of the process env.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::forward_auth::redirect::AllowedHost;
use crate::settings::{EnvSettings, Secret};
use crate::store::postgres::PgUrl;
pub use sso_web::contract::settings::parse_duration;
use sso_web::contract::settings::parse_span;
use sso_web::contract::settings::{Problem, CLIENT_SECRET, ISSUER, MAX_DURATION, SESSION_LENGTH};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DIST: &str = "dist";
pub const DEFAULT_DATABASE: &str = "./data/sso.db";
pub const DEFAULT_ADMIN_GROUPS: &str = "admins";
/// Shorter setup tokens could be guessed online.
pub const MIN_BOOTSTRAP_TOKEN_LEN: usize = 16;

/// SSO_DATABASE: a SQLite file (one process), or a PostgreSQL URL (several replicas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(Box<PgUrl>),
}

impl Database {
    /// `None` (unset) is the default SQLite file.
    pub fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        match value {
            Some(url) if PgUrl::is_postgres(url) => PgUrl::parse(url)
                .map(|url| Database::Postgres(Box::new(url)))
                .map_err(|e| ConfigError::InvalidDatabase { reason: e.0 }),
            Some(path) => Ok(Database::Sqlite(PathBuf::from(path))),
            None => Ok(Database::Sqlite(PathBuf::from(DEFAULT_DATABASE))),
        }
    }
}

impl fmt::Display for Database {
    /// Never a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "SQLite {}", path.display()),
            Database::Postgres(url) => write!(f, "PostgreSQL {url}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub dist: PathBuf,
    /// The SQLite file for the settings saved in the admin UI.
    pub database: Database,
    /// Members of any of these groups may use /api/v1/admin/*.
    pub admin_groups: Vec<String>,
    /// SSO_BOOTSTRAP_TOKEN; when unset a setup token is generated and only its
    /// hash is stored.
    pub bootstrap_token: Option<Secret>,
    /// The settings' variables (OIDC_*), each of which overrides the stored value.
    pub env: EnvSettings,
    /// SSO_SESSION_IDLE and SSO_PUBLIC_URL (the length is a setting: SSO_SESSION_LENGTH).
    pub sessions: SessionConfig,
    /// Timeouts, connection and rate limits, trusted proxies, HSTS.
    pub limits: Limits,
}

/// What protects the server's open doors (README, "Limits").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// SSO_HEADER_TIMEOUT: a client must send its request line and headers within this.
    pub header_timeout: Duration,
    /// SSO_BODY_TIMEOUT: ... and its body within this.
    pub body_timeout: Duration,
    /// SSO_REQUEST_TIMEOUT: the whole request, answer included.
    pub request_timeout: Duration,
    /// SSO_MAX_CONNECTIONS: open connections at once; more wait to be accepted.
    pub max_connections: usize,
    /// SSO_RATE_LIMIT: sign-ins (session exchanges) and token relays per client IP per minute.
    pub rate_per_minute: u32,
    /// SSO_AUTH_FAILURE_LIMIT: failed admin authentications per client IP per minute.
    pub auth_failures_per_minute: u32,
    /// SSO_TRUSTED_PROXIES: the proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// SSO_FORM_POST_MAX_BYTES: the largest form_post body (an Entra token with many groups).
    pub form_post_max_bytes: usize,
    /// SSO_HSTS: `Strict-Transport-Security: max-age=<seconds>` on every answer.
    pub hsts_max_age: Option<u64>,
}

pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
pub const DEFAULT_RATE_PER_MINUTE: u32 = 30;
pub const DEFAULT_AUTH_FAILURES_PER_MINUTE: u32 = 10;
pub const DEFAULT_FORM_POST_MAX_BYTES: usize = 64 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            rate_per_minute: DEFAULT_RATE_PER_MINUTE,
            auth_failures_per_minute: DEFAULT_AUTH_FAILURES_PER_MINUTE,
            trusted_proxies: Vec::new(),
            form_post_max_bytes: DEFAULT_FORM_POST_MAX_BYTES,
            hsts_max_age: None,
        }
    }
}

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `::1/128`; a bare address is
/// the network of just it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> Option<u128> {
            match (self.addr, ip) {
                (IpAddr::V4(_), IpAddr::V4(v4)) => Some(u128::from(u32::from(v4)) << 96),
                (IpAddr::V6(_), IpAddr::V6(v6)) => Some(u128::from(v6)),
                // An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`) is that IPv4 address.
                (IpAddr::V4(_), IpAddr::V6(v6)) => v6
                    .to_ipv4_mapped()
                    .map(|v4| u128::from(u32::from(v4)) << 96),
                (IpAddr::V6(_), IpAddr::V4(_)) => None,
            }
        };
        let (Some(net), Some(ip)) = (bits(self.addr), bits(ip)) else {
            return false;
        };
        // IPv4 sits in the top 32 bits, so the prefix counts from the top either way.
        let prefix = u32::from(self.prefix);
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        net & mask == ip & mask
    }
}

/// A timeout: seconds (`10`), or with a unit `s` or `m` (`10s`, `2m`); more than zero, at most
/// an hour.
pub fn parse_timeout(value: &str) -> Option<Duration> {
    parse_span(value, "s", &["s", "m"]).filter(|d| d.as_secs() <= 3600)
}

/// When unused server sessions end, and where the server is reached (for the cookie's
/// attributes and the CSRF check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionConfig {
    /// Ends a session unused for this long; off when `None`.
    pub idle: Option<Duration>,
    /// The origin users reach the server at, when it is set.
    pub public_url: Option<PublicUrl>,
    /// SSO_COOKIE_DOMAIN: the session cookie's `Domain`, to share it with subdomains.
    pub cookie_domain: Option<String>,
    /// SSO_ALLOWED_REDIRECT_HOSTS: where `/oauth2/start?rd=` may return to, besides this
    /// server.
    pub allowed_redirect_hosts: Vec<AllowedHost>,
}

/// SSO_COOKIE_DOMAIN: a DNS name (a leading dot is dropped), which must be SSO_PUBLIC_URL's
/// host or one of its parents when that is set.
fn parse_cookie_domain(value: &str, public_url: Option<&PublicUrl>) -> Result<String, ConfigError> {
    let invalid = |rule: &str| ConfigError::Invalid {
        var: "SSO_COOKIE_DOMAIN",
        value: value.to_owned(),
        rule: rule.to_owned(),
    };
    let domain = value.trim().trim_start_matches('.').to_ascii_lowercase();
    let is_name = domain.contains('.')
        && !domain.ends_with('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && domain.parse::<std::net::Ipv4Addr>().is_err()
        && !domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    if !is_name {
        return Err(invalid(
            "a domain name with at least one dot, such as example.com (no scheme, port or IP address)",
        ));
    }
    if let Some(url) = public_url {
        let host = url.host();
        if host != domain && !host.ends_with(&format!(".{domain}")) {
            return Err(invalid(&format!(
                "SSO_PUBLIC_URL's host ({host}) or a domain above it, or browsers refuse the cookie"
            )));
        }
    }
    Ok(domain)
}

/// SSO_PUBLIC_URL: the scheme, host and port browsers use, which the server cannot see
/// behind a proxy that terminates TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    origin: String,
    host: String,
    https: bool,
}

impl PublicUrl {
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidPublicUrl {
            value: value.to_owned(),
        };
        let url = Url::parse(value.trim()).map_err(|_| invalid())?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(invalid()),
        };
        if url.host().is_none()
            || !url.username().is_empty()
            || url.password().is_some()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || value.contains(['?', '#'])
        {
            return Err(invalid());
        }
        Ok(Self {
            origin: url.origin().ascii_serialization(),
            host: url.host_str().unwrap_or_default().to_owned(),
            https,
        })
    }

    /// `https://sso.example.com` (no trailing slash; the default port left out).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `sso.example.com`, without the port.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_https(&self) -> bool {
        self.https
    }
}

fn parse_limits(get: &dyn Fn(&str) -> Option<String>) -> Result<Limits, ConfigError> {
    let timeout = |var: &'static str, default: Duration| -> Result<Duration, ConfigError> {
        get(var).map_or(Ok(default), |value| {
            parse_timeout(&value).ok_or(ConfigError::InvalidNumber {
                var,
                value,
                rule: "a number of seconds (10) or a number with s or m (10s, 2m), from 1 s to 1 hour",
            })
        })
    };
    let number = |var: &'static str, default: u64, min: u64, max: u64, rule: &'static str| {
        get(var).map_or(Ok(default), |value| {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or(ConfigError::InvalidNumber { var, value, rule })
        })
    };
    let trusted_proxies = match get("SSO_TRUSTED_PROXIES") {
        None => Vec::new(),
        Some(value) => parse_list(&value)
            .iter()
            .map(|s| {
                IpNet::parse(s).ok_or_else(|| ConfigError::InvalidTrustedProxy {
                    value: value.clone(),
                })
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(Limits {
        header_timeout: timeout("SSO_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT)?,
        body_timeout: timeout("SSO_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT)?,
        request_timeout: timeout("SSO_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT)?,
        max_connections: number(
            "SSO_MAX_CONNECTIONS",
            DEFAULT_MAX_CONNECTIONS as u64,
            1,
            1_000_000,
            "a whole number from 1 to 1000000",
        )? as usize,
        rate_per_minute: number(
            "SSO_RATE_LIMIT",
            u64::from(DEFAULT_RATE_PER_MINUTE),
            1,
            100_000,
            "a number of requests per client per minute, from 1 to 100000",
        )? as u32,
        auth_failures_per_minute: number(
            "SSO_AUTH_FAILURE_LIMIT",
            u64::from(DEFAULT_AUTH_FAILURES_PER_MINUTE),
            1,
            100_000,
            "a number of failures per client per minute, from 1 to 100000",
        )? as u32,
        trusted_proxies,
        form_post_max_bytes: number(
            "SSO_FORM_POST_MAX_BYTES",
            DEFAULT_FORM_POST_MAX_BYTES as u64,
            4096,
            1024 * 1024,
            "a number of bytes from 4096 to 1048576",
        )? as usize,
        hsts_max_age: get("SSO_HSTS")
            .map(|value| {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= 2 * 365 * 86_400)
                    .ok_or(ConfigError::InvalidNumber {
                        var: "SSO_HSTS",
                        value,
                        rule: "the max-age in seconds (31536000 for a year), at most two years; unset for no HSTS",
                    })
            })
            .transpose()?,
    })
}

/// An issuer identifier as configured. The original text is kept because the
/// SPA compares it byte for byte with the ID token's `iss`, and `Url` would
/// add a trailing slash to a bare origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    raw: String,
    url: Url,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A setting's variable breaks the setting's rule; `value` is `None` when it must not be
    /// shown (a secret, or a URL with a password in it).
    InvalidSetting {
        var: &'static str,
        value: Option<String>,
        rule: String,
    },
    /// A setting's variable and its alias are both set, to different values.
    ConflictingValues {
        vars: &'static [&'static str],
        secret: bool,
    },
    BootstrapTokenTooShort,
    NoAdminGroups,
    InvalidListen {
        value: String,
    },
    InvalidDuration {
        var: &'static str,
        value: String,
    },
    IdleLongerThanLength,
    InvalidPublicUrl {
        value: String,
    },
    /// A server variable breaks its rule.
    Invalid {
        var: &'static str,
        value: String,
        rule: String,
    },
    /// A secret from the environment goes only to an issuer from the environment.
    SecretWithoutIssuer {
        secret_var: &'static str,
    },
    InvalidNumber {
        var: &'static str,
        value: String,
        rule: &'static str,
    },
    InvalidTrustedProxy {
        value: String,
    },
    /// The URL is not shown: it may hold a password.
    InvalidDatabase {
        reason: String,
    },
    DistMissingIndex {
        index: PathBuf,
    },
    DistUnreadable {
        index: PathBuf,
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSetting {
                var,
                value: Some(value),
                rule,
            } => write!(f, "{var} {rule}, got {value:?}"),
            Self::InvalidSetting {
                var,
                value: None,
                rule,
            } => write!(f, "{var} {rule} (value not shown)"),
            Self::ConflictingValues { vars, secret } => {
                write!(
                    f,
                    "{} are both set, to different values: set only one of them",
                    vars.join(" and ")
                )?;
                if *secret {
                    f.write_str(" (values not shown)")?;
                }
                Ok(())
            }
            Self::BootstrapTokenTooShort => write!(
                f,
                "SSO_BOOTSTRAP_TOKEN must be at least {MIN_BOOTSTRAP_TOKEN_LEN} characters long (value not shown); unset it to have a setup token generated"
            ),
            Self::NoAdminGroups => write!(
                f,
                "SSO_ADMIN_GROUPS names no group: give a comma-separated list such as \"admins,sso-admins\", or unset it for the default \"admins\""
            ),
            Self::InvalidListen { value } => write!(
                f,
                "SSO_LISTEN must be an IP address and port such as 127.0.0.1:8080 or [::]:8080, got {value:?}"
            ),
            Self::InvalidDuration { var, value } => write!(
                f,
                "{var} must be a number of hours (720) or a number with a unit s, m, h or d (90s, 30m, 12h, 30d), more than zero and at most 10 years, got {value:?}"
            ),
            Self::IdleLongerThanLength => write!(
                f,
                "SSO_SESSION_IDLE is longer than SSO_SESSION_LENGTH, so it would never end a session: shorten it, or unset it to turn idle expiry off"
            ),
            Self::InvalidPublicUrl { value } => write!(
                f,
                "SSO_PUBLIC_URL must be the http or https origin browsers reach this server at, such as https://sso.example.com (no path, query or user name), got {value:?}"
            ),
            Self::SecretWithoutIssuer { secret_var } => write!(
                f,
                "{secret_var} is set but OIDC_ISSUER is not: a client secret from the environment is sent only to an issuer from the environment, so that nobody can move it to another identity provider from the admin page; set OIDC_ISSUER too, or save the secret in the admin page instead"
            ),
            Self::Invalid { var, value, rule } => {
                write!(f, "{var} must be {rule}, got {value:?}")
            }
            Self::InvalidNumber { var, value, rule } => {
                write!(f, "{var} must be {rule}, got {value:?}")
            }
            Self::InvalidDatabase { reason } => write!(
                f,
                "SSO_DATABASE must be a SQLite file path or a postgres:// URL: {reason} (the value is not shown)"
            ),
            Self::InvalidTrustedProxy { value } => write!(
                f,
                "SSO_TRUSTED_PROXIES must list IP addresses or networks (10.0.0.0/8, ::1), separated by commas, got {value:?}"
            ),
            Self::DistMissingIndex { index } => write!(
                f,
                "SSO_DIST must be the SPA build directory (run `scripts/build.sh`), but {} does not exist",
                index.display()
            ),
            Self::DistUnreadable { index, reason } => write!(
                f,
                "cannot read {}: {reason} (check SSO_DIST and file permissions)",
                index.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the variables through `lookup`. Unset and blank are the same,
    /// because `FOO=` in an env file usually means "not configured".
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let listen = match get("SSO_LISTEN") {
            None => DEFAULT_LISTEN
                .parse()
                .map_err(|_| ConfigError::InvalidListen {
                    value: DEFAULT_LISTEN.to_owned(),
                })?,
            Some(value) => value
                .parse()
                .map_err(|_| ConfigError::InvalidListen { value })?,
        };
        let dist = PathBuf::from(get("SSO_DIST").unwrap_or_else(|| DEFAULT_DIST.to_owned()));
        let database = Database::parse(get("SSO_DATABASE").as_deref())?;
        let admin_groups =
            parse_list(&get("SSO_ADMIN_GROUPS").unwrap_or_else(|| DEFAULT_ADMIN_GROUPS.to_owned()));
        if admin_groups.is_empty() {
            return Err(ConfigError::NoAdminGroups);
        }
        let bootstrap_token = get("SSO_BOOTSTRAP_TOKEN").map(Secret::new);
        if bootstrap_token
            .as_ref()
            .is_some_and(|t| t.expose().chars().count() < MIN_BOOTSTRAP_TOKEN_LEN)
        {
            return Err(ConfigError::BootstrapTokenTooShort);
        }

        let env = EnvSettings::from_lookup(&get)?;
        if let (Some((secret_var, _)), None) = (env.get(&CLIENT_SECRET), env.get(&ISSUER)) {
            return Err(ConfigError::SecretWithoutIssuer { secret_var });
        }

        let duration = |var: &'static str| -> Result<Option<Duration>, ConfigError> {
            get(var)
                .map(|value| {
                    parse_duration(&value)
                        .filter(|d| *d <= MAX_DURATION)
                        .ok_or(ConfigError::InvalidDuration { var, value })
                })
                .transpose()
        };
        let public_url = get("SSO_PUBLIC_URL")
            .as_deref()
            .map(PublicUrl::parse)
            .transpose()?;
        let cookie_domain = get("SSO_COOKIE_DOMAIN")
            .map(|value| parse_cookie_domain(&value, public_url.as_ref()))
            .transpose()?;
        let allowed_redirect_hosts = match get("SSO_ALLOWED_REDIRECT_HOSTS") {
            None => Vec::new(),
            Some(value) => parse_list(&value)
                .iter()
                .map(|entry| {
                    AllowedHost::parse(entry).map_err(|why| ConfigError::Invalid {
                        var: "SSO_ALLOWED_REDIRECT_HOSTS",
                        value: value.clone(),
                        rule: format!(
                            "a comma-separated list of host names (app.example.com), host:port, or .example.com for a domain and its subdomains; {why}"
                        ),
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let sessions = SessionConfig {
            idle: duration("SSO_SESSION_IDLE")?,
            public_url,
            cookie_domain,
            allowed_redirect_hosts,
        };
        // Only against a length the environment fixes: one saved in the admin form may be
        // shorter than the idle time, which then just never ends a session first.
        let length = env
            .get(&SESSION_LENGTH)
            .and_then(|(_, v)| v.as_text().and_then(parse_duration));
        if sessions
            .idle
            .zip(length)
            .is_some_and(|(idle, length)| idle > length)
        {
            return Err(ConfigError::IdleLongerThanLength);
        }
        let limits = parse_limits(&get)?;

        Ok(Self {
            listen,
            dist,
            database,
            admin_groups,
            bootstrap_token,
            env,
            sessions,
            limits,
        })
    }

    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    /// Non-UTF-8 values are decoded lossily and then fail validation with a
    /// readable message instead of a panic.
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }
}

impl Issuer {
    /// By the issuer setting's rule (the sign-in's `check_issuer`), so the server and the
    /// SPA agree on every issuer; then `Url` for the normalised origin.
    pub fn parse(value: &str) -> Result<Self, Problem> {
        let value = value.trim();
        let raw = sso_web::contract::settings::issuer(value)?;
        let url = Url::parse(&raw).map_err(|_| Problem {
            rule: "must be an absolute https URL".to_owned(),
            hide_value: true,
        })?;
        Ok(Self { raw, url })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// OIDC Discovery 1.0 §4, by the one rule the SPA uses too (one trailing slash dropped).
    pub fn discovery_url(&self) -> String {
        sso_web::oidc::discovery::discovery_url(&self.raw)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Comma-separated, blanks dropped.
fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sso_web::contract::settings::{
        Setting, Value, AUTH_METHOD, CLIENT_ID, GROUPS_CLAIM, SCOPES,
    };

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_map(&map)
    }

    fn env(vars: &[(&str, &str)]) -> EnvSettings {
        parse(vars).expect("valid").env
    }

    /// The value the environment gives `setting`, and from which variable.
    fn set(vars: &[(&str, &str)], setting: &Setting) -> Option<(&'static str, Value)> {
        env(vars)
            .get(setting)
            .map(|(var, value)| (var, value.clone()))
    }

    fn text(var: &'static str, value: &str) -> Option<(&'static str, Value)> {
        Some((var, Value::Text(value.to_owned())))
    }

    fn invalid(vars: &[(&str, &str)]) -> (&'static str, Option<String>, String) {
        match parse(vars) {
            Err(ConfigError::InvalidSetting { var, value, rule }) => (var, value, rule),
            other => panic!("{vars:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults_without_any_variable() {
        let config = parse(&[]).expect("empty env is valid");
        assert_eq!(config.listen, "127.0.0.1:8080".parse().expect("literal"));
        assert_eq!(config.dist, PathBuf::from("dist"));
        assert_eq!(
            config.database,
            Database::Sqlite(PathBuf::from("./data/sso.db"))
        );
        assert_eq!(config.admin_groups, ["admins"]);
        assert_eq!(config.bootstrap_token, None);
        assert_eq!(config.env, EnvSettings::default());
    }

    #[test]
    fn full_env() {
        let config = parse(&[
            ("SSO_LISTEN", "0.0.0.0:9000"),
            ("SSO_DIST", "/srv/sso"),
            ("SSO_DATABASE", "/var/lib/sso/sso.db"),
            ("SSO_ADMIN_GROUPS", " admins, sso-admins ,,"),
            ("SSO_BOOTSTRAP_TOKEN", "0123456789abcdef"),
            ("OIDC_ISSUER", "http://127.0.0.1:9400"),
            ("OIDC_CLIENT_ID", "sso-web"),
            ("OIDC_AUTH_METHOD", "implicit"),
            ("OIDC_SCOPES", "offline_access, groups"),
            ("OIDC_GROUPS_CLAIM", "roles"),
            ("OIDC_SECRET", "s3cr3t"),
        ])
        .expect("valid");
        assert_eq!(config.listen, "0.0.0.0:9000".parse().expect("literal"));
        assert_eq!(config.dist, PathBuf::from("/srv/sso"));
        assert_eq!(
            config.database,
            Database::Sqlite(PathBuf::from("/var/lib/sso/sso.db"))
        );
        assert_eq!(config.admin_groups, ["admins", "sso-admins"]);
        assert_eq!(
            config.bootstrap_token.as_ref().map(Secret::expose),
            Some("0123456789abcdef")
        );
        let env = config.env;
        let get = |setting: &Setting| env.get(setting).map(|(var, v)| (var, v.clone()));
        assert_eq!(get(&ISSUER), text("OIDC_ISSUER", "http://127.0.0.1:9400"));
        assert_eq!(get(&CLIENT_ID), text("OIDC_CLIENT_ID", "sso-web"));
        assert_eq!(get(&AUTH_METHOD), text("OIDC_AUTH_METHOD", "implicit"));
        assert_eq!(
            get(&SCOPES),
            Some((
                "OIDC_SCOPES",
                Value::List(vec!["offline_access".to_owned(), "groups".to_owned()])
            ))
        );
        assert_eq!(get(&GROUPS_CLAIM), text("OIDC_GROUPS_CLAIM", "roles"));
        assert_eq!(
            get(&CLIENT_SECRET),
            Some(("OIDC_SECRET", Value::Secret(Secret::new("s3cr3t"))))
        );
    }

    #[test]
    fn issuers_follow_the_spa_rule() {
        for (bad, expected) in [
            ("https://*.example.com", "host"),
            ("https://x;sandbox", "host"),
            ("https://idp.example.com,evil.example", "host"),
            ("https://\"idp\"", "host"),
            ("https://idp_1.example.com", "host"),
            ("http://LOCALHOST:9400", "https"),
            ("http://127.1:9400", "host"),
            ("http://10.0.0.1", "https"),
        ] {
            let err = Issuer::parse(bad).expect_err(bad).rule;
            assert!(err.contains(expected), "{bad}: {err}");
        }
        let issuer = Issuer::parse("https://IDP.example.com:443/realms/x/").expect("valid");
        assert_eq!(issuer.origin(), "https://idp.example.com");
        assert_eq!(issuer.as_str(), "https://IDP.example.com:443/realms/x/");
        // One trailing slash goes before the well-known path, as in the SPA.
        assert_eq!(
            Issuer::parse("https://idp.example.com//")
                .expect("valid")
                .discovery_url(),
            sso_web::oidc::discovery::discovery_url("https://idp.example.com//")
        );
        assert_eq!(
            Issuer::parse("https://idp.example.com//")
                .expect("valid")
                .discovery_url(),
            "https://idp.example.com//.well-known/openid-configuration"
        );
    }

    #[test]
    fn an_env_secret_needs_an_env_issuer() {
        for var in ["OIDC_SECRET", "OIDC_CLIENT_SECRET"] {
            let err = parse(&[(var, "s3cret")]).expect_err("no issuer");
            assert_eq!(err, ConfigError::SecretWithoutIssuer { secret_var: var });
            let text = err.to_string();
            assert!(text.contains(var) && text.contains("OIDC_ISSUER"), "{text}");
            assert!(!text.contains("s3cret"), "{text}");
        }
        parse(&[
            ("OIDC_SECRET", "s"),
            ("OIDC_ISSUER", "https://idp.example.com"),
        ])
        .expect("valid");
    }

    #[test]
    fn limits_and_their_defaults() {
        assert_eq!(parse(&[]).expect("valid").limits, Limits::default());
        let limits = parse(&[
            ("SSO_HEADER_TIMEOUT", "2"),
            ("SSO_BODY_TIMEOUT", "5s"),
            ("SSO_REQUEST_TIMEOUT", "1m"),
            ("SSO_MAX_CONNECTIONS", "64"),
            ("SSO_RATE_LIMIT", "5"),
            ("SSO_AUTH_FAILURE_LIMIT", "3"),
            ("SSO_TRUSTED_PROXIES", "10.0.0.0/8, ::1 ,192.168.1.7"),
            ("SSO_FORM_POST_MAX_BYTES", "131072"),
            ("SSO_HSTS", "31536000"),
        ])
        .expect("valid")
        .limits;
        assert_eq!(limits.header_timeout, Duration::from_secs(2));
        assert_eq!(limits.body_timeout, Duration::from_secs(5));
        assert_eq!(limits.request_timeout, Duration::from_secs(60));
        assert_eq!(limits.max_connections, 64);
        assert_eq!(
            (limits.rate_per_minute, limits.auth_failures_per_minute),
            (5, 3)
        );
        assert_eq!(limits.form_post_max_bytes, 131_072);
        assert_eq!(limits.hsts_max_age, Some(31_536_000));
        let nets = &limits.trusted_proxies;
        assert_eq!(nets.len(), 3);
        assert!(nets[0].contains("10.1.2.3".parse().expect("ip")));
        assert!(nets[0].contains("::ffff:10.1.2.3".parse().expect("ip")));
        assert!(!nets[0].contains("11.0.0.1".parse().expect("ip")));
        assert!(nets[1].contains("::1".parse().expect("ip")));
        assert!(!nets[1].contains("::2".parse().expect("ip")));
        assert!(nets[2].contains("192.168.1.7".parse().expect("ip")));
        assert!(!nets[2].contains("192.168.1.8".parse().expect("ip")));
        for (var, value) in [
            ("SSO_HEADER_TIMEOUT", "0"),
            ("SSO_HEADER_TIMEOUT", "2h"),
            ("SSO_BODY_TIMEOUT", "fast"),
            ("SSO_MAX_CONNECTIONS", "0"),
            ("SSO_RATE_LIMIT", "-1"),
            ("SSO_FORM_POST_MAX_BYTES", "100"),
            ("SSO_HSTS", "forever"),
            ("SSO_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("SSO_TRUSTED_PROXIES", "proxy.example.com"),
        ] {
            let err = parse(&[(var, value)]).expect_err("invalid");
            assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
        }
    }

    #[test]
    fn session_lengths_and_public_url() {
        let defaults = parse(&[]).expect("valid").sessions;
        assert_eq!(defaults, SessionConfig::default());
        // The syntax is the contract's (`parse_duration`, tested there).
        let config = parse(&[
            ("SSO_SESSION_LENGTH", "60s"),
            ("SSO_SESSION_IDLE", "20s"),
            ("SSO_PUBLIC_URL", "https://SSO.example.com:443/"),
        ])
        .expect("valid");
        assert_eq!(
            config.env.get(&SESSION_LENGTH),
            Some(("SSO_SESSION_LENGTH", &Value::Text("60s".into())))
        );
        let config = config.sessions;
        assert_eq!(config.idle, Some(Duration::from_secs(20)));
        let public = config.public_url.expect("set");
        assert_eq!(public.origin(), "https://sso.example.com");
        assert!(public.is_https());

        for value in ["30 days", "0", "3651d"] {
            let (var, shown, rule) = invalid(&[("SSO_SESSION_LENGTH", value)]);
            assert_eq!((var, shown.as_deref()), ("SSO_SESSION_LENGTH", Some(value)));
            assert!(rule.contains("at most 10 years"), "{rule}");
        }
        let err = parse(&[("SSO_SESSION_IDLE", "soon")]).expect_err("invalid");
        assert_eq!(
            err,
            ConfigError::InvalidDuration {
                var: "SSO_SESSION_IDLE",
                value: "soon".to_owned()
            }
        );
        assert_eq!(
            parse(&[("SSO_SESSION_LENGTH", "1h"), ("SSO_SESSION_IDLE", "2h")]),
            Err(ConfigError::IdleLongerThanLength)
        );
        for bad in [
            "sso.example.com",
            "ftp://sso.example.com",
            "https://sso.example.com/app",
            "https://sso.example.com/?x",
            "https://u:p@sso.example.com",
        ] {
            let err = parse(&[("SSO_PUBLIC_URL", bad)]).expect_err("invalid");
            assert!(
                err.to_string().starts_with("SSO_PUBLIC_URL"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn issuer_and_client_id_may_come_alone() {
        // A fresh server is configured in the admin UI; the env may pin either half.
        let only_issuer = [("OIDC_ISSUER", "https://idp.example.com")];
        assert!(set(&only_issuer, &ISSUER).is_some());
        assert_eq!(set(&only_issuer, &CLIENT_ID), None);
        let only_client = [("OIDC_CLIENT_ID", "sso-web")];
        assert_eq!(set(&only_client, &ISSUER), None);
        assert_eq!(
            set(&only_client, &CLIENT_ID),
            text("OIDC_CLIENT_ID", "sso-web")
        );
    }

    #[test]
    fn blank_values_count_as_unset() {
        let config = parse(&[
            ("OIDC_ISSUER", "  "),
            ("OIDC_CLIENT_ID", ""),
            ("OIDC_AUTH_METHOD", ""),
            ("OIDC_SECRET", " "),
            ("SSO_LISTEN", ""),
            ("SSO_ADMIN_GROUPS", ""),
            ("SSO_BOOTSTRAP_TOKEN", ""),
        ])
        .expect("blank is unset");
        assert_eq!(config.env, EnvSettings::default());
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(config.admin_groups, ["admins"]);
        assert_eq!(config.bootstrap_token, None);
    }

    #[test]
    fn secret_alias_and_conflict() {
        let issuer = ("OIDC_ISSUER", "https://idp.example.com");
        let secret = |var, value| Some((var, Value::Secret(Secret::new(value))));
        assert_eq!(
            set(&[issuer, ("OIDC_CLIENT_SECRET", "abc")], &CLIENT_SECRET),
            secret("OIDC_CLIENT_SECRET", "abc")
        );
        assert_eq!(
            set(
                &[
                    issuer,
                    ("OIDC_SECRET", "abc"),
                    ("OIDC_CLIENT_SECRET", "abc")
                ],
                &CLIENT_SECRET
            ),
            secret("OIDC_SECRET", "abc")
        );
        let err = parse(&[
            ("OIDC_SECRET", "abc-one"),
            ("OIDC_CLIENT_SECRET", "abc-two"),
        ])
        .expect_err("conflict");
        assert_eq!(
            err,
            ConfigError::ConflictingValues {
                vars: CLIENT_SECRET.env,
                secret: true
            }
        );
        let message = err.to_string();
        assert!(message.starts_with("OIDC_SECRET and OIDC_CLIENT_SECRET are both set"));
        assert!(message.ends_with("(values not shown)"), "{message}");
        assert!(!message.contains("abc-"), "{message}");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let config = parse(&[
            ("OIDC_ISSUER", "https://idp.example.com"),
            ("OIDC_SECRET", "very-secret-value"),
            ("SSO_BOOTSTRAP_TOKEN", "bootstrap-token-value"),
        ])
        .expect("valid");
        let debug = format!("{config:?}");
        assert!(!debug.contains("very-secret-value"), "{debug}");
        assert!(!debug.contains("bootstrap-token-value"), "{debug}");
    }

    #[test]
    fn bootstrap_token_needs_16_characters() {
        let err = parse(&[("SSO_BOOTSTRAP_TOKEN", "short-token-15ch")]).map(|c| c.bootstrap_token);
        assert!(err.is_ok(), "16 is enough");
        let err = parse(&[("SSO_BOOTSTRAP_TOKEN", "too-short-token")]).expect_err("15");
        assert_eq!(err, ConfigError::BootstrapTokenTooShort);
        assert!(!err.to_string().contains("too-short-token"));
    }

    #[test]
    fn admin_groups_must_name_one() {
        assert_eq!(
            parse(&[("SSO_ADMIN_GROUPS", ", ,")]).expect_err("none"),
            ConfigError::NoAdminGroups
        );
    }

    #[test]
    fn issuer_keeps_its_exact_text() {
        // A bare origin must not gain a slash, and a trailing slash must stay:
        // both are compared byte for byte with `iss`.
        for raw in ["https://idp.example.com", "https://tenant.example.com/"] {
            assert_eq!(
                set(&[("OIDC_ISSUER", raw)], &ISSUER),
                text("OIDC_ISSUER", raw)
            );
        }
    }

    #[test]
    fn discovery_url_trims_trailing_slash() {
        let with_slash = Issuer::parse("https://idp.example.com/realms/main/").expect("valid");
        let without = Issuer::parse("https://idp.example.com/realms/main").expect("valid");
        let expected = "https://idp.example.com/realms/main/.well-known/openid-configuration";
        assert_eq!(with_slash.discovery_url(), expected);
        assert_eq!(without.discovery_url(), expected);
        assert_eq!(without.origin(), "https://idp.example.com");
        assert_eq!(
            Issuer::parse("http://localhost:9400")
                .expect("valid")
                .origin(),
            "http://localhost:9400"
        );
    }

    #[test]
    fn issuer_must_be_https_or_local_http() {
        for bad in [
            "foo",
            "/realms/main",
            "http://idp.example.com",
            "http://127.0.0.2:9400",
            "http://[::2]:9400",
            "ftp://idp.example.com",
            "file:///etc/passwd",
            // The SPA's rule: loopback is exactly localhost, 127.0.0.1 or [::1].
            "http://LOCALHOST",
        ] {
            let (var, value, rule) = invalid(&[("OIDC_ISSUER", bad)]);
            assert_eq!((var, value.as_deref()), ("OIDC_ISSUER", Some(bad)));
            assert!(rule.starts_with("must be an absolute https URL"), "{rule}");
        }
        assert_eq!(
            parse(&[("OIDC_ISSUER", "foo")])
                .expect_err("invalid")
                .to_string(),
            r#"OIDC_ISSUER must be an absolute https URL (http is allowed only for localhost, 127.0.0.1 and [::1]), got "foo""#
        );
        for good in [
            "http://localhost:9400",
            "http://127.0.0.1:9400/x",
            "http://[::1]:9400",
        ] {
            assert!(Issuer::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn issuer_without_query_or_fragment() {
        for bad in [
            "https://idp.example.com/?tenant=a",
            "https://idp.example.com/#x",
            "https://idp.example.com/?",
            "https://idp.example.com#",
        ] {
            let (_, value, rule) = invalid(&[("OIDC_ISSUER", bad)]);
            assert_eq!(value.as_deref(), Some(bad));
            assert_eq!(rule, "must not contain a query (?) or fragment (#)");
        }
    }

    #[test]
    fn issuer_credentials_are_rejected_and_not_echoed() {
        let err = parse(&[("OIDC_ISSUER", "https://admin:hunter2@idp.example.com")])
            .expect_err("credentials");
        assert!(
            matches!(&err, ConfigError::InvalidSetting { value: None, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("hunter2"));
        assert!(err.to_string().ends_with("(value not shown)"));
    }

    #[test]
    fn client_id_must_be_printable_ascii() {
        let (var, value, rule) = invalid(&[("OIDC_CLIENT_ID", "sso\u{7}web")]);
        assert_eq!(
            (var, value.as_deref()),
            ("OIDC_CLIENT_ID", Some("sso\u{7}web"))
        );
        assert!(rule.contains("printable ASCII"), "{rule}");
    }

    #[test]
    fn auth_method() {
        assert_eq!(
            set(&[("OIDC_AUTH_METHOD", "PKCE")], &AUTH_METHOD),
            text("OIDC_AUTH_METHOD", "pkce")
        );
        assert_eq!(
            set(&[("OIDC_AUTH_METHOD", " implicit ")], &AUTH_METHOD),
            text("OIDC_AUTH_METHOD", "implicit")
        );
        let err = parse(&[("OIDC_AUTH_METHOD", "x")]).expect_err("bad method");
        assert_eq!(
            err.to_string(),
            r#"OIDC_AUTH_METHOD must be "pkce" or "implicit", got "x""#
        );
    }

    #[test]
    fn scopes_from_the_environment() {
        assert_eq!(
            set(
                &[("OIDC_SCOPES", "openid,groups offline_access,,groups")],
                &SCOPES
            ),
            Some((
                "OIDC_SCOPES",
                Value::List(vec!["groups".into(), "offline_access".into()])
            ))
        );
        // Set to only base scopes is still "set": the env pins an empty list.
        assert_eq!(
            set(&[("OIDC_SCOPES", "openid")], &SCOPES),
            Some(("OIDC_SCOPES", Value::List(vec![])))
        );
        for bad in ["a\"b", "back\\slash", "caf\u{e9}"] {
            let (var, _, rule) = invalid(&[("OIDC_SCOPES", &format!("groups {bad}"))]);
            assert_eq!(var, "OIDC_SCOPES");
            assert!(rule.contains("not a valid scope"), "{rule}");
        }
    }

    #[test]
    fn bad_listen_address() {
        for bad in ["8080", "localhost:8080", "127.0.0.1", "127.0.0.1:99999"] {
            let err = parse(&[("SSO_LISTEN", bad)]).expect_err(bad);
            assert_eq!(
                err,
                ConfigError::InvalidListen {
                    value: bad.to_owned()
                }
            );
            assert!(err.to_string().starts_with("SSO_LISTEN must be"), "{err}");
        }
        assert!(parse(&[("SSO_LISTEN", "[::1]:0")]).is_ok());
    }
}
