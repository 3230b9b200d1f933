//! The console's own runtime keys: the admin's sign-in notice, how buyers pay, the address
//! choices, the update form, the inactive-account policy, what komandans may request, the
//! rules of quota on credit.

use serde_json::{Value, json};

use super::values::{as_bool, as_choice, as_int, as_kinds, as_names, refuse};
use super::{INACTIVE_DAYS_RANGE, PAYMENT_METHODS, PAYMENT_MODES, RuntimeSettings, SettingError, VA_BANKS};
use crate::domain::{PaymentMethod, VaBank};

impl RuntimeSettings {
    /// The console's own keys: the admin's sign-in notice and how buyers pay.
    pub(super) fn set_console(&mut self, k: &str, v: &Value) -> Result<Value, SettingError> {
        Ok(match k {
            "admin_login_notifications" => {
                self.admin_login_notifications = as_bool(k, v)?;
                json!(self.admin_login_notifications)
            }
            "payment_provider_mode" => {
                let mode = as_choice(k, v, PAYMENT_MODES)?;
                self.payment_provider_mode = mode.parse().map_err(|_| refuse(k, PAYMENT_MODES.join(", ")))?;
                json!(self.payment_provider_mode)
            }
            "core_api_payment_methods" => {
                self.core_api_payment_methods = as_kinds(k, v, PAYMENT_METHODS, PaymentMethod::as_str)?;
                json!(self.core_api_payment_methods)
            }
            "core_api_va_banks" => {
                self.core_api_va_banks = as_kinds(k, v, VA_BANKS, VaBank::as_str)?;
                json!(self.core_api_va_banks)
            }
            "address_bloks" => {
                self.address_bloks = as_names(k, v, 100)?;
                json!(self.address_bloks)
            }
            "address_kamars" => {
                self.address_kamars = as_names(k, v, 200)?;
                json!(self.address_kamars)
            }
            "update_form_open" => {
                self.update_form_open = as_bool(k, v)?;
                json!(self.update_form_open)
            }
            "inactive_cleanup" => {
                self.inactive_cleanup = as_bool(k, v)?;
                json!(self.inactive_cleanup)
            }
            "inactive_deactivate_days" => {
                self.inactive_deactivate_days = as_int(k, v, INACTIVE_DAYS_RANGE.0, INACTIVE_DAYS_RANGE.1)? as u32;
                json!(self.inactive_deactivate_days)
            }
            "inactive_delete_days" => {
                self.inactive_delete_days = as_int(k, v, INACTIVE_DAYS_RANGE.0, INACTIVE_DAYS_RANGE.1)? as u32;
                json!(self.inactive_delete_days)
            }
            "komandan_max_quota_mb" => {
                self.komandan_max_quota_mb = as_int(k, v, 1, 1 << 30)? as i64;
                json!(self.komandan_max_quota_mb)
            }
            "komandan_max_days" => {
                self.komandan_max_days = as_int(k, v, 1, 3_650)? as u32;
                json!(self.komandan_max_days)
            }
            "komandan_allow_unlimited" => {
                self.komandan_allow_unlimited = as_bool(k, v)?;
                json!(self.komandan_allow_unlimited)
            }
            "komandan_max_unlimited_days" => {
                self.komandan_max_unlimited_days = as_int(k, v, 1, 3_650)? as u32;
                json!(self.komandan_max_unlimited_days)
            }
            "komandan_cooldown_hours" => {
                self.komandan_cooldown_hours = as_int(k, v, 0, 720)? as u32;
                json!(self.komandan_cooldown_hours)
            }
            "debt_limit_mb" => {
                self.debt_limit_mb = as_int(k, v, 0, 1 << 30)? as i64;
                json!(self.debt_limit_mb)
            }
            "overdue_debt_block" => {
                self.overdue_debt_block = as_bool(k, v)?;
                json!(self.overdue_debt_block)
            }
            "debt_eom_block_hour" => {
                self.debt_eom_block_hour = as_int(k, v, 0, 24)? as u32;
                json!(self.debt_eom_block_hour)
            }
            _ => return Err(refuse(k, "unknown setting")),
        })
    }
}
