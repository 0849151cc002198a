//! The store on PostgreSQL, for several replicas on one database: the same rows as SQLite,
//! with the decisions that must not race (a save against its expected version, a token traded
//! once, the first setup token) made inside one transaction with row locks or `ON CONFLICT`.
//!
//! The synchronous `postgres` client (tokio-postgres underneath), because every store method
//! is already called off the async runtime (`crate::blocking`), and a small pool of our own:
//! it fails fast when the database is away (one connection attempt, `connect_timeout` 2 s by
//! default) and hands out a fresh connection once it is back, so the server recovers without
//! a restart. Schema migrations are numbered SQL files (`migrations/`), run at start-up under
//! a transaction-scoped advisory lock, so two replicas starting at once never both run them.

mod pool;
mod tls;
pub mod url;

use std::time::SystemTime;

use postgres::{Row, Transaction};
use sso_web::contract::admin::{ActorKind, AuditEntry, AuditEvent};

use self::pool::Pool;
pub use self::url::PgUrl;
use super::rows::{hash32, plan_save, setting_row, settings_from_rows, whole_audit, Save};
use super::{
    rfc3339_utc, Actor, Created, Dump, DumpedSession, EndReason, NewSession, Store, StoreError,
    StoredSession, UpdateOutcome, SECRET_ERASED,
};
use crate::settings::{SettingsPatch, Snapshot};

/// Each entry upgrades the schema by one version; never edit a released one, append.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_init.sql")];

/// The advisory lock migrations run under (any constant the database does not use otherwise).
const MIGRATION_LOCK: i64 = 0x5550_5f73_736f_6d67;

/// Connections one replica keeps at most.
pub const MAX_CONNECTIONS: usize = 16;

pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore({})", self.pool.url())
    }
}

/// `postgres::Error` as the store reports it: a database that cannot be reached (or is
/// shutting down) is `Unavailable`, anything else an error of the statement.
pub(crate) fn pg(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        // 08: connection exception; 57P0x: shutting down, cannot connect now; 53: out of
        // resources (too many connections).
        if code.starts_with("08") || code.starts_with("57P") || code.starts_with("53") {
            return StoreError::Unavailable(format!("{} ({code})", db.message()));
        }
        return StoreError::Postgres(format!("{} ({code})", db.message()));
    }
    if e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Postgres(e.to_string())
}

fn i64_of(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{value} overflows")))
}

fn u64_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{value} is negative")))
}

/// The session columns `read_session` reads, in its order (a macro, so that prepared
/// statements can be `&'static str` built with `concat!`).
macro_rules! session_columns {
    () => {
        "id, issuer, client_id, subject, display, info, signed_in_at, expires_at,
    last_used_at, ended_at, end_reason"
    };
}
const COLUMNS: &str = session_columns!();

fn read_session(row: &Row) -> Result<StoredSession, StoreError> {
    let ended_at: Option<i64> = row.try_get(9).map_err(pg)?;
    let reason: Option<String> = row.try_get(10).map_err(pg)?;
    let ended = match ended_at {
        // An ended row without a known reason still counts as ended.
        Some(at) => Some((
            u64_of(at)?,
            reason
                .as_deref()
                .and_then(EndReason::from_name)
                .unwrap_or(EndReason::Revoked),
        )),
        None => None,
    };
    Ok(StoredSession {
        id: row.try_get(0).map_err(pg)?,
        issuer: row.try_get(1).map_err(pg)?,
        client_id: row.try_get(2).map_err(pg)?,
        subject: row.try_get(3).map_err(pg)?,
        display: row.try_get(4).map_err(pg)?,
        info: row.try_get(5).map_err(pg)?,
        signed_in_at: u64_of(row.try_get(6).map_err(pg)?)?,
        expires_at: u64_of(row.try_get(7).map_err(pg)?)?,
        last_used_at: u64_of(row.try_get(8).map_err(pg)?)?,
        ended,
    })
}

/// One audit row, inside the caller's transaction.
fn insert_audit(
    tx: &mut Transaction<'_>,
    actor: &Actor,
    event: AuditEvent,
    fields: &[&str],
    version: u64,
    target: Option<&str>,
) -> Result<(), StoreError> {
    let field_list =
        serde_json::to_string(fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO audit_log (at, actor, actor_kind, fields, version, event, actor_id, target)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &rfc3339_utc(SystemTime::now()),
            &actor.name,
            &actor.kind.as_str(),
            &field_list,
            &i64_of(version)?,
            &event.as_str(),
            &actor.id,
            &target,
        ],
    )
    .map_err(pg)?;
    Ok(())
}

