//! Turns the SSO_* and OIDC_* environment variables into a validated `Config`; pure, so tests pass a map instead of the process env.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;
use url::{Host, Url};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DIST: &str = "dist";
pub const DEFAULT_GROUPS_CLAIM: &str = "groups";

/// The SPA always requests these, so they are not echoed back in `scopes`.
const BASE_SCOPES: [&str; 3] = ["openid", "profile", "email"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub dist: PathBuf,
    /// `None` when neither OIDC_ISSUER nor OIDC_CLIENT_ID is set: the SPA then
    /// reads its static sso-config.json instead of `/api/v1/sso/config`.
    pub sso: Option<SsoConfig>,
}

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
    IssuerWithoutClientId,
    ClientIdWithoutIssuer,
    InvalidClientId {
        value: String,
    },
    InvalidAuthMethod {
        value: String,
    },
    InvalidScope {
        scope: String,
    },
    InvalidListen {
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
                "OIDC_ISSUER must be an absolute https URL (http is allowed only for localhost/127.0.0.1), got {value:?}"
            ),
            Self::IssuerHasQueryOrFragment { value } => write!(
                f,
                "OIDC_ISSUER must not contain a query or fragment (an issuer is scheme, host and optional path), got {value:?}"
            ),
            Self::IssuerHasCredentials => write!(
                f,
                "OIDC_ISSUER must not contain a user name or password (value not shown)"
            ),
            Self::IssuerWithoutClientId => write!(
                f,
                "OIDC_ISSUER is set but OIDC_CLIENT_ID is not: set both to serve /api/v1/sso/config, or neither to let the SPA use its static sso-config.json"
            ),
            Self::ClientIdWithoutIssuer => write!(
                f,
                "OIDC_CLIENT_ID is set but OIDC_ISSUER is not: set both to serve /api/v1/sso/config, or neither to let the SPA use its static sso-config.json"
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
            Self::InvalidListen { value } => write!(
                f,
                "SSO_LISTEN must be an IP address and port such as 127.0.0.1:8080 or [::]:8080, got {value:?}"
            ),
            Self::DistMissingIndex { index } => write!(
                f,
                "SSO_DIST must be the SPA build directory (run `trunk build --release`), but {} does not exist",
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

        // Validated even when SSO is off, so a typo is caught before it matters.
        let auth_method = parse_auth_method(get("OIDC_AUTH_METHOD").as_deref())?;
        let scopes = parse_scopes(get("OIDC_SCOPES").as_deref().unwrap_or(""))?;
        let groups_claim =
            get("OIDC_GROUPS_CLAIM").unwrap_or_else(|| DEFAULT_GROUPS_CLAIM.to_owned());

        let sso = match (get("OIDC_ISSUER"), get("OIDC_CLIENT_ID")) {
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError::IssuerWithoutClientId),
            (None, Some(_)) => return Err(ConfigError::ClientIdWithoutIssuer),
            (Some(issuer), Some(client_id)) => {
                let issuer = Issuer::parse(&issuer)?;
                if !client_id.chars().all(|c| (' '..='~').contains(&c)) {
                    return Err(ConfigError::InvalidClientId { value: client_id });
                }
                Some(SsoConfig {
                    issuer,
                    client_id,
                    auth_method,
                    scopes,
                    groups_claim,
                })
            }
        };

        Ok(Self { listen, dist, sso })
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
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        let not_https = || ConfigError::IssuerNotHttps {
            value: value.to_owned(),
        };
        let url = Url::parse(value).map_err(|_| not_https())?;
        if !is_allowed_web_url(&url) {
            return Err(not_https());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ConfigError::IssuerHasCredentials);
        }
        // `Url` drops an empty `?` or `#`, so look at the text as well.
        if url.query().is_some() || url.fragment().is_some() || value.contains(['?', '#']) {
            return Err(ConfigError::IssuerHasQueryOrFragment {
                value: value.to_owned(),
            });
        }
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

    /// OIDC Discovery 1.0 §4: the issuer with any trailing slash removed, then
    /// the well-known path.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.raw.trim_end_matches('/')
        )
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// https anywhere; plain http only on this machine, where a dev IdP runs.
pub fn is_allowed_web_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
            _ => false,
        },
        _ => false,
    }
}

fn parse_auth_method(value: Option<&str>) -> Result<AuthMethod, ConfigError> {
    match value {
        None => Ok(AuthMethod::Pkce),
        Some(v) if v.eq_ignore_ascii_case("pkce") => Ok(AuthMethod::Pkce),
        Some(v) if v.eq_ignore_ascii_case("implicit") => Ok(AuthMethod::Implicit),
        Some(v) => Err(ConfigError::InvalidAuthMethod {
            value: v.to_owned(),
        }),
    }
}

