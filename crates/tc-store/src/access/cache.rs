//! The sessions' users kept briefly in memory, so that a run of requests on one session does not
//! read the session and its user from the database for every request.
//!
//! An entry is keyed by the token's hash (never the token), holds the user as the database gave
//! it, and is used only while all of these hold:
//!
//! - it is younger than the cache's time to live (a second by default): a change made by
//!   another process (`tongchou user deactivate`, another server on the same database) is seen
//!   within that time;
//! - no account or session was changed through this module in this process since the entry was
//!   read: deactivation (lock), activation, a role or region change, a password change, unlock,
//!   a second factor's change, a logout, a session ended for a timeout each bump one counter
//!   ([`changed`]), which empties every entry at once — a user locked or moved mid-session is
//!   refused at the next request;
//! - the session has neither expired nor gone idle by the times read with it.
//!
//! Otherwise the session is read (and ended and audited if dead) as [`super::session_user`]
//! does, and the entry replaced.

use super::{AuthPolicy, Live, Result, User, live_session, token_hash, token_well_formed};
use crate::Db;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped after every change to an account or a session made in this process.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Most entries kept; past it the cache is emptied (at most a reread per session).
const MAX_ENTRIES: usize = 16_384;

/// An account or a session changed in this process: every cached session is stale. Called after
/// the change is committed, so that a read that began before it cannot be kept as current.
pub(crate) fn changed() {
    EPOCH.fetch_add(1, Ordering::SeqCst);
}

struct Entry {
    user: User,
    /// [`EPOCH`] before the session was read.
    epoch: u64,
    /// When it was read, ms.
    read_at: i64,
    last_seen: i64,
    expires: i64,
}

/// Users of live sessions by token hash, each kept for at most `ttl_ms`.
pub struct SessionCache {
    ttl_ms: i64,
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionCache(ttl {} ms)", self.ttl_ms)
    }
}

impl SessionCache {
    /// A cache keeping each session's user for at most `ttl_ms` (0: nothing is kept).
    pub fn new(ttl_ms: i64) -> SessionCache {
        SessionCache {
            ttl_ms,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        match self.entries.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        }
    }

    /// The user of a fresh entry for `token`, if there is one (no database needed).
    pub fn peek(&self, token: &str, policy: &AuthPolicy, now: i64) -> Option<User> {
        if !token_well_formed(token) {
            return None;
        }
        self.fresh(
            &token_hash(token),
            EPOCH.load(Ordering::SeqCst),
            policy,
            now,
        )
    }

    fn fresh(&self, th: &str, epoch: u64, policy: &AuthPolicy, now: i64) -> Option<User> {
        let m = self.lock();
        let e = m.get(th)?;
        let fresh = e.epoch == epoch
            && (0..self.ttl_ms).contains(&(now - e.read_at))
            && now < e.expires
            && now - e.last_seen < policy.idle_timeout_ms;
        fresh.then(|| e.user.clone())
    }

