//! Database backups: where they are kept, how many, the largest upload, when the worker makes
//! one.

use std::path::PathBuf;

use super::{ConfigError, Source, err};

#[derive(Debug, Clone)]
pub struct BackupSettings {
    /// The folder of `pg_dump` archives (the compose stack's backup volume).
    pub dir: PathBuf,
    /// The newest this many archives are kept; older ones go when a new one is made.
    pub keep: usize,
    /// The largest archive the console accepts as an upload.
    pub max_upload_bytes: u64,
    /// Cron (6 fields, operator's timezone) of the worker's own backup; none (the default): by
    /// hand, or by the compose stack's `backups` service.
    pub cron: Option<cron::Schedule>,
    /// The `pg_dump`/`pg_restore` programs (their folder on `PATH` by default).
    pub pg_dump: String,
    pub pg_restore: String,
}

pub(super) fn backup_settings(src: &Source<'_>) -> Result<BackupSettings, ConfigError> {
    // Off by default: the compose stack's `backups` service makes the scheduled dumps.
    let cron = match src.string("HOTSPOT_CRON_BACKUP", "off").as_str() {
        "" | "off" => None,
        c => Some(hotspot_jobs::parse_cron(c).map_err(|e| err("HOTSPOT_CRON_BACKUP", e))?),
    };
    let dir = src.string("HOTSPOT_BACKUP_DIR", "backups");
    if dir.trim().is_empty() {
        return Err(err("HOTSPOT_BACKUP_DIR", "a folder"));
    }
    Ok(BackupSettings {
        dir: dir.into(),
        keep: src.ranged("HOTSPOT_BACKUP_KEEP", 14, 1, 1_000)?,
        max_upload_bytes: src.ranged("HOTSPOT_BACKUP_MAX_UPLOAD_MB", 1_024u64, 1, 100_000)? * 1024 * 1024,
        cron,
        pg_dump: src.string("HOTSPOT_PG_DUMP", "pg_dump"),
        pg_restore: src.string("HOTSPOT_PG_RESTORE", "pg_restore"),
    })
}
