//! Accounts, sessions, lockout and maker–checker approvals, over [`Db`], with every event in the
//! audit log ([`crate::audit`]).
//!
//! - Passwords: Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes) in PHC strings.
//! - Lockout: after [`AuthPolicy::max_failed_logins`] wrong passwords in a row the account is
//!   locked for [`AuthPolicy::lockout_ms`]; a locked account's password is not checked (a dummy
//!   hash is verified instead, so locked, unknown and wrong logins take the same time).
//! - Passwords: at least 12 characters, a zxcvbn strength of 3, not one of the account's last
//!   passwords (`password_history`, migration 0035).
//! - Sessions: 256-bit random tokens; only their SHA-256 is stored; idle and absolute timeouts;
//!   logout, deactivation and a password change end them on the server.
//! - Approvals: [`submit_approval`] and [`decide_approval`] apply
//!   [`tongchou_core::access::check_approval`] (never the submitter, only with the permission and
//!   the region in scope); refusals are audited too.
//!
//! Times are milliseconds since the Unix epoch passed in by the caller (`now`), stored as fixed
//! width UTC text ([`iso_time`]).

mod cache;

pub use cache::SessionCache;

use crate::audit::{self, Actor, AsConflict, Entry};
use crate::{Db, StoreError, Val, Value};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::fmt;
use tongchou_core::access::{
    self as rules, AccessError, ApprovalKind, Permission, Principal, Role, validate_assignment,
};
use tongchou_core::tr;
use tongchou_core::{Date, Divisions, RegionCode};

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, fixed width: compares as text): the one text form of
/// [`tongchou_core::Timestamp`], for an instant given in milliseconds since the Unix epoch.
pub fn iso_time(ms: i64) -> String {
    match tongchou_core::Timestamp::from_millis(ms) {
        Ok(t) => t.to_string(),
        // beyond year ±9999: clamp to the range's end rather than write a malformed instant
        Err(_) if ms < 0 => "0000-01-01T00:00:00.000Z".into(),
        Err(_) => "9999-12-31T23:59:59.999Z".into(),
    }
}

/// The inverse of [`iso_time`].
pub fn parse_iso_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let n = |a: usize, z: usize| -> Option<i64> { s.get(a..z)?.parse().ok() };
    let date = Date::new(n(0, 4)? as i32, n(5, 7)? as u8, n(8, 10)? as u8).ok()?;
    let (h, mi, se, ms) = (n(11, 13)?, n(14, 16)?, n(17, 19)?, n(20, 23)?);
    if h > 23 || mi > 59 || se > 59 {
        return None;
    }
    Some(date.days_since_epoch() * 86_400_000 + h * 3_600_000 + mi * 60_000 + se * 1000 + ms)
}

/// Authentication settings (documented decisions, ASVS 6.x/7.x; 等保 身份鉴别).
#[derive(Clone, Debug)]
pub struct AuthPolicy {
    /// Wrong passwords in a row before the account locks.
    pub max_failed_logins: i64,
    pub lockout_ms: i64,
    /// A session unused this long ends.
    pub idle_timeout_ms: i64,
    /// A session ends this long after login whatever happens.
    pub absolute_timeout_ms: i64,
    pub min_password_chars: usize,
    pub max_password_chars: usize,
    /// The least zxcvbn score (0–4) a new password must reach.
    pub min_password_score: u8,
    /// Earlier passwords a new one may not repeat (besides the current one).
    pub password_history: usize,
}

impl Default for AuthPolicy {
    fn default() -> AuthPolicy {
        AuthPolicy {
            max_failed_logins: 5,
            lockout_ms: 15 * 60_000,
            idle_timeout_ms: 15 * 60_000,
            absolute_timeout_ms: 8 * 3_600_000,
            min_password_chars: 12,
            max_password_chars: 128,
            // 3: "safely unguessable" against an online attack and a slow offline one
            min_password_score: 3,
            password_history: 5,
        }
    }
}

/// Why an access operation did not happen.
#[derive(Debug)]
pub enum AuthError {
    /// Unknown login, wrong password or inactive account (callers show one message for all).
    BadCredentials,
    /// Too many wrong passwords: locked until this time.
    Locked {
        until: String,
    },
    /// Refused by the access rules (and audited).
    Denied(AccessError),
    /// Bad input, naming the field.
    Invalid(String),
    NotFound(String),
    /// A decision on a request that is no longer pending.
    Conflict(String),
    Store(StoreError),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::BadCredentials => f.write_str(&tr!("access-err-bad-credentials")),
            AuthError::Locked { until } => f.write_str(&tr!("access-err-locked", until = until)),
            AuthError::Denied(e) => f.write_str(&tr!("access-err-denied", reason = e)),
            AuthError::Invalid(s) | AuthError::NotFound(s) | AuthError::Conflict(s) => {
                f.write_str(s)
            }
            AuthError::Store(e) => write!(f, "{e}"),
        }
    }
}
impl std::error::Error for AuthError {}
impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> AuthError {
        AuthError::Store(e)
    }
}
impl AsConflict for AuthError {
    fn is_conflict(&self) -> bool {
        matches!(self, AuthError::Store(e) if audit::is_conflict(e))
    }
}

pub type Result<T> = std::result::Result<T, AuthError>;

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| AuthError::Store(StoreError::Backend(format!("no system randomness: {e}"))))?;
    Ok(b)
}

/// A fresh application id: random, positive, below 2^53 (exact in JSON numbers).
pub fn random_id() -> Result<i64> {
    let b = random_bytes::<8>()?;
    Ok((u64::from_le_bytes(b) & ((1u64 << 53) - 1)).max(1) as i64)
}

/// Argon2id PHC string of a password.
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Store(StoreError::Backend(format!("password hashing failed: {e}"))))
}

/// Whether `password` matches a stored PHC string (false for a malformed hash).
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of no password, verified against when the login is unknown so that unknown and
/// known logins take the same time.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("tongchou-no-such-user-placeholder").unwrap_or_default())
}

const COMMON: &[&str] = &[
    "123456789012",
    "password1234",
    "qwertyuiop12",
    "111111111111",
    "000000000000",
    "1234567890ab",
    "abcdefghijkl",
    "passwordpassword",
    "administrator",
    "woaini1314520",
];

