//! Just enough URL handling for issuer and endpoint checks, without the `url` crate's size.
//!
//! Rules, shared by the SPA and sso-server (which puts these origins into its CSP header):
//! - an endpoint is `https://`, or `http://` only for loopback hosts (RFC 8252 section 8.3);
//! - the host is a DNS name (letters, digits, `-` and dots: what CSP's host grammar takes;
//!   an internationalised name in its `xn--` form), a dotted IPv4 address, or a bracketed IPv6
//!   literal, and nothing else: no `*`, `;`, `,`, quotes, spaces, `%` or other bytes that
//!   could widen or end a CSP directive;
//! - the port, when given, is 1 to 5 digits, at most 65535.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl<'a> {
    pub scheme: &'a str,
    /// Host and optional port, as written (`127.0.0.1:9400`).
    pub authority: &'a str,
    pub host: &'a str,
    /// Everything after the authority: path, query and fragment.
    pub rest: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    NotAbsolute,
    InsecureScheme,
    HasCredentials,
    HasQueryOrFragment,
    /// The host is not a DNS name, an IPv4 address or a bracketed IPv6 literal, or the port
    /// is not a number up to 65535.
    BadHost,
}

impl UrlProblem {
    pub fn describe(&self) -> &'static str {
        match self {
            UrlProblem::NotAbsolute => "is not an absolute http(s) URL",
            UrlProblem::InsecureScheme => {
                "must use https (plain http is allowed only for localhost and 127.0.0.1)"
            }
            UrlProblem::HasCredentials => "must not contain a user name or password",
            UrlProblem::HasQueryOrFragment => "must not contain a query (?) or fragment (#)",
            UrlProblem::BadHost => {
                "has a host that is not a DNS name (letters, digits, - and dots; an international name in its xn-- form), an IPv4 address or a bracketed IPv6 address, or a port that is not a number up to 65535"
            }
        }
    }
}

impl<'a> HttpUrl<'a> {
    pub fn parse(text: &'a str) -> Result<Self, UrlProblem> {
        let (scheme, after) = if let Some(after) = text.strip_prefix("https://") {
            ("https", after)
        } else if let Some(after) = text.strip_prefix("http://") {
            ("http", after)
        } else {
            return Err(UrlProblem::NotAbsolute);
        };
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        if authority.contains('@') {
            return Err(UrlProblem::HasCredentials);
        }
        if authority.is_empty() {
            return Err(UrlProblem::NotAbsolute);
        }
        let host = host_of(authority);
        if host.is_empty() {
            return Err(UrlProblem::NotAbsolute);
        }
        let port = &authority[host.len()..];
        if !is_host(host) || !(port.is_empty() || is_port(port)) {
            return Err(UrlProblem::BadHost);
        }
        let url = HttpUrl {
            scheme,
            authority,
            host,
            rest,
        };
        if scheme == "http" && !url.is_loopback() {
            return Err(UrlProblem::InsecureScheme);
        }
        Ok(url)
    }

    pub fn is_loopback(&self) -> bool {
        matches!(self.host, "localhost" | "127.0.0.1" | "[::1]")
    }

