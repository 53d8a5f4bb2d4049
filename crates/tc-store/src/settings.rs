//! Deployment settings kept in the `meta` table, chosen when the database is created.
//!
//! `chain_hash` is the hash algorithm of new ledger journal and audit log entries (`sm3` or
//! `sha256`). A new database takes it from the environment variable `TONGCHOU_CHAIN_HASH`
//! (default `sha256`); a database that had no setting keeps `sha256`, so its chains go on as
//! they were. Every chained hash records its own algorithm, so a chain verifies across a
//! change; [`set_chain_hash`] only moves forward, from SHA-256 to SM3.

use crate::{Db, Result, StoreError, Val};
pub use tongchou_crypto::HashAlg;

/// The environment variable read when a database is created.
pub const CHAIN_HASH_ENV: &str = "TONGCHOU_CHAIN_HASH";

/// The value of a `meta` key.
pub fn get(db: &mut Db, key: &str) -> Result<Option<String>> {
    match db.query_opt("SELECT value FROM meta WHERE key = $1", &[Val::Str(key)])? {
        Some(r) => Ok(Some(r[0].text()?.to_string())),
        None => Ok(None),
    }
}

/// Set a `meta` key (insert or replace).
pub fn put(db: &mut Db, key: &str, value: &str) -> Result<()> {
    db.exec(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[Val::Str(key), Val::Str(value)],
    )?;
    Ok(())
}

/// The algorithm named by the environment, or SHA-256; an unknown name is an error.
pub fn chain_hash_from_env() -> Result<HashAlg> {
    match std::env::var(CHAIN_HASH_ENV) {
        Ok(v) if !v.trim().is_empty() => HashAlg::parse(&v).ok_or_else(|| {
            StoreError::Invalid(format!("{CHAIN_HASH_ENV}={v:?}: use sm3 or sha256"))
        }),
        _ => Ok(HashAlg::Sha256),
    }
}

/// Record the chain hash of a database created just now (`fresh`), or of an older one that
/// has no setting (SHA-256, what its chains were written with).
pub(crate) fn init(db: &mut Db, fresh: bool) -> Result<()> {
    if get(db, "chain_hash")?.is_some() {
        return Ok(());
    }
    let alg = if fresh {
        chain_hash_from_env()?
    } else {
        HashAlg::Sha256
    };
    db.exec(
        "INSERT INTO meta (key, value) VALUES ('chain_hash', $1) ON CONFLICT (key) DO NOTHING",
        &[Val::Str(alg.name())],
    )?;
    Ok(())
}

/// The chain hash of this deployment.
pub fn chain_hash(db: &mut Db) -> Result<HashAlg> {
    match get(db, "chain_hash")? {
        None => Ok(HashAlg::Sha256),
        Some(v) => HashAlg::parse(&v).ok_or_else(|| {
            StoreError::Invalid(format!("meta chain_hash {v:?} is not sm3 or sha256"))
        }),
    }
}

/// Change the chain hash of new entries. Going back from SM3 to SHA-256 is refused: the
/// verifiers treat it as a downgrade.
pub fn set_chain_hash(db: &mut Db, alg: HashAlg) -> Result<()> {
    let now = chain_hash(db)?;
    if now == HashAlg::Sm3 && alg == HashAlg::Sha256 {
        return Err(StoreError::Invalid(tongchou_core::tr!(
            "store-err-sm3-downgrade"
        )));
    }
    put(db, "chain_hash", alg.name())?;
    db.chain = Some(alg);
    Ok(())
}
