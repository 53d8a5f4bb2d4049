//! `tongchou backup` and `tongchou restore`: sealed backups of the database, restores, named
//! restore points and point-in-time recovery (docs/OPERATIONS.md). The use cases are
//! `tongchou_app::backup`.

use crate::output::{CliError, CliResult, print_json};
use crate::session::operator;
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::backup::{self, Method};
use tongchou_app::clock::now_ms;
use tongchou_store::Db;
use tongchou_store::backup::Target;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The sealed backup file to write (never overwritten). SQLite: an online copy (VACUUM
    /// INTO); PostgreSQL: pg_dump of the deployment's schema.
    #[arg(long, required_unless_present = "restore_point")]
    pub out: Option<PathBuf>,
    /// PostgreSQL: a base backup of the whole cluster (pg_basebackup) for point-in-time
    /// recovery with the server's WAL archive.
    #[arg(long)]
    pub base: bool,
    /// PostgreSQL: create a named restore point in the WAL (and switch WAL files so the archive
    /// holds it), e.g. after a month closes.
    #[arg(long, conflicts_with_all = ["out", "base"])]
    pub restore_point: Option<String>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The sealed backup file.
    #[arg(long)]
    pub from: PathBuf,
    /// Only decrypt and check the whole file (every chunk authenticates), writing nothing.
    #[arg(long, conflicts_with_all = ["data_dir"])]
    pub check: bool,
    /// Point-in-time recovery: the new, empty data directory to unpack a base backup into.
    #[arg(long, requires = "wal_archive")]
    pub data_dir: Option<PathBuf>,
    /// The WAL archive directory the server's archive_command copies into.
    #[arg(long, requires = "data_dir")]
    pub wal_archive: Option<PathBuf>,
    /// Recover up to this named restore point (`tongchou backup --restore-point NAME`).
    #[arg(long, requires = "data_dir", conflicts_with = "target_time")]
    pub target_name: Option<String>,
    /// Recover up to this time (`2026-12-04 21:00:00+00`).
    #[arg(long, requires = "data_dir")]
    pub target_time: Option<String>,
}

#[derive(clap::Args)]
pub struct UnsealArgs {
    /// The key the file was sealed for: an exchange key file (64 hex digits, mode 0600).
    #[arg(long)]
    pub key_file: PathBuf,
    /// The sealed file.
    #[arg(long)]
    pub from: PathBuf,
    /// Where to write its plain content (a new file, mode 0600).
    #[arg(long)]
    pub out: PathBuf,
}

/// PostgreSQL's WAL archive sealed with the deployment's master key (docs/OPERATIONS.md):
/// `archive_command = 'TONGCHOU_MASTER_KEY_FILE=KEY tongchou wal push "%p" "ARCHIVE/%f"'`;
/// `tongchou restore --data-dir` writes the matching `restore_command` (`wal fetch`).
#[derive(clap::Subcommand)]
pub enum WalCmd {
    /// Seal one WAL segment into the archive (the server's archive_command). Success when the
    /// archive already holds the same segment; never overwrites another.
    Push {
        /// The segment (%p).
        src: PathBuf,
        /// Its place in the archive (ARCHIVE/%f).
        dest: PathBuf,
    },
    /// Open one sealed segment from the archive (the server's restore_command).
    Fetch {
        /// The sealed segment (ARCHIVE/%f).
        from: PathBuf,
        /// Where the server wants it (%p).
        to: PathBuf,
    },
}

/// `tongchou wal push|fetch`: no database, no output (the server reads the exit status).
pub fn run_wal(c: WalCmd) -> CliResult {
    let key = tongchou_store::backup::master_key()?;
    match c {
        WalCmd::Push { src, dest } => {
            tongchou_store::backup::wal_push(&key, &src, &dest)?;
        }
        WalCmd::Fetch { from, to } => tongchou_store::backup::wal_fetch(&key, &from, &to)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Open a file sealed for a receiver (the dues file) with the receiver's exchange key.
pub fn run_unseal(a: UnsealArgs) -> CliResult {
    let key = tongchou_store::keys::master_from_file(&a.key_file)?;
    let h = tongchou_store::backup::open_to(&key, &a.from, &a.out, None, |_| Ok(()))?;
    print_json(
        &serde_json::json!({"kind": h.kind, "cipher": h.cipher.name(), "out": a.out.display().to_string()}),
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_backup(a: BackupArgs, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    let op = operator();
    if let Some(name) = a.restore_point {
        let lsn = backup::restore_point(&mut db, &op, &name, now_ms())?;
        print_json(&serde_json::json!({"restore_point": name, "lsn": lsn}))?;
        return Ok(ExitCode::SUCCESS);
    }
    let out = a
        .out
        .ok_or_else(|| CliError(tongchou_core::tr!("cli-err-out-required")))?;
    let method = if a.base {
        Method::Base
    } else {
        Method::Logical
    };
    let key = tongchou_store::backup::master_key_for(Some(db_url))?;
    let w = backup::backup(&mut db, &key, &op, method, &out, now_ms())?;
    print_json(&serde_json::json!({
        "file": out.display().to_string(), "kind": w.kind, "cipher": w.cipher.name(),
        "plain_bytes": w.plain_bytes, "sealed_bytes": w.sealed_bytes, "sha256": w.sha256,
    }))?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_restore(a: RestoreArgs, db_url: &str) -> CliResult {
    if a.check {
        let key = tongchou_store::backup::master_key()?;
        let mut r = tongchou_store::backup::open_sealed(&key, &a.from)?;
        let n = std::io::copy(&mut r, &mut std::io::sink())
            .map_err(|e| CliError(format!("{}: {e}", a.from.display())))?;
        let h = r.header();
        print_json(
            &serde_json::json!({"ok": true, "kind": h.kind, "cipher": h.cipher.name(), "key": h.key, "plain_bytes": n}),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if let (Some(dir), Some(wal)) = (&a.data_dir, &a.wal_archive) {
        let target = match (a.target_name, a.target_time) {
            (Some(n), None) => Target::Name(n),
            (None, Some(t)) => Target::Time(t),
            _ => {
                return Err(CliError(tongchou_core::tr!("cli-err-target-required")));
            }
        };
        let key = tongchou_store::backup::master_key()?;
        let h = backup::restore_pitr(&key, &a.from, dir, wal, &target)?;
        print_json(&serde_json::json!({
            "kind": h.kind, "data_dir": dir.display().to_string(),
            "next": tongchou_core::tr!("cli-restore-next", dir = dir.display()),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let key = tongchou_store::backup::master_key()?;
    let h = backup::restore(db_url, &key, &a.from, &operator(), now_ms())?;
    print_json(
        &serde_json::json!({"restored": db_url_display(db_url), "kind": h.kind, "cipher": h.cipher.name()}),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// A database URL without anything after `@`'s user part that could be a password.
fn db_url_display(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}