/// Password rules: length (no composition rules, ASVS 6.2.5), not the login, not a common
/// password, and a strength estimate (zxcvbn, with the login as a known word) of at least
/// [`AuthPolicy::min_password_score`], so that `"            "`, `aaaaaaaaaaaa` or
/// `1234567890123` are refused whatever their length.
pub fn validate_password(login: &str, password: &str, policy: &AuthPolicy) -> Result<()> {
    let n = password.chars().count();
    if n < policy.min_password_chars {
        return Err(AuthError::Invalid(tr!(
            "access-err-password-short",
            min = policy.min_password_chars,
            n = n
        )));
    }
    if n > policy.max_password_chars {
        return Err(AuthError::Invalid(tr!(
            "access-err-password-long",
            max = policy.max_password_chars
        )));
    }
    let lower = password.to_lowercase();
    if lower.contains(&login.to_lowercase()) || COMMON.contains(&lower.as_str()) {
        return Err(AuthError::Invalid(tr!("access-err-password-guessable")));
    }
    let score = u8::from(zxcvbn::zxcvbn(password, &[login]).score());
    if score < policy.min_password_score {
        return Err(AuthError::Invalid(tr!(
            "access-err-password-weak",
            score = score,
            min = policy.min_password_score
        )));
    }
    Ok(())
}

/// Refuse a new password equal to the account's current one or to one of its last
/// [`AuthPolicy::password_history`] passwords.
fn check_reuse(
    db: &mut Db,
    user_id: i64,
    current: &str,
    password: &str,
    policy: &AuthPolicy,
) -> Result<()> {
    let mut earlier = vec![current.to_string()];
    let rows = db.query(
        "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY replaced_at DESC LIMIT $2",
        &[Val::I64(user_id), Val::I64(policy.password_history as i64)],
    )?;
    for r in &rows {
        earlier.push(r[0].text()?.to_string());
    }
    if earlier.iter().any(|h| verify_password(h, password)) {
        return Err(AuthError::Invalid(tr!(
            "access-err-password-reused",
            n = policy.password_history
        )));
    }
    Ok(())
}

fn validate_login(login: &str) -> Result<()> {
    let ok = (3..=64).contains(&login.len())
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(tr!(
            "access-err-login",
            login = format!("{login:?}")
        )))
    }
}

/// A stored account (without its password hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub person_id: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub active: bool,
    pub created_at: String,
}

impl User {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.id,
            login: self.login.clone(),
            role: self.role,
            region: self.region,
            person_id: self.person_id,
        }
    }
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "login": self.login,
            "display_name": self.display_name,
            "role": self.role.as_str(),
            "region": self.region.to_string(),
            "person_id": self.person_id,
            "active": self.active,
            "failed_logins": self.failed_logins,
            "locked_until": self.locked_until,
            "created_at": self.created_at,
        })
    }
}

const USER_COLS: &str = "id, login, display_name, role, region, person_id, failed_logins, locked_until, active, created_at, password_hash";

fn user_row(r: &[Value]) -> Result<(User, String)> {
    let bad = |what: &str| AuthError::Store(crate::corrupt(format!("users.{what}"), ""));
    let role: Role = r[3].text()?.parse().map_err(|_| bad("role"))?;
    let region = RegionCode::new(u32::try_from(r[4].i64()?).map_err(|_| bad("region"))?)
        .map_err(|_| bad("region"))?;
    Ok((
        User {
            id: r[0].i64()?,
            login: r[1].text()?.to_string(),
            display_name: r[2].text()?.to_string(),
            role,
            region,
            person_id: r[5].opt_i64()?,
            failed_logins: r[6].i64()?,
            locked_until: r[7].opt_text()?.map(str::to_string),
            active: r[8].i64()? != 0,
            created_at: r[9].text()?.to_string(),
        },
        r[10].text()?.to_string(),
    ))
}

fn find_user(db: &mut Db, login: &str) -> Result<Option<(User, String)>> {
    match db.query_opt(
        &format!("SELECT {USER_COLS} FROM users WHERE login = $1"),
        &[Val::Str(login)],
    )? {
        Some(r) => Ok(Some(user_row(&r)?)),
        None => Ok(None),
    }
}

/// The account with this login.
pub fn get_user(db: &mut Db, login: &str) -> Result<Option<User>> {
    Ok(find_user(db, login)?.map(|(u, _)| u))
}

/// The account with this id.
pub fn get_user_by_id(db: &mut Db, id: i64) -> Result<Option<User>> {
    match db.query_opt(
        &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
        &[Val::I64(id)],
    )? {
        Some(r) => Ok(Some(user_row(&r)?.0)),
        None => Ok(None),
    }
}

/// All accounts, by login.
pub fn list_users(db: &mut Db) -> Result<Vec<User>> {
    db.query(
        &format!("SELECT {USER_COLS} FROM users ORDER BY login"),
        &[],
    )?
    .iter()
    .map(|r| user_row(r).map(|(u, _)| u))
    .collect()
}

/// A new account.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub region: RegionCode,
    /// Required for an insured person: their own person id.
    pub person_id: Option<i64>,
    pub password: &'a str,
}

/// Create an account (audited as `user.add`). The role must fit the region's level.
pub fn add_user(
    db: &mut Db,
    actor: &Actor,
    new: &NewUser<'_>,
    policy: &AuthPolicy,
    now: i64,
) -> Result<User> {
    validate_login(new.login)?;
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AuthError::Invalid(tr!("access-err-display-name")));
    }
    validate_assignment(Divisions::shanxi(), new.role, new.region)
        .map_err(|e| AuthError::Invalid(tr!("access-err-region", reason = e)))?;
    if (new.role == Role::InsuredPerson) != new.person_id.is_some() {
        return Err(AuthError::Invalid(tr!("access-err-person-id")));
    }
    validate_password(new.login, new.password, policy)?;
    let hash = hash_password(new.password)?;
    let id = random_id()?;
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        if find_user(db, new.login)?.is_some() {
            return Err(AuthError::Invalid(tr!(
                "access-err-login-exists",
                login = format!("{:?}", new.login)
            )));
        }
        if let Some(pid) = new.person_id {
            check_insured_account(db, pid, new.region)?;
        }
        db.exec(
            "INSERT INTO users (id, login, display_name, role, region, person_id, password_hash, failed_logins, \
             locked_until, active, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, CAST($6 AS BIGINT), $7, 0, NULL, 1, $8, $8)",
            &[
                Val::I64(id),
                Val::Str(new.login),
                Val::Str(name),
                Val::Str(new.role.as_str()),
                Val::I64(new.region.get() as i64),
                new.person_id.map(Val::I64).unwrap_or(Val::Null),
                Val::Str(&hash),
                Val::Str(&at),
            ],
        )?;
        audit::append(
            db,
            &Entry {
                actor,
                action: "user.add",
                object_type: "user",
                object_id: new.login,
                region: Some(new.region.get()),
                result: "ok",
                details: serde_json::json!({"role": new.role.as_str(), "user_id": id}),
            },
            now,
        )?;
        Ok::<(), AuthError>(())
    })?;
    get_user(db, new.login)?.ok_or_else(|| AuthError::NotFound(format!("user {}", new.login)))
}

