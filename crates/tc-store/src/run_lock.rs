//! Run locks: one runner at a time for a job's month (`tongchou month run` of 2020-02 while
//! another is running it is refused, naming who runs it and since when). Every backend difference
//! is here:
//!
//! - **PostgreSQL**: a session-level advisory lock (`pg_try_advisory_lock`) on a key derived from
//!   the schema, the job and the month (the first 8 bytes of a SHA-256), held by a connection of
//!   its own that lives as long as the [`RunLock`]: the server releases it when that connection
//!   ends, however the process ends.
//! - **SQLite file**: an OS file lock (`flock`, through `std::fs::File::try_lock`) on a lock file
//!   beside the database file, `<db>.run-<job>-<yyyy-mm>.lock`; the kernel releases it when the
//!   file is closed, however the process ends.
//! - **In-memory SQLite**: no other process can see the database, so no lock is needed.
//!
//! So a runner killed with SIGKILL never leaves a stale lock: the next run proceeds at once (the
//! kill-and-resume tests rely on it). Who holds the lock is written, right after taking it, to
//! `job_runs` (migration 0014), one row per (job, month) overwritten by each runner; a refused
//! runner reads it. The row of a runner that is gone stays behind but is only read while its lock
//! is held, i.e. by the refusal of the runner that holds it.

use crate::benefits::ym;
use crate::{Db, Result, StoreError, Val};
use sha2::{Digest, Sha256};
use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};
use tongchou_core::{Period, Timestamp};

/// Who runs a job's month: a login (or an operator's name), the host and process, since when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub who: String,
    pub host: String,
    pub pid: u32,
    pub started_at: Timestamp,
}

/// A run lock held. Dropping it releases the lock (and so does the end of the process).
#[must_use = "the lock is released when this value is dropped"]
pub struct RunLock {
    _guard: Guard,
}

/// What [`try_take`] found.
pub enum Attempt {
    /// The lock is ours until the [`RunLock`] is dropped.
    Taken(RunLock),
    /// Another runner holds it; who, as that runner recorded it (None if it has not yet).
    Busy(Option<Holder>),
}

enum Guard {
    Pg { conn: Box<Db>, key: i64 },
    File(File),
    Memory,
}

impl Guard {
    /// The means to take the lock of (`job`, `period`) of the database `db` is connected to.
    fn open(db: &Db, job: &str, period: Period) -> Result<Guard> {
        let url = db.url();
        if let Some(path) = url.strip_prefix("sqlite://") {
            let job: String = job
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let lock = format!("{path}.run-{job}-{period}.lock");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock)
                .map_err(|e| StoreError::Backend(format!("run lock file {lock}: {e}")))?;
            return Ok(Guard::File(file));
        }
        if url == "sqlite::memory:" {
            return Ok(Guard::Memory);
        }
        let mut conn = Db::connect(url)?;
        let schema = conn
            .query_opt("SELECT current_schema()", &[])?
            .and_then(|mut r| r.swap_remove(0).into_text().ok())
            .unwrap_or_default();
        let digest = Sha256::digest(format!("tongchou run lock\0{schema}\0{job}\0{period}"));
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Ok(Guard::Pg {
            conn: Box::new(conn),
            key: i64::from_be_bytes(first),
        })
    }

    /// Take the lock if it is free.
    fn try_lock(&mut self) -> Result<bool> {
        match self {
            Guard::Pg { conn, key } => {
                Ok(conn.query_i64("SELECT pg_try_advisory_lock($1)", &[Val::I64(*key)])? == 1)
            }
            Guard::File(f) => match f.try_lock() {
                Ok(()) => Ok(true),
                Err(TryLockError::WouldBlock) => Ok(false),
                Err(TryLockError::Error(e)) => Err(StoreError::Io(e)),
            },
            Guard::Memory => Ok(true),
        }
    }
}