fn read_snapshot(tx: &mut Transaction<'_>, lock: bool) -> Result<Snapshot, StoreError> {
    let query = if lock {
        "SELECT version FROM settings WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT version FROM settings WHERE id = 1"
    };
    let version: i64 = tx.query_one(query, &[]).map_err(pg)?.get(0);
    let rows = tx
        .query("SELECT name, value FROM setting_values", &[])
        .map_err(pg)?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)));
    let settings = settings_from_rows(rows)?;
    Ok(Snapshot {
        version: u64_of(version)?,
        settings,
    })
}

fn migrate(client: &mut postgres::Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .map_err(pg)?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(max(version), 0) FROM schema_migrations",
            &[],
        )
        .map_err(pg)?
        .get(0);
    let current = usize::try_from(current).unwrap_or(0);
    if current > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            found: current as i64,
            known: MIGRATIONS.len(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.batch_execute(sql).map_err(pg)?;
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .map_err(pg)?;
    }
    tx.commit().map_err(pg)
}

impl PgStore {
    /// Connects and migrates; an unreachable database is an error here (the process should
    /// not start half-configured), unlike later, when it is `503` and retried.
    pub fn open(url: &PgUrl) -> Result<Self, StoreError> {
        let pool = Pool::new(url.clone(), MAX_CONNECTIONS)?;
        migrate(&mut *pool.get()?)?;
        Ok(Self { pool })
    }

    /// Runs `work` in one transaction.
    fn tx<T>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction().map_err(pg)?;
        let value = work(&mut tx)?;
        tx.commit().map_err(pg)?;
        Ok(value)
    }

    /// Ends the sessions `filter` picks; one audit entry with the count when there were any.
    fn end_many(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        event: AuditEvent,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        self.tx(|tx| {
            let ended = tx.execute(sql, params).map_err(pg)? as usize;
            if ended > 0 {
                let count = format!("{ended} session(s)");
                insert_audit(tx, actor, event, &[], version, Some(&count))?;
            }
            Ok(ended)
        })
    }
}

