//! Runtime settings' values as they arrive (JSON, or the frontend's text), checked.

use serde_json::Value;

use super::SettingError;

pub(super) fn refuse(key: &str, reason: impl Into<String>) -> SettingError {
    SettingError { key: key.to_owned(), reason: reason.into() }
}

pub(super) fn as_bool(key: &str, v: &Value) -> Result<bool, SettingError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" => Ok(false),
        _ => Err(refuse(key, "expected true or false")),
    }
}

pub(super) fn as_int(key: &str, v: &Value, min: u64, max: u64) -> Result<u64, SettingError> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.filter(|n| (min..=max).contains(n)).ok_or_else(|| refuse(key, format!("expected a whole number {min} to {max}")))
}

pub(super) fn as_text(key: &str, v: &Value, min: usize, max: usize) -> Result<String, SettingError> {
    let Value::String(s) = v else { return Err(refuse(key, "expected text")) };
    let s = s.trim();
    let n = s.chars().count();
    if n < min || n > max || s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(refuse(key, format!("{min} to {max} printable characters")));
    }
    Ok(s.to_owned())
}

/// One of `choices` (`core-api` and `coreapi` are the frontend's other spellings of `core_api`).
pub(super) fn as_choice(key: &str, v: &Value, choices: &[&str]) -> Result<String, SettingError> {
    let t = as_text(key, v, 1, 20)?.to_ascii_lowercase().replace('-', "_");
    let t = if t == "coreapi" { "core_api".to_owned() } else { t };
    if choices.contains(&t.as_str()) { Ok(t) } else { Err(refuse(key, format!("one of {}", choices.join(", ")))) }
}

/// A non-empty set of `choices`, as a list or comma-separated text, in `choices`' order.
pub(super) fn as_subset(key: &str, v: &Value, choices: &[&str]) -> Result<Vec<String>, SettingError> {
    let items: Vec<String> = match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap_or_default().to_owned()).collect(),
        Value::String(s) => s.split(',').map(str::to_owned).collect(),
        _ => return Err(refuse(key, "expected a list")),
    };
    let items: Vec<String> = items.iter().map(|i| i.trim().to_ascii_lowercase()).filter(|i| !i.is_empty()).collect();
    if items.is_empty() || items.iter().any(|i| !choices.contains(&i.as_str())) {
        return Err(refuse(key, format!("one or more of {}", choices.join(", "))));
    }
    Ok(choices.iter().filter(|c| items.iter().any(|i| i == *c)).map(|c| (*c).to_owned()).collect())
}

/// A non-empty set of a fixed kind, spelled as [`as_subset`] reads it, in `choices`' order.
pub(super) fn as_kinds<T: Copy>(
    key: &str,
    v: &Value,
    choices: &[T],
    text: fn(T) -> &'static str,
) -> Result<Vec<T>, SettingError> {
    let names: Vec<&str> = choices.iter().map(|c| text(*c)).collect();
    let picked = as_subset(key, v, &names)?;
    Ok(choices.iter().filter(|c| picked.iter().any(|p| p == text(**c))).copied().collect())
}

pub(super) fn as_percents(key: &str, v: &Value) -> Result<Vec<u8>, SettingError> {
    let items: Vec<Value> = match v {
        Value::Array(a) => a.clone(),
        Value::String(s) if s.trim().is_empty() => Vec::new(),
        Value::String(s) => s.split(',').map(|p| Value::String(p.trim().to_owned())).collect(),
        _ => return Err(refuse(key, "expected a list of percentages")),
    };
    let mut out = Vec::with_capacity(items.len());
    for i in &items {
        out.push(as_int(key, i, 1, 99)? as u8);
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    if out.len() > 5 {
        return Err(refuse(key, "at most 5 thresholds"));
    }
    Ok(out)
}

/// A list of short names (blocks, rooms): 1 to `max_items` entries of 1 to 20 printable
/// characters, as a list or comma-separated text; order kept, repeats dropped.
pub(super) fn as_names(key: &str, v: &Value, max_items: usize) -> Result<Vec<String>, SettingError> {
    let items: Vec<String> = match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect(),
        Value::String(s) => s.split(',').map(str::to_owned).collect(),
        _ => return Err(refuse(key, "expected a list of names")),
    };
    let mut out: Vec<String> = Vec::new();
    for i in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if i.chars().count() > 20 || i.chars().any(char::is_control) {
            return Err(refuse(key, "names of 1 to 20 printable characters"));
        }
        if !out.iter().any(|o| o == i) {
            out.push(i.to_owned());
        }
    }
    if out.is_empty() || out.len() > max_items {
        return Err(refuse(key, format!("1 to {max_items} names")));
    }
    Ok(out)
}
