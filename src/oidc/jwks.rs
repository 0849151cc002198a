//! The provider's JSON Web Key Set (RFC 7517) and choosing the key for a token (Core 10.1).

use super::error::IdTokenError;
use super::error::OidcError;
use super::json::Object;
use super::jwt::Algorithm;
use serde_json::{json, Value};

/// A public signature key: the JWK members this client acts on (RFC 7517 4, RFC 7518 6).
#[derive(Debug, Clone, PartialEq)]
pub struct Jwk {
    pub kid: Option<String>,
    /// `use`: only absent or `sig` lets the key verify signatures.
    pub key_use: Option<String>,
    /// `key_ops`: when present, it must include `verify`.
    pub key_ops: Option<Vec<String>>,
    /// `alg`: when present, the token's algorithm must be exactly this.
    pub alg: Option<String>,
    pub params: KeyParams,
}

/// The key material, by `kty`. Symmetric (`oct`) and unknown types are never kept.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyParams {
    Rsa { n: String, e: String },
    Ec { crv: String, x: String, y: String },
    Okp { crv: String, x: String },
}

/// The members as they come; [`Jwk::from_raw`] decides what is usable. Read member by
/// member ([`Object`]): jsonwebtoken's nested JWK type (flatten + untagged enums) cost
/// ~30 KB of raw wasm, and even a flat derived deserializer is a few KB more.
struct RawJwk {
    kty: String,
    kid: Option<String>,
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

impl RawJwk {
    /// `None` for anything but an object whose members have their RFC 7517 types.
    fn read(key: &Value) -> Option<Self> {
        let key = Object::from_value(key)?;
        // Not used, but typed as RFC 7517 4.6-4.9 say: a key whose certificate members
        // are malformed is dropped, as it was under jsonwebtoken, never kept.
        key.opt_string("x5u").ok()?;
        key.opt_strings("x5c").ok()?;
        key.opt_string("x5t").ok()?;
        key.opt_string("x5t#S256").ok()?;
        Some(RawJwk {
            kty: key.string("kty").ok()?,
            kid: key.opt_string("kid").ok()?,
            key_use: key.opt_string("use").ok()?,
            key_ops: key.opt_strings("key_ops").ok()?,
            alg: key.opt_string("alg").ok()?,
            n: key.opt_string("n").ok()?,
            e: key.opt_string("e").ok()?,
            crv: key.opt_string("crv").ok()?,
            x: key.opt_string("x").ok()?,
            y: key.opt_string("y").ok()?,
        })
    }
}

/// The curves a JWK may name (RFC 7518 6.2.1.1, RFC 8037 2); a key on any other is
/// dropped, so its `kid` counts as unknown and triggers the rotation reload.
const KNOWN_CURVES: [&str; 4] = ["P-256", "P-384", "P-521", "Ed25519"];

impl Jwk {
    fn from_raw(raw: RawJwk) -> Option<Self> {
        let params = match raw.kty.as_str() {
            "RSA" => KeyParams::Rsa {
                n: raw.n?,
                e: raw.e?,
            },
            "EC" => KeyParams::Ec {
                crv: raw.crv?,
                x: raw.x?,
                y: raw.y?,
            },
            "OKP" => KeyParams::Okp {
                crv: raw.crv?,
                x: raw.x?,
            },
            _ => return None,
        };
        if let KeyParams::Ec { crv, .. } | KeyParams::Okp { crv, .. } = &params {
            if !KNOWN_CURVES.contains(&crv.as_str()) {
                return None;
            }
        }
        Some(Jwk {
            kid: raw.kid,
            key_use: raw.key_use,
            key_ops: raw.key_ops,
            alg: raw.alg,
            params,
        })
    }

