//! Backups, restores and the audit archive (issue 14 item 4, issue 16 items 5 and 6), each
//! sealed with the deployment's master key (`tongchou_store::backup`; docs/OPERATIONS.md).
//!
//! - [`backup`]: SQLite `VACUUM INTO` or PostgreSQL `pg_dump` (logical) or `pg_basebackup`
//!   (physical, for point-in-time recovery with the WAL archive); audited `backup.create`.
//! - [`restore_point`]: a named restore point in PostgreSQL's WAL (`backup.restore_point`).
//! - [`restore`]: into a new SQLite file or an empty PostgreSQL schema; audited in the restored
//!   database (`backup.restore`). [`restore_pitr`]: a data directory recovering to a point.
//! - [`archive_audit`]: audit entries older than `before` — refused inside the retention period
//!   `retention.audit_log_months` — sealed into an archive, read back and verified, then removed
//!   with the archive recorded (`audit.archive`); [`verify_archive`] checks an archive file.

use crate::{AppError, Result};
use std::io::BufReader;
use std::path::Path;
use tongchou_core::policy::Policy;
use tongchou_core::{Date, Timestamp};
use tongchou_store::audit::archive::{self, ArchiveCheck, Archived};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::backup::{self as store, Header, KeyProvider, Target, Written};
use tongchou_store::{Backend, Db};

/// Which backup to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// SQLite: an online copy; PostgreSQL: `pg_dump` of the deployment's schema.
    Logical,
    /// PostgreSQL only: `pg_basebackup` of the cluster (for point-in-time recovery).
    Base,
}

fn record(
    db: &mut Db,
    op: &Actor,
    action: &str,
    object: &str,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor: op,
            action,
            object_type: "backup",
            object_id: object,
            region: None,
            result: "ok",
            details,
        },
        now_ms,
    )?;
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Back up the database of `db` into the sealed file `out` (never overwritten).
pub fn backup(
    db: &mut Db,
    key: &dyn KeyProvider,
    op: &Actor,
    method: Method,
    out: &Path,
    now_ms: i64,
) -> Result<Written> {
    let w = match (db.backend(), method) {
        (Backend::Sqlite, Method::Logical) => store::sqlite_backup(db, key, out)?,
        (Backend::Postgres, Method::Logical) => store::pg_dump_backup(db, key, out)?,
        (Backend::Postgres, Method::Base) => store::pg_base_backup(db, key, out)?,
        (Backend::Sqlite, Method::Base) => {
            return Err(AppError::Invalid(tongchou_core::tr!("app-bak-base")));
        }
    };
    let details = serde_json::json!({
        "kind": w.kind, "cipher": w.cipher.name(), "plain_bytes": w.plain_bytes,
        "sealed_bytes": w.sealed_bytes, "sha256": w.sha256,
    });
    record(db, op, "backup.create", &file_name(out), details, now_ms)?;
    Ok(w)
}

/// Create a named restore point (PostgreSQL); its LSN.
pub fn restore_point(db: &mut Db, op: &Actor, name: &str, now_ms: i64) -> Result<String> {
    if db.backend() != Backend::Postgres {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-bak-restore-point"
        )));
    }
    let lsn = store::restore_point(db, name)?;
    record(
        db,
        op,
        "backup.restore_point",
        name,
        serde_json::json!({"lsn": lsn}),
        now_ms,
    )?;
    Ok(lsn)
}

/// Restore the sealed backup `from` into the database `url` (a new SQLite file, or an empty
/// PostgreSQL schema of the dumped name), then record the restore in it.
pub fn restore(
    url: &str,
    key: &dyn KeyProvider,
    from: &Path,
    op: &Actor,
    now_ms: i64,
) -> Result<Header> {
    let h = if let Some(path) = url.strip_prefix("sqlite://") {
        store::sqlite_restore(key, from, Path::new(path))?
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        store::pg_restore(key, from, url)?
    } else {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-bak-restore-url",
            url = format!("{url:?}")
        )));
    };
    let mut db = Db::open(url)?;
    let (_, sha) = store::fingerprint(from)?;
    let details = serde_json::json!({"kind": h.kind, "cipher": h.cipher.name(), "sha256": sha});
    record(
        &mut db,
        op,
        "backup.restore",
        &file_name(from),
        details,
        now_ms,
    )?;
    Ok(h)
}

/// Unpack a sealed base backup into the data directory `dir`, set to recover from `wal_archive`
/// to `target` and promote (the operator then starts it with `pg_ctl`).
pub fn restore_pitr(
    key: &dyn KeyProvider,
    from: &Path,
    dir: &Path,
    wal_archive: &Path,
    target: &Target,
) -> Result<Header> {
    Ok(store::prepare_pitr(key, from, dir, wal_archive, target)?)
}

