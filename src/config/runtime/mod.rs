//! Operator policy that changes at run time (`/api/admin/settings`): typed, validated with the
//! same ranges as the start-up variables that give their defaults.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::Settings;

mod console;
mod values;
use crate::domain::{GIB, PaymentMethod, ProviderMode, VaBank};
use values::{as_bool, as_int, as_percents, as_text, refuse};

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
    /// Tell an admin over WhatsApp each time their account signs in to the console.
    pub admin_login_notifications: bool,
    /// How buyers pay: Midtrans `snap` (its payment page) or `core_api` (QRIS, e-wallets and
    /// virtual accounts shown by our pages), with the methods and banks offered in the latter.
    pub payment_provider_mode: ProviderMode,
    pub core_api_payment_methods: Vec<PaymentMethod>,
    pub core_api_va_banks: Vec<VaBank>,
    /// The choices the user editor and registration offer for where a user lives (values users
    /// already hold are offered too).
    pub address_bloks: Vec<String>,
    pub address_kamars: Vec<String>,
    /// The public database-update form (`/update`) takes submissions.
    pub update_form_open: bool,
    /// Accounts unused this many days are deactivated, this many deleted (an account with sales
    /// is kept deactivated), by the worker when `inactive_cleanup` is on; the preview shows the
    /// candidates either way.
    pub inactive_cleanup: bool,
    pub inactive_deactivate_days: u32,
    pub inactive_delete_days: u32,
    /// What a komandan may ask for in one request, and how often.
    pub komandan_max_quota_mb: i64,
    pub komandan_max_days: u32,
    pub komandan_allow_unlimited: bool,
    pub komandan_max_unlimited_days: u32,
    pub komandan_cooldown_hours: u32,
    /// Quota on credit's rules (the worker applies them): use beyond the quota of this many MiB
    /// blocks (0: no limit); an open debt past its due date blocks; on a month's last day, from
    /// this local hour, every open debt due by then blocks (24: never). A debt rule's block is
    /// lifted once no rule holds.
    pub debt_limit_mb: i64,
    pub overdue_debt_block: bool,
    pub debt_eom_block_hour: u32,
    /// The frontend's presentation settings, by its own key names.
    pub ui: BTreeMap<String, String>,
}

/// The payment keys' choices, as Midtrans names them.
const PAYMENT_MODES: &[&str] = &["snap", "core_api"];
/// In the order the frontend offers them.
const PAYMENT_METHODS: &[PaymentMethod] =
    &[PaymentMethod::Qris, PaymentMethod::Gopay, PaymentMethod::Va, PaymentMethod::Shopeepay];
const VA_BANKS: &[VaBank] = &[VaBank::Bni, VaBank::Bca, VaBank::Bri, VaBank::Mandiri, VaBank::Permata, VaBank::Cimb];

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
    ("admin_login_notifications", Some("ENABLE_WHATSAPP_LOGIN_NOTIFICATION"), false),
    ("payment_provider_mode", Some("PAYMENT_PROVIDER_MODE"), true),
    ("core_api_payment_methods", Some("CORE_API_ENABLED_PAYMENT_METHODS"), true),
    ("core_api_va_banks", Some("CORE_API_ENABLED_VA_BANKS"), true),
    ("address_bloks", None, false),
    ("address_kamars", None, false),
    ("update_form_open", Some("PUBLIC_DB_UPDATE_FORM_ENABLED"), true),
    ("inactive_cleanup", Some("INACTIVE_CLEANUP_ENABLED"), false),
    ("inactive_deactivate_days", Some("INACTIVE_DEACTIVATE_DAYS"), false),
    ("inactive_delete_days", Some("INACTIVE_DELETE_DAYS"), false),
    ("komandan_max_quota_mb", Some("KOMANDAN_MAX_QUOTA_MB"), true),
    ("komandan_max_days", Some("KOMANDAN_MAX_QUOTA_DAYS"), true),
    ("komandan_allow_unlimited", Some("KOMANDAN_ALLOW_UNLIMITED_REQUEST"), true),
    ("komandan_max_unlimited_days", Some("KOMANDAN_MAX_UNLIMITED_DAYS"), true),
    ("komandan_cooldown_hours", Some("KOMANDAN_REQUEST_COOLDOWN_HOURS"), true),
    ("debt_limit_mb", Some("QUOTA_DEBT_LIMIT_MB"), false),
    ("overdue_debt_block", Some("ENABLE_OVERDUE_DEBT_BLOCK"), false),
    ("debt_eom_block_hour", Some("DEBT_EOM_BLOCK_MIN_HOUR"), false),
];

/// The inactive-account thresholds' range, in days.
pub const INACTIVE_DAYS_RANGE: (u64, u64) = (7, 3_650);

/// Keys the existing frontend's settings page sends that this backend does not take, and why:
/// a save ignores them (with this reason in its answer) instead of refusing the rest.
pub fn not_taken(key: &str) -> Option<&'static str> {
    let upper = key.to_ascii_uppercase();
    if ["KEY", "TOKEN", "PASSWORD", "SECRET"].iter().any(|s| upper.contains(s)) {
        return Some("secrets are set in the server's environment, never through the API");
    }
    match upper.as_str() {
        "MIKROTIK_HOST" | "MIKROTIK_USER" => Some("the router is set in the server's environment"),
        "DEMO_MODE_ENABLED" => Some("there is no demo sign-in: accounts sign in with their code"),
        k if k.starts_with("TELEGRAM_") || k == "ENABLE_TELEGRAM_NOTIFICATIONS" => Some(
            "Telegram is configured in the server's environment (HOTSPOT_TELEGRAM_*); linked admins get alerts whenever a bot is set",
        ),
        _ => None,
    }
}

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
            admin_login_notifications: false,
            payment_provider_mode: ProviderMode::Snap,
            core_api_payment_methods: vec![PaymentMethod::Qris, PaymentMethod::Gopay, PaymentMethod::Va],
            core_api_va_banks: VA_BANKS.to_vec(),
            address_bloks: ["A", "B", "C", "D", "E", "F"].map(String::from).to_vec(),
            address_kamars: ["1", "2", "3", "4", "5", "6"].map(String::from).to_vec(),
            update_form_open: false,
            inactive_cleanup: false,
            inactive_deactivate_days: 45,
            inactive_delete_days: 90,
            komandan_max_quota_mb: 51_200,
            komandan_max_days: 30,
            komandan_allow_unlimited: true,
            komandan_max_unlimited_days: 30,
            komandan_cooldown_hours: 6,
            debt_limit_mb: 0,
            overdue_debt_block: true,
            debt_eom_block_hour: 23,
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
            _ => self.set_console(k, v)?,
        };
        Ok((k.to_owned(), value))
    }

    /// The inactive thresholds in force: deletion never comes before deactivation.
    pub fn inactive_thresholds(&self) -> (u32, u32) {
        (self.inactive_deactivate_days, self.inactive_delete_days.max(self.inactive_deactivate_days))
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
            Value::Array(a) => {
                a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect::<Vec<_>>().join(",")
            }
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
mod tests;
