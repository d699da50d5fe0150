//! Integers in JSON bodies as JSON Schema counts them: `2020.0` is the integer 2020 (the
//! contract says `integer`, and clients that hold numbers as doubles send that), while serde
//! would refuse it.

use serde::{Deserialize, Deserializer};

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
