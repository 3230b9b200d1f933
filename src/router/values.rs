//! RouterOS value formats: durations (`1w2d3h4m5s`, `01:22:53`), booleans, 64-bit counters.

/// Parses a RouterOS duration into whole seconds (sub-second parts are dropped).
pub fn parse_duration_secs(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    // Very old versions print hh:mm:ss, optionally with a day prefix "1d01:22:53".
    if s.contains(':') {
        let (days, clock) = match s.split_once('d') {
            Some((d, rest)) => (d.parse::<u64>().ok()?, rest),
            None => (0, s),
        };
        let parts: Vec<&str> = clock.split(':').collect();
        if parts.len() != 3 {
            return None;
        }
        let h: u64 = parts[0].parse().ok()?;
        let m: u64 = parts[1].parse().ok()?;
        let sec: u64 = parts[2].split('.').next()?.parse().ok()?;
        return Some(days * 86_400 + h * 3_600 + m * 60 + sec);
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'w' => 604_800,
            'd' => 86_400,
            'h' => 3_600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0
            }
            'm' => 60,
            's' => 1,
            'u' if chars.peek() == Some(&'s') => {
                chars.next();
                0
            }
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
    }
    if !num.is_empty() {
        // A bare number is seconds.
        total = total.checked_add(num.parse::<u64>().ok()?)?;
        any = true;
    }
    any.then_some(total)
}

/// Formats seconds the way RouterOS 7 prints them: `1w2d3h4m5s`, zero units omitted, `0s`.
pub fn format_duration(mut secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(604_800, 'w'), (86_400, 'd'), (3_600, 'h'), (60, 'm'), (1, 's')] {
        let n = secs / unit;
        if n > 0 {
            out.push_str(&n.to_string());
            out.push(name);
            secs %= unit;
        }
    }
    out
}

/// `true|yes` / `false|no` as RouterOS accepts them.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases = [
            ("0s", Some(0)),
            ("30m", Some(1_800)),
            ("4d15h20m38s", Some(4 * 86_400 + 15 * 3_600 + 20 * 60 + 38)),
            ("1w2d3h4m5s", Some(604_800 + 2 * 86_400 + 3 * 3_600 + 4 * 60 + 5)),
            ("12m4s", Some(724)),
            ("1s500ms", Some(1)),
            ("250ms", Some(0)),
            ("10us", Some(0)),
            ("01:22:53", Some(3_600 + 22 * 60 + 53)),
            ("2d01:00:00", Some(2 * 86_400 + 3_600)),
            ("90", Some(90)),
            ("", None),
            ("never", None),
            ("5x", None),
            ("1:2", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration_secs(s), want, "{s:?}");
        }
    }

    #[test]
    fn format_round_trips() {
        for secs in [0, 1, 59, 60, 61, 3_599, 3_600, 86_399, 86_400, 604_799, 604_800, 1_234_567, 40_000_000] {
            assert_eq!(parse_duration_secs(&format_duration(secs)), Some(secs), "{secs}");
        }
        assert_eq!(format_duration(1_800), "30m");
        assert_eq!(format_duration(694_445), "1w1d54m5s");
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("yes"), Some(true));
        assert_eq!(parse_bool("no"), Some(false));
        assert_eq!(parse_bool("True"), None);
    }
}
