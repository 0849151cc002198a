//! Server sessions in SQLite, and the ID tokens already traded for one.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::{insert_audit, SqliteStore};
use crate::store::{Actor, Created, EndReason, NewSession, StoreError, StoredSession};
use sso_web::contract::admin::AuditEvent;

pub(super) const COLUMNS: &str =
    "id, issuer, client_id, subject, display, info, signed_in_at, expires_at,
    last_used_at, ended_at, end_reason";

fn secs(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("time {value} overflows")))
}

pub(super) fn read_row(row: &Row<'_>) -> rusqlite::Result<StoredSession> {
    let time = |index: usize| -> rusqlite::Result<u64> {
        let value: i64 = row.get(index)?;
        u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(index, value))
    };
    let ended_at: Option<i64> = row.get(9)?;
    let reason: Option<String> = row.get(10)?;
    let ended = match (ended_at, reason.as_deref().and_then(EndReason::from_name)) {
        (Some(at), Some(reason)) => Some((u64::try_from(at).unwrap_or(0), reason)),
        // An ended row without a known reason still counts as ended.
        (Some(at), None) => Some((u64::try_from(at).unwrap_or(0), EndReason::Revoked)),
        (None, _) => None,
    };
    Ok(StoredSession {
        id: row.get(0)?,
        issuer: row.get(1)?,
        client_id: row.get(2)?,
        subject: row.get(3)?,
        display: row.get(4)?,
        info: row.get(5)?,
        signed_in_at: time(6)?,
        expires_at: time(7)?,
        last_used_at: time(8)?,
        ended,
    })
}

impl SqliteStore {
    /// Records the ID token as traded and creates the session, in one transaction: of two
    /// racing exchanges of one token, exactly one gets a session. Also audits the sign-in.
    pub fn create_session(
        &self,
        new: &NewSession<'_>,
        version: u64,
    ) -> Result<Created, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let fresh = tx.execute(
            "INSERT OR IGNORE INTO used_id_tokens (sha256, expires_at) VALUES (?1, ?2)",
            params![new.token_hash.as_slice(), secs(new.token_expires_at)?],
        )?;
        if fresh == 0 {
            return Ok(Created::Replayed);
        }
        tx.execute(
            "INSERT INTO sessions (id_hash, issuer, client_id, subject, display, info, id_token,
                 signed_in_at, expires_at, last_used_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)",
            params![
                new.id_hash.as_slice(),
                new.issuer,
                new.client_id,
                new.subject,
                new.display,
                new.info,
                new.id_token,
                secs(new.signed_in_at)?,
                secs(new.expires_at)?,
            ],
        )?;
        let id = tx.last_insert_rowid();
        insert_audit(
            &tx,
            new.actor,
            AuditEvent::SignIn,
            &[],
            version,
            Some(new.display),
        )?;
        tx.commit()?;
        Ok(Created::Created { id })
    }

    /// The session whose cookie hashes to `id_hash`, ended or not.
    pub fn session_by_hash(&self, id_hash: &[u8; 32]) -> Result<Option<StoredSession>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE id_hash = ?1"
        ))?;
        Ok(statement
            .query_row(params![id_hash.as_slice()], read_row)
            .optional()?)
    }

    /// Marks the session used at `now` (for idle expiry and the admin's list).
    pub fn touch_session(&self, id: i64, now: u64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE sessions SET last_used_at = ?2 WHERE id = ?1 AND last_used_at < ?2",
            params![id, secs(now)?],
        )?;
        Ok(())
    }

    /// Ends one live session; false when it had ended already (nothing is audited then).
    pub fn end_session(
        &self,
        id: i64,
        reason: EndReason,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let display: Option<String> = tx
            .query_row(
                "UPDATE sessions SET ended_at = ?2, end_reason = ?3
                 WHERE id = ?1 AND ended_at IS NULL RETURNING display",
                params![id, secs(now)?, reason.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        let Some(display) = display else {
            return Ok(false);
        };
        let event = match reason {
            EndReason::SignedOut => AuditEvent::SignOut,
            EndReason::Revoked | EndReason::SettingsChanged => AuditEvent::SessionRevoked,
        };
        insert_audit(&tx, actor, event, &[], version, Some(&display))?;
        tx.commit()?;
        Ok(true)
    }

    /// The stored ID token of a session, handed out once (then forgotten).
    pub fn take_id_token_hint(&self, id: i64) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let token: Option<String> = tx
            .query_row(
                "SELECT id_token FROM sessions WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        tx.execute(
            "UPDATE sessions SET id_token = NULL WHERE id = ?1",
            params![id],
        )?;
        tx.commit()?;
        Ok(token)
    }

    /// Live sessions at `now`, newest first, at most `limit`. `idle` is SSO_SESSION_IDLE in
    /// seconds, when it is on.
    pub fn active_sessions(
        &self,
        now: u64,
        idle: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredSession>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions
             WHERE ended_at IS NULL AND expires_at > ?1 AND (?2 IS NULL OR last_used_at + ?2 > ?1)
             ORDER BY id DESC LIMIT ?3"
        ))?;
        let idle = idle.map(secs).transpose()?;
        let rows = statement.query_map(params![secs(now)?, idle, limit], read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ends every live session but `keep` (the admin's own, if any); audits one entry with
    /// the count when there was any.
    pub fn end_other_sessions(
        &self,
        keep: Option<i64>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        self.end_many(
            "UPDATE sessions SET ended_at = ?2, end_reason = 'revoked'
             WHERE ended_at IS NULL AND (?1 IS NULL OR id != ?1)",
            params![keep, secs(now)?],
            AuditEvent::OtherSessionsRevoked,
            actor,
            version,
        )
    }

    /// Ends the live sessions made under another issuer or client ID than these.
    pub fn end_sessions_not_under(
        &self,
        issuer: Option<&str>,
        client_id: Option<&str>,
        now: u64,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        self.end_many(
            "UPDATE sessions SET ended_at = ?3, end_reason = 'settings_changed'
             WHERE ended_at IS NULL AND (?1 IS NULL OR ?2 IS NULL OR issuer != ?1 OR client_id != ?2)",
            params![issuer, client_id, secs(now)?],
            AuditEvent::SessionsEndedBySettings,
            actor,
            version,
        )
    }

    /// Ends the sessions `sql` picks, in one transaction with one audit entry of `event`
    /// that counts them (none when there were none).
    fn end_many(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        event: AuditEvent,
        actor: &Actor,
        version: u64,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ended = tx.execute(sql, params)?;
        if ended > 0 {
            let count = format!("{ended} session(s)");
            insert_audit(&tx, actor, event, &[], version, Some(&count))?;
        }
        tx.commit()?;
        Ok(ended)
    }

    /// Deletes each session once it has been over for as long as it lasted (so an ended
    /// session still answers `session_expired` or `session_revoked` to a cookie the browser
    /// kept that long), and traded ID tokens past their expiry. Returns how many rows of each
    /// went.
    pub fn purge(&self, now: u64) -> Result<(usize, usize), StoreError> {
        let conn = self.conn();
        let sessions = conn.execute(
            "DELETE FROM sessions WHERE 2 * expires_at - signed_in_at < ?1",
            params![secs(now)?],
        )?;
        let tokens = conn.execute(
            "DELETE FROM used_id_tokens WHERE expires_at < ?1",
            params![secs(now)?],
        )?;
        Ok((sessions, tokens))
    }
}