    /// The user of a live session, as [`super::session_user`] answers, from memory when a fresh
    /// entry allows it.
    pub fn user(
        &self,
        db: &mut Db,
        token: &str,
        policy: &AuthPolicy,
        now: i64,
    ) -> Result<Option<User>> {
        if !token_well_formed(token) {
            return Ok(None);
        }
        let th = token_hash(token);
        let epoch = EPOCH.load(Ordering::SeqCst);
        if let Some(u) = self.fresh(&th, epoch, policy, now) {
            return Ok(Some(u));
        }
        let live = live_session(db, &th, policy, now)?;
        let mut m = self.lock();
        match &live {
            Some(l) if self.ttl_ms > 0 => {
                if m.len() >= MAX_ENTRIES {
                    m.clear();
                }
                let e = Entry {
                    user: l.user.clone(),
                    epoch,
                    read_at: now,
                    last_seen: l.last_seen,
                    expires: l.expires,
                };
                m.insert(th, e);
            }
            _ => {
                m.remove(&th);
            }
        }
        Ok(live.map(|l: Live| l.user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{NewUser, add_user, login, logout, set_active, set_role};
    use crate::audit::Actor;
    use crate::testing;
    use tongchou_core::RegionCode;
    use tongchou_core::access::Role;

    const PW: &str = "correct horse battery staple 42";

    /// A fixed moment (2026-05-28): every time the cache sees is handed in.
    fn now() -> i64 {
        1_780_000_000_000
    }

    fn staff(db: &mut Db, name: &str, t: i64) {
        let p = AuthPolicy::default();
        let u = NewUser {
            login: name,
            display_name: name,
            role: Role::CountyAgency,
            region: RegionCode::new(140105).expect("rc"),
            person_id: None,
            password: PW,
        };
        add_user(db, &Actor::operator("test"), &u, &p, t).expect("user");
    }

    /// Kept within its time to live (a change by "another process" — raw SQL here — unseen),
    /// and emptied at once by a logout, a deactivation (lock) and a role change made through
    /// the store: each of the three `None`s below fails if the cache kept its entry.
    fn check(url: &str) {
        let mut db = Db::open(url).expect("open");
        let (p, t0) = (AuthPolicy::default(), now());
        let op = Actor::operator("test");
        let cache = SessionCache::new(60_000);
        for name in ["c.one", "c.two", "c.three"] {
            staff(&mut db, name, t0);
        }
        let s = login(&mut db, "c.one", PW, "127.0.0.1", &p, t0).expect("login");
        let user = |db: &mut Db, t: i64| cache.user(db, &s.token, &p, t).expect("session");
        assert_eq!(
            user(&mut db, t0 + 1).map(|u| u.display_name),
            Some("c.one".into())
        );
        db.exec(
            "UPDATE users SET display_name = 'renamed' WHERE login = 'c.one'",
            &[],
        )
        .expect("rename");
        assert_eq!(
            cache.peek(&s.token, &p, t0 + 2).map(|u| u.display_name),
            Some("c.one".into()),
            "a fresh entry answers from memory"
        );
        assert_eq!(
            user(&mut db, t0 + 60_001).map(|u| u.display_name),
            Some("renamed".into()),
            "an entry older than its time to live is read again"
        );
        logout(&mut db, &s.token, t0 + 60_002).expect("logout");
        assert_eq!(user(&mut db, t0 + 60_003), None, "logged out");

        let s = login(&mut db, "c.two", PW, "127.0.0.1", &p, t0).expect("login");
        assert!(
            cache
                .user(&mut db, &s.token, &p, t0 + 1)
                .expect("s")
                .is_some()
        );
        set_active(&mut db, &op, "c.two", false, t0 + 2).expect("lock");
        assert_eq!(cache.peek(&s.token, &p, t0 + 3), None);
        assert_eq!(
            cache.user(&mut db, &s.token, &p, t0 + 3).expect("s"),
            None,
            "locked"
        );

        let s = login(&mut db, "c.three", PW, "127.0.0.1", &p, t0).expect("login");
        let u = cache.user(&mut db, &s.token, &p, t0 + 1).expect("s");
        assert_eq!(u.map(|u| u.role), Some(Role::CountyAgency));
        let city = RegionCode::new(140100).expect("rc");
        set_role(&mut db, &op, "c.three", Role::CityAgency, city, t0 + 2).expect("role");
        assert_eq!(
            cache.user(&mut db, &s.token, &p, t0 + 3).expect("s"),
            None,
            "a role change ends the session at once"
        );
        // a session past its idle timeout or its end is not answered from memory, however long
        // the cache would keep it
        let long = SessionCache::new(i64::MAX);
        let s = login(&mut db, "c.three", PW, "127.0.0.1", &p, t0).expect("login");
        assert!(
            long.user(&mut db, &s.token, &p, t0 + 1)
                .expect("s")
                .is_some()
        );
        assert!(
            long.peek(&s.token, &p, t0 + p.idle_timeout_ms - 1)
                .is_some()
        );
        assert_eq!(long.peek(&s.token, &p, t0 + p.idle_timeout_ms), None);
        let short = AuthPolicy {
            idle_timeout_ms: i64::MAX / 2,
            ..AuthPolicy::default()
        };
        assert_eq!(
            long.peek(&s.token, &short, t0 + p.absolute_timeout_ms),
            None
        );
    }

    #[test]
    fn session_cache_on_sqlite() {
        check(&testing::sqlite_url("session_cache"));
    }

    #[test]
    fn session_cache_on_postgres() {
        check(&testing::pg_url("session_cache"));
    }
}
