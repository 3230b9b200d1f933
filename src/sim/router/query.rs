//! The RouterOS `print` query language: a stack of booleans per item, starting with infinitely
//! many `true`; the item is returned when no `false` is left after the last query word.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryWord {
    Has(String),
    HasNot(String),
    Eq(String, String),
    Lt(String, String),
    Gt(String, String),
    Ops(String),
}

impl QueryWord {
    /// Parses one word that started with `?` (the `?` included).
    pub fn parse(word: &str) -> Option<Self> {
        let rest = word.strip_prefix('?')?;
        if let Some(ops) = rest.strip_prefix('#') {
            return Some(QueryWord::Ops(ops.to_owned()));
        }
        if let Some(kv) = rest.strip_prefix('=') {
            // `?=name=value`, librouteros' form of equality.
            let (k, v) = kv.split_once('=')?;
            return Some(QueryWord::Eq(k.to_owned(), v.to_owned()));
        }
        if let Some(kv) = rest.strip_prefix('<') {
            let (k, v) = kv.split_once('=')?;
            return Some(QueryWord::Lt(k.to_owned(), v.to_owned()));
        }
        if let Some(kv) = rest.strip_prefix('>') {
            let (k, v) = kv.split_once('=')?;
            return Some(QueryWord::Gt(k.to_owned(), v.to_owned()));
        }
        if let Some(name) = rest.strip_prefix('-') {
            return Some(QueryWord::HasNot(name.to_owned()));
        }
        match rest.split_once('=') {
            Some((k, v)) => Some(QueryWord::Eq(k.to_owned(), v.to_owned())),
            None if !rest.is_empty() => Some(QueryWord::Has(rest.to_owned())),
            None => None,
        }
    }
}

/// RouterOS compares typed values; we approximate: booleans in either spelling, MACs in any case,
/// numbers numerically.
pub fn normalize(v: &str) -> Cow<'_, str> {
    match v {
        "yes" => Cow::Borrowed("true"),
        "no" => Cow::Borrowed("false"),
        _ if v.len() == 17 && v.as_bytes()[2] == b':' => Cow::Owned(v.to_ascii_uppercase()),
        _ => Cow::Borrowed(v),
    }
}

fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<i128>(), b.parse::<i128>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => normalize(a).cmp(&normalize(b)),
    }
}

/// Evaluates the query words against one item, read through `get`.
pub fn matches<'a>(words: &[QueryWord], get: impl Fn(&str) -> Option<Cow<'a, str>>) -> bool {
    // Stack top is the end of the vector; popping an empty stack yields the implicit `true`s.
    let mut stack: Vec<bool> = Vec::with_capacity(words.len());
    let pop = |s: &mut Vec<bool>| s.pop().unwrap_or(true);
    for w in words {
        match w {
            QueryWord::Has(k) => stack.push(get(k).is_some()),
            QueryWord::HasNot(k) => stack.push(get(k).is_none()),
            QueryWord::Eq(k, v) => stack.push(get(k).is_some_and(|x| normalize(&x) == normalize(v))),
            QueryWord::Lt(k, v) => stack.push(get(k).is_some_and(|x| compare(&x, v).is_lt())),
            QueryWord::Gt(k, v) => stack.push(get(k).is_some_and(|x| compare(&x, v).is_gt())),
            QueryWord::Ops(ops) => run_ops(ops, &mut stack, pop),
        }
    }
    stack.iter().all(|b| *b)
}

