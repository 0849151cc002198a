//! The settings saved in the admin UI, their version, the audit log, the setup token's hash and the server sessions, in SQLite (WAL, synchronous=FULL, schema versioned by `PRAGMA user_version`).
//!
//! Every method is blocking; async callers go through `tokio::task::spawn_blocking`.
//! One connection behind a mutex serialises this process's writes, and
//! `BEGIN IMMEDIATE` serialises them with another process on the same file
//! (`sso-server reset-setup-token` while the server runs).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::config::{AuthMethod, Secret};

mod sessions;

pub use sessions::{Created, EndReason, NewSession, StoredSession};

/// Each entry upgrades the schema by one `user_version`; never edit a
/// released entry, append a new one.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        issuer TEXT,
        client_id TEXT,
        auth_method TEXT,
        client_secret TEXT,
        groups_claim TEXT,
        scopes TEXT,
        updated_at TEXT
    );
    INSERT INTO settings (id, version) VALUES (1, 0);
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_kind TEXT NOT NULL,
        fields TEXT NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE TABLE setup_token (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sha256 BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
",
    "
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        id_hash BLOB NOT NULL UNIQUE,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        display TEXT NOT NULL,
        info TEXT NOT NULL,
        id_token TEXT,
        signed_in_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        ended_at INTEGER,
        end_reason TEXT
    );
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
    CREATE TABLE used_id_tokens (
        sha256 BLOB PRIMARY KEY,
        expires_at INTEGER NOT NULL
    );
    ALTER TABLE audit_log ADD COLUMN event TEXT NOT NULL DEFAULT 'settings_changed';
    ALTER TABLE audit_log ADD COLUMN actor_id TEXT;
    ALTER TABLE audit_log ADD COLUMN target TEXT;
",
];

/// How long a write waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The settings as saved in the UI; `None` is "unset".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredSettings {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub auth_method: Option<AuthMethod>,
    pub client_secret: Option<Secret>,
    pub groups_claim: Option<String>,
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub version: u64,
    pub settings: StoredSettings,
}

/// A change to the stored settings: `None` leaves a field alone,
/// `Some(None)` unsets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub issuer: Option<Option<String>>,
    pub client_id: Option<Option<String>>,
    pub auth_method: Option<Option<AuthMethod>>,
    pub client_secret: Option<Option<Secret>>,
    pub groups_claim: Option<Option<String>>,
    pub scopes: Option<Option<Vec<String>>>,
}

impl SettingsPatch {
    /// The patched settings and the names of the fields that really changed,
    /// in the API's field order.
    pub fn apply(&self, current: &StoredSettings) -> (StoredSettings, Vec<&'static str>) {
        fn one<T: Clone + PartialEq>(
            name: &'static str,
            patch: &Option<Option<T>>,
            current: &Option<T>,
            changed: &mut Vec<&'static str>,
        ) -> Option<T> {
            match patch {
                Some(new) if new != current => {
                    changed.push(name);
                    new.clone()
                }
                _ => current.clone(),
            }
        }
        let mut changed = Vec::new();
        let next = StoredSettings {
            issuer: one("issuer", &self.issuer, &current.issuer, &mut changed),
            client_id: one(
                "client_id",
                &self.client_id,
                &current.client_id,
                &mut changed,
            ),
            auth_method: one(
                "auth_method",
                &self.auth_method,
                &current.auth_method,
                &mut changed,
            ),
            client_secret: one(
                "client_secret",
                &self.client_secret,
                &current.client_secret,
                &mut changed,
            ),
            groups_claim: one(
                "groups_claim",
                &self.groups_claim,
                &current.groups_claim,
                &mut changed,
            ),
            scopes: one("scopes", &self.scopes, &current.scopes, &mut changed),
        };
        let mut next = next;
        // The secret belongs to one IdP: moving to another issuer or client ID without a new
        // secret erases it, so it is never sent to the new one.
        let moved = changed.contains(&"issuer") || changed.contains(&"client_id");
        if moved && self.client_secret.is_none() && next.client_secret.is_some() {
            next.client_secret = None;
            changed.push("client_secret");
        }
        (next, changed)
    }

