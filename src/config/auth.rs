//! Sessions, one-time codes, devices and the hotspot profiles per status.

use std::time::Duration;

use super::runtime::{self, DEVICE_LIMIT_RANGE, STALE_DAYS_RANGE};
use super::{ConfigError, Source, err};
use crate::domain::AccessStatus;
use crate::domain::policy::PerStatus;

/// Session, OTP and device rules.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// A rotated refresh token presented again within this window (another tab) is not reuse.
    pub refresh_grace: Duration,
    pub otp_ttl: Duration,
    pub otp_cooldown: Duration,
    pub otp_max_attempts: u32,
    pub otp_per_phone_per_hour: u32,
    pub otp_per_ip_per_hour: u32,
    /// verify-otp per client address per hour (not from the hotspot: there it is per phone and
    /// per router-confirmed MAC).
    pub verify_per_ip_per_hour: u32,
    /// Codes to registrations nobody has proved yet, per client address per hour (on the
    /// hotspot too: a venue shares it) and for the whole backend per day: each one messages a
    /// stranger from the operator's number, and WhatsApp bans numbers that do that freely.
    pub otp_unproven_per_ip_per_hour: u32,
    pub otp_unproven_per_day: u32,
    /// Numbers nobody holds asked for, per client address per hour (on the hotspot too): bounds
    /// how fast a venue can be used to find out who has an account.
    pub unknown_phone_per_ip_per_hour: u32,
    pub device_limit: usize,
    pub device_stale_after: Duration,
    pub session_token_ttl: Duration,
    pub fup_threshold_bytes: i64,
    /// Hotspot user profile per status.
    pub profiles: PerStatus,
}

pub(super) fn auth_settings(src: &Source<'_>) -> Result<AuthSettings, ConfigError> {
    let secs = |var, default, min, max| -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(src.ranged(var, default, min, max)?))
    };
    let mut profiles = PerStatus::standard_profiles();
    for pair in src.list("HOTSPOT_ROUTER_PROFILES", "") {
        let Some((status, profile)) = pair.split_once('=') else {
            return Err(err("HOTSPOT_ROUTER_PROFILES", format!("{pair:?} is not status=profile")));
        };
        let slot = match status.trim().parse::<AccessStatus>() {
            Ok(s) if !profile.trim().is_empty() => profiles.get_mut(s),
            _ => {
                let names: Vec<&str> = AccessStatus::ALL.iter().map(|s| s.as_str()).collect();
                return Err(err(
                    "HOTSPOT_ROUTER_PROFILES",
                    format!("{pair:?}: status must be one of {}", names.join(", ")),
                ));
            }
        };
        *slot = profile.trim().to_owned();
    }
    let fup_gib: u32 = src.ranged("HOTSPOT_FUP_THRESHOLD_GIB", 3, 0, runtime::FUP_GIB_MAX as u32)?;
    Ok(AuthSettings {
        access_ttl: secs("HOTSPOT_ACCESS_TOKEN_TTL_SECS", 1_800, 60, 86_400)?,
        refresh_ttl: secs("HOTSPOT_REFRESH_TOKEN_TTL_DAYS", 30, 1, 365)?.saturating_mul(86_400),
        refresh_grace: secs("HOTSPOT_REFRESH_GRACE_SECS", 10, 0, 300)?,
        otp_ttl: secs("HOTSPOT_OTP_TTL_SECS", 300, 30, 3_600)?,
        otp_cooldown: secs("HOTSPOT_OTP_COOLDOWN_SECS", 60, 0, 3_600)?,
        otp_max_attempts: src.ranged("HOTSPOT_OTP_MAX_ATTEMPTS", 5, 1, 100)?,
        otp_per_phone_per_hour: src.ranged("HOTSPOT_OTP_PER_PHONE_PER_HOUR", 5, 1, 10_000)?,
        otp_per_ip_per_hour: src.ranged("HOTSPOT_OTP_PER_IP_PER_HOUR", 30, 1, 1_000_000)?,
        verify_per_ip_per_hour: src.ranged("HOTSPOT_VERIFY_PER_IP_PER_HOUR", 60, 1, 1_000_000)?,
        otp_unproven_per_ip_per_hour: src.ranged("HOTSPOT_OTP_UNPROVEN_PER_IP_PER_HOUR", 10, 1, 1_000_000)?,
        otp_unproven_per_day: src.ranged("HOTSPOT_OTP_UNPROVEN_PER_DAY", 200, 1, 1_000_000)?,
        unknown_phone_per_ip_per_hour: src.ranged("HOTSPOT_UNKNOWN_PHONE_PER_IP_PER_HOUR", 30, 1, 1_000_000)?,
        device_limit: src.ranged(
            "HOTSPOT_DEVICE_LIMIT",
            3,
            DEVICE_LIMIT_RANGE.0 as usize,
            DEVICE_LIMIT_RANGE.1 as usize,
        )?,
        device_stale_after: secs("HOTSPOT_DEVICE_STALE_DAYS", 30, STALE_DAYS_RANGE.0, STALE_DAYS_RANGE.1)?
            .saturating_mul(86_400),
        session_token_ttl: secs("HOTSPOT_SESSION_TOKEN_TTL_SECS", 120, 10, 3_600)?,
        fup_threshold_bytes: i64::from(fup_gib) * 1024 * 1024 * 1024,
        profiles,
    })
}
