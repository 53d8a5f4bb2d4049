//! Who is at the command line: the operator (as the audit log names them), and a staff member
//! acting with `--as LOGIN`, whose password comes from `TONGCHOU_PASSWORD` or the first line of
//! standard input, never from the command line, and is checked like a web login
//! ([`tongchou_app::acting::authenticate`]: lockout after repeated failures, every attempt
//! audited; the session opened is ended at once).

use crate::output::CliError;
use std::io::BufRead;
use tongchou_app::clock::now_ms;
use tongchou_core::access::Principal;
use tongchou_store::Db;
use tongchou_store::access::AuthPolicy;
use tongchou_store::audit::Actor;

/// The console itself, for the few commands that must work before any staff member exists or
/// that need the machine rather than a person (creating the first administrator, verifying the
/// audit chain, an import run without `--as`). Never `$USER`: the environment can say anything,
/// so the audit log names the console, not a person it cannot vouch for.
pub fn operator() -> Actor {
    Actor::operator("cli:console")
}

/// The staff member of `--as LOGIN` (authenticated as [`acting_user`]) who must hold one of
/// `perms`; the audit log names them.
pub fn staff(
    db: &mut Db,
    login: &str,
    perms: &[tongchou_core::access::Permission],
    what: &str,
) -> Result<Actor, CliError> {
    let who = acting_user(db, login)?;
    if !perms.iter().any(|p| who.role.has(*p)) {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-role-may-not",
            login = login,
            role = who.role.label(tongchou_core::i18n::current()),
            what = what
        )));
    }
    Ok(Actor::of(&who))
}

/// A password from `TONGCHOU_PASSWORD`, else the first line of standard input.
pub fn read_password() -> Result<String, CliError> {
    if let Ok(p) = std::env::var("TONGCHOU_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError(tongchou_core::tr!("cli-err-password-stdin", error = e)))?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    if p.is_empty() {
        return Err(CliError(tongchou_core::tr!("cli-err-password-none")));
    }
    Ok(p)
}

/// The staff member of `--as LOGIN`, authenticated with [`read_password`] and, for an account
/// with a second factor, the authenticator's code in `TONGCHOU_OTP`.
pub fn acting_user(db: &mut Db, login: &str) -> Result<Principal, CliError> {
    let password = read_password()?;
    let code = std::env::var("TONGCHOU_OTP").ok();
    tongchou_app::acting::authenticate_with_code(
        db,
        login,
        &password,
        code.as_deref(),
        "cli",
        &AuthPolicy::default(),
        now_ms(),
    )
    .map_err(|e| CliError(format!("--as {login}: {e}")))
}

/// The exchange key a file for another party is sealed with (`--seal-key-file`), or `None`
/// where `--plain` was said; neither is refused: `what` (in the reader's language) carries full ID
/// numbers and is never written in plain text by default.
pub fn seal_key(
    key_file: Option<&std::path::Path>,
    plain: bool,
    what: &str,
) -> Result<Option<tongchou_store::backup::MasterKey>, crate::output::CliError> {
    match (key_file, plain) {
        (Some(k), _) => Ok(Some(tongchou_store::keys::master_from_file(k)?)),
        (None, true) => Ok(None),
        (None, false) => Err(crate::output::CliError(tongchou_core::tr!(
            "cli-err-seal-needed",
            what = what
        ))),
    }
}
