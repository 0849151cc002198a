//! Builds the Content-Security-Policy (CSP Level 3) and hashes index.html's inline scripts so Trunk's boot script runs without 'unsafe-inline'.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// For responses that are not documents (JSON, JS, wasm, images): nothing
/// they could be rendered as may load or embed anything.
pub const NON_HTML_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy for the SPA's HTML. `connect` and `form_action` are origins
/// (`scheme://host[:port]`) that have already been validated.
pub fn html_policy(script_hashes: &[String], connect: &[String], form_action: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in script_hashes {
        push_source(&mut script_src, hash);
    }
    let mut connect_src = String::from("'self'");
    for origin in connect {
        push_source(&mut connect_src, origin);
    }
    let mut form_action_src = String::from("'self'");
    for origin in form_action {
        push_source(&mut form_action_src, origin);
    }
    format!(
        "default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src {connect_src}; form-action {form_action_src}; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'"
    )
}

/// The sources the admin document adds to `connect-src`.
///
/// No `http://[::1]:*`: CSP's host grammar has no IPv6 literals, and Chromium logs an
/// error for the source on every load (Lighthouse's best-practices audit fails on it).
pub const ADMIN_CONNECT_SOURCES: [&str; 3] = ["https:", "http://localhost:*", "http://127.0.0.1:*"];