    /// `scheme://authority`, the unit the browser's same-origin and CSP rules use.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

/// A DNS name, dotted IPv4, or bracketed IPv6 literal, as the module's comment says.
fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.strip_suffix(']').is_some_and(|ip| {
            ip.contains(':')
                && ip
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        });
    }
    let labels: Vec<&str> = host.strip_suffix('.').unwrap_or(host).split('.').collect();
    let all_digits = labels
        .iter()
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
    if all_digits {
        // Dotted IPv4 only, in its plain form: no `127.1`, no leading zeros.
        return labels.len() == 4
            && labels.iter().all(|l| {
                l.len() <= 3 && l.parse::<u8>().is_ok() && (l.len() == 1 || !l.starts_with('0'))
            });
    }
    // A name whose last label is a number (`a.1`, `0x7f`) is an IPv4 address to a browser
    // (the URL Standard's "ends in a number"), not the DNS name it looks like.
    let ends_in_a_number = labels.last().is_some_and(|last| {
        last.bytes().all(|b| b.is_ascii_digit())
            || last
                .strip_prefix("0x")
                .or_else(|| last.strip_prefix("0X"))
                .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    !ends_in_a_number
        && host.len() <= 253
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `:` and a port number (1 to 65535) as a browser writes it: no leading zero.
fn is_port(port: &str) -> bool {
    port.strip_prefix(':').is_some_and(|digits| {
        (1..=5).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits
                .parse::<u32>()
                .is_ok_and(|n| (1..=65535).contains(&n))
    })
}

fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// An issuer is an https URL with no query or fragment (OIDC Discovery section 3).
pub fn check_issuer(issuer: &str) -> Result<HttpUrl<'_>, UrlProblem> {
    let url = HttpUrl::parse(issuer)?;
    if url.rest.contains(['?', '#']) {
        return Err(UrlProblem::HasQueryOrFragment);
    }
    Ok(url)
}

/// `application/x-www-form-urlencoded` (the URL Standard's serializer, as the
/// `form_urlencoded` crate writes it; the tests compare the two): `*-._` and ASCII
/// alphanumerics stay, space becomes `+`, every other byte `%XX`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, part) in [name, value].into_iter().enumerate() {
            if j > 0 {
                out.push('=');
            }
            for byte in part.bytes() {
                match byte {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                        out.push(char::from(byte))
                    }
                    b' ' => out.push('+'),
                    _ => {
                        out.push('%');
                        out.push(char::from(HEX[usize::from(byte >> 4)]));
                        out.push(char::from(HEX[usize::from(byte & 15)]));
                    }
                }
            }
        }
    }
    out
}