/// An insured person's account names a registered person of the account's county who is
/// neither deceased nor transferred out and has no account yet.
fn check_insured_account(db: &mut Db, person_id: i64, region: RegionCode) -> Result<()> {
    let p = crate::registry::person_record(db, person_id)?
        .ok_or_else(|| AuthError::Invalid(tr!("access-err-person-unknown", person = person_id)))?;
    if p.county != region {
        return Err(AuthError::Invalid(tr!(
            "access-err-person-region",
            person = person_id,
            region = region
        )));
    }
    if matches!(p.status.as_str(), "deceased" | "transferred_out") {
        return Err(AuthError::Invalid(tr!(
            "access-err-person-status",
            person = person_id,
            status = p.status
        )));
    }
    let taken = db.query_i64(
        "SELECT COUNT(*) FROM users WHERE person_id = $1",
        &[Val::I64(person_id)],
    )?;
    if taken > 0 {
        return Err(AuthError::Invalid(tr!(
            "access-err-person-has-account",
            person = person_id
        )));
    }
    Ok(())
}

pub(crate) fn change_user(
    db: &mut Db,
    actor: &Actor,
    login: &str,
    action: &str,
    now: i64,
    details: serde_json::Value,
    f: impl Fn(&mut Db, &User) -> Result<()>,
) -> Result<User> {
    let r = audit::retry(db, 10, |db| {
        let (u, _) = find_user(db, login)?.ok_or_else(|| {
            AuthError::NotFound(tr!("access-err-no-user", login = format!("{login:?}")))
        })?;
        f(db, &u)?;
        audit::append(
            db,
            &Entry {
                actor,
                action,
                object_type: "user",
                object_id: login,
                region: Some(u.region.get()),
                result: "ok",
                details: details.clone(),
            },
            now,
        )?;
        Ok::<(), AuthError>(())
    });
    // an account's role, region, activity or sessions may have changed: cached sessions go
    cache::changed();
    r?;
    get_user(db, login)?
        .ok_or_else(|| AuthError::NotFound(tr!("access-err-no-user", login = format!("{login:?}"))))
}

/// Activate or deactivate an account; deactivation ends its sessions at once.
pub fn set_active(db: &mut Db, actor: &Actor, login: &str, active: bool, now: i64) -> Result<User> {
    let action = if active {
        "user.activate"
    } else {
        "user.deactivate"
    };
    change_user(
        db,
        actor,
        login,
        action,
        now,
        serde_json::json!({}),
        |db, u| {
            db.exec(
                "UPDATE users SET active = $2 WHERE id = $1",
                &[Val::I64(u.id), Val::I64(active as i64)],
            )?;
            if !active {
                db.exec("DELETE FROM sessions WHERE user_id = $1", &[Val::I64(u.id)])?;
            }
            Ok(())
        },
    )
}

/// Change an account's role and region (audited as `user.role` with the old and new ones); the
/// role must fit the region's level; the account's sessions end.
pub fn set_role(
    db: &mut Db,
    actor: &Actor,
    login: &str,
    role: Role,
    region: RegionCode,
    now: i64,
) -> Result<User> {
    validate_assignment(Divisions::shanxi(), role, region)
        .map_err(|e| AuthError::Invalid(tr!("access-err-region", reason = e)))?;
    let before = get_user(db, login)?.ok_or_else(|| {
        AuthError::NotFound(tr!("access-err-no-user", login = format!("{login:?}")))
    })?;
    if (role == Role::InsuredPerson) != before.person_id.is_some() {
        return Err(AuthError::Invalid(tr!("access-err-role-swap")));
    }
    change_user(
        db,
        actor,
        login,
        "user.role",
        now,
        serde_json::json!({"from": [before.role.as_str(), before.region.to_string()], "to": [role.as_str(), region.to_string()]}),
        |db, u| {
            db.exec(
                "UPDATE users SET role = $2, region = $3 WHERE id = $1",
                &[
                    Val::I64(u.id),
                    Val::Str(role.as_str()),
                    Val::I64(region.get() as i64),
                ],
            )?;
            db.exec("DELETE FROM sessions WHERE user_id = $1", &[Val::I64(u.id)])?;
            Ok(())
        },
    )
}

/// Clear a lockout.
pub fn unlock(db: &mut Db, actor: &Actor, login: &str, now: i64) -> Result<User> {
    change_user(
        db,
        actor,
        login,
        "user.unlock",
        now,
        serde_json::json!({}),
        |db, u| {
            db.exec(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[Val::I64(u.id)],
            )?;
            Ok(())
        },
    )
}

/// Set a new password; the user's sessions end.
pub fn set_password(
    db: &mut Db,
    actor: &Actor,
    login: &str,
    password: &str,
    policy: &AuthPolicy,
    now: i64,
) -> Result<User> {
    validate_password(login, password, policy)?;
    let (user, current) = find_user(db, login)?.ok_or_else(|| {
        AuthError::NotFound(tr!("access-err-no-user", login = format!("{login:?}")))
    })?;
    check_reuse(db, user.id, &current, password, policy)?;
    let hash = hash_password(password)?;
    let at = iso_time(now);
    change_user(
        db,
        actor,
        login,
        "user.password",
        now,
        serde_json::json!({}),
        |db, u| {
            db.exec(
                "INSERT INTO password_history (user_id, replaced_at, password_hash) \
                 SELECT id, $2, password_hash FROM users WHERE id = $1 ON CONFLICT DO NOTHING",
                &[Val::I64(u.id), Val::Str(&at)],
            )?;
            db.exec(
            "UPDATE users SET password_hash = $2, password_changed_at = $3, failed_logins = 0, locked_until = NULL \
             WHERE id = $1",
            &[Val::I64(u.id), Val::Str(&hash), Val::Str(&at)],
        )?;
            db.exec("DELETE FROM sessions WHERE user_id = $1", &[Val::I64(u.id)])?;
            Ok(())
        },
    )
}

/// A new session: the token goes to the client (cookie) and is never stored.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub user: User,
    pub expires_at: String,
}

