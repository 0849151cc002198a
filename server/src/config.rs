//! Turns the SSO_* and OIDC_* environment variables into a validated `Config`; pure, so tests pass a map instead of the process env.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use url::Url;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DIST: &str = "dist";
pub const DEFAULT_DATABASE: &str = "./data/sso.db";
pub const DEFAULT_GROUPS_CLAIM: &str = "groups";
pub const DEFAULT_ADMIN_GROUPS: &str = "admins";
/// Shorter setup tokens could be guessed online.
pub const MIN_BOOTSTRAP_TOKEN_LEN: usize = 16;
/// W&B Server's `SESSION_LENGTH` default: 720 hours, 30 days.
pub const DEFAULT_SESSION_LENGTH: Duration = Duration::from_secs(720 * 3600);
/// Longer lengths are surely a typo (and would overflow cookie dates).
pub const MAX_SESSION_LENGTH: Duration = Duration::from_secs(10 * 365 * 86_400);

/// The SPA always requests these, so they are not echoed back in `scopes`.
const BASE_SCOPES: [&str; 3] = ["openid", "profile", "email"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub dist: PathBuf,
    /// The SQLite file for the settings saved in the admin UI.
    pub database: PathBuf,
    /// Members of any of these groups may use /api/v1/admin/*.
    pub admin_groups: Vec<String>,
    /// SSO_BOOTSTRAP_TOKEN; when unset a setup token is generated and only its
    /// hash is stored.
    pub bootstrap_token: Option<Secret>,
    /// The OIDC_* variables, each of which overrides the stored value.
    pub env: EnvSettings,
    /// SSO_SESSION_LENGTH, SSO_SESSION_IDLE and SSO_PUBLIC_URL.
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
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => value.split_at(at),
        None => (value, "s"),
    };
    let per = match unit {
        "s" => 1,
        "m" => 60,
        _ => return None,
    };
    let secs = number.parse::<u64>().ok()?.checked_mul(per)?;
    (1..=3600)
        .contains(&secs)
        .then(|| Duration::from_secs(secs))
}

/// How long server sessions last, and where the server is reached (for the cookie's
/// attributes and the CSRF check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Absolute, from sign-in; use does not extend it.
    pub length: Duration,
    /// Ends a session unused for this long; off when `None`.
    pub idle: Option<Duration>,
    /// The origin users reach the server at, when it is set.
    pub public_url: Option<PublicUrl>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            length: DEFAULT_SESSION_LENGTH,
            idle: None,
            public_url: None,
        }
    }
}

/// SSO_PUBLIC_URL: the scheme, host and port browsers use, which the server cannot see
/// behind a proxy that terminates TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    origin: String,
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
            https,
        })
    }

    /// `https://sso.example.com` (no trailing slash; the default port left out).
    pub fn origin(&self) -> &str {
        &self.origin
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
        Some(value) => value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
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

/// `720` (hours, as W&B's `SESSION_LENGTH`), or a number with a unit: `90s`, `30m`, `12h`,
/// `30d`. Zero is refused: a session that ends as it starts is a mistake.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => value.split_at(at),
        None => (value, "h"),
    };
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    let number: u64 = number.parse().ok()?;
    let secs = number.checked_mul(seconds_per)?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// The SSO settings given by the environment. Each field is `None` when its
/// variable is unset or blank; a set field wins over the admin UI's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSettings {
    pub issuer: Option<Issuer>,
    pub client_id: Option<String>,
    pub auth_method: Option<AuthMethod>,
    /// With the name of the variable it came from.
    pub client_secret: Option<(&'static str, Secret)>,
    pub groups_claim: Option<String>,
    pub scopes: Option<Vec<String>>,
}

/// The settings the SPA needs, once issuer and client ID are both known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    pub issuer: Issuer,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub scopes: Vec<String>,
    pub groups_claim: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    Pkce,
    Implicit,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pkce => "pkce",
            Self::Implicit => "implicit",
        }
    }

    /// The exact lowercase names, as stored and as the API takes them.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "pkce" => Some(Self::Pkce),
            "implicit" => Some(Self::Implicit),
            _ => None,
        }
    }
}

