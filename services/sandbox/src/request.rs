//! Request-body validation the way Plaid does it: JSON object, known fields, required fields,
//! typed field access that names the offending field (`options.account_ids`).

use serde_json::{Map, Value};

use crate::endpoint::Endpoint;
use crate::error::ApiError;

/// A parsed request body (a JSON object).
#[derive(Debug)]
pub struct Body(Map<String, Value>);

/// A view on a JSON object with the dotted path used in error messages.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

impl Body {
    /// Parses the raw body; anything but a JSON object is `INVALID_BODY`.
    pub fn parse(bytes: &[u8]) -> Result<Body, ApiError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            _ => Err(ApiError::invalid_body()),
        }
    }

    /// Top-level fields.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            map: &self.0,
            prefix: "",
        }
    }

    /// Checks unknown fields (`UNKNOWN_FIELDS`) then missing required ones (`MISSING_FIELDS`;
    /// `null` counts as missing).
    pub fn check(&self, endpoint: Endpoint) -> Result<(), ApiError> {
        let unknown: Vec<String> = self
            .0
            .keys()
            .filter(|k| !endpoint.allows(k))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(ApiError::unknown_fields(&unknown));
        }
        let missing: Vec<String> = endpoint
            .required()
            .iter()
            .filter(|f| self.0.get(**f).is_none_or(Value::is_null))
            .map(|f| (*f).to_owned())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ApiError::missing_fields(&missing))
        }
    }

    /// A top-level string that is not validated as a field (credentials).
    pub fn raw_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
}

impl<'a> Fields<'a> {
    /// Full dotted name of a field.
    pub fn name(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        }
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn invalid(&self, field: &str, what: &str) -> ApiError {
        ApiError::invalid_field(format!("{} must be {what}", self.name(field)))
    }

    /// Fails with `MISSING_FIELDS` if `field` is absent or null.
    pub fn require(&self, field: &str) -> Result<&'a Value, ApiError> {
        self.get(field)
            .ok_or_else(|| ApiError::missing_fields(&[self.name(field)]))
    }

    /// An optional string.
    pub fn opt_str(&self, field: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.invalid(field, "a string")),
        }
    }

    /// A required string.
    pub fn str(&self, field: &str) -> Result<&'a str, ApiError> {
        self.require(field)?;
        self.opt_str(field)?
            .ok_or_else(|| ApiError::missing_fields(&[self.name(field)]))
    }

    /// A required non-empty string.
    pub fn non_empty_str(&self, field: &str) -> Result<&'a str, ApiError> {
        let s = self.str(field)?;
        if s.is_empty() {
            return Err(self.invalid(field, "a non-empty string"));
        }
        Ok(s)
    }

    /// An optional boolean.
    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(field, "a boolean")),
        }
    }

    /// An optional integer within `min..=max`.
    pub fn opt_int(&self, field: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(field) else {
            return Ok(None);
        };
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ if max == i64::MAX => Err(self.invalid(field, &format!("an integer >= {min}"))),
            _ => Err(self.invalid(field, &format!("an integer between {min} and {max}"))),
        }
    }

    /// An optional array of strings.
    pub fn opt_str_array(&self, field: &str) -> Result<Option<Vec<&'a str>>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| self.invalid(field, "an array of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.invalid(field, "an array of strings")),
        }
    }

    /// An optional object, whose fields must all be in `allowed` (`UNKNOWN_FIELDS` otherwise).
    pub fn opt_object(
        &self,
        field: &'a str,
        allowed: &[&str],
    ) -> Result<Option<Fields<'a>>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(map)) => {
                let unknown: Vec<String> = map
                    .keys()
                    .filter(|k| !allowed.contains(&k.as_str()))
                    .map(|k| format!("{}.{k}", self.name(field)))
                    .collect();
                if !unknown.is_empty() {
                    return Err(ApiError::unknown_fields(&unknown));
                }
                // Nested prefixes are only one level deep in the endpoints served here.
                let prefix: &'a str = if self.prefix.is_empty() {
                    field
                } else {
                    self.prefix
                };
                Ok(Some(Fields { map, prefix }))
            }
            Some(_) => Err(self.invalid(field, "an object")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> Body {
        Body::parse(s.as_bytes()).expect("valid body")
    }

    #[test]
    fn non_objects_are_invalid_body() {
        for raw in ["", "nope", "[1]", "3", "{"] {
            let e = Body::parse(raw.as_bytes()).expect_err("invalid");
            assert_eq!(e.error_code, "INVALID_BODY");
        }
    }

    #[test]
    fn unknown_then_missing() {
        let e = body(r#"{"foo":1}"#)
            .check(Endpoint::AuthGet)
            .expect_err("unknown");
        assert_eq!(e.error_code, "UNKNOWN_FIELDS");
        assert!(e.message.contains("foo"));
        let e = body(r#"{"access_token":null}"#)
            .check(Endpoint::AuthGet)
            .expect_err("missing");
        assert_eq!(e.error_code, "MISSING_FIELDS");
        assert!(e.message.contains("access_token"));
        assert!(
            body(r#"{"access_token":"x","secret":"s"}"#)
                .check(Endpoint::AuthGet)
                .is_ok()
        );
    }

    #[test]
    fn typed_access_names_the_field() {
        let b = body(r#"{"options":{"account_ids":[1]},"count":0,"flag":"x"}"#);
        let f = b.fields();
        let opts = f
            .opt_object("options", &["account_ids"])
            .expect("ok")
            .expect("some");
        let e = opts.opt_str_array("account_ids").expect_err("wrong type");
        assert!(
            e.message.starts_with("options.account_ids"),
            "{}",
            e.message
        );
        let e = f.opt_int("count", 1, 25).expect_err("range");
        assert_eq!(e.error_code, "INVALID_FIELD");
        assert!(e.message.contains("between 1 and 25"));
        assert!(f.opt_bool("flag").is_err());
        let e = f.opt_object("options", &[]).expect_err("unknown nested");
        assert_eq!(e.error_code, "UNKNOWN_FIELDS");
    }
}
