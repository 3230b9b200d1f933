//! Lifecycle messages: quiet hours, the daily cap of reminders, when expiry warnings go out.

use super::{ConfigError, Source, err};

#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// Local hours `[start, end)` in which reminders wait (start == end: none).
    pub quiet_start: u32,
    pub quiet_end: u32,
    /// Reminders per recipient per local day.
    pub daily_cap: u32,
    /// Cron (6 fields, operator's timezone) of the expiry warnings.
    pub expiry_warnings_cron: cron::Schedule,
}

pub(super) fn notify_settings(src: &Source<'_>) -> Result<NotifySettings, ConfigError> {
    let quiet = src.string("HOTSPOT_NOTIFY_QUIET_HOURS", "21-7");
    let parsed = quiet
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)))
        .filter(|(a, b)| *a < 24 && *b < 24);
    let Some((quiet_start, quiet_end)) = parsed else {
        return Err(err("HOTSPOT_NOTIFY_QUIET_HOURS", "expected START-END in local hours, e.g. 21-7"));
    };
    let cron_text = src.string("HOTSPOT_CRON_EXPIRY_WARNINGS", "0 0 9 * * *");
    Ok(NotifySettings {
        quiet_start,
        quiet_end,
        daily_cap: src.ranged("HOTSPOT_NOTIFY_DAILY_CAP", 3, 1, 50)?,
        expiry_warnings_cron: hotspot_jobs::parse_cron(&cron_text)
            .map_err(|e| err("HOTSPOT_CRON_EXPIRY_WARNINGS", e))?,
    })
}
