//! The staff's second factor: time-based one-time passwords (RFC 6238 with HMAC-SHA-1, six
//! digits, 30-second steps, one step of clock skew either way; the `totp-rs` crate), the kind
//! every authenticator app reads from an `otpauth://` URI. An account that enrolled must give the
//! code of its authenticator with its password; a code is accepted once (the last accepted step
//! is kept, RFC 6238 §5.2). Enrolment and removal are audited (`user.totp_enable`,
//! `user.totp_disable`). Migration 0036.

use crate::access::{AuthError, change_user, random_bytes};
use crate::audit::Actor;
use crate::{Db, Val};
use totp_rs::{Algorithm, Builder, Secret, Totp};

type Result<T> = std::result::Result<T, AuthError>;

const STEP: u64 = 30;

/// What a staff member types into their authenticator app (shown once, at enrolment).
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// The secret in base 32.
    pub secret: String,
    /// `otpauth://totp/Tongchou:LOGIN?secret=…&issuer=Tongchou`
    pub uri: String,
}

fn totp(secret_b32: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|_| AuthError::Invalid(tongchou_core::tr!("store-err-totp-secret")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(secret)
        .build()
        .map_err(|e| AuthError::Invalid(tongchou_core::tr!("store-err-totp-setup", error = e)))
}

/// The code an authenticator shows for `secret_b32` at `now_ms` (for tests and tools).
pub fn code_at(secret_b32: &str, now_ms: i64) -> Result<String> {
    Ok(totp(secret_b32)?
        .generate(now_ms.max(0) as u64 / 1000)
        .to_string())
}

/// Enrol `login` (or enrol again, replacing the old secret): a new random 160-bit secret.
pub fn enable(db: &mut Db, actor: &Actor, login: &str, now: i64) -> Result<Enrolment> {
    let secret = Secret::from(random_bytes::<20>()?.to_vec()).to_base32();
    change_user(
        db,
        actor,
        login,
        "user.totp_enable",
        now,
        serde_json::json!({}),
        |db, u| {
            db.exec(
                "UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1",
                &[Val::I64(u.id), Val::Str(&secret)],
            )?;
            Ok(())
        },
    )?;
    Ok(enrolment(login, secret))
}

fn enrolment(login: &str, secret: String) -> Enrolment {
    Enrolment {
        uri: format!(
            "otpauth://totp/Tongchou:{login}?secret={secret}&issuer=Tongchou&digits=6&period=30"
        ),
        secret,
    }
}

/// Start enrolling `login` in the browser: a new secret kept aside (`totp_pending`, audited as
/// `user.totp_begin`) until [`confirm`] receives a current code of it. Until then the login goes
/// on as before (with the old second factor, if any).
pub fn begin(db: &mut Db, actor: &Actor, login: &str, now: i64) -> Result<Enrolment> {
    let secret = Secret::from(random_bytes::<20>()?.to_vec()).to_base32();
    change_user(
        db,
        actor,
        login,
        "user.totp_begin",
        now,
        serde_json::json!({}),
        |db, u| {
            db.exec(
                "UPDATE users SET totp_pending = $2 WHERE id = $1",
                &[Val::I64(u.id), Val::Str(&secret)],
            )?;
            Ok(())
        },
    )?;
    Ok(enrolment(login, secret))
}

/// Confirm the enrolment [`begin`] started with a current code of the new secret: the secret
/// becomes the account's second factor (audited as `user.totp_enable`, the step used up). A
/// wrong code changes nothing.
pub fn confirm(db: &mut Db, actor: &Actor, login: &str, code: &str, now_ms: i64) -> Result<()> {
    let pending = db
        .query_opt(
            "SELECT totp_pending FROM users WHERE login = $1",
            &[Val::Str(login)],
        )?
        .and_then(|r| r[0].opt_text().ok().flatten().map(str::to_string))
        .ok_or_else(|| AuthError::Conflict(tongchou_core::tr!("store-err-totp-no-enrolment")))?;
    let step = totp(&pending)?
        .check(code.trim(), now_ms.max(0) as u64 / 1000)
        .ok_or_else(|| AuthError::Invalid(tongchou_core::tr!("store-err-totp-wrong-code")))?
        as i64;
    change_user(
        db,
        actor,
        login,
        "user.totp_enable",
        now_ms,
        serde_json::json!({"confirmed": true}),
        |db, u| {
            db.exec(
                "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2 WHERE id = $1",
                &[Val::I64(u.id), Val::I64(step)],
            )?;
            Ok(())
        },
    )
    .map(drop)
}

/// Whether `login` has a second factor, and whether an enrolment awaits confirmation.
pub fn state(db: &mut Db, login: &str) -> Result<(bool, bool)> {
    Ok(
        match db.query_opt(
            "SELECT totp_secret, totp_pending FROM users WHERE login = $1",
            &[Val::Str(login)],
        )? {
            Some(r) => (r[0].opt_text()?.is_some(), r[1].opt_text()?.is_some()),
            None => (false, false),
        },
    )
}

/// Remove `login`'s second factor.
pub fn disable(db: &mut Db, actor: &Actor, login: &str, now: i64) -> Result<()> {
    change_user(
        db,
        actor,
        login,
        "user.totp_disable",
        now,
        serde_json::json!({}),
        |db, u| {
            db.exec(
                "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1",
                &[Val::I64(u.id)],
            )?;
            Ok(())
        },
    )
    .map(drop)
}

/// The second factor of the user with this id: `Ok(true)` if they have none or `code` is
/// their authenticator's code of a step not used before (the step is then used up).
pub fn check(db: &mut Db, user_id: i64, code: Option<&str>, now_ms: i64) -> Result<bool> {
    let Some(r) = db.query_opt(
        "SELECT totp_secret, totp_last_step FROM users WHERE id = $1",
        &[Val::I64(user_id)],
    )?
    else {
        return Ok(false);
    };
    let Some(secret) = r[0].opt_text()?.map(str::to_string) else {
        return Ok(true);
    };
    let last = r[1].opt_i64()?;
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(false);
    };
    let Some(step) = totp(&secret)?.check(code, now_ms.max(0) as u64 / 1000) else {
        return Ok(false);
    };
    let step = step as i64;
    if last.is_some_and(|l| step <= l) {
        return Ok(false); // replayed
    }
    // conditional: two logins racing with the same code, only one uses the step up
    let n = db.exec(
        "UPDATE users SET totp_last_step = $2 WHERE id = $1 \
         AND (totp_last_step IS NULL OR totp_last_step < $2)",
        &[Val::I64(user_id), Val::I64(step)],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_secret_is_refused_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let zh = totp("not base 32!")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(zh.contains("base32"), "{zh}");
        crate::testing::assert_chinese_only(&zh);
        let en = scope(Lang::En, || {
            totp("not base 32!").err().map(|e| e.to_string())
        });
        let en = en.unwrap_or_default();
        assert!(en.contains("not base 32"), "{en}");
        crate::testing::assert_english_only(&en);
    }

    #[test]
    fn the_rfc_6238_test_vector() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s: 94287082 (8
        // digits); its last six digits are the 6-digit code
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&secret, 59_000).expect("code"), "287082");
    }
}