/// Extra scopes, in the order given, without duplicates or the base three.
pub fn parse_scopes(value: &str) -> Result<Vec<String>, ConfigError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
    {
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        let valid = scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if !valid {
            return Err(ConfigError::InvalidScope {
                scope: scope.to_owned(),
            });
        }
        if BASE_SCOPES.contains(&scope) || scopes.iter().any(|s| s == scope) {
            continue;
        }
        scopes.push(scope.to_owned());
    }
    Ok(scopes)
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

    fn sso(vars: &[(&str, &str)]) -> SsoConfig {
        let mut all = vec![
            ("OIDC_ISSUER", "https://idp.example.com/realms/main"),
            ("OIDC_CLIENT_ID", "sso-web"),
        ];
        all.extend_from_slice(vars);
        match parse(&all) {
            Ok(Config { sso: Some(sso), .. }) => sso,
            other => panic!("expected SSO config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_without_any_variable() {
        let config = parse(&[]).expect("empty env is valid");
        assert_eq!(config.listen, "127.0.0.1:8080".parse().expect("literal"));
        assert_eq!(config.dist, PathBuf::from("dist"));
        assert_eq!(config.sso, None);
    }

    #[test]
    fn full_sso_config() {
        let config = parse(&[
            ("SSO_LISTEN", "0.0.0.0:9000"),
            ("SSO_DIST", "/srv/sso"),
            ("OIDC_ISSUER", "http://127.0.0.1:9400"),
            ("OIDC_CLIENT_ID", "sso-web"),
            ("OIDC_AUTH_METHOD", "implicit"),
            ("OIDC_SCOPES", "offline_access, groups"),
            ("OIDC_GROUPS_CLAIM", "roles"),
        ])
        .expect("valid");
        assert_eq!(config.listen, "0.0.0.0:9000".parse().expect("literal"));
        assert_eq!(config.dist, PathBuf::from("/srv/sso"));
        let sso = config.sso.expect("configured");
        assert_eq!(sso.issuer.as_str(), "http://127.0.0.1:9400");
        assert_eq!(sso.client_id, "sso-web");
        assert_eq!(sso.auth_method, AuthMethod::Implicit);
        assert_eq!(sso.scopes, ["offline_access", "groups"]);
        assert_eq!(sso.groups_claim, "roles");
    }

    #[test]
    fn sso_defaults() {
        let sso = sso(&[]);
        assert_eq!(sso.auth_method, AuthMethod::Pkce);
        assert!(sso.scopes.is_empty());
        assert_eq!(sso.groups_claim, "groups");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let config = parse(&[
            ("OIDC_ISSUER", "  "),
            ("OIDC_CLIENT_ID", ""),
            ("OIDC_AUTH_METHOD", ""),
            ("SSO_LISTEN", ""),
        ])
        .expect("blank is unset");
        assert_eq!(config.sso, None);
        assert_eq!(config.listen.port(), 8080);
    }

    #[test]
    fn issuer_keeps_its_exact_text() {
        // A bare origin must not gain a slash, and a trailing slash must stay:
        // both are compared byte for byte with `iss`.
        assert_eq!(
            sso(&[("OIDC_ISSUER", "https://idp.example.com")])
                .issuer
                .as_str(),
            "https://idp.example.com"
        );
        assert_eq!(
            sso(&[("OIDC_ISSUER", "https://tenant.example.com/")])
                .issuer
                .as_str(),
            "https://tenant.example.com/"
        );
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
            "http://[::1]:9400",
            "ftp://idp.example.com",
            "file:///etc/passwd",
        ] {
            let err = parse(&[("OIDC_ISSUER", bad), ("OIDC_CLIENT_ID", "c")]).expect_err(bad);
            assert_eq!(
                err,
                ConfigError::IssuerNotHttps {
                    value: bad.to_owned()
                }
            );
        }
        assert_eq!(
            parse(&[("OIDC_ISSUER", "foo"), ("OIDC_CLIENT_ID", "c")])
                .expect_err("invalid")
                .to_string(),
            r#"OIDC_ISSUER must be an absolute https URL (http is allowed only for localhost/127.0.0.1), got "foo""#
        );
        for good in [
            "http://localhost:9400",
            "http://LOCALHOST",
            "http://127.0.0.1:9400/x",
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
            let err = parse(&[("OIDC_ISSUER", bad), ("OIDC_CLIENT_ID", "c")]).expect_err(bad);
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
        let err = parse(&[
            ("OIDC_ISSUER", "https://admin:hunter2@idp.example.com"),
            ("OIDC_CLIENT_ID", "c"),
        ])
        .expect_err("credentials");
        assert_eq!(err, ConfigError::IssuerHasCredentials);
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn issuer_and_client_id_come_together() {
        assert_eq!(
            parse(&[("OIDC_ISSUER", "https://idp.example.com")]).expect_err("half"),
            ConfigError::IssuerWithoutClientId
        );
        assert_eq!(
            parse(&[("OIDC_CLIENT_ID", "sso-web")]).expect_err("half"),
            ConfigError::ClientIdWithoutIssuer
        );
        assert!(ConfigError::ClientIdWithoutIssuer
            .to_string()
            .starts_with("OIDC_CLIENT_ID is set but OIDC_ISSUER is not"));
    }

    #[test]
    fn client_id_must_be_printable_ascii() {
        let err = parse(&[
            ("OIDC_ISSUER", "https://idp.example.com"),
            ("OIDC_CLIENT_ID", "sso\u{7}web"),
        ])
        .expect_err("control char");
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
            sso(&[("OIDC_AUTH_METHOD", "PKCE")]).auth_method,
            AuthMethod::Pkce
        );
        assert_eq!(
            sso(&[("OIDC_AUTH_METHOD", " implicit ")]).auth_method,
            AuthMethod::Implicit
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

    #[test]
    fn auth_method_is_checked_even_without_sso() {
        assert!(matches!(
            parse(&[("OIDC_AUTH_METHOD", "code")]),
            Err(ConfigError::InvalidAuthMethod { .. })
        ));
    }
}
