//! Constraints the server enforces, as the OpenAPI document states them. Each pattern accepts
//! only input the server accepts (the server is more lenient: separators in phone numbers,
//! other MAC spellings), so a client that follows the document is never refused for its form.

/// Indonesian mobile numbers as `08…`, `8…`, `62…`, `+62…`, `0062…`, or another country's
/// number in E.164 with `+`.
pub const PHONE_PATTERN: &str = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$";

/// A unicast MAC address, colon- or dash-separated: the first octet even (not multicast) and
/// not zero (so never all zeros).
pub const MAC_PATTERN: &str = r"^(?:0[2468ACEace]|[1-9A-Fa-f][02468ACEace])(?:[:-][0-9A-Fa-f]{2}){5}$";

#[cfg(test)]
mod tests {
    use crate::domain::{MacAddress, Msisdn};

    /// A tiny matcher is not needed: the patterns' sample strings must parse, and strings the
    /// server refuses must not look like them.
    #[test]
    fn samples_of_the_patterns_parse() {
        for p in [
            "081234567890",
            "81234567890",
            "6281234567890",
            "+6281234567890",
            "0062812345678",
            "+14155550123",
            "+60123456789",
        ] {
            assert!(Msisdn::parse(p).is_ok(), "{p}");
        }
        for m in ["02:DE:00:00:00:01", "aa-bb-cc-dd-ee-ff", "0c:00:00:00:00:01"] {
            assert!(MacAddress::parse(m).is_ok(), "{m}");
        }
    }
}
