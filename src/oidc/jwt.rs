//! Splitting and decoding a compact JWS (RFC 7515 section 7.1) without trusting any of it.

use super::b64;
use super::error::IdTokenError;
use super::json::{Object, Record};
use serde_json::{Map, Value};

/// The JWS algorithms this client verifies (RFC 7518 3.1; EdDSA, RFC 8037). Anything
/// else, `none` and the HMAC family included, is refused before a key is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl Algorithm {
    pub const ALL: [Algorithm; 9] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The `alg` value, exactly as JWA spells it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The hash that `at_hash`/`c_hash` use with this algorithm (Core 3.1.3.6): the
    /// JWS algorithm's own hash, and SHA-512 for Ed25519 (EdDSA has no hash parameter).
    pub fn hash(self) -> Hash {
        match self {
            Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => Hash::Sha384,
            Algorithm::RS512 | Algorithm::PS512 | Algorithm::EdDSA => Hash::Sha512,
            Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 => Hash::Sha256,
        }
    }

    /// Case-sensitive, as `alg` values are (RFC 7515 4.1.1).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }
}

/// A SHA-2 hash, named as WebCrypto's `digest` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

/// The JOSE header fields we act on. `alg` stays a string so that `none` and
/// unknown values reach the allow-list and get a precise error, not a parse failure.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct JoseHeader {
    pub alg: String,
    #[cfg_attr(test, serde(default, skip_serializing_if = "Option::is_none"))]
    pub kid: Option<String>,
    #[cfg_attr(test, serde(default, skip_serializing_if = "Option::is_none"))]
    pub typ: Option<String>,
    #[cfg_attr(test, serde(default, skip_serializing_if = "Option::is_none"))]
    pub crit: Option<Vec<String>>,
}

impl Record for JoseHeader {
    fn to_json(&self) -> Value {
        let mut members = Map::new();
        members.insert("alg".into(), self.alg.clone().into());
        for (name, value) in [("kid", &self.kid), ("typ", &self.typ)] {
            if let Some(value) = value {
                members.insert(name.into(), value.clone().into());
            }
        }
        if let Some(crit) = &self.crit {
            members.insert("crit".into(), crit.clone().into());
        }
        Value::Object(members)
    }

    fn from_json(value: &Value) -> Option<Self> {
        Self::from_object(&Object::from_value(value)?).ok()
    }
}

impl JoseHeader {
    fn read(json: &str) -> Result<Self, String> {
        Self::from_object(&Object::parse(json)?)
    }

