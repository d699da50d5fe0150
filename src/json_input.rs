//! JSON bodies read as the contract (JSON Schema) describes them, where serde's defaults
//! differ: `2020.0` is the integer 2020 (serde refuses it), and an object field must be an
//! object (serde also builds a struct from an array of its fields in order).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// A struct that must be given as a JSON object when present (absent: its default, with
/// `#[serde(default)]`); null is not an object either.
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    d: D,
) -> Result<T, D::Error> {
    match serde_json::Value::deserialize(d)? {
        v @ serde_json::Value::Object(_) => {
            serde_json::from_value(v).map_err(serde::de::Error::custom)
        }
        other => Err(serde::de::Error::custom(format!(
            "expected an object, got {}",
            match other {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Null => "null",
                _ => "a boolean",
            }
        ))),
    }
}

/// An optional `i32` given as an integer or an integral number (`2020`, `2020.0`).
pub fn opt_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    });
    whole
        .and_then(|i| i32::try_from(i).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a 32-bit integer")))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Y {
        #[serde(default, deserialize_with = "super::opt_i32")]
        y: Option<i32>,
    }

    fn y(json: &str) -> Result<Option<i32>, String> {
        serde_json::from_str::<Y>(json)
            .map(|v| v.y)
            .map_err(|e| e.to_string())
    }

    #[derive(serde::Deserialize, Default, Debug, PartialEq)]
    struct Inner {
        a: Option<i32>,
    }

    #[derive(serde::Deserialize)]
    struct Outer {
        #[serde(default, deserialize_with = "super::object")]
        inner: Inner,
    }

    #[test]
    fn objects_must_be_objects() {
        let read = |j: &str| serde_json::from_str::<Outer>(j).map(|o| o.inner);
        assert_eq!(read(r#"{"inner":{"a":1}}"#).unwrap(), Inner { a: Some(1) });
        assert!(read(r#"{"inner":null}"#).is_err());
        assert_eq!(read("{}").unwrap(), Inner::default());
        assert!(read(r#"{"inner":[1]}"#).is_err());
        assert!(read(r#"{"inner":[null, null]}"#).is_err());
    }

    #[test]
    fn integral_numbers_are_integers() {
        assert_eq!(y(r#"{"y":2020}"#), Ok(Some(2020)));
        assert_eq!(y(r#"{"y":2020.0}"#), Ok(Some(2020)));
        assert_eq!(y(r#"{"y":null}"#), Ok(None));
        assert_eq!(y("{}"), Ok(None));
        assert!(y(r#"{"y":2020.5}"#).is_err());
        assert!(y(r#"{"y":1e300}"#).is_err());
        assert!(y(r#"{"y":"2020"}"#).is_err());
        assert!(y(r#"{"y":99999999999}"#).is_err());
    }
}