    /// Whether applying this to `current` erases the stored secret by the rule above.
    pub fn erases_secret(&self, current: &StoredSettings) -> bool {
        self.client_secret.is_none()
            && current.client_secret.is_some()
            && self.apply(current).0.client_secret.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Sso,
    SetupToken,
    /// The server itself (a session ended because the settings changed under it).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sso => "sso",
            Self::SetupToken => "setup_token",
            Self::System => "system",
        }
    }
}

/// Who made a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// For people to read: the email, else the username, else the subject.
    pub name: String,
    pub kind: ActorKind,
    /// Who it really is: `<iss> <sub>` for an SSO user (an email can be reused or
    /// unverified), `None` for the setup token.
    pub id: Option<String>,
}

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    SettingsChanged,
    SignIn,
    SignOut,
    /// An admin ended someone's session.
    SessionRevoked,
    /// An admin ended every session but their own; `target` is how many.
    OtherSessionsRevoked,
    /// A change of issuer or client ID ended the sessions made under the old ones.
    SessionsEndedBySettings,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SettingsChanged => "settings_changed",
            Self::SignIn => "sign_in",
            Self::SignOut => "sign_out",
            Self::SessionRevoked => "session_revoked",
            Self::OtherSessionsRevoked => "other_sessions_revoked",
            Self::SessionsEndedBySettings => "sessions_ended_by_settings",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub actor: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    /// Whose session a sign-in, sign-out or revocation was, or how many sessions ended.
    pub target: Option<String>,
    pub fields: Vec<String>,
    pub version: u64,
}

/// What a settings change's audit entry says when it erased the stored secret.
pub const SECRET_ERASED: &str =
    "client secret erased: the issuer or client ID changed, and a secret belongs to one identity provider";

/// One audit row, inside the caller's transaction.
fn insert_audit(
    conn: &Connection,
    actor: &Actor,
    event: AuditEvent,
    fields: &[&str],
    version: u64,
    target: Option<&str>,
) -> Result<(), StoreError> {
    let field_list =
        serde_json::to_string(fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.execute(
        "INSERT INTO audit_log (at, actor, actor_kind, fields, version, event, actor_id, target)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            rfc3339_utc(SystemTime::now()),
            actor.name,
            actor.kind.as_str(),
            field_list,
            to_sql_version(version)?,
            event.as_str(),
            actor.id,
            target,
        ],
    )?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    Changed {
        snapshot: Snapshot,
        fields: Vec<&'static str>,
    },
    /// The patch matched what is stored: no new version, no audit entry.
    Unchanged(Snapshot),
    Stale {
        current_version: u64,
    },
}

