//! JSON bodies read as the contract (JSON Schema) describes them, where serde's defaults
//! differ: `2020.0` is the integer 2020 (serde refuses it), and an object field must be an
//! object (serde also builds a struct from an array of its fields in order).

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde::{Deserialize, Deserializer};

/// Where a body holds a NUL character (in a string or a member name), as a dotted path
/// (`items.nameLast`, `records.2.ssn`): no item's value holds one, and PostgreSQL refuses it in
/// text, so it is refused (422) before any handler runs, the same on both backends.
pub fn nul_at(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    fn walk(v: &Value, path: &mut Vec<String>) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                path.push(i.to_string());
                let found = walk(item, path);
                if !found {
                    path.pop();
                }
                found
            }),
            Value::Object(members) => members.iter().any(|(name, member)| {
                path.push(name.replace('\0', "\\u0000"));
                let found = name.contains('\0') || walk(member, path);
                if !found {
                    path.pop();
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = Vec::new();
    walk(value, &mut path).then(|| {
        if path.is_empty() {
            "body".to_string()
        } else {
            path.join(".")
        }
    })
}

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

/// What a struct given as an array says (mapped to 422 by the API).
pub const NOT_AN_OBJECT: &str = "a JSON object (not an array)";

/// Reads `T` from a JSON value as the contract describes it: wherever `T` (or anything inside
/// it) is a struct, the value must be an object. serde's derive also accepts an array of the
/// fields in order, which the contract does not allow.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, serde_json::Error> {
    T::deserialize(Strict(value))
}

/// A deserializer that hands every visitor on wrapped, so the rule reaches nested values.
struct Strict<D>(D);

/// A visitor that refuses a sequence where a struct is read (`object_only`), and wraps what it
/// passes on.
struct Wrap<V> {
    v: V,
    object_only: bool,
}

fn wrap<V>(v: V) -> Wrap<V> {
    Wrap {
        v,
        object_only: false,
    }
}

macro_rules! forward_deserialize {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
                self.0.$method(wrap(v))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, wrap(v))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, wrap(v))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, wrap(v))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple_struct(name, len, wrap(v))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_struct(
            name,
            fields,
            Wrap {
                v,
                object_only: true,
            },
        )
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, wrap(v))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident: $t:ty),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, x: $t) -> Result<V::Value, E> {
                self.v.$method(x)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.v.expecting(f)
    }

    forward_visit!(
        visit_bool: bool,
        visit_i8: i8,
        visit_i16: i16,
        visit_i32: i32,
        visit_i64: i64,
        visit_i128: i128,
        visit_u8: u8,
        visit_u16: u16,
        visit_u32: u32,
        visit_u64: u64,
        visit_u128: u128,
        visit_f32: f32,
        visit_f64: f64,
        visit_char: char,
        visit_str: &str,
        visit_borrowed_str: &'de str,
        visit_string: String,
        visit_bytes: &[u8],
        visit_borrowed_bytes: &'de [u8],
        visit_byte_buf: Vec<u8>,
    );

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.v.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.v.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.v.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.v.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.object_only {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &NOT_AN_OBJECT));
        }
        self.v.visit_seq(StrictAccess(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.v.visit_map(StrictAccess(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.v.visit_enum(StrictAccess(data))
    }
}

/// Sequence, map, enum and variant access passing every value through [`Strict`].
struct StrictAccess<A>(A);

/// A seed deserializing through [`Strict`].
struct StrictSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for StrictSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for StrictAccess<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(StrictSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StrictAccess<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(StrictSeed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(StrictSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for StrictAccess<A> {
    type Error = A::Error;
    type Variant = StrictAccess<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(StrictSeed(seed))?;
        Ok((value, StrictAccess(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for StrictAccess<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(StrictSeed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, wrap(v))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(
            fields,
            Wrap {
                v,
                object_only: true,
            },
        )
    }
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

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Body {
        patient: Inner,
        list: Option<Vec<Inner>>,
        tagged: Option<Tagged>,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Tagged {
        Unit,
        Shape { a: i32 },
    }

    #[test]
    fn structs_are_read_from_objects_only() {
        let read = |j: &str| super::from_value::<Body>(serde_json::from_str(j).unwrap());
        assert!(read(r#"{"patient":{"a":1},"list":[{"a":2}],"tagged":"unit"}"#).is_ok());
        assert!(read(r#"{"patient":{},"tagged":{"shape":{"a":3}}}"#).is_ok());
        // serde alone accepts each of these: a struct given as an array of its fields.
        for bad in [
            r#"[{"a":1}, null, null]"#,
            r#"{"patient":[1]}"#,
            r#"{"patient":[{"items":{}}]}"#,
            r#"{"patient":{},"list":[[2]]}"#,
        ] {
            let e = read(bad).unwrap_err().to_string();
            assert!(e.contains(super::NOT_AN_OBJECT), "{bad}: {e}");
        }
        // serde_json's own value reader already refuses a struct variant given as an array.
        assert!(read(r#"{"patient":{},"tagged":{"shape":[3]}}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"patient":[1]}"#).is_ok());
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
