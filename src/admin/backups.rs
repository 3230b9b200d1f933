//! Database backups with Postgres's own tools: `pg_dump` writes a custom-format archive into the
//! backup folder (newest N kept), the console lists, downloads and uploads them, and a super
//! admin restores one with `pg_restore` — only an archive of this schema version, after a safety
//! backup, in one transaction, with sign-ins answered by the maintenance page meanwhile; each
//! step audited.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{Admin, AdminError, invalid, refused};
use crate::audit::{self, Actor, Target};
use crate::domain::{AuditAction, AuditTarget, Role};

/// A pg_dump custom archive starts with these bytes.
const MAGIC: &[u8] = b"PGDMP";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BackupFile {
    pub name: String,
    pub size_bytes: u64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(&'static str),
    #[error("no such backup")]
    NotFound,
    #[error("the archive is too large")]
    TooLarge,
    #[error("{tool} failed: {detail}")]
    Tool { tool: &'static str, detail: String },
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("backup folder: {0}")]
    Io(#[from] std::io::Error),
}

/// A name the folder may hold: letters, digits, `_`, `-`, `.`, ending `.dump`, no path.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 120
        && name.ends_with(".dump")
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The database URL taken apart into libpq's environment (no password on a command line).
fn pg_env(database_url: &str) -> Result<Vec<(&'static str, String)>, BackupError> {
    let u = url::Url::parse(database_url).map_err(|_| BackupError::Refused("the database URL cannot be read"))?;
    let mut env = vec![("PGDATABASE", u.path().trim_start_matches('/').to_owned())];
    if let Some(h) = u.host_str() {
        env.push(("PGHOST", h.to_owned()));
    }
    if let Some(p) = u.port() {
        env.push(("PGPORT", p.to_string()));
    }
    if !u.username().is_empty() {
        env.push(("PGUSER", u.username().to_owned()));
    }
    if let Some(p) = u.password() {
        env.push(("PGPASSWORD", p.to_owned()));
    }
    for (k, v) in u.query_pairs() {
        if k == "sslmode" {
            env.push(("PGSSLMODE", v.into_owned()));
        }
    }
    Ok(env)
}

impl Admin {
    fn dir(&self) -> &Path {
        &self.settings.backups.dir
    }

    async fn tool(&self, tool: &'static str, program: &str, args: &[&str]) -> Result<Vec<u8>, BackupError> {
        let out = tokio::process::Command::new(program)
            .args(args)
            .envs(pg_env(&self.settings.database_url)?)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| BackupError::Tool { tool, detail: e.to_string() })?;
        if !out.status.success() {
            let text = String::from_utf8_lossy(&out.stderr);
            tracing::error!(tool, stderr = %text.lines().take(5).collect::<Vec<_>>().join(" | "), "database tool failed");
            return Err(BackupError::Tool { tool, detail: text.lines().next().unwrap_or("").to_owned() });
        }
        Ok(out.stdout)
    }

    /// The archives, newest first.
    pub async fn backups(&self) -> Result<Vec<BackupFile>, BackupError> {
        let mut out = Vec::new();
        let mut rd = match tokio::fs::read_dir(self.dir()).await {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        while let Some(e) = rd.next_entry().await? {
            let name = e.file_name().to_string_lossy().into_owned();
            let meta = e.metadata().await?;
            if valid_name(&name) && meta.is_file() {
                let created_at = meta.modified().map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now());
                out.push(BackupFile { name, size_bytes: meta.len(), created_at });
            }
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.name.cmp(&a.name)));
        Ok(out)
    }

    /// Makes an archive now (an admin, or the worker's schedule with `None`); the oldest beyond
    /// the kept number go.
    pub async fn create_backup(&self, actor: Option<&Actor>, label: &str) -> Result<BackupFile, BackupError> {
        tokio::fs::create_dir_all(self.dir()).await?;
        let name = format!("hotspot_{label}_{}.dump", Utc::now().format("%Y%m%d_%H%M%S_%3f"));
        let (part, path) = (self.dir().join(format!("{name}.part")), self.dir().join(&name));
        let part_text = part.to_string_lossy().into_owned();
        let args = ["--format=custom", "--no-owner", "--no-privileges", "--file", part_text.as_str()];
        let pg_dump = self.settings.backups.pg_dump.clone();
        if let Err(e) = self.tool("pg_dump", &pg_dump, &args).await {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e);
        }
        tokio::fs::rename(&part, &path).await?;
        let size_bytes = tokio::fs::metadata(&path).await?.len();
        self.prune_backups().await?;
        let actor = actor.cloned().unwrap_or_else(|| Actor::job("backup"));
        self.record_backup(&actor, AuditAction::BackupCreate, &name, json!({ "size_bytes": size_bytes })).await?;
        Ok(BackupFile { name, size_bytes, created_at: Utc::now() })
    }

    async fn prune_backups(&self) -> Result<(), BackupError> {
        for old in self.backups().await?.into_iter().skip(self.settings.backups.keep) {
            tokio::fs::remove_file(self.dir().join(&old.name)).await?;
        }
        Ok(())
    }

    async fn record_backup(
        &self,
        a: &Actor,
        action: AuditAction,
        name: &str,
        extra: serde_json::Value,
    ) -> Result<(), BackupError> {
        let (a, name) = (a.clone(), name.to_owned());
        self.db
            .run(move |c| {
                let mut details = json!({ "name": name });
                if let (Some(d), serde_json::Value::Object(x)) = (details.as_object_mut(), extra) {
                    d.extend(x);
                }
                audit::record(c, &a, action, Some(Target::new(AuditTarget::Settings, "backup")), details)
            })
            .await
            .map_err(AdminError::from)?;
        Ok(())
    }

    /// An archive's path, if the name is one and it is there.
    pub async fn backup_path(&self, name: &str) -> Result<(PathBuf, u64), BackupError> {
        if !valid_name(name) {
            return Err(BackupError::NotFound);
        }
        let path = self.dir().join(name);
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok((path, m.len())),
            _ => Err(BackupError::NotFound),
        }
    }

    /// Where an upload is written before it is checked.
    pub async fn upload_target(&self) -> Result<(String, PathBuf), BackupError> {
        tokio::fs::create_dir_all(self.dir()).await?;
        let name = format!("upload_{}.dump", Utc::now().format("%Y%m%d_%H%M%S_%3f"));
        let part = self.dir().join(format!("{name}.part"));
        Ok((name, part))
    }

    /// Takes an uploaded archive in (super admin only): a pg_dump custom archive of this schema
    /// version, or it is deleted and refused.
    pub async fn accept_upload(&self, actor: &Actor, name: &str, part: &Path) -> Result<BackupFile, BackupError> {
        let checked = async {
            if actor.role != Role::SuperAdmin {
                return Err(BackupError::Admin(AdminError::forbidden("only a super admin uploads backups")));
            }
            let mut head = [0u8; 5];
            let mut f = tokio::fs::File::open(part).await?;
            use tokio::io::AsyncReadExt;
            if f.read_exact(&mut head).await.is_err() || head != MAGIC {
                return Err(BackupError::Refused("not a pg_dump custom-format archive"));
            }
            self.same_schema(part).await
        };
        if let Err(e) = checked.await {
            let _ = tokio::fs::remove_file(part).await;
            return Err(e);
        }
        let path = self.dir().join(name);
        tokio::fs::rename(part, &path).await?;
        let size_bytes = tokio::fs::metadata(&path).await?.len();
        self.record_backup(actor, AuditAction::BackupUpload, name, json!({ "size_bytes": size_bytes })).await?;
        Ok(BackupFile { name: name.to_owned(), size_bytes, created_at: Utc::now() })
    }

    /// Refuses an archive whose schema version (its migrations) is not this build's.
    async fn same_schema(&self, path: &Path) -> Result<(), BackupError> {
        let p = path.to_string_lossy().into_owned();
        let args = ["--data-only", "--table=__diesel_schema_migrations", "--file=-", p.as_str()];
        let pg_restore = self.settings.backups.pg_restore.clone();
        let out = self.tool("pg_restore", &pg_restore, &args).await?;
        let text = String::from_utf8_lossy(&out);
        let mut versions: Vec<String> = text
            .lines()
            .skip_while(|l| !l.starts_with("COPY "))
            .skip(1)
            .take_while(|l| *l != "\\.")
            .filter_map(|l| l.split('\t').next().map(str::to_owned))
            .collect();
        versions.sort();
        let mut ours = crate::db::schema_versions();
        ours.sort();
        if versions != ours {
            tracing::warn!(archive = versions.len(), ours = ours.len(), "backup of another schema version refused");
            return Err(BackupError::Refused("the archive is of another schema version than this backend"));
        }
        Ok(())
    }

    /// Restores an archive (super admin only): checked, a safety backup first, the maintenance
    /// page on meanwhile, the whole restore in one transaction; audited once done.
    pub async fn restore_backup(&self, actor: &Actor, name: &str) -> Result<String, BackupError> {
        if actor.role != Role::SuperAdmin {
            return Err(BackupError::Admin(AdminError::forbidden("only a super admin restores backups")));
        }
        let (path, _) = self.backup_path(name).await?;
        self.same_schema(&path).await?;
        let safety = self.create_backup(Some(actor), "pre_restore").await?;
        let was = self.runtime.get().maintenance_mode;
        self.set_maintenance(actor, true).await?;
        let p = path.to_string_lossy().into_owned();
        let db = pg_env(&self.settings.database_url)?.remove(0).1;
        let args = [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--dbname",
            db.as_str(),
            p.as_str(),
        ];
        let pg_restore = self.settings.backups.pg_restore.clone();
        let restored = self.tool("pg_restore", &pg_restore, &args).await;
        // The restored settings table says whatever it said then: maintenance goes back to what
        // it was before the restore.
        self.runtime.reload().await.map_err(AdminError::from)?;
        self.runtime.announce().await;
        self.set_maintenance(actor, was).await?;
        restored?;
        self.record_backup(actor, AuditAction::BackupRestore, name, json!({ "safety_backup": safety.name })).await?;
        Ok(safety.name)
    }

    async fn set_maintenance(&self, actor: &Actor, on: bool) -> Result<(), BackupError> {
        if self.runtime.get().maintenance_mode == on {
            return Ok(());
        }
        let mut m = serde_json::Map::new();
        m.insert("maintenance_mode".into(), json!(on));
        self.runtime.update(actor, m).await.map_err(AdminError::from)?;
        Ok(())
    }
}

/// Checks a restore's confirmation and mode as the backup page sends them.
pub fn restore_request(confirm: &str, mode: Option<&str>) -> Result<(), AdminError> {
    if !confirm.eq_ignore_ascii_case("RESTORE") {
        return Err(invalid("confirm", "type RESTORE to confirm"));
    }
    match mode {
        None | Some("merge") | Some("replace") => Ok(()),
        Some("replace_users") => Err(refused(
            "Mode replace_users hanya untuk berkas .sql; cadangan ini dipulihkan utuh.",
            "replace_users is for .sql files; this archive is restored whole.",
        )),
        Some(_) => Err(invalid("restore_mode", "merge")),
    }
}
