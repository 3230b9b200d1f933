//! One-time codes as typed by users: six digits, from a string or a JSON number.

use serde::{Deserialize, Deserializer};

#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())).then(|| OtpCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Never printed: a code in a log is a code given away.
impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

impl<'de> Deserialize<'de> for OtpCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = crate::domain::text::StringOrNumber::deserialize(d)?;
        let text = match &raw {
            // A JSON number loses leading zeros: 1234 is "001234".
            crate::domain::text::StringOrNumber::Num(n) => match n.parse::<u32>() {
                Ok(v) if v < 1_000_000 => format!("{v:06}"),
                _ => return Err(serde::de::Error::custom("the code must be 6 digits")),
            },
            crate::domain::text::StringOrNumber::Str(s) => s.to_string(),
        };
        OtpCode::parse(&text).ok_or_else(|| serde::de::Error::custom("the code must be 6 digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_from_strings_and_numbers() {
        let cases: &[(&str, Option<&str>)] = &[
            ("\"123456\"", Some("123456")),
            ("\" 012345 \"", Some("012345")),
            ("1234", Some("001234")),
            ("999999", Some("999999")),
            ("1000000", None),
            ("\"12345\"", None),
            ("\"12345a\"", None),
            ("-1", None),
            ("true", None),
        ];
        for (json, want) in cases {
            let got = serde_json::from_str::<OtpCode>(json).ok();
            assert_eq!(got.as_ref().map(OtpCode::as_str), *want, "{json}");
        }
    }
}