/// The CSRF token bound to a session token (synchronizer token, derived so nothing more is stored).
pub fn csrf_token(session_token: &str) -> String {
    audit::sha256_hex(format!("tongchou-csrf\0{session_token}").as_bytes())
}

/// The server's secret for login CSRF tokens: 32 random bytes kept in `meta` under
/// `secret.login_csrf`, made by the first caller (every replica of the service reads the same).
pub fn login_csrf_key(db: &mut Db) -> Result<[u8; 32]> {
    let fresh = audit::hex(&random_bytes::<32>()?);
    db.exec(
        "INSERT INTO meta (key, value) VALUES ('secret.login_csrf', $1) ON CONFLICT (key) DO NOTHING",
        &[Val::Str(&fresh)],
    )?;
    let stored = db
        .query_opt(
            "SELECT value FROM meta WHERE key = 'secret.login_csrf'",
            &[],
        )?
        .ok_or_else(|| StoreError::Invalid("meta: secret.login_csrf missing".into()))?;
    let text = stored[0].text()?;
    let mut key = [0u8; 32];
    for (i, k) in key.iter_mut().enumerate() {
        *k = text
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| {
                StoreError::Invalid("meta: secret.login_csrf is not 64 hex digits".into())
            })?;
    }
    Ok(key)
}

/// The login form's CSRF token: HMAC-SHA-256 of the pre-session cookie under the server's key,
/// so that nobody who can plant a cookie can compute the token that goes with it.
pub fn login_csrf(key: &[u8; 32], pre: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes a key of any length"),
    };
    mac.update(b"tongchou-login\0");
    mac.update(pre.as_bytes());
    audit::hex(&mac.finalize().into_bytes())
}

fn token_hash(token: &str) -> String {
    audit::sha256_hex(token.as_bytes())
}

fn auth_audit(
    db: &mut Db,
    actor: &Actor,
    action: &str,
    region: Option<u32>,
    result: &str,
    details: serde_json::Value,
    now: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor,
            action,
            object_type: "user",
            object_id: &actor.login,
            region,
            result,
            details,
        },
        now,
    )?;
    Ok(())
}

/// A wrong password (or second factor: `reason`): count it, lock the account at the limit,
/// audit it; the error to answer.
fn wrong_password(
    db: &mut Db,
    user: &User,
    actor: &Actor,
    client: &str,
    policy: &AuthPolicy,
    now: i64,
    reason: &str,
) -> Result<AuthError> {
    let region = Some(user.region.get());
    let until = iso_time(now + policy.lockout_ms);
    let locked = audit::retry(db, 10, |db| {
        db.exec(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1",
            &[Val::I64(user.id)],
        )?;
        let n = db.query_i64(
            "SELECT failed_logins FROM users WHERE id = $1",
            &[Val::I64(user.id)],
        )?;
        let locked = n >= policy.max_failed_logins;
        if locked {
            db.exec(
                "UPDATE users SET failed_logins = 0, locked_until = $2 WHERE id = $1",
                &[Val::I64(user.id), Val::Str(&until)],
            )?;
        }
        let details = if locked {
            serde_json::json!({"reason": reason, "failed": n, "locked_until": until, "client": client})
        } else {
            serde_json::json!({"reason": reason, "failed": n, "client": client})
        };
        auth_audit(db, actor, "auth.login", region, "failed", details, now)?;
        Ok::<bool, AuthError>(locked)
    })?;
    Ok(if locked {
        AuthError::Locked { until }
    } else {
        AuthError::BadCredentials
    })
}

/// Check a login and password; on success open a session. Every attempt is audited
/// (`auth.login`), with the reason of a failure (`unknown_login`, `inactive`, `locked`,
/// `bad_password`).
pub fn login(
    db: &mut Db,
    login: &str,
    password: &str,
    client: &str,
    policy: &AuthPolicy,
    now: i64,
) -> Result<NewSession> {
    login_with_code(db, login, password, None, client, policy, now)
}

/// [`login`] with the code of the account's authenticator ([`crate::totp`]), required of an
/// account that enrolled one. A wrong or replayed code counts as a failed login like a wrong
/// password (reason `bad_second_factor`) and is answered the same way.
pub fn login_with_code(
    db: &mut Db,
    login: &str,
    password: &str,
    code: Option<&str>,
    client: &str,
    policy: &AuthPolicy,
    now: i64,
) -> Result<NewSession> {
    let client = client.chars().take(64).collect::<String>();
    let found = if login.len() <= 64 {
        find_user(db, login)?
    } else {
        None
    };
    let Some((user, phc)) = found else {
        let _ = verify_password(dummy_hash(), password);
        let actor = Actor::operator(&login.chars().take(64).collect::<String>());
        auth_audit(
            db,
            &actor,
            "auth.login",
            None,
            "failed",
            serde_json::json!({"reason": "unknown_login", "client": client}),
            now,
        )?;
        return Err(AuthError::BadCredentials);
    };
    let actor = Actor::user(user.id, &user.login);
    let region = Some(user.region.get());
    if !user.active {
        let _ = verify_password(dummy_hash(), password);
        auth_audit(
            db,
            &actor,
            "auth.login",
            region,
            "failed",
            serde_json::json!({"reason": "inactive", "client": client}),
            now,
        )?;
        return Err(AuthError::BadCredentials);
    }
    if let Some(until) = &user.locked_until
        && parse_iso_time(until).is_some_and(|t| t > now)
    {
        // the password is not checked, but the time it would take is spent, so that a locked
        // account answers as slowly as an unknown login or a wrong password
        let _ = verify_password(dummy_hash(), password);
        auth_audit(
            db,
            &actor,
            "auth.login",
            region,
            "failed",
            serde_json::json!({"reason": "locked", "client": client}),
            now,
        )?;
        return Err(AuthError::Locked {
            until: until.clone(),
        });
    }
    if !verify_password(&phc, password) {
        return Err(wrong_password(
            db,
            &user,
            &actor,
            &client,
            policy,
            now,
            "bad_password",
        )?);
    }
    if !crate::totp::check(db, user.id, code, now)? {
        return Err(wrong_password(
            db,
            &user,
            &actor,
            &client,
            policy,
            now,
            "bad_second_factor",
        )?);
    }
    open_session(db, &user, &actor, &client, policy, now)
}