    /// The public key alone, as a JWK (what a crypto library imports): no `alg`, `use` or
    /// `key_ops`, so a provider's optional members cannot make the import fail or widen
    /// what the key may do.
    pub fn public_jwk(&self) -> Value {
        match &self.params {
            KeyParams::Rsa { n, e } => json!({"kty": "RSA", "n": n, "e": e}),
            KeyParams::Ec { crv, x, y } => json!({"kty": "EC", "crv": crv, "x": x, "y": y}),
            KeyParams::Okp { crv, x } => json!({"kty": "OKP", "crv": crv, "x": x}),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// Only public signature key types (RSA, EC, OKP) are kept; an unknown `kty`, a
    /// symmetric key or an entry that does not parse is dropped, so one exotic key in a
    /// provider's set does not break every sign-in (and its `kid` counts as unknown,
    /// which triggers the rotation reload).
    pub fn parse(json: &str) -> Result<Self, OidcError> {
        let doc: Value = serde_json::from_str(json).map_err(|e| OidcError::JwksFailed {
            detail: format!("the JWKS is not JSON: {e}"),
        })?;
        let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
            return Err(OidcError::JwksFailed {
                detail: "the JWKS has no \"keys\" array".into(),
            });
        };
        let keys = keys
            .iter()
            .filter_map(RawJwk::read)
            .filter_map(Jwk::from_raw)
            .collect();
        Ok(Jwks { keys })
    }

    /// Picks the verification key: by `kid` when the header has one, otherwise the single
    /// key that suits `alg`. Several candidates and no `kid` is ambiguous and refused.
    pub fn select(&self, alg: Algorithm, kid: Option<&str>) -> Result<&Jwk, IdTokenError> {
        match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Err(IdTokenError::UnknownKey {
                        kid: Some(kid.to_string()),
                    });
                }
                named
                    .find(|k| suits(k, alg))
                    .ok_or_else(|| IdTokenError::KeyUnsuitable {
                        kid: kid.to_string(),
                        alg: alg.name().to_string(),
                    })
            }
            None => {
                let mut candidates = self.keys.iter().filter(|k| suits(k, alg));
                match (candidates.next(), candidates.next()) {
                    (Some(key), None) => Ok(key),
                    (None, _) => Err(IdTokenError::UnknownKey { kid: None }),
                    (Some(_), Some(_)) => Err(IdTokenError::AmbiguousKey),
                }
            }
        }
    }
}

