//! A small connection pool that fails fast: at most `max` connections, an idle one checked
//! before reuse when it has been idle a while (the server may have restarted since), and one
//! connection attempt when none is idle. Waiting for a busy pool ends after [`WAIT`].

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use std::collections::HashMap;

use postgres::{Client, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::url::PgUrl;
use super::{pg, tls};
use crate::store::StoreError;

/// How long a request waits for a connection when all are busy.
pub const WAIT: Duration = Duration::from_secs(2);
/// An idle connection older than this is checked (an empty query) before reuse.
const CHECK_AFTER: Duration = Duration::from_secs(2);

/// A connection and the statements prepared on it (a query by text would parse and plan
/// again: one more round trip).
struct Pooled {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

struct Slots {
    idle: Vec<(Pooled, Instant)>,
    /// Connections checked out or idle.
    open: usize,
}

pub struct Pool {
    url: PgUrl,
    tls: MakeRustlsConnect,
    max: usize,
    slots: Mutex<Slots>,
    freed: Condvar,
}

/// A connection on loan; back to the pool when dropped, unless it broke.
pub struct Conn<'a> {
    pooled: Option<Pooled>,
    pool: &'a Pool,
}

impl Pool {
    pub fn new(url: PgUrl, max: usize) -> Result<Self, StoreError> {
        Ok(Self {
            tls: tls::connector(&url)?,
            url,
            max,
            slots: Mutex::new(Slots {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        })
    }

    pub fn url(&self) -> &PgUrl {
        &self.url
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self) -> Result<Conn<'_>, StoreError> {
        let deadline = Instant::now() + WAIT;
        let mut slots = self.slots();
        loop {
            if let Some((mut pooled, idle_since)) = slots.idle.pop() {
                drop(slots);
                let healthy = !pooled.client.is_closed()
                    && (idle_since.elapsed() < CHECK_AFTER
                        || pooled.client.is_valid(Duration::from_secs(1)).is_ok());
                if healthy {
                    return Ok(self.lend(pooled));
                }
                // Broken: its slot is free for a new connection.
                drop(pooled);
                slots = self.slots();
                slots.open -= 1;
                continue;
            }
            if slots.open < self.max {
                slots.open += 1;
                drop(slots);
                return match self.url.config.connect(self.tls.clone()) {
                    Ok(client) => Ok(self.lend(Pooled {
                        client,
                        statements: HashMap::new(),
                    })),
                    Err(e) => {
                        self.release_slot();
                        Err(StoreError::Unavailable(format!(
                            "cannot connect to {}: {}",
                            self.url,
                            pg(e)
                        )))
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "all {} connections to {} stayed busy for {} s",
                    self.max,
                    self.url,
                    WAIT.as_secs()
                )));
            }
            slots = self
                .freed
                .wait_timeout(slots, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn lend(&self, pooled: Pooled) -> Conn<'_> {
        Conn {
            pooled: Some(pooled),
            pool: self,
        }
    }

    fn release_slot(&self) {
        self.slots().open -= 1;
        self.freed.notify_one();
    }
}

impl Conn<'_> {
    fn pooled(&mut self) -> &mut Pooled {
        self.pooled
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only in drop"))
    }

    /// `sql` prepared on this connection once, then reused.
    pub fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        let pooled = self.pooled();
        if let Some(statement) = pooled.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = pooled.client.prepare(sql)?;
        pooled.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

impl Deref for Conn<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self
            .pooled
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only in drop"))
            .client
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.pooled().client
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(pooled) = self.pooled.take() else {
            return;
        };
        if pooled.client.is_closed() {
            self.pool.release_slot();
        } else {
            self.pool.slots().idle.push((pooled, Instant::now()));
            self.pool.freed.notify_one();
        }
    }
}