/// A value that must never be printed: `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
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
    IssuerNotHttps {
        value: String,
    },
    IssuerHasQueryOrFragment {
        value: String,
    },
    /// The value is not kept: it may hold a password.
    IssuerHasCredentials,
    IssuerBadHost {
        value: String,
    },
    InvalidClientId {
        value: String,
    },
    InvalidAuthMethod {
        value: String,
    },
    InvalidScope {
        scope: String,
    },
    /// Neither value is kept.
    ConflictingSecrets,
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
            Self::IssuerNotHttps { value } => write!(
                f,
                "OIDC_ISSUER must be an absolute https URL (http is allowed only for localhost/127.0.0.1/[::1]), got {value:?}"
            ),
            Self::IssuerHasQueryOrFragment { value } => write!(
                f,
                "OIDC_ISSUER must not contain a query or fragment (an issuer is scheme, host and optional path), got {value:?}"
            ),
            Self::IssuerHasCredentials => write!(
                f,
                "OIDC_ISSUER must not contain a user name or password (value not shown)"
            ),
            Self::IssuerBadHost { value } => write!(
                f,
                "OIDC_ISSUER's host must be a DNS name (letters, digits, - and dots; an international name in its xn-- form), an IPv4 address or a bracketed IPv6 address, with a port up to 65535, got {value:?}"
            ),
            Self::InvalidClientId { value } => write!(
                f,
                "OIDC_CLIENT_ID must be printable ASCII (RFC 6749 VSCHAR), got {value:?}"
            ),
            Self::InvalidAuthMethod { value } => write!(
                f,
                "OIDC_AUTH_METHOD must be \"pkce\" or \"implicit\", got {value:?}"
            ),
            Self::InvalidScope { scope } => write!(
                f,
                "OIDC_SCOPES contains {scope:?}, which is not a valid scope (printable ASCII without quotes or backslashes; separate scopes with spaces or commas)"
            ),
            Self::ConflictingSecrets => write!(
                f,
                "OIDC_SECRET and OIDC_CLIENT_SECRET are both set, to different values: set only one of them (values not shown)"
            ),
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
            Self::InvalidNumber { var, value, rule } => {
                write!(f, "{var} must be {rule}, got {value:?}")
            }
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
        let database =
            PathBuf::from(get("SSO_DATABASE").unwrap_or_else(|| DEFAULT_DATABASE.to_owned()));
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

        let client_secret = match (get("OIDC_SECRET"), get("OIDC_CLIENT_SECRET")) {
            (Some(a), Some(b)) if a != b => return Err(ConfigError::ConflictingSecrets),
            (Some(a), _) => Some(("OIDC_SECRET", Secret::new(a))),
            (None, Some(b)) => Some(("OIDC_CLIENT_SECRET", Secret::new(b))),
            (None, None) => None,
        };
        if let Some((secret_var, _)) = &client_secret {
            if get("OIDC_ISSUER").is_none() {
                return Err(ConfigError::SecretWithoutIssuer { secret_var });
            }
        }
        let client_id = get("OIDC_CLIENT_ID");
        if let Some(client_id) = &client_id {
            if !is_valid_client_id(client_id) {
                return Err(ConfigError::InvalidClientId {
                    value: client_id.clone(),
                });
            }
        }
        let env = EnvSettings {
            issuer: get("OIDC_ISSUER")
                .as_deref()
                .map(Issuer::parse)
                .transpose()?,
            client_id,
            auth_method: get("OIDC_AUTH_METHOD")
                .as_deref()
                .map(parse_auth_method)
                .transpose()?,
            client_secret,
            groups_claim: get("OIDC_GROUPS_CLAIM"),
            scopes: get("OIDC_SCOPES")
                .as_deref()
                .map(parse_scopes)
                .transpose()?,
        };

        let duration = |var: &'static str| -> Result<Option<Duration>, ConfigError> {
            get(var)
                .map(|value| {
                    parse_duration(&value)
                        .filter(|d| *d <= MAX_SESSION_LENGTH)
                        .ok_or(ConfigError::InvalidDuration { var, value })
                })
                .transpose()
        };
        let sessions = SessionConfig {
            length: duration("SSO_SESSION_LENGTH")?.unwrap_or(DEFAULT_SESSION_LENGTH),
            idle: duration("SSO_SESSION_IDLE")?,
            public_url: get("SSO_PUBLIC_URL")
                .as_deref()
                .map(PublicUrl::parse)
                .transpose()?,
        };
        if sessions.idle.is_some_and(|idle| idle > sessions.length) {
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
    /// The SPA's rule (`sso_web::oidc::url::check_issuer`), so the two agree on every
    /// issuer; then `Url` for the normalised origin.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        use sso_web::oidc::url::{check_issuer, UrlProblem};
        let value = value.trim();
        let not_https = || ConfigError::IssuerNotHttps {
            value: value.to_owned(),
        };
        match check_issuer(value) {
            Ok(_) => {}
            Err(UrlProblem::HasCredentials) => return Err(ConfigError::IssuerHasCredentials),
            Err(UrlProblem::HasQueryOrFragment) => {
                return Err(ConfigError::IssuerHasQueryOrFragment {
                    value: value.to_owned(),
                })
            }
            Err(UrlProblem::BadHost) => {
                return Err(ConfigError::IssuerBadHost {
                    value: value.to_owned(),
                })
            }
            Err(UrlProblem::NotAbsolute | UrlProblem::InsecureScheme) => return Err(not_https()),
        }
        let url = Url::parse(value).map_err(|_| not_https())?;
        Ok(Self {
            raw: value.to_owned(),
            url,
        })
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

/// The endpoint rule the SPA applies (`sso_web::oidc::url::HttpUrl`): https anywhere, plain
/// http only on this machine, and a host that is a DNS name, an IPv4 address or a bracketed
/// IPv6 one, so that nothing from it can widen or end a CSP directive.
pub fn is_allowed_web_url(text: &str) -> bool {
    sso_web::oidc::url::HttpUrl::parse(text).is_ok()
}

/// RFC 6749 VSCHAR: what a client_id may contain.
pub fn is_valid_client_id(value: &str) -> bool {
    value.chars().all(|c| (' '..='~').contains(&c))
}

fn parse_auth_method(value: &str) -> Result<AuthMethod, ConfigError> {
    AuthMethod::from_name(&value.to_ascii_lowercase()).ok_or_else(|| {
        ConfigError::InvalidAuthMethod {
            value: value.to_owned(),
        }
    })
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

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
pub fn is_valid_scope(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Extra scopes, in the order given, without duplicates or the base three.
pub fn normalize_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in scopes {
        if BASE_SCOPES.contains(&scope) || out.iter().any(|s| s == scope) {
            continue;
        }
        out.push(scope.to_owned());
    }
    out
}

/// Extra scopes, in the order given, without duplicates or the base three.
pub fn parse_scopes(value: &str) -> Result<Vec<String>, ConfigError> {
    let scopes: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = scopes.iter().find(|s| !is_valid_scope(s)) {
        return Err(ConfigError::InvalidScope {
            scope: (*bad).to_owned(),
        });
    }
    Ok(normalize_scopes(scopes))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn defaults_without_any_variable() {
        let config = parse(&[]).expect("empty env is valid");
        assert_eq!(config.listen, "127.0.0.1:8080".parse().expect("literal"));
        assert_eq!(config.dist, PathBuf::from("dist"));
        assert_eq!(config.database, PathBuf::from("./data/sso.db"));
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
        assert_eq!(config.database, PathBuf::from("/var/lib/sso/sso.db"));
        assert_eq!(config.admin_groups, ["admins", "sso-admins"]);
        assert_eq!(
            config.bootstrap_token.as_ref().map(Secret::expose),
            Some("0123456789abcdef")
        );
        let env = config.env;
        assert_eq!(
            env.issuer.as_ref().map(Issuer::as_str),
            Some("http://127.0.0.1:9400")
        );
        assert_eq!(env.client_id.as_deref(), Some("sso-web"));
        assert_eq!(env.auth_method, Some(AuthMethod::Implicit));
        assert_eq!(
            env.scopes,
            Some(vec!["offline_access".to_owned(), "groups".to_owned()])
        );
        assert_eq!(env.groups_claim.as_deref(), Some("roles"));
        assert_eq!(
            env.client_secret,
            Some(("OIDC_SECRET", Secret::new("s3cr3t")))
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
            let err = Issuer::parse(bad).expect_err(bad).to_string();
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
        assert_eq!(defaults.length, Duration::from_secs(30 * 86_400));
        for (text, secs) in [
            ("720", 720 * 3600),
            ("1", 3600),
            ("90s", 90),
            ("30m", 1800),
            ("12h", 43_200),
            ("30d", 2_592_000),
            (" 7d ", 604_800),
        ] {
            assert_eq!(
                parse_duration(text),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in [
            "",
            "0",
            "0s",
            "-5",
            "1.5h",
            "5w",
            "h",
            "5 h",
            "5H",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        let config = parse(&[
            ("SSO_SESSION_LENGTH", "60s"),
            ("SSO_SESSION_IDLE", "20s"),
            ("SSO_PUBLIC_URL", "https://SSO.example.com:443/"),
        ])
        .expect("valid")
        .sessions;
        assert_eq!(config.length, Duration::from_secs(60));
        assert_eq!(config.idle, Some(Duration::from_secs(20)));
        let public = config.public_url.expect("set");
        assert_eq!(public.origin(), "https://sso.example.com");
        assert!(public.is_https());

        for (var, value) in [
            ("SSO_SESSION_LENGTH", "30 days"),
            ("SSO_SESSION_LENGTH", "0"),
            ("SSO_SESSION_LENGTH", "3651d"),
            ("SSO_SESSION_IDLE", "soon"),
        ] {
            let err = parse(&[(var, value)]).expect_err("invalid");
            assert_eq!(
                err,
                ConfigError::InvalidDuration {
                    var,
                    value: value.to_owned()
                }
            );
            assert!(err.to_string().starts_with(var), "{err}");
        }
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
        let only_issuer = env(&[("OIDC_ISSUER", "https://idp.example.com")]);
        assert!(only_issuer.issuer.is_some());
        assert_eq!(only_issuer.client_id, None);
        let only_client = env(&[("OIDC_CLIENT_ID", "sso-web")]);
        assert_eq!(only_client.issuer, None);
        assert_eq!(only_client.client_id.as_deref(), Some("sso-web"));
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
        assert_eq!(
            env(&[issuer, ("OIDC_CLIENT_SECRET", "abc")]).client_secret,
            Some(("OIDC_CLIENT_SECRET", Secret::new("abc")))
        );
        assert_eq!(
            env(&[
                issuer,
                ("OIDC_SECRET", "abc"),
                ("OIDC_CLIENT_SECRET", "abc")
            ])
            .client_secret,
            Some(("OIDC_SECRET", Secret::new("abc")))
        );
        let err = parse(&[
            ("OIDC_SECRET", "abc-one"),
            ("OIDC_CLIENT_SECRET", "abc-two"),
        ])
        .expect_err("conflict");
        assert_eq!(err, ConfigError::ConflictingSecrets);
        let message = err.to_string();
        assert!(message.starts_with("OIDC_SECRET and OIDC_CLIENT_SECRET are both set"));
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
                env(&[("OIDC_ISSUER", raw)]).issuer.expect("set").as_str(),
                raw
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
            let err = parse(&[("OIDC_ISSUER", bad)]).expect_err(bad);
            assert_eq!(
                err,
                ConfigError::IssuerNotHttps {
                    value: bad.to_owned()
                }
            );
        }
        assert_eq!(
            parse(&[("OIDC_ISSUER", "foo")])
                .expect_err("invalid")
                .to_string(),
            r#"OIDC_ISSUER must be an absolute https URL (http is allowed only for localhost/127.0.0.1/[::1]), got "foo""#
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
            let err = parse(&[("OIDC_ISSUER", bad)]).expect_err(bad);
            assert_eq!(
                err,
                ConfigError::IssuerHasQueryOrFragment {
                    value: bad.to_owned()
                }
            );
        }
    }

    #[test]
    fn issuer_credentials_are_rejected_and_not_echoed() {
        let err = parse(&[("OIDC_ISSUER", "https://admin:hunter2@idp.example.com")])
            .expect_err("credentials");
        assert_eq!(err, ConfigError::IssuerHasCredentials);
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn client_id_must_be_printable_ascii() {
        let err = parse(&[("OIDC_CLIENT_ID", "sso\u{7}web")]).expect_err("control char");
        assert_eq!(
            err,
            ConfigError::InvalidClientId {
                value: "sso\u{7}web".to_owned()
            }
        );
    }

    #[test]
    fn auth_method() {
        assert_eq!(
            env(&[("OIDC_AUTH_METHOD", "PKCE")]).auth_method,
            Some(AuthMethod::Pkce)
        );
        assert_eq!(
            env(&[("OIDC_AUTH_METHOD", " implicit ")]).auth_method,
            Some(AuthMethod::Implicit)
        );
        let err = parse(&[("OIDC_AUTH_METHOD", "x")]).expect_err("bad method");
        assert_eq!(
            err,
            ConfigError::InvalidAuthMethod {
                value: "x".to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            r#"OIDC_AUTH_METHOD must be "pkce" or "implicit", got "x""#
        );
    }

    #[test]
    fn scopes_split_on_spaces_and_commas_deduplicated_without_base_scopes() {
        assert_eq!(
            parse_scopes(" openid,groups  offline_access,,groups\temail profile api:read ")
                .expect("valid"),
            ["groups", "offline_access", "api:read"]
        );
        assert_eq!(parse_scopes("").expect("empty"), Vec::<String>::new());
        assert_eq!(
            parse_scopes("openid profile email").expect("base"),
            Vec::<String>::new()
        );
        // Set to only base scopes is still "set": the env pins an empty list.
        assert_eq!(env(&[("OIDC_SCOPES", "openid")]).scopes, Some(Vec::new()));
    }

    #[test]
    fn scopes_reject_invalid_characters() {
        for bad in ["a\"b", "back\\slash", "caf\u{e9}"] {
            let err = parse(&[("OIDC_SCOPES", &format!("groups {bad}"))]).expect_err(bad);
            assert_eq!(
                err,
                ConfigError::InvalidScope {
                    scope: bad.to_owned()
                }
            );
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
