//! Runtime settings, written (the only writer of `runtime_settings`): validated as a whole
//! before anything is stored, stored with their audit row in one transaction, installed in this
//! process and announced to every other.

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::Runtime;
use crate::audit::{self, Actor, Target};
use crate::config::RuntimeSettings;
use crate::config::runtime::{KEYS, canonical_key, not_taken};
use crate::db::DbError;
use crate::db::schema::runtime_settings;
use crate::domain::{AuditAction, AuditTarget, Role};

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SettingsError {
    fn from(e: diesel::result::Error) -> Self {
        SettingsError::Db(e.into())
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { field: field.to_owned(), reason: reason.into() }
}

/// What a setting's value is, for the OpenAPI document: a switch, a number, a text or a list
/// (the key says which).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SettingValue {
    Switch(bool),
    Number(f64),
    Text(String),
    List(Vec<SettingItem>),
}

/// One item of a list setting: a number (hours of the quiet window, percentages) or a text.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SettingItem {
    Number(f64),
    Text(String),
}

/// One setting as the admin page shows it: our key and the existing frontend's spelling.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettingEntry {
    pub key: String,
    #[schema(value_type = SettingValue)]
    pub value: Value,
    #[schema(value_type = SettingValue)]
    pub default: Value,
    /// Shown by `GET /api/settings/public` too.
    pub public: bool,
    /// The frontend's key (its upper-case name where it has one).
    pub setting_key: String,
    /// The frontend's text form of the value.
    pub setting_value: String,
}

/// Every setting with its value and default (secrets are never settings: they live in the
/// server's environment).
pub fn entries(current: &RuntimeSettings, defaults: &RuntimeSettings) -> Vec<SettingEntry> {
    let mut out: Vec<SettingEntry> = KEYS
        .iter()
        .map(|(k, alias, public)| {
            let value = current.value_of(k);
            SettingEntry {
                key: (*k).to_owned(),
                setting_value: RuntimeSettings::text_of(&value),
                value,
                default: defaults.value_of(k),
                public: *public,
                setting_key: alias.unwrap_or(k).to_owned(),
            }
        })
        .collect();
    for (k, v) in &current.ui {
        out.push(SettingEntry {
            key: k.clone(),
            value: json!(v),
            default: Value::Null,
            public: true,
            setting_key: k.clone(),
            setting_value: v.clone(),
        });
    }
    out
}

/// A key a save left out, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ignored {
    pub key: String,
    pub reason: String,
}

/// What a save did: the settings now, the keys whose value changed, the keys left out.
#[derive(Debug, Clone)]
pub struct Updated {
    pub settings: RuntimeSettings,
    pub changed: Vec<String>,
    pub ignored: Vec<Ignored>,
}

/// The taken keys over the stored settings, under a table lock so two admins' saves never
/// overwrite each other's keys: rows written, and audited, only for values that change.
fn write_changes(
    tx: &mut PgConnection,
    actor: &Actor,
    runtime: &Runtime,
    taken: &Map<String, Value>,
) -> Result<(RuntimeSettings, Vec<String>), SettingsError> {
    diesel::sql_query("LOCK TABLE runtime_settings IN SHARE ROW EXCLUSIVE MODE").execute(tx)?;
    let rows = super::load_rows(tx)?;
    let stored: std::collections::HashMap<String, Value> = rows.iter().cloned().collect();
    let before = runtime.overlay(&rows);
    let mut next = before.clone();
    let mut diff = Map::new();
    for (k, v) in taken {
        let was = next.clone();
        let (key, value) = next.set(k, v).map_err(|e| invalid(&e.key, e.reason))?;
        // Unchanged when the value in force is the same and, for a default, nothing is stored
        // differently: a page that sends every key back writes only what was edited.
        if next == was && stored.get(&key).is_none_or(|s| *s == value) {
            continue;
        }
        diesel::insert_into(runtime_settings::table)
            .values((
                runtime_settings::key.eq(&key),
                runtime_settings::value.eq(&value),
                runtime_settings::updated_by.eq(actor.user_id),
            ))
            .on_conflict(runtime_settings::key)
            .do_update()
            .set((
                runtime_settings::value.eq(&value),
                runtime_settings::updated_at.eq(Utc::now()),
                runtime_settings::updated_by.eq(actor.user_id),
            ))
            .execute(tx)?;
        diff.insert(key, value);
    }
    if !diff.is_empty() {
        let target = Target::new(AuditTarget::Settings, "runtime");
        let details = json!({ "before": serde_json::to_value(&before).unwrap_or(Value::Null), "changed": diff });
        audit::record(tx, actor, AuditAction::SettingsUpdate, Some(target), details)?;
    }
    Ok((next, diff.keys().cloned().collect()))
}

impl Runtime {
    /// Applies `changes` (key → value, either spelling) over the stored settings. Keys this
    /// backend does not take (unknown, secrets, features it lacks) are left out and named in
    /// the outcome; an invalid value of a key it takes refuses the whole save. Only keys whose
    /// value changes are written and audited; a save that changes nothing writes nothing.
    pub async fn update(&self, actor: &Actor, changes: Map<String, Value>) -> Result<Updated, SettingsError> {
        if actor.role != Role::SuperAdmin {
            return Err(SettingsError::Forbidden("settings are the super admin's"));
        }
        if changes.is_empty() {
            return Err(invalid("settings", "nothing to change"));
        }
        if changes.len() > 64 {
            return Err(invalid("settings", "at most 64 keys at once"));
        }
        let mut ignored = Vec::new();
        let mut taken = Map::new();
        for (k, v) in changes {
            match (not_taken(&k), canonical_key(&k)) {
                (Some(why), _) => ignored.push(Ignored { key: k, reason: why.to_owned() }),
                (None, Err(e)) => ignored.push(Ignored { key: k, reason: e.reason }),
                (None, Ok(_)) => {
                    taken.insert(k, v);
                }
            }
        }
        for i in &ignored {
            tracing::warn!(key = %i.key, reason = %i.reason, "a settings key was not taken");
        }
        let (a, runtime) = (actor.clone(), self.clone());
        let (next, changed) = self
            .0
            .db
            .run(move |conn| Ok(conn.transaction::<_, SettingsError, _>(|tx| write_changes(tx, &a, &runtime, &taken))))
            .await??;
        if !changed.is_empty() {
            self.install(next.clone());
            self.announce().await;
        }
        Ok(Updated { settings: next, changed, ignored })
    }

    /// Tells every process to reload (a missed message is covered by their periodic reload).
    /// Tells every process to reload (a change here, or a restored database).
    pub async fn announce(&self) {
        let kv = &self.0.kv;
        let channel = self.channel().to_owned();
        let r = kv
            .with_timeout(async {
                let mut c = kv.conn();
                let _: i64 = redis::cmd("PUBLISH").arg(&channel).arg("changed").query_async(&mut c).await?;
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "settings change not announced; other processes reload within 30 s");
        }
    }
}
