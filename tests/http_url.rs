//! `HttpUrl` (src/oidc/url.rs), the rule every issuer and endpoint passes before its origin
//! reaches a CSP header, checked differentially against the `url` crate (WHATWG URL): on
//! every combination of tricky pieces, and on pseudo-random strings. What `HttpUrl` accepts,
//! `url` must parse to the same scheme, host, port and origin; `HttpUrl` may refuse more
//! (it is the stricter of the two), never less.

#![cfg(not(target_arch = "wasm32"))]

use sso_web::oidc::url::HttpUrl;
use url::{Host, Url};

const SCHEMES: [&str; 7] = [
    "https://", "http://", "HTTPS://", "https:/", "https:", "ftp://", "",
];
const USERINFO: [&str; 4] = ["", "u@", "u:p@", "@"];
const HOSTS: [&str; 36] = [
    "idp.example.com",
    "IDP.Example.COM",
    "localhost",
    "LOCALHOST",
    "127.0.0.1",
    "127.1",
    "0x7f.0.0.1",
    "01.2.3.4",
    "1.2.3.256",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[fe80::1%25eth0]",
    "[::1",
    "[]",
    "xn--bcher-kva.example",
    "bücher.example",
    "*.example.com",
    "*",
    "a;b.example",
    "a,b.example",
    "a b.example",
    "'self'",
    "\"x\".example",
    "exa_mple.com",
    "-a.example",
    "a-.example",
    "example.com.",
    "a..b",
    "",
    "%41.example",
    "a%2e.example",
    "evil.com\\.example.com",
    "evil.com\\@example.com",
    "example.com\t",
    "ex\nample.com",
];
const PORTS: [&str; 12] = [
    "", ":", ":0", ":443", ":80", ":8080", ":65535", ":65536", ":99999", ":+1", ":0x10", ":08",
];
const RESTS: [&str; 9] = [
    "", "/", "/a/b", "?x=1", "#f", "/%2F", "\\evil", "/a b", ";x",
];

/// The origin as a browser serializes it: lowercase scheme and host, no default port.
fn normalized_origin(url: &HttpUrl<'_>) -> String {
    let authority = url.authority.to_ascii_lowercase();
    let default = if url.scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default).unwrap_or(&authority);
    format!("{}://{authority}", url.scheme)
}

/// Checks one input; returns whether `HttpUrl` accepted it.
fn check(input: &str) -> bool {
    let Ok(ours) = HttpUrl::parse(input) else {
        return false;
    };
    let theirs = Url::parse(input)
        .unwrap_or_else(|e| panic!("HttpUrl accepts {input:?}, which url refuses: {e}"));
    assert_eq!(ours.scheme, theirs.scheme(), "{input:?}");
    assert!(
        theirs.username().is_empty() && theirs.password().is_none(),
        "{input:?}"
    );
    // The same host: a DNS name or IPv4 address as written (lowercased), an IPv6 address by
    // value.
    let host = ours.host.strip_suffix('.').unwrap_or(ours.host);
    match theirs.host() {
        Some(Host::Domain(domain)) => assert_eq!(
            domain.strip_suffix('.').unwrap_or(domain),
            host.to_ascii_lowercase(),
            "{input:?}"
        ),
        Some(Host::Ipv4(ip)) => assert_eq!(ip.to_string(), host, "{input:?}"),
        Some(Host::Ipv6(ip)) => {
            let inner = host.trim_start_matches('[').trim_end_matches(']');
            assert_eq!(Some(ip), inner.parse().ok(), "{input:?}");
        }
        None => panic!("{input:?}: url has no host"),
    }
    // The origin that goes into a CSP header: the same, and nothing in it can widen or end a
    // directive.
    let origin = theirs.origin().ascii_serialization();
    if !matches!(theirs.host(), Some(Host::Ipv6(_))) {
        assert_eq!(
            origin.trim_end_matches('.'),
            normalized_origin(&ours).trim_end_matches('.'),
            "{input:?}"
        );
    }
    assert!(
        !origin.contains([';', ',', '*', '\'', '"', ' ', '\t', '\n', '\\', '%']),
        "{input:?} -> {origin}"
    );
    // Plain http only on this machine.
    if ours.scheme == "http" {
        let loopback = match theirs.host() {
            Some(Host::Domain(d)) => d == "localhost",
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        assert!(loopback, "{input:?} is http to another host");
    }
    true
}

#[test]
fn every_combination_of_tricky_pieces() {
    let (mut total, mut accepted) = (0, 0);
    for scheme in SCHEMES {
        for userinfo in USERINFO {
            for host in HOSTS {
                for port in PORTS {
                    for rest in RESTS {
                        total += 1;
                        if check(&format!("{scheme}{userinfo}{host}{port}{rest}")) {
                            accepted += 1;
                        }
                    }
                }
            }
        }
    }
    // Neither vacuous nor lax: a good share passes, most does not.
    assert!(
        accepted > 200 && accepted < total / 4,
        "{accepted} of {total}"
    );
}

#[test]
fn pseudo_random_strings_after_the_scheme() {
    // A fixed LCG over bytes that matter to URL parsers.
    const BYTES: &[u8] = b"abcXYZ019-._~:/?#[]@!$&'()*+,;=% \\\t\"<>^`{|}\x7f";
    let mut seed: u32 = 0x5eed_1234;
    let mut accepted = 0;
    for round in 0..200_000u32 {
        let len = (round % 24) as usize + 1;
        let tail: String = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                char::from(BYTES[(seed >> 16) as usize % BYTES.len()])
            })
            .collect();
        let scheme = if round % 3 == 0 {
            "http://"
        } else {
            "https://"
        };
        if check(&format!("{scheme}{tail}")) {
            accepted += 1;
        }
    }
    assert!(accepted > 1_000, "{accepted}");
}
