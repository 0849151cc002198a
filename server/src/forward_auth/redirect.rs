//! Where `/oauth2/start?rd=` may send a browser after sign-in: a path on this server, or an
//! http(s) URL whose host is this server's own or on SSO_ALLOWED_REDIRECT_HOSTS.
//!
//! The check is written against how browsers read URLs, not how a URL library does: anything
//! a browser would reinterpret (a backslash, a tab or newline it strips, `//` that makes a path
//! a host, userinfo, a scheme without `//`, percent-encoded or non-ASCII host bytes, a
//! trailing dot) is refused outright instead of normalized, so that the host compared is the
//! host the browser goes to.

use std::fmt;

/// One SSO_ALLOWED_REDIRECT_HOSTS entry: `app.example.com` (that host, any port),
/// `app.example.com:8443` (that port only), `.example.com` (example.com and its subdomains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    host: String,
    subdomains: bool,
    port: Option<u16>,
}

impl AllowedHost {
    pub fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        let (subdomains, rest) = match entry.strip_prefix('.') {
            Some(rest) => (true, rest),
            None => (false, entry),
        };
        let authority = parse_authority(rest).map_err(|why| format!("{entry:?}: {why}"))?;
        if matches!(authority.port, Some(80 | 443)) {
            return Err(format!(
                "{entry:?}: leave out a default port (:80, :443); without a port every port matches"
            ));
        }
        if subdomains && authority.host.starts_with('[') {
            return Err(format!(
                "{entry:?}: a leading dot (subdomains) needs a domain name"
            ));
        }
        Ok(Self {
            host: authority.host,
            subdomains,
            port: authority.port,
        })
    }

    fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let host_matches = host == self.host
            || (self.subdomains
                && host
                    .strip_suffix(self.host.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.')));
        host_matches && self.port.is_none_or(|p| Some(p) == port)
    }
}

/// Why an `rd` was refused. `Display` is one sentence for the page; it quotes the value only
/// as far as it is safe to show (the caller escapes it for HTML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a path and not an `http(s)://` URL: `https:evil`, `javascript:…`, `evil.com`.
    NotAUrl,
    /// Characters a browser strips or rewrites: controls, spaces, `\`, non-ASCII.
    UnsafeCharacters,
    /// `//host…`: a path that a browser reads as another host.
    SchemeRelative,
    /// `https://user@host`.
    Userinfo,
    /// A host that is empty, has a trailing dot, empty labels, `%` or other bytes a DNS name
    /// cannot have.
    BadHost(String),
    /// A well-formed host that is not allowed.
    HostNotAllowed(String),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAUrl => f.write_str(
                "the return address is neither a path on this server (/…) nor an http:// or https:// URL",
            ),
            Self::UnsafeCharacters => f.write_str(
                "the return address has spaces, control characters, backslashes or non-ASCII characters (an international domain name must be written in its xn-- form)",
            ),
            Self::SchemeRelative => {
                f.write_str("the return address starts with // (another host, written as a path)")
            }
            Self::Userinfo => f.write_str(
                "the return address has a user name (@) before its host, which hides the real destination",
            ),
            Self::BadHost(why) => write!(f, "the return address's host is not usable: {why}"),
            Self::HostNotAllowed(host) => write!(
                f,
                "{host} is not a destination this server may send you to after sign-in"
            ),
        }
    }
}

/// The checked return address, ready for a `Location` header.
pub fn check(rd: &str, own: &str, allowed: &[AllowedHost]) -> Result<String, Refused> {
    if rd.is_empty() {
        return Ok("/".to_owned());
    }
    if !rd.bytes().all(|b| (0x21..=0x7e).contains(&b)) || rd.contains('\\') {
        return Err(Refused::UnsafeCharacters);
    }
    if rd.starts_with('/') {
        return if rd.starts_with("//") {
            Err(Refused::SchemeRelative)
        } else {
            Ok(rd.to_owned())
        };
    }
    let (scheme, rest) = rd.split_once("://").ok_or(Refused::NotAUrl)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(Refused::NotAUrl);
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err(Refused::Userinfo);
    }
    let mut target = parse_authority(authority).map_err(Refused::BadHost)?;
    // The default port is no port: `https://h:443/` is `https://h/`.
    if target.port == Some(if scheme == "https" { 443 } else { 80 }) {
        target.port = None;
    }
    let own = parse_authority(own).ok();
    let is_own = own
        .as_ref()
        .is_some_and(|own| own.host == target.host && own.port == target.port);
    if !is_own
        && !allowed
            .iter()
            .any(|entry| entry.allows(&target.host, target.port))
    {
        return Err(Refused::HostNotAllowed(target.shown()));
    }
    let tail = if tail.is_empty() { "/" } else { tail };
    Ok(format!("{scheme}://{}{tail}", target.shown()))
}

struct Authority {
    /// Lower-case; an IPv6 literal keeps its brackets.
    host: String,
    port: Option<u16>,
}

impl Authority {
    fn shown(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }
}