/// A new session for `user`, whose credentials were checked: the token, its hash stored, the
/// failed-login count cleared, `auth.login ok` audited.
fn open_session(
    db: &mut Db,
    user: &User,
    actor: &Actor,
    client: &str,
    policy: &AuthPolicy,
    now: i64,
) -> Result<NewSession> {
    let region = Some(user.region.get());
    let token = audit::hex(&random_bytes::<32>()?);
    let th = token_hash(&token);
    let at = iso_time(now);
    let expires_at = iso_time(now + policy.absolute_timeout_ms);
    audit::retry(db, 10, |db| {
        db.exec(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
            &[Val::I64(user.id)],
        )?;
        db.exec(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at, client) \
             VALUES ($1, $2, $3, $3, $4, $5)",
            &[
                Val::Str(&th),
                Val::I64(user.id),
                Val::Str(&at),
                Val::Str(&expires_at),
                Val::Str(client),
            ],
        )?;
        // the session is named by a prefix of its hash, never by the token
        auth_audit(
            db,
            actor,
            "auth.login",
            region,
            "ok",
            serde_json::json!({"session": &th[..16], "client": client}),
            now,
        )?;
        Ok::<(), AuthError>(())
    })?;
    let user = get_user_by_id(db, user.id)?.ok_or(AuthError::BadCredentials)?;
    Ok(NewSession {
        token,
        user,
        expires_at,
    })
}

/// The user of a live session, or None (unknown, expired, idle too long, user deactivated).
/// Ending a session for a timeout is audited (`auth.session_end`).
pub fn session_user(
    db: &mut Db,
    token: &str,
    policy: &AuthPolicy,
    now: i64,
) -> Result<Option<User>> {
    if !token_well_formed(token) {
        return Ok(None);
    }
    Ok(live_session(db, &token_hash(token), policy, now)?.map(|s| s.user))
}

/// Whether a session token has the form of one (64 hex digits): anything else is no session.
fn token_well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A live session as read from the database.
pub(crate) struct Live {
    pub user: User,
    /// When the session was last seen (after this check), ms.
    pub last_seen: i64,
    /// Its absolute end, ms.
    pub expires: i64,
}

/// The live session with token hash `th` (one statement: the session and its user), ended and
/// audited if it timed out or its user is gone or inactive; its last sight recorded every 10 s.
/// (`CAST($1 AS TEXT)`: a join on a bare parameter is planned again on every use on SQLite, as
/// `registry::person_by_number` explains.)
fn live_session(db: &mut Db, th: &str, policy: &AuthPolicy, now: i64) -> Result<Option<Live>> {
    let Some(r) = db.query_opt(
        "SELECT s.last_seen, s.expires_at, u.id, u.login, u.display_name, u.role, u.region, \
         u.person_id, u.failed_logins, u.locked_until, u.active, u.created_at, u.password_hash \
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = CAST($1 AS TEXT)",
        &[Val::Str(th)],
    )?
    else {
        return Ok(None);
    };
    let mut last_seen = parse_iso_time(r[0].text()?).unwrap_or(0);
    let expires = parse_iso_time(r[1].text()?).unwrap_or(0);
    let user = match r[2] {
        Value::Null => None,
        _ => Some(user_row(&r[2..])?.0),
    };
    let reason = match &user {
        None => Some("no_user"),
        Some(u) if !u.active => Some("inactive"),
        Some(_) if now >= expires => Some("absolute_timeout"),
        Some(_) if now - last_seen >= policy.idle_timeout_ms => Some("idle_timeout"),
        Some(_) => None,
    };
    if let Some(reason) = reason {
        end_session(db, th, user.as_ref(), reason, now)?;
        return Ok(None);
    }
    if now - last_seen >= 10_000 {
        db.exec(
            "UPDATE sessions SET last_seen = $2 WHERE token_hash = $1",
            &[Val::Str(th), Val::Str(&iso_time(now))],
        )?;
        last_seen = now;
    }
    Ok(user.map(|user| Live {
        user,
        last_seen,
        expires,
    }))
}

/// End a session found dead (`reason`), audited as `auth.session_end`.
fn end_session(db: &mut Db, th: &str, user: Option<&User>, reason: &str, now: i64) -> Result<()> {
    let r = audit::retry(db, 10, |db| {
        db.exec(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[Val::Str(th)],
        )?;
        let actor = match user {
            Some(u) => Actor::user(u.id, &u.login),
            None => Actor::operator("-"),
        };
        auth_audit(
            db,
            &actor,
            "auth.session_end",
            user.map(|u| u.region.get()),
            "ok",
            serde_json::json!({"reason": reason, "session": &th[..16]}),
            now,
        )?;
        Ok::<(), AuthError>(())
    });
    cache::changed();
    r
}

/// End a session (audited as `auth.logout`). Unknown tokens are ignored.
pub fn logout(db: &mut Db, token: &str, now: i64) -> Result<()> {
    let th = token_hash(token);
    let r = audit::retry(db, 10, |db| {
        let Some(r) = db.query_opt(
            "SELECT user_id FROM sessions WHERE token_hash = $1",
            &[Val::Str(&th)],
        )?
        else {
            return Ok(());
        };
        let user = get_user_by_id(db, r[0].i64()?)?;
        db.exec(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[Val::Str(&th)],
        )?;
        if let Some(u) = user {
            auth_audit(
                db,
                &Actor::user(u.id, &u.login),
                "auth.logout",
                Some(u.region.get()),
                "ok",
                serde_json::json!({"session": &th[..16]}),
                now,
            )?;
        }
        Ok::<(), AuthError>(())
    });
    cache::changed();
    r
}

/// What an action is about, for the audit row of an access decision.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The audited action (`person.read`, `approval.decide`…).
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    /// The object's region.
    pub region: RegionCode,
}

/// The audit entry of a refusal by the access rules (`result = denied`), for a caller that
/// writes it itself (the group-commit writer, [`audit::group`]).
pub fn denial(who: &Principal, t: &Target<'_>, e: &AccessError, now: i64) -> audit::Deferred {
    audit::Deferred::new(
        Entry {
            actor: &Actor::of(who),
            action: t.action,
            object_type: t.object_type,
            object_id: t.object_id,
            region: Some(t.region.get()),
            result: "denied",
            details: serde_json::json!({"reason": e.code(), "message": e.to_string()}),
        },
        now,
    )
}

/// Audit a refusal by the access rules (`result = denied`) and return it as an error.
pub fn deny(db: &mut Db, who: &Principal, t: &Target<'_>, e: AccessError, now: i64) -> AuthError {
    // inside a transaction the refusal is written after it ends: the refusal usually rolls the
    // transaction back, and the audit row must not go with it
    match db.audit_after_transaction(denial(who, t, &e, now), now) {
        Ok(_) => AuthError::Denied(e),
        Err(s) => AuthError::Store(s),
    }
}

