//! The store in one SQLite file, for one process (WAL, synchronous=FULL, schema versioned by
//! `PRAGMA user_version`): the embedded default.
//!
//! Every method is blocking; async callers go through `tokio::task::spawn_blocking`.
//! One connection behind a mutex serialises this process's writes, and
//! `BEGIN IMMEDIATE` serialises them with another process on the same file
//! (`sso-server reset-setup-token` while the server runs).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use sso_web::contract::admin::{ActorKind, AuditEntry, AuditEvent};

use super::rows::{hash32, plan_save, settings_from_rows, Save};
use super::{
    rfc3339_utc, Actor, Created, Dump, EndReason, NewSession, Store, StoreError, StoredSession,
    UpdateOutcome, SECRET_ERASED,
};
use crate::settings::{SettingsPatch, Snapshot};

mod dump;
mod sessions;

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
    // One row per saved setting, its value as JSON: a setting added to the table needs no
    // migration. The secret moves with the rest and leaves no copy in `settings`.
    "
    CREATE TABLE setting_values (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO setting_values (name, value)
        SELECT 'issuer', json_quote(issuer) FROM settings WHERE id = 1 AND issuer IS NOT NULL
        UNION ALL SELECT 'client_id', json_quote(client_id) FROM settings WHERE id = 1 AND client_id IS NOT NULL
        UNION ALL SELECT 'auth_method', json_quote(auth_method) FROM settings WHERE id = 1 AND auth_method IS NOT NULL
        UNION ALL SELECT 'client_secret', json_quote(client_secret) FROM settings WHERE id = 1 AND client_secret IS NOT NULL
        UNION ALL SELECT 'groups_claim', json_quote(groups_claim) FROM settings WHERE id = 1 AND groups_claim IS NOT NULL
        UNION ALL SELECT 'scopes', scopes FROM settings WHERE id = 1 AND scopes IS NOT NULL;
    ALTER TABLE settings DROP COLUMN issuer;
    ALTER TABLE settings DROP COLUMN client_id;
    ALTER TABLE settings DROP COLUMN auth_method;
    ALTER TABLE settings DROP COLUMN client_secret;
    ALTER TABLE settings DROP COLUMN groups_claim;
    ALTER TABLE settings DROP COLUMN scopes;
",
];

