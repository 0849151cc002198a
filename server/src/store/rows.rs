//! What both stores do alike around their SQL: a setting's row in and out, the decision a save
//! makes, 32-byte hashes, and the whole audit log for `migrate-store`. Only the statements
//! differ between SQLite and PostgreSQL; these do not.

use sso_web::contract::admin::AuditEntry;
use sso_web::contract::settings::{Value, SETTINGS};

use super::{StoreError, UpdateOutcome};
use crate::settings::{SettingsPatch, Snapshot, StoredSettings};

/// A setting's stored value (its JSON text); `None` for a name this release does not know.
pub fn setting_row(name: &str, value: &Value) -> Option<String> {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .map(|setting| setting.to_stored(value).to_string())
}

/// The settings from their `(name, JSON text)` rows. A name this release does not know
/// (written by a newer one, or of a setting since removed) is left alone; a value that no
/// longer passes its rule counts as unset.
pub fn settings_from_rows(
    rows: impl IntoIterator<Item = (String, String)>,
) -> Result<StoredSettings, StoreError> {
    let mut settings = StoredSettings::new();
    for (name, json) in rows {
        let Some(setting) = SETTINGS.iter().find(|s| s.name == name) else {
            continue;
        };
        let json: serde_json::Value = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("setting {name}: {e}")))?;
        if let Some(value) = setting.from_stored(&json) {
            settings.insert(setting.name, value);
        }
    }
    Ok(settings)
}

/// What a save comes to, decided on the snapshot read inside the write transaction.
pub enum Save {
    /// Nothing to write: a stale version, or a patch that changes nothing.
    Answer(UpdateOutcome),
    Write(SaveWrite),
}

/// A save to write: the new version, the changed rows and the audit entry's facts.
pub struct SaveWrite {
    pub version: u64,
    pub fields: Vec<&'static str>,
    /// Whether the save erases the stored client secret (the audit entry says so).
    pub erased_secret: bool,
    next: StoredSettings,
}

impl SaveWrite {
    /// Each changed setting's row: its stored value, or `None` to delete it.
    pub fn rows(&self) -> impl Iterator<Item = (&'static str, Option<String>)> + '_ {
        self.fields.iter().map(|name| {
            let row = self
                .next
                .get(name)
                .and_then(|value| setting_row(name, value));
            (*name, row)
        })
    }

    pub fn into_outcome(self) -> UpdateOutcome {
        UpdateOutcome::Changed {
            snapshot: Snapshot {
                version: self.version,
                settings: self.next,
            },
            fields: self.fields,
        }
    }
}

/// Applies `patch` if `current` is still `expected_version`; the caller compares inside its
/// write transaction, so two racing writers cannot both win.
pub fn plan_save(current: Snapshot, expected_version: u64, patch: &SettingsPatch) -> Save {
    if current.version != expected_version {
        return Save::Answer(UpdateOutcome::Stale {
            current_version: current.version,
        });
    }
    let (next, fields) = patch.apply(&current.settings);
    if fields.is_empty() {
        return Save::Answer(UpdateOutcome::Unchanged(current));
    }
    Save::Write(SaveWrite {
        version: current.version + 1,
        erased_secret: patch.erases_secret(&current.settings),
        fields,
        next,
    })
}

/// A stored SHA-256.
pub fn hash32(bytes: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| StoreError::Corrupt(format!("{what} is not 32 bytes")))
}

/// Every audit entry, oldest first, read page by page through `page` (a store's `audit`).
pub fn whole_audit(
    page: impl Fn(u32, Option<i64>) -> Result<(Vec<AuditEntry>, Option<i64>), StoreError>,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut audit = Vec::new();
    let mut before = None;
    loop {
        let (entries, next) = page(100, before)?;
        audit.extend(entries);
        match next {
            Some(id) => before = Some(id),
            None => break,
        }
    }
    audit.reverse();
    Ok(audit)
}
