//! Where sso-server keeps what it must not forget: the settings saved in the admin UI and their
//! version, the audit log, the setup token's hash and the server sessions. One seam, [`Store`],
//! with two implementations: SQLite (one file, one process; the embedded default) and
//! PostgreSQL (several replicas on one database). `server/tests/store.rs` runs one suite on
//! both.
//!
//! Every method is blocking; async callers go through `crate::blocking`
//! (`tokio::task::spawn_blocking`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sso_web::contract::admin::{ActorKind, AuditEntry};

use crate::config::Database;
use crate::settings::{SettingsPatch, Snapshot};

pub mod postgres;
pub mod rows;
pub mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The store's operations. Each is one transaction; writes that must not race (a settings
/// save against its expected version, a token traded once) are decided inside it.
pub trait Store: Send + Sync + fmt::Debug {
    /// What it is, for the start-up line: `SQLite ./data/sso.db`, `PostgreSQL sso at db:5432`
    /// (never a password).
    fn describe(&self) -> String;
    /// The settings' version alone: what each replica checks every second.
    fn version(&self) -> Result<u64, StoreError>;
    fn load(&self) -> Result<Snapshot, StoreError>;
    /// Applies `patch` if the stored version is still `expected_version`, compared inside the
    /// write transaction so two racing writers cannot both win.
    fn update(
        &self,
        expected_version: u64,
        patch: &SettingsPatch,
        actor: &Actor,
    ) -> Result<UpdateOutcome, StoreError>;
    /// Newest first, `limit` entries with ids below `before`; the second value is the `before`
    /// for the next page, if there is one.
    fn audit(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<(Vec<AuditEntry>, Option<i64>), StoreError>;

    fn setup_token_hash(&self) -> Result<Option<[u8; 32]>, StoreError>;
    /// Stores `hash` unless a setup token exists already; true when stored.
    fn create_setup_token(&self, hash: &[u8; 32]) -> Result<bool, StoreError>;
    /// Replaces any setup token: the old one stops working at once.
    fn replace_setup_token(&self, hash: &[u8; 32]) -> Result<(), StoreError>;

    /// Records the ID token as traded and creates the session, in one transaction: of two
    /// racing exchanges of one token, exactly one gets a session. Also audits the sign-in.
    fn create_session(&self, new: &NewSession<'_>, version: u64) -> Result<Created, StoreError>;
    /// The session whose cookie hashes to `id_hash`, ended or not.
    fn session_by_hash(&self, id_hash: &[u8; 32]) -> Result<Option<StoredSession>, StoreError>;
    /// Marks the session used at `now` (for idle expiry and the admin's list).
    fn touch_session(&self, id: i64, now: u64) -> Result<(), StoreError>;
    /// Ends one live session; false when it had ended already (nothing is audited then).
    fn end_session(
        &self,
        id: i64,
        reason: EndReason,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<bool, StoreError>;
    /// The stored ID token of a session, handed out once (then forgotten).
    fn take_id_token_hint(&self, id: i64) -> Result<Option<String>, StoreError>;
    /// Live sessions at `now`, newest first, at most `limit`. `idle` is SSO_SESSION_IDLE in
    /// seconds, when it is on.
    fn active_sessions(
        &self,
        now: u64,
        idle: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredSession>, StoreError>;
    /// Ends every live session but `keep` (the admin's own, if any); audits one entry with
    /// the count when there was any.
    fn end_other_sessions(
        &self,
        keep: Option<i64>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError>;
    /// Ends the live sessions made under another issuer or client ID than these.
    fn end_sessions_not_under(
        &self,
        issuer: Option<&str>,
        client_id: Option<&str>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError>;
    /// Deletes each session once it has been over for as long as it lasted (so an ended
    /// session still answers `session_expired` or `session_revoked` to a cookie the browser
    /// kept that long), and traded ID tokens past their expiry. Returns how many rows of each
    /// went.
    fn purge(&self, now: u64) -> Result<(usize, usize), StoreError>;

    /// Everything, for `migrate-store`.
    fn export(&self) -> Result<Dump, StoreError>;
    /// Writes `dump` into this store, which must hold nothing yet.
    fn import(&self, dump: &Dump) -> Result<(), StoreError>;
}

/// Opens the store `SSO_DATABASE` names, creating and migrating its schema.
pub fn open(database: &Database) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match database {
        Database::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
        Database::Postgres(url) => Arc::new(PgStore::open(url)?),
    })
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

/// What a settings change's audit entry says when it erased the stored secret.
pub const SECRET_ERASED: &str =
    "client secret erased: the issuer or client ID changed, and a secret belongs to one identity provider";

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
    /// PostgreSQL answered with an error; the message names no password.
    Postgres(String),
    /// The database cannot be reached (refused, timed out, all connections busy): answered
    /// `503 store_unavailable`, and retried by the next request.
    Unavailable(String),
    TooNew {
        found: i64,
        known: usize,
    },
    Corrupt(String),
    /// `migrate-store` does not write into a database that holds data already.
    NotEmpty,
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
            Self::Postgres(e) => write!(f, "PostgreSQL error: {e}"),
            Self::Unavailable(why) => write!(f, "the database is unavailable: {why}"),
            Self::TooNew { found, known } => write!(
                f,
                "the database has schema version {found}, but this sso-server knows only up to {known}: it was written by a newer release"
            ),
            Self::Corrupt(what) => write!(f, "the database holds an unexpected value: {what}"),
            Self::NotEmpty => f.write_str(
                "the target database holds data already; migrate-store writes only into an empty one",
            ),
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

/// Why a session ended before its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The user signed out.
    SignedOut,
    /// An administrator ended it.
    Revoked,
    /// The issuer or client ID it was made under is no longer the configured one.
    SettingsChanged,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::Revoked => "revoked",
            Self::SettingsChanged => "settings_changed",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::SignedOut, Self::Revoked, Self::SettingsChanged]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

/// A session to create, with the ID token it is made from.
pub struct NewSession<'a> {
    /// SHA-256 of the cookie value.
    pub id_hash: [u8; 32],
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    /// Who, for people: the audit log and the admin's session list.
    pub display: &'a str,
    /// The session as `GET /api/v1/session` shows it (contract::session::SessionInfo).
    pub info: String,
    /// Kept only to be handed back once, as RP-initiated logout's `id_token_hint`.
    pub id_token: &'a str,
    pub signed_in_at: u64,
    pub expires_at: u64,
    /// SHA-256 of the ID token, remembered until `token_expires_at` so it is traded once.
    pub token_hash: [u8; 32],
    pub token_expires_at: u64,
    /// Recorded as the sign-in's actor.
    pub actor: &'a Actor,
}

impl std::fmt::Debug for NewSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Created {
        id: i64,
    },
    /// This ID token was traded for a session before.
    Replayed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: i64,
    pub issuer: String,
    pub client_id: String,
    pub subject: String,
    pub display: String,
    pub info: String,
    pub signed_in_at: u64,
    pub expires_at: u64,
    pub last_used_at: u64,
    pub ended: Option<(u64, EndReason)>,
}

/// Every row of a store, as `migrate-store` copies it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dump {
    pub settings: Snapshot,
    pub audit: Vec<AuditEntry>,
    pub setup_token: Option<([u8; 32], String)>,
    pub sessions: Vec<DumpedSession>,
    /// SHA-256 and expiry of each ID token already traded.
    pub used_id_tokens: Vec<([u8; 32], u64)>,
}

/// A session row with everything a store keeps of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedSession {
    pub id_hash: [u8; 32],
    pub row: StoredSession,
    pub id_token: Option<String>,
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