/// The first day that may still be archived on `today`: `today` less the retention period.
pub fn retention_limit(today: Date) -> Result<Date> {
    let (months, _) = Policy::builtin()?.int("retention.audit_log_months", today)?;
    let months = i32::try_from(months)
        .map_err(|_| AppError::Invalid("retention.audit_log_months".into()))?;
    let p = today.period().add_months(-months);
    let day = today.day().min(p.last_day().day());
    Ok(p.day(day))
}

/// Midnight of `d` in Beijing as the audit log's UTC time text.
fn china_midnight(d: Date) -> Result<String> {
    let ms = d.days_since_epoch() * 86_400_000 - 8 * 3_600_000;
    Timestamp::from_millis(ms)
        .map(|t| t.to_string())
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// Archive the audit entries made before `before` (Beijing time) into the sealed file `out`.
/// Refused (and the refusal audited) when `before` is inside the retention period. Nothing is
/// deleted unless the file was written, read back and verified against the chain.
pub fn archive_audit(
    db: &mut Db,
    key: &dyn KeyProvider,
    op: &Actor,
    before: Date,
    today: Date,
    out: &Path,
    now_ms: i64,
) -> Result<Option<ArchiveCheck>> {
    let limit = retention_limit(today)?;
    if before > limit {
        let msg = tongchou_core::tr!("app-bak-retention", before = before, limit = limit);
        audit::refusal(
            db,
            &Entry {
                actor: op,
                action: "audit.archive",
                object_type: "audit_log",
                object_id: "archive",
                region: None,
                result: "denied",
                details: serde_json::json!({"before": before.to_string(), "limit": limit.to_string()}),
            },
            now_ms,
        )?;
        return Err(AppError::Invalid(msg));
    }
    let Some((first, last)) = archive::range_before(db, &china_midnight(before)?)? else {
        return Ok(None);
    };
    let prev = match archive::archived_head(db)? {
        Some((_, h)) => h,
        None => audit::GENESIS.to_string(),
    };
    let cipher = store::cipher(db)?;
    let mut plain = Vec::new();
    archive::write_lines(db, first, last, &prev, &mut plain)?;
    store::seal_to(key, cipher, "audit-archive", &mut plain.as_slice(), out)?;
    drop(plain);
    let check = read_archive(key, out)?;
    if check.broken.is_some()
        || (check.first_seq, check.last_seq) != (first, last)
        || check.prev_hash != prev
    {
        return Err(AppError::State(tongchou_core::tr!(
            "app-bak-verify",
            file = out.display()
        )));
    }
    let (_, sha) = store::fingerprint(out)?;
    let name = file_name(out);
    let at = tongchou_store::access::iso_time(now_ms);
    let details = serde_json::json!({
        "first_seq": first, "last_seq": last, "entries": check.entries, "last_hash": check.last_hash,
        "before": before.to_string(), "file": name, "sha256": sha,
    });
    let object = last.to_string();
    let entry = Entry {
        actor: op,
        action: "audit.archive",
        object_type: "audit_log",
        object_id: &object,
        region: None,
        result: "ok",
        details,
    };
    let before_s = before.to_string();
    let a = Archived {
        check: &check,
        before_day: &before_s,
        file_name: &name,
        file_sha256: &sha,
        at: &at,
        by: &op.login,
    };
    archive::commit(db, &a, &entry, now_ms)?;
    Ok(Some(check))
}

fn read_archive(key: &dyn KeyProvider, path: &Path) -> Result<ArchiveCheck> {
    let r = store::open_sealed(key, path)?;
    if r.header().kind != "audit-archive" {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-bak-not-archive",
            file = path.display(),
            kind = r.header().kind
        )));
    }
    Ok(archive::verify_lines(&mut BufReader::new(r))?)
}

/// Verify an archive file: decrypt, recompute its chain; with a database, also that it is the
/// archive recorded there (same range and last hash). Audited in the database when given.
pub fn verify_archive(
    key: &dyn KeyProvider,
    path: &Path,
    db: Option<(&mut Db, &Actor)>,
    now_ms: i64,
) -> Result<(ArchiveCheck, Option<bool>)> {
    let check = read_archive(key, path)?;
    let Some((db, op)) = db else {
        return Ok((check, None));
    };
    let recorded = tongchou_store::audit::archive::recorded(db, check.last_seq)?;
    let matches = recorded
        .as_ref()
        .map(|(first, hash)| *first == check.first_seq && *hash == check.last_hash);
    let ok = check.broken.is_none() && matches == Some(true);
    audit::append(
        db,
        &Entry {
            actor: op,
            action: "audit.archive_verify",
            object_type: "audit_log",
            object_id: &file_name(path),
            region: None,
            result: if ok { "ok" } else { "failed" },
            details: serde_json::json!({"first_seq": check.first_seq, "last_seq": check.last_seq, "recorded": matches}),
        },
        now_ms,
    )?;
    Ok((check, Some(matches == Some(true))))
}