/// A key suits an algorithm when its type and curve match, and its optional
/// `use`, `key_ops` and `alg` members do not forbid signature verification with it.
fn suits(key: &Jwk, alg: Algorithm) -> bool {
    let type_fits = match (&key.params, alg) {
        (
            KeyParams::Rsa { n, e },
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => rsa_modulus_bits(n) >= 2048 && rsa_exponent_ok(e),
        (KeyParams::Ec { crv, .. }, Algorithm::ES256) => crv == "P-256",
        (KeyParams::Ec { crv, .. }, Algorithm::ES384) => crv == "P-384",
        (KeyParams::Okp { crv, .. }, Algorithm::EdDSA) => crv == "Ed25519",
        _ => false,
    };
    let use_fits = key.key_use.as_deref().is_none_or(|u| u == "sig");
    let ops_fit = key
        .key_ops
        .as_ref()
        .is_none_or(|ops| ops.iter().any(|op| op == "verify"));
    let alg_fits = key.alg.as_deref().is_none_or(|a| a == alg.name());
    type_fits && use_fits && ops_fit && alg_fits
}

/// RFC 8017 3.1: the public exponent is odd and at least 3 (e = 1 would make every
/// "signature" its own message).
fn rsa_exponent_ok(e: &str) -> bool {
    let bytes = super::b64::decode(e).unwrap_or_default();
    let significant: Vec<u8> = bytes.into_iter().skip_while(|b| *b == 0).collect();
    match significant.as_slice() {
        [] => false,
        [only] => *only >= 3 && only % 2 == 1,
        [.., last] => last % 2 == 1,
    }
}

/// RFC 7518 3.3: RSA keys of 2048 bits or more MUST be used.
fn rsa_modulus_bits(n: &str) -> usize {
    let bytes = super::b64::decode(n).unwrap_or_default();
    let mut significant = bytes.iter().skip_while(|b| **b == 0);
    match significant.next() {
        Some(first) => significant.count() * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 2048-bit modulus (its value is irrelevant to selection).
    fn modulus() -> String {
        crate::oidc::b64::encode(&[0xc5; 256])
    }
    fn rsa(kid: &str) -> Value {
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": modulus(), "e": "AQAB"})
    }
    fn ec(kid: &str) -> Value {
        json!({"kty": "EC", "kid": kid, "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})
    }
    fn set(keys: Vec<Value>) -> Jwks {
        Jwks::parse(&json!({ "keys": keys }).to_string()).unwrap()
    }

    #[test]
    fn selects_by_kid() {
        let jwks = set(vec![rsa("a"), rsa("b")]);
        let key = jwks.select(Algorithm::RS256, Some("b")).unwrap();
        assert_eq!(key.kid.as_deref(), Some("b"));
    }

    #[test]
    fn unknown_kid_is_unknown_key() {
        let err = set(vec![rsa("a")])
            .select(Algorithm::RS256, Some("zzz"))
            .unwrap_err();
        assert_eq!(
            err,
            IdTokenError::UnknownKey {
                kid: Some("zzz".into())
            }
        );
        assert_eq!(err.code(), "unknown_key");
    }

    #[test]
    fn kid_naming_a_key_of_the_wrong_type_is_refused() {
        let err = set(vec![ec("a")])
            .select(Algorithm::RS256, Some("a"))
            .unwrap_err();
        assert_eq!(err.code(), "key_unsuitable");
        // A key pinned to RS256 must not verify a PS256 token.
        let err = set(vec![rsa("a")])
            .select(Algorithm::PS256, Some("a"))
            .unwrap_err();
        assert_eq!(err.code(), "key_unsuitable");
    }

    #[test]
    fn without_kid_a_single_suitable_key_is_used() {
        let jwks = set(vec![rsa("r"), ec("e")]);
        assert_eq!(
            jwks.select(Algorithm::ES256, None).unwrap().kid.as_deref(),
            Some("e")
        );
    }

    #[test]
    fn without_kid_several_suitable_keys_is_ambiguous() {
        let err = set(vec![rsa("a"), rsa("b")])
            .select(Algorithm::RS256, None)
            .unwrap_err();
        assert_eq!(err.code(), "ambiguous_key");
    }

    #[test]
    fn without_kid_and_no_suitable_key_is_unknown_key() {
        let err = set(vec![ec("e")])
            .select(Algorithm::RS256, None)
            .unwrap_err();
        assert_eq!(err.code(), "unknown_key");
    }

    #[test]
    fn rsa_keys_under_2048_bits_are_refused() {
        let mut short = rsa("a");
        short["n"] = crate::oidc::b64::encode(&[0xc5; 128]).into();
        let err = set(vec![short])
            .select(Algorithm::RS256, Some("a"))
            .unwrap_err();
        assert_eq!(err.code(), "key_unsuitable");
        // The exponent: odd and at least 3.
        for (kid, e) in [
            ("e1", "AQ"),
            ("e2", "Ag"),
            ("e0", "AA"),
            ("e-even", "AQAC"),
            ("e-bad", "*"),
        ] {
            let mut key = rsa(kid);
            key["e"] = e.into();
            assert_eq!(
                set(vec![key])
                    .select(Algorithm::RS256, Some(kid))
                    .unwrap_err()
                    .code(),
                "key_unsuitable",
                "{kid}"
            );
        }
        let mut three = rsa("e3");
        three["e"] = "Aw".into();
        assert!(set(vec![three])
            .select(Algorithm::RS256, Some("e3"))
            .is_ok());
        // Bits, not bytes: a 2047-bit modulus (top byte 0x7f) is too short.
        let mut bits_2047 = rsa("c");
        let mut bytes = vec![0x7f];
        bytes.extend([0xc5; 255]);
        bits_2047["n"] = crate::oidc::b64::encode(&bytes).into();
        assert_eq!(
            set(vec![bits_2047])
                .select(Algorithm::RS256, Some("c"))
                .unwrap_err()
                .code(),
            "key_unsuitable"
        );
        // Leading zero bytes do not count towards the size.
        let mut padded = rsa("b");
        let mut bytes = vec![0u8; 2];
        bytes.extend([0xc5; 254]);
        padded["n"] = crate::oidc::b64::encode(&bytes).into();
        assert!(set(vec![padded])
            .select(Algorithm::RS256, Some("b"))
            .is_err());
    }

    #[test]
    fn key_ops_without_verify_is_refused() {
        let mut key = rsa("a");
        key["key_ops"] = json!(["encrypt"]);
        let err = set(vec![key])
            .select(Algorithm::RS256, Some("a"))
            .unwrap_err();
        assert_eq!(err.code(), "key_unsuitable");
        let mut ok = rsa("b");
        ok["key_ops"] = json!(["verify"]);
        assert!(set(vec![ok]).select(Algorithm::RS256, Some("b")).is_ok());
    }

    #[test]
    fn without_kid_a_key_pinned_to_another_alg_is_not_a_candidate() {
        let mut pinned = rsa("a");
        pinned["alg"] = "PS256".into();
        let err = set(vec![pinned])
            .select(Algorithm::RS256, None)
            .unwrap_err();
        assert_eq!(err.code(), "unknown_key");
    }

    #[test]
    fn encryption_keys_are_never_used_for_signatures() {
        let mut key = rsa("a");
        key["use"] = "enc".into();
        let err = set(vec![key])
            .select(Algorithm::RS256, Some("a"))
            .unwrap_err();
        assert_eq!(err.code(), "key_unsuitable");
    }

    #[test]
    fn incomplete_keys_are_dropped_and_unsupported_curves_never_suit() {
        let mut no_y = ec("no-y");
        no_y.as_object_mut().unwrap().remove("y");
        let mut no_e = rsa("no-e");
        no_e.as_object_mut().unwrap().remove("e");
        let x25519 = json!({"kty": "OKP", "kid": "x", "crv": "X25519", "x": "AAAA"});
        let p521 = json!({"kty": "EC", "kid": "p", "crv": "P-521", "x": "AAAA", "y": "AAAA"});
        let mut bad_x5c = rsa("bad-x5c");
        bad_x5c["x5c"] = "MIIC-not-an-array".into();
        let mut good_x5c = rsa("good-x5c");
        good_x5c["x5c"] = json!(["MIIC"]);
        let jwks = set(vec![no_y, no_e, x25519, p521, bad_x5c, good_x5c]);
        let kids: Vec<_> = jwks.keys.iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, [Some("p"), Some("good-x5c")]);
        // A dropped key's kid is unknown, which makes the caller reload the JWKS.
        for (alg, kid) in [(Algorithm::EdDSA, "x"), (Algorithm::RS256, "bad-x5c")] {
            assert_eq!(
                jwks.select(alg, Some(kid)).unwrap_err().code(),
                "unknown_key",
                "{kid}"
            );
        }
        for alg in [Algorithm::ES256, Algorithm::ES384] {
            assert_eq!(
                jwks.select(alg, Some("p")).unwrap_err().code(),
                "key_unsuitable"
            );
        }
        assert_eq!(
            jwks.select(Algorithm::ES256, Some("no-y"))
                .unwrap_err()
                .code(),
            "unknown_key"
        );
    }

    #[test]
    fn the_public_jwk_carries_no_alg_use_or_key_ops() {
        let mut key = rsa("a");
        key["key_ops"] = json!(["verify"]);
        let jwks = set(vec![key]);
        assert_eq!(
            jwks.keys[0].public_jwk(),
            json!({"kty": "RSA", "n": modulus(), "e": "AQAB"})
        );
    }

    #[test]
    fn algorithm_names_are_exact() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
        }
        for name in ["rs256", "none", "HS256", "RS256 ", "ES512", ""] {
            assert_eq!(Algorithm::from_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn unrepresentable_keys_are_skipped_and_garbage_rejected() {
        let jwks = set(vec![
            json!("not a key"),
            json!({"kty": "RSA", "kid": 5}),
            json!({"kty": "RSA", "kid": "no-modulus"}),
            json!({"kty": "XYZ", "kid": "exotic"}),
            json!({"kty": "oct", "kid": "secret", "k": "c2VjcmV0"}),
            rsa("a"),
        ]);
        assert_eq!(jwks.keys.len(), 1);
        let err = jwks
            .select(Algorithm::RS256, Some("no-modulus"))
            .unwrap_err();
        assert_eq!(
            err.code(),
            "unknown_key",
            "a dropped key's kid triggers the rotation reload"
        );
        assert_eq!(Jwks::parse("[]").unwrap_err().code(), "jwks_failed");
        assert_eq!(Jwks::parse("nope").unwrap_err().code(), "jwks_failed");
    }
}