impl Store for PgStore {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.pool.url())
    }

    fn version(&self) -> Result<u64, StoreError> {
        let mut conn = self.pool.get()?;
        let statement = conn
            .prepared("SELECT version FROM settings WHERE id = 1")
            .map_err(pg)?;
        let row = conn.query_one(&statement, &[]).map_err(pg)?;
        u64_of(row.get(0))
    }

    fn load(&self) -> Result<Snapshot, StoreError> {
        self.tx(|tx| read_snapshot(tx, false))
    }

    fn update(
        &self,
        expected_version: u64,
        patch: &SettingsPatch,
        actor: &Actor,
    ) -> Result<UpdateOutcome, StoreError> {
        self.tx(|tx| {
            // The row lock makes racing saves wait here, then see the winner's version.
            let current = read_snapshot(tx, true)?;
            let write = match plan_save(current, expected_version, patch) {
                Save::Answer(outcome) => return Ok(outcome),
                Save::Write(write) => write,
            };
            tx.execute(
                "UPDATE settings SET version = $1, updated_at = $2 WHERE id = 1",
                &[&i64_of(write.version)?, &rfc3339_utc(SystemTime::now())],
            )
            .map_err(pg)?;
            for (name, row) in write.rows() {
                match row {
                    Some(value) => tx.execute(
                        "INSERT INTO setting_values (name, value) VALUES ($1, $2)
                         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                        &[&name, &value],
                    ),
                    None => tx.execute("DELETE FROM setting_values WHERE name = $1", &[&name]),
                }
                .map_err(pg)?;
            }
            insert_audit(
                tx,
                actor,
                AuditEvent::SettingsChanged,
                &write.fields,
                write.version,
                write.erased_secret.then_some(SECRET_ERASED),
            )?;
            Ok(write.into_outcome())
        })
    }

    fn audit(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<(Vec<AuditEntry>, Option<i64>), StoreError> {
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT id, at, actor, actor_kind, fields, version, event, actor_id, target
                 FROM audit_log WHERE $1::BIGINT IS NULL OR id < $1 ORDER BY id DESC LIMIT $2",
                &[&before, &(i64::from(limit) + 1)],
            )
            .map_err(pg)?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.get(0);
            let kind: String = row.get(3);
            let fields: String = row.get(4);
            let event: String = row.get(6);
            entries.push(AuditEntry {
                id,
                at: row.get(1),
                event: AuditEvent::from_name(&event),
                actor: row.get(2),
                actor_kind: ActorKind::from_name(&kind).ok_or_else(|| {
                    StoreError::Corrupt(format!("audit entry {id} actor_kind {kind:?}"))
                })?,
                actor_id: row.get(7),
                target: row.get(8),
                fields: serde_json::from_str(&fields)
                    .map_err(|e| StoreError::Corrupt(format!("audit entry {id} fields: {e}")))?,
                version: u64_of(row.get(5))?,
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

    fn setup_token_hash(&self) -> Result<Option<[u8; 32]>, StoreError> {
        let mut conn = self.pool.get()?;
        let statement = conn
            .prepared("SELECT sha256 FROM setup_token WHERE id = 1")
            .map_err(pg)?;
        let row = conn.query_opt(&statement, &[]).map_err(pg)?;
        row.map(|row| hash32(row.get::<_, &[u8]>(0), "the setup token hash"))
            .transpose()
    }

    fn create_setup_token(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        let inserted = self
            .pool
            .get()?
            .execute(
                "INSERT INTO setup_token (id, sha256, created_at) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO NOTHING",
                &[&hash.as_slice(), &rfc3339_utc(SystemTime::now())],
            )
            .map_err(pg)?;
        Ok(inserted == 1)
    }

    fn replace_setup_token(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        self.pool
            .get()?
            .execute(
                "INSERT INTO setup_token (id, sha256, created_at) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256,
                     created_at = excluded.created_at",
                &[&hash.as_slice(), &rfc3339_utc(SystemTime::now())],
            )
            .map_err(pg)?;
        Ok(())
    }

    fn create_session(&self, new: &NewSession<'_>, version: u64) -> Result<Created, StoreError> {
        self.tx(|tx| {
            let fresh = tx
                .execute(
                    "INSERT INTO used_id_tokens (sha256, expires_at) VALUES ($1, $2)
                     ON CONFLICT (sha256) DO NOTHING",
                    &[&new.token_hash.as_slice(), &i64_of(new.token_expires_at)?],
                )
                .map_err(pg)?;
            if fresh == 0 {
                return Ok(Created::Replayed);
            }
            let signed_in_at = i64_of(new.signed_in_at)?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO sessions (id_hash, issuer, client_id, subject, display, info,
                         id_token, signed_in_at, expires_at, last_used_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id",
                    &[
                        &new.id_hash.as_slice(),
                        &new.issuer,
                        &new.client_id,
                        &new.subject,
                        &new.display,
                        &new.info,
                        &new.id_token,
                        &signed_in_at,
                        &i64_of(new.expires_at)?,
                    ],
                )
                .map_err(pg)?
                .get(0);
            insert_audit(
                tx,
                new.actor,
                AuditEvent::SignIn,
                &[],
                version,
                Some(new.display),
            )?;
            Ok(Created::Created { id })
        })
    }

    fn session_by_hash(&self, id_hash: &[u8; 32]) -> Result<Option<StoredSession>, StoreError> {
        let mut conn = self.pool.get()?;
        let statement = conn
            .prepared(concat!(
                "SELECT ",
                session_columns!(),
                " FROM sessions WHERE id_hash = $1"
            ))
            .map_err(pg)?;
        conn.query_opt(&statement, &[&id_hash.as_slice()])
            .map_err(pg)?
            .map(|row| read_session(&row))
            .transpose()
    }

    fn touch_session(&self, id: i64, now: u64) -> Result<(), StoreError> {
        let mut conn = self.pool.get()?;
        let statement = conn
            .prepared("UPDATE sessions SET last_used_at = $2 WHERE id = $1 AND last_used_at < $2")
            .map_err(pg)?;
        conn.execute(&statement, &[&id, &i64_of(now)?])
            .map_err(pg)?;
        Ok(())
    }

    fn end_session(
        &self,
        id: i64,
        reason: EndReason,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<bool, StoreError> {
        self.tx(|tx| {
            let row = tx
                .query_opt(
                    "UPDATE sessions SET ended_at = $2, end_reason = $3
                     WHERE id = $1 AND ended_at IS NULL RETURNING display",
                    &[&id, &i64_of(now)?, &reason.as_str()],
                )
                .map_err(pg)?;
            let Some(row) = row else {
                return Ok(false);
            };
            let display: String = row.get(0);
            let event = match reason {
                EndReason::SignedOut => AuditEvent::SignOut,
                EndReason::Revoked | EndReason::SettingsChanged => AuditEvent::SessionRevoked,
            };
            insert_audit(tx, actor, event, &[], version, Some(&display))?;
            Ok(true)
        })
    }

    fn take_id_token_hint(&self, id: i64) -> Result<Option<String>, StoreError> {
        self.tx(|tx| {
            // The old value, from the row as it was before this update (one statement, so two
            // racing sign-outs cannot both read it).
            let row = tx
                .query_opt(
                    "UPDATE sessions AS s SET id_token = NULL
                     FROM (SELECT id, id_token FROM sessions WHERE id = $1 FOR UPDATE) AS old
                     WHERE s.id = old.id RETURNING old.id_token",
                    &[&id],
                )
                .map_err(pg)?;
            Ok(row.and_then(|row| row.get::<_, Option<String>>(0)))
        })
    }

    fn active_sessions(
        &self,
        now: u64,
        idle: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredSession>, StoreError> {
        let idle = idle.map(i64_of).transpose()?;
        let rows = self
            .pool
            .get()?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM sessions
                     WHERE ended_at IS NULL AND expires_at > $1
                       AND ($2::BIGINT IS NULL OR last_used_at + $2 > $1)
                     ORDER BY id DESC LIMIT $3"
                ),
                &[&i64_of(now)?, &idle, &i64::from(limit)],
            )
            .map_err(pg)?;
        rows.iter().map(read_session).collect()
    }

    fn end_other_sessions(
        &self,
        keep: Option<i64>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        self.end_many(
            "UPDATE sessions SET ended_at = $2, end_reason = 'revoked'
             WHERE ended_at IS NULL AND ($1::BIGINT IS NULL OR id != $1)",
            &[&keep, &i64_of(now)?],
            AuditEvent::OtherSessionsRevoked,
            actor,
            version,
        )
    }

    fn end_sessions_not_under(
        &self,
        issuer: Option<&str>,
        client_id: Option<&str>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        self.end_many(
            "UPDATE sessions SET ended_at = $3, end_reason = 'settings_changed'
             WHERE ended_at IS NULL
               AND ($1::TEXT IS NULL OR $2::TEXT IS NULL OR issuer != $1 OR client_id != $2)",
            &[&issuer, &client_id, &i64_of(now)?],
            AuditEvent::SessionsEndedBySettings,
            actor,
            version,
        )
    }

    fn purge(&self, now: u64) -> Result<(usize, usize), StoreError> {
        let mut conn = self.pool.get()?;
        let now = i64_of(now)?;
        let sessions = conn
            .execute(
                "DELETE FROM sessions WHERE 2 * expires_at - signed_in_at < $1",
                &[&now],
            )
            .map_err(pg)?;
        let tokens = conn
            .execute("DELETE FROM used_id_tokens WHERE expires_at < $1", &[&now])
            .map_err(pg)?;
        Ok((sessions as usize, tokens as usize))
    }

    fn export(&self) -> Result<Dump, StoreError> {
        let audit = whole_audit(|limit, before| self.audit(limit, before))?;
        self.tx(|tx| {
            let settings = read_snapshot(tx, false)?;
            let setup_token = tx
                .query_opt(
                    "SELECT sha256, created_at FROM setup_token WHERE id = 1",
                    &[],
                )
                .map_err(pg)?
                .map(|row| {
                    Ok::<_, StoreError>((
                        hash32(row.get::<_, &[u8]>(0), "the setup token hash")?,
                        row.get::<_, String>(1),
                    ))
                })
                .transpose()?;
            let mut sessions = Vec::new();
            for row in tx
                .query(
                    &format!("SELECT {COLUMNS}, id_hash, id_token FROM sessions ORDER BY id"),
                    &[],
                )
                .map_err(pg)?
            {
                sessions.push(DumpedSession {
                    id_hash: hash32(row.get::<_, &[u8]>(11), "a session's id hash")?,
                    row: read_session(&row)?,
                    id_token: row.get(12),
                });
            }
            let mut used_id_tokens = Vec::new();
            for row in tx
                .query("SELECT sha256, expires_at FROM used_id_tokens", &[])
                .map_err(pg)?
            {
                used_id_tokens.push((
                    hash32(row.get::<_, &[u8]>(0), "a traded token's hash")?,
                    u64_of(row.get(1))?,
                ));
            }
            Ok(Dump {
                settings,
                audit,
                setup_token,
                sessions,
                used_id_tokens,
            })
        })
    }

    fn import(&self, dump: &Dump) -> Result<(), StoreError> {
        self.tx(|tx| {
            let row = tx
                .query_one(
                    "SELECT (SELECT version FROM settings WHERE id = 1),
                            (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM sessions)
                              + (SELECT count(*) FROM setup_token)",
                    &[],
                )
                .map_err(pg)?;
            let (version, rows): (i64, i64) = (row.get(0), row.get(1));
            if version != 0 || rows > 0 {
                return Err(StoreError::NotEmpty);
            }
            tx.execute(
                "UPDATE settings SET version = $1 WHERE id = 1",
                &[&i64_of(dump.settings.version)?],
            )
            .map_err(pg)?;
            for (name, value) in &dump.settings.settings {
                if let Some(row) = setting_row(name, value) {
                    tx.execute(
                        "INSERT INTO setting_values (name, value) VALUES ($1, $2)",
                        &[name, &row],
                    )
                    .map_err(pg)?;
                }
            }
            for entry in &dump.audit {
                let fields = serde_json::to_string(&entry.fields)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                tx.execute(
                    "INSERT INTO audit_log (id, at, actor, actor_kind, fields, version, event,
                         actor_id, target)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        &entry.id,
                        &entry.at,
                        &entry.actor,
                        &entry.actor_kind.as_str(),
                        &fields,
                        &i64_of(entry.version)?,
                        &entry.event.as_str(),
                        &entry.actor_id,
                        &entry.target,
                    ],
                )
                .map_err(pg)?;
            }
            if let Some((hash, created_at)) = &dump.setup_token {
                tx.execute(
                    "INSERT INTO setup_token (id, sha256, created_at) VALUES (1, $1, $2)",
                    &[&hash.as_slice(), created_at],
                )
                .map_err(pg)?;
            }
            for session in &dump.sessions {
                let row = &session.row;
                let (ended_at, reason) = match row.ended {
                    Some((at, reason)) => (Some(i64_of(at)?), Some(reason.as_str())),
                    None => (None, None),
                };
                tx.execute(
                    "INSERT INTO sessions (id, id_hash, issuer, client_id, subject, display, info,
                         id_token, signed_in_at, expires_at, last_used_at, ended_at, end_reason)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    &[
                        &row.id,
                        &session.id_hash.as_slice(),
                        &row.issuer,
                        &row.client_id,
                        &row.subject,
                        &row.display,
                        &row.info,
                        &session.id_token,
                        &i64_of(row.signed_in_at)?,
                        &i64_of(row.expires_at)?,
                        &i64_of(row.last_used_at)?,
                        &ended_at,
                        &reason,
                    ],
                )
                .map_err(pg)?;
            }
            for (hash, expires_at) in &dump.used_id_tokens {
                tx.execute(
                    "INSERT INTO used_id_tokens (sha256, expires_at) VALUES ($1, $2)",
                    &[&hash.as_slice(), &i64_of(*expires_at)?],
                )
                .map_err(pg)?;
            }
            // The ids were copied; new rows continue after them.
            tx.batch_execute(
                "SELECT setval(pg_get_serial_sequence('audit_log', 'id'),
                               COALESCE((SELECT max(id) FROM audit_log), 0) + 1, false);
                 SELECT setval(pg_get_serial_sequence('sessions', 'id'),
                               COALESCE((SELECT max(id) FROM sessions), 0) + 1, false);",
            )
            .map_err(pg)?;
            Ok(())
        })
    }
}
