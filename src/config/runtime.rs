//! Operator policy that changes at run time (`/api/admin/settings`): typed, validated with the
//! same ranges as the start-up variables that give their defaults.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::Settings;
use crate::domain::GIB;

/// HOTSPOT_FUP_THRESHOLD_GIB's range, in GiB.
pub const FUP_GIB_MAX: i64 = 10_000;
/// HOTSPOT_DEVICE_LIMIT's range.
pub const DEVICE_LIMIT_RANGE: (u64, u64) = (1, 100);
/// HOTSPOT_DEVICE_STALE_DAYS's range.
pub const STALE_DAYS_RANGE: (u64, u64) = (1, 3_650);
/// 1 PiB, the most quota one grant may carry.
pub const MAX_QUOTA_BYTES: i64 = 1 << 50;
const MAX_VALIDITY_DAYS: u64 = 3_650;
const MAX_MESSAGE: usize = 500;
/// The frontend's own presentation keys (theme, layout, …), stored as bounded text.
const UI_KEYS: &[&str] = &["APP_BROWSER_TITLE", "THEME", "SKIN", "LAYOUT", "CONTENT_WIDTH"];
const UI_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeSettings {
    /// Above this much purchased quota, dropping below it remaining means FUP.
    pub fup_threshold_bytes: i64,
    /// Remaining-quota percentages at which the user is warned (highest first).
    pub quota_low_percents: Vec<u8>,
    pub device_limit: usize,
    pub device_stale_days: u32,
    pub registration_open: bool,
    pub maintenance_mode: bool,
    pub maintenance_message: String,
    /// What a newly approved user starts with (0: nothing).
    pub default_quota_bytes: i64,
    pub default_validity_days: u32,
    pub app_name: String,
    /// Lifecycle messages over WhatsApp (codes and receipts always go).
    pub whatsapp_notifications: bool,
    /// How long history is kept, in days (the worker's daily housekeeping deletes older rows):
    /// sign-ins, the message log, sync runs, and the audit log (kept longest).
    pub retention_login_history_days: u32,
    pub retention_message_log_days: u32,
    pub retention_sync_runs_days: u32,
    pub retention_audit_log_days: u32,
    /// The frontend's presentation settings, by its own key names.
    pub ui: BTreeMap<String, String>,
}

/// The retention keys' ranges, in days: history for at least a week; the audit trail for at
/// least a year (what it is kept for: who did what, asked about months later).
pub const RETENTION_RANGE: (u64, u64) = (7, 3_650);
pub const AUDIT_RETENTION_RANGE: (u64, u64) = (365, 3_650);

/// One refused key: which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct SettingError {
    pub key: String,
    pub reason: String,
}

fn refuse(key: &str, reason: impl Into<String>) -> SettingError {
    SettingError { key: key.to_owned(), reason: reason.into() }
}

/// Every key: our name, the existing frontend's name, whether the public endpoint shows it.
pub const KEYS: &[(&str, Option<&str>, bool)] = &[
    ("fup_threshold_bytes", None, false),
    ("quota_low_percents", None, false),
    ("device_limit", None, true),
    ("device_stale_days", None, false),
    ("registration_open", None, true),
    ("maintenance_mode", Some("MAINTENANCE_MODE_ACTIVE"), true),
    ("maintenance_message", Some("MAINTENANCE_MODE_MESSAGE"), true),
    ("default_quota_bytes", None, false),
    ("default_validity_days", None, false),
    ("app_name", Some("APP_NAME"), true),
    ("whatsapp_notifications", Some("ENABLE_WHATSAPP_NOTIFICATIONS"), false),
    ("retention_login_history_days", None, false),
    ("retention_message_log_days", None, false),
    ("retention_sync_runs_days", None, false),
    ("retention_audit_log_days", None, false),
];

/// Our name for a key given in either spelling; `None` for a frontend presentation key.
pub fn canonical_key(key: &str) -> Result<Option<&'static str>, SettingError> {
    if let Some((k, _, _)) = KEYS.iter().find(|(k, alias, _)| *k == key || *alias == Some(key)) {
        return Ok(Some(k));
    }
    if UI_KEYS.contains(&key) {
        return Ok(None);
    }
    let upper = key.to_ascii_uppercase();
    if ["KEY", "TOKEN", "PASSWORD", "SECRET"].iter().any(|s| upper.contains(s)) {
        return Err(refuse(key, "secrets are set in the server's environment, not here"));
    }
    Err(refuse(key, "unknown setting"))
}

fn as_bool(key: &str, v: &Value) -> Result<bool, SettingError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" => Ok(false),
        _ => Err(refuse(key, "expected true or false")),
    }
}

fn as_int(key: &str, v: &Value, min: u64, max: u64) -> Result<u64, SettingError> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.filter(|n| (min..=max).contains(n)).ok_or_else(|| refuse(key, format!("expected a whole number {min} to {max}")))
}

