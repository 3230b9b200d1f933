//! Phone numbers (MSISDN) in E.164 form.
//!
//! Captive pages and operators type Indonesian numbers in every local habit (`08…`, `8…`, `62…`,
//! `+62…`, `0062…`); all of them must land on one stored form (`+62…`) so that one person is
//! one user row.

use serde::{Deserialize, Deserializer};

/// Indonesian country calling code.
const ID_CC: &str = "62";
/// Indonesian mobile national significant numbers: `8` then 8..=11 more digits.
const ID_NSN_LEN: std::ops::RangeInclusive<usize> = 9..=12;
/// E.164 allows at most 15 digits; fewer than 8 is never a reachable WhatsApp number.
const E164_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

#[derive(
    Clone, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
/// Stored as text (its canonical form); the conversions are in `db::types`.
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Msisdn(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsisdnError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number may contain only digits, spaces, '-', '.', '(', ')' and a leading '+'")]
    InvalidCharacters,
    #[error("Indonesian numbers must be mobile numbers starting with 08 and have 10 to 13 digits")]
    InvalidIndonesian,
    #[error("international numbers must have 8 to 15 digits and not start with 0 after the country code prefix")]
    InvalidInternational,
    #[error("write international numbers with a leading '+' or '00'")]
    AmbiguousPrefix,
}

impl Msisdn {
    pub fn parse(input: &str) -> Result<Self, MsisdnError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(MsisdnError::Empty);
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(MsisdnError::InvalidCharacters),
            }
        }
        if digits.is_empty() {
            return Err(MsisdnError::Empty);
        }
        let international = if plus {
            digits
        } else if let Some(intl) = digits.strip_prefix("00") {
            intl.to_owned()
        } else if let Some(national) = digits.strip_prefix('0') {
            format!("{ID_CC}{national}")
        } else if digits.starts_with(ID_CC) {
            digits
        } else if digits.starts_with('8') {
            format!("{ID_CC}{digits}")
        } else {
            return Err(MsisdnError::AmbiguousPrefix);
        };
        Self::from_international_digits(&international)
    }

    fn from_international_digits(digits: &str) -> Result<Self, MsisdnError> {
        if let Some(nsn) = digits.strip_prefix(ID_CC) {
            if !nsn.starts_with('8') || !ID_NSN_LEN.contains(&nsn.len()) {
                return Err(MsisdnError::InvalidIndonesian);
            }
        } else if digits.starts_with('0') || !E164_DIGITS.contains(&digits.len()) {
            return Err(MsisdnError::InvalidInternational);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The stored form, `+628…`.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// Digits without `+` (`628…`), what WhatsApp gateways take as the recipient.
    pub fn international_digits(&self) -> &str {
        &self.0[1..]
    }

    pub fn is_indonesian(&self) -> bool {
        self.international_digits().starts_with(ID_CC)
    }

    /// The local form used as the router-side user name: `08…` for Indonesian numbers, the
    /// international digits otherwise.
    pub fn local(&self) -> String {
        match self.international_digits().strip_prefix(ID_CC) {
            Some(nsn) => format!("0{nsn}"),
            None => self.international_digits().to_owned(),
        }
    }

    /// A form safe for logs: country code and last three digits only.
    pub fn masked(&self) -> String {
        let d = self.international_digits();
        let keep_head = if self.is_indonesian() { 2 } else { 1 };
        let tail = &d[d.len() - 3..];
        format!("+{}{}{}", &d[..keep_head], "*".repeat(d.len() - keep_head - 3), tail)
    }
}

impl<'de> Deserialize<'de> for Msisdn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = crate::domain::text::StringOrNumber::deserialize(d)?;
        Self::parse(raw.as_str()).map_err(serde::de::Error::custom)
    }
}

crate::domain::masked_text_type!(Msisdn, MsisdnError, as_e164);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_indonesian_form() {
        let cases = [
            "081234567890",
            "81234567890",
            "6281234567890",
            "+6281234567890",
            "006281234567890",
            " 0812-3456-7890 ",
            "+62 812 3456 7890",
            "(0812) 3456.7890",
        ];
        for input in cases {
            let m = Msisdn::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(m.as_e164(), "+6281234567890", "{input}");
            assert_eq!(m.local(), "081234567890", "{input}");
            assert_eq!(m.international_digits(), "6281234567890", "{input}");
        }
    }

    #[test]
    fn indonesian_length_bounds() {
        let cases = [
            ("0812345678", Some("+62812345678")),       // 10 digits local: shortest
            ("0812345678901", Some("+62812345678901")), // 13 digits local: longest
            ("081234567", None),                        // 9 digits: too short
            ("08123456789012", None),                   // 14 digits: too long
            ("0211234567", None),                       // Jakarta landline, not mobile
            ("+62211234567", None),
        ];
        for (input, want) in cases {
            let got = Msisdn::parse(input).ok().map(|m| m.as_e164().to_owned());
            assert_eq!(got.as_deref(), want, "{input}");
        }
    }

    #[test]
    fn other_e164_numbers() {
        let cases = [
            ("+6591234567", Some("+6591234567")),      // Singapore
            ("00601123456789", Some("+601123456789")), // Malaysia via 00
            ("+14155552671", Some("+14155552671")),    // US
            ("+1234567", None),                        // 7 digits
            ("+1234567890123456", None),               // 16 digits
            ("+0123456789", None),                     // country code cannot start with 0
            ("6591234567", None),                      // no + and not Indonesian: ambiguous
        ];
        for (input, want) in cases {
            let got = Msisdn::parse(input).ok().map(|m| m.as_e164().to_owned());
            assert_eq!(got.as_deref(), want, "{input}");
        }
    }

    #[test]
    fn rejects_garbage() {
        let cases = [
            ("", MsisdnError::Empty),
            ("   ", MsisdnError::Empty),
            ("+", MsisdnError::Empty),
            ("08123abc890", MsisdnError::InvalidCharacters),
            ("++6281234567890", MsisdnError::InvalidCharacters),
            ("0812345678+", MsisdnError::InvalidCharacters),
            ("٠٨١٢٣٤٥٦٧٨٩٠", MsisdnError::InvalidCharacters),
            ("1234567890", MsisdnError::AmbiguousPrefix),
        ];
        for (input, want) in cases {
            assert_eq!(Msisdn::parse(input).err(), Some(want), "{input:?}");
        }
    }

    #[test]
    fn display_and_debug_are_masked() {
        let m = Msisdn::parse("081234567890").unwrap();
        assert_eq!(m.to_string(), "+62********890");
        assert!(!format!("{m:?}").contains("1234567"));
        let sg = Msisdn::parse("+6591234567").unwrap();
        assert_eq!(sg.masked(), "+6******567");
        assert_eq!(sg.local(), "6591234567");
    }

    #[test]
    fn deserializes_from_string_or_number() {
        let a: Msisdn = serde_json::from_str("\"0812 3456 7890\"").unwrap();
        let b: Msisdn = serde_json::from_str("81234567890").unwrap();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<Msisdn>("\"x\"").is_err());
    }
}