/// The URL Standard's `application/x-www-form-urlencoded` parser: `&`-separated, empty
/// pieces skipped, split at the first `=`, `+` is a space, `%XX` decoded (a malformed
/// escape is kept as written), and bytes that are not UTF-8 become U+FFFD.
pub fn form_decode(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let hex = |byte: u8| char::from(byte).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let escaped = (byte == b'%')
            .then(|| Some(hex(*bytes.get(i + 1)?)? * 16 + hex(*bytes.get(i + 2)?)?))
            .flatten();
        match escaped {
            Some(decoded) => {
                // At most 0xff: two hex digits.
                out.push(decoded as u8);
                i += 3;
            }
            None => {
                out.push(if byte == b'+' { b' ' } else { byte });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends form-encoded parameters, keeping any query the endpoint already has
/// (OAuth 2.0 section 3.1 allows one and says to retain it).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let query = form_encode(params);
    let (without_fragment, _) = base.split_once('#').unwrap_or((base, ""));
    let separator = if !without_fragment.contains('?') {
        "?"
    } else if without_fragment.ends_with(['?', '&']) {
        ""
    } else {
        "&"
    };
    format!("{without_fragment}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_https_and_loopback_http() {
        let url = HttpUrl::parse("https://login.example.com/tenant/v2.0").unwrap();
        assert_eq!(url.origin(), "https://login.example.com");
        assert_eq!(url.rest, "/tenant/v2.0");
        let local = HttpUrl::parse("http://127.0.0.1:9400").unwrap();
        assert_eq!(local.origin(), "http://127.0.0.1:9400");
        assert!(local.is_loopback());
        assert!(HttpUrl::parse("http://[::1]:8080/x").unwrap().is_loopback());
        assert!(HttpUrl::parse("http://localhost/").unwrap().is_loopback());
    }

    #[test]
    fn rejects_bad_urls_with_the_specific_problem() {
        assert_eq!(HttpUrl::parse("example.com"), Err(UrlProblem::NotAbsolute));
        assert_eq!(HttpUrl::parse("https://"), Err(UrlProblem::NotAbsolute));
        assert_eq!(HttpUrl::parse("ftp://x"), Err(UrlProblem::NotAbsolute));
        assert_eq!(
            HttpUrl::parse("http://idp.example.com"),
            Err(UrlProblem::InsecureScheme)
        );
        // A loopback-looking prefix must not unlock http for a real host.
        assert_eq!(
            HttpUrl::parse("http://localhost.evil.com"),
            Err(UrlProblem::InsecureScheme)
        );
        assert_eq!(
            HttpUrl::parse("https://user:pw@idp.example.com"),
            Err(UrlProblem::HasCredentials)
        );
        assert_eq!(
            check_issuer("https://idp.example.com/?a=b"),
            Err(UrlProblem::HasQueryOrFragment)
        );
        assert_eq!(
            check_issuer("https://idp.example.com#x"),
            Err(UrlProblem::HasQueryOrFragment)
        );
    }

    #[test]
    fn hosts_that_could_reach_a_header_are_refused() {
        for bad in [
            "https://*/u",
            "https://*.example.com",
            "https://x;sandbox/",
            "https://a,b.example.com",
            "https://'self'",
            "https://\"idp\".example.com",
            "https://idp example.com",
            "https://idp.example.com :443",
            "https://idp.ex%61mple.com",
            "https://idp_1.example.com",
            "https://bücher.example",
            "https://-idp.example.com",
            "https://idp-.example.com",
            "https://idp..example.com",
            "https://idp.example.com:0",
            "https://idp.example.com:65536",
            "https://idp.example.com:8x",
            "https://idp.example.com:",
            "https://[::1",
            "https://[nope]",
            "http://127.1",
            "http://127.000.0.1",
            "https://256.1.1.1",
            "http://LOCALHOST:8080",
            // Found by tests/http_url.rs: names a browser reads as IPv4 addresses, and a
            // port it writes differently.
            "https://0x7f",
            "https://idp.example.1",
            "https://idp.example.com:08",
        ] {
            let problem = HttpUrl::parse(bad);
            assert!(
                matches!(
                    problem,
                    Err(UrlProblem::BadHost | UrlProblem::InsecureScheme)
                ),
                "{bad}: {problem:?}"
            );
        }
        for good in [
            "https://idp.example.com",
            "https://IDP.Example.com:8443/x",
            "https://xn--bcher-kva.example/",
            "https://idp.example.com./",
            "https://10.0.0.1:443",
            "https://[2001:db8::1]:8443",
            "https://a-b.c-d.example",
            "http://[::1]:9400",
        ] {
            assert!(HttpUrl::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn with_query_keeps_existing_parameters_and_encodes() {
        assert_eq!(
            with_query("https://a.example/auth", &[("a", "1 2"), ("b", "x&y")]),
            "https://a.example/auth?a=1+2&b=x%26y"
        );
        assert_eq!(
            with_query("https://a.example/auth?p=q", &[("a", "1")]),
            "https://a.example/auth?p=q&a=1"
        );
        assert_eq!(
            with_query("https://a.example/auth?", &[("a", "1")]),
            "https://a.example/auth?a=1"
        );
    }

    #[test]
    fn form_encoding_matches_the_form_urlencoded_crate() {
        // Every byte value, in names and values, plus multi-byte UTF-8.
        let all: String = (0u8..=127).map(char::from).collect();
        let samples = [
            "",
            "plain",
            "a b+c",
            "x=y&z",
            "%41%zz%",
            "https://app.example/oidc/callback?x=1#f",
            "é ü 漢字 🙂",
            &all,
        ];
        for name in samples {
            for value in samples {
                let expected = form_urlencoded::Serializer::new(String::new())
                    .append_pair(name, value)
                    .finish();
                assert_eq!(
                    form_encode(&[(name, value)]),
                    expected,
                    "{name:?}={value:?}"
                );
            }
        }
        let expected = form_urlencoded::Serializer::new(String::new())
            .append_pair("a", "1")
            .append_pair("b", "2 3")
            .finish();
        assert_eq!(form_encode(&[("a", "1"), ("b", "2 3")]), expected);
    }

    #[test]
    fn form_decoding_matches_the_form_urlencoded_crate() {
        let queries = [
            "",
            "&",
            "a",
            "a=",
            "=b",
            "a=1&b=2",
            "a=1&&b=2&",
            "a=1=2",
            "x=%41%42",
            "x=%4",
            "x=%zz1",
            "x=%",
            "x=%%41",
            "x=a+b%2Bc",
            "x=%C3%A9%F0%9F%99%82",
            "x=%FF%FE",
            "x=%C3",
            "%61=%62",
            "code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https%3A%2F%2Fidp.example.com",
            "é=ü&漢=字",
        ];
        for query in queries {
            let expected: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(form_decode(query), expected, "{query:?}");
        }
        // Every escape %00..%FF round-trips through the encoder.
        for byte in 0u8..=255 {
            let query = format!("k=%{byte:02X}");
            let expected: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(form_decode(&query), expected, "{query}");
        }
    }
}
