//! The form_post bridge (OAuth 2.0 Form Post Response Mode): the IdP's POST to /oidc/callback is answered with the callback page itself, the fields in a JSON data block, which the SPA reads like an implicit-flow fragment response.
//!
//! The fields (ID token, state, …) never reach a query string, a header, a log line or a
//! Referer: they travel in the body of a `no-store` page, the request log has the path only,
//! and every response carries `Referrer-Policy: no-referrer`. An earlier version answered
//! `303 Location: /oidc/callback#<fields>`, and a default nginx answers 502 for a `Location`
//! larger than its 4–8 KiB header buffer (an Entra ID token with many groups is 20 KB).
//!
//! CSRF: anyone can make a browser POST here, but the answer only reflects the request's
//! own fields into the page, which a plain link to `/oidc/callback#…` can do as well. The
//! SPA accepts a response only for the `state` of a login it started itself.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use url::form_urlencoded;

use crate::body::{is_media_type, read_limited};
use crate::error::FlowError;
use crate::AppState;

pub use sso_web::oidc::CALLBACK_PATH;
pub const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

pub async fn form_post(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let headers = request.headers().clone();
    match bridge(&state, request).await {
        Ok(form) => crate::static_files::form_post_page(&state, &headers, &form).await,
        Err(e) => e.into_response(),
    }
}

async fn bridge(state: &AppState, request: Request) -> Result<String, FlowError> {
    let (parts, body) = request.into_parts();
    if !is_media_type(&parts.headers, FORM_MEDIA_TYPE) {
        return Err(FlowError::UnsupportedMediaType {
            expected: FORM_MEDIA_TYPE,
        });
    }
    let bytes = read_limited(&parts.headers, body, state.limits.form_post_max_bytes).await?;
    let fields = parse_form(&bytes).map_err(FlowError::InvalidForm)?;
    Ok(encode(&fields))
}

/// The fields re-encoded as a form in their original order (what a fragment response would
/// carry); empty without fields (the SPA then says what is missing).
pub fn encode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// Decodes an `application/x-www-form-urlencoded` body strictly: a browser's
/// or IdP's form serializer escapes everything but `A-Za-z0-9*-._`, so a raw
/// space, control or non-ASCII byte, a `%` without two hex digits, or escapes
/// that decode to invalid UTF-8 mean this is not such a body. Empty
/// segments and fields with an empty name are dropped; a segment without `=`
/// is a name with an empty value (as URLSearchParams reads it).
///
/// The error says where, never what: the values are tokens.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut fields = Vec::new();
    for (index, segment) in body.split(|&b| b == b'&').enumerate() {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &b""[..]),
        };
        let field = index + 1;
        let name = decode(name).map_err(|why| format!("the name of field {field} {why}"))?;
        let value = decode(value).map_err(|why| format!("the value of field {field} {why}"))?;
        if !name.is_empty() {
            fields.push((name, value));
        }
    }
    Ok(fields)
}

fn decode(raw: &[u8]) -> Result<String, &'static str> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let (Some(hi), Some(lo)) = (
                    raw.get(i + 1).and_then(|&h| hex(h)),
                    raw.get(i + 2).and_then(|&l| hex(l)),
                ) else {
                    return Err("has a '%' that is not followed by two hex digits");
                };
                out.push(hi << 4 | lo);
                i += 2;
            }
            b if b.is_ascii_graphic() => out.push(b),
            _ => return Err("has a raw space, control or non-ASCII byte (it must be %-escaped)"),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "is not UTF-8 once decoded")
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn decodes_in_order_and_keeps_repeats() {
        assert_eq!(
            parse_form(b"id_token=a.b-c_d&state=s%20t+u&iss=https%3A%2F%2Fidp%2F&state=again")
                .expect("valid"),
            pairs(&[
                ("id_token", "a.b-c_d"),
                ("state", "s t u"),
                ("iss", "https://idp/"),
                ("state", "again"),
            ])
        );
    }

    #[test]
    fn empty_names_and_segments_are_dropped_bare_names_kept() {
        assert_eq!(
            parse_form(b"&=x&a=&&b&c=1=2&").expect("valid"),
            pairs(&[("a", ""), ("b", ""), ("c", "1=2")])
        );
        assert_eq!(parse_form(b"").expect("valid"), pairs(&[]));
    }

    #[test]
    fn utf8_escapes() {
        assert_eq!(
            parse_form(b"error_description=Zugriff%20verweigert%20%E2%80%93%20%C3%BC")
                .expect("valid"),
            pairs(&[("error_description", "Zugriff verweigert – ü")])
        );
    }

    #[test]
    fn malformed_bodies() {
        for (body, needle) in [
            (&b"a=%"[..], "field 1"),
            (b"a=1&b=%4", "field 2"),
            (b"a=%zz", "two hex digits"),
            (b"a=%+1", "two hex digits"),
            (b"a=b c", "raw space"),
            (b"a=\x01", "control"),
            (b"a=\xc3\xbc", "non-ASCII"),
            (b"a=%ff", "not UTF-8"),
            (b"%ff=1", "name of field 1"),
        ] {
            let err = parse_form(body).expect_err("malformed");
            assert!(err.contains(needle), "{body:?}: {err}");
        }
    }

    #[test]
    fn the_encoding_round_trips_through_a_form_parser() {
        let fields = pairs(&[
            ("id_token", "eyJ.eyJ.sig"),
            ("state", "a b+c/d?e#f&g=h"),
            ("session_state", "x~y"),
        ]);
        let form = encode(&fields);
        assert!(!form.contains(['#', '?', ' ', '<', '>', '"']), "{form}");
        let back: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(back, fields);
        assert_eq!(encode(&[]), "");
    }
}