fn as_text(key: &str, v: &Value, min: usize, max: usize) -> Result<String, SettingError> {
    let Value::String(s) = v else { return Err(refuse(key, "expected text")) };
    let s = s.trim();
    let n = s.chars().count();
    if n < min || n > max || s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(refuse(key, format!("{min} to {max} printable characters")));
    }
    Ok(s.to_owned())
}

fn as_percents(key: &str, v: &Value) -> Result<Vec<u8>, SettingError> {
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

impl RuntimeSettings {
    /// The start-up values: what holds while no row overrides them.
    pub fn defaults(s: &Settings) -> Self {
        Self {
            fup_threshold_bytes: s.auth.fup_threshold_bytes,
            quota_low_percents: vec![20, 5],
            device_limit: s.auth.device_limit,
            device_stale_days: (s.auth.device_stale_after.as_secs() / 86_400) as u32,
            registration_open: true,
            maintenance_mode: false,
            maintenance_message: "Layanan sedang dalam perbaikan. Silakan coba lagi nanti.".into(),
            default_quota_bytes: 0,
            default_validity_days: 0,
            app_name: s.app_name.clone(),
            whatsapp_notifications: true,
            retention_login_history_days: 180,
            retention_message_log_days: 180,
            retention_sync_runs_days: 30,
            retention_audit_log_days: 730,
            ui: BTreeMap::new(),
        }
    }

    /// Sets one key (either spelling) from its JSON or text value, validated; returns our name
    /// of the key and the canonical value to store.
    pub fn set(&mut self, key: &str, v: &Value) -> Result<(String, Value), SettingError> {
        let Some(k) = canonical_key(key)? else {
            let text = as_text(key, v, 0, UI_MAX)?;
            self.ui.insert(key.to_owned(), text.clone());
            return Ok((format!("ui_{}", key.to_ascii_lowercase()), json!({ "key": key, "value": text })));
        };
        let value = match k {
            "fup_threshold_bytes" => {
                let n = as_int(k, v, 0, (FUP_GIB_MAX * GIB) as u64)? as i64;
                self.fup_threshold_bytes = n;
                json!(n)
            }
            "quota_low_percents" => {
                self.quota_low_percents = as_percents(k, v)?;
                json!(self.quota_low_percents)
            }
            "device_limit" => {
                self.device_limit = as_int(k, v, DEVICE_LIMIT_RANGE.0, DEVICE_LIMIT_RANGE.1)? as usize;
                json!(self.device_limit)
            }
            "device_stale_days" => {
                self.device_stale_days = as_int(k, v, STALE_DAYS_RANGE.0, STALE_DAYS_RANGE.1)? as u32;
                json!(self.device_stale_days)
            }
            "registration_open" => {
                self.registration_open = as_bool(k, v)?;
                json!(self.registration_open)
            }
            "maintenance_mode" => {
                self.maintenance_mode = as_bool(k, v)?;
                json!(self.maintenance_mode)
            }
            "maintenance_message" => {
                self.maintenance_message = as_text(k, v, 0, MAX_MESSAGE)?;
                json!(self.maintenance_message)
            }
            "default_quota_bytes" => {
                self.default_quota_bytes = as_int(k, v, 0, MAX_QUOTA_BYTES as u64)? as i64;
                json!(self.default_quota_bytes)
            }
            "default_validity_days" => {
                self.default_validity_days = as_int(k, v, 0, MAX_VALIDITY_DAYS)? as u32;
                json!(self.default_validity_days)
            }
            "app_name" => {
                self.app_name = as_text(k, v, 1, 100)?;
                json!(self.app_name)
            }
            "whatsapp_notifications" => {
                self.whatsapp_notifications = as_bool(k, v)?;
                json!(self.whatsapp_notifications)
            }
            "retention_login_history_days" => {
                self.retention_login_history_days = as_int(k, v, RETENTION_RANGE.0, RETENTION_RANGE.1)? as u32;
                json!(self.retention_login_history_days)
            }
            "retention_message_log_days" => {
                self.retention_message_log_days = as_int(k, v, RETENTION_RANGE.0, RETENTION_RANGE.1)? as u32;
                json!(self.retention_message_log_days)
            }
            "retention_sync_runs_days" => {
                self.retention_sync_runs_days = as_int(k, v, RETENTION_RANGE.0, RETENTION_RANGE.1)? as u32;
                json!(self.retention_sync_runs_days)
            }
            "retention_audit_log_days" => {
                self.retention_audit_log_days = as_int(k, v, AUDIT_RETENTION_RANGE.0, AUDIT_RETENTION_RANGE.1)? as u32;
                json!(self.retention_audit_log_days)
            }
            _ => return Err(refuse(key, "unknown setting")),
        };
        Ok((k.to_owned(), value))
    }

    /// Applies a stored row (`ui_*` rows carry their frontend key).
    pub fn apply_stored(&mut self, key: &str, v: &Value) -> Result<(), SettingError> {
        if key.starts_with("ui_") {
            let (Some(k), Some(val)) = (v.get("key").and_then(Value::as_str), v.get("value")) else {
                return Err(refuse(key, "malformed stored value"));
            };
            return self.set(k, val).map(|_| ());
        }
        self.set(key, v).map(|_| ())
    }

    /// The value of a key as JSON.
    pub fn value_of(&self, key: &str) -> Value {
        serde_json::to_value(self).ok().and_then(|all| all.get(key).cloned()).unwrap_or(Value::Null)
    }

    /// The frontend's text form of a value (`"True"`/`"False"` for its switches).
    pub fn text_of(v: &Value) -> String {
        match v {
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::String(s) => s.clone(),
            Value::Array(a) => a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","),
            other => other.to_string(),
        }
    }

    /// What anyone may read: names, maintenance, registration, the frontend's presentation.
    pub fn public(&self) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        for (k, alias, public) in KEYS {
            if *public {
                let v = self.value_of(k);
                if let Some(a) = alias {
                    out.insert((*a).to_owned(), json!(Self::text_of(&v)));
                }
                out.insert((*k).to_owned(), v);
            }
        }
        for (k, v) in &self.ui {
            out.insert(k.clone(), json!(v));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> RuntimeSettings {
        RuntimeSettings {
            fup_threshold_bytes: 3 * GIB,
            quota_low_percents: vec![20, 5],
            device_limit: 3,
            device_stale_days: 30,
            registration_open: true,
            maintenance_mode: false,
            maintenance_message: String::new(),
            default_quota_bytes: 0,
            default_validity_days: 0,
            app_name: "Portal".into(),
            whatsapp_notifications: true,
            retention_login_history_days: 180,
            retention_message_log_days: 180,
            retention_sync_runs_days: 30,
            retention_audit_log_days: 730,
            ui: BTreeMap::new(),
        }
    }

    #[test]
    fn keys_are_validated_like_the_startup_variables() {
        let cases: &[(&str, Value, Result<Value, &str>)] = &[
            ("device_limit", json!(5), Ok(json!(5))),
            ("device_limit", json!("7"), Ok(json!(7))),
            ("device_limit", json!(0), Err("1 to 100")),
            ("device_limit", json!(101), Err("1 to 100")),
            ("device_limit", json!(-1), Err("1 to 100")),
            ("device_limit", json!(2.5), Err("1 to 100")),
            ("device_stale_days", json!(3_651), Err("1 to 3650")),
            ("fup_threshold_bytes", json!(0), Ok(json!(0))),
            ("fup_threshold_bytes", json!(FUP_GIB_MAX * GIB + 1), Err("whole number")),
            ("maintenance_mode", json!("True"), Ok(json!(true))),
            ("MAINTENANCE_MODE_ACTIVE", json!("False"), Ok(json!(false))),
            ("maintenance_mode", json!("yes"), Err("true or false")),
            ("quota_low_percents", json!([5, 20, 20]), Ok(json!([20, 5]))),
            ("quota_low_percents", json!("10, 50"), Ok(json!([50, 10]))),
            ("quota_low_percents", json!([0]), Err("1 to 99")),
            ("quota_low_percents", json!([1, 2, 3, 4, 5, 6]), Err("at most 5")),
            ("app_name", json!(""), Err("1 to 100")),
            ("app_name", json!("  Wifi Desa  "), Ok(json!("Wifi Desa"))),
            ("maintenance_message", json!("a".repeat(501)), Err("0 to 500")),
            ("default_quota_bytes", json!(MAX_QUOTA_BYTES + 1), Err("whole number")),
            ("MIDTRANS_SERVER_KEY", json!("x"), Err("secrets")),
            ("nonsense", json!(1), Err("unknown")),
        ];
        for (key, v, want) in cases {
            let mut s = base();
            match (s.set(key, v), want) {
                (Ok((_, got)), Ok(w)) => assert_eq!(&got, w, "{key} {v}"),
                (Err(e), Err(w)) => assert!(e.reason.contains(w), "{key} {v}: {e}"),
                (got, want) => panic!("{key} {v}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn stored_rows_round_trip_and_public_hides_policy() {
        let mut s = base();
        let (k, v) = s.set("THEME", &json!("dark")).unwrap();
        let (k2, v2) = s.set("maintenance_mode", &json!(true)).unwrap();
        let mut t = base();
        t.apply_stored(&k, &v).unwrap();
        t.apply_stored(&k2, &v2).unwrap();
        assert_eq!(s, t);
        let p = t.public();
        assert_eq!(p["MAINTENANCE_MODE_ACTIVE"], json!("True"));
        assert_eq!(p["maintenance_mode"], json!(true));
        assert_eq!(p["THEME"], json!("dark"));
        assert!(p.get("fup_threshold_bytes").is_none());
        assert!(p.get("default_quota_bytes").is_none());
    }
}
