//! Lenient scalar input: forms send everything as strings, JSON clients send numbers and
//! booleans, and some send booleans as `"true"`/`"false"`. These accept both.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, de};

/// A scalar that arrived as a string or as a JSON number.
pub(crate) enum StringOrNumber<'a> {
    Str(Cow<'a, str>),
    Num(String),
}

impl StringOrNumber<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Str(s) => s,
            Self::Num(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for StringOrNumber<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = StringOrNumber<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StringOrNumber::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOrNumber::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StringOrNumber::Str(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(StringOrNumber::Num(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(StringOrNumber::Num(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses the boolean spellings clients send: JSON booleans, and the strings
/// `true|false|1|0|yes|no|on|off` in any case.
pub fn parse_flexible_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// `#[serde(deserialize_with = "flexible_bool")]`, combined with `#[serde(default)]`.
pub fn flexible_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a boolean or \"true\"/\"false\"")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            match v {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(E::custom("expected a boolean")),
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            parse_flexible_bool(v).ok_or_else(|| E::custom("expected a boolean"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct B {
        #[serde(default, deserialize_with = "flexible_bool")]
        v: bool,
    }

    #[test]
    fn flexible_bool_table() {
        let cases = [
            (r#"{"v":true}"#, Some(true)),
            (r#"{"v":false}"#, Some(false)),
            (r#"{"v":"true"}"#, Some(true)),
            (r#"{"v":"FALSE"}"#, Some(false)),
            (r#"{"v":"1"}"#, Some(true)),
            (r#"{"v":0}"#, Some(false)),
            (r#"{"v":null}"#, Some(false)),
            (r#"{}"#, Some(false)),
            (r#"{"v":"maybe"}"#, None),
            (r#"{"v":7}"#, None),
        ];
        for (json, want) in cases {
            let got = serde_json::from_str::<B>(json).ok().map(|b| b.v);
            assert_eq!(got, want, "{json}");
        }
    }
}

/// A whole number as JSON Schema counts one: `403` and `403.0` alike (a client's JSON encoder
/// may write either); anything with a fraction, or out of `T`'s range, is refused.
pub fn integral<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Some(i),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
        _ => None,
    };
    whole
        .and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| de::Error::custom(format!("{n} is not a whole number in range")))
}

/// [`integral`] for an optional field (`null` or absent: `None`).
pub fn integral_opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    #[derive(Deserialize)]
    struct W<T: TryFrom<i64>>(#[serde(deserialize_with = "integral")] T);
    Ok(Option::<W<T>>::deserialize(d)?.map(|w| w.0))
}

#[cfg(test)]
mod integral_tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct B {
        #[serde(deserialize_with = "integral")]
        n: u32,
        #[serde(default, deserialize_with = "integral_opt")]
        o: Option<i64>,
    }

    #[test]
    fn whole_numbers_in_either_spelling() {
        let ok = |s: &str| serde_json::from_str::<B>(s).ok();
        assert_eq!(ok(r#"{"n":403}"#), Some(B { n: 403, o: None }));
        assert_eq!(ok(r#"{"n":403.0,"o":-5.0}"#), Some(B { n: 403, o: Some(-5) }));
        assert_eq!(ok(r#"{"n":1,"o":null}"#), Some(B { n: 1, o: None }));
        for bad in [r#"{"n":1.5}"#, r#"{"n":-1}"#, r#"{"n":4294967296}"#, r#"{"n":"3"}"#, r#"{"n":1e300}"#] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }
}