#[derive(Debug)]
pub enum StoreError {
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    Sqlite(rusqlite::Error),
    TooNew {
        found: i64,
        known: usize,
    },
    Corrupt(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreateDir { dir, source } => write!(
                f,
                "cannot create the database folder {}: {source} (set SSO_DATABASE to a writable path)",
                dir.display()
            ),
            Self::Sqlite(e) => write!(f, "database error: {e}"),
            Self::TooNew { found, known } => write!(
                f,
                "the database has schema version {found}, but this sso-server knows only up to {known}: it was written by a newer release"
            ),
            Self::Corrupt(what) => write!(f, "the database holds an unexpected value: {what}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::CreateDir { source, .. } => Some(source),
            Self::Sqlite(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating the folder and file when missing) and migrates.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                create_private_dir(dir).map_err(|source| StoreError::CreateDir {
                    dir: dir.to_owned(),
                    source,
                })?;
            }
        }
        let mut conn = Connection::open(path)?;
        restrict_permissions(path);
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers never block the writer. FULL: a commit is on disk
        // before it is acknowledged, so a crash or power cut loses nothing
        // that a client was told was saved.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!(
                "journal_mode is {mode}, WAL could not be enabled"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut conn)?;
        Ok(Self {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic mid-transaction rolls it back when the Transaction drops,
        // so the connection is still consistent.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn load(&self) -> Result<Snapshot, StoreError> {
        read_snapshot(&self.conn())
    }

    /// Applies `patch` if the stored version is still `expected_version`,
    /// compared inside the write transaction so two racing writers cannot
    /// both win.
    pub fn update(
        &self,
        expected_version: u64,
        patch: &SettingsPatch,
        actor: &Actor,
    ) -> Result<UpdateOutcome, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read_snapshot(&tx)?;
        if current.version != expected_version {
            return Ok(UpdateOutcome::Stale {
                current_version: current.version,
            });
        }
        let (next, fields) = patch.apply(&current.settings);
        if fields.is_empty() {
            return Ok(UpdateOutcome::Unchanged(current));
        }
        let erased = patch.erases_secret(&current.settings);
        let version = current.version + 1;
        let at = rfc3339_utc(SystemTime::now());
        let scopes = next
            .scopes
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.execute(
            "UPDATE settings SET version = ?1, issuer = ?2, client_id = ?3, auth_method = ?4,
                 client_secret = ?5, groups_claim = ?6, scopes = ?7, updated_at = ?8
             WHERE id = 1",
            params![
                to_sql_version(version)?,
                next.issuer,
                next.client_id,
                next.auth_method.map(AuthMethod::as_str),
                next.client_secret.as_ref().map(Secret::expose),
                next.groups_claim,
                scopes,
                at,
            ],
        )?;
        insert_audit(
            &tx,
            actor,
            AuditEvent::SettingsChanged,
            &fields,
            version,
            erased.then_some(SECRET_ERASED),
        )?;
        tx.commit()?;
        Ok(UpdateOutcome::Changed {
            snapshot: Snapshot {
                version,
                settings: next,
            },
            fields,
        })
    }

    /// Newest first, `limit` entries with ids below `before`; the second value
    /// is the `before` for the next page, if there is one.
    pub fn audit(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<(Vec<AuditEntry>, Option<i64>), StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT id, at, actor, actor_kind, fields, version, event, actor_id, target
             FROM audit_log WHERE ?1 IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(params![before, i64::from(limit) + 1], |row| {
            Ok((
                (
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ),
                (
                    row.get::<_, i64>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, Option<String>>(8)?,
                ),
            ))
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let ((id, at, actor, actor_kind, fields), (version, event, actor_id, target)) = row?;
            let fields: Vec<String> = serde_json::from_str(&fields)
                .map_err(|e| StoreError::Corrupt(format!("audit entry {id} fields: {e}")))?;
            entries.push(AuditEntry {
                id,
                at,
                event,
                actor,
                actor_kind,
                actor_id,
                target,
                fields,
                version: from_sql_version(version)?,
            });
        }
        let next_before = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok((entries, next_before))
    }

    pub fn setup_token_hash(&self) -> Result<Option<[u8; 32]>, StoreError> {
        let hash: Option<Vec<u8>> = self
            .conn()
            .query_row("SELECT sha256 FROM setup_token WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?;
        hash.map(|h| {
            <[u8; 32]>::try_from(h.as_slice())
                .map_err(|_| StoreError::Corrupt("setup token hash is not 32 bytes".into()))
        })
        .transpose()
    }

    /// Stores `hash` unless a setup token exists already; true when stored.
    pub fn create_setup_token(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO setup_token (id, sha256, created_at) VALUES (1, ?1, ?2)",
            params![hash.as_slice(), rfc3339_utc(SystemTime::now())],
        )?;
        Ok(inserted == 1)
    }

    /// Replaces any setup token: the old one stops working at once.
    pub fn replace_setup_token(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO setup_token (id, sha256, created_at) VALUES (1, ?1, ?2)",
            params![hash.as_slice(), rfc3339_utc(SystemTime::now())],
        )?;
        Ok(())
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if current > MIGRATIONS.len() as i64 {
        return Err(StoreError::TooNew {
            found: current,
            known: MIGRATIONS.len(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if now > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn read_snapshot(conn: &Connection) -> Result<Snapshot, StoreError> {
    let (version, issuer, client_id, auth_method, client_secret, groups_claim, scopes) = conn
        .query_row(
            "SELECT version, issuer, client_id, auth_method, client_secret, groups_claim, scopes
             FROM settings WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                ))
            },
        )?;
    let auth_method = auth_method
        .map(|m| {
            AuthMethod::from_name(&m)
                .ok_or_else(|| StoreError::Corrupt(format!("auth_method {m:?}")))
        })
        .transpose()?;
    let scopes = scopes
        .map(|s| {
            serde_json::from_str::<Vec<String>>(&s)
                .map_err(|e| StoreError::Corrupt(format!("scopes: {e}")))
        })
        .transpose()?;
    Ok(Snapshot {
        version: from_sql_version(version)?,
        settings: StoredSettings {
            issuer,
            client_id,
            auth_method,
            client_secret: client_secret.map(Secret::new),
            groups_claim,
            scopes,
        },
    })
}

fn to_sql_version(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::Corrupt("version overflow".into()))
}

fn from_sql_version(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| StoreError::Corrupt(format!("version {version}")))
}

