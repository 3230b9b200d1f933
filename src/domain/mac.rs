//! MAC addresses as the router prints them: upper-case, colon-separated.

use serde::{Deserialize, Deserializer};

#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
/// Stored as text (its canonical form); the conversions are in `db::types`.
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct MacAddress([u8; 6]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    #[error("MAC address is empty")]
    Empty,
    #[error("MAC address must be six hex octets like AA:BB:CC:DD:EE:FF")]
    Malformed,
    #[error("MAC address is all zeros, broadcast or multicast, not a device")]
    NotUnicast,
}

impl MacAddress {
    pub const fn from_octets(octets: [u8; 6]) -> Self {
        Self(octets)
    }

    /// Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-…`, `%3A`-encoded colons, Cisco `aabb.ccdd.eeff` and
    /// twelve bare hex digits; case does not matter.
    pub fn parse(input: &str) -> Result<Self, MacError> {
        // The form routers and our own tables use, without the allocations of the general path
        // (a sync cycle parses every device's MAC several times).
        if let Some(octets) = six_groups_fast(input.as_bytes()) {
            return Self::unicast(octets);
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(MacError::Empty);
        }
        let decoded = percent_decode_separators(trimmed);
        let hex: String = decoded.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
        let separators = decoded.len() - hex.len();
        // Either no separators, 2 (Cisco dotted) or 5; anything else is malformed (e.g. "A:B:…").
        let layout_ok = match separators {
            0 => true,
            2 => is_cisco(&decoded),
            5 => is_six_groups(&decoded),
            _ => false,
        };
        if !layout_ok || hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MacError::Malformed);
        }
        let mut octets = [0u8; 6];
        for (i, o) in octets.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).map_err(|_| MacError::Malformed)?;
        }
        Self::unicast(octets)
    }

    fn unicast(octets: [u8; 6]) -> Result<Self, MacError> {
        if octets == [0; 6] || octets[0] & 1 == 1 {
            return Err(MacError::NotUnicast);
        }
        Ok(Self(octets))
    }

    pub fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// The canonical text, `AA:BB:CC:DD:EE:FF`, for storage and the router.
    pub fn canonical(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(17);
        for (i, o) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push(char::from(HEX[usize::from(o >> 4)]));
            s.push(char::from(HEX[usize::from(o & 0x0f)]));
        }
        s
    }

    /// A form safe for logs: the vendor prefix only.
    pub fn masked(&self) -> String {
        let o = self.0;
        format!("{:02X}:{:02X}:{:02X}:**:**:**", o[0], o[1], o[2])
    }
}

/// `AA:BB:CC:DD:EE:FF` or `aa-bb-cc-dd-ee-ff` exactly (one separator throughout), else `None`.
fn six_groups_fast(b: &[u8]) -> Option<[u8; 6]> {
    if b.len() != 17 || !matches!(b[2], b':' | b'-') {
        return None;
    }
    let sep = b[2];
    let nibble = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut octets = [0u8; 6];
    for (i, o) in octets.iter_mut().enumerate() {
        let at = i * 3;
        if i > 0 && b[at - 1] != sep {
            return None;
        }
        *o = nibble(b[at])? << 4 | nibble(b[at + 1])?;
    }
    Some(octets)
}

fn percent_decode_separators(s: &str) -> String {
    s.replace("%3A", ":").replace("%3a", ":").replace("%2D", "-").replace("%2d", "-")
}

fn is_six_groups(s: &str) -> bool {
    let sep = if s.contains(':') { ':' } else { '-' };
    let groups: Vec<&str> = s.split(sep).collect();
    groups.len() == 6 && groups.iter().all(|g| g.len() == 2)
}

fn is_cisco(s: &str) -> bool {
    let groups: Vec<&str> = s.split('.').collect();
    groups.len() == 3 && groups.iter().all(|g| g.len() == 4)
}

impl<'de> Deserialize<'de> for MacAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<str>::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

crate::domain::masked_text_type!(MacAddress, MacError, canonical);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_spellings() {
        let cases = [
            "aa:bb:cc:dd:ee:f0",
            "AA:BB:CC:DD:EE:F0",
            "aA-bB-cC-dD-eE-f0",
            "aa%3Abb%3Acc%3Add%3Aee%3Af0",
            "aa%3abb%3acc%3add%3aee%3af0",
            "aabb.ccdd.eef0",
            "AABBCCDDEEF0",
            "  aa:bb:cc:dd:ee:f0\n",
        ];
        for input in cases {
            let mac = MacAddress::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(mac.canonical(), "AA:BB:CC:DD:EE:F0", "{input}");
        }
    }

    #[test]
    fn rejected_spellings() {
        let cases = [
            ("", MacError::Empty),
            ("aa:bb:cc:dd:ee", MacError::Malformed),
            ("aa:bb:cc:dd:ee:f0:11", MacError::Malformed),
            ("aa:bb:cc:dd:ee:gg", MacError::Malformed),
            ("a:bb:cc:dd:ee:f00", MacError::Malformed),
            ("aa:bb-cc:dd-ee:f0", MacError::Malformed),
            ("aabbccddeef", MacError::Malformed),
            ("aabb.ccdd.ee.f0", MacError::Malformed),
            ("00:00:00:00:00:00", MacError::NotUnicast),
            ("FF:FF:FF:FF:FF:FF", MacError::NotUnicast),
            ("01:00:5E:00:00:FB", MacError::NotUnicast),
            ("ää:bb:cc:dd:ee:f0", MacError::Malformed),
            ("aa-bb-cc-dd-ee:f0", MacError::Malformed),
            ("aa:bb:cc:dd:ee:+f", MacError::Malformed),
            ("aa:bb:cc:dd:ee f0", MacError::Malformed),
            ("aa.bb.cc.dd.ee.f0", MacError::Malformed),
            ("01-00-5E-00-00-FB", MacError::NotUnicast),
        ];
        for (input, want) in cases {
            assert_eq!(MacAddress::parse(input).err(), Some(want), "{input:?}");
        }
    }

    #[test]
    fn locally_administered_randomized_macs_are_devices() {
        // Phones randomize MACs per network; those have the locally-administered bit set.
        assert!(MacAddress::parse("DA:A1:19:00:11:22").is_ok());
    }

    #[test]
    fn masked_forms_hide_the_device_part() {
        let mac = MacAddress::parse("aa:bb:cc:dd:ee:f0").unwrap();
        assert_eq!(mac.to_string(), "AA:BB:CC:**:**:**");
        assert!(!format!("{mac:?}").contains("DD"));
        assert_eq!(serde_json::to_string(&mac).unwrap(), "\"AA:BB:CC:DD:EE:F0\"");
    }
}
