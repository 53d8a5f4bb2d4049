//! Who acts: a staff member's password checked as a login of the web service is (lockout after
//! repeated failures, every attempt audited), for an edge that acts once in their name (the
//! command line's `--as LOGIN`). The session opened is ended at once.

use crate::error::Result;
use tongchou_core::access::Principal;
use tongchou_store::Db;
use tongchou_store::access::{self, AuthPolicy};

/// Authenticate `login` with `password` from `client` (`cli`), then end the session: the user
/// as the use cases check them (role, region). A wrong password, a locked or deactivated account
/// is `Forbidden`.
pub fn authenticate(
    db: &mut Db,
    login: &str,
    password: &str,
    client: &str,
    policy: &AuthPolicy,
    now_ms: i64,
) -> Result<Principal> {
    authenticate_with_code(db, login, password, None, client, policy, now_ms)
}

/// [`authenticate`] with the code of the staff member's authenticator, for an account that
/// enrolled one (`tongchou user totp`).
pub fn authenticate_with_code(
    db: &mut Db,
    login: &str,
    password: &str,
    code: Option<&str>,
    client: &str,
    policy: &AuthPolicy,
    now_ms: i64,
) -> Result<Principal> {
    let s = access::login_with_code(db, login, password, code, client, policy, now_ms)?;
    access::logout(db, &s.token, now_ms)?;
    Ok(s.user.principal())
}
