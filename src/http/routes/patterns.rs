//! Constraints the server enforces, as the OpenAPI document states them. Each pattern accepts
//! only input the server accepts (the server is more lenient: separators in phone numbers,
//! other MAC spellings), so a client that follows the document is never refused for its form.

/// Indonesian mobile numbers as `08…`, `8…`, `62…`, `+62…`, `0062…`, or another country's
/// number in E.164 with `+`.
pub const PHONE_PATTERN: &str = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$";

/// A unicast IPv4 address (first octet 1 to 223: not 0.x, multicast or reserved).
pub const IP_PATTERN: &str =
    r"^(?:[1-9]|[1-9][0-9]|1[0-9]{2}|2[01][0-9]|22[0-3])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$";

/// A unicast MAC address, colon- or dash-separated: the first octet even (not multicast) and
/// not zero (so never all zeros).
pub const MAC_PATTERN: &str =
    r"^(?:0[2468ACEace]|[1-9A-Fa-f][02468ACEace])(?:(?::[0-9A-Fa-f]{2}){5}|(?:-[0-9A-Fa-f]{2}){5})$";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientIp, MacAddress, Msisdn};

    /// Whatever a pattern admits, the parser accepts (the document never promises more than the
    /// server takes); the listed refusals are outside the patterns.
    #[test]
    fn what_the_patterns_admit_parses() {
        type Case = (&'static str, &'static [&'static str], fn(&str) -> bool);
        let cases: &[Case] = &[
            (
                PHONE_PATTERN,
                &[
                    "081234567890",
                    "81234567890",
                    "6281234567890",
                    "+6281234567890",
                    "0062812345678",
                    "+14155550123",
                    "+60123456789",
                    "+628123456789012",
                    "08123456789012",
                    "+6221234567",
                    "0212345678",
                    "+0123",
                    "12345678",
                    "+62812",
                    "628",
                ],
                |s| Msisdn::parse(s).is_ok(),
            ),
            (
                MAC_PATTERN,
                &[
                    "02:DE:00:00:00:01",
                    "aa-bb-cc-dd-ee-f0",
                    "0c:00:00:00:00:01",
                    "00:00:00:00:00:00",
                    "01:00:5e:00:00:01",
                    "ff:ff:ff:ff:ff:ff",
                    "aa:bb-cc:dd:ee:f0",
                    "aabbccddeef0",
                ],
                |s| MacAddress::parse(s).is_ok(),
            ),
            (
                IP_PATTERN,
                &[
                    "10.5.50.11",
                    "1.2.3.4",
                    "223.255.255.254",
                    "0.0.0.0",
                    "224.0.0.1",
                    "255.255.255.255",
                    "10.5.50.256",
                    "10.5.50",
                ],
                |s| ClientIp::parse(s).is_ok(),
            ),
        ];
        for (pattern, samples, parses) in cases {
            let re = regex::Regex::new(pattern).expect("pattern");
            let mut admitted = 0;
            for s in *samples {
                if re.is_match(s) {
                    admitted += 1;
                    assert!(parses(s), "{s} matches {pattern} but does not parse");
                }
            }
            assert!(admitted >= 3, "{pattern}: too few samples admitted");
        }
    }
}