/// [`rules::can`] on the target's region, with a refusal audited.
pub fn authorize(
    db: &mut Db,
    who: &Principal,
    p: Permission,
    t: &Target<'_>,
    now: i64,
) -> Result<()> {
    match rules::can(Divisions::shanxi(), who, p, t.region) {
        Ok(()) => Ok(()),
        Err(e) => Err(deny(db, who, t, e, now)),
    }
}

/// The state of a maker–checker request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    PartlyApproved,
    Rejected,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::PartlyApproved => "partly_approved",
            ApprovalStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<ApprovalStatus> {
        [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::PartlyApproved,
            ApprovalStatus::Rejected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A maker–checker request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub id: i64,
    pub kind: ApprovalKind,
    pub object_id: String,
    pub region: RegionCode,
    pub submitted_by: i64,
    pub submitted_at: String,
    pub status: ApprovalStatus,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub note: String,
}

impl Approval {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "kind": self.kind.as_str(),
            "object_id": self.object_id,
            "region": self.region.to_string(),
            "submitted_by": self.submitted_by,
            "submitted_at": self.submitted_at,
            "status": self.status.as_str(),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "note": self.note,
        })
    }
}

/// Get a request.
pub fn get_approval(db: &mut Db, id: i64) -> Result<Option<Approval>> {
    let Some(r) = db.query_opt(
        "SELECT id, kind, object_id, region, submitted_by, submitted_at, status, decided_by, decided_at, note \
         FROM approvals WHERE id = $1",
        &[Val::I64(id)],
    )?
    else {
        return Ok(None);
    };
    let bad = |w: &str| AuthError::Store(crate::corrupt(format!("approvals[{id}].{w}"), ""));
    Ok(Some(Approval {
        id: r[0].i64()?,
        kind: r[1].text()?.parse().map_err(|_| bad("kind"))?,
        object_id: r[2].text()?.to_string(),
        region: RegionCode::new(u32::try_from(r[3].i64()?).map_err(|_| bad("region"))?)
            .map_err(|_| bad("region"))?,
        submitted_by: r[4].i64()?,
        submitted_at: r[5].text()?.to_string(),
        status: ApprovalStatus::parse(r[6].text()?).ok_or_else(|| bad("status"))?,
        decided_by: r[7].opt_i64()?,
        decided_at: r[8].opt_text()?.map(str::to_string),
        note: r[9].text()?.to_string(),
    }))
}

/// Submit `object_id` (a retirement application, a fund-use plan…) of `region` for a decision by
/// another user. The submitter needs the kind's submit permission over the region.
pub fn submit_approval(
    db: &mut Db,
    who: &Principal,
    kind: ApprovalKind,
    object_id: &str,
    region: RegionCode,
    now: i64,
) -> Result<Approval> {
    if object_id.is_empty() || object_id.len() > 128 || object_id.chars().any(char::is_control) {
        return Err(AuthError::Invalid(
            "object_id: 1-128 characters, one line".into(),
        ));
    }
    let target = Target {
        action: "approval.submit",
        object_type: kind.as_str(),
        object_id,
        region,
    };
    authorize(db, who, kind.submit_permission(), &target, now)?;
    let id = random_id()?;
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        db.exec(
            "INSERT INTO approvals (id, kind, object_id, region, submitted_by, submitted_at, status, note) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', '')",
            &[
                Val::I64(id),
                Val::Str(kind.as_str()),
                Val::Str(object_id),
                Val::I64(region.get() as i64),
                Val::I64(who.user_id),
                Val::Str(&at),
            ],
        )?;
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: "approval.submit",
                object_type: kind.as_str(),
                object_id,
                region: Some(region.get()),
                result: "ok",
                details: serde_json::json!({"approval_id": id}),
            },
            now,
        )?;
        Ok::<(), AuthError>(())
    })?;
    get_approval(db, id)?.ok_or_else(|| AuthError::NotFound(format!("approval {id}")))
}