/// How long a write waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
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

    pub fn version(&self) -> Result<u64, StoreError> {
        let version: i64 =
            self.conn()
                .query_row("SELECT version FROM settings WHERE id = 1", [], |row| {
                    row.get(0)
                })?;
        from_sql_version(version)
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
        let write = match plan_save(read_snapshot(&tx)?, expected_version, patch) {
            Save::Answer(outcome) => return Ok(outcome),
            Save::Write(write) => write,
        };
        tx.execute(
            "UPDATE settings SET version = ?1, updated_at = ?2 WHERE id = 1",
            params![
                to_sql_version(write.version)?,
                rfc3339_utc(SystemTime::now())
            ],
        )?;
        for (name, row) in write.rows() {
            match row {
                Some(value) => tx.execute(
                    "INSERT INTO setting_values (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    params![name, value],
                ),
                None => tx.execute("DELETE FROM setting_values WHERE name = ?1", params![name]),
            }?;
        }
        insert_audit(
            &tx,
            actor,
            AuditEvent::SettingsChanged,
            &write.fields,
            write.version,
            write.erased_secret.then_some(SECRET_ERASED),
        )?;
        tx.commit()?;
        Ok(write.into_outcome())
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
            let actor_kind = ActorKind::from_name(&actor_kind).ok_or_else(|| {
                StoreError::Corrupt(format!("audit entry {id} actor_kind {actor_kind:?}"))
            })?;
            entries.push(AuditEntry {
                id,
                at,
                event: AuditEvent::from_name(&event),
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
        hash.map(|h| hash32(&h, "the setup token hash")).transpose()
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

impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite {}", self.path.display())
    }

    fn version(&self) -> Result<u64, StoreError> {
        SqliteStore::version(self)
    }

    fn load(&self) -> Result<Snapshot, StoreError> {
        SqliteStore::load(self)
    }

    fn update(
        &self,
        expected_version: u64,
        patch: &SettingsPatch,
        actor: &Actor,
    ) -> Result<UpdateOutcome, StoreError> {
        SqliteStore::update(self, expected_version, patch, actor)
    }

    fn audit(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<(Vec<AuditEntry>, Option<i64>), StoreError> {
        SqliteStore::audit(self, limit, before)
    }

    fn setup_token_hash(&self) -> Result<Option<[u8; 32]>, StoreError> {
        SqliteStore::setup_token_hash(self)
    }

    fn create_setup_token(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        SqliteStore::create_setup_token(self, hash)
    }

    fn replace_setup_token(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        SqliteStore::replace_setup_token(self, hash)
    }

    fn create_session(&self, new: &NewSession<'_>, version: u64) -> Result<Created, StoreError> {
        SqliteStore::create_session(self, new, version)
    }

    fn session_by_hash(&self, id_hash: &[u8; 32]) -> Result<Option<StoredSession>, StoreError> {
        SqliteStore::session_by_hash(self, id_hash)
    }

    fn touch_session(&self, id: i64, now: u64) -> Result<(), StoreError> {
        SqliteStore::touch_session(self, id, now)
    }

    fn end_session(
        &self,
        id: i64,
        reason: EndReason,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<bool, StoreError> {
        SqliteStore::end_session(self, id, reason, now, actor, version)
    }

    fn take_id_token_hint(&self, id: i64) -> Result<Option<String>, StoreError> {
        SqliteStore::take_id_token_hint(self, id)
    }

    fn active_sessions(
        &self,
        now: u64,
        idle: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredSession>, StoreError> {
        SqliteStore::active_sessions(self, now, idle, limit)
    }

    fn end_other_sessions(
        &self,
        keep: Option<i64>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        SqliteStore::end_other_sessions(self, keep, now, actor, version)
    }

    fn end_sessions_not_under(
        &self,
        issuer: Option<&str>,
        client_id: Option<&str>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        SqliteStore::end_sessions_not_under(self, issuer, client_id, now, actor, version)
    }

    fn purge(&self, now: u64) -> Result<(usize, usize), StoreError> {
        SqliteStore::purge(self, now)
    }

    fn export(&self) -> Result<Dump, StoreError> {
        self.export_rows()
    }

    fn import(&self, dump: &Dump) -> Result<(), StoreError> {
        self.import_rows(dump)
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
    let version: i64 = conn.query_row("SELECT version FROM settings WHERE id = 1", [], |row| {
        row.get(0)
    })?;
    let mut statement = conn.prepare_cached("SELECT name, value FROM setting_values")?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<(String, String)>, _>>()?;
    let settings = settings_from_rows(rows)?;
    Ok(Snapshot {
        version: from_sql_version(version)?,
        settings,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::StoredSettings;
    use sso_web::contract::settings::{Secret, Value};
    use std::time::{Duration, UNIX_EPOCH};

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&tmp.path().join("nested/dir/sso.db")).expect("open");
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

    fn text(value: &str) -> Option<Value> {
        Some(Value::Text(value.into()))
    }

    fn secret(value: &str) -> Option<Value> {
        Some(Value::Secret(Secret::new(value)))
    }

    fn patch(members: &[(&'static str, Option<Value>)]) -> SettingsPatch {
        SettingsPatch(members.iter().cloned().collect())
    }

    #[test]
    fn secrets_are_not_in_the_audit_table() {
        let (tmp, store) = store();
        let patch = patch(&[("client_secret", secret("AUDIT-MUST-NOT-SEE-THIS"))]);
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
    fn reopen_keeps_everything_and_does_not_remigrate() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("sso.db");
        {
            let store = SqliteStore::open(&path).expect("open");
            let patch = patch(&[("auth_method", text("implicit"))]);
            store.update(0, &patch, &actor()).expect("update");
            assert!(store.create_setup_token(&[7; 32]).expect("create"));
        }
        let store = SqliteStore::open(&path).expect("reopen");
        let snapshot = store.load().expect("load");
        assert_eq!(snapshot.version, 1);
        assert_eq!(
            snapshot.settings.get("auth_method"),
            text("implicit").as_ref()
        );
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
        let err = SqliteStore::open(&path).expect_err("too new");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    }

    #[test]
    fn settings_saved_by_the_previous_release_move_to_one_row_each() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("sso.db");
        {
            let mut conn = Connection::open(&path).expect("open");
            let tx = conn.transaction().expect("tx");
            for sql in &MIGRATIONS[..2] {
                tx.execute_batch(sql).expect("old schema");
            }
            tx.pragma_update(None, "user_version", 2).expect("pragma");
            tx.execute(
                "UPDATE settings SET version = 4, issuer = 'https://idp.example.com',
                     client_id = 'app', auth_method = 'implicit', client_secret = 's3\"cret',
                     groups_claim = 'roles', scopes = '[\"groups\",\"offline_access\"]'
                 WHERE id = 1",
                [],
            )
            .expect("old row");
            tx.commit().expect("commit");
        }
        let store = SqliteStore::open(&path).expect("migrate");
        let snapshot = store.load().expect("load");
        assert_eq!(snapshot.version, 4);
        let expected: StoredSettings = [
            ("issuer", Value::Text("https://idp.example.com".into())),
            ("client_id", Value::Text("app".into())),
            ("auth_method", Value::Text("implicit".into())),
            ("client_secret", Value::Secret(Secret::new("s3\"cret"))),
            ("groups_claim", Value::Text("roles".into())),
            (
                "scopes",
                Value::List(vec!["groups".into(), "offline_access".into()]),
            ),
        ]
        .into();
        assert_eq!(snapshot.settings, expected);
        // The old columns are gone, with the secret's old copy.
        let columns: Vec<String> = store
            .conn()
            .prepare("SELECT name FROM pragma_table_info('settings')")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(columns, ["id", "version", "updated_at"]);
    }
}