fn run_ops(ops: &str, stack: &mut Vec<bool>, pop: impl Fn(&mut Vec<bool>) -> bool) {
    let bytes = ops.as_bytes();
    let mut i = 0;
    let mut after_index = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let idx: usize = ops[start..i].parse().unwrap_or(usize::MAX);
            let value = if idx < stack.len() { stack[stack.len() - 1 - idx] } else { true };
            if i == bytes.len() {
                // An index ending the word replaces the whole stack with that value.
                stack.clear();
                stack.push(value);
            } else {
                stack.push(value);
            }
            after_index = true;
            continue;
        }
        match c {
            b'!' => {
                let v = pop(stack);
                stack.push(!v);
            }
            b'&' => {
                let (a, b) = (pop(stack), pop(stack));
                stack.push(a && b);
            }
            b'|' => {
                let (a, b) = (pop(stack), pop(stack));
                stack.push(a || b);
            }
            b'.' if after_index => {}
            b'.' => {
                let top = stack.last().copied().unwrap_or(true);
                stack.push(top);
            }
            _ => {}
        }
        after_index = false;
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<Cow<'static, str>> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| Cow::Borrowed(*v))
    }

    fn q(words: &[&str]) -> Vec<QueryWord> {
        words.iter().map(|w| QueryWord::parse(w).unwrap()).collect()
    }

    const ETHER: &[(&str, &str)] = &[
        ("type", "ether"),
        ("name", "ether1"),
        ("mtu", "1500"),
        ("disabled", "false"),
        ("mac-address", "AA:BB:CC:DD:EE:F0"),
    ];
    const VLAN: &[(&str, &str)] = &[("type", "vlan"), ("name", "vlan10"), ("mtu", "1496"), ("disabled", "true")];
    const BRIDGE: &[(&str, &str)] = &[("type", "bridge"), ("name", "bridge1"), ("comment", "lan")];

    #[test]
    fn query_table() {
        let cases: &[(&[&str], [bool; 3])] = &[
            (&[], [true, true, true]),
            (&["?type=ether"], [true, false, false]),
            (&["?=type=ether"], [true, false, false]),
            (&["?type=ether", "?type=vlan", "?#|"], [true, true, false]),
            (&["?type=ether", "?type=vlan", "?#|!"], [false, false, true]),
            (&["?type=ether", "?#!"], [false, true, true]),
            (&["?comment"], [false, false, true]),
            (&["?-comment"], [true, true, false]),
            (&["?>comment="], [false, false, true]),
            (&["?<mtu=1500"], [false, true, false]),
            (&["?>mtu=1496"], [true, false, false]),
            (&["?disabled=no"], [true, false, false]),
            (&["?disabled=yes"], [false, true, false]),
            (&["?mac-address=aa:bb:cc:dd:ee:f0"], [true, false, false]),
            // Plain consecutive conditions AND together.
            (&["?type=vlan", "?disabled=true"], [false, true, false]),
            (&["?type=vlan", "?disabled=false"], [false, false, false]),
            // Explicit AND, and routeros-api's multi-op words.
            (&["?type=ether", "?mtu=1500", "?#&"], [true, false, false]),
            (&["?type=ether", "?type=vlan", "?type=bridge", "?#||"], [true, true, true]),
            // An index at the end replaces the stack: keep only the older condition.
            (&["?type=ether", "?type=vlan", "?#1"], [true, false, false]),
            // Index followed by more ops pushes a copy: [ether, vlan, ether] then OR of the top
            // two leaves [ether, vlan|ether]; the bottom `ether` still has to hold.
            (&["?type=ether", "?type=vlan", "?#1|"], [true, false, false]),
            // …and ending with an index collapses the stack to that one value.
            (&["?type=ether", "?type=vlan", "?#1|0"], [true, true, false]),
            // '.' after a non-index pushes a copy of the top.
            (&["?type=vlan", "?#.|"], [false, true, false]),
            // Popping below the bottom yields the implicit trues.
            (&["?#|"], [true, true, true]),
        ];
        for (words, want) in cases {
            let qs = q(words);
            let got = [matches(&qs, item(ETHER)), matches(&qs, item(VLAN)), matches(&qs, item(BRIDGE))];
            assert_eq!(got, *want, "{words:?}");
        }
    }

    #[test]
    fn parse_forms() {
        assert_eq!(QueryWord::parse("?k=v=w"), Some(QueryWord::Eq("k".into(), "v=w".into())));
        assert_eq!(QueryWord::parse("?=k=v"), Some(QueryWord::Eq("k".into(), "v".into())));
        assert_eq!(QueryWord::parse("?-k"), Some(QueryWord::HasNot("k".into())));
        assert_eq!(QueryWord::parse("?k"), Some(QueryWord::Has("k".into())));
        assert_eq!(QueryWord::parse("?#|!"), Some(QueryWord::Ops("|!".into())));
        assert_eq!(QueryWord::parse("?"), None);
        assert_eq!(QueryWord::parse("k"), None);
    }
}