/// The folder holds the client secret: owner only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// SQLite gives its -wal and -shm files the database file's mode.
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// `2026-11-28T12:00:00Z`: whole seconds, UTC.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (y, m, d).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&tmp.path().join("nested/dir/sso.db")).expect("open");
        (tmp, store)
    }

    fn actor() -> Actor {
        Actor {
            name: "alice@example.com".into(),
            kind: ActorKind::Sso,
            id: Some("https://idp.example.com u-1".into()),
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(1_767_225_600)),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_825_599)),
            "2000-02-29T11:59:59Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(1_795_867_200)),
            "2026-11-28T12:00:00Z"
        );
    }

    #[test]
    fn fresh_store_is_version_zero_and_wal() {
        let (_tmp, store) = store();
        assert_eq!(
            store.load().expect("load"),
            Snapshot {
                version: 0,
                settings: StoredSettings::default()
            }
        );
        let conn = store.conn();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(sync, 2, "FULL");
        let user_version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(user_version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn update_bumps_version_and_audits_changed_fields_only() {
        let (_tmp, store) = store();
        let patch = SettingsPatch {
            issuer: Some(Some("https://idp.example.com".into())),
            client_secret: Some(Some(Secret::new("s3cret"))),
            scopes: Some(Some(vec!["groups".into()])),
            groups_claim: Some(None),
            ..SettingsPatch::default()
        };
        let UpdateOutcome::Changed { snapshot, fields } =
            store.update(0, &patch, &actor()).expect("update")
        else {
            panic!("expected a change");
        };
        assert_eq!(snapshot.version, 1);
        assert_eq!(fields, ["issuer", "client_secret", "scopes"]);
        assert_eq!(store.load().expect("load"), snapshot);

        // Same values again: nothing to do, even with the current version.
        assert_eq!(
            store.update(1, &patch, &actor()).expect("update"),
            UpdateOutcome::Unchanged(snapshot.clone())
        );
        assert_eq!(
            store.update(0, &patch, &actor()).expect("update"),
            UpdateOutcome::Stale { current_version: 1 }
        );
        let (entries, next) = store.audit(20, None).expect("audit");
        assert_eq!(next, None);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].fields, ["issuer", "client_secret", "scopes"]);
        assert_eq!(entries[0].actor, "alice@example.com");
        assert_eq!(entries[0].actor_kind, "sso");
        assert_eq!(
            entries[0].actor_id.as_deref(),
            Some("https://idp.example.com u-1")
        );
        assert_eq!(entries[0].event, "settings_changed");
        assert_eq!(entries[0].version, 1);
    }

    #[test]
    fn moving_to_another_idp_erases_the_stored_secret() {
        let (_tmp, store) = store();
        let first = SettingsPatch {
            issuer: Some(Some("https://idp.example.com".into())),
            client_id: Some(Some("app".into())),
            client_secret: Some(Some(Secret::new("s3cret"))),
            ..SettingsPatch::default()
        };
        store.update(0, &first, &actor()).expect("update");
        for (version, patch) in [
            (
                1,
                SettingsPatch {
                    issuer: Some(Some("https://attacker.example".into())),
                    ..SettingsPatch::default()
                },
            ),
            (
                3,
                SettingsPatch {
                    client_id: Some(Some("other".into())),
                    ..SettingsPatch::default()
                },
            ),
        ] {
            let UpdateOutcome::Changed { snapshot, fields } =
                store.update(version, &patch, &actor()).expect("update")
            else {
                panic!("a change");
            };
            assert_eq!(snapshot.settings.client_secret, None, "{patch:?}");
            assert!(fields.contains(&"client_secret"), "{fields:?}");
            let (entries, _) = store.audit(1, None).expect("audit");
            assert_eq!(entries[0].target.as_deref(), Some(SECRET_ERASED));
            // Put a secret back for the next round.
            store
                .update(
                    version + 1,
                    &SettingsPatch {
                        client_secret: Some(Some(Secret::new("s3cret"))),
                        ..SettingsPatch::default()
                    },
                    &actor(),
                )
                .expect("update");
        }
        // A new secret sent with the move is kept.
        let with_secret = SettingsPatch {
            issuer: Some(Some("https://new.example.com".into())),
            client_secret: Some(Some(Secret::new("new-secret"))),
            ..SettingsPatch::default()
        };
        let UpdateOutcome::Changed { snapshot, .. } =
            store.update(5, &with_secret, &actor()).expect("update")
        else {
            panic!("a change");
        };
        assert_eq!(
            snapshot.settings.client_secret.as_ref().map(Secret::expose),
            Some("new-secret")
        );
        // Other fields leave it alone.
        let scopes = SettingsPatch {
            scopes: Some(Some(vec!["groups".into()])),
            ..SettingsPatch::default()
        };
        let UpdateOutcome::Changed { snapshot, fields } =
            store.update(6, &scopes, &actor()).expect("update")
        else {
            panic!("a change");
        };
        assert!(snapshot.settings.client_secret.is_some());
        assert_eq!(fields, ["scopes"]);
    }

    #[test]
    fn secrets_are_not_in_the_audit_table() {
        let (tmp, store) = store();
        let patch = SettingsPatch {
            client_secret: Some(Some(Secret::new("AUDIT-MUST-NOT-SEE-THIS"))),
            ..SettingsPatch::default()
        };
        store.update(0, &patch, &actor()).expect("update");
        let conn = store.conn();
        let dump: Vec<String> = conn
            .prepare("SELECT at || actor || actor_kind || fields || version FROM audit_log")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(!dump.concat().contains("AUDIT-MUST-NOT-SEE-THIS"));
        drop(tmp);
    }

    #[test]
    fn audit_pages_newest_first() {
        let (_tmp, store) = store();
        for version in 0..5u64 {
            let patch = SettingsPatch {
                client_id: Some(Some(format!("client-{version}"))),
                ..SettingsPatch::default()
            };
            store.update(version, &patch, &actor()).expect("update");
        }
        let (page, next) = store.audit(2, None).expect("audit");
        assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), [5, 4]);
        let (page, next) = store.audit(2, next).expect("audit");
        assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), [3, 2]);
        let (page, next) = store.audit(2, next).expect("audit");
        assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), [1]);
        assert_eq!(next, None);
    }

    #[test]
    fn reopen_keeps_everything_and_does_not_remigrate() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("sso.db");
        {
            let store = Store::open(&path).expect("open");
            let patch = SettingsPatch {
                auth_method: Some(Some(AuthMethod::Implicit)),
                ..SettingsPatch::default()
            };
            store.update(0, &patch, &actor()).expect("update");
            assert!(store.create_setup_token(&[7; 32]).expect("create"));
        }
        let store = Store::open(&path).expect("reopen");
        let snapshot = store.load().expect("load");
        assert_eq!(snapshot.version, 1);
        assert_eq!(snapshot.settings.auth_method, Some(AuthMethod::Implicit));
        assert_eq!(store.setup_token_hash().expect("hash"), Some([7; 32]));
        assert!(!store.create_setup_token(&[8; 32]).expect("create"));
        store.replace_setup_token(&[9; 32]).expect("replace");
        assert_eq!(store.setup_token_hash().expect("hash"), Some([9; 32]));
    }

    #[test]
    fn newer_schema_is_refused() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("sso.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.pragma_update(None, "user_version", 99)
                .expect("pragma");
        }
        let err = Store::open(&path).expect_err("too new");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    }
}