    fn from_object(doc: &Object) -> Result<Self, String> {
        Ok(JoseHeader {
            alg: doc.string("alg")?,
            kid: doc.opt_string("kid")?,
            typ: doc.opt_string("typ")?,
            crit: doc.opt_strings("crit")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt<'a> {
    pub header: JoseHeader,
    pub claims: Map<String, Value>,
    /// `base64url(header) "." base64url(payload)`, the bytes the signature covers.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

pub fn decode(raw: &str) -> Result<DecodedJwt<'_>, IdTokenError> {
    let parts: Vec<&str> = raw.split('.').collect();
    match parts.len() {
        3 => {}
        5 => {
            return Err(malformed(
                "it is encrypted (JWE), which this client does not support",
            ))
        }
        n => return Err(malformed(&format!("it has {n} parts instead of 3"))),
    }
    let header_bytes =
        b64::decode(parts[0]).ok_or_else(|| malformed("the header is not base64url"))?;
    // JSON text is UTF-8 (RFC 8259 8.1). Parsing from `&str` rather than bytes also keeps
    // the bundle to one instance of serde_json's parser (every other caller has text).
    let header =
        std::str::from_utf8(&header_bytes).map_err(|_| malformed("the header is not UTF-8"))?;
    let header = JoseHeader::read(header)
        .map_err(|e| malformed(&format!("the header is not a JOSE header: {e}")))?;
    let payload = b64::decode(parts[1]).ok_or_else(|| malformed("the payload is not base64url"))?;
    let payload =
        std::str::from_utf8(&payload).map_err(|_| malformed("the payload is not UTF-8"))?;
    // Through `Value`, whose parser the bundle has anyway, not `Map`'s own.
    let claims = Object::parse(payload)
        .map_err(|e| malformed(&format!("the payload is not a JSON object: {e}")))?
        .into_map();
    let signature =
        b64::decode(parts[2]).ok_or_else(|| malformed("the signature is not base64url"))?;
    let signing_input = &raw[..parts[0].len() + 1 + parts[1].len()];
    Ok(DecodedJwt {
        header,
        claims,
        signing_input,
        signature,
    })
}

fn malformed(why: &str) -> IdTokenError {
    IdTokenError::Malformed {
        detail: format!("The ID token cannot be decoded: {why}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(json: &str) -> String {
        b64::encode(json.as_bytes())
    }

    #[test]
    fn decodes_header_claims_and_signing_input() {
        let raw = format!(
            "{}.{}.{}",
            part(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#),
            part(r#"{"sub":"alice"}"#),
            b64::encode(b"sig")
        );
        let jwt = decode(&raw).unwrap();
        assert_eq!(jwt.header.alg, "RS256");
        assert_eq!(jwt.header.kid.as_deref(), Some("k1"));
        assert_eq!(jwt.claims["sub"], "alice");
        assert_eq!(jwt.signature, b"sig");
        assert_eq!(jwt.signing_input, raw.rsplit_once('.').unwrap().0);
    }

    #[test]
    fn rejects_each_malformation_as_malformed_token() {
        let good_header = part(r#"{"alg":"RS256"}"#);
        let good_claims = part(r#"{"sub":"a"}"#);
        let cases = [
            "onlyone".to_string(),
            format!("{good_header}.{good_claims}"),
            format!("{good_header}.{good_claims}.sig.extra"),
            "a.b.c.d.e".to_string(),
            format!("!!!.{good_claims}.sig"),
            format!("{}.{good_claims}.sig", part("[1]")),
            format!("{}.{good_claims}.sig", part(r#"{"kid":"no-alg"}"#)),
            format!("{good_header}.{}.sig", part("\"string\"")),
            format!("{good_header}.{good_claims}.s+g="),
        ];
        for raw in cases {
            let err = decode(&raw).unwrap_err();
            assert_eq!(err.code(), "malformed_token", "{raw}");
        }
    }

    #[test]
    fn a_header_round_trips_in_serdes_shape() {
        let full = JoseHeader {
            alg: "ES256".into(),
            kid: Some("k1".into()),
            typ: Some("JWT".into()),
            crit: Some(vec!["b64".into()]),
        };
        let bare = JoseHeader {
            alg: "RS256".into(),
            kid: None,
            typ: None,
            crit: None,
        };
        for header in [full, bare] {
            assert_eq!(header.to_json(), serde_json::to_value(&header).unwrap());
            assert_eq!(
                JoseHeader::from_json(&header.to_json()),
                Some(header.clone())
            );
        }
        assert_eq!(
            JoseHeader::from_json(&serde_json::json!({"kid": "k"})),
            None
        );
    }

    #[test]
    fn a_header_member_of_the_wrong_type_is_named() {
        for (header, message) in [
            (r#"{"alg":5}"#, "`alg` must be a string"),
            (
                r#"{"alg":"RS256","crit":"exp"}"#,
                "`crit` must be an array of strings",
            ),
            (r#"{"alg":"RS256","kid":1}"#, "`kid` must be a string"),
        ] {
            let err =
                decode(&format!("{}.{}.sig", part(header), part(r#"{"sub":"a"}"#))).unwrap_err();
            assert_eq!(err.code(), "malformed_token");
            assert!(err.detail().contains(message), "{}", err.detail());
        }
    }

    #[test]
    fn json_that_is_not_utf8_is_malformed() {
        // `{"alg":"\xff"}` and `{"sub":"\xff"}`: valid base64url, invalid UTF-8.
        let header = b64::encode(b"{\"alg\":\"\xff\"}");
        let claims = b64::encode(b"{\"sub\":\"\xff\"}");
        let good_header = part(r#"{"alg":"RS256"}"#);
        let good_claims = part(r#"{"sub":"a"}"#);
        for (raw, why) in [
            (
                format!("{header}.{good_claims}.sig"),
                "the header is not UTF-8",
            ),
            (
                format!("{good_header}.{claims}.sig"),
                "the payload is not UTF-8",
            ),
        ] {
            let err = decode(&raw).unwrap_err();
            assert_eq!(err.code(), "malformed_token");
            assert!(err.detail().contains(why), "{}", err.detail());
        }
    }
}
