//! Reading a JSON object member by member, for the documents the browser parses
//! (settings, discovery, JWKS, token response, JOSE header).
//!
//! These types are read through this rather than `#[derive(Deserialize)]`: every derived
//! deserializer is a few KB of wasm of its own, and the bundle has a size budget
//! (docs/performance.md). It keeps serde's rules where they matter: unknown members are
//! ignored, an optional member that is `null` is absent, and a member of the wrong type is
//! an error, which names the member. Of duplicate members the last one counts, which
//! RFC 7515 section 4 and RFC 7519 section 4 allow for JOSE (serde's derive refused them).

use serde_json::{Map, Value};
use std::borrow::Cow;

/// A JSON object: owned when parsed from text, borrowed when read out of a `Value`.
pub struct Object<'a>(Cow<'a, Map<String, Value>>);

impl Object<'static> {
    /// `text` as a JSON object; the error says what it is instead.
    pub fn parse(text: &str) -> Result<Self, String> {
        match serde_json::from_str(text) {
            Ok(Value::Object(members)) => Ok(Object(Cow::Owned(members))),
            Ok(_) => Err("it is JSON but not an object".into()),
            Err(e) => Err(format!("it is not JSON ({e})")),
        }
    }
}

impl<'a> Object<'a> {
    pub fn from_value(value: &'a Value) -> Option<Self> {
        value
            .as_object()
            .map(|members| Object(Cow::Borrowed(members)))
    }

    /// The members, copied only if borrowed.
    pub fn into_map(self) -> Map<String, Value> {
        self.0.into_owned()
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    /// A member that must be there (and not `null`).
    fn required(&self, name: &str) -> Result<&Value, String> {
        self.get(name).ok_or_else(|| format!("`{name}` is missing"))
    }

    pub fn string(&self, name: &str) -> Result<String, String> {
        text(name, self.required(name)?)
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<String>, String> {
        self.get(name).map(|value| text(name, value)).transpose()
    }

    pub fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>, String> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let strings = value.as_array().and_then(|items| {
            items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        });
        strings
            .map(Some)
            .ok_or_else(|| wrong_type(name, "an array of strings"))
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(wrong_type(name, "true or false")),
        }
    }

    pub fn u64(&self, name: &str) -> Result<u64, String> {
        self.required(name)?
            .as_u64()
            .ok_or_else(|| wrong_type(name, "a non-negative integer"))
    }

    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, String> {
        self.get(name)
            .map(|value| {
                value
                    .as_u64()
                    .ok_or_else(|| wrong_type(name, "a non-negative integer"))
            })
            .transpose()
    }

    pub fn object(&self, name: &str) -> Result<Object<'_>, String> {
        Object::from_value(self.required(name)?).ok_or_else(|| wrong_type(name, "an object"))
    }
}

/// A value this app writes to sessionStorage and reads back, in a JSON shape that does
/// not change between versions (a record written before an upgrade still reads).
pub trait Record: Sized {
    fn to_json(&self) -> Value;
    /// `None` when `value` is not such a record (older shape, tampering).
    fn from_json(value: &Value) -> Option<Self>;
}

/// `items` as a JSON array, for messages: `["code","id_token"]`. (Not `{:?}`: Debug
/// formatting of strings brings Unicode escaping tables into the bundle.)
pub fn list(items: &[String]) -> String {
    Value::from(items.to_vec()).to_string()
}

fn text(name: &str, value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| wrong_type(name, "a string"))
}

fn wrong_type(name: &str, expected: &str) -> String {
    format!("`{name}` must be {expected}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_names_the_wrong_one() {
        let doc = Object::parse(
            r#"{"s":"x","n":null,"a":["p","q"],"b":true,"i":5,"mixed":["p",1],"s":"last"}"#,
        )
        .unwrap();
        // The last of duplicate members counts.
        assert_eq!(doc.string("s").unwrap(), "last");
        assert_eq!(doc.opt_string("n").unwrap(), None);
        assert_eq!(doc.opt_string("absent").unwrap(), None);
        assert_eq!(doc.string("absent").unwrap_err(), "`absent` is missing");
        assert_eq!(doc.string("n").unwrap_err(), "`n` is missing");
        assert_eq!(doc.string("i").unwrap_err(), "`i` must be a string");
        assert_eq!(
            doc.opt_strings("a").unwrap(),
            Some(vec!["p".into(), "q".into()])
        );
        assert_eq!(
            doc.opt_strings("s").unwrap_err(),
            "`s` must be an array of strings"
        );
        assert_eq!(
            doc.opt_strings("mixed").unwrap_err(),
            "`mixed` must be an array of strings"
        );
        assert_eq!(doc.opt_bool("b").unwrap(), Some(true));
        assert_eq!(doc.opt_bool("s").unwrap_err(), "`s` must be true or false");
        assert_eq!(doc.u64("i").unwrap(), 5);
        assert_eq!(
            doc.u64("s").unwrap_err(),
            "`s` must be a non-negative integer"
        );
        assert_eq!(doc.object("a").err().unwrap(), "`a` must be an object");
    }

    #[test]
    fn only_an_object_is_a_document() {
        assert_eq!(
            Object::parse("[1]").err().unwrap(),
            "it is JSON but not an object"
        );
        assert!(Object::parse("{")
            .err()
            .unwrap()
            .starts_with("it is not JSON ("));
        assert!(Object::from_value(&Value::from("x")).is_none());
    }
}