/// `policy` with [`ADMIN_CONNECT_SOURCES`] appended to its `connect-src` directive.
pub fn widen_connect_for_admin(policy: &str) -> String {
    policy
        .split("; ")
        .map(|directive| match directive.strip_prefix("connect-src ") {
            Some(sources) => {
                let mut sources = sources.to_string();
                for source in ADMIN_CONNECT_SOURCES {
                    push_source(&mut sources, source);
                }
                format!("connect-src {sources}")
            }
            None => directive.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `policy` with `frame-ancestors 'self' <origins>` instead of `'none'`: for
/// the one document an IdP loads in an iframe (front-channel logout).
pub fn allow_framing_by(policy: &str, origins: &[String]) -> String {
    policy
        .split("; ")
        .map(|directive| {
            if directive.starts_with("frame-ancestors ") {
                let mut sources = String::from("'self'");
                for origin in origins {
                    push_source(&mut sources, origin);
                }
                format!("frame-ancestors {sources}")
            } else {
                directive.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn push_source(list: &mut String, source: &str) {
    if !list.split(' ').any(|s| s == source) {
        list.push(' ');
        list.push_str(source);
    }
}

/// `'sha256-…'` for a script's text as the browser sees it. The HTML parser
/// turns CRLF and lone CR into LF before the script text exists, so hashing
/// the file's raw bytes would not match an index.html saved with CRLF.
pub fn sha256_source(script_text: &[u8]) -> String {
    let mut normalized = Vec::with_capacity(script_text.len());
    let mut bytes = script_text.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' {
            if bytes.peek() == Some(&&b'\n') {
                bytes.next();
            }
            normalized.push(b'\n');
        } else {
            normalized.push(b);
        }
    }
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(&normalized)))
}

/// Hash sources for every `<script>` without a `src` attribute.
///
/// A small scanner rather than an HTML parser: it understands comments,
/// quoted attributes and the `</script` end rule, which covers what Trunk
/// writes. A script it misreads is simply blocked by the browser (and
/// reported in the console), never allowed by accident.
pub fn inline_script_hashes(html: &[u8]) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].iter().position(|&b| b == b'<') {
        let lt = i + offset;
        let rest = &html[lt..];
        if rest.starts_with(b"<!--") {
            match find(html, lt + 4, b"-->") {
                Some(end) => {
                    i = end + 3;
                    continue;
                }
                None => break,
            }
        }
        if !starts_with_ignore_case(rest, b"<script")
            || !matches!(rest.get(7), Some(b) if b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        {
            i = lt + 1;
            continue;
        }
        let Some((content_start, has_src)) = parse_start_tag(html, lt + 7) else {
            break;
        };
        let Some(content_end) = find_script_end(html, content_start) else {
            break;
        };
        if !has_src {
            let hash = sha256_source(&html[content_start..content_end]);
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
        i = content_end;
    }
    hashes
}

/// Reads attributes up to the closing `>`; returns the index just past it and
/// whether a `src` attribute was present.
fn parse_start_tag(html: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut has_src = false;
    loop {
        while html
            .get(i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
        {
            i += 1;
        }
        match html.get(i)? {
            b'>' => return Some((i + 1, has_src)),
            _ => {
                let name_start = i;
                while html
                    .get(i)
                    .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'/' | b'>' | b'='))
                {
                    i += 1;
                }
                if html[name_start..i].eq_ignore_ascii_case(b"src") {
                    has_src = true;
                }
                while html.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                if html.get(i) == Some(&b'=') {
                    i += 1;
                    while html.get(i).is_some_and(u8::is_ascii_whitespace) {
                        i += 1;
                    }
                    match html.get(i)? {
                        quote @ (b'"' | b'\'') => {
                            let close = html[i + 1..].iter().position(|b| b == quote)?;
                            i += close + 2;
                        }
                        _ => {
                            while html
                                .get(i)
                                .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                            {
                                i += 1;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Script text ends at `</script` followed by whitespace, `/` or `>`.
fn find_script_end(html: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let at = find(html, i, b"</")?;
        let tail = &html[at..];
        if starts_with_ignore_case(tail, b"</script")
            && matches!(tail.get(8), Some(b) if b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        {
            return Some(at);
        }
        i = at + 2;
    }
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack
        .get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_published_vector() {
        // The example from MDN's CSP script-src page, also checked with
        // `printf "alert('Hello, world.');" | openssl dgst -sha256 -binary | base64`.
        assert_eq!(
            sha256_source(b"alert('Hello, world.');"),
            "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
        );
    }

    #[test]
    fn finds_trunk_boot_script() {
        let script = "\nimport init, * as bindings from '/sso-web-3f2a9c1b0d4e5f67.js';\nconst wasm = await init({ module_or_path: '/sso-web-3f2a9c1b0d4e5f67_bg.wasm' });\nwindow.wasmBindings = bindings;\n";
        let html = format!(
            "<!DOCTYPE html><html><head>\
             <link rel=\"modulepreload\" href=\"/sso-web-3f2a9c1b0d4e5f67.js\">\
             <script type=\"module\">{script}</script></head><body></body></html>"
        );
        assert_eq!(
            inline_script_hashes(html.as_bytes()),
            [sha256_source(script.as_bytes())]
        );
    }

    #[test]
    fn skips_external_scripts_and_comments() {
        let html = br#"<script src="/a.js"></script>
            <SCRIPT SRC=/b.js defer></SCRIPT>
            <!-- <script>commented()</script> -->
            <scripts>not a script</scripts>
            <script data-x='a>b' type="module">one()</script>
            <script>two()</script >"#;
        assert_eq!(
            inline_script_hashes(html),
            [sha256_source(b"one()"), sha256_source(b"two()")]
        );
    }

    #[test]
    fn script_text_runs_to_the_real_end_tag() {
        let html = b"<script>if (a </b) { x = '</scriptx>'; }</script>";
        assert_eq!(
            inline_script_hashes(html),
            [sha256_source(b"if (a </b) { x = '</scriptx>'; }")]
        );
    }

    #[test]
    fn empty_and_duplicate_scripts() {
        let html = b"<script></script><script>x()</script><script>x()</script>";
        assert_eq!(
            inline_script_hashes(html),
            [sha256_source(b""), sha256_source(b"x()")]
        );
    }

    #[test]
    fn unterminated_script_is_ignored() {
        assert!(inline_script_hashes(b"<script>never_closed()").is_empty());
        assert!(inline_script_hashes(b"<script type=\"module\"").is_empty());
    }

    #[test]
    fn crlf_is_hashed_as_the_browser_sees_it() {
        assert_eq!(
            sha256_source(b"a();\r\nb();\rc();"),
            sha256_source(b"a();\nb();\nc();")
        );
    }

    #[test]
    fn policy_has_no_unsafe_sources_and_dedupes() {
        let policy = html_policy(
            &[sha256_source(b"x")],
            &[
                "https://idp.example.com".into(),
                "https://idp.example.com".into(),
            ],
            &["https://idp.example.com".into()],
        );
        assert_eq!(
            policy,
            format!(
                "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; \
                 img-src 'self' data:; connect-src 'self' https://idp.example.com; \
                 form-action 'self' https://idp.example.com; frame-ancestors 'none'; \
                 base-uri 'none'; object-src 'none'",
                sha256_source(b"x")
            )
        );
        assert!(!policy.contains("'unsafe-inline'"));
        assert!(!policy.contains("'unsafe-eval'"));
    }

    #[test]
    fn framing_changes_only_frame_ancestors() {
        let policy = html_policy(&[], &[], &[]);
        let framed = allow_framing_by(&policy, &["https://login.example.com".into()]);
        assert_eq!(
            framed,
            policy.replace(
                "frame-ancestors 'none'",
                "frame-ancestors 'self' https://login.example.com"
            )
        );
        assert_eq!(
            allow_framing_by(&policy, &[]),
            policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
        );
    }
}
