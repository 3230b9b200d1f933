//! RADIUS mode: the token FreeRADIUS's `rest` module presents (HTTP Basic, user `freeradius`)
//! and how often routers report a session's usage. No token: the RADIUS endpoints answer 404.

use secrecy::SecretString;

use super::{ConfigError, Source, err};

#[derive(Clone)]
pub struct RadiusSettings {
    pub api_token: SecretString,
    /// `Acct-Interim-Interval` in every Accept: how stale a session's usage may get.
    pub interim_secs: u32,
    /// An open session with no report for this long is closed (its Stop was lost).
    pub quiet_close_secs: u32,
}

impl std::fmt::Debug for RadiusSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadiusSettings")
            .field("interim_secs", &self.interim_secs)
            .field("quiet_close_secs", &self.quiet_close_secs)
            .finish()
    }
}

pub(super) fn radius_settings(src: &Source<'_>) -> Result<Option<RadiusSettings>, ConfigError> {
    let token = src.string("HOTSPOT_RADIUS_API_TOKEN", "");
    if token.is_empty() {
        return Ok(None);
    }
    if token.len() < 24 || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(err("HOTSPOT_RADIUS_API_TOKEN", "24 or more letters, digits, _ or -"));
    }
    let interim_secs = src.ranged("HOTSPOT_RADIUS_INTERIM_SECS", 60, 10, 3_600)?;
    let quiet_close_secs = src.ranged("HOTSPOT_RADIUS_QUIET_CLOSE_SECS", interim_secs * 3, interim_secs * 2, 86_400)?;
    Ok(Some(RadiusSettings { api_token: token.into(), interim_secs, quiet_close_secs }))
}
