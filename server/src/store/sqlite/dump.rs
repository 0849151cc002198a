//! `migrate-store`'s side in SQLite: every row out, or every row into an empty file.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{read_snapshot, to_sql_version, SqliteStore};
use crate::store::rows::{hash32, setting_row, whole_audit};
use crate::store::{Dump, DumpedSession, StoreError};

fn time(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("time {value}")))
}

impl SqliteStore {
    pub(super) fn export_rows(&self) -> Result<Dump, StoreError> {
        let settings = {
            let conn = self.conn();
            read_snapshot(&conn)?
        };
        let audit = whole_audit(|limit, before| self.audit(limit, before))?;
        let conn = self.conn();
        let setup_token = conn
            .query_row(
                "SELECT sha256, created_at FROM setup_token WHERE id = 1",
                [],
                |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?)),
            )
            .optional()?
            .map(|(hash, at)| Ok::<_, StoreError>((hash32(&hash, "the setup token hash")?, at)))
            .transpose()?;
        let mut statement = conn.prepare(&format!(
            "SELECT {}, id_hash, id_token FROM sessions ORDER BY id",
            super::sessions::COLUMNS
        ))?;
        let rows = statement.query_map([], |row| {
            Ok((
                super::sessions::read_row(row)?,
                row.get::<_, Vec<u8>>(11)?,
                row.get::<_, Option<String>>(12)?,
            ))
        })?;
        let mut sessions = Vec::new();
        for row in rows {
            let (row, hash, id_token) = row?;
            sessions.push(DumpedSession {
                id_hash: hash32(&hash, "a session's id hash")?,
                row,
                id_token,
            });
        }
        let mut statement = conn.prepare("SELECT sha256, expires_at FROM used_id_tokens")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?))
        })?;
        let mut used_id_tokens = Vec::new();
        for row in rows {
            let (hash, expires_at) = row?;
            used_id_tokens.push((hash32(&hash, "a traded token's hash")?, time(expires_at)?));
        }
        Ok(Dump {
            settings,
            audit,
            setup_token,
            sessions,
            used_id_tokens,
        })
    }

    pub(super) fn import_rows(&self, dump: &Dump) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (version, audit, sessions, token): (i64, i64, i64, i64) = tx.query_row(
            "SELECT (SELECT version FROM settings WHERE id = 1), (SELECT count(*) FROM audit_log),
                    (SELECT count(*) FROM sessions), (SELECT count(*) FROM setup_token)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        if version != 0 || audit + sessions + token > 0 {
            return Err(StoreError::NotEmpty);
        }
        tx.execute(
            "UPDATE settings SET version = ?1 WHERE id = 1",
            params![to_sql_version(dump.settings.version)?],
        )?;
        for (name, value) in &dump.settings.settings {
            if let Some(row) = setting_row(name, value) {
                tx.execute(
                    "INSERT INTO setting_values (name, value) VALUES (?1, ?2)",
                    params![name, row],
                )?;
            }
        }
        for entry in &dump.audit {
            let fields = serde_json::to_string(&entry.fields)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO audit_log (id, at, actor, actor_kind, fields, version, event, actor_id, target)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    entry.id,
                    entry.at,
                    entry.actor,
                    entry.actor_kind.as_str(),
                    fields,
                    to_sql_version(entry.version)?,
                    entry.event.as_str(),
                    entry.actor_id,
                    entry.target,
                ],
            )?;
        }
        if let Some((hash, created_at)) = &dump.setup_token {
            tx.execute(
                "INSERT INTO setup_token (id, sha256, created_at) VALUES (1, ?1, ?2)",
                params![hash.as_slice(), created_at],
            )?;
        }
        for session in &dump.sessions {
            let row = &session.row;
            let (ended_at, reason) = match row.ended {
                Some((at, reason)) => (Some(to_sql_version(at)?), Some(reason.as_str())),
                None => (None, None),
            };
            tx.execute(
                "INSERT INTO sessions (id, id_hash, issuer, client_id, subject, display, info,
                     id_token, signed_in_at, expires_at, last_used_at, ended_at, end_reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    row.id,
                    session.id_hash.as_slice(),
                    row.issuer,
                    row.client_id,
                    row.subject,
                    row.display,
                    row.info,
                    session.id_token,
                    to_sql_version(row.signed_in_at)?,
                    to_sql_version(row.expires_at)?,
                    to_sql_version(row.last_used_at)?,
                    ended_at,
                    reason,
                ],
            )?;
        }
        for (hash, expires_at) in &dump.used_id_tokens {
            tx.execute(
                "INSERT INTO used_id_tokens (sha256, expires_at) VALUES (?1, ?2)",
                params![hash.as_slice(), to_sql_version(*expires_at)?],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