/// Decide a pending request: approve, approve in part, or reject. Refused (and audited) when
/// the approver is the submitter, lacks the kind's approve permission or the region's scope, or
/// the request is no longer pending.
pub fn decide_approval(
    db: &mut Db,
    who: &Principal,
    id: i64,
    decision: ApprovalStatus,
    note: &str,
    now: i64,
) -> Result<Approval> {
    if decision == ApprovalStatus::Pending {
        return Err(AuthError::Invalid(
            "decision: approved, partly_approved or rejected".into(),
        ));
    }
    if note.chars().count() > 500 {
        return Err(AuthError::Invalid("note: at most 500 characters".into()));
    }
    let a = get_approval(db, id)?
        .ok_or_else(|| AuthError::NotFound(format!("approval {id} does not exist")))?;
    let perm = a.kind.approve_permission();
    if let Err(e) = rules::check_approval(Divisions::shanxi(), a.submitted_by, who, perm, a.region)
    {
        let target = Target {
            action: "approval.decide",
            object_type: a.kind.as_str(),
            object_id: &a.object_id,
            region: a.region,
        };
        return Err(deny(db, who, &target, e, now));
    }
    let at = iso_time(now);
    let changed = audit::retry(db, 10, |db| {
        // conditional: only a pending request, never by its submitter (also a table CHECK)
        let n = db.exec(
            "UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, note = $5 \
             WHERE id = $1 AND status = 'pending' AND submitted_by <> $3",
            &[
                Val::I64(id),
                Val::Str(decision.as_str()),
                Val::I64(who.user_id),
                Val::Str(&at),
                Val::Str(note),
            ],
        )?;
        if n == 1 {
            audit::append(
                db,
                &Entry {
                    actor: &Actor::of(who),
                    action: "approval.decide",
                    object_type: a.kind.as_str(),
                    object_id: &a.object_id,
                    region: Some(a.region.get()),
                    result: "ok",
                    details: serde_json::json!({"approval_id": id, "decision": decision.as_str()}),
                },
                now,
            )?;
        }
        Ok::<bool, AuthError>(n == 1)
    })?;
    if !changed {
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: "approval.decide",
                object_type: a.kind.as_str(),
                object_id: &a.object_id,
                region: Some(a.region.get()),
                result: "failed",
                details: serde_json::json!({"approval_id": id, "reason": "not_pending"}),
            },
            now,
        )?;
        return Err(AuthError::Conflict(format!(
            "approval {id} was already decided"
        )));
    }
    get_approval(db, id)?.ok_or_else(|| AuthError::NotFound(format!("approval {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    const PW: &str = "correct horse battery";

    fn rc(v: u32) -> RegionCode {
        RegionCode::new(v).expect("code")
    }

    fn add(db: &mut Db, login: &str, role: Role, region: u32) -> User {
        let person_id = (role == Role::InsuredPerson).then_some(77);
        add_user(
            db,
            &Actor::operator("cli:test"),
            &NewUser {
                login,
                display_name: login,
                role,
                region: rc(region),
                person_id,
                password: PW,
            },
            &AuthPolicy::default(),
            T0,
        )
        .expect("add user")
    }

    #[test]
    fn iso_round_trip() {
        assert_eq!(iso_time(T0), "2026-01-01T00:00:00.000Z");
        assert_eq!(iso_time(T0 + 3_723_004), "2026-01-01T01:02:03.004Z");
        for t in [0, T0, T0 + 86_399_999, 951_782_400_123] {
            assert_eq!(parse_iso_time(&iso_time(t)), Some(t));
        }
        assert_eq!(parse_iso_time("2026-01-01 00:00:00"), None);
    }

    #[test]
    fn passwords() {
        let h = hash_password(PW).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, PW));
        assert!(!verify_password(&h, "correct horse battery!"));
        assert!(!verify_password("garbage", PW));
        let p = AuthPolicy::default();
        assert!(validate_password("clerk", "short", &p).is_err());
        assert!(validate_password("clerk", "my-clerk-password", &p).is_err());
        assert!(validate_password("clerk", "123456789012", &p).is_err());
        assert!(validate_password("clerk", &"x".repeat(129), &p).is_err());
        assert!(validate_password("clerk", PW, &p).is_ok());
    }

    fn accounts(url: &str) {
        let mut db = Db::open(url).expect("open");
        let p = AuthPolicy::default();
        let u = add(&mut db, "clerk.xd", Role::CountyAgency, 140105);
        assert_eq!(u.role, Role::CountyAgency);
        // duplicates, wrong levels and missing person ids are refused
        let op = Actor::operator("cli:test");
        let mut nu = NewUser {
            login: "clerk.xd",
            display_name: "x",
            role: Role::CountyAgency,
            region: rc(140105),
            person_id: None,
            password: PW,
        };
        assert!(
            add_user(&mut db, &op, &nu, &p, T0)
                .expect_err("dup")
                .to_string()
                .contains("已存在")
        );
        nu.login = "clerk2";
        nu.region = rc(140100);
        assert!(
            add_user(&mut db, &op, &nu, &p, T0)
                .expect_err("level")
                .to_string()
                .starts_with("辖区与角色不符")
        );
        nu.role = Role::InsuredPerson;
        nu.region = rc(140105);
        assert!(
            add_user(&mut db, &op, &nu, &p, T0)
                .expect_err("person")
                .to_string()
                .starts_with("参保人")
        );
        nu.login = "Bad Login";
        assert!(
            add_user(&mut db, &op, &nu, &p, T0)
                .expect_err("login")
                .to_string()
                .starts_with("用户名")
        );

        // login, session, logout
        let s = login(&mut db, "clerk.xd", PW, "127.0.0.1", &p, T0).expect("login");
        assert_eq!(s.token.len(), 64);
        let stored = db
            .query_i64(
                "SELECT count(*) FROM sessions WHERE token_hash = $1",
                &[Val::Str(&s.token)],
            )
            .expect("q");
        assert_eq!(stored, 0, "the raw token is never stored");
        assert_eq!(
            session_user(&mut db, &s.token, &p, T0 + 1000)
                .expect("s")
                .map(|u| u.id),
            Some(u.id)
        );
        assert_eq!(session_user(&mut db, "00", &p, T0).expect("s"), None);
        logout(&mut db, &s.token, T0 + 2000).expect("logout");
        assert_eq!(
            session_user(&mut db, &s.token, &p, T0 + 3000).expect("s"),
            None
        );

        // idle timeout, then absolute timeout even when active
        let s = login(&mut db, "clerk.xd", PW, "127.0.0.1", &p, T0).expect("login");
        assert!(
            session_user(&mut db, &s.token, &p, T0 + p.idle_timeout_ms - 1)
                .expect("s")
                .is_some()
        );
        let later = T0 + p.idle_timeout_ms - 1;
        assert!(
            session_user(&mut db, &s.token, &p, later + p.idle_timeout_ms)
                .expect("s")
                .is_none()
        );
        let s = login(&mut db, "clerk.xd", PW, "127.0.0.1", &p, T0).expect("login");
        let mut t = T0;
        while t + p.idle_timeout_ms / 2 < T0 + p.absolute_timeout_ms {
            t += p.idle_timeout_ms / 2;
            assert!(
                session_user(&mut db, &s.token, &p, t).expect("s").is_some(),
                "alive at {t}"
            );
        }
        assert!(
            session_user(&mut db, &s.token, &p, T0 + p.absolute_timeout_ms)
                .expect("s")
                .is_none()
        );

        // lockout: max wrong passwords lock the account, even the right password is refused
        let s_before = login(&mut db, "clerk.xd", PW, "127.0.0.1", &p, T0).expect("login");
        for i in 1..p.max_failed_logins {
            assert!(matches!(
                login(&mut db, "clerk.xd", "wrong password!", "c", &p, T0 + i),
                Err(AuthError::BadCredentials)
            ));
        }
        assert!(matches!(
            login(&mut db, "clerk.xd", "wrong password!", "c", &p, T0 + 10),
            Err(AuthError::Locked { .. })
        ));
        assert!(matches!(
            login(&mut db, "clerk.xd", PW, "c", &p, T0 + 20),
            Err(AuthError::Locked { .. })
        ));
        assert!(
            get_user(&mut db, "clerk.xd")
                .expect("u")
                .expect("u")
                .locked_until
                .is_some()
        );
        // after the lockout period the right password works again and resets the counter
        login(&mut db, "clerk.xd", PW, "c", &p, T0 + 10 + p.lockout_ms)
            .expect("login after lockout");
        assert_eq!(
            get_user(&mut db, "clerk.xd")
                .expect("u")
                .expect("u")
                .failed_logins,
            0
        );
        // the security administrator's unlock
        for i in 0..p.max_failed_logins {
            let _ = login(
                &mut db,
                "clerk.xd",
                "wrong password!",
                "c",
                &p,
                T0 + p.lockout_ms + 100 + i,
            );
        }
        assert!(matches!(
            login(&mut db, "clerk.xd", PW, "c", &p, T0 + p.lockout_ms + 200),
            Err(AuthError::Locked { .. })
        ));
        unlock(&mut db, &op, "clerk.xd", T0 + p.lockout_ms + 300).expect("unlock");
        login(&mut db, "clerk.xd", PW, "c", &p, T0 + p.lockout_ms + 400)
            .expect("login after unlock");
        // unknown login: same error as a wrong password
        assert!(matches!(
            login(&mut db, "nobody", PW, "c", &p, T0),
            Err(AuthError::BadCredentials)
        ));
        // deactivation ends sessions
        assert!(
            session_user(&mut db, &s_before.token, &p, T0 + 1000)
                .expect("s")
                .is_some()
        );
        set_active(&mut db, &op, "clerk.xd", false, T0 + 1001).expect("deactivate");
        assert!(
            session_user(&mut db, &s_before.token, &p, T0 + 1002)
                .expect("s")
                .is_none()
        );
        assert!(matches!(
            login(&mut db, "clerk.xd", PW, "c", &p, T0 + p.lockout_ms + 500),
            Err(AuthError::BadCredentials)
        ));
        set_active(&mut db, &op, "clerk.xd", true, T0 + 1003).expect("activate");
        set_password(
            &mut db,
            &op,
            "clerk.xd",
            "a new long passphrase",
            &p,
            T0 + 1004,
        )
        .expect("password");
        assert!(login(&mut db, "clerk.xd", PW, "c", &p, T0 + p.lockout_ms + 600).is_err());

        // every event is in the audit log, and the chain verifies
        let reasons: Vec<String> = audit::list(
            &mut db,
            &audit::Filter {
                action: Some("auth.login".into()),
                limit: Some(1000),
                ..audit::Filter::default()
            },
        )
        .expect("list")
        .iter()
        .map(|r| format!("{}:{}", r.result, r.details))
        .collect();
        for needle in [
            "unknown_login",
            "bad_password",
            "\"reason\":\"locked\"",
            "inactive",
            "locked_until",
        ] {
            assert!(
                reasons.iter().any(|r| r.contains(needle)),
                "no {needle} in {reasons:?}"
            );
        }
        assert!(
            reasons
                .iter()
                .all(|r| !r.contains(PW) && !r.contains("wrong password"))
        );
        let ends = audit::list(
            &mut db,
            &audit::Filter {
                action: Some("auth.session_end".into()),
                ..audit::Filter::default()
            },
        )
        .expect("list");
        assert!(ends.iter().any(|r| r.details.contains("idle_timeout")));
        assert!(ends.iter().any(|r| r.details.contains("absolute_timeout")));
        assert!(audit::verify_audit_chain(&mut db).expect("verify").ok());
        assert_eq!(list_users(&mut db).expect("list").len(), 1);
    }

    #[test]
    fn sqlite_accounts() {
        accounts(&testing::sqlite_url("access"));
    }

    #[test]
    fn postgres_accounts() {
        accounts(&testing::pg_url("access"));
    }

    fn maker_checker(url: &str) {
        let mut db = Db::open(url).expect("open");
        let clerk = add(&mut db, "clerk", Role::CountyAgency, 140105).principal();
        let bureau = add(&mut db, "bureau", Role::ProvinceBureauApprover, 140000).principal();
        let finance = add(&mut db, "fin", Role::FinanceApprover, 140000).principal();
        let other_county = add(&mut db, "clerk2", Role::CountyAgency, 140106).principal();

        // submitting needs the permission and the scope
        let e = submit_approval(
            &mut db,
            &other_county,
            ApprovalKind::Retirement,
            "ret-1",
            rc(140105),
            T0,
        )
        .expect_err("scope");
        assert!(matches!(
            e,
            AuthError::Denied(AccessError::OutOfScope { .. })
        ));
        let e = submit_approval(
            &mut db,
            &finance,
            ApprovalKind::Retirement,
            "ret-1",
            rc(140105),
            T0,
        )
        .expect_err("perm");
        assert!(matches!(
            e,
            AuthError::Denied(AccessError::NoPermission { .. })
        ));
        let a = submit_approval(
            &mut db,
            &clerk,
            ApprovalKind::Retirement,
            "ret-1",
            rc(140105),
            T0,
        )
        .expect("submit");
        assert_eq!(a.status, ApprovalStatus::Pending);

        // the submitter cannot decide; nor can someone without the permission
        let e = decide_approval(&mut db, &clerk, a.id, ApprovalStatus::Approved, "", T0 + 1)
            .expect_err("self");
        assert!(matches!(e, AuthError::Denied(AccessError::SelfApproval)));
        let e = decide_approval(
            &mut db,
            &finance,
            a.id,
            ApprovalStatus::Approved,
            "",
            T0 + 2,
        )
        .expect_err("perm");
        assert!(matches!(
            e,
            AuthError::Denied(AccessError::NoPermission { .. })
        ));
        // even a forged write is stopped by the table
        assert!(
            db.exec(
                "UPDATE approvals SET status = 'approved', decided_by = submitted_by, decided_at = 'x' WHERE id = $1",
                &[Val::I64(a.id)]
            )
            .is_err()
        );
        let done = decide_approval(
            &mut db,
            &bureau,
            a.id,
            ApprovalStatus::Approved,
            "ok",
            T0 + 3,
        )
        .expect("decide");
        assert_eq!(done.status, ApprovalStatus::Approved);
        assert_eq!(done.decided_by, Some(bureau.user_id));
        let e = decide_approval(&mut db, &bureau, a.id, ApprovalStatus::Rejected, "", T0 + 4)
            .expect_err("twice");
        assert!(matches!(e, AuthError::Conflict(_)));

        let denied = audit::list(
            &mut db,
            &audit::Filter {
                action: Some("approval.decide".into()),
                ..audit::Filter::default()
            },
        )
        .expect("list");
        let results: Vec<(&str, &str)> = denied
            .iter()
            .rev()
            .map(|r| (r.login.as_str(), r.result.as_str()))
            .collect();
        assert_eq!(
            results,
            vec![
                ("clerk", "denied"),
                ("fin", "denied"),
                ("bureau", "ok"),
                ("bureau", "failed")
            ]
        );
        assert!(denied.iter().any(|r| r.details.contains("self_approval")));
        assert!(audit::verify_audit_chain(&mut db).expect("verify").ok());
    }

    #[test]
    fn sqlite_maker_checker() {
        maker_checker(&testing::sqlite_url("approval"));
    }

    #[test]
    fn postgres_maker_checker() {
        maker_checker(&testing::pg_url("approval"));
    }
}
