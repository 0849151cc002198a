//! Server sessions and the ID tokens already traded for one: rows keyed by the SHA-256 of the cookie value (the value itself is never stored), ended sessions kept for a while so a stale cookie learns why.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::{insert_audit, Actor, AuditEvent, Store, StoreError};

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

    fn from_name(name: &str) -> Option<Self> {
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

const COLUMNS: &str = "id, issuer, client_id, subject, display, info, signed_in_at, expires_at,
    last_used_at, ended_at, end_reason";

fn secs(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("time {value} overflows")))
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<StoredSession> {
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

impl Store {
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ended = tx.execute(
            "UPDATE sessions SET ended_at = ?2, end_reason = 'revoked'
             WHERE ended_at IS NULL AND (?1 IS NULL OR id != ?1)",
            params![keep, secs(now)?],
        )?;
        if ended > 0 {
            let count = format!("{ended} session(s)");
            insert_audit(
                &tx,
                actor,
                AuditEvent::OtherSessionsRevoked,
                &[],
                version,
                Some(&count),
            )?;
        }
        tx.commit()?;
        Ok(ended)
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ended = tx.execute(
            "UPDATE sessions SET ended_at = ?3, end_reason = 'settings_changed'
             WHERE ended_at IS NULL AND (?1 IS NULL OR ?2 IS NULL OR issuer != ?1 OR client_id != ?2)",
            params![issuer, client_id, secs(now)?],
        )?;
        if ended > 0 {
            let count = format!("{ended} session(s)");
            insert_audit(
                &tx,
                actor,
                AuditEvent::SessionsEndedBySettings,
                &[],
                version,
                Some(&count),
            )?;
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

#[cfg(test)]
mod tests {
    use super::super::{ActorKind, Store};
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&tmp.path().join("sso.db")).expect("open");
        (tmp, store)
    }

    fn alice() -> Actor {
        Actor {
            name: "alice@example.com".into(),
            kind: ActorKind::Sso,
            id: Some("https://idp u-1".into()),
        }
    }

    fn new_session<'a>(actor: &'a Actor, cookie: u8, token: u8, now: u64) -> NewSession<'a> {
        NewSession {
            id_hash: [cookie; 32],
            issuer: "https://idp",
            client_id: "app",
            subject: "u-1",
            display: "alice@example.com",
            info: "{}".into(),
            id_token: "eyJ.hint.sig",
            signed_in_at: now,
            expires_at: now + 100,
            token_hash: [token; 32],
            token_expires_at: now + 600,
            actor,
        }
    }

    #[test]
    fn a_token_is_traded_once_and_the_session_reads_back() {
        let (_tmp, store) = store();
        let actor = alice();
        let Created::Created { id } = store
            .create_session(&new_session(&actor, 1, 9, 1_000), 0)
            .expect("create")
        else {
            panic!("first exchange");
        };
        assert_eq!(
            store
                .create_session(&new_session(&actor, 2, 9, 1_001), 0)
                .expect("create"),
            Created::Replayed
        );
        assert_eq!(store.session_by_hash(&[2; 32]).expect("read"), None);
        let row = store
            .session_by_hash(&[1; 32])
            .expect("read")
            .expect("exists");
        assert_eq!(row.id, id);
        assert_eq!((row.signed_in_at, row.expires_at), (1_000, 1_100));
        assert_eq!(row.last_used_at, 1_000);
        assert_eq!(row.ended, None);
        store.touch_session(id, 1_050).expect("touch");
        store
            .touch_session(id, 1_040)
            .expect("an older touch is ignored");
        let row = store.session_by_hash(&[1; 32]).expect("read").expect("row");
        assert_eq!(row.last_used_at, 1_050);
        let (entries, _) = store.audit(10, None).expect("audit");
        assert_eq!(entries.len(), 1, "one sign-in, not two");
        assert_eq!(entries[0].event.as_str(), "sign_in");
        assert_eq!(entries[0].target.as_deref(), Some("alice@example.com"));
        assert_eq!(entries[0].actor_id.as_deref(), Some("https://idp u-1"));
    }

    #[test]
    fn ending_hint_listing_and_purging() {
        let (_tmp, store) = store();
        let actor = alice();
        let mut ids = Vec::new();
        for n in 1..=3u8 {
            match store
                .create_session(&new_session(&actor, n, n, 1_000 + u64::from(n)), 0)
                .expect("create")
            {
                Created::Created { id } => ids.push(id),
                Created::Replayed => panic!("fresh token"),
            }
        }
        assert_eq!(
            store.take_id_token_hint(ids[0]).expect("hint").as_deref(),
            Some("eyJ.hint.sig")
        );
        assert_eq!(
            store.take_id_token_hint(ids[0]).expect("hint"),
            None,
            "once"
        );
        assert!(store
            .end_session(ids[0], EndReason::SignedOut, 1_010, &actor, 0)
            .expect("end"));
        assert!(!store
            .end_session(ids[0], EndReason::Revoked, 1_011, &actor, 0)
            .expect("end"));
        let row = store
            .session_by_hash(&[1; 32])
            .expect("read")
            .expect("kept");
        assert_eq!(row.ended, Some((1_010, EndReason::SignedOut)));

        let live = store.active_sessions(1_020, None, 10).expect("list");
        assert_eq!(
            live.iter().map(|s| s.id).collect::<Vec<_>>(),
            [ids[2], ids[1]]
        );
        // Idle for 10 s: all three were last used before 1_010.
        assert!(store
            .active_sessions(1_020, Some(10), 10)
            .expect("list")
            .is_empty());
        // Past their length.
        assert!(store
            .active_sessions(1_200, None, 10)
            .expect("list")
            .is_empty());

        assert_eq!(
            store
                .end_other_sessions(Some(ids[2]), 1_030, &actor, 0)
                .expect("end others"),
            1
        );
        let live = store.active_sessions(1_031, None, 10).expect("list");
        assert_eq!(live.iter().map(|s| s.id).collect::<Vec<_>>(), [ids[2]]);
        assert_eq!(
            store
                .end_sessions_not_under(Some("https://other"), Some("app"), 1_040, &actor, 0)
                .expect("end"),
            1
        );
        let row = store
            .session_by_hash(&[3; 32])
            .expect("read")
            .expect("kept");
        assert_eq!(row.ended, Some((1_040, EndReason::SettingsChanged)));

        let events: Vec<String> = store
            .audit(20, None)
            .expect("audit")
            .0
            .into_iter()
            .map(|e| e.event.as_str().to_owned())
            .collect();
        assert_eq!(
            events,
            [
                "sessions_ended_by_settings",
                "other_sessions_revoked",
                "sign_out",
                "sign_in",
                "sign_in",
                "sign_in"
            ]
        );

        // Each is kept for as long after its end as it lasted (100 s); traded tokens until
        // they expire.
        assert_eq!(store.purge(1_201).expect("purge"), (0, 0));
        assert_eq!(store.purge(1_202).expect("purge"), (1, 0));
        assert!(store.session_by_hash(&[1; 32]).expect("read").is_none());
        assert!(store.session_by_hash(&[3; 32]).expect("read").is_some());
        assert_eq!(store.purge(1_602).expect("purge"), (2, 1));
    }
}