/// `host`, `host:port` or `[v6]:port`, as only a well-formed DNS name or IP literal.
fn parse_authority(text: &str) -> Result<Authority, String> {
    let (host, port) = if text.starts_with('[') {
        let close = text
            .find(']')
            .ok_or("an IPv6 address without its closing ]")?;
        let (host, after) = text.split_at(close + 1);
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err("not an IPv6 address".to_owned());
        }
        match after {
            "" => (host.to_ascii_lowercase(), None),
            _ => (
                host.to_ascii_lowercase(),
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or("junk after the IPv6 address")?,
                ),
            ),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host.to_ascii_lowercase(), Some(port)),
            None => (text.to_ascii_lowercase(), None),
        }
    };
    let port = port.map(parse_port).transpose()?;
    if host.is_empty() {
        return Err("it is empty".to_owned());
    }
    if !host.starts_with('[') {
        if host.ends_with('.') {
            return Err(format!(
                "{host} ends with a dot; write it without (the dot makes another origin)"
            ));
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(format!(
                "{:?} has characters a host name cannot have",
                host.escape_default().to_string()
            ));
        }
        if host.split('.').any(str::is_empty) {
            return Err(format!("{host} has an empty label (..)"));
        }
    }
    Ok(Authority { host, port })
}

/// 1 to 65535, digits only, no leading zero (browsers read `:080` as 80; better refused).
fn parse_port(port: &str) -> Result<u16, String> {
    let valid = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0');
    valid
        .then(|| port.parse::<u16>().ok())
        .flatten()
        .ok_or_else(|| format!("{port:?} is not a port number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<AllowedHost> {
        ["app.example.com", ".tools.example.com", "127.0.0.1:8081"]
            .iter()
            .map(|e| AllowedHost::parse(e).expect("valid entry"))
            .collect()
    }

    fn checked(rd: &str) -> Result<String, Refused> {
        check(rd, "sso.example.com", &allowed())
    }

    #[test]
    fn allowed_destinations() {
        assert_eq!(checked(""), Ok("/".into()));
        assert_eq!(checked("/me?x=1#y"), Ok("/me?x=1#y".into()));
        assert_eq!(
            checked("https://sso.example.com/admin"),
            Ok("https://sso.example.com/admin".into())
        );
        assert_eq!(
            checked("https://sso.example.com:443/"),
            Ok("https://sso.example.com/".into())
        );
        assert_eq!(
            checked("https://app.example.com"),
            Ok("https://app.example.com/".into())
        );
        // Mixed case in scheme and host is the same destination, written in lower case.
        assert_eq!(
            checked("HTTPS://App.Example.COM:8443/Path?Q=1"),
            Ok("https://app.example.com:8443/Path?Q=1".into())
        );
        assert_eq!(
            checked("https://nb.tools.example.com/lab"),
            Ok("https://nb.tools.example.com/lab".into())
        );
        assert_eq!(
            checked("https://tools.example.com/"),
            Ok("https://tools.example.com/".into())
        );
        assert_eq!(
            checked("http://127.0.0.1:8081/x"),
            Ok("http://127.0.0.1:8081/x".into())
        );
    }

    #[test]
    fn the_usual_bypasses_are_refused() {
        use Refused::*;
        type Expected = fn(&Refused) -> bool;
        let cases: &[(&str, Expected)] = &[
            ("//evil.com/", |r| *r == SchemeRelative),
            ("///evil.com/", |r| *r == SchemeRelative),
            ("/\\evil.com/", |r| *r == UnsafeCharacters),
            ("\\\\evil.com", |r| *r == UnsafeCharacters),
            ("https:evil.com", |r| *r == NotAUrl),
            ("https:/evil.com", |r| *r == NotAUrl),
            ("evil.com", |r| *r == NotAUrl),
            ("javascript://app.example.com/%0aalert(1)", |r| {
                *r == NotAUrl
            }),
            ("data:text/html,hi", |r| *r == NotAUrl),
            ("https://app.example.com@evil.com/", |r| *r == Userinfo),
            ("https://evil.com#@app.example.com", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https://evil.com?@app.example.com", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https://app.example.com.evil.com/", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https://evilapp.example.com/", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https://eviltools.example.com/", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https://EVIL.com/", |r| matches!(r, HostNotAllowed(_))),
            ("https://app.example.com./", |r| matches!(r, BadHost(_))),
            ("https://app..example.com/", |r| matches!(r, BadHost(_))),
            ("https://app%2eexample.com/", |r| matches!(r, BadHost(_))),
            ("https://аpp.example.com/", |r| *r == UnsafeCharacters),
            ("https://xn--pp-8kc.example.com/", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https://app.example.com\t.evil.com/", |r| {
                *r == UnsafeCharacters
            }),
            ("/\t/evil.com", |r| *r == UnsafeCharacters),
            (" //evil.com", |r| *r == UnsafeCharacters),
            ("https://app.example.com:0/", |r| matches!(r, BadHost(_))),
            ("https://app.example.com:080/", |r| matches!(r, BadHost(_))),
            ("https://app.example.com:99999/", |r| {
                matches!(r, BadHost(_))
            }),
            ("https://127.0.0.1:8082/", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https://sso.example.com:444/", |r| {
                matches!(r, HostNotAllowed(_))
            }),
            ("https:///evil.com", |r| matches!(r, BadHost(_))),
            ("https://[::1]/", |r| matches!(r, HostNotAllowed(_))),
        ];
        for (rd, expected) in cases {
            match checked(rd) {
                Err(refused) => assert!(expected(&refused), "{rd:?}: refused as {refused:?}"),
                Ok(location) => panic!("{rd:?} was allowed, to {location:?}"),
            }
        }
    }

    #[test]
    fn entries() {
        for bad in [
            "",
            "*.example.com",
            "example.com.",
            "a b",
            "host:0",
            "[::1",
            ".[::1]",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad:?}");
        }
        let entry = AllowedHost::parse("App.Example.com:8443").expect("valid");
        assert!(entry.allows("app.example.com", Some(8443)));
        assert!(!entry.allows("app.example.com", None));
        assert!(!entry.allows("app.example.com", Some(443)));
    }
}
