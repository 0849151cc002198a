//! Request bodies of the public POST endpoints: the exact media type (RFC 9110 §8.3.1) and a read bounded before and while it happens; and the JSON object prologue the token relay and the admin settings share.

use std::collections::BTreeMap;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use futures_util::StreamExt as _;
use serde_json::{Map, Value};

use crate::error::FlowError;

/// Whether `Content-Type` is `expected` (case-insensitive), with at most a
/// `charset` parameter. Anything else, or no header at all, is not.
pub fn is_media_type(headers: &HeaderMap, expected: &str) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case(expected)
        && parts.all(|param| {
            let param = param.trim();
            param.is_empty()
                || param.split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("charset") && !value.trim().is_empty()
                })
        })
}

/// A refused body is read (and dropped) up to this much more, so the client finishes
/// sending and sees the 413 instead of a connection reset.
pub const DRAIN_LIMIT: usize = 1024 * 1024;
/// ... and for at most this long.
pub const DRAIN_FOR: Duration = Duration::from_secs(2);

/// The whole body, or 413 once a declared Content-Length or the bytes received pass
/// `limit`. Before the 413 the rest of the body is read and dropped, within DRAIN_LIMIT and
/// DRAIN_FOR: a server that answers and closes while the client still sends makes the
/// client's TCP stack see a reset, and the client never reads the 413.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, FlowError> {
    let too_large = || FlowError::PayloadTooLarge { limit };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_none_or(|len| len <= limit as u64) {
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = stream.next().await {
            // A body that breaks off (or outlasts SSO_BODY_TIMEOUT) is not read.
            let chunk = chunk.map_err(|_| too_large())?;
            if bytes.len() + chunk.len() > limit {
                over = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        if !over {
            return Ok(Bytes::from(bytes));
        }
    }
    let drain = async {
        let mut drained = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            drained += chunk.len();
            if drained > DRAIN_LIMIT {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_FOR, drain).await;
    Err(too_large())
}

/// Field name → what is wrong with it.
pub type Problems = BTreeMap<String, String>;

/// `body` as a JSON object, with an "unknown field" problem per key not in
/// `fields` (the map the caller goes on to add its own problems to). `Err` is
/// the message for the caller's `InvalidJson`: not JSON, or `not_object`.
pub fn json_object(
    body: &[u8],
    fields: &[&str],
    not_object: &str,
) -> Result<(Map<String, Value>, Problems), String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err(not_object.to_owned());
    };
    let errors = object
        .keys()
        .filter(|key| !fields.contains(&key.as_str()))
        .map(|key| {
            (
                key.clone(),
                format!("unknown field; known fields are {}", fields.join(", ")),
            )
        })
        .collect();
    Ok((object, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(content_type: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn media_types() {
        const FORM: &str = "application/x-www-form-urlencoded";
        for good in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-Urlencoded",
            "application/x-www-form-urlencoded; charset=UTF-8",
            "application/x-www-form-urlencoded;charset=utf-8;",
        ] {
            assert!(is_media_type(&with(Some(good)), FORM), "{good}");
        }
        for bad in [
            None,
            Some(""),
            Some("application/json"),
            Some("multipart/form-data; boundary=x"),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded-x"),
            Some("application/x-www-form-urlencoded; boundary=x"),
            Some("application/x-www-form-urlencoded; charset="),
        ] {
            assert!(!is_media_type(&with(bad), FORM), "{bad:?}");
        }
        assert!(is_media_type(
            &with(Some("application/json; charset=utf-8")),
            "application/json"
        ));
    }
}