/// Take the run lock of `job` for `period` as `me`, waiting up to `wait` for it to come free
/// (a PostgreSQL server may take a moment to notice that a killed runner's connection is gone).
/// When taken, `me` is recorded as the holder. Call it outside a transaction, before the run
/// writes anything, and keep the [`RunLock`] for the whole run.
pub fn try_take(
    db: &mut Db,
    job: &str,
    period: Period,
    me: &Holder,
    wait: Duration,
) -> Result<Attempt> {
    if db.in_transaction() {
        return Err(StoreError::Invalid(
            "a run lock is taken outside a transaction".into(),
        ));
    }
    let mut guard = Guard::open(db, job, period)?;
    let deadline = Instant::now() + wait;
    while !guard.try_lock()? {
        if Instant::now() >= deadline {
            return Ok(Attempt::Busy(holder(db, job, period)?));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let at = me.started_at.to_string();
    db.exec(
        "INSERT INTO job_runs (job, period, holder, host, pid, started_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (job, period) DO UPDATE SET holder = excluded.holder, host = excluded.host, \
         pid = excluded.pid, started_at = excluded.started_at",
        &[
            Val::Str(job),
            ym(period),
            Val::Str(&me.who),
            Val::Str(&me.host),
            Val::I64(i64::from(me.pid)),
            Val::Str(&at),
        ],
    )?;
    Ok(Attempt::Taken(RunLock { _guard: guard }))
}

/// The last recorded runner of `job` for `period` (the holder while its lock is held).
pub fn holder(db: &mut Db, job: &str, period: Period) -> Result<Option<Holder>> {
    let Some(r) = db.query_opt(
        "SELECT holder, host, pid, started_at FROM job_runs WHERE job = $1 AND period = $2",
        &[Val::Str(job), ym(period)],
    )?
    else {
        return Ok(None);
    };
    let pid = u32::try_from(r[2].i64()?).map_err(|_| crate::corrupt("job_runs.pid", &r[2]))?;
    let started_at = r[3]
        .text()?
        .parse()
        .map_err(|e| crate::corrupt("job_runs.started_at", e))?;
    Ok(Some(Holder {
        who: r[0].text()?.to_string(),
        host: r[1].text()?.to_string(),
        pid,
        started_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn me(who: &str, pid: u32) -> Holder {
        Holder {
            who: who.into(),
            host: "h".into(),
            pid,
            started_at: "2026-12-02T09:30:12.000Z".parse().expect("t"),
        }
    }

    fn check(url: &str) {
        let p = |s: &str| s.parse::<Period>().expect("period");
        let mut a = Db::open(url).expect("open");
        let mut b = Db::open(url).expect("open");
        let short = Duration::from_millis(150);
        let Attempt::Taken(lock) =
            try_take(&mut a, "month", p("2020-02"), &me("a", 1), short).expect("take")
        else {
            panic!("a free lock is taken");
        };
        // a second connection (as a second process would) is refused, and told who holds it
        match try_take(&mut b, "month", p("2020-02"), &me("b", 2), short).expect("try") {
            Attempt::Busy(h) => assert_eq!(h, Some(me("a", 1))),
            Attempt::Taken(_) => panic!("a held lock is refused"),
        }
        // another month, or another job, is another lock
        let other = try_take(&mut b, "month", p("2020-03"), &me("b", 2), short).expect("try");
        assert!(matches!(other, Attempt::Taken(_)));
        let other = try_take(&mut b, "other", p("2020-02"), &me("b", 2), short).expect("try");
        assert!(matches!(other, Attempt::Taken(_)));
        // released when dropped: the next runner takes it and is named
        drop(lock);
        let again = try_take(&mut b, "month", p("2020-02"), &me("b", 2), short).expect("try");
        assert!(matches!(again, Attempt::Taken(_)));
        assert_eq!(
            holder(&mut a, "month", p("2020-02")).expect("holder"),
            Some(me("b", 2))
        );
        // never inside a transaction
        a.begin().expect("begin");
        assert!(try_take(&mut a, "month", p("2020-04"), &me("a", 1), short).is_err());
        a.rollback().expect("rollback");
    }

    #[test]
    fn run_lock_on_sqlite() {
        check(&testing::sqlite_url("runlock"));
    }

    #[test]
    fn run_lock_on_postgres() {
        check(&testing::pg_url("runlock"));
    }

    #[test]
    fn no_lock_needed_in_memory() {
        let mut db = Db::open("sqlite::memory:").expect("open");
        let p: Period = "2020-02".parse().expect("period");
        let first = try_take(&mut db, "month", p, &me("a", 1), Duration::ZERO).expect("take");
        assert!(matches!(first, Attempt::Taken(_)));
    }
}
